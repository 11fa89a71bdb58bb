"""Content-addressed result files plus a ledger of every task (in-flight ones too).

Layout under :func:`lumakit._files.cache_root` (``LUMAKIT_CACHE_DIR``, else the user cache dir)::

    results/<backend>/<key[:2]>/<key>.<ext>    downloaded videos, written atomically (temp + os.replace)
    ledger.sqlite3                             tasks and uploads (SQLite, WAL: safe across threads/processes)

The key is ``request.canonical_key(digests)``: the same request on the same file content is the same key,
whatever the file is called; ``take`` numbers several samples of one request. A task moves through the states
of :mod:`lumakit.lifecycle`, only along its arrows (:meth:`Cache.move`). The ledger is the truth across
processes: :meth:`Cache.claim` gives each (request, take) at most one task in flight, atomically, so two
kernels starting the same request at once send one job. Nothing here ever stores the API key.

A row also carries its budget ``estimate`` (:mod:`lumakit._spending`), the ``scope`` it ran under, and
``pack`` for a result unpacked from a pack (:mod:`lumakit._pack_rows`): paid by its maker, never counted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from . import _files, _ledger, _owners, _pack_rows, _spending
from .errors import CacheError, RequestError
from .lifecycle import OPEN, RESUMABLE, TaskState, can_move

log = logging.getLogger("lumakit.cache")


def _sql_in(states: Iterable[TaskState]) -> str:
    return "(" + ", ".join(sorted(f"'{s.value}'" for s in states)) + ")"


_OPEN_SQL = _sql_in(OPEN)
_RESUMABLE_SQL = _sql_in(RESUMABLE)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    task_uuid TEXT PRIMARY KEY, kind TEXT, label TEXT, key TEXT, backend TEXT, state TEXT NOT NULL,
    wire TEXT, created REAL, updated REAL, submitted REAL, finished REAL, cost REAL, result_path TEXT,
    video_uuid TEXT, video_url TEXT, error TEXT, extra TEXT,
    take INTEGER NOT NULL DEFAULT 0, owner TEXT, sent REAL, estimate REAL, scope TEXT, pack TEXT
);
CREATE INDEX IF NOT EXISTS tasks_key ON tasks(key, backend, state);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks(created);
CREATE TABLE IF NOT EXISTS uploads (
    namespace TEXT, digest TEXT, media_uuid TEXT, media_url TEXT, created REAL,
    PRIMARY KEY (namespace, digest)
);
CREATE TABLE IF NOT EXISTS reserved_uuids (
    key TEXT, backend TEXT, take INTEGER, task_uuid TEXT, created REAL,
    PRIMARY KEY (key, backend, take)
);
"""


default_cache_dir = _files.cache_root  # ``LUMAKIT_CACHE_DIR`` or the platform's user cache dir
file_digest = _files.digest  # SHA-256 of a file's content, memoized per identity


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
_COLUMNS = tuple(f.name for f in fields(LedgerEntry))
_OPEN_FOR_SQL = (
    f"SELECT {', '.join(_COLUMNS)} FROM tasks WHERE key = ? AND backend = ? AND take = ? "
    f"AND state IN {_OPEN_SQL} ORDER BY created DESC LIMIT 1"
)


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


