"""Task UUIDs a dry run used, set aside for the real run of the same request (``cache.reserved_uuids``).

A dry run sends the UUID the real submit will use, so if the service ran the dry run for real, the real submit
is the same task, never a second one (:mod:`lumakit.client._dry_run`).
"""

from __future__ import annotations

import time

from ._ledger import LedgerFile

#: The ``reserved_uuids`` table: one UUID per (request key, backend, take).
SCHEMA = """CREATE TABLE IF NOT EXISTS reserved_uuids (
    key TEXT, backend TEXT, take INTEGER, task_uuid TEXT, created REAL,
    PRIMARY KEY (key, backend, take)
);
"""
_GET = "SELECT task_uuid FROM reserved_uuids WHERE key = ? AND backend = ? AND take = ?"


class ReservedUuids:
    """The task UUID each (``key``, ``backend``, ``take``) will be sent under, once a dry run chose it."""

    def __init__(self, file: LedgerFile) -> None:
        self._file = file

    def reserve(self, key: str, backend: str, take: int, candidate: str) -> str:
        """The task UUID the next task for (``key``, ``backend``, ``take``) will be sent under: the one
        already reserved, else ``candidate`` (reserved now), in one transaction."""
        with self._file.write() as db:
            db.execute(
                "INSERT OR IGNORE INTO reserved_uuids VALUES (?, ?, ?, ?, ?)",
                (key, backend, take, candidate, time.time()),
            )
            rows = db.execute(_GET, (key, backend, take)).fetchall()
        return str(rows[0][0])

    def get(self, key: str, backend: str, take: int) -> str | None:
        """The UUID :meth:`reserve` set aside for this request and take, if any (and still unused)."""
        rows = self._file.execute(_GET, (key, backend, take))
        return str(rows[0][0]) if rows else None

    def release(self, key: str, backend: str, take: int) -> None:
        """Forget the reservation once a task holds the UUID (or another task took the request's slot)."""
        self._file.execute(
            "DELETE FROM reserved_uuids WHERE key = ? AND backend = ? AND take = ?", (key, backend, take)
        )
