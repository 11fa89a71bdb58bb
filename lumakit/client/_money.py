"""The money side of a client: ``quote``, ``spent``, ``budget_left`` and what limits its spending; and
:func:`spending_summary`, the same figures for a cache with no client (``lumakit history``).

:class:`ClientMoney` is a base of :class:`~lumakit.client.AsyncClient` (the sync ``Client`` delegates to it);
it reads the client's ``cache``, ``backend``, ``max_cost``, ``budget`` and ``budget_scope``.
"""

from __future__ import annotations

import os

from .._notice import Limits
from ..cache import Cache, Limit
from ..errors import LumakitError
from ..quotes import Quote
from ..request import source_length_problem
from ..types import WorkLike
from ._budget import (
    Checked,
    check_budget_amount,
    check_max_cost,
    check_scope,
    env_budget,
    env_budget_cap,
    notebook_name,
    spending_limits,
    table_estimate,
)
from ._prepared import PreparedJob, as_plans, check_take, prepare_now


class ClientMoney:
    """What a client's work costs and what it may still spend (see the module)."""

    cache: Cache
    backend: str
    max_cost = Checked(
        check_max_cost,
        "Calls whose estimate is over this many USD are refused before anything is sent; settable.",
    )
    budget = Checked(
        check_budget_amount,
        "The spending limit in USD across calls, kernels and restarts (None: no budget); settable.",
    )
    _budget_cap: float | None  # LUMAKIT_BUDGET_CAP, read once when the client is made
    budget_scope = Checked(
        check_scope, "The name the budget counts tasks under (None: the whole cache); settable."
    )

    def quote(self, work: WorkLike, *, take: int = 0) -> Quote:
        """What ``work`` would cost as it would run now: table prices (the ``max_cost`` and budget checks'
        own), cached jobs and pack results at $0, with ``max_cost`` and what the budget has left (Runware
        only: local previews do not count against it). Blocking and local (hashes and measures local
        sources; nothing is sent), so a panel can call it on every change."""
        take = check_take(take)
        jobs, problems = [], []
        for label, request in as_plans(work).items():
            try:
                job = prepare_now(request, label, self.cache, self.backend, False, take, check_length=False)
            except (LumakitError, OSError):  # an unreadable source: priced as unknown, the run says why
                job = PreparedJob(request, label, "", {}, None, take)
            if job.source_seconds is not None:
                problems.append(source_length_problem(request.kind, job.source_seconds) or "")
            jobs.append(job)
        est = table_estimate(jobs)
        cached = sum(1 for j in jobs if j.hit is not None)
        problem = next((p for p in problems if p), "")
        tightest = self._tightest() if self.backend == "runware" else None  # local previews are not billed
        left, left_of = tightest if tightest is not None else (None, "budget")
        return Quote(round(est.total, 4), len(jobs), cached, self.max_cost, problem, left, left_of)

    def spent(self) -> float:
        """USD counted against the budget so far, across kernels and restarts (the ledger's total for
        ``budget_scope``, or the whole cache): billed costs, plus the estimate of every job sent or about to
        be sent whose cost has not arrived. Only Runware jobs count (local previews are free); cached results
        and results from packs never do."""
        return self.cache.spending.total("runware", self.budget_scope)

    @property
    def budget_cap(self) -> float | None:
        """``LUMAKIT_BUDGET_CAP`` as it was when the client was made: a limit in USD over the whole cache
        that every call answers to as well as ``budget`` (a teacher's, for every notebook of a class; a
        notebook cannot raise it). None when unset; read-only."""
        return self._budget_cap

    def _spending_limits(self) -> list[Limit]:
        return spending_limits(self.budget, self.budget_scope, self._budget_cap)

    def _limits(self) -> Limits:
        left = {limit.name: self.cache.spending.left("runware", limit) for limit in self._spending_limits()}
        return Limits(self.max_cost, self.budget, left.get("budget"), self.budget_scope, self._budget_cap,
                      left.get("LUMAKIT_BUDGET_CAP"))  # fmt: skip

    def budget_left(self) -> float | None:
        """USD left before a call is refused (never below 0): under the budget, or under the cap
        (``budget_cap``) when that is less; None when neither is set."""
        tightest = self._tightest()
        return None if tightest is None else tightest[0]

    def _tightest(self) -> tuple[float, str] | None:
        """What the limit with the least left has left (never below 0), and that limit's name."""
        left = [(self.cache.spending.left("runware", limit), limit.name) for limit in self._spending_limits()]
        return min(left, key=lambda pair: pair[0]) if left else None

    @property
    def _budget_applies(self) -> bool:
        """A limit is set and this client's jobs count against it (Runware's: local previews are free)."""
        return bool(self._spending_limits()) and self.backend == "runware"

    @property
    def _task_scope(self) -> str | None:
        """The name a task is recorded under: ``budget_scope``, else the running notebook's name."""
        return self.budget_scope or notebook_name()


def spending_summary(cache: Cache) -> str:
    """What ``cache`` spent on Runware (the budget's total: billed costs, and estimates of jobs still
    running) under ``LUMAKIT_BUDGET_SCOPE``, and what ``LUMAKIT_BUDGET`` and ``LUMAKIT_BUDGET_CAP`` have
    left when they are set: one line, read from the ledger and the environment alone."""
    scope = check_scope(os.environ.get("LUMAKIT_BUDGET_SCOPE"))
    spent = cache.spending.total("runware", scope)
    where = f" in scope {scope!r}" if scope else ""
    line = f"spent on Runware{where}: ${spent:.2f} (billed costs, and estimates of jobs still running)"
    for limit in spending_limits(env_budget(), scope, env_budget_cap()):
        left = cache.spending.left("runware", limit)
        over = "" if limit.scope is not None or limit.name == "budget" else " over the whole cache"
        line += f"; {limit.name} ${limit.usd:.2f}{over}, left ${left:.2f}"
    return line
