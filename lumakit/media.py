"""The one room that opens video files: probe, frames at times, writing and preview transcodes.

Everything goes through imageio-ffmpeg's ffmpeg binary over subprocess pipes (``rawvideo`` ``rgb24``): one
process per reader, always reaped, even when the caller stops early or raises.

    info = probe("clip.mp4")                  # VideoInfo(duration=5.0, width=1280, height=720, fps=24.0, ...)
    arr = frames("clip.mp4", n=6, size=(160, 90))   # (6, 90, 160, 3) uint8, evenly spaced frame centres
    for f in iter_frames("clip.mp4"): ...     # every frame, one reader
    write_video("out.mp4", arr, fps=24)       # even-sized H.264 yuv420p, +faststart, atomic
    preview("clip.mp4", max_side=480)         # small cached MP4 for embedding in a notebook

Rotated phone clips come out upright (ffmpeg autorotates); ``probe`` reports the upright size and the
rotation it found in the display matrix. Bad files raise :class:`~lumakit.errors.MediaError`.
No moviepy or matplotlib here: ``import lumakit.media`` stays light.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import re
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import numpy as np

from . import _files
from .errors import MediaError, RequestError

__all__ = [
    "VideoInfo",
    "describe",
    "ffmpeg_exe",
    "frame_times",
    "frames",
    "is_remote",
    "iter_frames",
    "labeled",
    "materialize",
    "preview",
    "probe",
    "source_path",
    "write_video",
]

VideoLike = Any  # str | os.PathLike | Result-like (has .path / .video_url)

_REMOTE = re.compile(r"^(https?|ftp|rtsp|data):", re.IGNORECASE)
_CODECS = {"h264": ".mp4", "vp9": ".webm"}
_PREVIEW_CODECS = {**_CODECS, "gif": ".gif"}  # GIF: for front ends that play no H.264 nor VP9
# Popen objects started here and not yet reaped; tests read it to prove nothing leaks.
_LIVE: weakref.WeakSet[subprocess.Popen[bytes]] = weakref.WeakSet()


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary shipped by imageio-ffmpeg (``IMAGEIO_FFMPEG_EXE`` overrides it)."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def is_remote(src: str | os.PathLike[str]) -> bool:
    """True for ``http(s)://``, ``ftp://``, ``rtsp://`` and ``data:`` sources (ffmpeg opens them itself)."""
    return isinstance(src, str) and bool(_REMOTE.match(src))


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


def labeled(videos: Any, titles: Iterable[str | None] | None = None) -> list[tuple[str | None, Any]]:
    """``[(label, video), ...]`` from one video, a list of videos, or a ``{label: video}`` mapping.

    Labels come from the mapping's keys, else a video's ``.title`` attribute, else None; ``titles``
    (one per video) overrides them.
    """
    items: list[tuple[str | None, Any]]
    if isinstance(videos, Mapping) or (hasattr(videos, "items") and hasattr(videos, "keys")):
        items = [(str(k), v) for k, v in videos.items()]
    elif (
        isinstance(videos, (str, os.PathLike, bytes, bytearray, memoryview))
        or (isinstance(videos, np.ndarray) and videos.ndim < 5)
        or hasattr(videos, "path")
        or hasattr(videos, "video_url")
    ):
        items = [(None, videos)]
    elif isinstance(videos, Iterable):
        items = [(_title(v), v) for v in videos]
    else:
        raise RequestError(
            "videos", describe(videos), "a path, a URL, a Result, a list of them, or a {label: video} dict"
        )
    if not items:
        raise RequestError("videos", videos, message="no videos given")
    if titles is not None:
        names = [None if t is None else str(t) for t in titles]
        if len(names) != len(items):
            raise RequestError("titles", titles, message=f"got {len(names)} titles for {len(items)} videos")
        items = [(t, v) for t, (_, v) in zip(names, items, strict=True)]
    return items


def describe(value: Any) -> str:
    """A short stand-in for a value in an error message: never the repr of a whole array or byte string."""
    if isinstance(value, np.ndarray):
        return f"<{value.dtype} array of shape {value.shape}>"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


_MAGIC = ((b"GIF8", 0, ".gif"), (b"\x1a\x45\xdf\xa3", 0, ".webm"), (b"ftyp", 4, ".mp4"))


