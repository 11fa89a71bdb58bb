"""``Client`` and ``AsyncClient``: send Ray 3.2 jobs to Runware (or the local backend), wait, download, cache.

    client = lk.Client()                    # RUNWARE_API_KEY -> Runware; otherwise the local preview backend
    r = client.modify("clip.mp4", "a glass dolphin", strength="flex_2")
    runs = client.sweep("clip.mp4", "a glass dolphin", strengths=["adhere_1", "flex_2", "reimagine_3"])
    client.estimate(client.plan_sweep("clip.mp4", "a glass dolphin"))   # price it first
    client.history(); client.resume(task_uuid)

Every job: validate -> cache lookup (zero requests on a hit) -> price check (``max_cost``) -> ledger
entry with a fresh task UUID -> upload local files (once per content) -> submit (async delivery; never
blindly re-sent) -> poll ``getResponse`` with backoff -> download atomically into the cache. ``Client`` runs
the same coroutines on a private event loop thread, so it also works inside Jupyter's running loop.

This module keeps the public classes and each task's life in the ledger; the steps live in private modules:
``_jobs`` (prepare, cache lookup), ``_budget`` (``max_cost``, dry runs), ``_uploads``, ``_submit`` (post and
poll, never re-sending blindly) and ``_downloads`` (into the cache, and the Result of a ledger entry).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Awaitable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx

from . import _sync
from ._budget import check_budget, check_max_cost, dry_run, env_max_cost, table_estimate
from ._downloads import Downloader
from ._jobs import Job, as_plans, has_placeholders, prepare_many, request_from_wire
from ._polling import PollPolicy, RetryPolicy
from ._pricing import Estimate, EstimateLine
from ._progress import CallProgress, OnUpdate
from ._protocol import PollOutcome
from ._submit import Submitter
from ._transport import Clock, Secret, Sleep, Transport, redact
from ._uploads import Uploader
from .cache import Cache, History
from .errors import APIError, LumakitError, PollTimeout, RequestError, TaskFailed
from .request import STRENGTHS, Request, Strength, build, new_task_uuid
from .results import Result, ResultSet

__all__ = ["AsyncClient", "Client", "Estimate", "PollPolicy", "RetryPolicy"]

log = logging.getLogger("lumakit.client")
T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.runware.ai/v1"  # [doc]
BACKENDS = ("runware", "local")
LOCAL_KEY = "local"  # what the local backend is sent instead of a key
NOT_SENT = "stopped before it was sent: nothing was submitted or billed; run the request again"
NO_KEY = "none"  # a custom base URL without a key (a proxy that adds its own)
DEFAULT_REFRAME_PROMPT = "Extend the scene naturally beyond the frame, matching its content, light and style"
NOT_FOUND_PATIENCE = 3  # consecutive "not found" polls of an acknowledged task before giving up [ours]
_announced = False


def _announce_local(url: str) -> None:
    global _announced
    if _announced:
        return
    _announced = True
    from ._notice import announce_local  # an HTML note in notebooks, one line in terminals

    announce_local(url)


class AsyncClient:
    """The async client. Same methods as :class:`Client`, as coroutines.

    Args:
      api_key: Runware key (default ``RUNWARE_API_KEY``). Never shown in a repr, log, error or file.
      base_url: the task endpoint (default ``RUNWARE_BASE_URL`` or ``https://api.runware.ai/v1``).
      cache_dir: results and ledger (default ``LUMAKIT_CACHE_DIR`` or the user cache dir).
      backend: ``"runware"`` or ``"local"`` (default ``LUMAKIT_BACKEND``; without a key: local).
      max_cost: refuse calls whose estimate is over this many USD (default ``LUMAKIT_MAX_COST``).
      concurrency: jobs in flight at once (a nine-level sweep goes out in one wave by default).
      poll: the polling cadence (:class:`PollPolicy`).
      timeout: seconds to wait for one task (default ``poll.timeout``, 20 min).
      progress: show a tqdm bar per call (not when the call has an ``on_update`` callback: that
        callback, e.g. a panel, shows progress its own way).
      transport: an ``httpx`` async transport (tests pass ``httpx.MockTransport``).
      retry: retries of polls, uploads and downloads (:class:`RetryPolicy`).
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        backend: str | None = None,
        max_cost: float | None = None,
        concurrency: int = 9,
        poll: PollPolicy | None = None,
        timeout: float | None = None,
        progress: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        _sleep: Sleep | None = None,
        _clock: Clock | None = None,
    ) -> None:
        backend = backend or os.environ.get("LUMAKIT_BACKEND") or None
        if backend is not None and backend not in BACKENDS:
            raise RequestError("backend", backend, BACKENDS)
        key = api_key or os.environ.get("RUNWARE_API_KEY") or None
        url = base_url or os.environ.get("RUNWARE_BASE_URL") or None
        if backend is None:
            backend = "runware" if (key or url) else "local"
        self._upload_namespace = None
        if backend == "local":
            if base_url is None:
                from .local import shared_server

                server = shared_server()
                base_url = server.url
                self._upload_namespace = f"local:{getattr(server, 'data_dir', base_url)}"
                _announce_local(base_url)
            url = base_url
            key = api_key or LOCAL_KEY  # the local backend takes any key; the real one stays at home
        else:
            url = url or DEFAULT_BASE_URL
            if not key:
                if url == DEFAULT_BASE_URL:
                    raise RequestError(
                        "api_key",
                        None,
                        "a Runware API key: pass api_key= or set RUNWARE_API_KEY (or use backend='local')",
                        message="backend 'runware' needs an API key",
                    )
                key = NO_KEY
        if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
            raise RequestError("concurrency", concurrency, "an integer >= 1")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
        ):
            raise RequestError("timeout", timeout, "seconds > 0, or None for poll.timeout")
        self.backend: str = backend
        self.base_url: str = str(url)
        self._key = Secret(str(key), placeholder=key in (LOCAL_KEY, NO_KEY))
        self._upload_namespace = self._upload_namespace or f"{backend}:{self.base_url}"
        self.cache = Cache(cache_dir)
        self.max_cost = check_max_cost(max_cost) if max_cost is not None else env_max_cost()
        self.concurrency = concurrency
        self.poll = poll or (PollPolicy.local() if backend == "local" else PollPolicy())
        self.timeout = float(timeout) if timeout is not None else None
        self.progress = progress
        self._sleep: Sleep = _sleep or asyncio.sleep
        self._clock: Clock = _clock or time.monotonic
        self._http = Transport(
            self.base_url, self._key, transport=transport, retry=retry, sleep=self._sleep, clock=self._clock
        )
        self._sem = asyncio.Semaphore(concurrency)
        self._rng = random.Random()
        self._uploads = Uploader(
            self._http, self.cache, self._upload_namespace, clock=self._clock, sleep=self._sleep
        )
        self._submitter = Submitter(self._http, sleep=self._sleep, rng=self._rng)
        self._downloads = Downloader(self._http, self.cache, self.backend)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(backend={self.backend!r}, base_url={self.base_url!r}, "
            f"cache_dir={str(self.cache.root)!r}, api_key=***)"
        )

    async def aclose(self) -> None:
        """Close the HTTP connections and the ledger."""
        await self._http.aclose()
        self.cache.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ---- public: building and pricing -------------------------------------------------------------------
    def plan_sweep(
        self,
        source: Any,
        prompt: str,
        *,
        strengths: Iterable[str | Strength] | None = None,
        controls: Any = None,
        variants: Mapping[str, Mapping[str, Any]] | None = None,
        **options: Any,
    ) -> dict[str, Request]:
        """The requests a :meth:`sweep` would send, ``label -> ModifyRequest`` (validated, nothing sent).

        ``strengths`` (default: all nine) labels each run by its strength. ``variants`` maps your own labels
        to per-run options (``{"tight": {"strength": "adhere_1", "controls": {...}}, ...}``), including
        ``prompt``; sweep-wide ``controls``/``options`` apply to every run unless a variant overrides them.
        """
        if variants is not None and strengths is not None:
            raise RequestError("variants", "...", "either strengths= or variants=, not both")
        if variants is None:
            levels = [strengths] if isinstance(strengths, str) else list(strengths or STRENGTHS)
            if not levels:
                raise RequestError("strengths", strengths, STRENGTHS, message="strengths is empty")
            specs = {str(Strength.coerce(s, "strengths")): {"strength": s} for s in levels}
        else:
            if not isinstance(variants, Mapping) or not variants:
                raise RequestError("variants", variants, "a non-empty mapping label -> options dict")
            specs = {str(k): dict(v) for k, v in variants.items()}
        plans: dict[str, Request] = {}
        for label, spec in specs.items():
            opts = {"controls": controls, **options, **spec}
            opts.setdefault("prompt", prompt)
            plans[label] = build("modify", video=source, **opts)
        return plans

    async def estimate(self, work: Request | Iterable[Request] | Mapping[str, Request]) -> Estimate:
        """Price work before it runs. Asks the service for a dry run (``X-Runware-Dry-Run: 1``), and falls
        back to the spec's price table when it cannot; cached jobs cost 0. Nothing is run or billed."""
        jobs = await prepare_many(as_plans(work), self.cache, self.backend, force=False)
        table = table_estimate(jobs)
        todo = [j for j in jobs if j.hit is None]
        if not todo:
            return table
        try:
            priced = await dry_run(todo, self._http, self._uploads)
        except (LumakitError, httpx.HTTPError) as exc:
            log.info("dry run failed (%s); using the price table", redact(str(exc)))
            priced = {}
        if len(priced) < len(todo):
            missing = len(todo) - len(priced)
            notes = (*table.notes, f"{missing} job(s) priced from the table: the dry run did not price them")
            lines = [
                EstimateLine(ln.label, ln.kind, priced[ln.label], "priced by a dry run")
                if ln.label in priced
                else ln
                for ln in table.lines
            ]
            return Estimate.combine(lines, "price table", notes)
        source = "local tariff" if self.backend == "local" else "dry-run"
        lines = [
            ln
            if ln.cached
            else EstimateLine(ln.label, ln.kind, priced[ln.label], f"{source}; table says ${ln.amount:.2f}")
            for ln in table.lines
        ]
        return Estimate.combine(lines, source)  # type: ignore[arg-type]

    # ---- public: running --------------------------------------------------------------------------------
    async def modify(
        self,
        source: Any,
        prompt: str,
        *,
        strength: str | Strength | None = None,
        controls: Any = None,
        auto_controls: bool = False,
        timeout: float | None = None,
        force: bool = False,
        max_cost: float | None = None,
        on_update: OnUpdate | None = None,
        label: str | None = None,
        **output_options: Any,
    ) -> Result:
        """Modify Video: re-render ``source`` from ``prompt``; motion and timing carry through.

        ``source`` is a local path, URL, UUID or a previous :class:`Result`. ``output_options``: resolution,
        hdr, exr_export, output_format, output_quality, ttl. A re-run of the same request is a cache hit
        (zero requests) unless ``force=True``.
        """
        request = build(
            "modify",
            video=source,
            prompt=prompt,
            strength=strength,
            controls=controls,
            auto_controls=auto_controls,
            **output_options,
        )
        return await self._run_single(request, label, timeout, force, max_cost, on_update)

    async def generate(
        self,
        prompt: str,
        *,
        image: Any = None,
        last_image: Any = None,
        keyframes: Iterable[Any] = (),
        duration: int = 5,
        timeout: float | None = None,
        force: bool = False,
        max_cost: float | None = None,
        on_update: OnUpdate | None = None,
        label: str | None = None,
        **options: Any,
    ) -> Result:
        """Text-to-video, or image-to-video with ``image`` (first frame), ``last_image`` or ``keyframes``.

        ``options``: resolution, aspect_ratio, width, height, loop, hdr, exr_export and the output options.
        """
        request = build(
            "generate",
            prompt=prompt,
            image=image,
            last_image=last_image,
            keyframes=tuple(keyframes),
            duration=duration,
            **options,
        )
        return await self._run_single(request, label, timeout, force, max_cost, on_update)

    async def reframe(
        self,
        source: Any,
        *,
        aspect_ratio: str | None = None,
        prompt: str | None = None,
        timeout: float | None = None,
        force: bool = False,
        max_cost: float | None = None,
        on_update: OnUpdate | None = None,
        label: str | None = None,
        **options: Any,
    ) -> Result:
        """Change the aspect ratio by extending the scene (a separate job from an edit).

        Without ``prompt``, a Result's own prompt is reused, else a generic "extend the scene" prompt.
        ``options``: resolution, width, height, source_position and the output options.
        """
        if prompt is None:
            prompt = getattr(getattr(source, "request", None), "prompt", None) or DEFAULT_REFRAME_PROMPT
        request = build("reframe", video=source, prompt=prompt, aspect_ratio=aspect_ratio, **options)
        return await self._run_single(request, label, timeout, force, max_cost, on_update)

    async def sweep(
        self,
        source: Any,
        prompt: str,
        *,
        strengths: Iterable[str | Strength] | None = None,
        controls: Any = None,
        variants: Mapping[str, Mapping[str, Any]] | None = None,
        max_cost: float | None = None,
        on_update: OnUpdate | None = None,
        force: bool = False,
        timeout: float | None = None,
        **options: Any,
    ) -> ResultSet:
        """Run one edit at several strengths (or ``variants``) concurrently; an ordered ``label -> Result``.

        ``strengths`` (default: all nine) labels each run by its level. ``variants`` maps your own labels to
        per-run options instead, e.g. one strength under three control settings::

            client.sweep(src, prompt, strength="flex_2", variants={
                "loose": {"controls": {"depth_blur": 0.8}}, "tight": {"controls": {"depth_blur": 0.1}}})

        Keyword ``options`` (``strength``, ``controls``, output options) apply to every run unless a variant
        sets its own; a variant may also carry its own ``prompt``.

        The whole sweep is priced first (every job counts; cached jobs cost 0). If some jobs fail, the
        others still finish (and are cached); the first error is raised with ``.partial`` (a ResultSet of
        the successes) and ``.failures`` (label -> exception).
        """
        plans = self.plan_sweep(
            source, prompt, strengths=strengths, controls=controls, variants=variants, **options
        )
        return await self._run_many(plans, timeout, force, max_cost, on_update, desc="sweep")

    async def submit(
        self, request: Request, *, label: str | None = None, max_cost: float | None = None
    ) -> str:
        """Send one request without waiting (no cache lookup); returns its task UUID for :meth:`wait`."""
        (job,) = await prepare_many({label or request.kind: request}, self.cache, self.backend, force=True)
        check_budget([job], max_cost, self.max_cost)
        progress = CallProgress(
            labels=[job.label], clock=self._clock, on_update=None, progress=False, desc=""
        )
        task_uuid, _ = await self._submit(job, progress)
        return task_uuid

    async def wait(
        self, task_uuid: str, *, timeout: float | None = None, on_update: OnUpdate | None = None
    ) -> Result:
        """Wait for a submitted task and download its result."""
        return await self._follow(task_uuid, timeout, on_update, immediate=False)

    async def resume(
        self, task_uuid: str, *, timeout: float | None = None, on_update: OnUpdate | None = None
    ) -> Result:
        """Finish a task whose wait was interrupted (timeout, KeyboardInterrupt, kernel restart).

        Works from a new client on the same cache dir. A task that never reached the service is re-sent with
        the same UUID; one that finished is only downloaded.
        """
        return await self._follow(task_uuid, timeout, on_update, immediate=True)

    def history(self, limit: int | None = None) -> History:
        """Every task in the ledger, newest first (a list of :class:`~lumakit.cache.LedgerEntry`)."""
        return self.cache.history(limit)

    # ---- running: a task's life in the ledger (submit, wait, follow) ------------------------------------
    async def _run_single(
        self,
        request: Request,
        label: str | None,
        timeout: float | None,
        force: bool,
        max_cost: float | None,
        on_update: OnUpdate | None,
    ) -> Result:
        results = await self._run_many(
            {label or request.kind: request}, timeout, force, max_cost, on_update, desc=label or request.kind
        )
        return next(iter(results.values()))

    async def _run_many(
        self,
        plans: Mapping[str, Request],
        timeout: float | None,
        force: bool,
        max_cost: float | None,
        on_update: OnUpdate | None,
        desc: str,
    ) -> ResultSet:
        jobs = await prepare_many(plans, self.cache, self.backend, force)
        check_budget(jobs, max_cost, self.max_cost)
        progress = CallProgress(
            labels=[j.label for j in jobs],
            clock=self._clock,
            on_update=on_update,
            progress=self.progress and on_update is None,
            desc=desc,
        )
        try:
            outcomes = await asyncio.gather(
                *(self._run_job(j, timeout, progress) for j in jobs), return_exceptions=True
            )
        finally:
            progress.close()
        results: dict[str, Result] = {}
        failures: dict[str, BaseException] = {}
        for job, out in zip(jobs, outcomes, strict=True):
            if isinstance(out, BaseException):
                failures[job.label] = out
            else:
                results[job.label] = out
        for out in failures.values():
            if not isinstance(out, Exception):  # KeyboardInterrupt, CancelledError: not ours to wrap
                raise out
        if failures:
            first = next(iter(failures.values()))
            if len(jobs) > 1:
                log.warning(
                    "%d of %d jobs failed (%s); the others are cached",
                    len(failures),
                    len(jobs),
                    ", ".join(failures),
                )
                first.partial = ResultSet(results)  # type: ignore[attr-defined]
                first.failures = failures  # type: ignore[attr-defined]
            raise first
        return ResultSet(results)

    async def _run_job(self, job: Job, timeout: float | None, progress: CallProgress) -> Result:
        if job.hit is not None:
            progress.emit(job.label, "cached", task_uuid=job.hit.task_uuid, progress=1.0, cost=job.hit.cost)
            return self._downloads.result(job.hit, cached=True, request=job.request)
        async with self._sem:
            if job.adopt is not None:  # the same request already finished but its download did not
                try:
                    return await self._downloads.fetch(job.adopt, progress, job.label, request=job.request)
                except APIError as exc:
                    log.info("could not finish task %s (%s); sending a new one", job.adopt.task_uuid, exc)
            task_uuid, outcome = await self._submit(job, progress)
            return await self._wait(task_uuid, timeout, progress, job.label, job.request, first=outcome)

    async def _submit(self, job: Job, progress: CallProgress) -> tuple[str, PollOutcome | None]:
        """Mint the UUID, record it, upload, POST. Returns the UUID and, after an ambiguous failure, what the
        probe poll said."""
        task_uuid = new_task_uuid()
        self.cache.record(
            task_uuid,
            kind=job.request.kind,
            key=job.key,
            backend=self.backend,
            wire=job.request.to_task(task_uuid=task_uuid),
            label=None if job.label == job.request.kind else job.label,
        )
        sent = False  # has the POST of the task started? Before it, nothing exists on the service
        try:
            media = await self._uploads.sources(job, progress, task_uuid)
            wire = job.request.to_task(task_uuid=task_uuid, media=media)
            self.cache.update(task_uuid, wire=wire)
            progress.emit(job.label, "submitting", task_uuid=task_uuid)
            try:
                sent = True
                outcome = await self._submitter.post(task_uuid, wire)
            except APIError as exc:
                stale = [p for p in job.media_cached if str(exc.parameter or "").startswith("inputs")]
                if not stale or exc.status_code is None or exc.status_code >= 500:
                    raise
                log.info("a cached upload was refused (%s); uploading again", exc.code)
                self._uploads.forget(job, stale)
                media = await self._uploads.sources(job, progress, task_uuid)
                wire = job.request.to_task(task_uuid=task_uuid, media=media)
                self.cache.update(task_uuid, wire=wire)
                outcome = await self._submitter.post(task_uuid, wire)
        except (asyncio.CancelledError, KeyboardInterrupt):
            if sent:  # the service may have it: resumable
                self.cache.update(task_uuid, state="interrupted", error="interrupted while submitting")
                progress.emit(job.label, "interrupted", task_uuid=task_uuid)
            else:  # stopped while uploading: there is no task to resume, and nothing was billed
                self.cache.update(task_uuid, state="error", error=NOT_SENT, finished=time.time())
                progress.emit(job.label, "interrupted", task_uuid=task_uuid, message=NOT_SENT)
            raise
        except Exception as exc:
            if isinstance(exc, APIError) and exc.code == "submitUnknown":  # resumable: it may exist
                self.cache.update(task_uuid, state="interrupted", error=redact(str(exc)))
            else:
                self.cache.update(task_uuid, state="error", error=redact(str(exc)), finished=time.time())
            progress.emit(job.label, "error", task_uuid=task_uuid, message=redact(str(exc)))
            raise
        self.cache.update(task_uuid, state="submitted", submitted=time.time())
        progress.emit(job.label, "submitted", task_uuid=task_uuid)
        return task_uuid, outcome

    async def _wait(
        self,
        task_uuid: str,
        timeout: float | None,
        progress: CallProgress,
        label: str,
        request: Any,
        *,
        first: PollOutcome | None = None,
        immediate: bool = False,
    ) -> Result:
        budget = (
            timeout
            if timeout is not None
            else self.timeout
            if self.timeout is not None
            else self.poll.timeout
        )
        start = self._clock()
        delays = self.poll.delays(self._rng)
        if immediate:
            next(delays)
        not_found = 0
        state = "submitted"
        last_status: str | None = None
        outcome = first if first is not None and first.state in ("success", "error") else None
        try:
            while outcome is None or outcome.state not in ("success", "error"):
                waited = self._clock() - start
                if waited >= budget:
                    raise PollTimeout(task_uuid, waited, last_status)
                delay = 0.0 if immediate else next(delays)
                immediate = False
                await self._sleep(min(delay, budget - waited))
                outcome = await self._submitter.poll(task_uuid)
                last_status = outcome.status
                if outcome.state == "not_found":
                    entry = self.cache.get(task_uuid)
                    if (
                        entry is not None
                        and entry.submitted is None
                        and entry.wire
                        and not has_placeholders(entry.wire)
                    ):
                        log.info("task %s never reached the service; sending it (same UUID)", task_uuid)
                        again = await self._submitter.post(task_uuid, entry.wire)
                        self.cache.update(task_uuid, state="submitted", submitted=time.time())
                        outcome = again
                        continue
                    not_found += 1
                    if not_found >= NOT_FOUND_PATIENCE:
                        raise TaskFailed(
                            f"the service does not know task {task_uuid} (expired or never sent)",
                            code=outcome.error.code if outcome.error else "taskFailedOrNotFound",
                            task_uuid=task_uuid,
                            raw=outcome.error.raw if outcome.error else None,
                        )
                    continue
                not_found = 0
                if outcome.state == "pending":
                    if state != "processing":
                        state = "processing"
                        self.cache.update(task_uuid, state="processing")
                    progress.emit(label, "processing", task_uuid=task_uuid, progress=outcome.progress)
            if outcome.state == "error":
                raise outcome.error or TaskFailed("the task failed", task_uuid=task_uuid)
        except PollTimeout as exc:
            self.cache.update(task_uuid, state="interrupted", error=str(exc))
            progress.emit(label, "interrupted", task_uuid=task_uuid, message=str(exc))
            raise
        except (asyncio.CancelledError, KeyboardInterrupt):
            self.cache.update(task_uuid, state="interrupted", error="wait interrupted")
            progress.emit(label, "interrupted", task_uuid=task_uuid)
            raise
        except LumakitError as exc:
            if isinstance(exc, TaskFailed) or (isinstance(exc, APIError) and exc.task_uuid == task_uuid):
                self.cache.update(task_uuid, state="error", error=redact(str(exc)), finished=time.time())
            else:  # we could not ask; the task itself may be fine
                self.cache.update(task_uuid, state="interrupted", error=redact(str(exc)))
            progress.emit(label, "error", task_uuid=task_uuid, message=redact(str(exc)))
            raise
        item = outcome.item
        url = item.get("videoURL") or item.get("mediaURL")
        if not url:
            self.cache.update(task_uuid, state="error", error="success without a videoURL")
            raise APIError(
                "the task succeeded but sent no videoURL",
                code="invalidResponse",
                task_uuid=task_uuid,
                raw=item,
            )
        extra: dict[str, Any] = {}
        if "lumakitLocal" in item:
            extra["lumakitLocal"] = item["lumakitLocal"]
        cost = item.get("cost") if isinstance(item.get("cost"), (int, float)) else None
        self.cache.update(
            task_uuid,
            state="processing",
            video_url=url,
            video_uuid=item.get("videoUUID"),
            cost=cost,
            extra=extra,
        )
        entry = self.cache.get(task_uuid)
        assert entry is not None
        return await self._downloads.fetch(entry, progress, label, request=request)

    async def _follow(
        self, task_uuid: str, timeout: float | None, on_update: OnUpdate | None, *, immediate: bool
    ) -> Result:
        entry = self.cache.get(task_uuid)
        if entry is None:  # a task sent from elsewhere (another cache dir, another tool): adopt it
            self.cache.record(task_uuid, kind="unknown", key=None, backend=self.backend, wire=None)
            self.cache.update(task_uuid, state="submitted", submitted=time.time())
        label = (entry.label if entry else None) or task_uuid[:8]
        progress = CallProgress(
            labels=[label],
            clock=self._clock,
            on_update=on_update,
            progress=self.progress and on_update is None,
            desc=label,
        )
        try:
            if entry is not None:
                if entry.state == "done" and entry.result_path and Path(entry.result_path).is_file():
                    progress.emit(label, "cached", task_uuid=task_uuid, progress=1.0, cost=entry.cost)
                    return self._downloads.result(entry, cached=True)
                if entry.state == "error":
                    raise TaskFailed(entry.error or "the task failed", task_uuid=task_uuid)
                if entry.video_url:
                    try:
                        return await self._downloads.fetch(entry, progress, label)
                    except APIError as exc:
                        log.info("stored URL failed (%s); polling for a fresh one", exc)
            request = request_from_wire(entry.wire) if entry else None
            return await self._wait(task_uuid, timeout, progress, label, request, immediate=immediate)
        finally:
            progress.close()


