"""A ``videoInference`` task as the wire carries it: reading one, its digest, the upload placeholder.

:func:`read_task` checks a wire dict's shape with the rules of :mod:`.spec` and says which job it is and with
which options; :func:`lumakit.request.parse_task` builds the request model from that, so the local backend
refuses a bad task with the same code and dotted parameter as the Python side. :func:`digest` is the one
canonical JSON hash (the cache key of a request, the local backend's "same task re-sent?"). A local file shows
on the wire as a placeholder until the client uploads it: :func:`placeholder`, :func:`has_placeholders`,
:func:`fill_placeholders`. No I/O.
"""

from __future__ import annotations

import hashlib
import json
import uuid as _uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import RequestError
from . import checks
from .answers import INVALID_TASK, INVALID_TASK_TYPE, INVALID_TASK_UUID, INVALID_VIDEO
from .spec import (
    DELIVERY_METHODS,
    EDIT_FIELDS,
    EXTRA_FIELDS,
    FRAME_IMAGE_FIELDS,
    FRAME_POSITIONS,
    INPUT_FIELDS,
    MODEL,
    OUTPUT_TYPES,
    SETTINGS_FIELDS,
    TASK_FIELDS,
    TASK_TYPE,
    is_uuid,
)

JobKind = Literal["modify", "generate", "reframe"]
SourceKind = Literal["url", "uuid", "data", "path"]


# ---- identity ---------------------------------------------------------------------------------------------
def new_task_uuid() -> str:
    """A fresh UUID v4 for a task."""
    return str(_uuid.uuid4())


