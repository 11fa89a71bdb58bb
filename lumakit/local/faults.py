"""Scriptable, deterministic faults and latency for the local backend (teaching and tests).

A :class:`FaultPlan` is a list of rules ``(phase, action, options)``. Each request of a phase consumes the
first unused rule of that phase, in order, so a plan reads like a script::

    FaultPlan([
        ("submit", "drop_after"),            # 1st submit: job registered, then the socket closes, no answer
        ("poll", 429, {"retry_after": 1}),   # 1st poll: HTTP 429 with Retry-After: 1
        ("poll", 503, {"times": 2}),         # 2nd and 3rd polls: HTTP 503
        ("submit", "task_error", {"code": "providerError"}),  # next submit: accepted, the job ends in error
    ])

Phases: ``submit`` (a POST with a ``videoInference`` task), ``poll`` (``getResponse``), ``upload``
(``mediaStorage``/``imageUpload``), ``download`` (``GET /files/...``), ``any`` (any of them).

Actions:

- an HTTP status (``429``, ``500``, ``502``, ``503``, ``504``): a Runware-shaped error answer, nothing done;
  ``retry_after`` (seconds) adds a ``Retry-After`` header.
- ``"drop_before"``: the socket closes before the request is processed (nothing registered).
- ``"drop_after"``: the request is processed (a submit registers its job), then the socket closes, no answer.
- ``"slow"``: answer normally after ``delay`` seconds (default 2).
- ``"malformed"``: HTTP 200 with a body that is not JSON.
- ``"task_error"`` (submit only): the job is accepted and ends in status ``error`` with ``code``/``message``;
  ``form`` picks how polls report it: ``"errors"`` (an ``errors`` array, default) or ``"data"`` (a data item
  with ``status: "error"``).

Options: ``times`` (how many requests the rule applies to, default 1). The same plan in text, for
``lumakit serve --fault`` (repeatable): ``submit:drop_after``, ``poll:429:retry_after=1,times=2``,
``submit:task_error:code=providerError``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ..errors import RequestError

PHASES = ("submit", "poll", "upload", "download", "any")
STATUS_ACTIONS = (408, 429, 500, 502, 503, 504)
NAMED_ACTIONS = ("drop_before", "drop_after", "slow", "malformed", "task_error")
#: Runware-style codes answered with each simulated HTTP status [ours].
STATUS_CODES = {
    408: "requestTimeout",
    429: "tooManyRequests",
    500: "internalServerError",
    502: "badGateway",
    503: "serviceUnavailable",
    504: "queueTimeout",
}


@dataclass
class Fault:
    """One rule of a plan: ``phase``, ``action`` (HTTP status or name), ``options``, uses left."""

    phase: str
    action: int | str
    options: dict[str, Any] = field(default_factory=dict)
    left: int = 1

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise RequestError("fault phase", self.phase, PHASES, code="invalidFault")
        if isinstance(self.action, str) and self.action.isdigit():
            self.action = int(self.action)
        if self.action not in STATUS_ACTIONS and self.action not in NAMED_ACTIONS:
            raise RequestError(
                "fault action", self.action, [*STATUS_ACTIONS, *NAMED_ACTIONS], code="invalidFault"
            )
        if self.action == "task_error" and self.phase not in ("submit", "any"):
            raise RequestError(
                "fault action", self.action, "task_error is a submit fault", code="invalidFault"
            )
        self.left = int(self.options.pop("times", self.left))
        if self.left < 1:
            raise RequestError("times", self.left, "an integer >= 1", code="invalidFault")

    def describe(self) -> str:
        opts = ",".join(f"{k}={v}" for k, v in self.options.items())
        return f"{self.phase}:{self.action}" + (f":{opts}" if opts else "")


class FaultPlan:
    """Rules consumed in order per phase; thread-safe. ``applied`` logs what fired, in order."""

    def __init__(self, rules: Any = ()) -> None:
        self.rules: list[Fault] = []
        self.applied: list[str] = []
        self._lock = threading.Lock()
        for rule in rules:
            self.add(rule)

    def add(self, rule: Fault | tuple[Any, ...] | str) -> FaultPlan:
        """Append a rule: a :class:`Fault`, a tuple ``(phase, action[, options])`` or its text form."""
        if isinstance(rule, str):
            rule = parse_fault(rule)
        elif not isinstance(rule, Fault):
            if not isinstance(rule, (tuple, list)) or len(rule) not in (2, 3):
                raise RequestError("fault", rule, "(phase, action) or (phase, action, options)")
            rule = Fault(rule[0], rule[1], dict(rule[2]) if len(rule) == 3 else {})
        with self._lock:
            self.rules.append(rule)
        return self

    def take(self, phase: str) -> Fault | None:
        """The rule for the next request of ``phase`` (used up by one), or ``None``."""
        with self._lock:
            for rule in self.rules:
                if rule.left > 0 and rule.phase in (phase, "any"):
                    if rule.action == "task_error" and phase != "submit":
                        continue
                    rule.left -= 1
                    self.applied.append(f"{phase}:{rule.action}")
                    return rule
        return None

    @property
    def pending(self) -> list[str]:
        """Rules not yet used up."""
        with self._lock:
            return [r.describe() for r in self.rules if r.left > 0]

    def __repr__(self) -> str:
        return f"FaultPlan({[r.describe() for r in self.rules]!r}, applied={self.applied!r})"


def parse_fault(text: str) -> Fault:
    """``"poll:429:retry_after=1,times=2"`` -> a :class:`Fault`."""
    parts = text.strip().split(":", 2)
    if len(parts) < 2:
        raise RequestError(
            "fault", text, "phase:action[:key=value,...], e.g. poll:429:retry_after=1", code="invalidFault"
        )
    options: dict[str, Any] = {}
    if len(parts) == 3 and parts[2]:
        for item in parts[2].split(","):
            key, sep, value = item.partition("=")
            if not sep:
                raise RequestError("fault option", item, "key=value", code="invalidFault")
            options[key.strip()] = _number(value.strip())
    return Fault(parts[0].strip(), parts[1].strip(), options)


def _number(value: str) -> Any:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


@dataclass(frozen=True)
class Latency:
    """Simulated service time: ``queue_time`` (s before a job starts, progress 0) and ``processing_time``
    (minimum s a job spends rendering; a faster render is stretched to it, progress rising evenly)."""

    queue_time: float = 0.0
    processing_time: float = 0.0

    def __post_init__(self) -> None:
        for name in ("queue_time", "processing_time"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise RequestError(name, v, "a number of seconds >= 0", code="invalidLatency")

    @classmethod
    def coerce(cls, value: Latency | float | dict[str, float] | None) -> Latency:
        """``None`` -> no delay; a number -> processing time; a dict -> keyword fields."""
        if value is None:
            return cls()
        if isinstance(value, Latency):
            return value
        if isinstance(value, dict):
            return cls(**value)
        return cls(processing_time=value)