def materialize(video: Any, *, fps: float = 24.0) -> Any:
    """A frame array or a video file's bytes as a file (cached by content); anything else unchanged.

    Frame arrays are ``(T, H, W, 3)`` RGB (or ``(T, H, W)`` gray, or ``(T, H, W, 4)``), ``uint8`` or floats
    in [0, 1], played at ``fps``; bytes are an MP4/MOV, WebM or GIF file's content.
    """
    if isinstance(video, np.ndarray):
        if not (video.ndim == 3 or (video.ndim == 4 and video.shape[-1] in (1, 3, 4))) or video.size == 0:
            raise RequestError(
                "videos", describe(video), "a (T, H, W, 3) RGB frame array (or (T, H, W) gray, (T, H, W, 4))"
            )
        if not (isinstance(fps, (int, float, np.integer, np.floating)) and math.isfinite(fps) and fps > 0):
            raise RequestError("fps", fps, "a positive number of frames per second")
        a = np.ascontiguousarray(video)
        h = hashlib.sha256(f"{a.shape}{a.dtype}{float(fps):g}".encode())
        h.update(a.tobytes())
        out = preview_dir() / "frames" / f"{h.hexdigest()[:32]}.mp4"
        if not out.is_file():
            frames_ = a[..., 0] if a.ndim == 4 and a.shape[-1] == 1 else a
            write_video(out, iter(frames_), fps, quality=9)
        return out
    if isinstance(video, (bytes, bytearray, memoryview)):
        data = bytes(video)
        suffix = next((ext for magic, at, ext in _MAGIC if data[at : at + len(magic)] == magic), None)
        if suffix is None:
            raise RequestError("videos", describe(video), "the bytes of an MP4/MOV, WebM or GIF file")
        out = preview_dir() / "bytes" / f"{hashlib.sha256(data).hexdigest()[:32]}{suffix}"
        if not out.is_file():
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
            tmp.write_bytes(data)
            os.replace(tmp, out)
        return out
    return video


def _title(video: Any) -> str | None:
    title = getattr(video, "title", None)
    return title if isinstance(title, str) else None  # a str's .title is a method, not a title


def display_name(video: Any) -> str:
    """A short human name for a video: its file name, or the last part of its URL."""
    src = source_path(video)
    if isinstance(src, Path):
        return src.name
    if src.startswith("data:"):
        return "data URI"
    return src.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or src


