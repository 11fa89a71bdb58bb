"""The money side of a client: ``quote``, ``spent``, ``budget_left`` and what limits its spending.

:class:`ClientMoney` is a base of :class:`~lumakit.client.AsyncClient` (the sync ``Client`` delegates to it);
it reads the client's ``cache``, ``backend``, ``max_cost``, ``budget`` and ``budget_scope``.
"""

from __future__ import annotations

from .._notice import Limits
from ..cache import Cache
from ..errors import LumakitError
from ..quotes import Quote
from ..request import source_length_problem
from ..types import WorkLike
from ._budget import Checked, check_budget_amount, check_max_cost, check_scope, notebook_name, table_estimate
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
        left = self.budget_left() if self.backend == "runware" else None  # local previews are not billed
        return Quote(round(est.total, 4), len(jobs), cached, self.max_cost, problem, left)

    def spent(self) -> float:
        """USD counted against the budget so far, across kernels and restarts (the ledger's total for
        ``budget_scope``, or the whole cache): billed costs, plus the estimate of every job sent or about to
        be sent whose cost has not arrived. Only Runware jobs count (local previews are free); cached results
        and results from packs never do."""
        return self.cache.spending.total("runware", self.budget_scope)

    def _limits(self) -> Limits:
        return Limits(self.max_cost, self.budget, self.budget_left(), self.budget_scope)

    def budget_left(self) -> float | None:
        """USD the budget has left (never below 0), or None without a budget."""
        if self.budget is None:
            return None
        return round(max(self.budget - self.spent(), 0.0), 6)

    @property
    def _budget_applies(self) -> bool:
        """A budget is set and this client's jobs count against it (Runware's: local previews are free)."""
        return self.budget is not None and self.backend == "runware"

    @property
    def _task_scope(self) -> str | None:
        """The name a task is recorded under: ``budget_scope``, else the running notebook's name."""
        return self.budget_scope or notebook_name()
