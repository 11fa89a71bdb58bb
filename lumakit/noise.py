"""The noise floor: how far two takes of one request land apart, beside the gap between neighbouring levels.

    takes = client.takes(client.plan_sweep(src, prompt, strengths=levels), n=2)
    s = lk.take_spread(src, takes, region=box, part="inside")   # mean departure of every take
    s.spread()        # per level: the largest minus the smallest take
    s.gaps()          # per neighbouring pair: the distance between their mean departures
    s.verdicts()      # "flex_1 -> flex_2: gap 0.031 > noise 0.004: ranked" (or "within the noise")
    lk.takes_plot(src, takes, region=box)                       # the same, drawn

A gap smaller than the spread of either level cannot rank the two levels: one sample per level says nothing
about which departs more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .compare import check_metric, label_axes, mark_previews, plot_pair
from .departure_metrics import RegionDeparture, departures
from .errors import RequestError
from .regions import RegionLike

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["TakeSpread", "take_spread", "takes_plot"]

PARTS = ("whole", "inside", "outside")


@dataclass(frozen=True)
class TakeSpread:
    """Mean departure (``metric``) of every take of every level: ``values[level, take]``."""

    labels: tuple[str, ...]
    values: np.ndarray
    metric: str
    part: str

    def spread(self) -> np.ndarray:
        """Per level, the largest take minus the smallest: the noise floor of one sample."""
        return np.ptp(self.values, axis=1)

    def means(self) -> np.ndarray:
        return self.values.mean(axis=1)

    def gaps(self) -> np.ndarray:
        """Per neighbouring pair of levels (in order), the distance between their mean departures."""
        return np.abs(np.diff(self.means()))

    def ranked(self) -> list[bool]:
        """Per neighbouring pair: is the gap larger than the spread of both levels?"""
        s = self.spread()
        return [bool(g > max(s[i], s[i + 1])) for i, g in enumerate(self.gaps())]

    def verdicts(self) -> list[str]:
        s, out = self.spread(), []
        for i, (g, ok) in enumerate(zip(self.gaps(), self.ranked(), strict=True)):
            noise = max(s[i], s[i + 1])
            verdict = "ranked" if ok else "within the noise: cannot rank"
            out.append(
                f"{self.labels[i]} -> {self.labels[i + 1]}: gap {g:.4f} vs noise {noise:.4f}: {verdict}"
            )
        return out


def _check(metric: str, part: str, region: RegionLike | None) -> None:
    check_metric(metric)
    if part not in PARTS:
        raise RequestError("part", part, list(PARTS))
    if part != "whole" and region is None:
        raise RequestError("part", part, "part='whole' unless a region= box is given")


def take_spread(
    source: Any,
    takes: Mapping[str, Sequence[Any]],
    *,
    metric: str = "mad",
    region: RegionLike | None = None,
    part: str | None = None,
    n: int | None = None,
) -> TakeSpread:
    """The mean ``metric`` of every take against ``source`` (``part``: ``"whole"`` frame, or ``"inside"`` /
    ``"outside"`` the ``region`` box; default inside when a region is given)."""
    part = part or ("inside" if region is not None else "whole")
    _check(metric, part, region)
    if len(takes) < 1 or any(len(v) < 2 for v in takes.values()):
        raise RequestError("takes", takes, "at least 2 takes per label (client.takes(work, n=2))")
    measured = iter(departures(source, [v for runs in takes.values() for v in runs], n=n, region=region))
    rows = []
    for runs in takes.values():
        row = []
        for _video in runs:
            d = next(measured)  # every take against one decode of the source
            if part != "whole":
                assert isinstance(d, RegionDeparture)
                d = d.inside if part == "inside" else d.outside
            row.append(float(np.nanmean(getattr(d, metric))))
        rows.append(row)
    return TakeSpread(tuple(takes), np.array(rows), metric, part)


def takes_plot(
    source: Any,
    takes: Mapping[str, Sequence[Any]],
    *,
    metric: str = "mad",
    region: RegionLike | None = None,
    part: str | None = None,
    n: int | None = None,
) -> Figure:
    """Left: every take's mean departure per level (a line spans each level's takes: the spread). Right: per
    neighbouring pair, the gap between the levels beside the larger of their spreads (green: the gap is
    larger, the pair can be ranked; grey: within the noise)."""
    s = take_spread(source, takes, metric=metric, region=region, part=part, n=n)
    fig, ax, bx = plot_pair(2)
    x = np.arange(len(s.labels))
    lo, hi = s.values.min(axis=1), s.values.max(axis=1)
    ax.vlines(x, lo, hi, color="0.4", lw=3, alpha=0.5, label="spread of the takes")
    for k in range(s.values.shape[1]):  # a marker per take, so equal takes still show both
        ax.plot(x, s.values[:, k], "ox+s^v"[k % 6], ms=9 if k == 0 else 7, mfc="none", label=f"take {k}")
    ax.plot(x, s.means(), "-", color="0.3", lw=1, alpha=0.6)
    where = {"whole": "whole frame", "inside": "inside the box", "outside": "outside the box"}[s.part]
    ax.set_xticks(x, list(s.labels), rotation=30, ha="right", fontsize=8)
    label_axes(ax, f"mean {metric.upper()} ({where})", "every take of every level", legend_size=7)
    spread = s.spread()
    noise = [max(spread[i], spread[i + 1]) for i in range(len(s.labels) - 1)]
    pairs = np.arange(len(noise))
    colors = ["tab:green" if ok else "0.6" for ok in s.ranked()]
    bx.bar(pairs - 0.2, s.gaps(), 0.4, color=colors, label="gap between levels")
    bx.bar(pairs + 0.2, noise, 0.4, color="0.2", alpha=0.5, hatch="//", label="noise (largest spread)")
    bx.set_xticks(pairs, [f"{a}→{b}" for a, b in zip(s.labels, s.labels[1:], strict=False)], rotation=30,
                  ha="right", fontsize=8)  # fmt: skip
    bx.set_title("gap vs noise, neighbouring levels", fontsize=10)
    bx.legend(fontsize=7, loc="best")
    mark_previews(fig, [v for runs in takes.values() for v in runs])
    return fig