def digest(payload: Any) -> str:
    """The canonical digest of a JSON value (key order and spacing aside): a request's cache key, and the
    local backend's test of a byte-for-byte re-sent task."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def source_kind(text: str) -> SourceKind:
    """What a source string is on the wire: ``url`` (http/https), ``data`` (a data URI), ``uuid`` (an earlier
    generation's videoUUID or an upload's mediaUUID), else ``path`` (a local file on the Python side; on the
    wire, bare base64 content)."""
    if text.startswith(("http://", "https://")):
        return "url"
    if text.startswith("data:"):
        return "data"
    if is_uuid(text):
        return "uuid"
    return "path"


# ---- the upload placeholder -------------------------------------------------------------------------------
_PLACEHOLDER = "<upload {}>"


def placeholder(name: str) -> str:
    """What a local file shows as on the wire until it is uploaded: ``<upload clip.mp4>``."""
    return _PLACEHOLDER.format(name)


def is_placeholder(value: Any) -> bool:
    """Whether a wire value is an upload placeholder (not a URL, a UUID or content)."""
    return isinstance(value, str) and value.startswith("<upload ") and value.endswith(">")


def _with_sources(wire: Mapping[str, Any], change: Callable[[Any], Any]) -> dict[str, Any]:
    """A copy of ``wire`` with ``change`` applied to each source (``inputs.video``, ``frameImages[].image``);
    nothing else (a prompt that mentions ``<upload x>`` is text, not a file)."""
    task = dict(wire)
    inputs = task.get("inputs")
    if not isinstance(inputs, Mapping):
        return task
    inputs = dict(inputs)
    if "video" in inputs:
        inputs["video"] = change(inputs["video"])
    frames = inputs.get("frameImages")
    if isinstance(frames, list):
        inputs["frameImages"] = [
            {**f, "image": change(f.get("image"))} if isinstance(f, Mapping) else f for f in frames
        ]
    task["inputs"] = inputs
    return task


def has_placeholders(wire: Mapping[str, Any] | None) -> bool:
    """True when a wire task still has a local file that was never uploaded."""
    found: list[Any] = []
    _with_sources(wire or {}, lambda v: found.append(v) if is_placeholder(v) else None)
    return bool(found)


def fill_placeholders(
    wire: Mapping[str, Any], sources: Mapping[str, str], media: Mapping[str, str]
) -> dict[str, Any]:
    """``wire`` with each upload placeholder replaced by the media UUID of its file
    (``sources``: placeholder -> path, ``media``: path -> media UUID)."""
    return _with_sources(wire, lambda v: media[sources[v]] if isinstance(v, str) and v in sources else v)


# ---- authentication in the array -------------------------------------------------------------------------
AUTHENTICATION = "authentication"  # [doc] the taskType of the array's first element, instead of the header


def array_api_key(tasks: Any) -> str | None:
    """The ``apiKey`` of an ``authentication`` task leading a task array (Runware's documented alternative to
    the ``Authorization`` header), or None.

    >>> array_api_key([{"taskType": "authentication", "apiKey": "k"}, {"taskType": "getResponse"}])
    'k'
    >>> array_api_key([{"taskType": "getResponse"}, {"taskType": "authentication", "apiKey": "k"}]) is None
    True
    """
    if not isinstance(tasks, list) or not tasks or not isinstance(tasks[0], Mapping):
        return None
    first = tasks[0]
    key = first.get("apiKey")
    if first.get("taskType") != AUTHENTICATION or not isinstance(key, str) or not key.strip():
        return None
    return key


# ---- reading a task ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WireTask:
    """A task whose shape is right: its job ``kind`` and the keyword options of that job's request
    (``lumakit.request.build(kind, **options)``). Sources are still wire strings: ``video`` a string,
    ``keyframes`` ``(image, frame)`` pairs."""

    kind: JobKind
    options: dict[str, Any]


def read_task(task: Any) -> WireTask:
    """Check a wire ``videoInference`` task's shape: which job it is, with which options.

    Refused, with the dotted ``parameter`` of the offending field: unknown fields at any level (with a
    did-you-mean), fields Ray 3.2 does not take, ``settings.edit`` without ``inputs.video``, HDR on a reframe,
    ``width``/``height`` on an edit, an ``outputType`` other than ``URL``. Every field Runware documents is
    accepted; the ones lumakit does not model (:data:`~.spec.EXTRA_FIELDS` but ``numberResults``, which the
    server decides on) come back as ``extra``. Also accepted: ``hdr``/``exrExport``/``loop: false`` where the
    flag does not apply (dropped), and ``frameImages`` entries without ``frame``, as Runware's ComfyUI node
    sends them (:func:`auto_frames`). The values themselves are checked by the request model.
    """
    if not isinstance(task, Mapping):
        raise RequestError("task", task, "a JSON object", code=INVALID_TASK, wire="task")
    if task.get("taskType") != TASK_TYPE:
        raise RequestError(
            "taskType", task.get("taskType"), (TASK_TYPE,), code=INVALID_TASK_TYPE, wire="taskType"
        )
    uid = task.get("taskUUID")
    if not is_uuid(uid):
        raise RequestError("taskUUID", uid, "a UUID v4 string", code=INVALID_TASK_UUID, wire="taskUUID")
    if task.get("model") != MODEL:
        raise RequestError("model", task.get("model"), (MODEL,), code="invalidModel", wire="model")
    checks.fields_of(task, TASK_FIELDS, "the task", "")
    if "positivePrompt" not in task:
        raise RequestError(
            "prompt",
            None,
            "a non-empty string",
            message="positivePrompt is missing",
            code="invalidPositivePrompt",
            wire="positivePrompt",
        )
    inputs = checks.fields_of(task.get("inputs", {}), INPUT_FIELDS, "inputs", "inputs.")
    settings = checks.fields_of(task.get("settings", {}), SETTINGS_FIELDS, "settings", "settings.")
    if "outputType" in task:
        checks.choice("outputType", task["outputType"], OUTPUT_TYPES, "outputType", "invalidOutputType")
    if "deliveryMethod" in task:
        checks.choice(
            "deliveryMethod", task["deliveryMethod"], DELIVERY_METHODS, "deliveryMethod", "invalidParameter"
        )
    checks.boolean("includeCost", task.get("includeCost"), "includeCost")
    count = task.get("numberResults", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise RequestError("numberResults", count, "an integer >= 1", wire="numberResults")
    common: dict[str, Any] = {
        "prompt": task["positivePrompt"],
        "output_format": task.get("outputFormat"),
        "output_quality": task.get("outputQuality"),
        "ttl": task.get("ttl"),
        "extra": {k: task[k] for k in EXTRA_FIELDS if k in task and k != "numberResults"} or None,
    }
    frames = _frame_images(inputs.get("frameImages", []))
    edit = settings.get("edit")

    if "video" not in inputs:
        if edit is not None:
            raise RequestError(
                "video",
                None,
                None,
                message="settings.edit needs the clip to edit in inputs.video (without it the task would "
                "be text-to-video)",
                code=INVALID_VIDEO,
                wire="inputs.video",
            )
        if "sourcePosition" in settings:
            why = "it places a reframe's source (inputs.video)"
            raise checks.not_part_of(
                "text/image-to-video", "settings.sourcePosition", settings["sourcePosition"], why
            )
        generate = {
            "keyframes": frames,
            "duration": task.get("duration", 5),
            "resolution": task.get("resolution"),
            "width": task.get("width"),
            "height": task.get("height"),
            "loop": settings.get("loop"),
            "hdr": settings.get("hdr"),
            "exr_export": settings.get("exrExport"),
        }
        return WireTask("generate", {**common, **generate})

    video = {"video": inputs["video"]}
    if "duration" in task:
        raise RequestError(
            "duration",
            task["duration"],
            None,
            message="an edit or reframe follows the source's length; duration is not sent",
            code="invalidDuration",
            wire="duration",
        )
    if settings.get("loop", False) is not False:  # loop: false is harmless (Runware's nodes send it)
        why = "loop is for text/image-to-video"
        raise checks.not_part_of("an edit or reframe", "settings.loop", settings["loop"], why)
    is_reframe = edit is None and ("width" in task or "height" in task or "sourcePosition" in settings)
    if is_reframe:
        for name in ("hdr", "exrExport"):
            if settings.get(name, False) is not False:
                raise checks.not_part_of(
                    "a reframe", f"settings.{name}", settings[name], "reframes are SDR only"
                )
        if frames:
            why = "anchor frames go with an edit"
            raise checks.not_part_of("a reframe", "inputs.frameImages", inputs["frameImages"], why)
        reframe = {
            "width": task.get("width"),
            "height": task.get("height"),
            "resolution": task.get("resolution"),
            "source_position": settings.get("sourcePosition"),
        }
        return WireTask("reframe", {**video, **common, **reframe})
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
        raise checks.not_part_of("an edit", "settings.sourcePosition", settings["sourcePosition"], why)
    edit = checks.fields_of(edit if edit is not None else {}, EDIT_FIELDS, "settings.edit", "settings.edit.")
    modify = {
        "strength": edit.get("strength"),
        "controls": edit.get("controls"),
        "auto_controls": edit.get("autoControls", False),
        "resolution": task.get("resolution"),
        "hdr": settings.get("hdr"),
        "exr_export": settings.get("exrExport"),
        "keyframes": frames,
    }
    return WireTask("modify", {**video, **common, **modify})


def _frame_images(frames: Any) -> tuple[tuple[Any, Any], ...]:
    """``inputs.frameImages`` as ``(image, frame)`` pairs (missing frames filled by :func:`auto_frames`)."""
    if not isinstance(frames, list):
        raise RequestError(
            "frameImages",
            frames,
            "a list of {image, frame}",
            code="invalidFrameImages",
            wire="inputs.frameImages",
        )
    for i, f in enumerate(frames):
        checks.fields_of(f, FRAME_IMAGE_FIELDS, f"inputs.frameImages[{i}]", "inputs.frameImages.")
        if "image" not in f:
            raise RequestError(
                "frameImages", f, "{image, frame}", code="invalidFrameImages", wire="inputs.frameImages.image"
            )
    positions = auto_frames([f.get("frame") for f in frames])
    return tuple((f["image"], frame) for f, frame in zip(frames, positions, strict=True))


#: Where a frame image without ``frame`` goes [doc: Runware's ComfyUI frame images node, "auto"].
AUTO_FRAMES_SOURCE = "Runware's ComfyUI frame images node (one image: the first frame; two: first and last)"


def auto_frames(frames: list[Any]) -> list[Any]:
    """Frame positions with each missing one (``None``) filled as Runware fills them: the first free of
    ``"first"`` and ``"last"``, in order (one image is the first frame, two are first and last). A third
    without a position is refused: where Runware puts it is not documented.

    >>> auto_frames([None]), auto_frames([None, None]), auto_frames(["last", None]), auto_frames([0, None])
    (['first'], ['first', 'last'], ['last', 'first'], [0, 'first'])
    """
    free = [p for p in FRAME_POSITIONS if p not in frames]
    out = []
    for i, frame in enumerate(frames):
        if frame is None:
            if not free:
                raise RequestError(
                    f"keyframes[{i}].frame",
                    None,
                    '"first", "last" or a frame index',
                    message=f"frame image {i} has no frame and first and last are taken: give each image its "
                    f"frame (source: {AUTO_FRAMES_SOURCE})",
                    code="invalidFrameImages",
                    wire="inputs.frameImages.frame",
                )
            frame = free.pop(0)
        out.append(frame)
    return out


def describe_edit(wire: Mapping[str, Any] | None) -> str:
    """``flex_2``, ``flex_2 + poseStrength=precise``, ``autoControls`` or ``-`` from a wire task."""
    edit = ((wire or {}).get("settings") or {}).get("edit") or {}
    if edit.get("autoControls"):
        return "autoControls"
    parts = [edit["strength"]] if "strength" in edit else []
    parts += [f"{k}={v}" for k, v in (edit.get("controls") or {}).items()]
    return " + ".join(parts) or "-"
