"""Budgets: ``max_cost`` checks against the price table (dry runs are :mod:`._dry_run`).

:func:`guard_estimate` is the one price every guard uses (``max_cost``, budgets across calls, the panels):
each source's length is read first (:mod:`._source_length`), and what cannot be read is priced at its job
kind's maximum (:mod:`lumakit.pricing`), so the guard is never below what Runware can bill.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import BudgetError, RequestError
from ..pricing import UNKNOWN_LENGTH_NOTE, Estimate, EstimateLine, price
from ._prepared import PreparedJob
from ._source_length import SourceLengths


def env_max_cost() -> float | None:
    """``LUMAKIT_MAX_COST`` as USD, or ``None`` when unset."""
    raw = os.environ.get("LUMAKIT_MAX_COST")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise RequestError("LUMAKIT_MAX_COST", raw, "a number of USD, e.g. 5 or 2.50") from None


def check_max_cost(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise RequestError("max_cost", value, "a number of USD >= 0, or None for no limit")
    return float(value)


def table_estimate(jobs: list[PreparedJob]) -> Estimate:
    """Price jobs from the spec's price table with the source lengths they carry; cached jobs cost 0."""
    lines, notes = [], []
    for job in jobs:
        p = price(job.request, job.source_seconds, job.source_size)
        if p.assumed and not job.hit:
            notes.append(UNKNOWN_LENGTH_NOTE)
        lines.append(
            EstimateLine(job.label, job.request.kind, 0.0 if job.hit else p.usd, p.detail, bool(job.hit))
        )
    return Estimate.combine(lines, "price table", notes)


async def guard_estimate(jobs: list[PreparedJob], lengths: SourceLengths) -> Estimate:
    """The price a guard holds work to: every source's length read first, then :func:`table_estimate`."""
    await lengths.fill(jobs)
    return table_estimate(jobs)


async def check_budget(
    jobs: list[PreparedJob], max_cost: float | None, default: float | None, lengths: SourceLengths
) -> None:
    """Raise :class:`BudgetError` (with ``.breakdown``) when the jobs' guard price is over the limit:
    ``max_cost`` for this call, else the client's ``default``."""
    limit = check_max_cost(max_cost) if max_cost is not None else default
    if limit is None:
        return
    est = await guard_estimate(jobs, lengths)
    if est.total > limit + 1e-9:
        raise BudgetError(est.total, limit, detail="\n" + repr(est) + "\n", breakdown=est)
