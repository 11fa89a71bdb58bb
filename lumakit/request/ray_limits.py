"""What Ray refuses beyond the schema's fields, checked before anything is sent, each refusal naming the
parameter, the allowed values and where the limit is documented: keyframes (count, frame range, duration),
``loop`` with what it does not go with, reframes to 9:16 or 3:4 at 1080p, a reframe's size against a different
``resolution``. And the one warning: a width/height in no tier's size table is sent, with the nearest sizes.

Both sides read these: the Python request models call them, and :func:`~lumakit.request.parse_task` (the local
backend's reading of a wire task) builds the same models, so both refuse alike. No I/O.
"""

from __future__ import annotations

import contextlib
import contextvars
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import RequestError, UnpublishedSizeWarning
from ..wire.spec import (
    DEFAULT_RESOLUTION,
    FRAME_POSITIONS,
    FRAMES_PER_SECOND,
    IMAGE_TO_VIDEO_DURATIONS,
    KEYFRAME_COUNT,
    KEYFRAMES_SOURCE,
    LOOP_SOURCE,
    OUTPUT_SIZES,
    REFRAMES_REFUSED,
    REFRAMES_REFUSED_SOURCE,
    RESOLUTIONS,
    aspect_of_size,
    size_note,
    tier_of_size,
)

_FRAMES = "inputs.frameImages"


def last_frame(duration: int) -> int:
    """The last frame index a keyframe may take in a ``duration`` s clip (120 at 5 s, 240 at 10 s)."""
    return int(duration) * FRAMES_PER_SECOND


def check_anchors(anchors: Sequence[Any], duration: int) -> None:
    """A text/image-to-video's anchors (``Keyframe``s): a first or last frame image makes a 5 s
    image-to-video; integer keyframes take 5 or 10 s, at least 2 and at most 64 anchors in all, each frame
    index within the clip."""
    ends = [k.frame for k in anchors if k.frame in FRAME_POSITIONS]
    indices = [(i, k.frame) for i, k in enumerate(anchors) if k.frame not in FRAME_POSITIONS]
    if ends and duration not in IMAGE_TO_VIDEO_DURATIONS:
        raise RequestError(
            "duration",
            duration,
            IMAGE_TO_VIDEO_DURATIONS,
            message=f"a {' and '.join(ends)} frame image makes an image-to-video, 5 s only (integer "
            f"keyframes alone take 5 or 10 s; source: {KEYFRAMES_SOURCE})",
            code="invalidDuration",
            wire="duration",
        )
    if not indices:
        return
    lo, hi = KEYFRAME_COUNT
    if not lo <= len(anchors) <= hi:
        raise RequestError(
            "keyframes",
            f"<{len(anchors)} keyframe{'s' if len(anchors) != 1 else ''}>",
            f"{lo} to {hi} keyframes (first/last frame images count)",
            message=f"keyframes at frame indices take {lo} to {hi} anchors in all, got {len(anchors)} "
            f"(source: {KEYFRAMES_SOURCE})",
            code="invalidFrameImages",
            wire=_FRAMES,
        )
    end = last_frame(duration)
    at = [0 if k.frame == "first" else end if k.frame == "last" else k.frame for k in anchors]
    twice = sorted({f for f in at if at.count(f) > 1})
    if twice:
        raise RequestError(
            "keyframes",
            [k.frame for k in anchors],
            f"one image per frame (the first frame is frame 0, the last frame is frame {end})",
            message=f"two images for frame {twice[0]} (the first frame is 0, the last {end})",
            code="conflictingParameters",
            wire=_FRAMES,
        )
    for i, frame in indices:
        if not 0 <= frame <= end:
            raise RequestError(
                f"keyframes[{i}].frame",
                frame,
                f"a frame index from 0 to {end} (a {duration} s clip at {FRAMES_PER_SECOND} fps)",
                message=f"keyframe {i} is at frame {frame}, outside the {duration} s clip "
                f"(source: {KEYFRAMES_SOURCE})",
                code="invalidFrameImages",
                wire=f"{_FRAMES}.frame",
            )


def check_loop(anchors: Sequence[Any], duration: int, hdr: bool | None) -> None:
    """``loop=True`` does not go with a 10 s duration, HDR, a last frame image or integer keyframes."""
    clashes = [
        what
        for what, present in (
            (f"duration={duration}", duration != IMAGE_TO_VIDEO_DURATIONS[0]),
            ("hdr=True", bool(hdr)),
            ("a last frame image", any(k.frame == "last" for k in anchors)),
            ("keyframes at frame indices", any(k.frame not in FRAME_POSITIONS for k in anchors)),
        )
        if present
    ]
    if clashes:
        raise RequestError(
            "loop",
            True,
            "False or leave it out",
            message=f"loop=True does not go with {' and '.join(clashes)}: a loop is a 5 s SDR clip from at "
            f"most a first frame (source: {LOOP_SOURCE})",
            code="conflictingParameters",
            wire="settings.loop",
        )


def check_reframe_size(aspect_ratio: str | None, resolution: str | None, size: tuple[int, int]) -> None:
    """A reframe's output: not 9:16 or 3:4 at 1080p, and a width/height never beside another ``resolution``
    (lumakit would send the size only, while the price read the resolution)."""
    tier = tier_of_size(*size)
    if aspect_ratio is None and resolution is not None and resolution != tier:
        raise RequestError(
            "resolution",
            resolution,
            (tier,),
            message=f"resolution={resolution!r} does not match width={size[0]}, height={size[1]}, a {tier} "
            f"size: give one of them, or the resolution of that size (lumakit's rule, so what is sent and "
            "what is priced agree)",
            code="conflictingParameters",
            wire="resolution",
        )
    aspect = aspect_ratio or aspect_of_size(*size)
    tier = (resolution or DEFAULT_RESOLUTION) if aspect_ratio else tier
    if aspect is not None and (aspect, tier) in REFRAMES_REFUSED:
        allowed = [t for t in RESOLUTIONS if (aspect, t) not in REFRAMES_REFUSED]
        raise RequestError(
            "resolution" if aspect_ratio else "width/height",
            (resolution or tier) if aspect_ratio else size,
            [f"{aspect} at {t} ({w}x{h})" for t in allowed for w, h in [OUTPUT_SIZES[(aspect, t)]]],
            message=f"Ray does not reframe to {aspect} at {tier}; take a lower tier "
            f"(source: {REFRAMES_REFUSED_SOURCE})",
            code="invalidDimensions",
            wire="width",
        )


# ---- the unpublished-size warning: once, on the side that chose the size ---------------------------------
_READING_THE_WIRE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "lumakit_reading_wire", default=False
)


@contextlib.contextmanager
def reading_the_wire() -> Iterator[None]:
    """While a wire task is read (the local backend), the size warning is not raised: the backend says it in
    its answer instead (:func:`lumakit.wire.spec.size_note`)."""
    token = _READING_THE_WIRE.set(True)
    try:
        yield
    finally:
        _READING_THE_WIRE.reset(token)


def warn_unpublished_size(width: Any, height: Any) -> None:
    """Warn (:class:`~lumakit.errors.UnpublishedSizeWarning`) when a width/height is in no tier's table."""
    note = size_note(width, height)
    if note is not None and not _READING_THE_WIRE.get():
        warnings.warn(note, UnpublishedSizeWarning, stacklevel=4)
