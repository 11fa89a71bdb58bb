"""Budget totals in the ledger: what a cache has spent, and holds that reserve a call's price atomically.

A budget is a limit in USD across calls, kernels and restarts, so its total lives in the ledger, not in a
client. Each task row counts::

    preparing, submitted, processing, interrupted   its billed ``cost`` if known, else its ``estimate``
    done                                            its billed ``cost`` (the estimate if none came back)
    failed                                          its billed ``cost`` if the service sent one, else 0
    not_sent                                        0 (nothing reached the service)

Rows unpacked from a pack (``pack`` set) never count: their maker paid. A call reserves its price with a
*hold* in the same ``BEGIN IMMEDIATE`` transaction as the check, so two kernels racing for the last dollars
cannot both pass; each job's estimate moves from the hold to its task row when the task is claimed
(:meth:`lumakit._task_ledger.TaskLedger.claim`, through :func:`consume`), and what is left of the hold is
released when the call ends. A job the hold did not reserve (its request was open, or held by another call,
when the hold was made, and is not any more: that call's kernel died) is checked against the budget when it
is claimed (:func:`check_unreserved`), so no kernel's death lets a budget be crossed. A hold whose process
died (its owner lock is free, :mod:`lumakit._owners`) is dropped. :class:`Spending` (``cache.spending``)
opens the transactions; every function here runs inside the caller's (a write one for :meth:`Spending.hold`,
:func:`consume`, :func:`check_unreserved` and :meth:`Spending.release`).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import _owners
from ._ledger import LedgerFile
from .errors import BudgetExceeded
from .lifecycle import OPEN

SCHEMA = """
CREATE TABLE IF NOT EXISTS holds (
    id TEXT PRIMARY KEY, owner TEXT, backend TEXT, scope TEXT, jobs TEXT NOT NULL, created REAL
)
"""
_OPEN_SQL = "(" + ", ".join(sorted(f"'{s.value}'" for s in OPEN)) + ")"
_COUNTED = f"""
SELECT COALESCE(SUM(CASE
    WHEN state IN {_OPEN_SQL} THEN COALESCE(cost, estimate, 0)
    WHEN state = 'done' THEN COALESCE(cost, estimate, 0)
    WHEN state = 'failed' THEN COALESCE(cost, 0)
    ELSE 0 END), 0)
FROM tasks WHERE backend = ? AND pack IS NULL
"""


@dataclass(frozen=True)
class Hold:
    """A call's reservation: its id in the ``holds`` table, and the limit it was checked against (``budget``
    USD over ``scope``'s tasks; None: the whole cache), which a job claimed outside it is checked against."""

    id: str
    budget: float
    scope: str | None


def create(db: sqlite3.Connection) -> None:
    db.execute(SCHEMA)


def _slot(key: str, take: int) -> str:
    return f"{key}:{take}"


def _live_holds(
    db: sqlite3.Connection, root: Path, backend: str, prune: bool
) -> list[tuple[str | None, dict[str, float]]]:
    """``(scope, {slot: estimate})`` of each live hold; the holds of processes that died are left out (and
    deleted, with ``prune``: inside a write transaction)."""
    live = []
    for hold_id, owner, scope, jobs in db.execute(
        "SELECT id, owner, scope, jobs FROM holds WHERE backend = ?", (backend,)
    ).fetchall():
        if not _owners.alive(root, owner):
            if prune:
                db.execute("DELETE FROM holds WHERE id = ?", (hold_id,))
        else:
            live.append((scope, {str(k): float(v) for k, v in json.loads(jobs).items()}))
    return live


def _total(db: sqlite3.Connection, root: Path, backend: str, scope: str | None, prune: bool = False) -> float:
    """USD counted against a budget: task rows (see the module's table) plus live holds. A plain read unless
    ``prune``."""
    sql, params = _COUNTED, [backend]
    if scope is not None:
        sql, params = sql + " AND scope = ?", [backend, scope]
    (rows,) = db.execute(sql, params).fetchone()
    held = sum(
        sum(jobs.values())
        for hold_scope, jobs in _live_holds(db, root, backend, prune)
        if scope in (None, hold_scope)
    )
    return round(float(rows) + held, 6)