# --------------------------------------------------------------------------------------------- probe


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` learns about a video. ``width``/``height`` are the upright (displayed) size."""

    path: Path | str
    duration: float
    width: int
    height: int
    fps: float
    n_frames: int
    has_audio: bool
    rotation: int
    codec: str

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` as displayed."""
        return (self.width, self.height)

    @property
    def aspect(self) -> float:
        """Displayed width / height."""
        return self.width / self.height


_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_VSTREAM = re.compile(r"Stream #0:\d+[^:]*:\s*Video:\s*(\w+)(.*)")
_SIZE = re.compile(r"\b(\d{1,5})x(\d{1,5})\b")
_FPS = re.compile(r"([\d.]+)\s*(fps|tbr)\b")
_ROT = re.compile(r"rotation of\s*(-?[\d.]+)\s*degrees", re.IGNORECASE)
_FRAME = re.compile(r"frame=\s*(\d+)")
_TIME = re.compile(r"time=\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_probe_cache: dict[tuple[Any, ...], VideoInfo] = {}
_probe_lock = threading.Lock()


def _file_key(src: Path | str) -> tuple[Any, ...]:
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


def probe(video: VideoLike) -> VideoInfo:
    """Duration (s), upright size, fps, exact frame count, audio, rotation and codec of a video.

    Counts frames by stream-copying the packets to a null muxer (no decoding), so the count is exact
    and cheap. Results are memoized per (file, size, mtime).

    Raises:
      MediaError: missing, empty, truncated, not a video, or zero frames.
    """
    src = source_path(video)
    _check_file(src)
    key = _file_key(src)
    with _probe_lock:
        hit = _probe_cache.get(key)
    if hit is not None:
        return hit
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-i",
        str(src),
        "-map",
        "0:v:0?",
        "-c",
        "copy",
        "-f",
        "null",
        "-",
    ]
    proc = _run(cmd)
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
    has_audio = bool(re.search(r"Stream #0:\d+[^:]*:\s*Audio:", err))
    frames_seen = [int(m) for m in _FRAME.findall(err)]
    n_frames = frames_seen[-1] if frames_seen else 0
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
    # Truncated files: the container claims more than the packets deliver. Trust the packets.
    if n_frames / fps < duration - 1.5 / fps:
        duration = n_frames / fps
    info = VideoInfo(src, float(duration), w, h, float(fps), n_frames, has_audio, rotation, codec)
    with _probe_lock:
        _probe_cache[key] = info
    return info


def _hms(parts: Sequence[str]) -> float:
    return int(parts[0]) * 3600 + int(parts[1]) * 60 + float(parts[2])


def _run(cmd: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )


# --------------------------------------------------------------------------------------------- readers


class _Reader:
    """One ffmpeg process piping rgb24 frames of a fixed size; a context manager that always reaps it."""

    def __init__(self, src: Path | str, w: int, h: int, vf: str | None, extra: Sequence[str] = ()) -> None:
        self.src, self.w, self.h = src, w, h
        self.frame_bytes = w * h * 3
        cmd = [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            str(src),
            "-map",
            "0:v:0",
        ]
        cmd += list(extra)
        if vf:
            cmd += ["-vf", vf]
        cmd += ["-an", "-sn", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        self._err: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.proc: subprocess.Popen[bytes] = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._err, bufsize=0
        )
        _LIVE.add(self.proc)

    def read(self) -> np.ndarray | None:
        """The next frame, or None at the end of the stream."""
        stream = cast("io.RawIOBase", self.proc.stdout)  # bufsize=0: unbuffered, so it has readinto
        buf = bytearray(self.frame_bytes)
        view = memoryview(buf)
        got = 0
        while got < self.frame_bytes:
            n = stream.readinto(view[got:])
            if not n:
                break
            got += n
        if got < self.frame_bytes:
            return None
        return np.frombuffer(buf, np.uint8).reshape(self.h, self.w, 3)

    def stderr(self) -> str:
        self._err.seek(0)
        return self._err.read().decode("utf-8", "replace")

    def close(self) -> None:
        proc = self.proc
        if proc.poll() is None:
            proc.kill()
        if proc.stdout is not None:
            proc.stdout.close()
        proc.wait()
        _LIVE.discard(proc)
        with contextlib.suppress(Exception):
            self._err.close()

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def live_processes() -> int:
    """Number of ffmpeg processes started by this module that are not reaped yet (0 when idle)."""
    return sum(1 for p in list(_LIVE) if p.returncode is None)


def _target_size(info: VideoInfo, size: tuple[int, int] | None) -> tuple[int, int]:
    if size is None:
        return info.width, info.height
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(v, (int, np.integer)) and v > 0 for v in size)
    ):
        raise RequestError("size", size, "a (width, height) tuple of positive ints")
    return int(size[0]), int(size[1])


def _scale(info: VideoInfo, w: int, h: int) -> str | None:
    if (w, h) == (info.width, info.height):
        return None
    return f"scale={w}:{h}:flags=area"


def iter_frames(video: VideoLike, *, size: tuple[int, int] | None = None) -> Iterator[np.ndarray]:
    """Stream every frame as RGB ``uint8`` ``(H, W, 3)``, upright, scaled by ffmpeg to ``size=(w, h)``.

    One ffmpeg reader, closed when the loop ends, breaks or raises.
    """
    info = probe(video)
    w, h = _target_size(info, size)
    reader = _Reader(info.path, w, h, _scale(info, w, h))
    count = 0
    try:
        while (frame := reader.read()) is not None:
            count += 1
            yield frame
        if count == 0:
            reader.proc.wait()
            raise MediaError(info.path, "no frames could be decoded: " + _explain(info.path, reader.stderr()))
    finally:
        reader.close()


def frame_times(video: VideoLike, n: int) -> np.ndarray:
    """``n`` evenly spaced frame-centre times (s): the centre of each of ``n`` equal slices of the clip."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise RequestError("n", n, "a positive int")
    info = probe(video)
    return (np.arange(n) + 0.5) * info.duration / n


def _indices(info: VideoInfo, times: np.ndarray) -> np.ndarray:
    idx = np.floor(times * info.fps + 1e-6).astype(np.int64)
    return np.clip(idx, 0, info.n_frames - 1)


