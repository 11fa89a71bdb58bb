"""What the local backend renders at most: source sizes, frame counts and lengths, checked before a render.

    problem = video_problem("modify", media.probe(path))   # None, or why the source is refused
    problem = image_problem(media.probe(png))

A source is probed (its header only: ``ffmpeg -i`` and a packet count, no frame decoded) and refused with
``invalidVideo`` / ``invalidImage`` when it is over a limit, so a small file that declares 16000x16000 never
reaches the renderer. Lengths are Runware's (18 s of source for an edit, 30 s for a reframe:
:data:`lumakit.wire.spec.MAX_SOURCE_SECONDS_BY_KIND`); sizes and frame counts are ours (Runware publishes
none): a source frame is at most :data:`MAX_SIDE` pixels a side and :data:`MAX_PIXELS` in all (4K UHD), and a
source has at most :data:`MAX_FPS` frames a second of the longest length its job kind takes.
"""

from __future__ import annotations

import math

from ..media import VideoInfo
from ..wire.spec import JOB_NAMES, MAX_SOURCE_SECONDS_BY_KIND, source_length_problem

MAX_SIDE = 4096  # pixels, either side of a source frame or image [ours]
MAX_PIXELS = 3840 * 2160  # pixels in one source frame (4K UHD) [ours]
MAX_IMAGE_PIXELS = 4096 * 4096  # pixels in one anchor / first / last frame image [ours]
MAX_FPS = 120  # frames per second of source, on average [ours]
MAX_FRAMES_BY_KIND = {kind: math.ceil(s * MAX_FPS) for kind, s in MAX_SOURCE_SECONDS_BY_KIND.items()}
LENGTH_TOLERANCE = 0.05  # seconds a container's rounding may add to the length limit


def _size_problem(info: VideoInfo, what: str, max_pixels: int) -> str | None:
    w, h = info.width, info.height
    if w <= 0 or h <= 0:
        return f"{what} declares no frame size ({w}x{h})"
    if max(w, h) > MAX_SIDE or w * h > max_pixels:
        return (
            f"{what} is {w}x{h}; the local backend renders sources up to {MAX_SIDE} pixels a side and "
            f"{max_pixels:,} pixels a frame (scale it down first)"
        )
    return None


def video_problem(kind: str, info: VideoInfo) -> str | None:
    """Why a source video is over the limits of a job of ``kind`` (``modify``, ``reframe``), or None."""
    problem = _size_problem(info, "the source video", MAX_PIXELS)
    if problem is not None:
        return problem
    problem = source_length_problem(kind, info.duration, tolerance=LENGTH_TOLERANCE)
    if problem is not None:
        return problem
    max_frames = MAX_FRAMES_BY_KIND.get(kind)
    if max_frames is not None and info.n_frames > max_frames:
        return (
            f"the source video has {info.n_frames} frames; a {JOB_NAMES[kind]} on the local backend takes at "
            f"most {max_frames} ({MAX_FPS} frames a second for {MAX_SOURCE_SECONDS_BY_KIND[kind]:g} s)"
        )
    return None


def image_problem(info: VideoInfo) -> str | None:
    """Why a frame image is over the limits, or None."""
    return _size_problem(info, "the image", MAX_IMAGE_PIXELS)
