"""Frame grid speed: lumakit.frame_grid of 4 clips x 8 times vs raw ffmpeg extracting the same frames.

    python benchmarks/bench_grid.py

Baselines (imageio-ffmpeg's binary, rgb24 over a pipe, frames scaled to the same cell size):
  raw_select: one ffmpeg per clip with a select filter for the 8 frames (the fastest plain-ffmpeg way);
  raw_seek:   one ffmpeg per frame with input seeking (``-ss t -i clip -frames:v 1``), the common recipe.
lumakit's figures include probing (memo cleared each run), decoding and building the Figure; ``grid_drawn``
also renders it with Agg. Each figure is the best of ``REPEAT`` runs, all measured in this one run.
Prints the figures and the ratios; asserts nothing.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lumakit import compare, media

CLIPS, TIMES, REPEAT = 4, 8, 3
W, H, FPS, SECONDS = 1280, 720, 24, 5


def make_clips(d: Path) -> list[Path]:
    """Four 1280x720 5 s H.264 clips of moving gradients (Ray's usual output size)."""
    out = []
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    for k in range(CLIPS):

        def gen(k: int = k):
            for i in range(FPS * SECONDS):
                ph = i / 12 + k
                r = 127 + 100 * np.sin(xx / 97 + ph)
                g = 127 + 100 * np.sin(yy / 53 - ph)
                b = 127 + 100 * np.sin((xx + yy) / 71 + 2 * ph)
                yield np.stack([r, g, b], -1).astype(np.uint8)

        out.append(media.write_video(d / f"clip{k}.mp4", gen(), FPS))
    return out


def best(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def raw_select(clips: list[Path], idx: list[int], w: int, h: int) -> None:
    exe = media.ffmpeg_exe()
    sel = "+".join(f"eq(n\\,{i})" for i in idx)
    for c in clips:
        cmd = [exe, "-loglevel", "error", "-i", str(c), "-vf", f"select='{sel}',scale={w}:{h}:flags=area",
               "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]  # fmt: skip
        data = subprocess.run(cmd, capture_output=True, check=True).stdout
        assert len(data) == len(idx) * w * h * 3


def raw_seek(clips: list[Path], times: list[float], w: int, h: int) -> None:
    exe = media.ffmpeg_exe()
    for c in clips:
        for t in times:
            cmd = [exe, "-loglevel", "error", "-ss", f"{t:.4f}", "-i", str(c), "-frames:v", "1", "-vf",
                   f"scale={w}:{h}:flags=area", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]  # fmt: skip
            data = subprocess.run(cmd, capture_output=True, check=True).stdout
            assert len(data) == w * h * 3


def main() -> dict[str, float]:
    """Run the benchmark; returns the figures (seconds and ratios)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with tempfile.TemporaryDirectory() as tmp:
        clips = make_clips(Path(tmp))
        info = media.probe(clips[0])
        times = list((np.arange(TIMES) + 0.5) / TIMES * info.duration)
        idx = [int(t * info.fps) for t in times]
        cw, ch = 240, 135

        def lk_frames() -> None:
            media._probe_cache.clear()
            for c in clips:
                media.frames(c, times, size=(cw, ch))

        def lk_grid() -> None:
            media._probe_cache.clear()
            compare.frame_grid(clips, n=TIMES)

        def lk_grid_drawn() -> None:
            media._probe_cache.clear()
            FigureCanvasAgg(compare.frame_grid(clips, n=TIMES)).draw()

        lk_grid()  # warm-up: imports, page cache
        fig: dict[str, float] = {
            "raw_select_s": best(lambda: raw_select(clips, idx, cw, ch)),
            "raw_seek_s": best(lambda: raw_seek(clips, times, cw, ch)),
            "lumakit_frames_s": best(lk_frames),
            "lumakit_grid_s": best(lk_grid),
            "lumakit_grid_drawn_s": best(lk_grid_drawn),
        }
    raw = fig["raw_select_s"]
    fig["grid_vs_raw_select"] = fig["lumakit_grid_s"] / raw
    fig["grid_drawn_vs_raw_select"] = fig["lumakit_grid_drawn_s"] / raw
    fig["frames_vs_raw_select"] = fig["lumakit_frames_s"] / raw
    fig["grid_vs_raw_seek"] = fig["lumakit_grid_s"] / fig["raw_seek_s"]
    return fig


if __name__ == "__main__":
    print(f"frame grid: {CLIPS} clips x {TIMES} times, {W}x{H} {SECONDS}s H.264, best of {REPEAT}")
    for k, v in main().items():
        print(f"  {k:26s} {v:8.3f}" + ("" if k.endswith("_s") else "  x"))
