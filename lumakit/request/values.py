"""The values a request is made of: the strength dial, the per-signal controls, sources and keyframes.

Each checks itself on construction and raises :class:`~lumakit.errors.RequestError` naming the parameter, the
bad value and what is allowed, with the code and dotted wire path the local backend answers for the same
mistake. No I/O but one ``stat`` (a local source path must exist).
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from ..errors import RequestError
from ..wire.answers import INVALID_IMAGE, INVALID_VIDEO
from ..wire.checks import conflict, did_you_mean
from ..wire.spec import CONTROL_FIELDS, FRAME_POSITIONS, POSE_STRENGTHS, SOURCE_FIELDS, UNIT_CONTROLS
from ..wire.tasks import SourceKind, placeholder, source_kind

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

    @property
    def index(self) -> int:  # type: ignore[override]
        """The old name of :attr:`position` (notebook 02 uses it); it shadows ``str.index``, so prefer
        ``position``."""
        return self.position

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
    (a data URI) or ``path`` (a local file, uploaded by the client). ``local_path`` is set when a local copy
    is known (a path, or a lumakit ``Result`` that was downloaded).
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
    if kind == "uuid":
        return Source("uuid", text.lower())
    return Source(kind, text, local_path=text if kind == "path" else None)


def check_file(source: Source, parameter: str) -> None:
    """Local paths must exist (this is a stat, not a read: the only disk touch in this module)."""
    if source.kind == "path" and not Path(source.value).expanduser().is_file():
        raise RequestError(
            parameter,
            source.value,
            "an existing file, an http(s) URL, a data: URI or a UUID",
            message=f"{parameter}={source.value!r}: no such file",
            code=INVALID_VIDEO if parameter == "video" else INVALID_IMAGE,
            wire=SOURCE_FIELDS.get(parameter, parameter),
        )


# ---- keyframes -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Keyframe:
    """An image anchor for image-to-video: ``frame`` is ``"first"``, ``"last"`` or a zero-based index."""

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
    anchors = tuple(
        k if isinstance(k, Keyframe) else Keyframe(*k) if isinstance(k, (tuple, list)) else Keyframe(**k)
        for k in items
    )
    return one_image_per_frame(anchors)


def one_image_per_frame(anchors: tuple[Keyframe, ...]) -> tuple[Keyframe, ...]:
    """``anchors`` when no two of them pin the same frame."""
    positions = [k.frame for k in anchors]
    if len(set(positions)) != len(positions):
        raise conflict("keyframes", f"two images for the same frame: {positions}", "inputs.frameImages")
    return anchors