class Cache:
    """Result files and the task ledger under one directory. Thread-safe; safe across processes (SQLite)."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_cache_dir()
        self.ledger_path = self.root / _ledger.LEDGER_NAME
        self._lock = threading.Lock()
        # read_only: the folder or the ledger cannot be written (history and cache hits only)
        self._db, self.read_only = _ledger.open_ledger(self.root, _prepare, _create)
        if self.read_only:
            self.owner = f"read-only-{os.getpid()}"  # owns nothing: a read-only cache never claims a task
        else:
            self.owner = _owners.token(self.root)
            _files.remove_dead_parts(self.root / "results")

    def _ledger_error(self, exc: BaseException) -> CacheError:
        return _ledger.ledger_error(self.ledger_path, exc)

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r})"

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- files ----
    def result_path(self, key: str, backend: str, ext: str = "mp4", *, task_uuid: str | None = None) -> Path:
        """Where a result for ``key`` lives (it may not exist yet). With ``task_uuid``, the file is that
        task's own, so a re-roll (``force=True``) or another take never overwrites an earlier one."""
        ext = ext.lower().lstrip(".") or "mp4"
        name = f"{key}-{task_uuid[:8]}" if task_uuid else key
        return _files.result_file(self.root, backend, key, name, ext)

    # ---- ledger ----
    def _exec(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise self._ledger_error(exc) from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction that holds SQLite's write lock from its start (atomic across processes)."""
        with self._lock:
            if self.read_only:
                raise self._ledger_error(sqlite3.OperationalError("readonly"))
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._ledger_error(exc) from None
            try:
                yield self._db
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise self._ledger_error(exc) from None
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

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
        hold: str | None = None,
    ) -> tuple[LedgerEntry, bool]:
        """Claim the (``key``, ``backend``, ``take``) slot for a new task, before anything is sent.

        Returns ``(entry, True)`` with a new ``PREPARING`` row owned by this process, or ``(entry, False)``
        with the task already open for the same request (in this process or another): wait for that one
        instead of sending a second job. Atomic across processes.

        ``estimate`` is what the new task counts against a budget until its billed cost arrives; it moves
        out of the call's budget ``hold`` (:meth:`hold_budget`) in the same transaction, so the total spent
        never dips between the two.
        """
        with self._write() as db:
            if key is not None:
                rows = db.execute(_OPEN_FOR_SQL, (key, backend, take)).fetchall()
                if rows:
                    return _entry(rows[0]), False
            row: dict[str, Any] = {"kind": kind, "label": label, "key": key, "backend": backend}
            now = time.time()
            row.update(task_uuid=task_uuid, state=TaskState.PREPARING.value, created=now, updated=now)
            row.update(wire=_dumps(wire), extra=_dumps(dict(extra or {})), take=take, owner=self.owner)
            row.update(estimate=estimate, scope=scope)
            marks = ", ".join("?" * len(row))
            db.execute(f"INSERT INTO tasks ({', '.join(row)}) VALUES ({marks})", tuple(row.values()))
            if hold is not None and key is not None:
                _spending.consume(db, hold, key, take)
        entry = self.get(task_uuid)
        assert entry is not None
        return entry, True

    def open_for(self, key: str, backend: str, take: int = 0) -> LedgerEntry | None:
        """The task open (being prepared or in flight) for this request and take, if any: what a run of the
        request would adopt instead of sending a new one."""
        rows = self._exec(_OPEN_FOR_SQL, (key, backend, take))
        return _entry(rows[0]) if rows else None

    def update(self, task_uuid: str, **fields: Any) -> None:
        """Change some fields of a task (``wire``, ``cost``, ``extra``...); states move with :meth:`move`."""
        bad = set(fields) - set(_COLUMNS) | ({"state", "task_uuid"} & set(fields))
        if bad:
            raise RequestError(
                "field", sorted(bad)[0], [c for c in _COLUMNS if c not in ("state", "task_uuid")]
            )
        self._set(self._db, task_uuid, fields)

    def move(self, task_uuid: str, to: TaskState | str, **fields: Any) -> bool:
        """Move a task to state ``to`` (and set ``fields``) if the state machine allows it from where the
        ledger has it now; returns False, changing nothing, if not (another process got there first: a task
        that is ``DONE`` never goes back to ``INTERRUPTED``). Atomic across processes."""
        to = TaskState(to)
        bad = set(fields) - set(_COLUMNS)
        if bad:
            raise RequestError("field", sorted(bad)[0], _COLUMNS)
        with self._write() as db:
            rows = db.execute("SELECT state FROM tasks WHERE task_uuid = ?", (task_uuid,)).fetchall()
            if not rows or not can_move(rows[0][0], to):
                log.debug("task %s: no move %s -> %s", task_uuid, rows[0][0] if rows else "?", to)
                return False
            self._set(db, task_uuid, {**fields, "state": to.value}, locked=True)
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
        with self._write() as db:
            cur = db.execute(
                "UPDATE tasks SET owner = ?, updated = ? WHERE task_uuid = ? AND state = ? AND owner IS ?",
                (self.owner, time.time(), task_uuid, TaskState.PREPARING.value, dead_owner),
            )
            return cur.rowcount == 1

    def owner_alive(self, owner: str | None) -> bool:
        """True while the process that owns a ``PREPARING`` task is still running."""
        return _owners.alive(self.root, owner)

    def _set(
        self, db: sqlite3.Connection, task_uuid: str, fields: dict[str, Any], locked: bool = False
    ) -> None:
        fields = {**fields, "updated": time.time()}
        for name in ("wire", "extra"):
            if name in fields:
                fields[name] = _dumps(fields[name])
        if "state" in fields:
            fields["state"] = TaskState(fields["state"]).value
        cols = ", ".join(f"{k} = ?" for k in fields)
        sql, params = f"UPDATE tasks SET {cols} WHERE task_uuid = ?", (*fields.values(), task_uuid)
        if locked:
            db.execute(sql, params)
        else:
            self._exec(sql, params)

    def get(self, task_uuid: str) -> LedgerEntry | None:
        rows = self._exec(
            f"SELECT {', '.join(_COLUMNS)} FROM tasks WHERE task_uuid = ? COLLATE NOCASE", (task_uuid,)
        )
        return _entry(rows[0]) if rows else None

    def by_video_uuid(self, video_uuid: str) -> LedgerEntry | None:
        """The task whose result is the video ``video_uuid`` (an earlier generation), or None."""
        rows = self._exec(
            f"SELECT {', '.join(_COLUMNS)} FROM tasks WHERE video_uuid = ? COLLATE NOCASE "
            "ORDER BY finished DESC LIMIT 1",
            (video_uuid,),
        )
        return _entry(rows[0]) if rows else None

    def history(self, limit: int | None = None) -> History:
        """Every task, newest first."""
        sql = f"SELECT {', '.join(_COLUMNS)} FROM tasks ORDER BY created DESC, rowid DESC"
        if limit is not None:
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
                raise RequestError("limit", limit, "a non-negative integer or None")
            sql += f" LIMIT {int(limit)}"
        return History(_entry(r) for r in self._exec(sql))

    def pending(self) -> History:
        """Every task that is not over (in flight, being prepared, or never sent), oldest first."""
        rows = self._exec(
            f"SELECT {', '.join(_COLUMNS)} FROM tasks WHERE state IN {_RESUMABLE_SQL} ORDER BY created, rowid"
        )
        return History(_entry(r) for r in rows)

    def finished(self, key: str, backend: str, take: int = 0) -> list[LedgerEntry]:
        """Every finished task for ``key`` (and ``take``), newest first, whether or not its file is here."""
        rows = self._exec(
            f"SELECT {', '.join(_COLUMNS)} FROM tasks WHERE key = ? AND backend = ? AND take = ? "
            "AND state = 'done' ORDER BY finished DESC",
            (key, backend, take),
        )
        return [_entry(row) for row in rows]

    def lookup(self, key: str, backend: str, take: int = 0) -> LedgerEntry | None:
        """The newest finished task for ``key`` (and ``take``) whose file is complete on disk, or None. For a
        ``local`` client, Ray results from packs come before its own previews."""
        if backend != "runware" and (hit := _complete(self.from_packs(key, take))) is not None:
            return hit
        return _complete(self.finished(key, backend, take))

    # ---- budgets (the SQL lives in :mod:`lumakit._spending`) ----
    def spent(self, backend: str, scope: str | None = None) -> float:
        """USD ``backend`` jobs count against a budget (``scope`` None: every scope); a plain read."""
        with self._lock:
            return _spending.total(self._db, self.root, backend, scope)

    def hold_budget(
        self,
        budget: float,
        backend: str,
        scope: str | None,
        jobs: Iterable[tuple[str, int, float]],
        hold_scope: str | None = None,
    ) -> tuple[str | None, float, float]:
        """Check a call's jobs (``(key, take, estimate)``) against ``budget`` and reserve them, atomically:
        ``(hold id, or None when refused; spent; this call)``."""
        with self._write() as db:
            return _spending.hold(db, self.root, self.owner, budget, backend, scope, jobs, hold_scope)

    def release_budget(self, hold: str) -> None:
        """Drop what is left of a call's hold."""
        with self._write() as db:
            _spending.release(db, hold)

    # ---- results from packs (the SQL lives in :mod:`lumakit._pack_rows`) ----
    def add_from_pack(
        self, rows: Iterable[Mapping[str, Any]], pack: str, place: Callable[[Mapping[str, Any]], None]
    ) -> int:
        """Record a pack's new results as finished tasks in one transaction (``place(row)`` puts each file in
        the cache first); returns how many were added."""
        with self._write() as db:
            return _pack_rows.add(db, rows, pack, place)

    def from_packs(self, key: str, take: int = 0) -> list[LedgerEntry]:
        """Ray results unpacked from packs for ``key`` (and ``take``), newest first."""
        rows = self._exec(f"SELECT {', '.join(_COLUMNS)} FROM tasks {_pack_rows.FROM_PACKS}", (key, take))
        return [_entry(row) for row in rows]

    # ---- task UUIDs a dry run used: the real submit of the same request sends the same one ----
    def reserve_uuid(self, key: str, backend: str, take: int, candidate: str) -> str:
        """The task UUID the next task for (``key``, ``backend``, ``take``) will be sent under: the one
        already reserved, else ``candidate`` (reserved now). A dry run sends it, so if the service ran the dry
        run for real, the real submit is the same task, never a second one."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO reserved_uuids VALUES (?, ?, ?, ?, ?)",
                (key, backend, take, candidate, time.time()),
            )
            rows = db.execute(
                "SELECT task_uuid FROM reserved_uuids WHERE key = ? AND backend = ? AND take = ?",
                (key, backend, take),
            ).fetchall()
        return str(rows[0][0])

    def reserved_uuid(self, key: str, backend: str, take: int) -> str | None:
        """The UUID :meth:`reserve_uuid` set aside for this request and take, if any (and still unused)."""
        rows = self._exec(
            "SELECT task_uuid FROM reserved_uuids WHERE key = ? AND backend = ? AND take = ?",
            (key, backend, take),
        )
        return str(rows[0][0]) if rows else None

    def release_uuid(self, key: str, backend: str, take: int) -> None:
        """Forget the reservation once a task holds the UUID (or another task took the request's slot)."""
        self._exec(
            "DELETE FROM reserved_uuids WHERE key = ? AND backend = ? AND take = ?", (key, backend, take)
        )

    # ---- uploads ----
    def upload_for(self, namespace: str, digest: str) -> tuple[str, str | None] | None:
        rows = self._exec(
            "SELECT media_uuid, media_url FROM uploads WHERE namespace = ? AND digest = ?",
            (namespace, digest),
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def remember_upload(self, namespace: str, digest: str, media_uuid: str, media_url: str | None) -> None:
        self._exec(
            "INSERT OR REPLACE INTO uploads VALUES (?, ?, ?, ?, ?)",
            (namespace, digest, media_uuid, media_url, time.time()),
        )

    def forget_upload(self, namespace: str, digest: str) -> None:
        self._exec("DELETE FROM uploads WHERE namespace = ? AND digest = ?", (namespace, digest))


def _complete(entries: Iterable[LedgerEntry]) -> LedgerEntry | None:
    """The first entry whose result file is complete on disk."""
    for entry in entries:
        path = Path(entry.result_path) if entry.result_path else None
        size = entry.extra.get("size")
        if path is not None and path.is_file() and (size is None or path.stat().st_size == size):
            return entry
    return None


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _prepare(db: sqlite3.Connection) -> None:
    """A writable ledger's schema, up to date (``_ledger`` has switched it to WAL). A ledger already stamped
    with this schema's version is only read: opening it (``lumakit history``) takes no write lock."""
    version = _ledger.schema_version(_SCHEMA, _spending.SCHEMA)
    if _ledger.is_current(db, version):
        return
    db.execute("BEGIN IMMEDIATE")
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    _ledger.migrate(db)
    _spending.create(db)
    db.execute(f"PRAGMA user_version = {version}")
    db.execute("COMMIT")


def _create(db: sqlite3.Connection) -> None:
    """The tables of an empty ledger (a read-only cache that has none: history is empty)."""
    db.executescript(_SCHEMA)
    _spending.create(db)


def _entry(row: tuple[Any, ...]) -> LedgerEntry:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["wire"] = json.loads(values["wire"]) if values["wire"] else None
    values["extra"] = json.loads(values["extra"]) if values["extra"] else {}
    return LedgerEntry(**values)
