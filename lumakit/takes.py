"""Several samples of the same request (Ray has no seed): :class:`Takes`, ``label -> (take 0, take 1, ...)``.

    plans = client.plan_sweep(src, prompt, strengths=["flex_1", "flex_2", "flex_3"])
    takes = client.takes(plans, n=2)        # 2 samples per level, each its own paid job, each cached
    takes["flex_2"]                          # (Result of take 0, Result of take 1)
    takes.take(1)                            # a ResultSet of take 1 of every level

How far two takes of one level land apart is the noise floor; ``lk.takes_plot`` draws it beside the gap
between neighbouring levels (:mod:`lumakit.noise`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from .errors import RequestError
from .results import Result, ResultSet

__all__ = ["Takes", "take_label"]


def take_label(label: str, take: int) -> str:
    """The label of one take of a request in a multi-take call (and in the ledger)."""
    return f"{label} · take {take}"


class Takes(Mapping[str, tuple[Result, ...]]):
    """An ordered mapping ``label -> (take 0, take 1, ...)`` of finished results."""

    def __init__(self, takes: Mapping[str, Sequence[Result]]) -> None:
        self._takes = {str(k): tuple(v) for k, v in takes.items()}
        counts = {len(v) for v in self._takes.values()}
        if len(counts) > 1 or 0 in counts:
            raise RequestError(
                "takes", {k: len(v) for k, v in self._takes.items()}, "the same number (>= 1) per label"
            )

    @classmethod
    def group(cls, results: ResultSet, labels: Sequence[str], n: int) -> Takes:
        """Takes from a multi-take call's ResultSet (labelled by :func:`take_label`)."""
        return cls({label: [results[take_label(label, k)] for k in range(n)] for label in labels})

    @property
    def n(self) -> int:
        """Takes per label."""
        return len(next(iter(self._takes.values()))) if self._takes else 0

    def take(self, k: int) -> ResultSet:
        """Take ``k`` of every label, as a ResultSet (``take(0)`` is what a plain sweep gives)."""
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < self.n:
            raise RequestError("k", k, f"a take number from 0 to {self.n - 1}")
        return ResultSet({label: runs[k] for label, runs in self._takes.items()})

    def cost(self) -> float:
        """What the takes cost, in USD (cached takes count their original cost)."""
        return float(sum(r.cost or 0.0 for runs in self._takes.values() for r in runs))

    def __getitem__(self, label: str) -> tuple[Result, ...]:
        return self._takes[label]

    def __iter__(self) -> Iterator[str]:
        return iter(self._takes)

    def __len__(self) -> int:
        return len(self._takes)

    def __repr__(self) -> str:
        return f"Takes({len(self)} label(s) x {self.n} take(s): {', '.join(self._takes)})"