def _hold(
    db: sqlite3.Connection,
    root: Path,
    owner: str,
    budget: float,
    backend: str,
    scope: str | None,
    jobs: Iterable[tuple[str, int, float]],
    hold_scope: str | None,
) -> tuple[Hold | None, float, float]:
    """Check a call against ``budget`` and reserve its price: ``(hold, or None if refused; spent; call)``.
    ``jobs`` are ``(key, take, estimate)``; one whose request is already open, or held by another call (two
    kernels starting the same cell), adds nothing: it will be adopted, not sent twice."""
    held = {slot for _scope, slots in _live_holds(db, root, backend, True) for slot in slots}
    mine: dict[str, float] = {}
    for key, take, estimate in jobs:
        if _slot(key, take) in held:
            continue
        open_row = db.execute(
            f"SELECT 1 FROM tasks WHERE key = ? AND backend = ? AND take = ? AND state IN {_OPEN_SQL}",
            (key, backend, take),
        ).fetchone()
        if open_row is None:
            mine[_slot(key, take)] = estimate
    call = round(sum(mine.values()), 6)
    spent = _total(db, root, backend, scope, prune=True)
    if spent + call > budget + 1e-9:
        return None, spent, call
    hold_id = uuid.uuid4().hex
    db.execute(
        "INSERT INTO holds (id, owner, backend, scope, jobs, created) VALUES (?, ?, ?, ?, ?, ?)",
        (hold_id, owner, backend, hold_scope, json.dumps(mine), time.time()),
    )
    return Hold(hold_id, budget, scope), spent, call


def consume(db: sqlite3.Connection, hold: Hold, key: str, take: int) -> bool:
    """Take a job out of its call's hold: the task row inserted in this transaction counts it now. False
    when the hold did not reserve it."""
    row = db.execute("SELECT jobs FROM holds WHERE id = ?", (hold.id,)).fetchone()
    if row is None:
        return False
    jobs = json.loads(row[0])
    if jobs.pop(_slot(key, take), None) is None:
        return False
    db.execute("UPDATE holds SET jobs = ? WHERE id = ?", (json.dumps(jobs), hold.id))
    return True


def check_unreserved(db: sqlite3.Connection, root: Path, hold: Hold, backend: str, estimate: float) -> None:
    """Raise :class:`BudgetExceeded` when a job its call's hold did not reserve, whose task row (counting
    ``estimate``) this transaction just inserted, takes the total over the hold's budget; raising rolls the
    insert back, so nothing is sent."""
    total = _total(db, root, backend, hold.scope, prune=True)
    if total > hold.budget + 1e-9:
        raise BudgetExceeded(estimate, hold.budget, round(total - estimate, 6), hold.scope)


def _release(db: sqlite3.Connection, hold_id: str) -> None:
    db.execute("DELETE FROM holds WHERE id = ?", (hold_id,))


class Spending:
    """What a cache has spent and the holds reserving calls' prices (``cache.spending``)."""

    def __init__(self, file: LedgerFile, root: Path, owner: str) -> None:
        self._file = file
        self._root = root
        self._owner = owner

    def total(self, backend: str, scope: str | None = None) -> float:
        """USD ``backend`` jobs count against a budget (``scope`` None: every scope); a plain read."""
        with self._file.reading() as db:
            return _total(db, self._root, backend, scope)

    def hold(
        self,
        budget: float,
        backend: str,
        scope: str | None,
        jobs: Iterable[tuple[str, int, float]],
        hold_scope: str | None = None,
    ) -> tuple[Hold | None, float, float]:
        """Check a call's jobs (``(key, take, estimate)``) against ``budget`` and reserve them, atomically:
        ``(hold, or None when refused; spent; this call)``."""
        with self._file.write() as db:
            return _hold(db, self._root, self._owner, budget, backend, scope, jobs, hold_scope)

    def release(self, hold: Hold) -> None:
        """Drop what is left of a call's hold."""
        with self._file.write() as db:
            _release(db, hold.id)
