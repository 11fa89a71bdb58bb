"""A still image given as a video, refused by the client before anything is uploaded or paid.

    check_video_path("frame.png")          # RequestError: "... this is an image; use `image=` ..."
    check_video_frames(1, "still.mp4")     # RequestError for a one-frame file

A still image (or any one-frame file) given as the video of an edit or reframe would be read by ffmpeg as a
one-frame video, uploaded and billed: it is refused when the job is prepared (:mod:`._prepared`), before the
budget check, the upload and the submit. (A folder given as a file is refused when the request is built:
:func:`lumakit.request.values.check_file`.)
"""

from __future__ import annotations

from pathlib import Path

from ..errors import RequestError
from ..request.values import IMAGE_SUFFIXES
from ..wire.answers import INVALID_VIDEO


def still_image_error(path: str, frames: int | None = None) -> RequestError:
    """The error for a still image, or a one-frame file, given as the video of an edit or a reframe."""
    what = "an image" if frames is None else f"a file with {frames} frame{'s' if frames != 1 else ''}"
    return RequestError(
        "video",
        path,
        "a video file with more than one frame",
        message=(
            f"video={path!r} is {what}, not a video: this is an image; use `image=` for image-to-video "
            "(client.generate(prompt, image=...)). Nothing was uploaded or sent"
        ),
        code=INVALID_VIDEO,
        wire="inputs.video",
    )


def check_video_path(path: str) -> None:
    """Refuse a local file named as a still image before it is probed (``frame.png`` as ``video=``)."""
    if Path(path).suffix.lower() in IMAGE_SUFFIXES:
        raise still_image_error(path)


def check_video_frames(frames: int, path: str) -> None:
    """Refuse a local video that has one frame (or none): ffmpeg reads a still image as one."""
    if frames <= 1:
        raise still_image_error(path, frames)
