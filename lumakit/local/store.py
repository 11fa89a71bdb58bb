"""The local backend's data folder: result videos, uploads and an index that survives restarts.

Layout::

    <data_dir>/files/<uuid>.<ext>   result videos and uploaded media, served at GET /files/<name>
    <data_dir>/index.json           {"files": {uuid: {...}}, "tasks": {taskUUID: {...}}}, written atomically

A name is only ever resolved inside ``files/`` (:meth:`Store.file_path` refuses anything else), so no request
can read outside the data folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
import time
import uuid as _uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import _files
from ..errors import CacheError
from ..wire.spec import sniff

__all__ = ["Store", "default_data_dir", "sniff"]  # sniff: where ingest reads it

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]{1,8})?$")


def default_data_dir() -> Path:
    """``local-backend/`` under the cache root (``$LUMAKIT_CACHE_DIR``, else the user cache dir)."""
    return _files.cache_root() / "local-backend"


class Store:
    """Files and the task index of one data folder. Thread-safe."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()
        self.files = self.root / "files"
        try:
            self.files.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(
                self.files,
                f"the local backend's data folder cannot be created ({exc.strerror or exc})",
                "Give it a writable data folder (data_dir=, lumakit serve --data-dir) or set "
                "LUMAKIT_CACHE_DIR to a writable folder",
            ) from None
        self.index_path = self.root / "index.json"
        self._lock = threading.RLock()
        self._batch = threading.local()  # per thread: open :meth:`batch` blocks, and a save owed at the end
        self._by_digest: dict[str, str] = {}  # sha256 -> file name of an upload (one file per content)
        self.index: dict[str, dict[str, Any]] = {"files": {}, "tasks": {}}
        if self.index_path.exists():
            try:
                loaded = json.loads(self.index_path.read_text())
                self.index["files"].update(loaded.get("files", {}))
                self.index["tasks"].update(loaded.get("tasks", {}))
            except (OSError, ValueError):
                pass  # a broken index: start afresh (the files stay on disk)
        for rec in self.index["files"].values():
            if rec.get("sha256"):
                self._by_digest[rec["sha256"]] = rec["name"]
        interrupted = False
        for record in self.index["tasks"].values():
            if record.get("status") == "processing":  # the server stopped while it ran
                record["status"] = "error"
                record["error"] = {"code": "taskInterrupted", "message": "the local backend stopped while "
                                   "this task was running; submit it again under a new taskUUID"}  # fmt: skip
                interrupted = True
        if interrupted:
            self.save()

    def save(self) -> None:
        """Write the index atomically (at the end of the open :meth:`batch`, if one is open)."""
        if getattr(self._batch, "depth", 0):
            self._batch.dirty = True
            return
        with self._lock:
            _files.write_text(self.index_path, json.dumps(self.index, indent=1, sort_keys=True))

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Write the index once for all the changes made inside (a task array of 1,000 uploads), not once
        per change; the index is on disk when the block ends, before the request is answered. Only saves of
        this thread wait (a render finishing on another thread writes at once, with everything so far)."""
        state = self._batch
        state.depth = getattr(state, "depth", 0) + 1
        try:
            yield
        finally:
            state.depth -= 1
            if not state.depth and getattr(state, "dirty", False):
                state.dirty = False
                self.save()

    # ---- files
    def file_path(self, name: str) -> Path | None:
        """The path of a served file, or ``None`` for a name that is not a plain file name in ``files/``."""
        if not isinstance(name, str) or not _NAME.match(name):
            return None
        path = (self.files / name).resolve()
        if path.parent != self.files or not path.is_file():
            return None
        return path

    def new_path(self, ext: str) -> tuple[str, Path]:
        """A fresh UUID and the path its file will have."""
        uid = str(_uuid.uuid4())
        return uid, self.files / f"{uid}{ext}"

    def add_file(self, uid: str, name: str, kind: str, **extra: Any) -> None:
        """Register a file under a UUID (``kind``: ``video`` result, ``media`` or ``image`` upload)."""
        with self._lock:
            self.index["files"][uid] = {"name": name, "kind": kind, "created": time.time(), **extra}
            self.save()

    def add_bytes(self, data: bytes, ext: str, kind: str) -> tuple[str, str]:
        """Store uploaded bytes under a fresh UUID. Returns ``(uuid, name)``.

        Every upload gets its own UUID (deleting one never breaks another); the same content uploaded twice
        shares one file on disk, removed with its last UUID.
        """
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            uid = str(_uuid.uuid4())
            known = self._by_digest.get(digest)
            if known is not None and self.file_path(known):
                self.add_file(uid, known, kind, sha256=digest)
                return uid, known
            path = self.files / f"{uid}{ext}"
            _files.write_bytes(path, data)
            self.add_file(uid, path.name, kind, sha256=digest)
            self._by_digest[digest] = path.name
            return uid, path.name

    def lookup(self, uid: str) -> tuple[Path, dict[str, Any]] | None:
        """The file and record of a videoUUID / mediaUUID / imageUUID, if this server has it."""
        with self._lock:
            rec = self.index["files"].get(uid.lower())
        if rec is None:
            return None
        path = self.file_path(rec["name"])
        return (path, rec) if path is not None else None

    def delete(self, uid: str) -> bool:
        """Forget an upload and remove its file (if no other entry uses it)."""
        with self._lock:
            rec = self.index["files"].pop(uid.lower(), None)
            if rec is None:
                return False
            if not any(r["name"] == rec["name"] for r in self.index["files"].values()):
                if rec.get("sha256"):
                    self._by_digest.pop(rec["sha256"], None)
                path = self.file_path(rec["name"])
                if path is not None:
                    path.unlink(missing_ok=True)
            self.save()
            return True

    # ---- tasks
    def put_task(self, task_uuid: str, record: dict[str, Any]) -> None:
        with self._lock:
            self.index["tasks"][task_uuid] = record
            self.save()

    def get_task(self, task_uuid: str) -> dict[str, Any] | None:
        with self._lock:
            rec = self.index["tasks"].get(task_uuid)
            return dict(rec) if rec is not None else None
