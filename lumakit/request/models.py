"""The three requests (:class:`ModifyRequest`, :class:`GenerateRequest`, :class:`ReframeRequest`), built from
Python options (:func:`build`) or read from a wire task (:func:`parse_task`), each with its exact wire JSON
(``to_task()``). No I/O but one ``stat`` per local source.

Python names are snake_case; the wire is camelCase; ``to_task()`` is the one place that maps between them.
:func:`parse_task` reads a wire dict with the same rules, so the local backend refuses the same bad input with
the same error codes.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..errors import RequestError
from ..wire import checks
from ..wire.spec import (
    ASPECT_RATIOS,
    DEFAULT_RESOLUTION,
    DELIVERY,
    DURATIONS,
    IMAGE_TO_VIDEO_DURATIONS,
    MODEL,
    RESOLUTIONS,
    TASK_TYPE,
    UNSUPPORTED_FIELDS,
    tier_of_size,
)
from ..wire.tasks import digest, read_task
from .options import OutputOptions, check_extra, check_hdr, check_position, check_prompt, resolve_size
from .values import (
    Controls,
    Keyframe,
    Source,
    Strength,
    check_file,
    classify_source,
    coerce_keyframes,
    one_image_per_frame,
)


def _new_task(task_uuid: str | None, prompt: str) -> dict[str, Any]:
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
        task.update(DELIVERY)
    return task


class _RequestBase(abc.ABC):
    """What every request shares: a ``kind``, ``to_task()``, ``sources()`` and ``canonical_key()``."""

    kind: str
    prompt: str
    video: Any  # edits and reframes (a :class:`Source` once checked)

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
        return digest(task)

    def _check_video_and_prompt(self) -> None:
        """The source clip (classified, a local file must exist) and the prompt of an edit or reframe."""
        source = classify_source(self.video, "video")
        check_file(source, "video")
        object.__setattr__(self, "video", source)
        check_prompt(self.prompt)

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
        self._check_video_and_prompt()
        object.__setattr__(self, "keyframes", coerce_keyframes(self.keyframes))
        object.__setattr__(self, "extra", check_extra(self.extra))
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
            raise checks.conflict(
                "auto_controls",
                f"auto_controls=True cannot be combined with {given}: autoControls lets Ray derive the whole "
                "conditioning from the source. Use auto_controls alone, or strength and/or controls "
                "without it",
                "settings.edit.autoControls",
            )
        checks.choice("resolution", self.resolution, RESOLUTIONS, "resolution", "invalidResolution")
        check_hdr(self.hdr, self.exr_export, None)  # edits take HDR at every tier [doc]

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
        task = _new_task(task_uuid, self.prompt)
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
        check_prompt(self.prompt)
        object.__setattr__(self, "extra", check_extra(self.extra))
        anchors = list(coerce_keyframes(self.keyframes))
        if self.image is not None:
            anchors.insert(0, Keyframe(self.image, "first"))
        if self.last_image is not None:
            anchors.append(Keyframe(self.last_image, "last"))
        object.__setattr__(self, "keyframes", one_image_per_frame(tuple(anchors)))
        positions = [k.frame for k in anchors]
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
        checks.choice("resolution", self.resolution, RESOLUTIONS, "resolution", "invalidResolution")
        if self.resolution is not None and self.width is not None:
            raise checks.conflict("resolution", "give resolution or width/height, not both", "resolution")
        size = resolve_size(self.aspect_ratio, self.resolution, self.width, self.height)
        checks.boolean("loop", self.loop, "settings.loop")
        check_hdr(self.hdr, self.exr_export, self.resolution or (tier_of_size(*size) if size else None))
        if self.loop and (self.duration == 10 or self.hdr or "last" in positions):
            raise checks.conflict(
                "loop", "loop=True does not go with a 10 s duration, hdr or a last frame", "settings.loop"
            )
        if self.hdr and self.duration == 10:
            raise checks.conflict("hdr", "hdr=True does not go with a 10 s duration", "settings.hdr")

    def sources(self) -> list[Source]:
        return [k.image for k in self.keyframes]

    @property
    def size(self) -> tuple[int, int] | None:
        return resolve_size(self.aspect_ratio, self.resolution, self.width, self.height)

    def to_task(
        self, *, task_uuid: str | None = None, media: Mapping[str, str] | None = None, delivery: bool = True
    ) -> dict[str, Any]:
        task = _new_task(task_uuid, self.prompt)
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
        self._check_video_and_prompt()
        object.__setattr__(self, "extra", check_extra(self.extra))
        checks.choice("resolution", self.resolution, RESOLUTIONS, "resolution", "invalidResolution")
        if self.aspect_ratio is None and self.width is None:
            raise RequestError(
                "aspect_ratio",
                None,
                ASPECT_RATIOS,
                message="reframe needs aspect_ratio (or width/height)",
                code="invalidDimensions",
                wire="width",
            )
        resolve_size(self.aspect_ratio, self.resolution, self.width, self.height)
        if self.source_position is not None:
            object.__setattr__(self, "source_position", check_position(self.source_position))

    def sources(self) -> list[Source]:
        return [self.video]

    @property
    def size(self) -> tuple[int, int]:
        size = resolve_size(self.aspect_ratio, self.resolution, self.width, self.height)
        assert size is not None
        return size

    def to_task(
        self, *, task_uuid: str | None = None, media: Mapping[str, str] | None = None, delivery: bool = True
    ) -> dict[str, Any]:
        task = _new_task(task_uuid, self.prompt)
        task["inputs"] = {"video": _source_wire(self.video, media)}
        if self.source_position is not None:
            x, y, w, h = self.source_position  # type: ignore[misc]
            task["settings"] = {"sourcePosition": {"x": x, "y": y, "width": w, "height": h}}
        task["width"], task["height"] = self.size
        return _finish_task(task, self.output, delivery, self.extra)


# ---- building from keyword options and from the wire ---------------------------------------------------
_SNAKE_UNSUPPORTED = {
    "seed": "seed",
    "negative_prompt": "negativePrompt",
    "fps": "fps",
    "steps": "steps",
    "cfg_scale": "CFGScale",
}
_OUTPUT_FIELDS = ("output_format", "output_quality", "ttl")
#: The request class of each job kind (``request.kind``; :class:`lumakit.wire.tasks.WireTask` ``.kind``).
REQUESTS: dict[str, type[ModifyRequest | GenerateRequest | ReframeRequest]] = {
    "modify": ModifyRequest, "generate": GenerateRequest, "reframe": ReframeRequest
}  # fmt: skip


def build(kind: str, **options: Any) -> ModifyRequest | GenerateRequest | ReframeRequest:
    """Build a request from keyword options, refusing options Ray 3.2 does not take, by name.

    ``build("modify", video=..., prompt=..., strength="flex_2", output_format="webm")``.
    """
    cls = REQUESTS[kind]
    allowed = [f.name for f in fields(cls) if f.name != "output"] + list(_OUTPUT_FIELDS)
    output_kw = {k: options.pop(k) for k in _OUTPUT_FIELDS if k in options}
    for name in list(options):
        if name in _SNAKE_UNSUPPORTED or name in UNSUPPORTED_FIELDS:
            raise checks.unsupported(name, options[name], _SNAKE_UNSUPPORTED.get(name, name))
        if name not in allowed:
            raise RequestError(
                name,
                options[name],
                allowed,
                message=f"unknown option {name!r} for {kind}{checks.did_you_mean(name, allowed)}",
                code="unsupportedParameter",
            )
    return cls(**options, output=OutputOptions(**output_kw))


def parse_task(task: Mapping[str, Any]) -> Request:
    """Validate a wire ``videoInference`` task with the same rules (and error codes) as the Python side.

    Used by the local backend, so it refuses what Runware refuses, with the dotted ``parameter`` of the
    offending field: the shape is read by :func:`lumakit.wire.tasks.read_task`, the values are checked by the
    request it builds. Local paths never appear on the wire: ``inputs.video`` must be a URL, a UUID or a data
    URI, and a bare string is treated as base64 content.
    """
    wire = read_task(task)
    options = dict(wire.options)
    if "video" in options:
        options["video"] = Source.from_wire(options["video"], "video")
    if "keyframes" in options:
        options["keyframes"] = tuple(
            Keyframe(Source.from_wire(image, "image"), frame) for image, frame in options["keyframes"]
        )
    return build(wire.kind, **options)


Request = ModifyRequest | GenerateRequest | ReframeRequest
