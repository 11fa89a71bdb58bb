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


# ---------------------------------------------------------------------------- the clip set users bring

# name -> (seconds, fps, (w, h), has audio, HDR transfer or None): what each clip of the set must be.
CLIP_SET: dict[str, tuple[float, float, tuple[int, int], bool, str | None]] = {
    "720p30_audio": (10.0, 30, (1280, 720), True, None),
    "vfr": (6.0, 60, (320, 180), False, None),
    "24fps_12s": (12.0, 24, (640, 360), False, None),
    "60fps_odd_audio": (2.0, 60, (321, 181), True, None),
    "portrait": (3.0, 30, (360, 640), False, None),
    "rotated": (3.0, 30, (360, 640), False, None),
    "vp9": (3.0, 30, (480, 270), True, None),
    "hlg": (2.0, 30, (640, 360), False, "HLG"),
    "pq": (2.0, 30, (640, 360), False, "PQ"),
}
VFR_SPEED = 40  # the VFR clip's white bar moves 40 px per second: its x says the time the frame shows


def _lavfi(seconds: float, fps: float, w: int, h: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={fps}:duration={seconds}"]


def _sine(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]


_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


def vfr_clip(dst: Path, seconds: float = 6.0) -> Path:
    """A variable-frame-rate clip: 60 fps for the first second and after 3 s, 12 fps between.

    A white bar at ``x = VFR_SPEED * t`` on black, so each frame says which time it was made for.
    """
    bar = f"between(X\\,T*{VFR_SPEED}\\,T*{VFR_SPEED}+15)*between(Y\\,60\\,119)"
    src = (f"color=c=black:s=320x180:r=60:d={seconds},format=yuv420p,"
           f"geq=lum='if({bar}\\,235\\,16)':cb=128:cr=128")  # fmt: skip
    ffmpeg("-f", "lavfi", "-i", src, "-vf", "select='lt(t,1)+gte(t,3)+not(mod(n,5))'", "-fps_mode", "vfr",
           *_X264, str(dst))  # fmt: skip
    return dst


def bar_x(frame: np.ndarray) -> float:
    """Left edge (pixels) of the white bar in a frame of :func:`vfr_clip`."""
    cols = np.nonzero((frame.astype(int).sum(-1) > 600).any(0))[0]
    return float(cols.min()) if cols.size else float("nan")


def hdr_clip(dst: Path, transfer: str, seconds: float = 2.0, w: int = 640, h: int = 360) -> Path:
    """A 10-bit HEVC HDR clip (``transfer`` ``"HLG"`` or ``"PQ"``, BT.2020), as Ray returns with ``hdr``."""
    trc = {"HLG": "arib-std-b67", "PQ": "smpte2084"}[transfer]
    vf = (
        f"setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709,format=gbrpf32le,"
        f"zscale=tin=bt709:pin=bt709:min=gbr:t={trc}:p=bt2020:m=bt2020nc:r=tv:npl=100,format=yuv420p10le"
    )
    ffmpeg(*_lavfi(seconds, 30, w, h), "-vf", vf, "-c:v", "libx265", "-preset", "ultrafast",
           "-x265-params", "log-level=error", "-tag:v", "hvc1", "-color_primaries", "bt2020",
           "-color_trc", trc, "-colorspace", "bt2020nc", str(dst))  # fmt: skip
    return dst


def make_set_clip(name: str, folder: Path) -> Path:
    """Make one clip of :data:`CLIP_SET` in ``folder`` with ffmpeg (no committed binaries)."""
    seconds, fps, (w, h), audio, hdr = CLIP_SET[name]
    if name == "vfr":
        return vfr_clip(folder / "vfr.mp4", seconds)
    if hdr:
        return hdr_clip(folder / f"{name}.mp4", hdr, seconds, w, h)
    if name == "rotated":
        flat = folder / "rotated_src.mp4"
        ffmpeg(*_lavfi(seconds, fps, h, w), *_X264, str(flat))
        return rotated_copy(flat, folder / "rotated.mp4", 90)
    out = folder / (f"{name}.webm" if name == "vp9" else f"{name}.mp4")
    sound = _sine(seconds) if audio else []
    if name == "vp9":
        codec = ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k",
                 "-pix_fmt", "yuv420p", "-c:a", "libopus"]  # fmt: skip
    elif w % 2 or h % 2:  # testsrc2 makes even sizes: scale to the odd one, keep every pixel (yuv444p)
        codec = ["-vf", f"scale={w}:{h}", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p",
                 "-c:a", "aac"]  # fmt: skip
    else:
        codec = [*_X264, "-c:a", "aac"]
    ffmpeg(*_lavfi(seconds, fps, w, h), *sound, *codec, "-shortest", str(out))
    return out


class ClipSet:
    """The clips users bring (``_clips.CLIP_SET``), each made by ffmpeg on first use, once per session."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._made: dict[str, Path] = {}

    def __getitem__(self, name: str) -> Path:
        if name not in self._made:
            self._made[name] = make_set_clip(name, self.folder)
        return self._made[name]
