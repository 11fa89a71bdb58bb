"""The values a request is made of: the strength dial, the per-signal controls, sources and keyframes.

Each checks itself on construction and raises :class:`~lumakit.errors.RequestError` naming the parameter, the
bad value and what is allowed, with the code and dotted wire path the local backend answers for the same
mistake. No I/O but one ``stat`` (a local source path must exist).
"""

from __future__ import annotations

import base64
import enum
import functools
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from ..errors import RequestError
from ..wire.answers import INVALID_IMAGE, INVALID_VIDEO
from ..wire.checks import conflict, did_you_mean
from ..wire.spec import (
    CONTROL_FIELDS,
    FRAME_POSITIONS,
    POSE_STRENGTHS,
    SOURCE_FIELDS,
    SOURCE_MEDIA_TYPES,
    UNIT_CONTROLS,
    sniff,
)
from ..wire.tasks import SourceKind, auto_frames, placeholder, source_kind

__all__ = [
    "BANDS",
    "CONTROL_NAMES",
    "ONE_PER_BAND",
    "STRENGTHS",
    "UNIT_CONTROLS",
    "Controls",
    "Keyframe",
    "Source",
    "SourceKind",
    "Strength",
    "band_levels",
    "classify_source",
    "coerce_keyframes",
]


# ---- strength ------------------------------------------------------------------------------------------
@functools.total_ordering
class Strength(str, enum.Enum):
    """The nine-step strength dial, ordered from closest to the source to loosest.

    >>> Strength.coerce("flex_2").band, Strength.coerce("flex_2").level
    ('flex', 2)
    >>> Strength.ADHERE_3 < Strength.FLEX_1
    True
    """

    ADHERE_1 = "adhere_1"
    ADHERE_2 = "adhere_2"
    ADHERE_3 = "adhere_3"
    FLEX_1 = "flex_1"
    FLEX_2 = "flex_2"
    FLEX_3 = "flex_3"
    REIMAGINE_1 = "reimagine_1"
    REIMAGINE_2 = "reimagine_2"
    REIMAGINE_3 = "reimagine_3"

    @property
    def band(self) -> str:
        """``adhere`` (stay close), ``flex`` or ``reimagine`` (loose echo)."""
        return self.value.rsplit("_", 1)[0]

    @property
    def level(self) -> int:
        """1, 2 or 3 within the band."""
        return int(self.value.rsplit("_", 1)[1])

    @property
    def position(self) -> int:
        """0 (``adhere_1``) to 8 (``reimagine_3``): the position on the dial."""
        return _DIAL.index(self.value)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Strength):
            return NotImplemented
        return self.position < other.position

    def __str__(self) -> str:
        return self.value

    @classmethod
    def coerce(cls, value: Strength | str, parameter: str = "strength") -> Strength:
        """Accept a :class:`Strength` or its string form; anything else is a :class:`RequestError`."""
        if isinstance(value, Strength):
            return value
        if isinstance(value, str):
            try:
                return cls(value)
            except ValueError:
                pass
        raise RequestError(
            parameter,
            value,
            STRENGTHS,
            message=f"{parameter}={value!r} is not a strength level{did_you_mean(value, STRENGTHS)}",
            code="invalidStrength",
            wire="settings.edit.strength",
        )


STRENGTHS: tuple[str, ...] = tuple(s.value for s in Strength)
_DIAL = list(STRENGTHS)
BANDS: tuple[str, ...] = ("adhere", "flex", "reimagine")
ONE_PER_BAND: tuple[str, ...] = ("adhere_1", "flex_2", "reimagine_3")  # the design's quick A/B preset


def band_levels(band: str) -> tuple[Strength, ...]:
    """The three levels of a band, e.g. ``band_levels("flex")``."""
    if band not in BANDS:
        raise RequestError("band", band, BANDS, code="invalidStrength")
    return tuple(s for s in Strength if s.band == band)


# ---- controls ------------------------------------------------------------------------------------------
CONTROL_NAMES: tuple[str, ...] = tuple(CONTROL_FIELDS)  # the fields of Controls, in display order


