"""Downloads of finished results into the cache, and the :class:`Result` a ledger entry stands for."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from ..cache import Cache, LedgerEntry
from ..lifecycle import TaskState
from ..results import Result
from ._http import HttpSession
from ._prepared import request_from_wire
from ._progress import CallProgress
from ._secrets import redact


class Downloader:
    """Fetches result videos atomically into the cache and records them in the ledger."""

    def __init__(self, http: HttpSession, cache: Cache, backend: str) -> None:
        self._http = http
        self._cache = cache
        self._backend = backend

    async def fetch(
        self, entry: LedgerEntry, progress: CallProgress, label: str, request: Any = None
    ) -> Result:
        """Download ``entry.video_url``; the ledger marks the task done (or interrupted, if it fails)."""
        cache = self._cache
        task_uuid = entry.task_uuid
        assert entry.video_url
        ext = ext_for(entry.wire, entry.video_url)
        dest = cache.results.path(entry.key or task_uuid, self._backend, ext, task_uuid=task_uuid)
        progress.emit(label, "downloading", task_uuid=task_uuid, cost=entry.cost, state=entry.state)
        try:
            size = await self._http.download(entry.video_url, dest)
        except (asyncio.CancelledError, KeyboardInterrupt):
            cache.ledger.interrupted(task_uuid, "download interrupted")
            progress.emit(label, "interrupted", task_uuid=task_uuid, state=TaskState.INTERRUPTED)
            raise
        except Exception as exc:
            cache.ledger.interrupted(task_uuid, f"download failed: {redact(str(exc))}")
            progress.emit(
                label, "error", task_uuid=task_uuid, message=redact(str(exc)), state=TaskState.INTERRUPTED
            )
            raise
        extra = {**entry.extra, "size": size}
        cache.ledger.done(task_uuid, str(dest), extra)
        done = cache.ledger.get(task_uuid)
        assert done is not None
        progress.emit(label, "done", task_uuid=task_uuid, progress=1.0, cost=done.cost, state=TaskState.DONE)
        return self.result(done, cached=False, request=request)

    def result(self, entry: LedgerEntry, *, cached: bool, request: Any = None) -> Result:
        """The :class:`Result` of a finished ledger entry (its request re-read from the wire if not given)."""
        return Result.from_entry(
            entry,
            cached=cached,
            request=request if request is not None else request_from_wire(entry.wire),
            backend="local" if (entry.backend or self._backend) == "local" else None,
        )


def ext_for(wire: Mapping[str, Any] | None, url: str | None) -> str:
    """The result file's extension: EXR frames keep theirs (``exrExport``: ``.exr`` or a ``.zip`` of them,
    so ``media.exr_video`` can show them), else the requested ``outputFormat``, else the URL's, else mp4."""
    suffix = Path(httpx.URL(url).path).suffix.lstrip(".").lower() if url else ""
    if suffix in ("exr", "zip"):
        return suffix
    fmt = (wire or {}).get("outputFormat")
    if fmt:
        return str(fmt).lower()
    return suffix if suffix in ("mp4", "webm", "mov") else "mp4"
