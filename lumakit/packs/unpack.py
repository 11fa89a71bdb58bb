"""``unpack``: a pack's results into a cache, as finished tasks that cost nothing and say who paid."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cache import Cache
from .reader import Pack, open_pack


@dataclass(frozen=True)
class UnpackReport:
    """What ``unpack`` did: results added to the cache, and those it already had."""

    path: Path
    added: int
    known: int

    def __str__(self) -> str:
        return (
            f"{self.path}: {self.added} results added to the cache ({self.known} were already there); "
            "the same requests are now free cache hits"
        )


def provenance(pack: Pack, item: dict[str, Any]) -> dict[str, Any]:
    """What a result from a pack says about where it came from (kept in its ledger row's ``extra``)."""
    return {"id": pack.id, "name": pack.path.name, "made": pack.made, "backend": item["backend"],
            "cost": item.get("cost"), "finished": item.get("finished_at"),
            "first_pack": item.get("pack")}  # fmt: skip


def unpack(path: str | os.PathLike[str], cache: Cache, *, progress: bool = True) -> UnpackReport:
    """Copy a pack's results into ``cache`` and record them as finished tasks from the pack. Every file is
    checked against the manifest before anything is written: a corrupt or foreign pack raises
    :class:`~lumakit.errors.PackError` and changes nothing. ``progress`` shows a bar per file."""
    from tqdm.auto import tqdm

    with open_pack(path) as pack:
        staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=cache.root))
        try:
            staged = []
            for item in tqdm(pack.results, desc="unpack: checking", unit="result", disable=not progress):
                tmp = staging / item["file"]
                pack.copy_verified(item, tmp)  # PackError on any mismatch: nothing moved yet
                staged.append((item, tmp))
            rows, moves = [], {}
            for item, tmp in staged:
                ext = Path(item["file"]).suffix.lstrip(".")
                dest = cache.results.path(item["key"], item["backend"], ext, task_uuid=item["task_uuid"])
                rows.append({**item, "result_path": str(dest),
                             "extra": {"size": item["size"], "pack": provenance(pack, item)}})  # fmt: skip
                moves[item["task_uuid"]] = (tmp, dest)
            added = cache.unpacked.add(rows, pack.id, place=lambda row: _move(*moves[row["task_uuid"]]))
        finally:
            with contextlib.suppress(OSError):
                shutil.rmtree(staging)
    return UnpackReport(pack.path, added, len(pack.results) - added)


def _move(tmp: Path, dest: Path) -> None:
    """Move a staged file into the cache (just before its row is added)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, dest)
