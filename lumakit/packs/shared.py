"""``LUMAKIT_SHARED_CACHE``: packs read in place (a zip, or a folder one was unzipped into), never written.

Several can be listed, separated by ``os.pathsep``. A result found there is a cache hit that costs nothing
and says it came from a pack; a zip's file is copied (checked against the manifest) into
``<cache>/shared/<pack id>/`` on first use, a folder's is used where it is once its digest checked out.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from ..cache import Cache, LedgerEntry
from ..lifecycle import TaskState
from .reader import Pack, open_pack
from .unpack import provenance

ENV = "LUMAKIT_SHARED_CACHE"
_lock = threading.Lock()
_packs: dict[tuple[str, int, int], tuple[Pack, dict[tuple[str, int, str], dict[str, Any]]]] = {}
_checked: set[tuple[str, str]] = set()  # (pack id, member) of folder packs whose file checked out


def _opened(spec: str) -> tuple[Pack, dict[tuple[str, int, str], dict[str, Any]]]:
    path = Path(spec).expanduser()
    st = (path / "manifest.json" if path.is_dir() else path).stat()
    memo = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _lock:
        if memo not in _packs:
            pack = open_pack(path)
            index = {(i["key"], i["take"], i["backend"]): i for i in pack.results}
            _packs[memo] = (pack, index)
        return _packs[memo]


def shared_packs() -> list[str]:
    """The packs ``LUMAKIT_SHARED_CACHE`` names (empty when unset)."""
    return [p for p in os.environ.get(ENV, "").split(os.pathsep) if p.strip()]


def shared_lookup(cache: Cache, key: str, backend: str, take: int = 0) -> LedgerEntry | None:
    """A finished result for ``key`` from a shared pack, or None: Ray's for any client, local previews for
    a local one."""
    for spec in shared_packs():
        try:
            pack, index = _opened(spec)
        except OSError:
            from ..errors import PackError

            raise PackError(spec, f"{ENV} names it, but it cannot be read") from None
        item = index.get((key, take, "runware")) or index.get((key, take, backend))
        if item is None:
            continue
        return _entry(pack, item, _file(pack, item, cache))
    return None


def _file(pack: Pack, item: dict[str, Any], cache: Cache) -> Path:
    in_place = pack.local_file(item)
    with _lock:
        if in_place is not None:
            if (pack.id, item["file"]) not in _checked:
                pack.verify(item)
                _checked.add((pack.id, item["file"]))
            return in_place
        dest = cache.root / "shared" / pack.id / item["file"]
        if not (dest.is_file() and dest.stat().st_size == item["size"]):
            pack.copy_verified(item, dest)
        return dest


def _entry(pack: Pack, item: dict[str, Any], path: Path) -> LedgerEntry:
    return LedgerEntry(
        task_uuid=item["task_uuid"], kind=item.get("kind"), label=item.get("label"), key=item["key"],
        backend=item["backend"], state=TaskState.DONE, wire=item.get("wire"), created=item.get("created"),
        updated=None, submitted=item.get("submitted"), finished=item.get("finished"), cost=item.get("cost"),
        result_path=str(path), video_uuid=item.get("video_uuid"), video_url=None, error=None,
        extra={"size": item["size"], "pack": provenance(pack, item)}, take=item["take"],
        scope=item.get("scope"), pack=pack.id,
    )  # fmt: skip
