"""What a job costs on Runware (USD), before it runs. Pure: no I/O. Both sides of the wire use it.

The client prices work with it before sending (``max_cost``, ``client.estimate()``, the panels), and the local
backend returns its numbers as an estimated ``cost``. The service's own returned ``cost`` is what is billed:
every figure here is an estimate and says so.

The table is Runware's list (``[doc]``), except where marked ``[up]`` (Luma's list, passed through) or
``[ours]`` (our decision where nothing public settles it). Each number is one line below.

Rules:

- **Tier**: the request's ``resolution``; else the tier whose size table holds its width/height (1280x720,
  960x960, 832x1104 and 1104x832 are all 720p: equal area, other aspect); a size in no table takes the tier of
  the nearest pixel count [ours]. An edit without ``resolution`` is priced at the higher of 720p and its
  source's tier [ours: a budget guard must not under-estimate].
- **Text/image-to-video**: the 5 s price by tier (SDR, HDR, HDR+EXR); 10 s is three times the 5 s price [up:
  Luma's list for Ray 3.2 as ComfyUI core's ``nodes_luma.py`` prices it, 0.18 / 0.45 / 0.90 / 3.60; Runware
  publishes no 10 s figure, and a guard takes the higher of the public figures].
- **Edit**: a source of at most 5 s is billed at the 5 s price, anything longer at the 10 s price [up]; HDR
  and HDR+EXR rows have their own 5 s prices, 10 s is twice [doc].
- **Reframe**: per started second of output (the source's length, rounded up) [up: fal bills per started
  second; Runware's list says "per second"].
- **Never under-price**: a source whose length cannot be known before the run is priced at the longest
  source its job kind takes (18 s for an edit: the 10 s price; 30 s for a reframe), and an edit without
  ``resolution`` whose source size is unknown at the top tier; the line says so (``Price.assumed``) [ours].
  The client reads a URL source's length and an earlier result's UUID's from the ledger before pricing
  (:mod:`lumakit.client._source_length`), so this applies only when neither tells.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from .wire.spec import DEFAULT_RESOLUTION, JOB_NAMES, MAX_SOURCE_SECONDS_BY_KIND, RESOLUTIONS, tier_of_size

# ---- Runware's list (spec section 7), USD. [doc] unless marked; each number a one-line change ------------
GENERATE_5S = {"360p": 0.06, "540p": 0.15, "720p": 0.30, "1080p": 1.20}  # text/image-to-video, 5 s
GENERATE_HDR_5S = {"720p": 0.60, "1080p": 2.40}
GENERATE_HDR_EXR_5S = {"720p": 0.90, "1080p": 3.60}
# [up] Luma's Ray 3.2 list in ComfyUI core's nodes_luma.py: 10 s is 3x 5 s (0.18/0.45/0.90/3.60); Runware
# lists 5 s only, so the guard takes the highest public figure (two 5 s units would under-price)
GENERATE_10S_FACTOR = 3.0

REFRAME_PER_SECOND = {"360p": 0.03, "540p": 0.06, "720p": 0.12, "1080p": 0.36}  # per second of output
REFRAME_SECOND_TOLERANCE = 1e-3  # [ours] 30.0004 s (a container's rounding) is 30 s, not 31

EDIT_5S = {"360p": 0.54, "540p": 0.72, "720p": 1.08, "1080p": 2.16}  # [up] Luma's list
EDIT_10S = {"360p": 1.08, "540p": 1.44, "720p": 2.16, "1080p": 4.32}  # [up] Luma's list
EDIT_HDR_5S = {
    "360p": 1.08,
    "540p": 1.44,  # [ours] 2x SDR
    "720p": 2.16,  # [ours] 2x SDR
    "1080p": 4.32,
}
EDIT_HDR_EXR_5S = {
    "360p": 1.62,
    "540p": 2.16,  # [ours] 3x SDR
    "720p": 3.24,  # [ours] 3x SDR
    "1080p": 6.48,
}
EDIT_HDR_10S_FACTOR = 2.0  # HDR / HDR+EXR edit of a longer source: twice the 5 s price
EDIT_SHORT_SECONDS = 5.0  # [up] ComfyUI core's Luma pricing: <= 5 s -> 5 s price, longer -> 10 s price
EDIT_FLOOR_TIER = "720p"  # [ours] an edit without resolution: at least this tier (or its source's, if higher)
UNKNOWN_SIZE_TIER = RESOLUTIONS[-1]  # [ours] an edit without resolution, source size unknown: the top tier
UNKNOWN_LENGTH_NOTE = (
    "a source whose length could not be read is priced at the longest its job kind takes "
    f"({MAX_SOURCE_SECONDS_BY_KIND['modify']:g} s edit, "
    f"{MAX_SOURCE_SECONDS_BY_KIND['reframe']:g} s reframe), and an edit of a source of unknown size at "
    f"{UNKNOWN_SIZE_TIER}: a guard never under-prices"
)

EstimateSource = Literal["dry-run", "price table", "local tariff"]
_RANK = {tier: i for i, tier in enumerate(RESOLUTIONS)}


@dataclass(frozen=True)
class Price:
    """One job's price from the table: ``usd``, the ``tier`` and ``row`` used, the ``seconds`` billed, and a
    one-line ``detail`` saying how it was priced. ``assumed`` is True when a source's length or size could not
    be known and the price takes the job kind's maximum instead (see the module's rules)."""

    usd: float
    tier: str
    row: str
    seconds: float
    detail: str
    assumed: bool = False


def _higher(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b


def price_tier(request: Any, source_size: tuple[int, int] | None = None) -> str:
    """The tier a request is priced at (see the module's rules). ``source_size`` is an edit source's
    width/height when known; unknown, an edit without ``resolution`` is priced at the top tier."""
    resolution = getattr(request, "resolution", None)
    if resolution:
        return str(resolution)
    if request.kind == "modify":
        source = tier_of_size(*source_size) if source_size else UNKNOWN_SIZE_TIER
        return _higher(EDIT_FLOOR_TIER, source)
    size = getattr(request, "size", None)
    return tier_of_size(*size) if size else DEFAULT_RESOLUTION


def billed_reframe_seconds(seconds: float) -> int:
    """Seconds a reframe of ``seconds`` of output pays: every started second.

    >>> billed_reframe_seconds(7.2), billed_reframe_seconds(30.0), billed_reframe_seconds(30.0004)
    (8, 30, 30)
    """
    return max(1, math.ceil(seconds - REFRAME_SECOND_TOLERANCE))


def _row(request: Any) -> str:
    if getattr(request, "exr_export", None):
        return "HDR+EXR"
    return "HDR" if getattr(request, "hdr", None) else "SDR"


def _unit(table: dict[str, float], tier: str, row: str, kind: str) -> float:
    try:
        return table[tier]
    except KeyError:
        raise ValueError(f"no {row} price for a {kind} at {tier} (allowed: {', '.join(table)})") from None


def price(
    request: Any, source_seconds: float | None = None, source_size: tuple[int, int] | None = None
) -> Price:
    """Price one request from the table, never below what Runware can bill.

    ``source_seconds``/``source_size`` describe an edit or reframe source when known; an unknown length is
    priced at the longest source the job kind takes, an unknown size (edit without ``resolution``) at the top
    tier, and the detail says so.

    >>> from lumakit.request import GenerateRequest
    >>> price(GenerateRequest("a lighthouse", image="https://x.org/a.png", width=832, height=1104)).usd
    0.3
    """
    tier = price_tier(request, source_size)
    row = _row(request)
    kind = request.kind
    if kind in ("modify", "reframe"):
        known = source_seconds is not None
        longest = MAX_SOURCE_SECONDS_BY_KIND[kind]
        seconds = float(source_seconds) if source_seconds is not None else longest
        length = f"{seconds:.2f} s" if known else f"length unknown, priced as the longest ({longest:g} s)"
        size_unknown = kind == "modify" and source_size is None and not getattr(request, "resolution", None)
        assumed = not known or size_unknown
        tag = tier if row == "SDR" else f"{tier} {row}"
        if size_unknown:
            tag += " (source size unknown: top tier)"
        if kind == "reframe":
            rate = REFRAME_PER_SECOND[tier]
            billed = billed_reframe_seconds(seconds)
            return Price(
                round(rate * billed, 4),
                tier,
                "SDR",
                float(billed),
                f"{tag}, {length} of output -> {billed} started s at ${rate:.2f}/s",
                assumed,
            )
        short = seconds <= EDIT_SHORT_SECONDS
        if row == "SDR":
            usd = (EDIT_5S if short else EDIT_10S)[tier]
        else:
            base = (EDIT_HDR_EXR_5S if row == "HDR+EXR" else EDIT_HDR_5S)[tier]
            usd = base if short else base * EDIT_HDR_10S_FACTOR
        block = "5 s" if short else "10 s"
        return Price(
            round(usd, 4),
            tier,
            row,
            5.0 if short else 10.0,
            f"{tag}, {length} source -> {block} price",
            assumed,
        )
    table = {"SDR": GENERATE_5S, "HDR": GENERATE_HDR_5S, "HDR+EXR": GENERATE_HDR_EXR_5S}[row]
    unit = _unit(table, tier, row, JOB_NAMES["generate"])
    duration = getattr(request, "duration", 5) or 5
    long = duration > 5
    usd = unit * (GENERATE_10S_FACTOR if long else 1.0)
    tag = tier if row == "SDR" else f"{tier} {row}"
    how = f"{GENERATE_10S_FACTOR:g}x the 5 s price ${unit:.2f} (Luma's 10 s list)" if long else f"${unit:.2f}"
    return Price(round(usd, 4), tier, row, float(duration), f"{tag}, {duration} s at {how}")


def tariff(
    request: Any, source_seconds: float | None = None, source_size: tuple[int, int] | None = None
) -> dict[str, Any]:
    """The local backend's ``lumakitLocal.pricing`` object: ``{"cost", "seconds", "tier", "rate", "job"}``
    (``rate`` is USD per second billed)."""
    p = price(request, source_seconds, source_size)
    job = {"modify": "edit", "reframe": "reframe"}.get(request.kind, "generate")
    if p.row != "SDR":
        job += "_" + p.row.lower().replace("+", "_")
    rate = round(p.usd / p.seconds, 4)
    return {"cost": p.usd, "seconds": p.seconds, "tier": p.tier, "rate": rate, "job": job}


# ---- estimates as the client shows them ----------------------------------------------------------------
@dataclass(frozen=True)
class EstimateLine:
    """One job's estimated price."""

    label: str
    kind: str
    amount: float
    detail: str
    cached: bool = False


@dataclass(frozen=True)
class Estimate:
    """What the work would cost, before it runs.

    ``source`` says where the numbers come from: ``"dry-run"`` (the service priced it without running),
    ``"price table"`` (this module's copy of the public list) or ``"local tariff"`` (the local backend's
    estimate, from the same table). Cached jobs cost 0.
    """

    total: float
    lines: tuple[EstimateLine, ...]
    source: EstimateSource
    notes: tuple[str, ...] = field(default=())

    def __repr__(self) -> str:
        head = f"Estimate ${self.total:.2f} for {len(self.lines)} job{'s' if len(self.lines) != 1 else ''} "
        head += f"({self.source}; an estimate - the service's reported cost is what is billed)"
        width = max((len(ln.label) for ln in self.lines), default=0)
        rows = [
            f"  {ln.label:<{width}}  ${ln.amount:>6.2f}  {ln.kind}: {ln.detail}"
            + ("  [cached]" if ln.cached else "")
            for ln in self.lines
        ]
        rows += [f"  note: {n}" for n in self.notes]
        return "\n".join([head, *rows])

    __str__ = __repr__

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(repr(self))}</pre>"

    @staticmethod
    def combine(lines: Iterable[EstimateLine], source: EstimateSource, notes: Iterable[str] = ()) -> Estimate:
        lines = tuple(lines)
        total = round(sum(ln.amount for ln in lines if not ln.cached), 4)
        return Estimate(total, lines, source, tuple(dict.fromkeys(notes)))