# ---- the sync client -----------------------------------------------------------------------------------
class Client:
    """The notebook client: blocking calls that work inside Jupyter's running event loop.

    Same arguments and methods as :class:`AsyncClient` (``modify``, ``sweep``, ``generate``, ``reframe``,
    ``submit``, ``wait``, ``resume``, ``history``, ``estimate``, ``plan_sweep``). The coroutines run on a
    private loop thread; a kernel interrupt marks the task "interrupted" so ``client.resume(task_uuid)`` can
    finish it.
    """

    def __init__(self, api_key: str | None = None, **kwargs: Any) -> None:
        self._async = AsyncClient(api_key, **kwargs)

    def __repr__(self) -> str:
        return repr(self._async).replace("AsyncClient(", "Client(", 1)

    @property
    def aio(self) -> AsyncClient:
        """The :class:`AsyncClient` this client drives (its coroutines belong to lumakit's private loop)."""
        return self._async

    @property
    def backend(self) -> str:
        return self._async.backend

    @property
    def base_url(self) -> str:
        return self._async.base_url

    @property
    def cache(self) -> Cache:
        return self._async.cache

    @property
    def max_cost(self) -> float | None:
        return self._async.max_cost

    def _run(self, coro: Awaitable[T]) -> T:
        return _sync.run(coro)  # type: ignore[arg-type]

    def modify(self, source: Any, prompt: str, **kwargs: Any) -> Result:
        return self._run(self._async.modify(source, prompt, **kwargs))

    def sweep(self, source: Any, prompt: str, **kwargs: Any) -> ResultSet:
        return self._run(self._async.sweep(source, prompt, **kwargs))

    def generate(self, prompt: str, **kwargs: Any) -> Result:
        return self._run(self._async.generate(prompt, **kwargs))

    def reframe(self, source: Any, **kwargs: Any) -> Result:
        return self._run(self._async.reframe(source, **kwargs))

    def submit(self, request: Request, **kwargs: Any) -> str:
        return self._run(self._async.submit(request, **kwargs))

    def wait(self, task_uuid: str, **kwargs: Any) -> Result:
        return self._run(self._async.wait(task_uuid, **kwargs))

    def resume(self, task_uuid: str, **kwargs: Any) -> Result:
        return self._run(self._async.resume(task_uuid, **kwargs))

    def estimate(self, work: Any) -> Estimate:
        return self._run(self._async.estimate(work))

    def plan_sweep(self, source: Any, prompt: str, **kwargs: Any) -> dict[str, Request]:
        return self._async.plan_sweep(source, prompt, **kwargs)

    def history(self, limit: int | None = None) -> History:
        return self._async.history(limit)

    def close(self) -> None:
        self._run(self._async.aclose())

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _mirror_signatures() -> None:
    """Give each sync method its async twin's docstring and signature (for help() and notebook tooltips)."""
    import inspect

    names = ("modify", "sweep", "generate", "reframe", "submit", "wait", "resume", "estimate", "plan_sweep")
    for name in names:
        sync, twin = getattr(Client, name), getattr(AsyncClient, name)
        sync.__doc__ = twin.__doc__
        sync.__signature__ = inspect.signature(twin)  # type: ignore[attr-defined]
    Client.history.__doc__ = AsyncClient.history.__doc__


_mirror_signatures()
