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
import math
import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .. import _files
from ..errors import MediaError, RequestError
from ._exr import EXR_MARK, exr_video, is_exr
from ._probe import (
    _LIVE,
    HDR_MARK,
    VideoInfo,
    VideoLike,
    _check_file,
    _explain,
    _run,
    describe,
    ffmpeg_exe,
    identity,
    is_remote,
    live_processes,
    probe,
    source_path,
)
from ._read import (
    SELECT_MAX,
    display_filter,
    frame_centres,
    frame_index,
    frame_times,
    frames,
    frames_at,
    iter_frames,
    prefetched,
)

__all__ = [
    "CODECS",
    "EXR_MARK",
    "HDR_MARK",
    "PREVIEW_CODECS",
    "SELECT_MAX",
    "VideoInfo",
    "VideoLike",
    "describe",
    "display_filter",
    "exr_video",
    "ffmpeg_exe",
    "frame_centres",
    "frame_index",
    "frame_times",
    "frames",
    "frames_at",
    "identity",
    "is_exr",
    "is_exr_source",
    "is_remote",
    "iter_frames",
    "labeled",
    "live_processes",
    "materialize",
    "prefetched",
    "preview",
    "probe",
    "source_path",
    "write_video",
]

CODECS = {"h264": ".mp4", "vp9": ".webm"}  # what lumakit writes, and what the synced player plays
PREVIEW_CODECS = {**CODECS, "gif": ".gif"}  # GIF: for front ends that play no H.264 nor VP9
_AUDIO_ARGS = {"h264": ["-c:a", "aac", "-b:a", "96k"], "vp9": ["-c:a", "libopus", "-b:a", "96k"]}


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


_MAGIC = ((b"GIF8", 0, ".gif"), (b"\x1a\x45\xdf\xa3", 0, ".webm"), (b"ftyp", 4, ".mp4"))


def materialize(video: Any, *, fps: float = 24.0) -> Any:
    """A frame array or a video file's bytes as a file (cached by content), EXR frames as their tone-mapped
    video (:func:`exr_video`, at ``fps``); anything else unchanged.

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
            _files.write_bytes(out, data)
        return out
    exr = _local_exr(video)
    return exr_video(exr, fps=fps) if exr is not None else video


def is_exr_source(video: Any) -> bool:
    """True when ``video`` names local EXR frames (``.exr``, a folder or a ``.zip`` of them)."""
    return _local_exr(video) is not None


def _local_exr(video: Any) -> Path | None:
    """The local EXR frames (``.exr``, a folder or a ``.zip`` of them) ``video`` names, else None."""
    if not isinstance(video, (str, os.PathLike)) and getattr(video, "path", None) is None:
        return None
    try:
        src = source_path(video)
    except (RequestError, MediaError):
        return None
    if isinstance(src, str) or not (src.is_dir() or src.suffix.lower() in (".exr", ".zip")):
        return None
    return src if src.exists() and is_exr(src) else None


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
    if codec not in CODECS:
        raise RequestError("codec", codec, list(CODECS))
    return codec


def write_video(
    path: str | os.PathLike[str],
    frames: Iterable[np.ndarray],
    fps: float,
    *,
    quality: int | None = None,
    codec: str = "h264",
    preset: str = "veryfast",
    size: tuple[int, int] | None = None,
) -> Path:
    """Write RGB frames to a silent, even-sized yuv420p video and return its path.

    ``codec="h264"`` (MP4, ``+faststart``) or ``"vp9"`` (WebM). Frames are ``uint8`` (or floats in
    [0, 1]), all one shape; an odd width/height is scaled to the nearest even size. ``quality`` is 0..10
    (10 best; default ~CRF 18). ``preset`` is x264's speed/size trade (``"ultrafast"`` encodes about twice
    as fast into files about a third larger). ``size=(w, h)`` scales the frames to that size inside ffmpeg
    (bicubic; odd sides rounded down to even). The file appears atomically: written to a temp file, then
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
    if size is not None and not (
        isinstance(size, (tuple, list)) and len(size) == 2
        and all(isinstance(v, (int, np.integer)) and v >= 2 for v in size)
    ):  # fmt: skip
        raise RequestError("size", size, "a (width, height) tuple of ints >= 2, or None")
    it = iter(frames)
    first = next(it, None)
    if first is None:
        raise MediaError(path, "no frames to write (empty input)")
    f0 = _as_rgb(first, 0, path)
    with _files.atomic_path(path) as tmp:
        _encode(tmp, path, f0, it, fps=fps, codec=codec, crf=crf, preset=preset, size=size)
    return path


