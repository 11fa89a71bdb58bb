"""Price work before it runs: the spec's §7 table (USD), and the :class:`Estimate` the client shows.

The service's returned ``cost`` is what is billed; everything here is labelled as an estimate.
Edits are billed by source length in 5 s blocks (a 10 s block is two 5 s blocks in the table); a source
whose length is unknown (URL or UUID) is priced as one 5 s block, and the line says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..request import DEFAULT_RESOLUTION

EstimateSource = Literal["dry-run", "price table", "local tariff"]

# ---- spec §7 (USD) [doc unless marked] ---------------------------------------------------------------------
GENERATE_5S = {"360p": 0.06, "540p": 0.15, "720p": 0.30, "1080p": 1.20}
GENERATE_HDR_5S = {"720p": 0.60, "1080p": 2.40}
REFRAME_PER_SECOND = {"360p": 0.03, "540p": 0.06, "720p": 0.12, "1080p": 0.36}
EDIT_5S = {"360p": 0.54, "540p": 0.72, "720p": 1.08, "1080p": 2.16}  # [up] Luma's list
EDIT_HDR_FACTOR = 2.0  # [doc] Runware's HDR edit is exactly twice the SDR edit
EDIT_BLOCK_SECONDS = 5.0  # [up] billed in 5 s / 10 s blocks
ASSUMED_SOURCE_SECONDS = 5.0  # [ours] URL/UUID sources: assume the 5 s block


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
    ``"price table"`` (lumakit's copy of the public list) or ``"local tariff"`` (the local backend's
    pretend prices). Cached jobs cost 0.
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


def _tier(request: Any) -> str:
    """The price tier: the request's resolution, else the tier of its width/height, else 720p."""
    res = getattr(request, "resolution", None)
    if res:
        return res
    size = getattr(request, "size", None)
    if size:
        short = min(size)
        for tier, px in (("360p", 360), ("540p", 540), ("720p", 720)):
            if short <= px:
                return tier
        return "1080p"
    return DEFAULT_RESOLUTION


def price(request: Any, source_seconds: float | None) -> tuple[float, str]:
    """Price one request from the table: ``(usd, how it was priced)``.

    ``source_seconds`` is the measured length of an edit/reframe source, or ``None`` if unknown.
    """
    tier = _tier(request)
    kind = request.kind
    if kind == "modify":
        seconds = source_seconds if source_seconds is not None else ASSUMED_SOURCE_SECONDS
        blocks = max(1, math.ceil(seconds / EDIT_BLOCK_SECONDS - 1e-9))
        unit = EDIT_5S[tier] * (EDIT_HDR_FACTOR if getattr(request, "hdr", None) else 1.0)
        how = (
            "assumed 5 s (length unknown for a URL/UUID source)"
            if source_seconds is None
            else f"{seconds:.1f} s"
        )
        hdr = " HDR" if getattr(request, "hdr", None) else ""
        return unit * blocks, f"{tier}{hdr}, {how} source -> {blocks} x 5 s block(s) at ${unit:.2f}"
    if kind == "reframe":
        seconds = source_seconds if source_seconds is not None else ASSUMED_SOURCE_SECONDS
        how = (
            "assumed 5 s (length unknown for a URL/UUID source)"
            if source_seconds is None
            else f"{seconds:.1f} s"
        )
        rate = REFRAME_PER_SECOND[tier]
        return rate * seconds, f"{tier}, {how} of output at ${rate:.2f}/s"
    duration = getattr(request, "duration", 5) or 5
    if getattr(request, "hdr", None):
        unit = GENERATE_HDR_5S.get(tier, GENERATE_HDR_5S["720p"])
        tag = f"{tier} HDR"
    else:
        unit = GENERATE_5S[tier]
        tag = tier
    blocks = max(1, math.ceil(duration / 5))
    return unit * blocks, f"{tag}, {duration} s at ${unit:.2f} per 5 s"
