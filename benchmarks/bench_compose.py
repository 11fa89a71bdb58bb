"""Comparison video and report: lumakit's moviepy composition vs ffmpeg's own ``hstack`` of the same clips.

    python benchmarks/bench_compose.py

Four 1280x720 5 s H.264 clips (Ray's usual output size). Both sides scale every clip to 360 px high, put
the four side by side and encode H.264 with the same x264 settings (``veryfast``, CRF 27, yuv420p):
  ffmpeg_hstack: one ffmpeg process, ``scale`` + ``hstack`` in C (the floor for this job);
  lumakit:       ``lk.comparison_video`` (moviepy: ffmpeg readers that scale, tiles composed in Python,
                 caption bands drawn by TextClip, 4 px gaps), silent like the baseline.
Goal: lumakit / ffmpeg_hstack <= 3 (wall time; CPU seconds too, steadier on a shared machine). Also the
size of ``lk.save_report`` per clip (embedded previews, frame grid, player). Each time is the best of
``REPEAT`` runs, all measured in this one run; asserts nothing.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_grid import make_clips  # noqa: E402 - four 1280x720 5 s clips

from lumakit import media, report, side_by_side  # noqa: E402

REPEAT, HEIGHT, CRF = 2, 360, 27


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def best(fn: Callable[[], object]) -> tuple[float, float]:
    """The best wall time and the best CPU time (this process and its ffmpeg children) of REPEAT runs."""
    walls, cpus = [], []
    for _ in range(REPEAT):
        t, c = time.perf_counter(), _cpu()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(_cpu() - c)
    return min(walls), min(cpus)


def ffmpeg_hstack(clips: list[Path], out: Path) -> None:
    inputs = [a for c in clips for a in ("-i", str(c))]
    scaled = ";".join(f"[{i}:v]scale=-2:{HEIGHT}[v{i}]" for i in range(len(clips)))
    stack = "".join(f"[v{i}]" for i in range(len(clips))) + f"hstack=inputs={len(clips)}"
    cmd = [media.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *inputs,
           "-filter_complex", f"{scaled};{stack}", "-an", "-c:v", "libx264", "-preset", "veryfast",
           "-crf", str(CRF), "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True)


def main() -> dict[str, float]:
    """Run the benchmark; returns the figures (seconds, ratio, KB)."""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        clips = make_clips(d)
        labelled = {f"clip{i}": c for i, c in enumerate(clips)}
        quality = round((51 - CRF) / 4)  # lumakit's quality 6 is CRF 27

        def lk() -> None:
            side_by_side.comparison_video(labelled, d / "lk.mp4", height=HEIGHT, audio=None, quality=quality)

        lk()  # warm-up: moviepy import, fonts, page cache
        ff_wall, ff_cpu = best(lambda: ffmpeg_hstack(clips, d / "ff.mp4"))
        lk_wall, lk_cpu = best(lk)
        fig: dict[str, float] = {
            "ffmpeg_hstack_s": ff_wall,
            "lumakit_comparison_s": lk_wall,
            "comparison_vs_hstack": lk_wall / ff_wall,
            "ffmpeg_hstack_cpu_s": ff_cpu,
            "lumakit_comparison_cpu_s": lk_cpu,
            "comparison_vs_hstack_cpu": lk_cpu / ff_cpu,
        }
        fig["output_width_px"] = media.probe(d / "lk.mp4").width
        start = time.perf_counter()
        page = report.save_report(labelled, d / "report.html")
        fig["report_s"] = time.perf_counter() - start
        fig["report_kb_per_clip"] = page.stat().st_size / 1024 / len(clips)
    return fig


if __name__ == "__main__":
    print(f"comparison video: 4 clips 1280x720 5 s -> {HEIGHT} px high tiles, best of {REPEAT}")
    for k, v in main().items():
        print(f"  {k:26s} {v:10.3f}")
    print("goal: comparison_vs_hstack <= 3")
