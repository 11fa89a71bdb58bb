"""A multi-job call's outcomes as one :class:`~lumakit.results.ResultSet`, or :class:`SweepError`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from ..errors import SweepError
from ..results import Result, ResultSet

log = logging.getLogger("lumakit.client")


def unique_labels(labels: Iterable[str]) -> list[str]:
    out: list[str] = []
    for label in labels:
        name, n = label, 2
        while name in out:
            name, n = f"{label}_{n}", n + 1
        out.append(name)
    return out


def collect(labels: list[str], outcomes: list[Any]) -> ResultSet:
    """A ResultSet of the successes, or :class:`SweepError` (after every job ended) if any failed."""
    results: dict[str, Result] = {}
    failures: dict[str, BaseException] = {}
    for label, out in zip(labels, outcomes, strict=True):
        if isinstance(out, BaseException):
            failures[label] = out
        else:
            results[label] = out
    for out in failures.values():
        if not isinstance(out, Exception):  # KeyboardInterrupt, CancelledError: not ours to wrap
            raise out
    if failures:
        log.warning(
            "%d of %d jobs failed (%s); the others are cached",
            len(failures),
            len(labels),
            ", ".join(failures),
        )
        raise SweepError(ResultSet(results), failures, len(labels)) from next(iter(failures.values()))
    return ResultSet(results)