def _check_unit(name: str, value: Any, wire: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RequestError(name, value, "a number from 0 to 1", code="invalidControls", wire=wire)
    if not 0.0 <= float(value) <= 1.0:
        raise RequestError(
            name,
            value,
            "a number from 0 to 1",
            message=f"{name}={value!r} is out of range",
            code="invalidControls",
            wire=wire,
        )
    return float(value)


@dataclass(frozen=True)
class Controls:
    """Per-signal conditioning knobs. Unset (``None``) fields are left out of the request.

    - ``pose_strength``: ``"precise"`` holds the subject's pose and outline tightly, ``"coarse"`` loosely.
    - ``depth_blur``, ``normals_augmentation``, ``trajectory_sparsity``: 0 to 1; higher gives more freedom
      (looser geometry, looser surface detail, fewer motion anchors).
    - ``face``: bias toward keeping a recognizable face.
    """

    pose_strength: Literal["precise", "coarse"] | None = None
    depth_blur: float | None = None
    normals_augmentation: float | None = None
    trajectory_sparsity: float | None = None
    face: bool | None = None

    def __post_init__(self) -> None:
        if self.pose_strength is not None and self.pose_strength not in POSE_STRENGTHS:
            hint = did_you_mean(str(self.pose_strength), POSE_STRENGTHS)
            raise RequestError(
                "pose_strength",
                self.pose_strength,
                POSE_STRENGTHS,
                message=f"pose_strength={self.pose_strength!r} is not a pose strength{hint}",
                code="invalidControls",
                wire="settings.edit.controls.poseStrength",
            )
        for name in UNIT_CONTROLS:
            value = getattr(self, name)
            if value is not None:
                wire = f"settings.edit.controls.{CONTROL_FIELDS[name]}"
                object.__setattr__(self, name, _check_unit(name, value, wire))
        if self.face is not None and not isinstance(self.face, bool):
            raise RequestError(
                "face",
                self.face,
                ("True", "False"),
                code="invalidControls",
                wire="settings.edit.controls.face",
            )

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))

    def to_wire(self) -> dict[str, Any]:
        """The ``settings.edit.controls`` object: only the fields that are set, camelCase."""
        return {CONTROL_FIELDS[f.name]: v for f in fields(self) if (v := getattr(self, f.name)) is not None}

    @classmethod
    def coerce(cls, value: Controls | Mapping[str, Any] | None) -> Controls | None:
        """Accept :class:`Controls`, a dict with snake_case or camelCase keys, or ``None``."""
        if value is None or isinstance(value, Controls):
            return value
        if not isinstance(value, Mapping):
            raise RequestError(
                "controls",
                value,
                "lk.Controls(...) or a dict of controls",
                code="invalidControls",
                wire="settings.edit.controls",
            )
        by_wire = {w: s for s, w in CONTROL_FIELDS.items()}
        kwargs: dict[str, Any] = {}
        for key, v in value.items():
            name = key if key in CONTROL_FIELDS else by_wire.get(key)
            if name is None:
                raise RequestError(
                    f"controls.{key}",
                    v,
                    list(CONTROL_FIELDS),
                    message=f"unknown control {key!r}{did_you_mean(key, [*CONTROL_FIELDS, *by_wire])}",
                    code="invalidControls",
                    wire=f"settings.edit.controls.{key}",
                )
            kwargs[name] = v
        return cls(**kwargs)


