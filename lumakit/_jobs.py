"""Job preparation: hash local sources, measure the source video, build the cache key, look it up.

A :class:`Job` is one request on its way through the client: its label, its content key (the same request with
the same file contents is the same key), and what the cache already knows (a finished ``hit``, or a task whose
download did not finish to ``adopt``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import Cache, LedgerEntry, file_digest
from .errors import RequestError
from .request import Request, check_source_length, parse_task

log = logging.getLogger("lumakit.client")


@dataclass
class Job:
    request: Request
    label: str
    key: str
    digests: dict[str, str]
    source_seconds: float | None
    hit: LedgerEntry | None = None
    adopt: LedgerEntry | None = None
    media_cached: set[str] = field(default_factory=set)
    source_size: tuple[int, int] | None = None  # width, height of a local source (its price tier)


async def prepare_many(plans: Mapping[str, Request], cache: Cache, backend: str, force: bool) -> list[Job]:
    return list(
        await asyncio.gather(*(prepare(r, label, cache, backend, force) for label, r in plans.items()))
    )


async def prepare(request: Request, label: str, cache: Cache, backend: str, force: bool) -> Job:
    digests: dict[str, str] = {}
    for src in request.sources():
        if src.kind == "path":
            digests[src.value] = await asyncio.to_thread(file_digest, src.value)
    key = request.canonical_key(digests)
    seconds, size = None, None
    video = getattr(request, "video", None)
    if video is not None and video.local_path and Path(video.local_path).is_file():
        seconds, size = await asyncio.to_thread(source_info, video.local_path)
        check_source_length(request.kind, seconds, video.local_path)  # the 18 s / 30 s check, by job kind
    job = Job(request, label, key, digests, seconds, source_size=size)
    if not force:
        job.hit = cache.lookup(key, backend)
        if job.hit is None:
            job.adopt = cache.open_task(key, backend)
    return job


def as_plans(work: Any) -> dict[str, Request]:
    """``label -> request`` from one request, a list of them, or a mapping."""
    if isinstance(work, Mapping):
        return {str(k): v for k, v in work.items()}
    if hasattr(work, "to_task") and hasattr(work, "kind"):
        return {work.kind: work}
    try:
        items = list(work)
    except TypeError:
        raise RequestError(
            "work", work, "a request, a list of requests, or a mapping label -> request"
        ) from None
    return {f"{r.kind}_{i + 1}": r for i, r in enumerate(items)}


def source_info(path: str) -> tuple[float | None, tuple[int, int] | None]:
    """Source length and size for pricing and the length limits (``None`` when lumakit.media is missing)."""
    try:
        from . import media
    except ImportError as exc:
        log.debug("lumakit.media not importable (%s): skipping the source-length check", exc)
        return None, None
    info = media.probe(path)
    return float(info.duration), (int(info.width), int(info.height))


def request_from_wire(wire: Mapping[str, Any] | None) -> Any:
    """The request a stored wire dict stands for (the raw dict if it no longer parses)."""
    if not wire:
        return None
    try:
        return parse_task(wire)
    except Exception:
        return dict(wire)


def has_placeholders(wire: Mapping[str, Any] | None) -> bool:
    """True when a wire dict still has a local file that was never uploaded."""
    return "<upload " in repr(wire)
