"""What the cache folder holds, and pruning old result files without losing track of anything.

    usage(Cache())                          # folder, bytes, result files, ledger tasks, tasks in flight
    prune(Cache(), older_than_days=30)      # delete result files of DONE tasks not touched for 30 days

Pruning deletes only result files of tasks that are ``DONE``, only under the cache's ``results/`` folder, and
never a ledger row: every task stays in ``history()``, and a file still needed by a task in flight or being
prepared is kept. A pruned result is no longer on disk: the same request downloads it again while the
service still serves its URL, and once that has expired runs (and is paid for) again.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

from ._files import is_part
from .cache import Cache
from .errors import RequestError
from .lifecycle import TaskState

__all__ = ["CacheUsage", "Pruned", "prune", "usage"]

_DAY = 86_400.0


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


@dataclass(frozen=True)
class Pruned:
    """What :func:`prune` removed (or, with ``dry_run``, would remove)."""

    files: tuple[Path, ...]
    bytes: int
    dry_run: bool


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
    results = _files_under(cache.root / "results")
    entries = cache.ledger.history()
    return CacheUsage(
        root=cache.root,
        total_bytes=_size(_files_under(cache.root)),
        result_files=len(results),
        result_bytes=_size(results),
        tasks=len(entries),
        in_flight=sum(e.in_flight for e in entries),
        resumable=sum(e.resumable for e in entries),
    )


def prune(cache: Cache, older_than_days: float, *, dry_run: bool = False, now: float | None = None) -> Pruned:
    """Delete result files of ``DONE`` tasks last modified more than ``older_than_days`` days ago.

    Never a file of a task that is not ``DONE`` (nor one shared with such a task), never a file outside the
    cache's ``results/`` folder, never a ledger row. ``dry_run`` lists without deleting.
    """
    if (
        isinstance(older_than_days, bool)
        or not isinstance(older_than_days, (int, float))
        or older_than_days < 0
    ):
        raise RequestError("older_than_days", older_than_days, "a number of days >= 0")
    cutoff = (time.time() if now is None else now) - older_than_days * _DAY
    results = (cache.root / "results").resolve()
    done: set[Path] = set()
    keep: set[Path] = set()
    for entry in cache.ledger.history():
        if entry.result_path:
            path = Path(entry.result_path).resolve()
            (done if entry.state is TaskState.DONE else keep).add(path)
    removed: list[Path] = []
    freed = 0
    for path in sorted(done - keep):
        if not path.is_relative_to(results) or not path.is_file():
            continue
        stat = path.stat()
        if stat.st_mtime >= cutoff:
            continue
        if not dry_run:
            path.unlink(missing_ok=True)
        removed.append(path)
        freed += stat.st_size
    return Pruned(tuple(removed), freed, dry_run)
