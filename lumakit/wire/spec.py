"""What the Runware wire says for Ray 3.2: constants, field tables, output sizes and tiers, limits. No I/O.

Values the public documentation does not settle (marked [up]/[ours] in ``docs/protocol.md``) are one line
each.
Issue-by-issue changes to what the wire accepts extend the tables here; both sides read them.
"""

from __future__ import annotations

import re

# ---- protocol constants ([doc]/[up]/[ours]) ----------------------------------------------------------------
MODEL = "luma:ray@3.2"  # [doc]
TASK_TYPE = "videoInference"  # [doc]
MAX_PROMPT_CHARS = 6000  # [up]
MAX_EDIT_SECONDS = 18.0  # [up] ComfyUI core's Ray 3.2 edit node: an edit takes at most 18 s of source
MAX_REFRAME_SECONDS = 30.0  # [up] ComfyUI core's reframe node (and two other hosts): up to 30 s
#: Longest source per job kind, in seconds.
MAX_SOURCE_SECONDS_BY_KIND = {"modify": MAX_EDIT_SECONDS, "reframe": MAX_REFRAME_SECONDS}
RESOLUTIONS = ("360p", "540p", "720p", "1080p")  # [doc]
DEFAULT_RESOLUTION = "720p"  # [ours]
HDR_RESOLUTIONS = ("720p", "1080p")  # [doc] text/image-to-video only; edits take HDR at every tier [doc]
DURATIONS = (5, 10)  # [doc]
IMAGE_TO_VIDEO_DURATIONS = (5,)  # [up]
OUTPUT_FORMATS = ("MP4", "WEBM", "MOV")  # [doc]
OUTPUT_QUALITY_RANGE = (20, 99)  # [doc]
TTL_RANGE = (60, 2_592_000)  # [doc]
DIMENSION_RANGE = (64, 4096)  # [ours] an explicit width/height: even, in this range
POSE_STRENGTHS = ("precise", "coarse")  # [doc]
ASPECT_RATIOS = ("9:16", "3:4", "1:1", "4:3", "16:9", "21:9")  # [up]
JOB_NAMES = {"modify": "edit", "reframe": "reframe", "generate": "text/image-to-video"}
UNSUPPORTED_FIELDS = ("seed", "negativePrompt", "fps", "steps", "CFGScale")  # [doc: absent from the schema]
FRAME_POSITIONS = ("first", "last")  # [doc]
OUTPUT_TYPES = ("URL",)  # [doc] the only value for Ray
DELIVERY_METHODS = ("async", "sync")  # [doc]
NUMBER_RESULTS = (1,)  # [ours] one result per task: lumakit downloads one, the local backend renders one

# ---- the wire's field names, by level (spec section 2) [doc]; anything else is refused ---------------------
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
#: ``settings.edit.controls``: lumakit's parameter -> the wire field, in display order.
CONTROL_FIELDS = {
    "pose_strength": "poseStrength",
    "depth_blur": "depthBlur",
    "normals_augmentation": "normalsAugmentation",
    "trajectory_sparsity": "trajectorySparsity",
    "face": "face",
}
UNIT_CONTROLS: tuple[str, ...] = ("depth_blur", "normals_augmentation", "trajectory_sparsity")  # 0..1 each
SOURCE_POSITION_FIELDS = ("x", "y", "width", "height")
#: Where each source parameter goes on the wire (the dotted path an error names).
SOURCE_FIELDS = {"video": "inputs.video", "image": "inputs.frameImages", "last_image": "inputs.frameImages"}
#: The delivery fields: never part of what a task asks for (the digest of a request leaves them out).
DELIVERY = {"deliveryMethod": "async", "includeCost": True}

# ---- output sizes and tiers --------------------------------------------------------------------------------
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


# ---- identifiers and limits --------------------------------------------------------------------------------
# \Z, not $: "$" would also accept a trailing newline
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


def is_uuid(text: object) -> bool:
    """Whether ``text`` is a UUID (8-4-4-4-12 hex digits, any case): one check for both sides of the wire."""
    return isinstance(text, str) and _UUID_RE.match(text) is not None


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
