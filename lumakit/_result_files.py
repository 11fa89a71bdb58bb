"""A cache's result files: where each task's video lives, and which finished result is on disk whole
(``cache.results``).

Layout (:func:`lumakit._files.result_file`): ``results/<backend>/<key[:2]>/<key>-<task8>.<ext>``, written
atomically by the download (temp + ``os.replace``). The key is ``request.canonical_key(digests)``: the same
request on the same file content is the same key, whatever the file is called.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from . import _files
from ._ledger_entry import LedgerEntry
from ._pack_rows import UnpackedResults
from ._task_ledger import TaskLedger


class ResultFiles:
    """The result files under a cache root, found through the ledger (never by listing the folder)."""

    def __init__(self, root: Path, ledger: TaskLedger, unpacked: UnpackedResults) -> None:
        self.root = root
        self._ledger = ledger
        self._unpacked = unpacked

    def path(self, key: str, backend: str, ext: str = "mp4", *, task_uuid: str | None = None) -> Path:
        """Where a result for ``key`` lives (it may not exist yet). With ``task_uuid``, the file is that
        task's own, so a re-roll (``force=True``) or another take never overwrites an earlier one."""
        ext = ext.lower().lstrip(".") or "mp4"
        name = f"{key}-{task_uuid[:8]}" if task_uuid else key
        return _files.result_file(self.root, backend, key, name, ext)

    def lookup(self, key: str, backend: str, take: int = 0) -> LedgerEntry | None:
        """The newest finished task for ``key`` (and ``take``) whose file is complete on disk, or None. For a
        ``local`` client, Ray results from packs come before its own previews."""
        if backend != "runware" and (hit := _complete(self._unpacked.for_request(key, take))) is not None:
            return hit
        return _complete(self._ledger.finished(key, backend, take))

    def remove_dead_parts(self) -> None:
        """Delete the temp files of downloads that died (:func:`lumakit._files.remove_dead_parts`)."""
        _files.remove_dead_parts(self.root / _files.RESULTS)


def _complete(entries: Iterable[LedgerEntry]) -> LedgerEntry | None:
    """The first entry whose result file is complete on disk."""
    for entry in entries:
        path = Path(entry.result_path) if entry.result_path else None
        size = entry.extra.get("size")
        if path is not None and path.is_file() and (size is None or path.stat().st_size == size):
            return entry
    return None
