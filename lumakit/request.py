"""The request model: validate what the user asked for and build Runware's wire JSON. No I/O.

Python names are snake_case; the wire is camelCase; :meth:`to_task` is the one place that maps between them.
Every check raises :class:`~lumakit.errors.RequestError` naming the parameter, the bad value and what is
allowed, before anything is sent. :func:`parse_task` runs the same checks on a wire dict, so the local backend
refuses the same bad input with the same error codes.

Values the public documentation does not settle (marked [up]/[ours] in ``runware-ray32.md``) live in the
constants block below, each a one-line change.
"""

from __future__ import annotations

import abc
import difflib
import enum
import functools
import hashlib
import json
import math
import re
import uuid as _uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from .errors import MediaError, RequestError

# ---- protocol constants (one place; [doc]/[up]/[ours] as in runware-ray32.md) -----------------------------
MODEL = "luma:ray@3.2"  # [doc]
TASK_TYPE = "videoInference"  # [doc]
MAX_PROMPT_CHARS = 6000  # [up]
MAX_EDIT_SECONDS = 18.0  # [up] ComfyUI core's Ray 3.2 edit node: an edit takes at most 18 s of source
MAX_REFRAME_SECONDS = 30.0  # [up] ComfyUI core's reframe node (and two other hosts): up to 30 s
#: Longest source per job kind, in seconds.
MAX_SOURCE_SECONDS_BY_KIND = {"modify": MAX_EDIT_SECONDS, "reframe": MAX_REFRAME_SECONDS}
MAX_SOURCE_SECONDS = MAX_EDIT_SECONDS  # the edit limit, under its old name
RESOLUTIONS = ("360p", "540p", "720p", "1080p")  # [doc]
DEFAULT_RESOLUTION = "720p"  # [ours]
HDR_RESOLUTIONS = ("720p", "1080p")  # [doc] text/image-to-video only; edits take HDR at every tier [doc]
DURATIONS = (5, 10)  # [doc]
IMAGE_TO_VIDEO_DURATIONS = (5,)  # [up]
OUTPUT_FORMATS = ("MP4", "WEBM", "MOV")  # [doc]
OUTPUT_QUALITY_RANGE = (20, 99)  # [doc]
TTL_RANGE = (60, 2_592_000)  # [doc]
POSE_STRENGTHS = ("precise", "coarse")  # [doc]
ASPECT_RATIOS = ("9:16", "3:4", "1:1", "4:3", "16:9", "21:9")  # [up]
JOB_NAMES = {"modify": "edit", "reframe": "reframe", "generate": "text/image-to-video"}
UNSUPPORTED_FIELDS = ("seed", "negativePrompt", "fps", "steps", "CFGScale")  # [doc: absent from the schema]
FRAME_POSITIONS = ("first", "last")  # [doc]
OUTPUT_TYPES = ("URL",)  # [doc] the only value for Ray
DELIVERY_METHODS = ("async", "sync")  # [doc]

# ---- the wire's field names, by level (spec section 2) [doc]; anything else is refused --------------------
#: Documented task fields lumakit does not model: send them with ``extra={...}`` on any request.
EXTRA_FIELDS = ("webhookURL", "uploadEndpoint", "safety", "numberResults")
#: Wire fields that lumakit's own parameters own -> the lumakit parameter to use instead.
OWNED_FIELDS = {
    "taskType": "the request class (ModifyRequest, GenerateRequest, ReframeRequest) sets it",
    "taskUUID": "the client sets it (one fresh UUID per task)",
    "model": "lumakit sets it (always luma:ray@3.2)",
    "positivePrompt": "use prompt=",
    "inputs": "use video= / image= / last_image= / keyframes=",
    "settings": "use strength= / controls= / auto_controls= / hdr= / exr_export= / loop= / source_position=",
    "width": "use width=",
    "height": "use height=",
    "resolution": "use resolution=",
    "duration": "use duration=",
    "outputType": "lumakit sets it (always URL); use output_format=",
    "outputFormat": "use output_format=",
    "outputQuality": "use output_quality=",
    "ttl": "use ttl=",
    "deliveryMethod": "the client sets it (always async)",
    "includeCost": "the client sets it (always true)",
}
TASK_FIELDS = (*OWNED_FIELDS, *EXTRA_FIELDS)
INPUT_FIELDS = ("video", "frameImages")
FRAME_IMAGE_FIELDS = ("image", "frame")
SETTINGS_FIELDS = ("edit", "sourcePosition", "loop", "hdr", "exrExport")
EDIT_FIELDS = ("strength", "controls", "autoControls")

# (aspect ratio, tier) -> (width, height) [ours]: equal area to the tier's 16:9 frame, sides rounded to 16;
# 16:9 and 9:16 are the exact tiers. Matches the documented sizes 1280x720, 720x1280, 960x960, 832x1104.
OUTPUT_SIZES: dict[tuple[str, str], tuple[int, int]] = {
    ("16:9", "360p"): (640, 360),
    ("16:9", "540p"): (960, 540),
    ("16:9", "720p"): (1280, 720),
    ("16:9", "1080p"): (1920, 1080),
    ("9:16", "360p"): (360, 640),
    ("9:16", "540p"): (540, 960),
    ("9:16", "720p"): (720, 1280),
    ("9:16", "1080p"): (1080, 1920),
    ("1:1", "360p"): (480, 480),
    ("1:1", "540p"): (720, 720),
    ("1:1", "720p"): (960, 960),
    ("1:1", "1080p"): (1440, 1440),
    ("4:3", "360p"): (560, 416),
    ("4:3", "540p"): (832, 624),
    ("4:3", "720p"): (1104, 832),
    ("4:3", "1080p"): (1664, 1248),
    ("3:4", "360p"): (416, 560),
    ("3:4", "540p"): (624, 832),
    ("3:4", "720p"): (832, 1104),
    ("3:4", "1080p"): (1248, 1664),
    ("21:9", "360p"): (736, 320),
    ("21:9", "540p"): (1104, 464),
    ("21:9", "720p"): (1472, 624),
    ("21:9", "1080p"): (2192, 944),
}

