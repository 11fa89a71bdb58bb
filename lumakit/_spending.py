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
released when the call ends. A call may answer to several limits at once (its own budget over its scope,
and a cap over the whole cache set for every notebook, ``LUMAKIT_BUDGET_CAP``): it is held only if it fits
under every one. A job the hold did not reserve (its request was open, or held by another call,
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

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
class Limit:
    """A spending limit: at most ``usd`` over the tasks of ``scope`` (None: the whole cache); ``name`` is
    what sets it, for messages (``budget``, or ``LUMAKIT_BUDGET_CAP``)."""

    usd: float
    scope: str | None = None
    name: str = "budget"


@dataclass(frozen=True)
class Hold:
    """A call's reservation: its id in the ``holds`` table, and the limits it was checked against, which a
    job claimed outside it is checked against too."""

    id: str
    limits: tuple[Limit, ...]


class Reservation(NamedTuple):
    """What :meth:`Spending.hold` decided: the ``hold`` (None: refused), what ``limit``'s scope had
    ``spent`` (or holds), this ``call``'s new jobs, and the ``limit``: the one that refused the call, or
    (held) the first."""

    hold: Hold | None
    spent: float
    call: float
    limit: Limit

    def refusal(self, breakdown: object = None) -> BudgetExceeded:
        """The error that says why the call was refused."""
        return exceeded(self.call, self.limit, self.spent, breakdown)


def exceeded(estimate: float, limit: Limit, spent: float, breakdown: object = None) -> BudgetExceeded:
    return BudgetExceeded(estimate, limit.usd, spent, limit.scope, breakdown=breakdown, limit_name=limit.name)


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
    limits: Sequence[Limit],
    backend: str,
    jobs: Iterable[tuple[str, int, float]],
    hold_scope: str | None,
) -> Reservation:
    """Check a call against every one of ``limits`` and reserve its price (see :class:`Reservation`).
    ``jobs`` are ``(key, take, estimate)``; one whose request is already open, or held by another call (two
    kernels starting the same cell), adds nothing: it will be adopted, not sent twice."""
    if not limits:
        raise ValueError("a hold needs at least one limit")
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
    spent = [_total(db, root, backend, limit.scope, prune=True) for limit in limits]
    for limit, total in zip(limits, spent, strict=True):
        if total + call > limit.usd + 1e-9:
            return Reservation(None, total, call, limit)
    hold_id = uuid.uuid4().hex
    db.execute(
        "INSERT INTO holds (id, owner, backend, scope, jobs, created) VALUES (?, ?, ?, ?, ?, ?)",
        (hold_id, owner, backend, hold_scope, json.dumps(mine), time.time()),
    )
    return Reservation(Hold(hold_id, tuple(limits)), spent[0], call, limits[0])


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
    ``estimate``) this transaction just inserted, takes the total over any of the hold's limits; raising
    rolls the insert back, so nothing is sent."""
    for limit in hold.limits:
        total = _total(db, root, backend, limit.scope, prune=True)
        if total > limit.usd + 1e-9:
            raise exceeded(estimate, limit, round(total - estimate, 6))


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

    def left(self, backend: str, limit: Limit) -> float:
        """USD ``limit`` has left for ``backend`` jobs (never below 0); a plain read."""
        return round(max(limit.usd - self.total(backend, limit.scope), 0.0), 6)

    def hold(
        self,
        limits: Limit | Sequence[Limit],
        backend: str,
        jobs: Iterable[tuple[str, int, float]],
        hold_scope: str | None = None,
    ) -> Reservation:
        """Check a call's jobs (``(key, take, estimate)``) against ``limits`` and reserve them, atomically;
        ``hold_scope`` is the scope the call's tasks will be recorded under."""
        with self._file.write() as db:
            chosen = [limits] if isinstance(limits, Limit) else list(limits)
            return _hold(db, self._root, self._owner, chosen, backend, jobs, hold_scope)

    def release(self, hold: Hold) -> None:
        """Drop what is left of a call's hold."""
        with self._file.write() as db:
            _release(db, hold.id)
