"""What a video file is: size, rate, frame count and times, audio, rotation and HDR, read without decoding.

Part of :mod:`lumakit.media` (which re-exports everything public here). One ``ffmpeg`` run copies the video
packets to a ``framecrc`` listing, which gives the exact frame count and every frame's presentation time
(so variable-frame-rate clips are timed by their own timestamps, not by ``n / fps``).
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import weakref
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .. import _files
from ..errors import MediaError, RequestError

VideoLike = Any  # str | os.PathLike | Result-like (has .path / .video_url)

_REMOTE = re.compile(r"^(https?|ftp|rtsp|data):", re.IGNORECASE)
# Popen objects started by lumakit.media and not yet reaped; tests read it to prove nothing leaks.
_LIVE: weakref.WeakSet[subprocess.Popen[bytes]] = weakref.WeakSet()
HDR_MARK = "HDR, tone-mapped for display"


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary shipped by imageio-ffmpeg (``IMAGEIO_FFMPEG_EXE`` overrides it)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def live_processes() -> int:
    """Number of ffmpeg processes started by lumakit.media that are not reaped yet (0 when idle)."""
    return sum(1 for p in list(_LIVE) if p.returncode is None)


def is_remote(src: str | os.PathLike[str]) -> bool:
    """True for ``http(s)://``, ``ftp://``, ``rtsp://`` and ``data:`` sources (ffmpeg opens them itself)."""
    return isinstance(src, str) and bool(_REMOTE.match(src))


def describe(value: Any) -> str:
    """A short stand-in for a value in an error message: never the repr of a whole array or byte string."""
    if isinstance(value, np.ndarray):
        return f"<{value.dtype} array of shape {value.shape}>"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def source_path(video: VideoLike) -> Path | str:
    """Normalize what names a video to something ffmpeg can open.

    A ``Path``/``str`` path becomes an expanded ``Path``; a URL stays a ``str``; an object with a ``.path``
    (lumakit's ``Result``) gives its local file, or its ``.video_url`` when it has none.
    """
    if isinstance(video, (str, os.PathLike)):
        s = os.fspath(video)
        if isinstance(s, bytes):  # pragma: no cover - os.PathLike[bytes]
            s = s.decode()
        if not s:
            raise RequestError("video", video, "a file path, a URL or a Result", message="empty video name")
        return s if is_remote(s) else Path(s).expanduser()
    path = getattr(video, "path", None)
    if path is not None:
        return source_path(path)
    url = getattr(video, "video_url", None)
    if url:
        return source_path(url)
    raise RequestError("video", describe(video), "a file path, a URL, or a Result with .path / .video_url")


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` learns about a video. ``width``/``height`` are the upright (displayed) size.

    ``times`` holds every frame's presentation time (s, from 0) read from the stream's timestamps; ``vfr``
    says they are not evenly spaced; ``hdr`` is ``"PQ"`` or ``"HLG"`` for an HDR video (lumakit shows those
    tone-mapped to SDR), else None.
    """

    path: Path | str
    duration: float
    width: int
    height: int
    fps: float
    n_frames: int
    has_audio: bool
    rotation: int
    codec: str
    hdr: str | None = None
    vfr: bool = False
    times: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` as displayed."""
        return (self.width, self.height)

    @property
    def aspect(self) -> float:
        """Displayed width / height."""
        return self.width / self.height

    def frame_times(self) -> np.ndarray:
        """Presentation time (s) of every frame, from the stream's timestamps (``i / fps`` if it has none)."""
        if self.times is not None and len(self.times) == self.n_frames:
            return self.times
        return np.arange(self.n_frames) / self.fps