#: The tier of every size in the table above: 960x960, 832x1104 and 1104x832 are 720p sizes (equal area).
SIZE_TIERS: dict[tuple[int, int], str] = {size: tier for (_, tier), size in OUTPUT_SIZES.items()}
#: Pixels in each tier's 16:9 frame; a size in no table takes the tier of the nearest pixel count [ours].
TIER_PIXELS = {"360p": 640 * 360, "540p": 960 * 540, "720p": 1280 * 720, "1080p": 1920 * 1080}


def tier_of_size(width: int, height: int) -> str:
    """The resolution tier of an output size: the tier whose size table holds it, else the tier of the
    nearest pixel count (a tie goes to the higher tier).

    >>> tier_of_size(832, 1104), tier_of_size(1920, 800), tier_of_size(100, 100)
    ('720p', '1080p', '360p')
    """
    known = SIZE_TIERS.get((int(width), int(height)))
    if known is not None:
        return known
    pixels = int(width) * int(height)
    return min(RESOLUTIONS, key=lambda t: (abs(TIER_PIXELS[t] - pixels), -RESOLUTIONS.index(t)))


# \Z, not $: "$" would also accept a trailing newline
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


def is_uuid(text: object) -> bool:
    """Whether ``text`` is a UUID (8-4-4-4-12 hex digits, any case): one check for both sides of the wire."""
    return isinstance(text, str) and _UUID_RE.match(text) is not None