def frames(
    video: VideoLike,
    times: Iterable[float] | None = None,
    *,
    n: int | None = None,
    size: tuple[int, int] | None = None,
) -> np.ndarray:
    """Frames at ``times`` (seconds) as one ``(T, H, W, 3)`` uint8 array, in the order asked.

    Give either ``times`` or ``n`` (``n`` evenly spaced frame-centre times; default 6). The frame shown at
    time ``t`` is returned (times past the end give the last frame). One ffmpeg reader per call decodes in
    ascending order and converts only the selected frames; ``size=(w, h)`` scales them inside ffmpeg.
    """
    info = probe(video)
    if times is not None and n is not None:
        raise RequestError("times", times, message="give times= or n=, not both")
    if times is None:
        t = frame_times(info.path, 6 if n is None else n)
    else:
        t = np.asarray(list(times) if not isinstance(times, np.ndarray) else times, dtype=float).reshape(-1)
        if t.size == 0:
            raise RequestError("times", times, "a non-empty list of times in seconds")
        if not np.all(np.isfinite(t)) or np.any(t < 0):
            raise RequestError("times", times, "finite times >= 0 (seconds)")
    w, h = _target_size(info, size)
    idx = _indices(info, t)
    wanted = np.unique(idx)
    select = "+".join(f"eq(n\\,{i})" for i in wanted)
    vf = f"select='{select}'"
    sc = _scale(info, w, h)
    if sc:
        vf += "," + sc
    got: list[np.ndarray] = []
    with _Reader(info.path, w, h, vf, extra=["-fps_mode", "passthrough"]) as reader:
        while len(got) < len(wanted) and (frame := reader.read()) is not None:
            got.append(frame)
        if not got:
            reader.proc.wait()
            raise MediaError(info.path, "no frames could be decoded: " + _explain(info.path, reader.stderr()))
    while len(got) < len(wanted):  # a container that over-reports its length: repeat the last real frame
        got.append(got[-1])
    pos = np.searchsorted(wanted, idx)
    return np.stack([got[p] for p in pos])


# --------------------------------------------------------------------------------------------- writing


def _as_rgb(frame: Any, i: int, path: Path) -> np.ndarray:
    a = np.asarray(frame)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise MediaError(path, f"frame {i} has shape {a.shape}; expected (H, W, 3) RGB, (H, W, 4) or (H, W)")
    a = a[:, :, :3]
    if a.dtype != np.uint8:
        if np.issubdtype(a.dtype, np.floating):
            a = np.clip(a * 255.0 + 0.5, 0, 255)
        a = a.astype(np.uint8)
    return np.ascontiguousarray(a)


def _crf(quality: int | None) -> int:
    if quality is None:
        return 18
    if not isinstance(quality, (int, np.integer)) or not 0 <= quality <= 10:
        raise RequestError("quality", quality, "an int 0 (smallest) .. 10 (best), or None")
    return round(51 - 4 * quality)


X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow")


def _video_args(codec: str, crf: int, preset: str = "veryfast") -> list[str]:
    if codec == "h264":
        return ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
                "-movflags", "+faststart", "-f", "mp4"]  # fmt: skip
    return ["-c:v", "libvpx-vp9", "-crf", str(min(63, crf + 12)), "-b:v", "0", "-deadline", "realtime",
            "-cpu-used", "8", "-row-mt", "1", "-pix_fmt", "yuv420p", "-f", "webm"]  # fmt: skip


def _check_codec(codec: str) -> str:
    if codec not in _CODECS:
        raise RequestError("codec", codec, list(_CODECS))
    return codec


def write_video(
    path: str | os.PathLike[str],
    frames: Iterable[np.ndarray],
    fps: float,
    *,
    quality: int | None = None,
    codec: str = "h264",
    preset: str = "veryfast",
) -> Path:
    """Write RGB frames to a silent, even-sized yuv420p video and return its path.

    ``codec="h264"`` (MP4, ``+faststart``) or ``"vp9"`` (WebM). Frames are ``uint8`` (or floats in
    [0, 1]), all one shape; an odd width/height is scaled to the nearest even size. ``quality`` is 0..10
    (10 best; default ~CRF 18). ``preset`` is x264's speed/size trade (``"ultrafast"`` encodes about twice
    as fast into files about a third larger). The file appears atomically: written to a temp file, then
    ``os.replace``.

    Raises:
      MediaError: no frames, frames of different shapes, or ffmpeg failed.
    """
    path = Path(path).expanduser()
    _check_codec(codec)
    if preset not in X264_PRESETS:
        raise RequestError("preset", preset, X264_PRESETS)
    if not (isinstance(fps, (int, float, np.integer, np.floating)) and math.isfinite(fps) and fps > 0):
        raise RequestError("fps", fps, "a positive number of frames per second")
    crf = _crf(quality)
    it = iter(frames)
    first = next(it, None)
    if first is None:
        raise MediaError(path, "no frames to write (empty input)")
    f0 = _as_rgb(first, 0, path)
    with _files.atomic_path(path) as tmp:
        _encode(tmp, path, f0, it, fps=fps, codec=codec, crf=crf, preset=preset)
    return path


