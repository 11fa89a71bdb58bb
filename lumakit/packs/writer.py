"""``make_pack``: finished results of a cache (chosen by notebook, date or task) into one zip."""

from __future__ import annotations

import hashlib
import json
import os
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .._files import atomic_path
from .._version import __version__
from ..cache import Cache, LedgerEntry
from ..errors import RequestError
from ..lifecycle import TaskState
from . import manifest
from .reader import CHUNK

KEY_VARS = ("RUNWARE_API_KEY",)  # a pack is refused if one of these values appears in its manifest


@dataclass(frozen=True)
class PackReport:
    """What ``make_pack`` wrote: the zip, how many results, their billed total and the file's size."""

    path: Path
    results: int
    cost: float
    bytes: int

    def __str__(self) -> str:
        return (
            f"{self.path}: {self.results} results (${self.cost:.2f} billed to make them), "
            f"{self.bytes / 1e6:.1f} MB"
        )


def _since(value: str | float | datetime | None) -> float | None:
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return None if value is None else float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        raise RequestError("since", value, "a date like 2026-12-01 (or 2026-12-01T09:30)") from None


def _complete(entry: LedgerEntry) -> bool:
    path = Path(entry.result_path) if entry.result_path else None
    size = entry.extra.get("size")
    return (
        entry.state is TaskState.DONE
        and entry.key is not None
        and path is not None
        and path.is_file()
        and (size is None or path.stat().st_size == size)
    )


def select(
    cache: Cache,
    *,
    notebooks: Iterable[str] | None = None,
    since: str | float | datetime | None = None,
    tasks: Iterable[str] | None = None,
) -> list[LedgerEntry]:
    """The finished results (file on disk) to pack: all of them, or those run under one of ``notebooks``
    (the task's scope: ``budget_scope``, else the notebook's name), finished at or after ``since``, or
    among ``tasks`` (UUIDs). Several filters: a result must pass each."""
    after = _since(since)
    wanted = {n.removesuffix(".ipynb") for n in notebooks} if notebooks is not None else None
    uuids = {t.lower() for t in tasks} if tasks is not None else None
    chosen = []
    for entry in cache.ledger.history():
        if not _complete(entry):
            continue
        if wanted is not None and entry.scope not in wanted:
            continue
        if after is not None and (entry.finished or 0) < after:
            continue
        if uuids is not None and entry.task_uuid.lower() not in uuids:
            continue
        chosen.append(entry)
    if uuids is not None:
        missing = uuids - {e.task_uuid.lower() for e in chosen}
        if missing:
            raise RequestError(
                "tasks", sorted(missing)[0], "UUIDs of finished tasks whose result is in the cache"
            )
    return chosen


def _item(entry: LedgerEntry, name: str, size: int, sha: str) -> dict[str, Any]:
    item = {f: getattr(entry, f) for f in manifest.FIELDS}
    item.update(file=name, size=size, sha256=sha, finished_at=manifest.when(entry.finished))
    if entry.pack is not None:
        item["pack"] = entry.pack  # re-packed from another pack: still paid by its first maker
    return item


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _refuse_keys(raw: bytes) -> None:
    for var in KEY_VARS:
        value = os.environ.get(var)
        if value and len(value) >= 8 and value.encode() in raw:
            raise RequestError(var, "***", "a pack that does not contain it", message="a key would be packed")


def make_pack(
    cache: Cache,
    out: str | os.PathLike[str],
    *,
    notebooks: Iterable[str] | None = None,
    since: str | float | datetime | None = None,
    tasks: Iterable[str] | None = None,
    progress: bool = True,
) -> PackReport:
    """Write the selected finished results (see :func:`select`) and their ledger rows to the zip ``out``
    (written to a temp file, then moved into place). Never a key, result URL or local path. ``progress``
    shows a bar per file."""
    from tqdm.auto import tqdm

    target = Path(out).expanduser()
    if target.suffix.lower() != ".zip":
        raise RequestError("out", str(out), "a file name ending in .zip")
    entries = select(cache, notebooks=notebooks, since=since, tasks=tasks)
    if not entries:
        raise RequestError(
            "selection", "nothing", "at least one finished result (see `lumakit history`)",
            message="no finished result matches",
        )  # fmt: skip
    items, files = [], []
    for entry in tqdm(entries, desc="pack: digests", unit="result", disable=not progress):
        path = Path(str(entry.result_path))
        name = manifest.member_name(entry.task_uuid, path.suffix)
        items.append(_item(entry, name, path.stat().st_size, _sha256(path)))
        files.append((path, name))
    data = {"format": manifest.FORMAT, "version": manifest.VERSION, "lumakit": __version__,
            "made": manifest.when(time.time()), "results": items}  # fmt: skip
    raw = json.dumps(data, indent=1, ensure_ascii=False).encode()
    _refuse_keys(raw)
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        archive.writestr(manifest.MANIFEST, raw, compress_type=zipfile.ZIP_DEFLATED)
        for path, name in tqdm(files, desc="pack: writing", unit="result", disable=not progress):
            # videos do not compress: stored as they are
            archive.write(path, name, compress_type=zipfile.ZIP_STORED)
    cost = round(sum(i["cost"] or 0.0 for i in items), 4)
    return PackReport(target, len(items), cost, target.stat().st_size)
