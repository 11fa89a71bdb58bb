"""Ledger rows of results unpacked from a pack (:mod:`lumakit.packs`): finished tasks paid by the pack's
maker, with ``pack`` set so a budget never counts them (``cache.unpacked``)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._ledger import LedgerFile
from ._ledger_entry import SELECT, LedgerEntry, dumps, entry
from .lifecycle import TaskState

COLUMNS = ("task_uuid", "kind", "label", "key", "backend", "take", "scope", "wire", "cost", "created",
           "submitted", "finished", "video_uuid", "result_path", "extra")  # fmt: skip
_FROM_PACKS = (
    f"{SELECT} WHERE key = ? AND backend = 'runware' AND take = ? AND state = 'done' AND pack IS NOT NULL "
    "ORDER BY finished DESC"
)


class UnpackedResults:
    """Ray results unpacked from packs, as rows of the cache's ledger (``cache.unpacked``)."""

    def __init__(self, file: LedgerFile) -> None:
        self._file = file

    def add(
        self, rows: Iterable[Mapping[str, Any]], pack: str, place: Callable[[Mapping[str, Any]], None]
    ) -> int:
        """Record a pack's new results as finished tasks in one transaction (``place(row)`` puts each file in
        the cache first); returns how many were added."""
        with self._file.write() as db:
            return _add(db, rows, pack, place)

    def for_request(self, key: str, take: int = 0) -> list[LedgerEntry]:
        """Ray results unpacked from packs for ``key`` (and ``take``), newest first."""
        return [entry(row) for row in self._file.execute(_FROM_PACKS, (key, take))]


def _add(
    db: sqlite3.Connection,
    rows: Iterable[Mapping[str, Any]],
    pack: str,
    place: Callable[[Mapping[str, Any]], None],
) -> int:
    """Insert each row the ledger does not have yet as a finished task from ``pack`` (``place(row)`` puts
    its file in the cache first), inside the write transaction ``db``; returns how many were added."""
    added = 0
    for row in rows:
        known = db.execute("SELECT 1 FROM tasks WHERE task_uuid = ? COLLATE NOCASE", (row["task_uuid"],))
        if known.fetchone():
            continue
        place(row)
        values = {c: row.get(c) for c in COLUMNS}
        values.update(state=TaskState.DONE.value, pack=pack, updated=time.time())
        for name in ("wire", "extra"):
            values[name] = dumps(values[name])
        db.execute(
            f"INSERT INTO tasks ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            tuple(values.values()),
        )
        added += 1
    return added
