"""What the cache folder holds, and pruning old files without losing track of anything.

    usage(Cache())                          # folder, bytes, result files, previews, proxies, ledger tasks
    prune(Cache(), older_than_days=30)      # delete files not used for 30 days (see below)

Pruning deletes:

- result files of tasks that are ``DONE``, only under the cache's ``results/`` folder, last modified more than
  ``older_than_days`` ago; never a ledger row: every task stays in ``history()``, and a file still needed by a
  task in flight or being prepared is kept. A pruned result is no longer on disk: the same request downloads
  it again while the service still serves its URL, and once that has expired runs (and is paid for) again.
- derived files, made again from their source when missing (:data:`DERIVED`: preview transcodes, the local
  backend's source proxies), last used (written or read) more than ``older_than_days`` ago, oldest first;
  never a file the ledger points at, a write in progress, or a file a process has open now (on Linux, read
  from ``/proc``; elsewhere only the time of last use tells).

A cache that cannot be written (a read-only mount, another user's folder) raises
:class:`~lumakit.errors.CacheError` naming the folder, before anything is deleted.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ._files import LOCAL_PROXIES, PREVIEWS, RESULTS, is_part
from ._ledger import cache_error
from .cache import Cache, LedgerEntry
from .errors import CacheError, RequestError
from .lifecycle import TaskState

__all__ = ["DERIVED", "CacheUsage", "Pruned", "prune", "usage"]

_DAY = 86_400.0
#: Folders of derived files under a cache root (made again from their source when missing).
DERIVED = (PREVIEWS, LOCAL_PROXIES)


@dataclass(frozen=True)
class CacheUsage:
    """The cache folder in numbers."""

    root: Path
    total_bytes: int  # everything under the folder: results, ledger, previews, local-backend data
    result_files: int
    result_bytes: int
    tasks: int  # ledger rows
    in_flight: int  # tasks the service may be running (and billing) now
    resumable: int  # tasks ``resume --all`` would finish (in flight, being prepared, or never sent)
    preview_files: int = 0  # preview transcodes (display), made again when missing
    preview_bytes: int = 0
    proxy_files: int = 0  # the local backend's sources at preview size, made again when missing
    proxy_bytes: int = 0


@dataclass(frozen=True)
class Pruned:
    """What :func:`prune` removed (or, with ``dry_run``, would remove): result files first, then derived
    files oldest first."""

    files: tuple[Path, ...]
    bytes: int
    dry_run: bool
    result_files: int = 0
    previews: int = 0
    proxies: int = 0


def _files_under(folder: Path) -> list[Path]:
    """Files under ``folder``; a temp file of a write in progress (``.<name>.part``) is not one yet."""
    return [p for p in folder.rglob("*") if p.is_file() and not is_part(p)] if folder.is_dir() else []


def _size(paths: list[Path]) -> int:
    total = 0
    for p in paths:
        with contextlib.suppress(OSError):  # removed meanwhile
            total += p.stat().st_size
    return total


def usage(cache: Cache) -> CacheUsage:
    """Size and counts of ``cache`` (reads the folder and the ledger; sends nothing)."""
    results = _files_under(cache.root / RESULTS)
    previews = _files_under(cache.root / PREVIEWS)
    proxies = _files_under(cache.root / LOCAL_PROXIES)
    entries = cache.ledger.history()
    return CacheUsage(
        root=cache.root,
        total_bytes=_size(_files_under(cache.root)),
        result_files=len(results),
        result_bytes=_size(results),
        tasks=len(entries),
        in_flight=sum(e.in_flight for e in entries),
        resumable=sum(e.resumable for e in entries),
        preview_files=len(previews),
        preview_bytes=_size(previews),
        proxy_files=len(proxies),
        proxy_bytes=_size(proxies),
    )


def prune(cache: Cache, older_than_days: float, *, dry_run: bool = False, now: float | None = None) -> Pruned:
    """Delete result files of ``DONE`` tasks last modified more than ``older_than_days`` days ago, and
    derived files (previews, local proxies) last used more than ``older_than_days`` days ago.

    Never a file of a task that is not ``DONE`` (nor one shared with such a task), never a file outside the
    cache's ``results/`` and derived folders, never a file a process has open, never a ledger row.
    ``dry_run`` lists without deleting.

    Raises:
      RequestError: ``older_than_days`` is not a number of days >= 0.
      CacheError: the cache (or a folder in it) cannot be written; names the folder.
    """
    if (
        isinstance(older_than_days, bool)
        or not isinstance(older_than_days, (int, float))
        or older_than_days < 0
    ):
        raise RequestError("older_than_days", older_than_days, "a number of days >= 0")
    if cache.read_only and not dry_run:
        raise _read_only(cache.root)
    cutoff = (time.time() if now is None else now) - older_than_days * _DAY
    entries = cache.ledger.history()
    results = _old_results(cache.root, entries, cutoff)
    pointed = {Path(e.result_path).resolve() for e in entries if e.result_path}
    derived = _old_derived([cache.root / folder for folder in DERIVED], cutoff, pointed)
    chosen = results + [(path, size) for path, size, _folder in derived]
    if not dry_run:
        _delete([path for path, _size in chosen])
    folders = [folder for _path, _size, folder in derived]
    return Pruned(
        files=tuple(path for path, _size in chosen),
        bytes=sum(size for _path, size in chosen),
        dry_run=dry_run,
        result_files=len(results),
        previews=folders.count(PREVIEWS),
        proxies=folders.count(LOCAL_PROXIES),
    )


def _old_results(root: Path, entries: Iterable[LedgerEntry], cutoff: float) -> list[tuple[Path, int]]:
    """``(path, size)`` of result files of ``DONE`` tasks (shared with no other task) not modified since
    ``cutoff``, in path order."""
    results = (root / RESULTS).resolve()
    done: set[Path] = set()
    keep: set[Path] = set()
    for entry in entries:
        if entry.result_path:
            path = Path(entry.result_path).resolve()
            (done if entry.state is TaskState.DONE else keep).add(path)
    old: list[tuple[Path, int]] = []
    for path in sorted(done - keep):
        if not path.is_relative_to(results) or not path.is_file():
            continue
        stat = path.stat()
        if stat.st_mtime < cutoff:
            old.append((path, stat.st_size))
    return old


def _old_derived(folders: list[Path], cutoff: float, pointed: set[Path]) -> list[tuple[Path, int, str]]:
    """``(path, size, folder name)`` of the files under ``folders`` last used (written or read) before
    ``cutoff``, oldest first; never a file the ledger points at, nor one a process has open now."""
    old: list[tuple[float, Path, int, str]] = []
    for folder in folders:
        for path in _files_under(folder):
            try:
                path = path.resolve()
                stat = path.stat()
            except OSError:  # removed meanwhile
                continue
            used = max(stat.st_mtime, stat.st_atime)
            if used < cutoff and path not in pointed:
                old.append((used, path, stat.st_size, folder.name))
    in_use = _open_now(folders) if old else set()
    return [(path, size, name) for _used, path, size, name in sorted(old) if path not in in_use]


def _open_now(folders: list[Path]) -> set[Path]:
    """Files under ``folders`` that a process has open now (a render reading a proxy, a page being made):
    read from ``/proc/<pid>/fd`` (Linux); empty where that cannot be read."""
    if not folders:
        return set()
    prefixes = tuple(str(f.resolve()) + os.sep for f in folders)
    found: set[Path] = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            links = list(os.scandir(fd_dir))
        except OSError:  # gone, or another user's process
            continue
        for link in links:
            try:
                target = os.readlink(link.path)
            except OSError:
                continue
            if target.startswith(prefixes):
                found.add(Path(target))
    return found


def _delete(paths: list[Path]) -> None:
    for done, path in enumerate(paths):
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
                raise _read_only(path.parent, done) from None
            raise


def _read_only(folder: Path, deleted: int = 0) -> CacheError:
    """The error for a folder ``prune`` cannot delete files in, after ``deleted`` files were deleted."""
    before = f"{deleted} file(s) were deleted before this folder" if deleted else "nothing was deleted"
    return cache_error(
        folder,
        f"lumakit cannot delete files in this folder (it is read-only, or another user's): {before}; the "
        "ledger is unchanged",
        "Prune as the user who owns the cache, make the folder writable, or set LUMAKIT_CACHE_DIR to a "
        "writable folder",
    )
