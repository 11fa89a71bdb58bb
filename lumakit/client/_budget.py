"""Budgets: ``max_cost`` (a cap on each call) and ``budget`` (a limit across calls, kept in the ledger: see
:mod:`lumakit._spending`), both checked against the price table before anything is sent, and dry-run prices
from the service."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from ..cache import Cache, LedgerEntry
from ..errors import BudgetError, BudgetExceeded, RequestError
from ..lifecycle import TaskState
from ..pricing import Estimate, EstimateLine
from ..pricing import price_and_detail as price
from ..request import new_task_uuid
from ._http import HttpSession
from ._prepared import PreparedJob
from ._protocol import error_from, items_for
from ._uploads import Uploader


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
    """Price jobs from the spec's price table; cached jobs cost 0."""
    lines, notes = [], []
    for job in jobs:
        amount, detail = price(job.request, job.source_seconds, job.source_size)
        if job.source_seconds is None and job.request.kind in ("modify", "reframe"):
            notes.append("URL/UUID sources are priced as one 5 s block (their length is not known here)")
        lines.append(
            EstimateLine(
                job.label, job.request.kind, 0.0 if job.hit else round(amount, 4), detail, bool(job.hit)
            )
        )
    return Estimate.combine(lines, "price table", notes)


def check_budget(jobs: list[PreparedJob], max_cost: float | None, default: float | None) -> None:
    """Raise :class:`BudgetError` (with ``.breakdown``) when the jobs' table price is over the limit:
    ``max_cost`` for this call, else the client's ``default``."""
    limit = check_max_cost(max_cost) if max_cost is not None else default
    if limit is None:
        return
    est = table_estimate(jobs)
    if est.total > limit + 1e-9:
        raise BudgetError(est.total, limit, detail="\n" + repr(est) + "\n", breakdown=est)


async def dry_run(jobs: list[PreparedJob], http: HttpSession, uploads: Uploader) -> dict[str, float]:
    """``label -> USD`` as the service prices the jobs (``X-Runware-Dry-Run``); unpriced jobs are left out."""
    tasks, labels = [], {}
    for job in jobs:
        media, _ = await uploads.paths([s.value for s in job.request.sources() if s.kind == "path"], None)
        uid = new_task_uuid()
        tasks.append(job.request.to_task(task_uuid=uid, media=media))
        labels[uid] = job.label
    status, body = await http.post(tasks, dry_run=True, what="dry run")
    priced: dict[str, float] = {}
    for uid, label in labels.items():
        data, errors = items_for(body, uid)
        if errors and status >= 400 and not any(e.get("taskUUID") for e in errors):
            raise error_from(errors[0], status)
        cost = next((d.get("cost") for d in data if isinstance(d.get("cost"), (int, float))), None)
        if cost is not None:
            priced[label] = float(cost)
    return priced


# ---- the budget: a limit across calls, kernels and restarts, counted in the ledger ------------------------
def env_budget() -> float | None:
    """``LUMAKIT_BUDGET`` as USD, or ``None`` when unset."""
    raw = os.environ.get("LUMAKIT_BUDGET")
    if not raw:
        return None
    try:
        return check_budget_amount(float(raw))
    except ValueError:
        raise RequestError("LUMAKIT_BUDGET", raw, "a number of USD >= 0, e.g. 20 or 12.50") from None


def check_budget_amount(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise RequestError("budget", value, "a number of USD >= 0, or None for no budget")
    return float(value)


def check_scope(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 200 or not value.strip():
        raise RequestError("budget_scope", value, "a short name (e.g. '02_strength_dial'), or None")
    return value.strip()


def notebook_name() -> str | None:
    """The running notebook's name without ``.ipynb`` (Jupyter tells its kernels in ``JPY_SESSION_NAME``,
    VS Code in ``__vsc_ipynb_file__``), or None outside a notebook."""
    raw = os.environ.get("JPY_SESSION_NAME") or _vscode_notebook()
    if not raw:
        return None
    name = os.path.basename(raw.rstrip("/"))
    return name[: -len(".ipynb")] if name.endswith(".ipynb") else name or None


def _vscode_notebook() -> str | None:
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    ip = get_ipython()
    value = getattr(ip, "user_ns", {}).get("__vsc_ipynb_file__") if ip is not None else None
    return value if isinstance(value, str) else None


def price_jobs(jobs: list[PreparedJob], scope: str | None) -> Estimate:
    """Give each job the estimate it will count against a budget until its billed cost arrives, and the
    scope its task is recorded under; returns the table estimate (cached jobs at 0)."""
    est = table_estimate(jobs)
    for job, line in zip(jobs, est.lines, strict=True):
        job.estimate = line.amount
        job.scope = scope
    return est


@contextlib.contextmanager
def budget_hold(
    cache: Cache, backend: str, jobs: list[PreparedJob], budget: float | None, scope: str | None
) -> Iterator[None]:
    """Refuse the call with :class:`BudgetExceeded` if its jobs' estimates would cross ``budget`` (what the
    ledger counts for ``scope``, None: the whole cache), else reserve them until the call ends. Only
    Runware jobs count: local previews are not billed. Cached jobs and results from packs cost nothing."""
    todo = [j for j in jobs if j.hit is None and j.estimate]
    slots = [(j.key, j.take, float(j.estimate or 0.0)) for j in todo]
    with _held(cache, backend, slots, budget, scope, todo[0].scope if todo else None, jobs) as hold:
        for job in todo:
            job.hold = hold
        yield


@contextlib.contextmanager
def resend_hold(
    cache: Cache, backend: str, entries: list[LedgerEntry], budget: float | None, scope: str | None
) -> Iterator[None]:
    """The budget check of ``resume()``: tasks stopped before they were sent (``not_sent``) are sent now,
    at the estimate they were claimed with; :class:`BudgetExceeded` if that would cross the budget."""
    todo = [e for e in entries if e.state is TaskState.NOT_SENT and e.key and e.estimate]
    slots = [(str(e.key), e.take, float(e.estimate or 0.0)) for e in todo]
    with _held(cache, backend, slots, budget, scope, todo[0].scope if todo else None, None):
        yield


@contextlib.contextmanager
def _held(
    cache: Cache,
    backend: str,
    slots: list[tuple[str, int, float]],
    budget: float | None,
    scope: str | None,
    hold_scope: str | None,
    jobs: list[PreparedJob] | None,
) -> Iterator[str | None]:
    if budget is None or backend != "runware" or not slots:
        yield None
        return
    hold, spent, call = cache.hold_budget(budget, backend, scope, slots, hold_scope=hold_scope)
    if hold is None:
        raise BudgetExceeded(call, budget, spent, scope, breakdown=table_estimate(jobs) if jobs else None)
    try:
        yield hold
    finally:
        cache.release_budget(hold)
