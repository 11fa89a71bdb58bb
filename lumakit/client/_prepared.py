"""Job preparation: hash local sources, measure the source video, build the cache key, look it up.

A :class:`PreparedJob` is one request on its way through the client: its label, its content key (the same
request with the same file contents is the same key), its take (one of several samples of the same request),
and the finished task the cache already has for it (``hit``). A task still in flight for the same request is
found when the runner claims the ledger slot, not here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import digest as file_digest
from ..cache import Cache, Hold, LedgerEntry
from ..errors import MediaError, RequestError
from ..packs.shared import shared_lookup
from ..request import Request, parse_task
from ..wire.spec import source_length_problem
from ._sources import check_video_frames, check_video_path

log = logging.getLogger("lumakit.client")


@dataclass
class PreparedJob:
    request: Request
    label: str
    key: str
    digests: dict[str, str]
    source_seconds: float | None
    take: int = 0
    hit: LedgerEntry | None = None
    source_size: tuple[int, int] | None = None  # width, height of a local source (its price tier)
    force: bool = False  # run again even if the request finished before
    estimate: float | None = None  # what the task counts against a budget until its billed cost arrives
    scope: str | None = None  # the budget scope (or notebook) its task is recorded under
    hold: Hold | None = None  # the call's budget hold its estimate moves out of when the task is claimed
    # finished tasks of this request when it was looked up (None with force): one that finishes after is
    # adopted when the slot is claimed, never run a second time
    done_seen: frozenset[str] | None = None

    def local_sources(self) -> dict[str, str]:
        """``placeholder -> absolute path`` of each local file, kept in the ledger so the task can be
        uploaded and sent later (``resume()`` of a task stopped during its upload)."""
        return {
            src.wire(): str(Path(src.value).expanduser().resolve())
            for src in self.request.sources()
            if src.kind == "path"
        }


def check_take(take: Any) -> int:
    if isinstance(take, bool) or not isinstance(take, int) or take < 0:
        raise RequestError("take", take, "an integer >= 0 (0 is the first sample of a request)")
    return take


async def prepare_many(
    plans: Mapping[str, Request], cache: Cache, backend: str, force: bool, take: int = 0
) -> list[PreparedJob]:
    take = check_take(take)
    return list(
        await asyncio.gather(*(prepare(r, label, cache, backend, force, take) for label, r in plans.items()))
    )


async def prepare(
    request: Request, label: str, cache: Cache, backend: str, force: bool, take: int = 0
) -> PreparedJob:
    return await asyncio.to_thread(prepare_now, request, label, cache, backend, force, take)


def prepare_now(
    request: Request,
    label: str,
    cache: Cache,
    backend: str,
    force: bool,
    take: int = 0,
    *,
    check_length: bool = True,
) -> PreparedJob:
    """Hash local sources, measure the source video (length limits), build the key and look it up; blocking,
    no network (``client.quote`` calls it directly)."""
    digests: dict[str, str] = {}
    for src in request.sources():
        if src.kind == "path":
            digests[src.value] = file_digest(src.value)
    key = request.canonical_key(digests)
    seconds, size = None, None
    video = getattr(request, "video", None)
    if video is not None and video.local_path and Path(video.local_path).is_file():
        check_video_path(video.local_path)  # frame.png as a video: refused before it is probed or sent
        seconds, size, frames = source_info(video.local_path)
        check_video_frames(frames, video.local_path)
        if check_length:  # the 18 s / 30 s check, by job kind
            check_source_length(request.kind, seconds, video.local_path)
    job = PreparedJob(request, label, key, digests, seconds, take, source_size=size, force=force)
    if not force:  # what was finished before the lookup: anything finishing after it is adopted at the claim
        job.done_seen = frozenset(e.task_uuid for e in cache.ledger.finished(key, backend, take))
        job.hit = cache.results.lookup(key, backend, take) or shared_lookup(cache, key, backend, take)
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


def check_source_length(kind: str, seconds: float | None, path: Any = "video") -> None:
    """Raise :class:`~lumakit.errors.MediaError` (naming ``path``) when the source is over the limit of
    its job kind; ``seconds=None`` (length unknown) passes."""
    problem = None if seconds is None else source_length_problem(kind, seconds)
    if problem is not None:
        raise MediaError(path, problem)


def source_info(path: str) -> tuple[float | None, tuple[int, int] | None, int]:
    """Source length, size and frame count, for pricing and the limits."""
    from .. import media

    info = media.probe(path)
    return float(info.duration), (int(info.width), int(info.height)), int(info.n_frames)


def request_from_wire(wire: Mapping[str, Any] | None) -> Any:
    """The request a stored wire dict stands for (the raw dict if it no longer parses)."""
    if not wire:
        return None
    try:
        return parse_task(wire)
    except Exception:
        return dict(wire)
