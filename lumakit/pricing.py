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
- **Text/image-to-video**: the 5 s price by tier (SDR, HDR, HDR+EXR); 10 s is two 5 s units [ours].
- **Edit**: a source of at most 5 s is billed at the 5 s price, anything longer at the 10 s price [up]; HDR
  and HDR+EXR rows have their own 5 s prices, 10 s is twice [doc].
- **Reframe**: per second of output (the source's length).
- A source whose length is unknown here (URL or UUID) is priced as 5 s, and the line says so [ours].
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from .wire.spec import DEFAULT_RESOLUTION, RESOLUTIONS, tier_of_size

# ---- Runware's list (spec section 7), USD. [doc] unless marked; each number a one-line change ------------
GENERATE_5S = {"360p": 0.06, "540p": 0.15, "720p": 0.30, "1080p": 1.20}  # text/image-to-video, 5 s
GENERATE_HDR_5S = {"720p": 0.60, "1080p": 2.40}
GENERATE_HDR_EXR_5S = {"720p": 0.90, "1080p": 3.60}
GENERATE_10S_FACTOR = 2.0  # [ours] the list prices 5 s only; 10 s is two 5 s units

REFRAME_PER_SECOND = {"360p": 0.03, "540p": 0.06, "720p": 0.12, "1080p": 0.36}  # per second of output

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
ASSUMED_SOURCE_SECONDS = 5.0  # [ours] URL/UUID sources: the length is not known before the run

EstimateSource = Literal["dry-run", "price table", "local tariff"]
_RANK = {tier: i for i, tier in enumerate(RESOLUTIONS)}


@dataclass(frozen=True)
class Price:
    """One job's price from the table: ``usd``, the ``tier`` and ``row`` used, the ``seconds`` billed, and a
    one-line ``detail`` saying how it was priced."""

    usd: float
    tier: str
    row: str
    seconds: float
    detail: str


def _higher(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b


def price_tier(request: Any, source_size: tuple[int, int] | None = None) -> str:
    """The tier a request is priced at (see the module's rules). ``source_size`` is an edit source's
    width/height when known."""
    resolution = getattr(request, "resolution", None)
    if resolution:
        return str(resolution)
    if request.kind == "modify":
        source = tier_of_size(*source_size) if source_size else EDIT_FLOOR_TIER
        return _higher(EDIT_FLOOR_TIER, source)
    size = getattr(request, "size", None)
    return tier_of_size(*size) if size else DEFAULT_RESOLUTION


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
    """Price one request from the table.

    ``source_seconds``/``source_size`` describe an edit or reframe source when known (a local file); unknown
    lengths are priced as :data:`ASSUMED_SOURCE_SECONDS` and the detail says so.

    >>> from lumakit.request import GenerateRequest
    >>> price(GenerateRequest("a lighthouse", image="https://x.org/a.png", width=832, height=1104)).usd
    0.3
    """
    tier = price_tier(request, source_size)
    row = _row(request)
    kind = request.kind
    if kind in ("modify", "reframe"):
        known = source_seconds is not None
        seconds = float(source_seconds) if source_seconds is not None else ASSUMED_SOURCE_SECONDS
        length = f"{seconds:.2f} s" if known else "assumed 5 s (length unknown for a URL/UUID source)"
        if kind == "reframe":
            rate = REFRAME_PER_SECOND[tier]
            return Price(
                round(rate * seconds, 4), tier, "SDR", seconds, f"{tier}, {length} of output at ${rate:.2f}/s"
            )
        short = seconds <= EDIT_SHORT_SECONDS
        if row == "SDR":
            usd = (EDIT_5S if short else EDIT_10S)[tier]
        else:
            base = (EDIT_HDR_EXR_5S if row == "HDR+EXR" else EDIT_HDR_5S)[tier]
            usd = base if short else base * EDIT_HDR_10S_FACTOR
        block = "5 s" if short else "10 s"
        tag = tier if row == "SDR" else f"{tier} {row}"
        return Price(
            round(usd, 4), tier, row, 5.0 if short else 10.0, f"{tag}, {length} source -> {block} price"
        )
    table = {"SDR": GENERATE_5S, "HDR": GENERATE_HDR_5S, "HDR+EXR": GENERATE_HDR_EXR_5S}[row]
    unit = _unit(table, tier, row, "text/image-to-video")
    duration = getattr(request, "duration", 5) or 5
    usd = unit * (GENERATE_10S_FACTOR if duration > 5 else 1.0)
    tag = tier if row == "SDR" else f"{tier} {row}"
    return Price(round(usd, 4), tier, row, float(duration), f"{tag}, {duration} s at ${unit:.2f} per 5 s")


def price_and_detail(
    request: Any, source_seconds: float | None = None, source_size: tuple[int, int] | None = None
) -> tuple[float, str]:
    """``(usd, how it was priced)``: :func:`price` as the client's estimate lines use it."""
    p = price(request, source_seconds, source_size)
    return p.usd, p.detail


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