def _encode(
    tmp: Path,
    path: Path,
    f0: np.ndarray,
    rest: Iterator[Any],
    *,
    fps: float,
    codec: str,
    crf: int,
    preset: str,
    size: tuple[int, int] | None = None,
) -> None:
    """Pipe ``f0`` then ``rest`` through ffmpeg into ``tmp``; errors name ``path`` (the file asked for)."""
    h, w = f0.shape[:2]
    scale = "scale=trunc(iw/2)*2:trunc(ih/2)*2"
    if size is not None and (int(size[0]) // 2 * 2, int(size[1]) // 2 * 2) != (w, h):
        scale = f"scale={int(size[0]) // 2 * 2}:{int(size[1]) // 2 * 2}:flags=bicubic"
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", f"{float(fps):.6g}", "-i", "-",
           "-an", "-vf", scale, *_video_args(codec, crf, preset),
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
    return _files.cache_root() / _files.PREVIEWS


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
    audio: bool = False,
) -> Path:
    """A small video for embedding: longest side ≤ ``max_side`` (never upscaled), even size.

    Silent unless ``audio`` (then it carries the clip's first audio track, if it has one: AAC in MP4, Opus
    in WebM; a GIF never has sound).

    HDR (PQ/HLG) clips are tone-mapped to SDR (the user's file is untouched); frame timestamps are kept, so
    a variable-frame-rate clip plays on its own clock.

    ``codec="h264"`` gives yuv420p H.264 MP4 with ``+faststart``; ``"vp9"`` gives WebM; ``"gif"`` a looping
    GIF (at most 12.5 fps) for front ends that play neither. ``fps`` caps the frame rate. Cached by content
    under :func:`preview_dir`, so showing the same clip again is free.
    """
    if codec not in PREVIEW_CODECS:
        raise RequestError("codec", codec, list(PREVIEW_CODECS))
    if not isinstance(max_side, (int, np.integer)) or max_side < 16:
        raise RequestError("max_side", max_side, "an int >= 16 (pixels)")
    info = probe(video)
    key = f"{content_digest(info.path)[:24]}-{max_side}-{codec}-{crf}-{fps or 0:g}"
    key += "-sdr" if info.hdr else ""
    sound = audio and info.has_audio and codec in _AUDIO_ARGS
    key += "-audio" if sound else ""
    out = preview_dir() / f"{key}{PREVIEW_CODECS[codec]}"
    if out.exists() and out.stat().st_size > 0:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    scale = min(1.0, max_side / max(info.width, info.height))
    w = max(2, int(info.width * scale) // 2 * 2)
    h = max(2, int(info.height * scale) // 2 * 2)
    vf = display_filter(info, (w, h)) or "null"  # scaled, and tone-mapped to SDR when the clip is HDR
    if codec == "gif":  # a palette per clip; 12.5 fps (GIF delays are in 1/100 s) keeps GIFs small
        fps = min(fps or 12.5, 12.5)
    if fps and fps < info.fps:
        vf = f"fps={fps:g}," + vf
    args = _video_args(codec, crf) if codec != "gif" else ["-loop", "0", "-f", "gif"]
    if codec == "gif":
        vf += ",split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=4"
    with _files.atomic_path(out) as tmp:
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(info.path),
               "-map", "0:v:0", *(["-map", "0:a:0", *_AUDIO_ARGS[codec]] if sound else ["-an"]),
               "-sn", "-dn", "-map_metadata", "-1", "-vf", vf, *args, str(tmp)]  # fmt: skip
        proc = _run(cmd)
        if proc.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
            detail = _explain(info.path, proc.stderr.decode())
            raise MediaError(info.path, "preview transcode failed: " + detail)
    return out