_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_VSTREAM = re.compile(r"Stream #0:\d+[^:]*:\s*Video:\s*(\w+)(.*)")
_SIZE = re.compile(r"\b(\d{1,5})x(\d{1,5})\b")
_FPS = re.compile(r"([\d.]+)\s*(fps|tbr)\b")
_ROT = re.compile(r"rotation of\s*(-?[\d.]+)\s*degrees", re.IGNORECASE)
_FRAME = re.compile(r"frame=\s*(\d+)")
_TIME = re.compile(r"time=\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_TB = re.compile(r"^#tb 0:\s*(\d+)/(\d+)", re.MULTILINE)
_HDR = {"smpte2084": "PQ", "arib-std-b67": "HLG"}
_NOPTS = -(2**63)
_probe_cache: dict[tuple[Any, ...], VideoInfo] = {}
_probe_lock = threading.Lock()


def identity(src: Path | str) -> tuple[Any, ...]:
    """What says "the same video, unchanged" (a memo key): a local file's identity (an edited or replaced
    file gets a new one), or the URL itself."""
    return _files.identity(src) if isinstance(src, Path) else (src,)


def _check_file(src: Path | str) -> None:
    if isinstance(src, str):
        return
    if not src.exists():
        raise MediaError(src, "file not found")
    if src.is_dir():
        raise MediaError(src, "is a directory, not a video file")
    if src.stat().st_size == 0:
        raise MediaError(src, "file is empty (0 bytes)")


def _explain(src: Path | str, err: str) -> str:
    low = err.lower()
    if "misdetection possible" in low or ("invalid data found" in low and "moov atom" not in low):
        return "not a video file ffmpeg can read (invalid data)"
    if "moov atom not found" in low:
        return "truncated or incomplete MP4 (no moov atom): the download or write did not finish"
    if "invalid data found" in low or "could not find codec" in low:
        return "not a video ffmpeg can read (invalid data)"
    if "no such file" in low:
        return "file not found"
    if "partial file" in low or "truncat" in low:
        return "truncated file"
    lines = [ln.strip() for ln in err.strip().splitlines() if ln.strip()]
    return "ffmpeg cannot read it: " + (lines[-1] if lines else "unknown error")


def _packet_times(listing: str) -> np.ndarray | None:
    """Sorted presentation times (s, from the first frame) of the packets in a ``framecrc`` listing."""
    tb = _TB.search(listing)
    if tb is None:
        return None
    base = Fraction(int(tb.group(1)), int(tb.group(2)))
    pts: list[int] = []
    for line in listing.splitlines():
        if line.startswith("0,"):
            cols = line.split(",")
            if len(cols) < 3:
                return None
            value = int(cols[2])
            if value == _NOPTS:
                return None
            pts.append(value)
    if not pts:
        return None
    ticks = np.sort(np.asarray(pts, dtype=np.int64))
    return (ticks - ticks[0]).astype(np.float64) * float(base)


def _is_vfr(times: np.ndarray | None, fps: float) -> bool:
    if times is None or len(times) < 3 or fps <= 0:
        return False
    steps = np.diff(times)
    return bool(np.max(np.abs(steps - 1.0 / fps)) > 0.25 / fps)


def probe(video: VideoLike) -> VideoInfo:
    """Duration (s), upright size, fps, exact frame count and times, audio, rotation, HDR and codec.

    Lists the packets by stream-copying them to ffmpeg's ``framecrc`` muxer (no decoding), so the count and
    the frame times are exact and cheap. Results are memoized per (file, size, mtime).

    Raises:
      MediaError: missing, empty, truncated, not a video (EXR frames: the message names
        ``media.exr_video``), or zero frames.
    """
    src = source_path(video)
    if not isinstance(src, str) and (src.is_dir() or src.suffix.lower() in (".exr", ".zip")):
        from ._exr import is_exr

        if src.exists() and is_exr(src):
            raise MediaError(src, "EXR frames, not a video: lumakit.media.exr_video(path) makes a "
                             "tone-mapped SDR video of them that every lumakit function shows")  # fmt: skip
    _check_file(src)
    key = identity(src)
    with _probe_lock:
        hit = _probe_cache.get(key)
    if hit is not None:
        return hit
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(src), "-map", "0:v:0?", "-c", "copy",
           "-f", "framecrc", "-"]  # fmt: skip
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    err = proc.stderr.decode("utf-8", "replace")
    vs = _VSTREAM.search(err)
    if proc.returncode != 0 and vs is None and "Input #0" not in err:
        raise MediaError(src, _explain(src, err))
    if vs is None:
        raise MediaError(src, "no video stream (audio-only or not a video)")
    codec, rest = vs.group(1), vs.group(2)
    size = _SIZE.search(rest)
    if size is None:
        raise MediaError(src, "video stream has no frame size")
    w, h = int(size.group(1)), int(size.group(2))
    fm = _FPS.search(rest)
    fps = float(fm.group(1)) if fm else 0.0
    tail = err[vs.end() :]
    stream_block = tail.split("Stream #", 1)[0]
    rm = _ROT.search(stream_block)
    rotation = round(float(rm.group(1))) % 360 if rm else 0
    if rotation in (90, 270):
        w, h = h, w
    hdr = next((name for trc, name in _HDR.items() if trc in rest), None)
    has_audio = bool(re.search(r"Stream #0:\d+[^:]*:\s*Audio:", err))
    times = _packet_times(proc.stdout.decode("utf-8", "replace"))
    frames_seen = [int(m) for m in _FRAME.findall(err)]
    n_frames = len(times) if times is not None else (frames_seen[-1] if frames_seen else 0)
    if n_frames == 0:
        raise MediaError(src, "video stream has zero frames")
    if "partial file" in err or "Packet corrupt" in err:
        raise MediaError(src, f"truncated file: the data ends early (only {n_frames} frames are complete)")
    dm = _DURATION.search(err)
    duration = _hms(dm.groups()) if dm else 0.0
    if fps <= 0:
        fps = n_frames / duration if duration > 0 else 25.0
    if duration <= 0:
        tm = _TIME.findall(err)
        duration = _hms(tm[-1]) + 1 / fps if tm else n_frames / fps
    vfr = _is_vfr(times, fps)
    # Truncated files: the container claims more than the packets deliver. Trust the packets.
    shown = float(times[-1]) + 1 / fps if times is not None and vfr else n_frames / fps
    if shown < duration - 1.5 / fps:
        duration = shown
    info = VideoInfo(src, float(duration), w, h, float(fps), n_frames, has_audio, rotation, codec, hdr, vfr,
                     times)  # fmt: skip
    with _probe_lock:
        _probe_cache[key] = info
    return info


def _hms(parts: Any) -> float:
    return int(parts[0]) * 3600 + int(parts[1]) * 60 + float(parts[2])


def _run(cmd: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