def _encode(
    tmp: Path, path: Path, f0: np.ndarray, rest: Iterator[Any], *, fps: float, codec: str, crf: int,
    preset: str,
) -> None:
    """Pipe ``f0`` then ``rest`` through ffmpeg into ``tmp``; errors name ``path`` (the file asked for)."""
    h, w = f0.shape[:2]
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", f"{float(fps):.6g}", "-i", "-",
           "-an", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2", *_video_args(codec, crf, preset),
           str(tmp)]  # fmt: skip
    err = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
    _LIVE.add(proc)
    try:
        assert proc.stdin is not None
        try:
            proc.stdin.write(f0.tobytes())
            for i, fr in enumerate(rest, start=1):
                a = _as_rgb(fr, i, path)
                if a.shape != f0.shape:
                    raise MediaError(path, f"frame {i} has shape {a.shape}, frame 0 has {f0.shape}")
                proc.stdin.write(a.tobytes())
        except BrokenPipeError:
            pass
        finally:
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
        rc = proc.wait()
        if rc != 0:
            err.seek(0)
            msg = err.read().decode("utf-8", "replace").strip().splitlines()
            raise MediaError(path, f"ffmpeg could not write the video: {msg[-1] if msg else rc}")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        _LIVE.discard(proc)
        err.close()


# --------------------------------------------------------------------------------------------- preview


def preview_dir() -> Path:
    """Where preview transcodes are cached: ``previews/`` under the cache root (``$LUMAKIT_CACHE_DIR``)."""
    return _files.cache_root() / "previews"


def content_digest(video: VideoLike) -> str:
    """SHA-256 of a file's bytes (memoized per file identity); of the string for a URL."""
    src = source_path(video)
    if isinstance(src, str):
        return hashlib.sha256(src.encode()).hexdigest()
    _check_file(src)
    return _files.digest(src)


def preview(
    video: VideoLike,
    max_side: int = 480,
    *,
    codec: str = "h264",
    crf: int = 30,
    fps: float | None = None,
) -> Path:
    """A small silent video for embedding: longest side ≤ ``max_side`` (never upscaled), even size.

    ``codec="h264"`` gives yuv420p H.264 MP4 with ``+faststart``; ``"vp9"`` gives WebM; ``"gif"`` a looping
    GIF (at most 12.5 fps) for front ends that play neither. ``fps`` caps the frame rate. Cached by content
    under :func:`preview_dir`, so showing the same clip again is free.
    """
    if codec not in _PREVIEW_CODECS:
        raise RequestError("codec", codec, list(_PREVIEW_CODECS))
    if not isinstance(max_side, (int, np.integer)) or max_side < 16:
        raise RequestError("max_side", max_side, "an int >= 16 (pixels)")
    info = probe(video)
    key = f"{content_digest(info.path)[:24]}-{max_side}-{codec}-{crf}-{fps or 0:g}"
    out = preview_dir() / f"{key}{_PREVIEW_CODECS[codec]}"
    if out.exists() and out.stat().st_size > 0:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    scale = min(1.0, max_side / max(info.width, info.height))
    w = max(2, int(info.width * scale) // 2 * 2)
    h = max(2, int(info.height * scale) // 2 * 2)
    vf = f"scale={w}:{h}:flags=area"
    if codec == "gif":  # a palette per clip; 12.5 fps (GIF delays are in 1/100 s) keeps GIFs small
        fps = min(fps or 12.5, 12.5)
    if fps and fps < info.fps:
        vf = f"fps={fps:g}," + vf
    args = _video_args(codec, crf) if codec != "gif" else ["-loop", "0", "-f", "gif"]
    if codec == "gif":
        vf += ",split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=4"
    with _files.atomic_path(out) as tmp:
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(info.path),
               "-map", "0:v:0", "-an", "-sn", "-dn", "-map_metadata", "-1", "-vf", vf,
               *args, str(tmp)]  # fmt: skip
        proc = _run(cmd)
        if proc.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
            detail = _explain(info.path, proc.stderr.decode())
            raise MediaError(info.path, "preview transcode failed: " + detail)
    return out
