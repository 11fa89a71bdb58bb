"""Content-addressed result files plus a ledger of every task (in-flight ones too).

Layout under ``LUMAKIT_CACHE_DIR`` (default ``platformdirs.user_cache_dir("lumakit")``)::

    results/<backend>/<key[:2]>/<key>.<ext>    downloaded videos, written atomically (temp + os.replace)
    ledger.sqlite3                             tasks and uploads (SQLite, WAL: safe across threads/processes)

The key is ``request.canonical_key(digests)``: the same request on the same file content is the same key,
whatever the file is called. A task moves ``pending -> submitted -> processing -> done | error |
interrupted``. Nothing here ever stores the API key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import RequestError

log = logging.getLogger("lumakit.cache")

STATES = ("pending", "submitted", "processing", "done", "error", "interrupted")
OPEN_STATES = ("pending", "submitted", "processing", "interrupted")
_COLUMNS = (
    "task_uuid",
    "kind",
    "label",
    "key",
    "backend",
    "state",
    "wire",
    "created",
    "updated",
    "submitted",
    "finished",
    "cost",
    "result_path",
    "video_uuid",
    "video_url",
    "error",
    "extra",
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    task_uuid TEXT PRIMARY KEY, kind TEXT, label TEXT, key TEXT, backend TEXT, state TEXT NOT NULL,
    wire TEXT, created REAL, updated REAL, submitted REAL, finished REAL, cost REAL, result_path TEXT,
    video_uuid TEXT, video_url TEXT, error TEXT, extra TEXT
);
CREATE INDEX IF NOT EXISTS tasks_key ON tasks(key, backend, state);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks(created);
CREATE TABLE IF NOT EXISTS uploads (
    namespace TEXT, digest TEXT, media_uuid TEXT, media_url TEXT, created REAL,
    PRIMARY KEY (namespace, digest)
);
"""


def default_cache_dir() -> Path:
    """``LUMAKIT_CACHE_DIR`` or the platform's user cache dir for lumakit."""
    env = os.environ.get("LUMAKIT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("lumakit"))


_digest_memo: dict[tuple[str, int, int], str] = {}
_digest_lock = threading.Lock()


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's content (memoized per resolved path, size and mtime)."""
    p = Path(path).expanduser()
    st = p.stat()
    memo_key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    with _digest_lock:
        hit = _digest_memo.get(memo_key)
    if hit:
        return hit
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    with _digest_lock:
        _digest_memo[memo_key] = digest
    return digest


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
    state: str
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
        return self.state in OPEN_STATES

    def __repr__(self) -> str:
        cost = "" if self.cost is None else f", ${self.cost:.2f}"
        label = f" [{self.label}]" if self.label else ""
        err = f", error={self.error!r}" if self.error else ""
        return (
            f"LedgerEntry({self.task_uuid}, {self.kind}{label}, {self.state}, {self.backend}, "
            f"{_when(self.created)}{cost}{err})"
        )


class History(list):  # type: ignore[type-arg]
    """``client.history()``: ledger entries, newest first, shown as a table."""

    def _rows(self) -> list[tuple[str, ...]]:
        rows = []
        for e in self:
            prompt = (e.prompt or "").replace("\n", " ")
            rows.append(
                (
                    _when(e.created),
                    e.task_uuid,
                    e.kind or "",
                    e.label or "",
                    e.state,
                    e.backend or "",
                    "" if e.cost is None else f"${e.cost:.2f}",
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
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.root / "ledger.sqlite3", timeout=30.0, check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r})"

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- files ----
    def result_path(self, key: str, backend: str, ext: str = "mp4") -> Path:
        """Where the result for ``key`` lives (it may not exist yet)."""
        ext = ext.lower().lstrip(".") or "mp4"
        return self.root / "results" / backend / key[:2] / f"{key}.{ext}"

    # ---- ledger ----
    def _exec(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def record(
        self,
        task_uuid: str,
        *,
        kind: str,
        key: str | None,
        backend: str,
        wire: Mapping[str, Any] | None,
        label: str | None = None,
        state: str = "pending",
    ) -> None:
        """Write a new task before anything is sent (so an interrupted submit can be found again)."""
        now = time.time()
        self._exec(
            "INSERT INTO tasks (task_uuid, kind, label, key, backend, state, wire, created, updated, extra) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')",
            (task_uuid, kind, label, key, backend, state, _dumps(wire), now, now),
        )

    def update(self, task_uuid: str, **fields: Any) -> None:
        """Change some fields of a task (``state``, ``wire``, ``cost``, ``extra``...)."""
        bad = set(fields) - set(_COLUMNS)
        if bad:
            raise RequestError("field", sorted(bad)[0], _COLUMNS)
        if "state" in fields and fields["state"] not in STATES:
            raise RequestError("state", fields["state"], STATES)
        fields["updated"] = time.time()
        for name in ("wire", "extra"):
            if name in fields:
                fields[name] = _dumps(fields[name])
        cols = ", ".join(f"{k} = ?" for k in fields)
        self._exec(f"UPDATE tasks SET {cols} WHERE task_uuid = ?", (*fields.values(), task_uuid))

    def get(self, task_uuid: str) -> LedgerEntry | None:
        rows = self._exec(f"SELECT {', '.join(_COLUMNS)} FROM tasks WHERE task_uuid = ?", (task_uuid,))
        return _entry(rows[0]) if rows else None

    def history(self, limit: int | None = None) -> History:
        """Every task, newest first."""
        sql = f"SELECT {', '.join(_COLUMNS)} FROM tasks ORDER BY created DESC, rowid DESC"
        if limit is not None:
            if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
                raise RequestError("limit", limit, "a non-negative integer or None")
            sql += f" LIMIT {int(limit)}"
        return History(_entry(r) for r in self._exec(sql))

    def lookup(self, key: str, backend: str) -> LedgerEntry | None:
        """The newest finished task for ``key`` whose file is complete on disk (a cache hit), or None."""
        rows = self._exec(
            f"SELECT {', '.join(_COLUMNS)} FROM tasks WHERE key = ? AND backend = ? AND state = 'done' "
            "ORDER BY finished DESC",
            (key, backend),
        )
        for row in rows:
            entry = _entry(row)
            path = Path(entry.result_path) if entry.result_path else None
            size = entry.extra.get("size")
            if path is not None and path.is_file() and (size is None or path.stat().st_size == size):
                return entry
        return None

    def open_task(self, key: str, backend: str, max_age: float = 24 * 3600) -> LedgerEntry | None:
        """A recent unfinished task for ``key`` that already has its result URL (download only), or None."""
        rows = self._exec(
            f"SELECT {', '.join(_COLUMNS)} FROM tasks WHERE key = ? AND backend = ? AND state IN "
            "('processing', 'interrupted') AND video_url IS NOT NULL AND created > ? ORDER BY created DESC",
            (key, backend, time.time() - max_age),
        )
        return _entry(rows[0]) if rows else None

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


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _entry(row: tuple[Any, ...]) -> LedgerEntry:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["wire"] = json.loads(values["wire"]) if values["wire"] else None
    values["extra"] = json.loads(values["extra"]) if values["extra"] else {}
    return LedgerEntry(**values)
