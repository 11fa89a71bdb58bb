"""A cache folder: result files plus one SQLite ledger of every task (in-flight ones too), in named parts.

Layout under :func:`lumakit._files.cache_root` (``LUMAKIT_CACHE_DIR``, else the user cache dir)::

    results/<backend>/<key[:2]>/<key>-<task8>.<ext>   downloaded videos, written atomically (temp, replace)
    ledger.sqlite3                                   the ledger (SQLite, WAL: safe across threads/processes)
    owners/<token>.lock                              which process owns a task being prepared (an flock)

:class:`Cache` opens the ledger once (:class:`lumakit._ledger.LedgerFile`) and composes its parts, each one
concern in its own module::

    cache.ledger          TaskLedger: the tasks, moved only along the lifecycle's arrows (_task_ledger)
    cache.results         ResultFiles: where each result file lives; the finished one on disk (_result_files)
    cache.spending        Spending: what a budget counts, and holds that reserve a call's price (_spending)
    cache.unpacked        UnpackedResults: results unpacked from packs, paid by their maker (_pack_rows)
    cache.reserved_uuids  ReservedUuids: task UUIDs a dry run used, kept for the real run (_reserved_uuids)
    cache.uploads         UploadMemo: the media UUID each file content got from a service (_upload_memo)

Nothing here ever stores the API key.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from . import _files, _ledger, _owners, _reserved_uuids, _spending, _task_ledger, _upload_memo
from ._ledger_entry import History, LedgerEntry
from ._pack_rows import UnpackedResults
from ._reserved_uuids import ReservedUuids
from ._result_files import ResultFiles
from ._spending import Hold, Limit, Reservation, Spending
from ._task_ledger import TaskLedger
from ._upload_memo import UploadMemo

__all__ = [
    "Cache",
    "History",
    "Hold",
    "LedgerEntry",
    "Limit",
    "Reservation",
    "ReservedUuids",
    "ResultFiles",
    "Spending",
    "TaskLedger",
    "UnpackedResults",
    "UploadMemo",
    "default_cache_dir",
    "file_digest",
]

default_cache_dir = _files.cache_root  # ``LUMAKIT_CACHE_DIR`` or the platform's user cache dir
file_digest = _files.digest  # SHA-256 of a file's content, memoized per identity

#: Every table of the ledger, as one text: the schema version is drawn from it (``_ledger.schema_version``),
#: and it is the text earlier lumakits stamped their ledgers with, so an up-to-date ledger stays current.
_TABLES = "\n" + _task_ledger.SCHEMA + _upload_memo.SCHEMA + _reserved_uuids.SCHEMA


class Cache:
    """Result files and the task ledger under one directory. Thread-safe; safe across processes (SQLite)."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_cache_dir()
        self._file = _ledger.LedgerFile(self.root, _prepare, _create)
        self.ledger_path = self._file.path
        # read_only: the folder or the ledger cannot be written (history and cache hits only)
        self.read_only = self._file.read_only
        # a read-only cache owns nothing: it never claims a task
        owner = f"read-only-{os.getpid()}" if self.read_only else _owners.token(self.root)
        self.ledger = TaskLedger(self._file, self.root, owner)
        self.unpacked = UnpackedResults(self._file)
        self.results = ResultFiles(self.root, self.ledger, self.unpacked)
        self.spending = Spending(self._file, self.root, owner)
        self.reserved_uuids = ReservedUuids(self._file)
        self.uploads = UploadMemo(self._file)
        if not self.read_only:
            self.results.remove_dead_parts()

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r})"

    def close(self) -> None:
        self._file.close()


def _prepare(db: sqlite3.Connection) -> None:
    """A writable ledger's schema, up to date (``_ledger`` has switched it to WAL). A ledger already stamped
    with this schema's version is only read: opening it (``lumakit history``) takes no write lock."""
    version = _ledger.schema_version(_TABLES, _spending.SCHEMA)
    if _ledger.is_current(db, version):
        return
    db.execute("BEGIN IMMEDIATE")
    for statement in _TABLES.split(";"):
        if statement.strip():
            db.execute(statement)
    _ledger.migrate(db)
    _spending.create(db)
    db.execute(f"PRAGMA user_version = {version}")
    db.execute("COMMIT")


def _create(db: sqlite3.Connection) -> None:
    """The tables of an empty ledger (a read-only cache that has none: history is empty)."""
    db.executescript(_TABLES)
    _spending.create(db)
