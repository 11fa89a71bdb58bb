"""A row of the ledger's ``tasks`` table both ways: :class:`LedgerEntry` (what Python sees), :func:`entry`
(a row read), :func:`dumps` (how a row stores ``wire`` and ``extra``), and :class:`History` (entries shown as
a table). The columns are the fields of :class:`LedgerEntry`, in order: every SELECT reads :data:`SELECT`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from .lifecycle import RESUMABLE, TaskState


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


@dataclass(frozen=True)
class LedgerEntry:
    """One task as the ledger knows it. ``wire`` is the task as sent (never the key)."""

    task_uuid: str
    kind: str | None
    label: str | None
    key: str | None
    backend: str | None
    state: TaskState
    wire: dict[str, Any] | None
    created: float | None
    updated: float | None
    submitted: float | None
    finished: float | None
    cost: float | None
    result_path: str | None
    video_uuid: str | None
    video_url: str | None
    error: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    take: int = 0
    owner: str | None = None
    sent: float | None = None
    estimate: float | None = None  # what it counts against a budget until its billed ``cost`` arrives
    scope: str | None = None  # the budget scope or notebook it ran under
    pack: str | None = None  # the pack it came from (paid by the pack's maker), else None

    @property
    def from_pack(self) -> bool:
        """True for a result unpacked from a pack: someone else paid for it; it never counts here."""
        return self.pack is not None

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", TaskState(self.state))

    @property
    def prompt(self) -> str | None:
        return (self.wire or {}).get("positivePrompt")

    @property
    def seconds(self) -> float | None:
        if self.finished and self.submitted:
            return self.finished - self.submitted
        return None

    @property
    def resumable(self) -> bool:
        """True when ``client.resume()`` has something to do: in flight, being prepared, or never sent."""
        return self.state in RESUMABLE

    @property
    def in_flight(self) -> bool:
        """True when the service may be running (and billing) this task."""
        return self.state.in_flight

    def __repr__(self) -> str:
        cost = "" if self.cost is None else f", ${self.cost:.2f}"
        if self.pack is not None:
            cost += ", from pack (paid by its maker)"
        label = f" [{self.label}]" if self.label else ""
        err = f", error={self.error!r}" if self.error else ""
        take = f" take {self.take}" if self.take else ""
        return (
            f"LedgerEntry({self.task_uuid}, {self.kind}{label}{take}, {self.state}, {self.backend}, "
            f"{_when(self.created)}{cost}{err})"
        )


#: The ledger's columns, in the order every SELECT reads them: the fields of :class:`LedgerEntry`.
COLUMNS = tuple(f.name for f in fields(LedgerEntry))
SELECT = f"SELECT {', '.join(COLUMNS)} FROM tasks"


def entry(row: tuple[Any, ...]) -> LedgerEntry:
    """A row read with :data:`SELECT` as a :class:`LedgerEntry`."""
    values = dict(zip(COLUMNS, row, strict=True))
    values["wire"] = json.loads(values["wire"]) if values["wire"] else None
    values["extra"] = json.loads(values["extra"]) if values["extra"] else {}
    return LedgerEntry(**values)


def dumps(value: Any) -> str | None:
    """How a row stores ``wire`` and ``extra``: compact JSON (None stays NULL)."""
    return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class History(list):  # type: ignore[type-arg]
    """``client.history()``: ledger entries, newest first, shown as a table."""

    def _rows(self) -> list[tuple[str, ...]]:
        rows: list[tuple[str, ...]] = []
        for e in self:
            prompt = (e.prompt or "").replace("\n", " ")
            rows.append(
                (
                    _when(e.created),
                    e.task_uuid,
                    e.kind or "",
                    e.label or "",
                    e.state.value,
                    e.backend or "",
                    ("" if e.cost is None else f"${e.cost:.2f}") + (" (pack)" if e.pack else ""),
                    prompt[:40] + ("..." if len(prompt) > 40 else ""),
                )
            )
        return rows

    _HEAD = ("created", "task_uuid", "kind", "label", "state", "backend", "cost", "prompt")

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per task, newest first (see :mod:`lumakit.records`)."""
        from .records import entry_record

        return [entry_record(e) for e in self]

    def to_pandas(self) -> Any:
        """:meth:`to_records` as a ``pandas.DataFrame`` (needs pandas)."""
        from .records import to_pandas

        return to_pandas(self.to_records())

    def __repr__(self) -> str:
        if not self:
            return "History(empty)"
        rows = [self._HEAD, *self._rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(self._HEAD))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)

    def _repr_html_(self) -> str:
        import html

        head = "".join(f"<th>{h}</th>" for h in self._HEAD)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in self._rows()
        )
        return f'<table class="lumakit-history"><tr>{head}</tr>{body}</table>'
