"""The ledger file opened one way: read-write, read-only when it cannot be written, or a clear error.

    ledger = LedgerFile(root, prepare, create)   # prepare(db): the cache's schema, then migrate(db)
    ledger.execute(sql, params)                  # one statement under the lock
    with ledger.write() as db: ...               # BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any error)
    raise ledger_error(path, sqlite_error)       # CacheError: read-only, cannot be opened, or damaged

A folder or ledger that cannot be written (a read-only mount, another user's cache) is opened read-only
(``mode=ro``, else ``immutable=1`` when no ``-shm`` file can be made): history, usage and cache hits work, and
any write raises :class:`~lumakit.errors.CacheError`. A ledger that cannot be used at all (damaged,
truncated, not SQLite, a folder, unreadable) raises a ``CacheError`` naming the file, ``LUMAKIT_CACHE_DIR``
and what to do; lumakit never replaces or empties it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import urllib.parse
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import CacheError

log = logging.getLogger("lumakit.cache")

LEDGER_NAME = "ledger.sqlite3"


def cache_error(path: Path, problem: str, advice: str | None = None) -> CacheError:
    """A :class:`CacheError` whose advice names ``LUMAKIT_CACHE_DIR`` and where it points now."""
    env = os.environ.get("LUMAKIT_CACHE_DIR")
    where = f"LUMAKIT_CACHE_DIR={env}" if env else "LUMAKIT_CACHE_DIR is not set: the user cache dir is used"
    advice = advice or (
        "Check its permissions (lumakit reads and writes it), or set LUMAKIT_CACHE_DIR to another folder"
    )
    return CacheError(path, problem, f"{advice} ({where})")


def ledger_error(path: Path, exc: BaseException) -> CacheError:
    """The :class:`CacheError` for an SQLite error of the ledger at ``path``: read-only, unreadable or
    damaged."""
    text = str(exc)
    if "readonly" in text:
        return cache_error(
            path,
            "the cache is read-only: lumakit can show its history and cached results, but cannot record "
            "a new task here",
            "Make the folder writable, or set LUMAKIT_CACHE_DIR to a writable folder",
        )
    if "unable to open" in text or isinstance(exc, PermissionError):
        return cache_error(path, f"the ledger cannot be opened ({text})")
    return cache_error(
        path,
        f"the ledger is damaged or is not lumakit's ({text})",
        "Move it aside (e.g. rename it to ledger.sqlite3.broken): lumakit then starts a new, empty "
        "ledger; result files under results/ stay, but the tasks recorded only in this file (history, "
        "tasks in flight) are no longer tracked. Or set LUMAKIT_CACHE_DIR to another folder",
    )


def open_ledger(
    root: Path, prepare: Callable[[sqlite3.Connection], None], create: Callable[[sqlite3.Connection], None]
) -> tuple[sqlite3.Connection, bool]:
    """``(connection, read_only)`` for the ledger under ``root`` (created with ``root`` if missing).

    A writable ledger is switched to WAL (unless it is already), then ``prepare`` brings it up to date (its
    schema and :func:`migrate`, skipped without a write lock when the ledger's :func:`schema_version` is
    current); ``create`` makes the tables of the empty in-memory ledger of a read-only folder.
    """
    path = root / LEDGER_NAME
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if not root.is_dir():
            reason = exc.strerror or type(exc).__name__
            raise cache_error(root, f"the cache folder cannot be created ({reason})") from None
    if path.is_dir():
        raise cache_error(
            path,
            "is a folder, not lumakit's ledger file",
            "Move or rename that folder (lumakit keeps its ledger in a file of this name), or set "
            "LUMAKIT_CACHE_DIR to another folder",
        )
    if os.access(root, os.W_OK) and (not path.exists() or os.access(path, os.W_OK)):
        db = None
        try:
            db = sqlite3.connect(path, timeout=30.0, check_same_thread=False, isolation_level=None)
            _wal(db)
            db.execute("PRAGMA synchronous=NORMAL")
            prepare(db)
            return db, False
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            if "readonly" not in str(exc):
                raise ledger_error(path, exc) from None
    log.info("cache %s is read-only: history and cached results only", root)
    return _open_read_only(path, create), True


class LedgerFile:
    """The one open ledger the parts of a cache share: one connection, one lock (thread-safe), and two ways
    in: :meth:`execute` (one statement) and :meth:`write` (several, as one transaction that holds SQLite's
    write lock from its start, so it is atomic across processes). SQLite errors become :class:`CacheError`."""

    def __init__(
        self,
        root: Path,
        prepare: Callable[[sqlite3.Connection], None],
        create: Callable[[sqlite3.Connection], None],
    ) -> None:
        self.path = root / LEDGER_NAME
        self._lock = threading.Lock()
        # read_only: the folder or the ledger cannot be written (history and cache hits only)
        self._db, self.read_only = open_ledger(root, prepare, create)

    def error(self, exc: BaseException) -> CacheError:
        return ledger_error(self.path, exc)

    def execute(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        """One statement (a read, or a write SQLite commits alone) and its rows."""
        with self._lock:
            try:
                return self._db.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise self.error(exc) from None

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection under the lock, for a read of several statements (no transaction)."""
        with self._lock:
            yield self._db

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction that holds SQLite's write lock from its start (atomic across processes)."""
        with self._lock:
            if self.read_only:
                raise self.error(sqlite3.OperationalError("readonly"))
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self.error(exc) from None
            try:
                yield self._db
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise self.error(exc) from None
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _open_read_only(path: Path, create: Callable[[sqlite3.Connection], None]) -> sqlite3.Connection:
    if not path.exists():  # nothing recorded here: an empty ledger, in memory
        empty = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        create(empty)
        return empty
    uri = "file:" + urllib.parse.quote(str(path.resolve()))
    for mode in ("mode=ro", "immutable=1"):  # immutable: no -shm file can be made in a read-only folder
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(f"{uri}?{mode}", uri=True, check_same_thread=False, isolation_level=None)
            db.execute("SELECT count(*) FROM tasks").fetchall()
            return db
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            if mode == "immutable=1":
                raise ledger_error(path, exc) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _wal(db: sqlite3.Connection, seconds: float = 30.0) -> None:
    """Switch the ledger to WAL. Two kernels opening a new ledger at once race for that switch, and SQLite
    answers "locked" at once instead of waiting, so wait here."""
    if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return  # already WAL: asking again would wait on another connection's write
    deadline = time.monotonic() + seconds
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


