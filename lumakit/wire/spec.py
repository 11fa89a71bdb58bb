"""What the Runware wire says for Ray 3.2: constants, field tables, output sizes and tiers, limits. No I/O.

Values the public documentation does not settle (marked [up]/[ours] in ``docs/protocol.md``) are one line
each.
Issue-by-issue changes to what the wire accepts extend the tables here; both sides read them.
"""

from __future__ import annotations

import math
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

# ---- what Ray refuses beyond the schema, refused before sending, each with its source ----------------------
#: Reframes Ray refuses, as (aspect ratio, tier) [up].
REFRAMES_REFUSED = (("9:16", "1080p"), ("3:4", "1080p"))
REFRAMES_REFUSED_SOURCE = "Luma's reframing guide and ComfyUI core's Luma reframe node"
#: Integer-frame keyframes on text/image-to-video: how many one task takes [up].
KEYFRAME_COUNT = (2, 64)
#: Frames per second of Ray's output: a keyframe's index runs 0..120 at 5 s, 0..240 at 10 s [up].
FRAMES_PER_SECOND = 24
KEYFRAMES_SOURCE = "ComfyUI core's Luma Ray 3.2 keyframes node"
#: ``settings.loop`` does not go with a 10 s duration, HDR, a last frame or integer keyframes [doc].
LOOP_SOURCE = "Runware's ComfyUI node videoSettings.py"

# ---- the wire's field names, by level (spec section 2) [doc]; anything else is refused ---------------------
#: Documented task fields lumakit does not model: send them with ``extra={...}`` on any request.
# [doc]; ``routing`` (a JSON object) from runware-sdk 1.8.0's ``LumaRay32Params``
EXTRA_FIELDS = ("webhookURL", "uploadEndpoint", "safety", "numberResults", "routing")
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
#: The sizes Runware publishes in an example, each with where [doc]. Every other size of the table below is
#: lumakit's [ours]: derived by the table's rule and found published nowhere.
PUBLISHED_SIZES: dict[tuple[int, int], str] = {
    (1920, 1080): "Runware's documented examples",
    (1280, 720): "Runware's documented examples; runware-skills cinematic-video recipe 3",
    (720, 1280): "Runware's documented examples",
    (960, 960): "Runware's documented examples",
    (832, 1104): "Runware's documented examples; runware-skills animate-image recipe 2",
}
# Per aspect ratio, its (width, height) at each tier of RESOLUTIONS: equal area to the tier's 16:9 frame,
# sides rounded to 16; 16:9 and 9:16 are the exact tiers. 4:3 at 720p is the published 832x1104 turned;
# Ray refuses a reframe to 9:16 or 3:4 at 1080p (REFRAMES_REFUSED).
_SIZES_BY_ASPECT: dict[str, tuple[tuple[int, int], ...]] = {
    #         360p         540p         720p          1080p
    "16:9": ((640, 360), (960, 540), (1280, 720), (1920, 1080)),
    "9:16": ((360, 640), (540, 960), (720, 1280), (1080, 1920)),
    "1:1": ((480, 480), (720, 720), (960, 960), (1440, 1440)),
    "4:3": ((560, 416), (832, 624), (1104, 832), (1664, 1248)),
    "3:4": ((416, 560), (624, 832), (832, 1104), (1248, 1664)),
    "21:9": ((736, 320), (1104, 464), (1472, 624), (2192, 944)),
}
#: (aspect ratio, tier) -> (width, height), from the table above.
OUTPUT_SIZES: dict[tuple[str, str], tuple[int, int]] = {
    (aspect, tier): size
    for aspect, sizes in _SIZES_BY_ASPECT.items()
    for tier, size in zip(RESOLUTIONS, sizes, strict=True)
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


def aspect_of_size(width: int, height: int, *, tolerance: float = 0.02) -> str | None:
    """The aspect ratio of :data:`ASPECT_RATIOS` a size has (within ``tolerance``, relative), or None.

    >>> aspect_of_size(1080, 1920), aspect_of_size(1248, 1664), aspect_of_size(1000, 500)
    ('9:16', '3:4', None)
    """
    ratio = int(width) / int(height)
    for name in ASPECT_RATIOS:
        w, h = (int(x) for x in name.split(":"))
        if abs(ratio / (w / h) - 1) <= tolerance:
            return name
    return None


def nearest_sizes(width: int, height: int, count: int = 3) -> list[tuple[int, int]]:
    """The ``count`` sizes of the tier tables nearest to ``width`` x ``height`` (in shape and in area)."""

    def distance(size: tuple[int, int]) -> float:
        return math.hypot(math.log(size[0] / int(width)), math.log(size[1] / int(height)))

    return sorted(SIZE_TIERS, key=distance)[:count]


def size_note(width: int, height: int) -> str | None:
    """Why a width/height in no tier's size table may be refused at submit (naming the nearest sizes of the
    table, each marked published [doc] or derived [ours]), or None for a size of the table."""
    if (int(width), int(height)) in SIZE_TIERS:
        return None
    near = ", ".join(
        f"{w}x{h} ({SIZE_TIERS[(w, h)]}, {'published' if (w, h) in PUBLISHED_SIZES else 'ours'})"
        for w, h in nearest_sizes(width, height)
    )
    return (
        f"width={width}, height={height} is in no tier's size table; it is sent as asked, and Runware "
        f"refuses a size it does not take at submit, free of charge. Nearest sizes: {near}"
    )


# ---- source media ------------------------------------------------------------------------------------------
#: The media a source may be [doc: Runware's video and image inputs], by file suffix -> media type.
SOURCE_MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


def sniff(data: bytes) -> str | None:
    """The suffix of :data:`SOURCE_MEDIA_TYPES` some media bytes have (by magic number), or ``None``."""
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return ".mov" if data[8:12] == b"qt  " else ".mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return ".webm"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if data.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return ".gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    return None


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
