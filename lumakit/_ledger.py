"""The ledger file opened one way: read-write, read-only when it cannot be written, or a clear error.

    db, read_only = open_ledger(root, prepare, create)  # prepare(db): the cache's schema, then migrate(db)
    raise ledger_error(path, sqlite_error)       # CacheError: read-only, cannot be opened, or damaged

A folder or ledger that cannot be written (a read-only mount, another user's cache) is opened read-only
(``mode=ro``, else ``immutable=1`` when no ``-shm`` file can be made): history, usage and cache hits work, and
any write raises :class:`~lumakit.errors.CacheError`. A ledger that cannot be used at all (damaged,
truncated, not SQLite, a folder, unreadable) raises a ``CacheError`` naming the file, ``LUMAKIT_CACHE_DIR``
and what to do; lumakit never replaces or empties it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

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

    A writable ledger is switched to WAL, then ``prepare`` brings it up to date (its schema and
    :func:`migrate`); ``create`` makes the tables of the empty in-memory ledger of a read-only folder.
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
    deadline = time.monotonic() + seconds
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def migrate(db: sqlite3.Connection) -> None:
    """Bring a ledger written by an earlier lumakit up to date (new columns, the state machine's names)."""
    have = {row[1] for row in db.execute("PRAGMA table_info(tasks)")}
    for column, decl in (
        ("take", "INTEGER NOT NULL DEFAULT 0"),
        ("owner", "TEXT"),
        ("sent", "REAL"),
        ("estimate", "REAL"),  # the price this task counts against a budget until its billed cost arrives
        ("scope", "TEXT"),  # the budget scope (or notebook) the task was run under
        ("pack", "TEXT"),  # set on results unpacked from a pack: paid by its maker, never counted
    ):
        if column not in have:
            db.execute(f"ALTER TABLE tasks ADD COLUMN {column} {decl}")
    db.execute("UPDATE tasks SET state = 'not_sent' WHERE state = 'error' AND error LIKE 'stopped before%'")
    db.execute("UPDATE tasks SET state = 'failed' WHERE state = 'error'")
    db.execute("UPDATE tasks SET state = 'preparing' WHERE state = 'pending'")