#: Columns added to ``tasks`` since its first release, in order.
ADDED_COLUMNS = (
    ("take", "INTEGER NOT NULL DEFAULT 0"),
    ("owner", "TEXT"),
    ("sent", "REAL"),
    ("estimate", "REAL"),  # the price this task counts against a budget until its billed cost arrives
    ("scope", "TEXT"),  # the budget scope (or notebook) the task was run under
    ("pack", "TEXT"),  # set on results unpacked from a pack: paid by its maker, never counted
)
#: The state machine's names as earlier lumakits wrote them, renamed.
RENAMES = (
    "UPDATE tasks SET state = 'not_sent' WHERE state = 'error' AND error LIKE 'stopped before%'",
    "UPDATE tasks SET state = 'failed' WHERE state = 'error'",
    "UPDATE tasks SET state = 'preparing' WHERE state = 'pending'",
)


def schema_version(*schemas: str) -> int:
    """The version a ledger is stamped with (``PRAGMA user_version``) once it is up to date: drawn from the
    schema text and the migrations themselves, so a change to either is a new version nobody must bump."""
    text = "\n".join([*schemas, repr(ADDED_COLUMNS), repr(RENAMES)])
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def is_current(db: sqlite3.Connection, version: int) -> bool:
    """Whether the ledger is stamped ``version`` (read without a write lock)."""
    return int(db.execute("PRAGMA user_version").fetchone()[0]) == version


def migrate(db: sqlite3.Connection) -> None:
    """Bring a ledger written by an earlier lumakit up to date (new columns, the state machine's names)."""
    have = {row[1] for row in db.execute("PRAGMA table_info(tasks)")}
    for column, decl in ADDED_COLUMNS:
        if column not in have:
            db.execute(f"ALTER TABLE tasks ADD COLUMN {column} {decl}")
    for statement in RENAMES:
        db.execute(statement)
