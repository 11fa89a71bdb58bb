"""What a job would cost on Runware, as the local backend estimates it (USD). Pure: no I/O.

The local backend renders previews for free; the ``cost`` it returns mirrors Runware's price list so budgets,
ledgers and cost displays behave as they will against the real service. Every answer is marked
``lumakitLocal.costIsEstimate = true``.

The tariff, per second of output (Runware's list in ``runware-ray32.md`` §7, divided by the clip length):

==========================================  ======  ======  ======  ======
job                                          360p    540p    720p   1080p
==========================================  ======  ======  ======  ======
text/image-to-video (5 s = 5 × this)        0.012   0.030   0.060   0.240
text/image-to-video HDR                       —       —     0.120   0.480
reframe                                      0.030   0.060   0.120   0.360
edit (Modify Video)                          0.108   0.144   0.216   0.432
edit HDR (twice the edit)                    0.216   0.288   0.432   0.864
==========================================  ======  ======  ======  ======

Rules [ours where the list is silent]:

- Edits are billed in whole 5 s blocks of the source (a 7 s source pays for 10 s); text/image-to-video pays
  its ``duration`` (5 or 10 s); reframe pays the output seconds (the source length), not rounded.
- The tier of an edit is its ``resolution`` field, else the default tier (720p, like the request model);
  the tier of a generation or reframe is its ``resolution``, else the one whose frame its output size fits
  (short side ≤ 360 → 360p, ≤ 540 → 540p, ≤ 720 → 720p, else 1080p). HDR with no HDR price uses 720p's.
- Costs are rounded to 4 decimals.
"""

from __future__ import annotations

import math
from typing import Any

from ..request import DEFAULT_RESOLUTION, GenerateRequest, ModifyRequest, ReframeRequest

TARIFF_NAME = "runware-list-2025 (per second of output; estimate)"
EDIT_BLOCK_SECONDS = 5.0

#: USD per second of output, by job and tier. One table: a one-line change when the live list moves.
PER_SECOND: dict[str, dict[str, float]] = {
    "generate": {"360p": 0.012, "540p": 0.030, "720p": 0.060, "1080p": 0.240},
    "generate_hdr": {"720p": 0.120, "1080p": 0.480},
    "reframe": {"360p": 0.030, "540p": 0.060, "720p": 0.120, "1080p": 0.360},
    "edit": {"360p": 0.108, "540p": 0.144, "720p": 0.216, "1080p": 0.432},
    "edit_hdr": {"360p": 0.216, "540p": 0.288, "720p": 0.432, "1080p": 0.864},
}


def tier_for_size(width: int, height: int) -> str:
    """The resolution tier an output size falls in, by its short side."""
    short = min(width, height)
    for tier, limit in (("360p", 360), ("540p", 540), ("720p", 720)):
        if short <= limit:
            return tier
    return "1080p"


def estimate(
    request: ModifyRequest | GenerateRequest | ReframeRequest, source_seconds: float | None = None
) -> dict[str, Any]:
    """The estimated cost of one job: ``{"cost", "seconds", "tier", "rate", "job"}``.

    ``source_seconds`` is the source length (edits and reframes); unknown sources are priced as 5 s.
    """
    seconds = float(source_seconds) if source_seconds else EDIT_BLOCK_SECONDS
    if isinstance(request, ModifyRequest):
        job = "edit_hdr" if request.hdr else "edit"
        tier = request.resolution or DEFAULT_RESOLUTION
        billed = EDIT_BLOCK_SECONDS * max(1, math.ceil(seconds / EDIT_BLOCK_SECONDS - 1e-9))
    elif isinstance(request, ReframeRequest):
        job = "reframe"
        tier = request.resolution or tier_for_size(*request.size)
        billed = seconds
    else:
        job = "generate_hdr" if request.hdr else "generate"
        size = request.size
        tier = request.resolution or (tier_for_size(*size) if size else DEFAULT_RESOLUTION)
        billed = float(request.duration)
    table = PER_SECOND[job]
    rate = table.get(tier, table.get("720p", 0.0))
    return {"cost": round(rate * billed, 4), "seconds": billed, "tier": tier, "rate": rate, "job": job}
