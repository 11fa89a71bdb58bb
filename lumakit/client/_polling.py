"""How often to poll and how to back off: two small, frozen policies with an injectable random source.

    PollPolicy()                       # first poll after 2 s, then 1 s x 1.5 per poll, capped at 2.5 s
    PollPolicy(max_interval=10)        # the Runware SDK's gentler cadence for long jobs
    RetryPolicy(max_attempts=6)        # transient HTTP failures on polls, uploads and downloads

A 20 s job costs about 10 polls with the default, and a result is noticed at most ~2.75 s after it is ready.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import RequestError

DEFAULT_WAIT_TIMEOUT = 20 * 60.0  # [doc] the Runware SDK's budget for one task


def _positive(name: str, value: float, *, allow_zero: bool = True) -> float:
    ok = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (value >= 0 if allow_zero else value > 0)
    )
    if not ok:
        raise RequestError(name, value, "a number >= 0" if allow_zero else "a number > 0")
    return float(value)


@dataclass(frozen=True)
class PollPolicy:
    """The ``getResponse`` cadence: an initial delay, then exponential backoff with jitter, within a timeout.

    Args:
      initial_delay: seconds before the first poll (video jobs never finish at once).
      interval: the second poll's delay; each later delay is ``factor`` times the previous one...
      factor: ...up to ``max_interval``.
      max_interval: the cap; it bounds how late a finished result is noticed.
      jitter: each delay is multiplied by a random factor in ``[1 - jitter, 1 + jitter]``.
      timeout: total seconds to wait for one task before :class:`~lumakit.errors.PollTimeout`.
    """

    initial_delay: float = 2.0
    interval: float = 1.0
    factor: float = 1.5
    max_interval: float = 2.5
    jitter: float = 0.1
    timeout: float = DEFAULT_WAIT_TIMEOUT

    def __post_init__(self) -> None:
        for name in ("initial_delay", "interval", "max_interval", "jitter"):
            _positive(name, getattr(self, name))
        _positive("timeout", self.timeout, allow_zero=False)
        if _positive("factor", self.factor) < 1:
            raise RequestError("factor", self.factor, "a number >= 1")
        if self.jitter >= 1:
            raise RequestError("jitter", self.jitter, "a number from 0 to below 1")

    @classmethod
    def local(cls) -> PollPolicy:
        """The cadence for the embedded local backend: its previews take seconds, and polls cost nothing."""
        return cls(initial_delay=0.5, interval=0.25, factor=1.5, max_interval=1.0)

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        """The delay before each poll, forever (the caller stops at the timeout)."""
        rng = rng or random.Random()
        base = self.initial_delay
        step = self.interval
        while True:
            yield base * (1 + self.jitter * (2 * rng.random() - 1)) if self.jitter else base
            base = min(step, self.max_interval)
            step = step * self.factor


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of idempotent HTTP calls (polls, uploads, downloads) on connect errors, timeouts,
    408/429/5xx. ``Retry-After`` wins over the backoff when the server sends it (capped at ``max_delay``)."""

    max_attempts: int = 6
    base_delay: float = 0.5
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise RequestError("max_attempts", self.max_attempts, "an integer >= 1")
        for name in ("base_delay", "factor", "max_delay", "jitter"):
            _positive(name, getattr(self, name))

    def delay(
        self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait before retry number ``attempt`` (1 = the first retry)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        d = min(self.base_delay * self.factor ** (attempt - 1), self.max_delay)
        if self.jitter:
            d *= 1 + self.jitter * (2 * (rng or random).random() - 1)
        return d


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date. ``None`` if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


NOT_FOUND_ANSWERS = 3  # [ours] spec §5.8: "several not-found answers in a row..."
NOT_FOUND_SECONDS = 10.0  # [ours] "...spread over at least 10 s"


@dataclass
class NotFoundWatch:
    """When "not found" becomes definite: ``answers`` such answers in a row, spread over ``seconds``.

    ``taskFailedOrNotFound`` also means "failed", and a task may not be visible yet just after its submit,
    so one such answer proves nothing. Any other answer resets the count.
    """

    answers: int = NOT_FOUND_ANSWERS
    seconds: float = NOT_FOUND_SECONDS
    count: int = 0
    first: float | None = None

    def seen(self, now: float) -> bool:
        """Record one "not found" answer at ``now``; True once the evidence is definite."""
        if self.first is None:
            self.first = now
        self.count += 1
        return self.count >= self.answers and now - self.first >= self.seconds

    def reset(self) -> None:
        self.count, self.first = 0, None
