"""``Quote``: what a call would cost as it would run now (cached jobs at $0), with the limits in force.

``client.quote(work)`` returns one (no network); the panels show :meth:`Quote.text` next to their button.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quote:
    """What a run would cost. ``total`` is USD with cached jobs at 0; ``limit`` is the client's ``max_cost``
    (None: no limit); ``left`` is what the client's ``budget`` has left, or its class cap when that is less
    (None: neither), and ``left_of`` names which (``"budget"`` or ``"LUMAKIT_BUDGET_CAP"``); ``problem`` says
    why the work cannot run as it stands ('' when it can)."""

    total: float
    jobs: int
    cached: int
    limit: float | None
    problem: str = ""
    left: float | None = None
    left_of: str = "budget"

    @property
    def over(self) -> bool:
        """True when the run would be refused: above ``max_cost``, or more than the budget has left."""
        return self.over_max_cost or self.over_budget

    @property
    def over_max_cost(self) -> bool:
        return self.limit is not None and self.total > self.limit + 1e-9

    @property
    def over_budget(self) -> bool:
        return self.left is not None and self.total > self.left + 1e-9

    def text(self) -> str:
        """``"≈ $1.08, estimate · left: $18.92"``, ``"cached: $0"``, or the total of several jobs, plus why
        it cannot run."""
        if self.jobs and self.cached == self.jobs:
            head = "cached: $0"
        else:
            head = f"≈ ${self.total:.2f}"
            if self.jobs > 1:
                head += f" for {self.jobs} jobs"
                if self.cached:
                    head += f" ({self.cached} cached at $0)"
            head += ", estimate"
        if self.left is not None:
            head += f" · left: ${self.left:.2f}"
        if self.problem:
            return f"{head} · {self.problem}"
        if self.over_max_cost:
            return f"{head} · over max_cost ${self.limit:.2f}: raise the client's max_cost to run it"
        if self.over_budget and self.left_of == "budget":
            return f"{head} · more than the budget has left: raise the client's budget to run it"
        if self.over_budget:  # a cap set outside the notebook
            return f"{head} · more than {self.left_of} has left (a limit set outside this notebook)"
        return head