# ---- sources -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """Where a video or image comes from, classified by its form before the disk is touched.

    ``kind`` is ``url`` (http/https), ``uuid`` (an earlier generation's videoUUID or a mediaUUID), ``data``
    (a data URI, or bare base64 content: :meth:`from_bytes` makes one) or ``path`` (a local file, uploaded by
    the client). ``local_path`` is set when a local copy is known (a path, or a lumakit ``Result`` that was
    downloaded).
    """

    kind: SourceKind
    value: str
    local_path: str | None = None

    def wire(self) -> str:
        """The value that goes on the wire; a local path shows as a placeholder until it is uploaded."""
        if self.kind == "path":
            return placeholder(Path(self.value).name)
        return self.value

    @classmethod
    def from_bytes(cls, data: bytes, mime: str | None = None) -> Source:
        """Content sent inline as a data URI (``data:video/mp4;base64,...``), as Runware's reframe guide sends
        ``inputs.video``. ``mime`` is read from the bytes (MP4, MOV, WebM, PNG, JPEG, GIF, WebP) when not
        given. Inline content travels in every request that uses it: upload a large clip (a path) instead.
        """
        if not isinstance(data, (bytes, bytearray, memoryview)) or not bytes(data):
            raise RequestError(
                "data", type(data).__name__, "non-empty bytes", code=INVALID_VIDEO, wire="inputs"
            )
        data = bytes(data)
        if mime is None:
            ext = sniff(data)
            if ext is None:
                raise RequestError(
                    "mime",
                    None,
                    "bytes of an MP4, MOV, WebM, PNG, JPEG, GIF or WebP file, or give mime='video/mp4'",
                    message="Source.from_bytes: the bytes are no media type lumakit knows",
                    code=INVALID_VIDEO,
                    wire="inputs",
                )
            mime = SOURCE_MEDIA_TYPES[ext]
        return cls("data", f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}")

    @classmethod
    def from_wire(cls, value: Any, parameter: str = "video") -> Source:
        """A source as a wire task gives it: a URL, a UUID, a data URI, else base64 content (local paths
        never travel on the wire)."""
        src = classify_source(value, parameter)
        return cls("data", src.value) if src.kind == "path" else src


def classify_source(value: Any, parameter: str = "video") -> Source:
    """Classify a source: URL, UUID, data URI, existing local path, or a lumakit ``Result``."""
    if isinstance(value, Source):
        return value
    # a lumakit Result (duck-typed: request.py must not import results)
    video_uuid = getattr(value, "video_uuid", None)
    result_path = getattr(value, "path", None)
    if video_uuid is not None or (result_path is not None and not isinstance(value, (str, Path))):
        local = str(result_path) if result_path is not None else None
        if video_uuid:
            return Source("uuid", str(video_uuid), local_path=local)
        if local:
            return classify_source(local, parameter)
    if isinstance(value, Path):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise RequestError(
            parameter,
            value,
            "an http(s) URL, a data: URI, the UUID of an earlier generation, a local file path "
            "or a lumakit Result",
            code=INVALID_VIDEO if parameter == "video" else INVALID_IMAGE,
            wire=SOURCE_FIELDS.get(parameter, parameter),
        )
    text = value.strip()
    kind = source_kind(text)
    if kind == "path" and _looks_like_base64(text):
        return Source("data", text)  # bare base64 content, as Runware's reframe guide allows
    if kind == "uuid":
        return Source("uuid", text.lower())
    return Source(kind, text, local_path=text if kind == "path" else None)


_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}\Z")
_MIN_BASE64 = 256  # characters: shorter strings are taken as file names (no media file is that small)


def _looks_like_base64(text: str) -> bool:
    """Whether a string is bare base64 content rather than a file name: long, of the base64 alphabet only
    (no dot, no space), a whole number of 4-character groups."""
    return len(text) >= _MIN_BASE64 and len(text) % 4 == 0 and _BASE64.match(text) is not None


def check_file(source: Source, parameter: str) -> None:
    """Local paths must exist (a stat, and for a folder a look at its names: the only disk touch here)."""
    if source.kind == "path" and not Path(source.value).expanduser().is_file():
        folder = Path(source.value).expanduser()
        if folder.is_dir():
            raise folder_error(parameter, folder)
        raise RequestError(
            parameter,
            source.value,
            "an existing file, an http(s) URL, a data: URI, base64 content or a UUID",
            message=f"{parameter}={source.value!r}: no such file",
            code=INVALID_VIDEO if parameter == "video" else INVALID_IMAGE,
            wire=SOURCE_FIELDS.get(parameter, parameter),
        )


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".avif")
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi")


def folder_error(parameter: str, folder: Path) -> RequestError:
    """The error for a folder given where one file is wanted, naming a file inside it when there is one."""
    wanted = VIDEO_SUFFIXES if parameter == "video" else IMAGE_SUFFIXES
    example = None
    with os.scandir(folder) as entries:
        for i, entry in enumerate(entries):
            if i >= 1000:
                break
            if Path(entry.name).suffix.lower() in wanted and entry.is_file():
                example = entry.name
                break
    hint = f" (for example {str(folder / example)!r})" if example else ""
    return RequestError(
        parameter,
        str(folder),
        f"one {'video' if parameter == 'video' else 'image'} file",
        message=f"{parameter}={str(folder)!r} is a folder, not a file: pass one file inside it{hint}",
        code=INVALID_VIDEO if parameter == "video" else INVALID_IMAGE,
        wire=SOURCE_FIELDS.get(parameter, parameter),
    )


# ---- keyframes -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Keyframe:
    """An image anchor: ``frame`` is ``"first"``, ``"last"`` or a zero-based frame index.

    A first/last frame image makes a 5 s image-to-video; keyframes at indices take 5 or 10 s, 2 to 64 anchors
    in all, each within the clip (0..120 at 5 s, 0..240 at 10 s); see :mod:`lumakit.request.ray_limits`.
    """

    image: Any
    frame: str | int = "first"

    def __post_init__(self) -> None:
        source = classify_source(self.image, "image")
        check_file(source, "image")
        object.__setattr__(self, "image", source)
        ok = self.frame in FRAME_POSITIONS or (
            isinstance(self.frame, int) and not isinstance(self.frame, bool) and self.frame >= 0
        )
        if not ok:
            raise RequestError(
                "frame",
                self.frame,
                '"first", "last" or a zero-based frame index',
                code="invalidFrameImages",
                wire="inputs.frameImages.frame",
            )


def coerce_keyframes(items: Any) -> tuple[Keyframe, ...]:
    """Keyframes from :class:`Keyframe`, ``(image, frame)`` pairs or ``{"image", "frame"}`` dicts; one
    image per frame."""
    if items is None:
        return ()
    if isinstance(items, (str, Keyframe, Mapping)) or not isinstance(items, Iterable):
        raise RequestError(
            "keyframes",
            items,
            'a list of lk.Keyframe(image, "first" | "last" | index)',
            code="invalidFrameImages",
            wire="inputs.frameImages",
        )
    items = list(items)
    # an entry without a frame ({"image": ...} or (image,)) is placed as Runware places it (auto_frames)
    given = [k.frame if isinstance(k, Keyframe) else _frame_of(k) for k in items]
    frames = auto_frames(given)
    anchors = tuple(
        k if isinstance(k, Keyframe) else Keyframe(_image_of(k), frame)
        for k, frame in zip(items, frames, strict=True)
    )
    return one_image_per_frame(anchors)


def _frame_of(entry: Any) -> Any:
    if isinstance(entry, Mapping):
        return entry.get("frame")
    if isinstance(entry, (tuple, list)):
        return entry[1] if len(entry) > 1 else None
    raise RequestError(
        "keyframes",
        entry,
        'lk.Keyframe(image, frame), an (image, frame) pair or {"image": ..., "frame": ...}',
        code="invalidFrameImages",
        wire="inputs.frameImages",
    )


def _image_of(entry: Any) -> Any:
    if isinstance(entry, Mapping):
        unknown = set(entry) - {"image", "frame"}
        if unknown or "image" not in entry:
            raise RequestError(
                "keyframes",
                dict(entry),
                '{"image": ..., "frame": ...}',
                code="invalidFrameImages",
                wire="inputs.frameImages",
            )
        return entry["image"]
    if len(entry) > 2 or not entry:
        raise RequestError(
            "keyframes", entry, "(image, frame)", code="invalidFrameImages", wire="inputs.frameImages"
        )
    return entry[0]


def one_image_per_frame(anchors: tuple[Keyframe, ...]) -> tuple[Keyframe, ...]:
    """``anchors`` when no two of them pin the same frame."""
    positions = [k.frame for k in anchors]
    if len(set(positions)) != len(positions):
        raise conflict("keyframes", f"two images for the same frame: {positions}", "inputs.frameImages")
    return anchors
