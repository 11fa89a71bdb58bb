"""The pack format: ``manifest.json`` (what each result is, with its file's SHA-256) and ``results/`` files.

One home for the format's facts: its name and version, which ledger fields travel, how a member file is
named, and the checks a manifest must pass before anything is trusted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ..errors import PackError

FORMAT = "lumakit-pack"
VERSION = 1
MANIFEST = "manifest.json"
# the ledger fields a result carries in a pack (never extra: it holds the maker's file paths)
FIELDS = ("task_uuid", "kind", "label", "key", "backend", "take", "scope", "wire", "cost", "created",
          "submitted", "finished", "video_uuid")  # fmt: skip
BACKENDS = ("runware", "local")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MEMBER = re.compile(r"^results/[0-9a-fA-F-]{36}\.[a-z0-9]{1,5}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def member_name(task_uuid: str, ext: str) -> str:
    """Where a result's file lives inside a pack: ``results/<task_uuid>.<ext>``."""
    return f"results/{task_uuid.lower()}.{ext.lower().lstrip('.') or 'mp4'}"


def when(ts: float | None) -> str | None:
    """A ledger timestamp as an ISO date (UTC), for people reading a manifest."""
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds")


def check(data: Any, where: str) -> list[dict[str, Any]]:
    """The manifest's results, each checked (names, types, a safe member path, a digest); else PackError."""
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise PackError(where, f"not a lumakit pack (its manifest does not say format {FORMAT!r})")
    version = data.get("version")
    if not isinstance(version, int) or version > VERSION or version < 1:
        raise PackError(where, f"pack format version {version!r}; this lumakit reads version {VERSION}")
    results = data.get("results")
    if not isinstance(results, list):
        raise PackError(where, "its manifest has no list of results")
    seen: set[str] = set()
    for i, item in enumerate(results):
        problem = _problem(item)
        if problem:
            raise PackError(where, f"result {i + 1} in its manifest: {problem}")
        if item["file"] in seen:
            raise PackError(where, f"result {i + 1} in its manifest: {item['file']} is listed twice")
        seen.add(item["file"])
    return [dict(item) for item in results]


def _problem(item: Any) -> str:
    if not isinstance(item, Mapping):
        return "not an object"
    if not isinstance(item.get("task_uuid"), str) or not _UUID.match(item["task_uuid"]):
        return "task_uuid is not a UUID"
    if not isinstance(item.get("key"), str) or not item["key"]:
        return "no request key"
    if item.get("backend") not in BACKENDS:
        return f"backend {item.get('backend')!r} is not one of {BACKENDS}"
    take = item.get("take")
    if isinstance(take, bool) or not isinstance(take, int) or take < 0:
        return "take is not an integer >= 0"
    cost = item.get("cost")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, (int, float)) or cost < 0):
        return "cost is not a number of USD"
    if item.get("wire") is not None and not isinstance(item["wire"], Mapping):
        return "wire is not an object"
    if not isinstance(item.get("file"), str) or not _MEMBER.match(item["file"]):
        return "its file name is not results/<task_uuid>.<ext>"
    if not isinstance(item.get("sha256"), str) or not _HEX64.match(item["sha256"]):
        return "no SHA-256 for its file"
    size = item.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return "no size for its file"
    return ""
