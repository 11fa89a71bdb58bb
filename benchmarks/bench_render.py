"""How fast the local preview renderer is, against real time, for a 640x360 clip on one core.

    python benchmarks/bench_render.py

Prints frames rendered per second divided by the clip's fps (>= 1.0 means faster than real time) for:
the per-frame pipeline alone (frames already decoded), with default and with every control turned up, and
end to end (decode + render + H.264 encode, as the server does it). Numpy's elementwise work is
single-threaded; BLAS is pinned to one thread below so the figure is per core (ffmpeg runs in its own
processes end to end).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from lumakit import media  # noqa: E402
from lumakit.local import render  # noqa: E402
from lumakit.request import ModifyRequest, ReframeRequest  # noqa: E402

W, H, FPS, SECONDS = 640, 360, 24.0, 3.0
PROMPT = "a neon cyberpunk street at night, rim light"


def _clip(path: Path) -> Path:
    n = int(FPS * SECONDS)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    rng = np.random.default_rng(1)
    tex = rng.uniform(0, 1, (H, W)).astype(np.float32)
    frames = []
    for i in range(n):
        img = np.stack([0.5 + 0.4 * np.sin(xx / 40 + i / 6), 0.5 + 0.4 * np.cos(yy / 30), tex], -1)
        x = 40 + i * 6
        img[120:240, x : x + 80] = (0.9, 0.7, 0.5)
        frames.append((img * 255).astype(np.uint8))
    return media.write_video(path, frames, FPS)


def _pipeline_fps(src: Path, request: ModifyRequest) -> float:
    plan = render.plan_edit(request, src)
    painter = render._ModifyPainter(plan, W, H, request.prompt, seed=7)
    k = 1 + round(float(plan.controls.get("trajectorySparsity") or 0.0) * (render.MAX_KEYFRAME_STEP - 1))
    frames = list(media.iter_frames(src))
    start = time.perf_counter()
    for t, (anchored, real) in enumerate(render._trajectory(iter(frames), len(frames), k)):
        painter.frame(anchored, real, t)
    return len(frames) / (time.perf_counter() - start)


def main() -> dict[str, float]:
    """Measure and print; returns ``{name: frames per second / clip fps}``."""
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = _clip(Path(tmp) / "src.mp4")
        plain = ModifyRequest(video="https://example.org/x.mp4", prompt=PROMPT, strength="flex_2")
        loud = ModifyRequest(
            video="https://example.org/x.mp4",
            prompt=PROMPT,
            strength="reimagine_3",
            controls={"poseStrength": "coarse", "depthBlur": 1.0, "normalsAugmentation": 1.0,
                      "trajectorySparsity": 0.5, "face": True},
        )  # fmt: skip
        results["modify flex_2, pipeline only"] = _pipeline_fps(src, plain) / FPS
        results["modify reimagine_3 + all controls, pipeline only"] = _pipeline_fps(src, loud) / FPS
        start = time.perf_counter()
        render.render_modify(plain, src, Path(tmp) / "out.mp4")
        results["modify flex_2, end to end (decode+render+encode)"] = (
            FPS * SECONDS / (time.perf_counter() - start) / FPS
        )
        start = time.perf_counter()
        reframe = ReframeRequest(video="https://example.org/x.mp4", prompt=PROMPT, aspect_ratio="9:16",
                                 resolution="360p")  # fmt: skip
        render.render_reframe(reframe, src, Path(tmp) / "rf.mp4")
        results["reframe 16:9 -> 9:16 360p, end to end"] = FPS * SECONDS / (time.perf_counter() - start) / FPS
    print(
        f"local preview renderer, {W}x{H} @ {FPS:g} fps, {SECONDS:g} s clip (ratio = rendered fps / clip fps)"
    )
    for name, ratio in results.items():
        print(f"  {name:<55} {ratio:6.2f}x real time")
    return results


if __name__ == "__main__":
    main()
