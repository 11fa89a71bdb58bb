"""Ledger rows of results unpacked from a pack (:mod:`lumakit.packs`): finished tasks paid by the pack's
maker, with ``pack`` set so a budget never counts them. Each function runs inside the caller's transaction."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .lifecycle import TaskState

COLUMNS = ("task_uuid", "kind", "label", "key", "backend", "take", "scope", "wire", "cost", "created",
           "submitted", "finished", "video_uuid", "result_path", "extra")  # fmt: skip
FROM_PACKS = (
    "WHERE key = ? AND backend = 'runware' AND take = ? AND state = 'done' AND pack IS NOT NULL "
    "ORDER BY finished DESC"
)


def add(
    db: sqlite3.Connection,
    rows: Iterable[Mapping[str, Any]],
    pack: str,
    place: Callable[[Mapping[str, Any]], None],
) -> int:
    """Insert each row the ledger does not have yet as a finished task from ``pack`` (``place(row)`` puts
    its file in the cache first); returns how many were added."""
    added = 0
    for row in rows:
        known = db.execute("SELECT 1 FROM tasks WHERE task_uuid = ? COLLATE NOCASE", (row["task_uuid"],))
        if known.fetchone():
            continue
        place(row)
        values = {c: row.get(c) for c in COLUMNS}
        values.update(state=TaskState.DONE.value, pack=pack, updated=time.time())
        for name in ("wire", "extra"):
            values[name] = None if values[name] is None else json.dumps(values[name], separators=(",", ":"))
        db.execute(
            f"INSERT INTO tasks ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            tuple(values.values()),
        )
        added += 1
    return added
