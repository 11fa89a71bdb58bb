"""The ledger of tasks: every task lumakit started (in flight ones too), moved only along the lifecycle.

    entry, mine = ledger.claim(task_uuid, kind=..., key=..., backend=..., wire=...)  # or adopt the open one
    ledger.sending(task_uuid, wire); ledger.running(task_uuid); ledger.done(task_uuid, path, extra)
    ledger.get(task_uuid); ledger.history(); ledger.pending(); ledger.finished(key, backend, take)

The ledger is the truth across processes: :meth:`TaskLedger.claim` gives each (request, take) at most one task
in flight, atomically (``BEGIN IMMEDIATE``), so two kernels starting the same request at once send one job. A
task moves through the states of :mod:`lumakit.lifecycle` only along its arrows (:meth:`TaskLedger.move`): a
task another process finished never goes back to "interrupted". A ``PREPARING`` row is owned by the process
that claimed it (an flock, :mod:`lumakit._owners`); a dead owner's row is taken over. Never the API key.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from . import _owners, _spending
from ._ledger import LedgerFile
from ._ledger_entry import COLUMNS, SELECT, History, LedgerEntry, dumps, entry
from .errors import RequestError
from .lifecycle import OPEN, RESUMABLE, TaskState, can_move

log = logging.getLogger("lumakit.cache")

#: The ``tasks`` table (its columns are :class:`LedgerEntry`'s fields; ``_ledger`` migrates older ones).
SCHEMA = """CREATE TABLE IF NOT EXISTS tasks (
    task_uuid TEXT PRIMARY KEY, kind TEXT, label TEXT, key TEXT, backend TEXT, state TEXT NOT NULL,
    wire TEXT, created REAL, updated REAL, submitted REAL, finished REAL, cost REAL, result_path TEXT,
    video_uuid TEXT, video_url TEXT, error TEXT, extra TEXT,
    take INTEGER NOT NULL DEFAULT 0, owner TEXT, sent REAL, estimate REAL, scope TEXT, pack TEXT
);
CREATE INDEX IF NOT EXISTS tasks_key ON tasks(key, backend, state);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks(created);
"""


def _sql_in(states: Iterable[TaskState]) -> str:
    return "(" + ", ".join(sorted(f"'{s.value}'" for s in states)) + ")"


_OPEN_FOR_SQL = (
    f"{SELECT} WHERE key = ? AND backend = ? AND take = ? AND state IN {_sql_in(OPEN)} "
    "ORDER BY created DESC LIMIT 1"
)
_DONE_FOR_SQL = (
    f"{SELECT} WHERE key = ? AND backend = ? AND take = ? AND state = 'done' ORDER BY finished DESC LIMIT 1"
)


class TaskLedger:
    """The ``tasks`` table of a cache's ledger (``cache.ledger``). Thread-safe; safe across processes."""

    def __init__(self, file: LedgerFile, root: Path, owner: str) -> None:
        self._file = file
        self._root = root
        self.owner = owner  # this process's owner token for the cache (rows it claims carry it)

    def claim(
        self,
        task_uuid: str,
        *,
        kind: str,
        key: str | None,
        backend: str,
        wire: Mapping[str, Any] | None,
        label: str | None = None,
        take: int = 0,
        extra: Mapping[str, Any] | None = None,
        estimate: float | None = None,
        scope: str | None = None,
        hold: _spending.Hold | None = None,
        seen_done: Collection[str] | None = None,
    ) -> tuple[LedgerEntry, bool]:
        """Claim the (``key``, ``backend``, ``take``) slot for a new task, before anything is sent.

        Returns ``(entry, True)`` with a new ``PREPARING`` row owned by this process, or ``(entry, False)``
        with the task already open for the same request (in this process or another): wait for that one
        instead of sending a second job. Atomic across processes.

        ``seen_done``: the finished tasks of this request the caller saw when it decided to run it (and
        found no usable result); a task that finished since (another kernel's, a moment ago) is returned
        ``(entry, False)`` instead of a second job being sent. None (``force``): finished tasks are ignored.

        ``estimate`` is what the new task counts against a budget until its billed cost arrives; it moves
        out of the call's budget ``hold`` (:meth:`lumakit._spending.Spending.hold`) in the same transaction,
        so the total spent never dips between the two. A task the hold did not reserve is checked against
        the hold's budget here (:class:`~lumakit.errors.BudgetExceeded`, nothing claimed).
        """
        with self._file.write() as db:
            if key is not None:
                rows = db.execute(_OPEN_FOR_SQL, (key, backend, take)).fetchall()
                if rows:
                    return entry(rows[0]), False
                if seen_done is not None:
                    done = [entry(r) for r in db.execute(_DONE_FOR_SQL, (key, backend, take)).fetchall()]
                    if done and done[0].task_uuid not in seen_done:
                        return done[0], False
            row: dict[str, Any] = {"kind": kind, "label": label, "key": key, "backend": backend}
            now = time.time()
            row.update(task_uuid=task_uuid, state=TaskState.PREPARING.value, created=now, updated=now)
            row.update(wire=dumps(wire), extra=dumps(dict(extra or {})), take=take, owner=self.owner)
            row.update(estimate=estimate, scope=scope)
            marks = ", ".join("?" * len(row))
            db.execute(f"INSERT INTO tasks ({', '.join(row)}) VALUES ({marks})", tuple(row.values()))
            if hold is not None and key is not None and not _spending.consume(db, hold, key, take):
                _spending.check_unreserved(db, self._root, hold, backend, float(estimate or 0.0))
        claimed = self.get(task_uuid)
        assert claimed is not None
        return claimed, True

    def open_for(self, key: str, backend: str, take: int = 0) -> LedgerEntry | None:
        """The task open (being prepared or in flight) for this request and take, if any: what a run of the
        request would adopt instead of sending a new one."""
        rows = self._file.execute(_OPEN_FOR_SQL, (key, backend, take))
        return entry(rows[0]) if rows else None

    def update(self, task_uuid: str, **fields: Any) -> None:
        """Change some fields of a task (``wire``, ``cost``, ``extra``...); states move with :meth:`move`."""
        bad = set(fields) - set(COLUMNS) | ({"state", "task_uuid"} & set(fields))
        if bad:
            settable = [c for c in COLUMNS if c not in ("state", "task_uuid")]
            raise RequestError("field", sorted(bad)[0], settable)
        self._set(None, task_uuid, fields)

    def move(self, task_uuid: str, to: TaskState | str, **fields: Any) -> bool:
        """Move a task to state ``to`` (and set ``fields``) if the state machine allows it from where the
        ledger has it now; returns False, changing nothing, if not (another process got there first: a task
        that is ``DONE`` never goes back to ``INTERRUPTED``). Atomic across processes."""
        to = TaskState(to)
        bad = set(fields) - set(COLUMNS)
        if bad:
            raise RequestError("field", sorted(bad)[0], COLUMNS)
        with self._file.write() as db:
            rows = db.execute("SELECT state FROM tasks WHERE task_uuid = ?", (task_uuid,)).fetchall()
            if not rows or not can_move(rows[0][0], to):
                log.debug("task %s: no move %s -> %s", task_uuid, rows[0][0] if rows else "?", to)
                return False
            self._set(db, task_uuid, {**fields, "state": to.value})
        return True

    # the state machine's arrows by name (each is a checked :meth:`move`; False if the arrow does not exist)
    def sending(self, task_uuid: str, wire: Mapping[str, Any]) -> bool:
        """PREPARING -> SUBMITTED: recorded *before* the POST, so a crash mid-POST leaves it in flight."""
        return self.move(task_uuid, TaskState.SUBMITTED, wire=dict(wire), sent=time.time())

    def running(self, task_uuid: str, **result: Any) -> bool:
        """-> PROCESSING: the service says it runs, or its result URL (``video_url``...) is known."""
        return self.move(task_uuid, TaskState.PROCESSING, **result)

    def interrupted(self, task_uuid: str, why: str) -> bool:
        """-> INTERRUPTED: we stopped waiting (or could not ask); the task may still run and bill."""
        return self.move(task_uuid, TaskState.INTERRUPTED, error=why)

    def not_sent(self, task_uuid: str, why: str) -> bool:
        """-> NOT_SENT: stopped or refused before the service took it; nothing billed."""
        return self.move(task_uuid, TaskState.NOT_SENT, error=why, finished=time.time())

    def reopen(self, task_uuid: str) -> bool:
        """NOT_SENT -> PREPARING, owned by this process: ``resume()`` sends it now."""
        return self.move(task_uuid, TaskState.PREPARING, owner=self.owner, error=None)

    def failed(self, task_uuid: str, why: str) -> bool:
        """-> FAILED: a task-level answer said so (or the service lost an acknowledged task)."""
        return self.move(task_uuid, TaskState.FAILED, error=why, finished=time.time())

    def done(self, task_uuid: str, result_path: str, extra: Mapping[str, Any]) -> bool:
        """-> DONE: the result is on disk."""
        return self.move(
            task_uuid,
            TaskState.DONE,
            finished=time.time(),
            result_path=result_path,
            extra=dict(extra),
            error=None,
        )

    def take_over(self, task_uuid: str, dead_owner: str | None) -> bool:
        """Make this process the owner of a ``PREPARING`` task whose owner died (atomic; False if someone
        else took it first or it moved on)."""
        with self._file.write() as db:
            cur = db.execute(
                "UPDATE tasks SET owner = ?, updated = ? WHERE task_uuid = ? AND state = ? AND owner IS ?",
                (self.owner, time.time(), task_uuid, TaskState.PREPARING.value, dead_owner),
            )
            return cur.rowcount == 1

    def owner_alive(self, owner: str | None) -> bool:
        """True while the process that owns a ``PREPARING`` task is still running."""
        return _owners.alive(self._root, owner)

    def _set(self, db: sqlite3.Connection | None, task_uuid: str, fields: dict[str, Any]) -> None:
        """Set ``fields`` of a row: inside the write transaction ``db``, or (None) as one statement."""
        fields = {**fields, "updated": time.time()}
        for name in ("wire", "extra"):
            if name in fields:
                fields[name] = dumps(fields[name])
        if "state" in fields:
            fields["state"] = TaskState(fields["state"]).value
        cols = ", ".join(f"{k} = ?" for k in fields)
        sql, params = f"UPDATE tasks SET {cols} WHERE task_uuid = ?", (*fields.values(), task_uuid)
        if db is not None:
            db.execute(sql, params)
        else:
            self._file.execute(sql, params)

    def get(self, task_uuid: str) -> LedgerEntry | None:
        rows = self._file.execute(f"{SELECT} WHERE task_uuid = ? COLLATE NOCASE", (task_uuid,))
        return entry(rows[0]) if rows else None

    def by_video_uuid(self, video_uuid: str) -> LedgerEntry | None:
        """The task whose result is the video ``video_uuid`` (an earlier generation), or None."""
        rows = self._file.execute(
            f"{SELECT} WHERE video_uuid = ? COLLATE NOCASE ORDER BY finished DESC LIMIT 1", (video_uuid,)
        )
        return entry(rows[0]) if rows else None

    def history(self, limit: int | None = None) -> History:
        """Every task, newest first."""
        sql = f"{SELECT} ORDER BY created DESC, rowid DESC"
        if limit is not None:
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
                raise RequestError("limit", limit, "a non-negative integer or None")
            sql += f" LIMIT {int(limit)}"
        return History(entry(r) for r in self._file.execute(sql))

    def pending(self) -> History:
        """Every task that is not over (in flight, being prepared, or never sent), oldest first."""
        rows = self._file.execute(f"{SELECT} WHERE state IN {_sql_in(RESUMABLE)} ORDER BY created, rowid")
        return History(entry(r) for r in rows)

    def finished(self, key: str, backend: str, take: int = 0) -> list[LedgerEntry]:
        """Every finished task for ``key`` (and ``take``), newest first, whether or not its file is here."""
        rows = self._file.execute(
            f"{SELECT} WHERE key = ? AND backend = ? AND take = ? AND state = 'done' ORDER BY finished DESC",
            (key, backend, take),
        )
        return [entry(row) for row in rows]
