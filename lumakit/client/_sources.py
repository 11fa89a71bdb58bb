"""Local sources checked by the client before anything is uploaded or paid: a folder, a still image.

    request = build_request("modify", video="shots/", prompt="...")   # RequestError: "... is a folder ..."
    check_video_frames(info, path)                                     # RequestError for a one-frame file

:func:`lumakit.request.build` refuses a path that is not a file as "no such file"; here a folder is called a
folder, with a file inside it to pass instead. A still image (or any one-frame file) given as the video of an
edit or reframe would be read by ffmpeg as a one-frame video, uploaded and billed: it is refused when the job
is prepared, before the budget check, the upload and the submit.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import RequestError
from ..request import Request, build

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".avif")
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi")
_SOURCE_PARAMETERS = ("video", "image", "last_image")
_WIRE = {"video": "inputs.video", "image": "inputs.frameImages", "last_image": "inputs.frameImages"}


def build_request(kind: str, **fields: Any) -> Request:
    """:func:`lumakit.request.build`, with a folder given as a source refused as a folder."""
    try:
        return build(kind, **fields)
    except RequestError as e:
        if e.parameter in _SOURCE_PARAMETERS:
            folder = _folder(fields.get(e.parameter))
            if folder is not None:
                raise folder_error(e.parameter, folder) from None
        raise


def _folder(value: Any) -> Path | None:
    if isinstance(value, (str, os.PathLike)) and str(value).strip():
        path = Path(str(value).strip()).expanduser()
        if path.is_dir():
            return path
    return None


def folder_error(parameter: str, folder: Path) -> RequestError:
    """The error for a folder given where one file is wanted, naming a file inside it when there is one."""
    wanted = VIDEO_SUFFIXES if parameter == "video" else IMAGE_SUFFIXES
    example = None
    with os.scandir(folder) as entries:
        for i, entry in enumerate(entries):
            if i >= 1000:
                break
            if entry.is_file() and Path(entry.name).suffix.lower() in wanted:
                example = entry.name
                break
    hint = f" (for example {str(folder / example)!r})" if example else ""
    return RequestError(
        parameter,
        str(folder),
        f"one {'video' if parameter == 'video' else 'image'} file",
        message=f"{parameter}={str(folder)!r} is a folder, not a file: pass one file inside it{hint}",
        code="invalidVideo" if parameter == "video" else "invalidImage",
        wire=_WIRE[parameter],
    )


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
        code="invalidVideo",
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
