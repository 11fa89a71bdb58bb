"""The checks of the options requests share: prompt, ``extra=``, output options, sizes, HDR, source position.

Each raises :class:`~lumakit.errors.RequestError` naming the parameter, the bad value and what is allowed,
with the code and dotted wire path the local backend answers for the same mistake. No I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import RequestError
from ..wire import checks
from ..wire.spec import (
    ASPECT_RATIOS,
    DEFAULT_RESOLUTION,
    DIMENSION_RANGE,
    EXTRA_FIELDS,
    HDR_RESOLUTIONS,
    MAX_PROMPT_CHARS,
    NUMBER_RESULTS,
    OUTPUT_FORMATS,
    OUTPUT_QUALITY_RANGE,
    OUTPUT_SIZES,
    OWNED_FIELDS,
    SOURCE_POSITION_FIELDS,
    TASK_FIELDS,
    TTL_RANGE,
    UNSUPPORTED_FIELDS,
)


def check_prompt(prompt: Any) -> str:
    """A non-empty prompt of at most :data:`~lumakit.wire.spec.MAX_PROMPT_CHARS` characters."""
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


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def check_extra(extra: Any) -> dict[str, Any] | None:
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
            raise checks.unsupported(key, value)
        if key not in EXTRA_FIELDS:
            raise RequestError(
                name,
                value,
                EXTRA_FIELDS,
                message=f"extra key {key!r} is not a documented task field lumakit leaves to extra="
                f"{checks.did_you_mean(key, TASK_FIELDS)}",
                wire=str(key),
            )
        if key in ("webhookURL", "uploadEndpoint") and not _is_url(value):
            raise RequestError(name, value, "an http(s) URL", wire=key)
        if key == "safety" and not isinstance(value, Mapping):
            raise RequestError(name, value, "a JSON object (dict)", wire=key)
        if key == "numberResults" and (value not in NUMBER_RESULTS or isinstance(value, bool)):
            raise RequestError(
                name,
                value,
                NUMBER_RESULTS,
                message="lumakit downloads one result per task; numberResults above 1 would bill "
                "results it never fetches",
                wire=key,
            )
        out[key] = dict(value) if isinstance(value, Mapping) else value
    return out or None


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
            checks.choice(
                "output_format", self.output_format, OUTPUT_FORMATS, "outputFormat", "invalidOutputFormat"
            ),
        )
        checks.int_in_range("output_quality", self.output_quality, *OUTPUT_QUALITY_RANGE, "outputQuality")
        checks.int_in_range("ttl", self.ttl, *TTL_RANGE, "ttl")

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


def resolve_size(
    aspect_ratio: str | None, resolution: str | None, width: int | None, height: int | None
) -> tuple[int, int] | None:
    """Width/height from an aspect ratio and a tier (:data:`~lumakit.wire.spec.OUTPUT_SIZES`), the explicit
    pair, or ``None`` when neither is given."""
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
        lo, hi = DIMENSION_RANGE
        if aspect_ratio is not None:
            raise checks.conflict("aspect_ratio", "give aspect_ratio or width/height, not both", "width")
        for name, v in (("width", width), ("height", height)):
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi or v % 2:
                raise RequestError(
                    name, v, f"an even integer from {lo} to {hi}", code="invalidDimensions", wire=name
                )
        return int(width), int(height)  # type: ignore[arg-type]
    if aspect_ratio is None:
        return None
    checks.choice("aspect_ratio", aspect_ratio, ASPECT_RATIOS, "width", "invalidAspectRatio")
    return OUTPUT_SIZES[(aspect_ratio, resolution or DEFAULT_RESOLUTION)]


def check_hdr(hdr: Any, exr_export: Any, tier: str | None) -> None:
    """HDR flags; ``tier`` is checked against :data:`HDR_RESOLUTIONS` (text/image-to-video only)."""
    checks.boolean("hdr", hdr, "settings.hdr")
    checks.boolean("exr_export", exr_export, "settings.exrExport")
    if exr_export and not hdr:
        raise checks.conflict("exr_export", "exr_export=True needs hdr=True", "settings.exrExport")
    if hdr and tier is not None and tier not in HDR_RESOLUTIONS:
        raise RequestError(
            "resolution",
            tier,
            HDR_RESOLUTIONS,
            message=f"hdr=True on text/image-to-video needs a 720p or 1080p output, got {tier}",
            code="conflictingParameters",
            wire="settings.hdr",
        )


def check_position(pos: Any) -> tuple[float, float, float, float]:
    """A reframe's ``source_position``: ``(x, y, width, height)`` or a dict of the four, as fractions of
    the new canvas."""
    wire = "settings.sourcePosition"
    if isinstance(pos, Mapping):
        if set(pos) != set(SOURCE_POSITION_FIELDS):
            raise RequestError(
                "source_position",
                dict(pos),
                "all four of x, y, width, height",
                code="invalidSourcePosition",
                wire=wire,
            )
        pos = tuple(pos[k] for k in SOURCE_POSITION_FIELDS)
    if not isinstance(pos, (tuple, list)) or len(pos) != 4:
        raise RequestError(
            "source_position", pos, "(x, y, width, height)", code="invalidSourcePosition", wire=wire
        )
    for name, v, lo, hi in zip(SOURCE_POSITION_FIELDS, pos, (-2, -2, 0, 0), (2, 2, 2, 2), strict=True):
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
