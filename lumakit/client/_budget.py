"""Budgets: ``max_cost`` (a cap on each call) and ``budget`` (a limit across calls, kernels and restarts,
counted in the ledger: :mod:`lumakit._spending`), both checked before anything is sent (dry runs are
:mod:`._dry_run`).

:func:`guard_estimate` is the one price every guard uses (``max_cost``, budgets across calls, the panels):
each source's length is read first (:mod:`._source_length`), and what cannot be read is priced at its job
kind's maximum (:mod:`lumakit.pricing`), so the guard is never below what Runware can bill.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar, cast, overload

from ..cache import Cache, Hold, LedgerEntry, Limit
from ..errors import BudgetError, RequestError
from ..lifecycle import TaskState
from ..pricing import UNKNOWN_LENGTH_NOTE, Estimate, EstimateLine, price
from ._prepared import PreparedJob
from ._source_length import SourceLengths


def _env_usd(name: str, check: Callable[[float], float | None], example: str) -> float | None:
    """The environment variable ``name`` as USD (passed through ``check``), or ``None`` when unset."""
    raw = os.environ.get(name)
    if not raw:
        return None
    try:
        return check(float(raw))
    except (ValueError, RequestError):
        raise RequestError(name, raw, f"a number of USD >= 0, e.g. {example}") from None


def env_max_cost() -> float | None:
    """``LUMAKIT_MAX_COST`` as USD, or ``None`` when unset."""
    return _env_usd("LUMAKIT_MAX_COST", check_max_cost, "5 or 2.50")


def check_max_cost(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:  # NaN too
        raise RequestError("max_cost", value, "a number of USD >= 0, or None for no limit")
    return float(value)


T = TypeVar("T")


class Checked(Generic[T]):
    """A client setting checked whenever it is set, in the constructor and by assignment alike
    (``client.budget = 12``); a value its check refuses raises and leaves the setting as it was."""

    def __init__(self, check: Callable[[Any], T], doc: str) -> None:
        self._check = check
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    @overload
    def __get__(self, client: None, owner: type) -> Checked[T]: ...
    @overload
    def __get__(self, client: object, owner: type) -> T: ...
    def __get__(self, client: object | None, owner: type) -> T | Checked[T]:
        return self if client is None else cast(T, getattr(client, self._slot))

    def __set__(self, client: object, value: Any) -> None:
        setattr(client, self._slot, self._check(value))


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


# ---- the budget: a limit across calls, kernels and restarts, counted in the ledger ------------------------
def env_budget() -> float | None:
    """``LUMAKIT_BUDGET`` as USD, or ``None`` when unset."""
    return _env_usd("LUMAKIT_BUDGET", check_budget_amount, "20 or 12.50")


def env_budget_cap() -> float | None:
    """``LUMAKIT_BUDGET_CAP`` as USD, or ``None`` when unset: a limit over the whole cache that every client
    answers to as well as its own ``budget`` (a teacher's, set outside the notebooks)."""
    return _env_usd("LUMAKIT_BUDGET_CAP", check_budget_amount, "30 or 45.50")


def spending_limits(budget: float | None, scope: str | None, cap: float | None) -> list[Limit]:
    """The limits a client's Runware calls are held against: its ``budget`` over ``scope``, and the cap."""
    limits = [] if budget is None else [Limit(budget, scope)]
    return limits + ([] if cap is None else [Limit(cap, None, "LUMAKIT_BUDGET_CAP")])


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


async def price_jobs(
    jobs: list[PreparedJob], scope: str | None, lengths: SourceLengths, *, read: bool
) -> Estimate:
    """Give each job the estimate it will count against a budget until its billed cost arrives, and the
    scope its task is recorded under; returns that estimate (cached jobs at 0). With ``read`` (a budget
    applies), the guard's price: every source's length read first (:func:`guard_estimate`); without, the
    table's price with what is known (an unread length at its job kind's maximum)."""
    est = await guard_estimate(jobs, lengths) if read else table_estimate(jobs)
    for job, line in zip(jobs, est.lines, strict=True):
        job.estimate = line.amount
        job.scope = scope
    return est


@contextlib.contextmanager
def budget_hold(cache: Cache, backend: str, jobs: list[PreparedJob], limits: list[Limit]) -> Iterator[None]:
    """Refuse the call with :class:`BudgetExceeded` if its jobs' estimates would cross any of ``limits``
    (:func:`spending_limits`), else reserve them until the call ends. Only Runware jobs count: local
    previews are not billed. Cached jobs and results from packs cost nothing."""
    todo = [j for j in jobs if j.hit is None and j.estimate]
    slots = [(j.key, j.take, float(j.estimate or 0.0)) for j in todo]
    with _held(cache, backend, slots, limits, todo[0].scope if todo else None, jobs) as hold:
        for job in todo:
            job.hold = hold
        yield


@contextlib.contextmanager
def resend_hold(
    cache: Cache, backend: str, entries: list[LedgerEntry], limits: list[Limit]
) -> Iterator[None]:
    """The budget check of ``resume()``: tasks stopped before they were sent (``not_sent``) are sent now,
    at the estimate they were claimed with; :class:`BudgetExceeded` if that would cross a limit."""
    todo = [e for e in entries if e.state is TaskState.NOT_SENT and e.key and e.estimate]
    slots = [(str(e.key), e.take, float(e.estimate or 0.0)) for e in todo]
    with _held(cache, backend, slots, limits, todo[0].scope if todo else None, None):
        yield


@contextlib.contextmanager
def _held(
    cache: Cache,
    backend: str,
    slots: list[tuple[str, int, float]],
    limits: list[Limit],
    hold_scope: str | None,
    jobs: list[PreparedJob] | None,
) -> Iterator[Hold | None]:
    if not limits or backend != "runware" or not slots:
        yield None
        return
    reservation = cache.spending.hold(limits, backend, slots, hold_scope=hold_scope)
    if reservation.hold is None:
        raise reservation.refusal(table_estimate(jobs) if jobs else None)
    try:
        yield reservation.hold
    finally:
        cache.spending.release(reservation.hold)