def _did_you_mean(name: Any, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for a close candidate (case, ``_`` and ``-`` ignored), else ``""``."""
    if not isinstance(name, str):
        return ""
    norm = {c.lower().replace("_", "").replace("-", ""): c for c in candidates}
    close = difflib.get_close_matches(name.lower().replace("_", "").replace("-", ""), list(norm), n=1)
    return f"; did you mean {norm[close[0]]!r}?" if close else ""


def source_length_problem(kind: str, seconds: float, *, tolerance: float = 1e-6) -> str | None:
    """Why a source of ``seconds`` is too long for a job of ``kind`` (``"modify"``, ``"reframe"``), or None.

    >>> source_length_problem("reframe", 20.0) is None
    True
    >>> source_length_problem("modify", 20.0)
    'the source is 20.0 s long; a Ray 3.2 edit takes at most 18 s of source (trim it)'
    """
    limit = MAX_SOURCE_SECONDS_BY_KIND.get(kind)
    if limit is None or seconds <= limit + tolerance:
        return None
    return (
        f"the source is {seconds:.1f} s long; a Ray 3.2 {JOB_NAMES[kind]} takes at most {limit:g} s of "
        "source (trim it)"
    )


def check_source_length(kind: str, seconds: float | None, path: Any = "video") -> None:
    """Raise :class:`~lumakit.errors.MediaError` (naming ``path``) when the source is over the limit of
    its job kind; ``seconds=None`` (length unknown) passes."""
    problem = None if seconds is None else source_length_problem(kind, seconds)
    if problem is not None:
        raise MediaError(path, problem)


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
    def index(self) -> int:  # type: ignore[override]  # shadows str.index on purpose: the dial position
        """0 (``adhere_1``) to 8 (``reimagine_3``): the position on the dial."""
        return list(Strength).index(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Strength):
            return NotImplemented
        return self.index < other.index

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
        hint = ""
        if isinstance(value, str):
            close = difflib.get_close_matches(value.lower(), STRENGTHS, n=1)
            if close:
                hint = f"; did you mean {close[0]!r}?"
        raise RequestError(
            parameter,
            value,
            STRENGTHS,
            message=f"{parameter}={value!r} is not a strength level{hint}",
            code="invalidStrength",
            wire="settings.edit.strength",
        )


STRENGTHS: tuple[str, ...] = tuple(s.value for s in Strength)
BANDS: tuple[str, ...] = ("adhere", "flex", "reimagine")
ONE_PER_BAND: tuple[str, ...] = ("adhere_1", "flex_2", "reimagine_3")  # the design's quick A/B preset


def band_levels(band: str) -> tuple[Strength, ...]:
    """The three levels of a band, e.g. ``band_levels("flex")``."""
    if band not in BANDS:
        raise RequestError("band", band, BANDS, code="invalidStrength")
    return tuple(s for s in Strength if s.band == band)


# ---- controls ------------------------------------------------------------------------------------------
_CONTROL_WIRE = {
    "pose_strength": "poseStrength",
    "depth_blur": "depthBlur",
    "normals_augmentation": "normalsAugmentation",
    "trajectory_sparsity": "trajectorySparsity",
    "face": "face",
}
CONTROL_NAMES: tuple[str, ...] = tuple(_CONTROL_WIRE)  # the fields of Controls, in display order
UNIT_CONTROLS: tuple[str, ...] = ("depth_blur", "normals_augmentation", "trajectory_sparsity")  # 0..1 each


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
            close = difflib.get_close_matches(str(self.pose_strength).lower(), POSE_STRENGTHS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
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
                wire = f"settings.edit.controls.{_CONTROL_WIRE[name]}"
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
        return {_CONTROL_WIRE[f.name]: v for f in fields(self) if (v := getattr(self, f.name)) is not None}

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
        by_wire = {w: s for s, w in _CONTROL_WIRE.items()}
        kwargs: dict[str, Any] = {}
        for key, v in value.items():
            name = key if key in _CONTROL_WIRE else by_wire.get(key)
            if name is None:
                raise RequestError(
                    f"controls.{key}",
                    v,
                    list(_CONTROL_WIRE),
                    message=f"unknown control {key!r}{_did_you_mean(key, [*_CONTROL_WIRE, *by_wire])}",
                    code="invalidControls",
                    wire=f"settings.edit.controls.{key}",
                )
            kwargs[name] = v
        return cls(**kwargs)


# ---- sources -------------------------------------------------------------------------------------------
SourceKind = Literal["url", "uuid", "data", "path"]


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
            return f"<upload {Path(self.value).name}>"
        return self.value


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
            code="invalidVideo" if parameter == "video" else "invalidImage",
            wire=_SOURCE_WIRE.get(parameter, parameter),
        )
    text = value.strip()
    if text.startswith(("http://", "https://")):
        return Source("url", text)
    if text.startswith("data:"):
        return Source("data", text)
    if _UUID_RE.match(text):
        return Source("uuid", text.lower())
    return Source("path", text, local_path=text)


_SOURCE_WIRE = {"video": "inputs.video", "image": "inputs.frameImages", "last_image": "inputs.frameImages"}


def _check_file(source: Source, parameter: str) -> None:
    """Local paths must exist (this is a stat, not a read: the only disk touch in this module)."""
    if source.kind == "path" and not Path(source.value).expanduser().is_file():
        raise RequestError(
            parameter,
            source.value,
            "an existing file, an http(s) URL, a data: URI or a UUID",
            message=f"{parameter}={source.value!r}: no such file",
            code="invalidVideo" if parameter == "video" else "invalidImage",
            wire=_SOURCE_WIRE.get(parameter, parameter),
        )


# ---- shared checks -------------------------------------------------------------------------------------
def _check_prompt(prompt: Any) -> str:
    if not isinstance(prompt, str) or not prompt.strip():
        raise RequestError(
            "prompt",
            prompt,
            "a non-empty string describing the look you want",
            message=f"prompt={prompt!r} is empty",
            code="invalidPositivePrompt",
            wire="positivePrompt",
        )
    if len(prompt) > MAX_PROMPT_CHARS:
        raise RequestError(
            "prompt",
            f"<{len(prompt)} characters>",
            f"at most {MAX_PROMPT_CHARS} characters",
            message="prompt is too long",
            code="invalidPositivePrompt",
            wire="positivePrompt",
        )
    return prompt


def _check_choice(name: str, value: Any, allowed: Iterable[Any], wire: str, code: str) -> Any:
    allowed = tuple(allowed)
    if value is None:
        return None
    norm = value.upper() if isinstance(value, str) and name == "output_format" else value
    if norm not in allowed or (isinstance(value, bool) and not all(isinstance(a, bool) for a in allowed)):
        raise RequestError(name, value, allowed, code=code, wire=wire)
    return norm


def _check_int_range(name: str, value: Any, lo: int, hi: int, wire: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise RequestError(
            name,
            value,
            f"an integer from {lo} to {hi}",
            code=f"invalid{wire[0].upper()}{wire[1:]}",
            wire=wire,
        )
    return value


def _check_bool(name: str, value: Any, wire: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise RequestError(name, value, ("True", "False"), code="invalidParameter", wire=wire)
    return value


def _unsupported(name: str, value: Any, wire: str | None = None) -> RequestError:
    return RequestError(
        name,
        value,
        None,
        message=f"Ray 3.2 does not take {name!r} (results are not reproducible by seed, and negative "
        "prompts, fps, steps and CFG scale are not part of its schema)",
        code="unsupportedParameter",
        wire=wire or name,
    )


def _unknown(name: Any, value: Any, allowed: Iterable[str], wire: str, where: str) -> RequestError:
    allowed = tuple(allowed)
    return RequestError(
        wire,
        value,
        allowed,
        message=f"unknown field {name!r} in {where}{_did_you_mean(name, allowed)}",
        code="invalidParameter",
        wire=wire,
    )


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _check_extra(extra: Any) -> dict[str, Any] | None:
    """``extra={...}``: documented task fields lumakit does not model (:data:`EXTRA_FIELDS`), sent as given.

    A key that a lumakit parameter already owns is refused with that parameter's name, so one value can
    never be set twice.
    """
    if extra is None:
        return None
    if not isinstance(extra, Mapping):
        raise RequestError("extra", extra, "a dict of task fields, e.g. {'webhookURL': 'https://...'}")
    out: dict[str, Any] = {}
    for key, value in extra.items():
        name = f"extra[{key!r}]"
        if key in OWNED_FIELDS:
            raise RequestError(
                name,
                value,
                None,
                message=f"extra={{{key!r}: ...}}: lumakit models {key}: {OWNED_FIELDS[key]}",
                code="conflictingParameters",
                wire=key,
            )
        if key in UNSUPPORTED_FIELDS:
            raise _unsupported(key, value)
        if key not in EXTRA_FIELDS:
            raise RequestError(
                name,
                value,
                EXTRA_FIELDS,
                message=f"extra key {key!r} is not a documented task field lumakit leaves to extra="
                f"{_did_you_mean(key, TASK_FIELDS)}",
                wire=str(key),
            )
        if key in ("webhookURL", "uploadEndpoint") and not _is_url(value):
            raise RequestError(name, value, "an http(s) URL", wire=key)
        if key == "safety" and not isinstance(value, Mapping):
            raise RequestError(name, value, "a JSON object (dict)", wire=key)
        if key == "numberResults" and (value != 1 or isinstance(value, bool)):
            raise RequestError(
                name,
                value,
                (1,),
                message="lumakit downloads one result per task; numberResults above 1 would bill "
                "results it never fetches",
                wire=key,
            )
        out[key] = dict(value) if isinstance(value, Mapping) else value
    return out or None


def _conflict(parameter: str, message: str, wire: str) -> RequestError:
    return RequestError(parameter, None, None, message=message, code="conflictingParameters", wire=wire)


@dataclass(frozen=True)
class OutputOptions:
    """Options shared by every job: container, quality, URL lifetime."""

    output_format: str | None = None
    output_quality: int | None = None
    ttl: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "output_format",
            _check_choice(
                "output_format", self.output_format, OUTPUT_FORMATS, "outputFormat", "invalidOutputFormat"
            ),
        )
        _check_int_range("output_quality", self.output_quality, *OUTPUT_QUALITY_RANGE, "outputQuality")
        _check_int_range("ttl", self.ttl, *TTL_RANGE, "ttl")

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.output_format is not None:
            out["outputType"] = "URL"
            out["outputFormat"] = self.output_format
        if self.output_quality is not None:
            out["outputQuality"] = self.output_quality
        if self.ttl is not None:
            out["ttl"] = self.ttl
        return out


def _resolve_size(
    aspect_ratio: str | None,
    resolution: str | None,
    width: int | None,
    height: int | None,
    *,
    default_ar: str,
) -> tuple[int, int] | None:
    """Width/height from an aspect ratio and a tier (table above), or the explicit pair."""
    if (width is None) != (height is None):
        raise RequestError(
            "width/height",
            (width, height),
            "both width and height, or neither",
            message="width and height go together",
            code="invalidDimensions",
            wire="width",
        )
    if width is not None:
        if aspect_ratio is not None:
            raise _conflict("aspect_ratio", "give aspect_ratio or width/height, not both", "width")
        for name, v in (("width", width), ("height", height)):
            if isinstance(v, bool) or not isinstance(v, int) or not 64 <= v <= 4096 or v % 2:
                raise RequestError(
                    name, v, "an even integer from 64 to 4096", code="invalidDimensions", wire=name
                )
        return int(width), int(height)  # type: ignore[arg-type]
    if aspect_ratio is None:
        return None
    _check_choice("aspect_ratio", aspect_ratio, ASPECT_RATIOS, "width", "invalidAspectRatio")
    return OUTPUT_SIZES[(aspect_ratio, resolution or DEFAULT_RESOLUTION)]


def _canonical(payload: Mapping[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _new_task(kind: str, task_uuid: str | None, prompt: str) -> dict[str, Any]:
    task: dict[str, Any] = {"taskType": TASK_TYPE}
    if task_uuid is not None:
        task["taskUUID"] = task_uuid
    task["model"] = MODEL
    task["positivePrompt"] = prompt
    return task


def _finish_task(
    task: dict[str, Any], output: OutputOptions, delivery: bool, extra: Mapping[str, Any] | None
) -> dict[str, Any]:
    task.update(output.to_wire())
    task.update(extra or {})
    if delivery:
        task["deliveryMethod"] = "async"
        task["includeCost"] = True
    return task


class _RequestBase(abc.ABC):
    """What every request shares: a ``kind``, ``to_task()``, ``sources()`` and ``canonical_key()``."""

    kind: str

    @abc.abstractmethod
    def to_task(
        self, *, task_uuid: str | None = None, media: Mapping[str, str] | None = None, delivery: bool = True
    ) -> dict[str, Any]:
        """The exact wire dict of this request."""

    @abc.abstractmethod
    def sources(self) -> list[Source]:
        """Every source of this request (video and images), in wire order."""

    def canonical_key(self, digests: Mapping[str, str] | None = None) -> str:
        """A stable hash of what the request asks for, for caching.

        ``digests`` maps a local source path to its content hash (the client computes it), so the same file
        under another name is the same request, and an edited file is a new one. Task UUIDs and delivery
        fields never enter the key.
        """
        digests = digests or {}
        media = {
            s.value: f"sha256:{digests[s.value]}" if s.value in digests else f"path:{Path(s.value).resolve()}"
            for s in self.sources()
            if s.kind == "path"
        }
        task = self.to_task(media=media, delivery=False)
        return _canonical(task)

    def replace(self, **changes: Any) -> Any:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)  # type: ignore[type-var]


def _source_wire(source: Source, media: Mapping[str, str] | None) -> str:
    if source.kind == "path" and media and source.value in media:
        return media[source.value]
    return source.wire()


# ---- modify --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModifyRequest(_RequestBase):
    """A Modify Video edit: re-render ``video`` from ``prompt`` while its motion and timing carry through.

    Give ``strength`` (one of :data:`STRENGTHS`) and/or ``controls``, or ``auto_controls=True`` alone.
    The output keeps the source's aspect ratio and length; reframing is a separate :class:`ReframeRequest`.
    ``keyframes=[Keyframe(image, "first")]`` adds a restyled anchor frame that pins the target look
    (``inputs.frameImages`` beside ``inputs.video``). ``extra`` carries documented task fields lumakit does
    not model (:data:`EXTRA_FIELDS`, e.g. ``{"webhookURL": "https://..."}``).
    """

    video: Any
    prompt: str
    strength: Strength | str | None = None
    controls: Controls | Mapping[str, Any] | None = None
    auto_controls: bool = False
    resolution: str | None = None
    hdr: bool | None = None
    exr_export: bool | None = None
    output: OutputOptions = field(default_factory=OutputOptions)
    keyframes: tuple[Keyframe, ...] = ()
    extra: Mapping[str, Any] | None = None

    kind = "modify"

    def __post_init__(self) -> None:
        source = classify_source(self.video, "video")
        _check_file(source, "video")
        object.__setattr__(self, "video", source)
        _check_prompt(self.prompt)
        object.__setattr__(self, "keyframes", _coerce_keyframes(self.keyframes))
        object.__setattr__(self, "extra", _check_extra(self.extra))
        if self.strength is not None:
            object.__setattr__(self, "strength", Strength.coerce(self.strength))
        controls = Controls.coerce(self.controls)
        object.__setattr__(self, "controls", controls or None)
        if not isinstance(self.auto_controls, bool):
            raise RequestError(
                "auto_controls",
                self.auto_controls,
                ("True", "False"),
                code="invalidParameter",
                wire="settings.edit.autoControls",
            )
        if self.auto_controls and (self.strength is not None or self.controls is not None):
            given = " and ".join(n for n in ("strength", "controls") if getattr(self, n) is not None)
            raise _conflict(
                "auto_controls",
                f"auto_controls=True cannot be combined with {given}: autoControls lets Ray derive the whole "
                "conditioning from the source. Use auto_controls alone, or strength and/or controls "
                "without it",
                "settings.edit.autoControls",
            )
        _check_choice("resolution", self.resolution, RESOLUTIONS, "resolution", "invalidResolution")
        _check_hdr(self.hdr, self.exr_export, None)  # edits take HDR at every tier [doc]

    def sources(self) -> list[Source]:
        return [self.video, *(k.image for k in self.keyframes)]

    @property
    def edit(self) -> dict[str, Any]:
        """The ``settings.edit`` object exactly as sent."""
        edit: dict[str, Any] = {}
        if self.auto_controls:
            edit["autoControls"] = True
        if self.strength is not None:
            edit["strength"] = str(self.strength)
        controls = Controls.coerce(self.controls)  # __post_init__ already made it a Controls
        if controls is not None:
            edit["controls"] = controls.to_wire()
        return edit

    def to_task(
        self, *, task_uuid: str | None = None, media: Mapping[str, str] | None = None, delivery: bool = True
    ) -> dict[str, Any]:
        """The wire dict. ``media`` maps a local path to its uploaded mediaUUID (the client fills it)."""
        task = _new_task(self.kind, task_uuid, self.prompt)
        task["inputs"] = {"video": _source_wire(self.video, media), **_frame_images(self.keyframes, media)}
        settings: dict[str, Any] = {}
        if self.edit:
            settings["edit"] = self.edit
        if self.hdr is not None:
            settings["hdr"] = self.hdr
        if self.exr_export is not None:
            settings["exrExport"] = self.exr_export
        if settings:
            task["settings"] = settings
        if self.resolution is not None:
            task["resolution"] = self.resolution
        return _finish_task(task, self.output, delivery, self.extra)


def _check_hdr(hdr: Any, exr_export: Any, tier: str | None) -> None:
    """HDR flags; ``tier`` is checked against :data:`HDR_RESOLUTIONS` (text/image-to-video only)."""
    _check_bool("hdr", hdr, "settings.hdr")
    _check_bool("exr_export", exr_export, "settings.exrExport")
    if exr_export and not hdr:
        raise _conflict("exr_export", "exr_export=True needs hdr=True", "settings.exrExport")
    if hdr and tier is not None and tier not in HDR_RESOLUTIONS:
        raise RequestError(
            "resolution",
            tier,
            HDR_RESOLUTIONS,
            message=f"hdr=True on text/image-to-video needs a 720p or 1080p output, got {tier}",
            code="conflictingParameters",
            wire="settings.hdr",
        )


# ---- generate ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Keyframe:
    """An image anchor for image-to-video: ``frame`` is ``"first"``, ``"last"`` or a zero-based index."""

    image: Any
    frame: str | int = "first"

    def __post_init__(self) -> None:
        source = classify_source(self.image, "image")
        _check_file(source, "image")
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


def _coerce_keyframes(items: Any) -> tuple[Keyframe, ...]:
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
    positions = [k.frame for k in anchors]
    if len(set(positions)) != len(positions):
        raise _conflict("keyframes", f"two images for the same frame: {positions}", "inputs.frameImages")
    return anchors


def _frame_images(keyframes: Iterable[Keyframe], media: Mapping[str, str] | None) -> dict[str, Any]:
    """``{"frameImages": [...]}`` for the ``inputs`` object, or ``{}`` when there are none."""
    frames = [{"image": _source_wire(k.image, media), "frame": k.frame} for k in keyframes]
    return {"frameImages": frames} if frames else {}


@dataclass(frozen=True)
class GenerateRequest(_RequestBase):
    """Text-to-video, or image-to-video with ``image`` (first frame), ``last_image`` and/or ``keyframes``."""

    prompt: str
    image: Any = None
    last_image: Any = None
    keyframes: tuple[Keyframe, ...] = ()
    duration: int = 5
    resolution: str | None = None
    aspect_ratio: str | None = None
    width: int | None = None
    height: int | None = None
    loop: bool | None = None
    hdr: bool | None = None
    exr_export: bool | None = None
    output: OutputOptions = field(default_factory=OutputOptions)
    extra: Mapping[str, Any] | None = None

    kind = "generate"

    def __post_init__(self) -> None:
        _check_prompt(self.prompt)
        object.__setattr__(self, "extra", _check_extra(self.extra))
        anchors = list(_coerce_keyframes(self.keyframes))
        if self.image is not None:
            anchors.insert(0, Keyframe(self.image, "first"))
        if self.last_image is not None:
            anchors.append(Keyframe(self.last_image, "last"))
        positions = [k.frame for k in anchors]
        if len(set(positions)) != len(positions):
            raise _conflict("keyframes", f"two images for the same frame: {positions}", "inputs.frameImages")
        object.__setattr__(self, "keyframes", tuple(anchors))
        object.__setattr__(self, "image", None)
        object.__setattr__(self, "last_image", None)
        if self.duration not in DURATIONS or isinstance(self.duration, bool):
            raise RequestError("duration", self.duration, DURATIONS, code="invalidDuration", wire="duration")
        if anchors and self.duration not in IMAGE_TO_VIDEO_DURATIONS:
            raise RequestError(
                "duration",
                self.duration,
                IMAGE_TO_VIDEO_DURATIONS,
                message="image-to-video is 5 s only",
                code="invalidDuration",
                wire="duration",
            )
        _check_choice("resolution", self.resolution, RESOLUTIONS, "resolution", "invalidResolution")
        if self.resolution is not None and self.width is not None:
            raise _conflict("resolution", "give resolution or width/height, not both", "resolution")
        size = _resolve_size(self.aspect_ratio, self.resolution, self.width, self.height, default_ar="16:9")
        _check_bool("loop", self.loop, "settings.loop")
        _check_hdr(self.hdr, self.exr_export, self.resolution or (tier_of_size(*size) if size else None))
        if self.loop and (self.duration == 10 or self.hdr or "last" in positions):
            raise _conflict(
                "loop", "loop=True does not go with a 10 s duration, hdr or a last frame", "settings.loop"
            )
        if self.hdr and self.duration == 10:
            raise _conflict("hdr", "hdr=True does not go with a 10 s duration", "settings.hdr")

    def sources(self) -> list[Source]:
        return [k.image for k in self.keyframes]

    @property
    def size(self) -> tuple[int, int] | None:
        return _resolve_size(self.aspect_ratio, self.resolution, self.width, self.height, default_ar="16:9")

    def to_task(
        self, *, task_uuid: str | None = None, media: Mapping[str, str] | None = None, delivery: bool = True
    ) -> dict[str, Any]:
        task = _new_task(self.kind, task_uuid, self.prompt)
        if self.keyframes:
            task["inputs"] = _frame_images(self.keyframes, media)
        settings = {
            k: v
            for k, v in (("loop", self.loop), ("hdr", self.hdr), ("exrExport", self.exr_export))
            if v is not None
        }
        if settings:
            task["settings"] = settings
        size = self.size
        if size is not None:
            task["width"], task["height"] = size
        else:
            task["resolution"] = self.resolution or DEFAULT_RESOLUTION
        task["duration"] = self.duration
        return _finish_task(task, self.output, delivery, self.extra)


# ---- reframe -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReframeRequest(_RequestBase):
    """Change the aspect ratio of a clip by extending the scene (outpainting); a separate job from an edit.

    ``source_position`` (x, y, width, height as fractions of the new canvas) places the source; smaller than 1
    extends the scene all round.
    """

    video: Any
    prompt: str
    aspect_ratio: str | None = None
    resolution: str | None = None
    width: int | None = None
    height: int | None = None
    source_position: tuple[float, float, float, float] | Mapping[str, float] | None = None
    output: OutputOptions = field(default_factory=OutputOptions)
    extra: Mapping[str, Any] | None = None

    kind = "reframe"

    def __post_init__(self) -> None:
        source = classify_source(self.video, "video")
        _check_file(source, "video")
        object.__setattr__(self, "video", source)
        _check_prompt(self.prompt)
        object.__setattr__(self, "extra", _check_extra(self.extra))
        _check_choice("resolution", self.resolution, RESOLUTIONS, "resolution", "invalidResolution")
        if self.aspect_ratio is None and self.width is None:
            raise RequestError(
                "aspect_ratio",
                None,
                ASPECT_RATIOS,
                message="reframe needs aspect_ratio (or width/height)",
                code="invalidDimensions",
                wire="width",
            )
        _resolve_size(self.aspect_ratio, self.resolution, self.width, self.height, default_ar="16:9")
        if self.source_position is not None:
            object.__setattr__(self, "source_position", _check_position(self.source_position))

    def sources(self) -> list[Source]:
        return [self.video]

    @property
    def size(self) -> tuple[int, int]:
        size = _resolve_size(self.aspect_ratio, self.resolution, self.width, self.height, default_ar="16:9")
        assert size is not None
        return size

    def to_task(
        self, *, task_uuid: str | None = None, media: Mapping[str, str] | None = None, delivery: bool = True
    ) -> dict[str, Any]:
        task = _new_task(self.kind, task_uuid, self.prompt)
        task["inputs"] = {"video": _source_wire(self.video, media)}
        if self.source_position is not None:
            x, y, w, h = self.source_position  # type: ignore[misc]
            task["settings"] = {"sourcePosition": {"x": x, "y": y, "width": w, "height": h}}
        task["width"], task["height"] = self.size
        return _finish_task(task, self.output, delivery, self.extra)


def _check_position(pos: Any) -> tuple[float, float, float, float]:
    wire = "settings.sourcePosition"
    if isinstance(pos, Mapping):
        if set(pos) != {"x", "y", "width", "height"}:
            raise RequestError(
                "source_position",
                dict(pos),
                "all four of x, y, width, height",
                code="invalidSourcePosition",
                wire=wire,
            )
        pos = (pos["x"], pos["y"], pos["width"], pos["height"])
    if not isinstance(pos, (tuple, list)) or len(pos) != 4:
        raise RequestError(
            "source_position", pos, "(x, y, width, height)", code="invalidSourcePosition", wire=wire
        )
    for name, v, lo, hi in zip(("x", "y", "width", "height"), pos, (-2, -2, 0, 0), (2, 2, 2, 2), strict=True):
        if (
            isinstance(v, bool)
            or not isinstance(v, (int, float))
            or not lo <= v <= hi
            or (name in ("width", "height") and v <= 0)
        ):
            raise RequestError(
                f"source_position.{name}",
                v,
                f"a number in {'(0' if lo == 0 else '[' + str(lo)}, {hi}]",
                code="invalidSourcePosition",
                wire=f"{wire}.{name}",
            )
    return tuple(float(v) for v in pos)  # type: ignore[return-value]


# ---- building from keyword options and from the wire ---------------------------------------------------
_SNAKE_UNSUPPORTED = {
    "seed": "seed",
    "negative_prompt": "negativePrompt",
    "fps": "fps",
    "steps": "steps",
    "cfg_scale": "CFGScale",
}
_OUTPUT_FIELDS = ("output_format", "output_quality", "ttl")


def build(kind: str, **options: Any) -> ModifyRequest | GenerateRequest | ReframeRequest:
    """Build a request from keyword options, refusing options Ray 3.2 does not take, by name.

    ``build("modify", video=..., prompt=..., strength="flex_2", output_format="webm")``.
    """
    kinds: dict[str, type[ModifyRequest | GenerateRequest | ReframeRequest]] = {
        "modify": ModifyRequest, "generate": GenerateRequest, "reframe": ReframeRequest
    }  # fmt: skip
    cls = kinds[kind]
    allowed = [f.name for f in fields(cls) if f.name != "output"] + list(_OUTPUT_FIELDS)
    output_kw = {k: options.pop(k) for k in _OUTPUT_FIELDS if k in options}
    for name in list(options):
        if name in _SNAKE_UNSUPPORTED or name in UNSUPPORTED_FIELDS:
            raise _unsupported(name, options[name], _SNAKE_UNSUPPORTED.get(name, name))
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise RequestError(
                name,
                options[name],
                allowed,
                message=f"unknown option {name!r} for {kind}{hint}",
                code="unsupportedParameter",
            )
    return cls(**options, output=OutputOptions(**output_kw))


def _check_fields(obj: Any, allowed: Iterable[str], where: str, prefix: str) -> Mapping[str, Any]:
    """``obj`` must be a JSON object with keys from ``allowed``; an unknown key names its dotted path."""
    if not isinstance(obj, Mapping):
        raise RequestError(where, obj, "a JSON object", code="invalidParameter", wire=where)
    allowed = tuple(allowed)
    for key in obj:
        if key in UNSUPPORTED_FIELDS:
            raise _unsupported(key, obj[key], f"{prefix}{key}")
        if key not in allowed:
            raise _unknown(key, obj[key], allowed, f"{prefix}{key}", where)
    return obj


def _refuse_on(job: str, name: str, value: Any, why: str) -> RequestError:
    return RequestError(
        name, value, None, message=f"{name} is not part of {job}: {why}", code="invalidParameter", wire=name
    )


def parse_task(task: Mapping[str, Any]) -> ModifyRequest | GenerateRequest | ReframeRequest:
    """Validate a wire ``videoInference`` task with the same rules (and error codes) as the Python side.

    Used by the local backend, so it refuses what Runware refuses, with the dotted ``parameter`` of the
    offending field: unknown fields at any level (with a did-you-mean), fields Ray 3.2 does not take,
    ``settings.edit`` without ``inputs.video``, HDR on a reframe, ``width``/``height`` on an edit, an
    ``outputType`` other than ``URL``. Every field Runware documents for the task is accepted; the ones
    lumakit does not model (:data:`EXTRA_FIELDS` but ``numberResults``, which the server decides on) come back
    in the request's ``extra``. Local paths never appear on the wire: ``inputs.video`` must be a URL, a UUID
    or a data URI, and a bare string is treated as base64 content.
    """
    if not isinstance(task, Mapping):
        raise RequestError("task", task, "a JSON object", code="invalidTask", wire="task")
    if task.get("taskType") != TASK_TYPE:
        raise RequestError(
            "taskType", task.get("taskType"), (TASK_TYPE,), code="invalidTaskType", wire="taskType"
        )
    uid = task.get("taskUUID")
    if not isinstance(uid, str) or not _UUID_RE.match(uid):
        raise RequestError("taskUUID", uid, "a UUID v4 string", code="invalidTaskUUID", wire="taskUUID")
    if task.get("model") != MODEL:
        raise RequestError("model", task.get("model"), (MODEL,), code="invalidModel", wire="model")
    _check_fields(task, TASK_FIELDS, "the task", "")
    if "positivePrompt" not in task:
        raise RequestError(
            "prompt",
            None,
            "a non-empty string",
            message="positivePrompt is missing",
            code="invalidPositivePrompt",
            wire="positivePrompt",
        )
    inputs = _check_fields(task.get("inputs", {}), INPUT_FIELDS, "inputs", "inputs.")
    settings = _check_fields(task.get("settings", {}), SETTINGS_FIELDS, "settings", "settings.")
    if "outputType" in task:
        _check_choice("outputType", task["outputType"], OUTPUT_TYPES, "outputType", "invalidOutputType")
    if "deliveryMethod" in task:
        _check_choice(
            "deliveryMethod", task["deliveryMethod"], DELIVERY_METHODS, "deliveryMethod", "invalidParameter"
        )
    _check_bool("includeCost", task.get("includeCost"), "includeCost")
    count = task.get("numberResults", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise RequestError("numberResults", count, "an integer >= 1", wire="numberResults")
    extra = {k: task[k] for k in EXTRA_FIELDS if k in task and k != "numberResults"} or None
    output = OutputOptions(task.get("outputFormat"), task.get("outputQuality"), task.get("ttl"))

    def wire_source(value: Any, parameter: str) -> Source:
        src = classify_source(value, parameter)
        if src.kind == "path":  # on the wire, anything else is base64 content
            return Source("data", src.value)
        return src

    frames = inputs.get("frameImages", [])
    if not isinstance(frames, list):
        raise RequestError(
            "frameImages",
            frames,
            "a list of {image, frame}",
            code="invalidFrameImages",
            wire="inputs.frameImages",
        )
    for i, f in enumerate(frames):
        _check_fields(f, FRAME_IMAGE_FIELDS, f"inputs.frameImages[{i}]", "inputs.frameImages.")
        if "image" not in f:
            raise RequestError(
                "frameImages", f, "{image, frame}", code="invalidFrameImages", wire="inputs.frameImages.image"
            )
    keyframes = tuple(Keyframe(wire_source(f["image"], "image"), f.get("frame", "first")) for f in frames)
    edit = settings.get("edit")

    if "video" not in inputs:
        if edit is not None:
            raise RequestError(
                "video",
                None,
                None,
                message="settings.edit needs the clip to edit in inputs.video (without it the task would "
                "be text-to-video)",
                code="invalidVideo",
                wire="inputs.video",
            )
        if "sourcePosition" in settings:
            why = "it places a reframe's source (inputs.video)"
            raise _refuse_on(
                "text/image-to-video", "settings.sourcePosition", settings["sourcePosition"], why
            )
        return GenerateRequest(
            prompt=task["positivePrompt"],
            keyframes=keyframes,
            duration=task.get("duration", 5),
            resolution=task.get("resolution"),
            width=task.get("width"),
            height=task.get("height"),
            loop=settings.get("loop"),
            hdr=settings.get("hdr"),
            exr_export=settings.get("exrExport"),
            output=output,
            extra=extra,
        )

    video = wire_source(inputs["video"], "video")
    if "duration" in task:
        raise RequestError(
            "duration",
            task["duration"],
            None,
            message="an edit or reframe follows the source's length; duration is not sent",
            code="invalidDuration",
            wire="duration",
        )
    if "loop" in settings:
        why = "loop is for text/image-to-video"
        raise _refuse_on("an edit or reframe", "settings.loop", settings["loop"], why)
    is_reframe = edit is None and ("width" in task or "height" in task or "sourcePosition" in settings)
    if is_reframe:
        for name in ("hdr", "exrExport"):
            if name in settings:
                raise _refuse_on("a reframe", f"settings.{name}", settings[name], "reframes are SDR only")
        if frames:
            raise _refuse_on("a reframe", "inputs.frameImages", frames, "anchor frames go with an edit")
        return ReframeRequest(
            video=video,
            prompt=task["positivePrompt"],
            width=task.get("width"),
            height=task.get("height"),
            resolution=task.get("resolution"),
            source_position=settings.get("sourcePosition"),
            output=output,
            extra=extra,
        )
    for name in ("width", "height"):
        if name in task:
            raise RequestError(
                name,
                task[name],
                None,
                message=f"an edit keeps the source's aspect ratio and length; {name!r} is not sent on an "
                "edit (reframing is a separate task)",
                code="invalidParameter",
                wire=name,
            )
    if "sourcePosition" in settings:
        why = "it places a reframe's source; an edit keeps the source's framing"
        raise _refuse_on("an edit", "settings.sourcePosition", settings["sourcePosition"], why)
    edit = _check_fields(edit if edit is not None else {}, EDIT_FIELDS, "settings.edit", "settings.edit.")
    return ModifyRequest(
        video=video,
        prompt=task["positivePrompt"],
        strength=edit.get("strength"),
        controls=edit.get("controls"),
        auto_controls=edit.get("autoControls", False),
        resolution=task.get("resolution"),
        hdr=settings.get("hdr"),
        exr_export=settings.get("exrExport"),
        output=output,
        keyframes=keyframes,
        extra=extra,
    )


def new_task_uuid() -> str:
    """A fresh UUID v4 for a task."""
    return str(_uuid.uuid4())


Request = ModifyRequest | GenerateRequest | ReframeRequest
