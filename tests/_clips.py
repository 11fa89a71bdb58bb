"""Tiny synthetic test clips, made with numpy and lumakit's own ``write_video`` (no fixtures on disk)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from lumakit.media import ffmpeg_exe, write_video


def pattern(n: int, w: int = 160, h: int = 90, *, seed: int = 0, hue: float = 0.0) -> np.ndarray:
    """``n`` frames of a smooth moving gradient plus a bright square whose x position encodes the frame.

    Frame ``i`` has the square at ``x = i * (w - s) / (n - 1)``, so tests can tell frames apart.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.uniform(0.2, 0.8, 3).astype(np.float32)
    out = np.empty((n, h, w, 3), np.uint8)
    s = max(4, h // 4)
    for i in range(n):
        ph = 2 * np.pi * i / max(n, 1)
        r = 0.5 + 0.4 * np.sin(xx / w * 2 * np.pi + ph + hue)
        g = 0.5 + 0.4 * np.sin(yy / h * 2 * np.pi - ph)
        b = np.full_like(r, base[2])
        img = np.stack([r * base[0] + 0.1, g * base[1] + 0.1, b], -1)
        x = round(i * (w - s) / max(n - 1, 1))
        img[h // 2 - s // 2 : h // 2 + s // 2, x : x + s] = 1.0
        out[i] = np.clip(img * 255, 0, 255).astype(np.uint8)
    return out


def make_clip(path: Path, *, seconds: float = 1.0, fps: float = 24, w: int = 160, h: int = 90,
              seed: int = 0, codec: str = "h264") -> Path:  # fmt: skip
    """A clip of ``seconds`` at ``fps`` whose square moves left to right (see :func:`pattern`)."""
    n = max(1, round(seconds * fps))
    return write_video(path, pattern(n, w, h, seed=seed), fps, codec=codec)


def clip_and_copy(folder: Path, *, seed: int = 0) -> tuple[Path, Path]:
    """A small clip and a byte-for-byte copy of it under another name (the same content twice)."""
    clip = make_clip(folder / "clip.mp4", seconds=1.0, fps=12, w=64, h=36, seed=seed)
    copy = folder / "copy.mp4"
    copy.write_bytes(clip.read_bytes())
    return clip, copy


def square_x(frame: np.ndarray) -> float:
    """Centre x (pixels) of the bright square in a frame from :func:`pattern`."""
    bright = frame.astype(int).sum(-1) > 700
    cols = np.nonzero(bright.any(0))[0]
    return float(cols.mean()) if cols.size else float("nan")


def ffmpeg(*args: str) -> None:
    """Run the bundled ffmpeg quietly; raise if it fails."""
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def rotated_copy(src: Path, dst: Path, degrees: int) -> Path:
    """Copy of ``src`` with a display-matrix rotation (what phones write), no re-encode."""
    ffmpeg("-display_rotation", str(degrees), "-i", str(src), "-c", "copy", str(dst))
    return dst


def with_audio(src: Path, dst: Path) -> Path:
    """Copy of ``src`` with a sine audio track."""
    ffmpeg("-i", str(src), "-f", "lavfi", "-i", "sine=duration=5", "-c:v", "copy", "-c:a", "aac", "-shortest",
           str(dst))  # fmt: skip
    return dst


def odd_sized(dst: Path, w: int = 161, h: int = 91, seconds: float = 1.0) -> Path:
    """An odd-sized yuv444p source (H.264, or VP9 for ``.webm``), which ``write_video`` never produces."""
    codec = ["-c:v", "libvpx-vp9", "-deadline", "realtime"] if dst.suffix == ".webm" else ["-c:v", "libx264"]
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=160x90:rate=24:duration={seconds}", "-vf", f"scale={w}:{h}",
           *codec, "-pix_fmt", "yuv444p", str(dst))  # fmt: skip
    return dst
