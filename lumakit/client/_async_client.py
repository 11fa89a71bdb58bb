"""``AsyncClient``: the public async client. Each call validates, prices, then hands jobs to the task runner.

Every job: validate -> cache lookup (zero requests on a hit) -> price check (``max_cost``) -> the task runner
(:mod:`._runner`: claim the ledger slot or adopt the task in flight, upload, submit, poll together, download).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from ..cache import Cache, History
from ..errors import RequestError
from ..lifecycle import TaskState
from ..pricing import Estimate
from ..request import STRENGTHS, Request, Strength, build
from ..results import Result, ResultSet
from ..types import ControlsLike, SourceLike, WorkLike
from . import _takes
from ._batch_poll import BatchPoller
from ._budget import (
    budget_hold,
    check_budget,
    env_budget,
    env_budget_cap,
    env_max_cost,
    guard_estimate,
    price_jobs,
    resend_hold,
)
from ._collect import collect, unique_labels
from ._downloads import Downloader
from ._dry_run import estimate_with_dry_run
from ._endpoint import choose_endpoint, shared_local_url
from ._handles import AsyncTaskHandle
from ._http import Clock, HttpSession, Sleep
from ._money import ClientMoney
from ._polling import PollPolicy, RetryPolicy
from ._prepared import PreparedJob, as_plans, prepare_many, request_from_wire
from ._progress import CallProgress, OnUpdate
from ._runner import TaskRunner
from ._source_length import SourceLengths
from ._submit import Submitter
from ._uploads import Uploader

__all__ = ["AsyncClient"]

log = logging.getLogger("lumakit.client")

DEFAULT_REFRAME_PROMPT = "Extend the scene naturally beyond the frame, matching its content, light and style"
_announced: set[str] = set()  # the backends already announced in this process


def _announce(backend: str, url: str, key_from: str = "", limits: Any = None) -> None:
    """Say once per process which backend answers (an HTML note in notebooks; a log line, and for the local
    backend also a line on stderr, in terminals); for Runware, with the budget and what it has left."""
    from .. import _notice

    if backend == "runware" and limits is not None and limits.none:
        _notice.warn_unlimited()
    if backend in _announced:
        return
    _announced.add(backend)
    if backend == "local":
        _notice.announce_local(url)
    else:
        _notice.announce_runware(url, key_from, limits.max_cost if limits else None, limits)


class AsyncClient(ClientMoney):
    """The async client. Same methods as :class:`Client`, as coroutines.

    Args:
      api_key: Runware key (default ``RUNWARE_API_KEY``). Never shown in a repr, log, error or file.
      base_url: the task endpoint (default ``RUNWARE_BASE_URL`` or ``https://api.runware.ai/v1``).
      cache_dir: results and ledger (default ``LUMAKIT_CACHE_DIR`` or the user cache dir).
      backend: ``"runware"`` or ``"local"`` (default ``LUMAKIT_BACKEND``; without a key: local).
      max_cost: refuse a call whose estimate is over this many USD (default ``LUMAKIT_MAX_COST``).
      budget: a limit in USD across calls, kernels and restarts, kept in the ledger (``LUMAKIT_BUDGET``):
        a call that would cross it is refused before anything is sent (``spent()``, ``budget_left()``).
      budget_scope: count the budget only over tasks run under this name (``LUMAKIT_BUDGET_SCOPE``).
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
        budget: float | None = None,
        budget_scope: str | None = None,
        concurrency: int = 9,
        poll: PollPolicy | None = None,
        timeout: float | None = None,
        progress: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        _sleep: Sleep | None = None,
        _clock: Clock | None = None,
    ) -> None:
        endpoint = choose_endpoint(api_key, base_url, backend)
        if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
            raise RequestError("concurrency", concurrency, "an integer >= 1")
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0
        ):
            raise RequestError("timeout", timeout, "seconds > 0, or None for poll.timeout")
        self.backend: str = endpoint.backend
        self._key = endpoint.key
        self._upload_namespace = endpoint.upload_namespace
        self.cache = Cache(cache_dir)
        self.max_cost = max_cost if max_cost is not None else env_max_cost()  # checked (ClientMoney)
        self.budget = budget if budget is not None else env_budget()
        self._budget_cap = env_budget_cap()
        self.budget_scope = (
            budget_scope if budget_scope is not None else os.environ.get("LUMAKIT_BUDGET_SCOPE")
        )
        if endpoint.backend == "runware":
            _announce("runware", str(endpoint.url), endpoint.key_from, self._limits())
        else:  # said now, where the client is made; the shared server itself starts on first use
            _announce("local", endpoint.url or "127.0.0.1 (started on first use)")
        self.concurrency = concurrency
        self.poll = poll or (PollPolicy.local() if self.backend == "local" else PollPolicy())
        self.timeout = float(timeout) if timeout is not None else None
        self.progress = progress
        self._sleep: Sleep = _sleep or asyncio.sleep
        self._clock: Clock = _clock or time.monotonic
        self._http = HttpSession(
            endpoint.url or shared_local_url,  # no URL: the shared local backend, on first use
            self._key,
            transport=transport,
            retry=retry,
            sleep=self._sleep,
            clock=self._clock,
        )
        self._sem = asyncio.Semaphore(concurrency)
        self._rng = random.Random()
        self._uploads = Uploader(
            self._http, self.cache, self._upload_namespace, clock=self._clock, sleep=self._sleep
        )
        self._submitter = Submitter(self._http, sleep=self._sleep, clock=self._clock, rng=self._rng)
        self._poller = BatchPoller(
            self._http, self._submitter.poll, self.poll, sleep=self._sleep, clock=self._clock, rng=self._rng
        )
        self._downloads = Downloader(self._http, self.cache, self.backend)
        self._lengths = SourceLengths(self.cache)
        self._runner = TaskRunner(
            cache=self.cache,
            backend=self.backend,
            submitter=self._submitter,
            poller=self._poller,
            uploads=self._uploads,
            downloads=self._downloads,
            policy=self.poll,
            sleep=self._sleep,
            clock=self._clock,
        )

    @property
    def base_url(self) -> str:
        """The task endpoint. Without a key and a ``base_url``, asking for it starts the shared local
        backend (as the first call does)."""
        return self._http.base_url

    def __repr__(self) -> str:
        url = self._http.known_url or "(local backend, starts on first use)"
        return (
            f"{type(self).__name__}(backend={self.backend!r}, base_url={url!r}, "
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
        source: SourceLike,
        prompt: str,
        *,
        strengths: Iterable[str | Strength] | None = None,
        controls: ControlsLike = None,
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

    async def estimate(self, work: WorkLike, *, take: int = 0) -> Estimate:
        """Price work before it runs, as it will run: cached jobs (of this ``take``) cost 0. Asks the service
        for a dry run (``X-Runware-Dry-Run: 1``) under the task UUIDs the real run will use, and falls back to
        the price table when it cannot. Nothing is run or billed; if the service answers a dry run like a live
        task anyway, that task is recorded as submitted, the estimate says so, and running the same request
        waits for it instead of paying again."""
        jobs = await prepare_many(as_plans(work), self.cache, self.backend, False, take)
        table = await guard_estimate(jobs, self._lengths)
        return await estimate_with_dry_run(
            jobs, table, cache=self.cache, backend=self.backend, http=self._http, uploads=self._uploads
        )

    # ---- public: running --------------------------------------------------------------------------------
    async def modify(
        self,
        source: SourceLike,
        prompt: str,
        *,
        strength: str | Strength | None = None,
        controls: ControlsLike = None,
        auto_controls: bool = False,
        take: int = 0,
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
        (zero requests), and a re-run while the same request is still in flight (a killed kernel, another
        notebook) waits for that task instead of paying again. Ray has no seed: ``take=1, 2, ...`` asks for
        more samples of the same request, each cached and kept; ``force=True`` runs a finished request again
        (a new file, the earlier one is kept).
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
        return await self._run_single(request, label, timeout, force, max_cost, on_update, take)

    async def generate(
        self,
        prompt: str,
        *,
        image: SourceLike | None = None,
        last_image: SourceLike | None = None,
        keyframes: Iterable[Any] = (),
        duration: int = 5,
        take: int = 0,
        timeout: float | None = None,
        force: bool = False,
        max_cost: float | None = None,
        on_update: OnUpdate | None = None,
        label: str | None = None,
        **options: Any,
    ) -> Result:
        """Text-to-video, or image-to-video with ``image`` (first frame), ``last_image`` or ``keyframes``.

        ``options``: resolution, aspect_ratio, width, height, loop, hdr, exr_export and the output options.
        ``take``, ``force``: as for :meth:`modify`.
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
        return await self._run_single(request, label, timeout, force, max_cost, on_update, take)

    async def reframe(
        self,
        source: SourceLike,
        *,
        aspect_ratio: str | None = None,
        prompt: str | None = None,
        take: int = 0,
        timeout: float | None = None,
        force: bool = False,
        max_cost: float | None = None,
        on_update: OnUpdate | None = None,
        label: str | None = None,
        **options: Any,
    ) -> Result:
        """Change the aspect ratio by extending the scene (a separate job from an edit).

        Without ``prompt``, a Result's own prompt is reused, else a generic "extend the scene" prompt.
        ``options``: resolution, width, height, source_position and the output options. ``take``, ``force``:
        as for :meth:`modify`.
        """
        if prompt is None:
            prompt = getattr(getattr(source, "request", None), "prompt", None) or DEFAULT_REFRAME_PROMPT
        request = build("reframe", video=source, prompt=prompt, aspect_ratio=aspect_ratio, **options)
        return await self._run_single(request, label, timeout, force, max_cost, on_update, take)

    async def sweep(
        self,
        source: SourceLike,
        prompt: str,
        *,
        strengths: Iterable[str | Strength] | None = None,
        controls: ControlsLike = None,
        variants: Mapping[str, Mapping[str, Any]] | None = None,
        take: int = 0,
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

        The whole sweep is priced first (every job counts; cached jobs cost 0). The jobs are polled together
        (one ``getResponse`` per tick for the whole sweep). If some jobs fail, the others still finish (and
        are cached) and :class:`~lumakit.errors.SweepError` is raised with ``.partial`` (a ResultSet of the
        successes) and ``.failures`` (label -> exception).
        """
        plans = self.plan_sweep(
            source, prompt, strengths=strengths, controls=controls, variants=variants, **options
        )
        return await self._run_many(plans, timeout, force, max_cost, on_update, desc="sweep", take=take)

    async def run(
        self,
        work: WorkLike,
        *,
        take: int = 0,
        timeout: float | None = None,
        force: bool = False,
        max_cost: float | None = None,
        on_update: OnUpdate | None = None,
    ) -> Result | ResultSet:
        """Run a request, a list of them, or a ``{label: request}`` plan (what :meth:`plan_sweep` returns and
        :meth:`estimate` prices), with the cache, budget and ledger of :meth:`modify`.

        One request gives a :class:`Result`; a list or a plan gives a :class:`ResultSet` (in that order).
        """
        if hasattr(work, "to_task") and hasattr(work, "kind"):
            return await self._run_single(work, None, timeout, force, max_cost, on_update, take)  # type: ignore[arg-type]
        return await self._run_many(
            as_plans(work), timeout, force, max_cost, on_update, desc="run", take=take
        )

    takes = _takes.takes

    async def submit(
        self, request: Request, *, label: str | None = None, take: int = 0, max_cost: float | None = None
    ) -> AsyncTaskHandle:
        """Send one request without waiting for its result; returns a handle (``task_uuid``, ``status()``,
        ``result()``). A request already finished (the cache) or in flight (the ledger) is not sent again:
        the handle points at that task."""
        (job,) = await prepare_many({label or request.kind: request}, self.cache, self.backend, False, take)
        if job.hit is not None:
            return AsyncTaskHandle(self, job.hit.task_uuid)
        await price_jobs([job], self._task_scope, self._lengths, read=self._budget_applies)
        await check_budget([job], max_cost, self.max_cost, self._lengths)
        with budget_hold(self.cache, self.backend, [job], self._spending_limits()):
            progress = self._progress([job.label], None, "")
            try:
                task_uuid = await self._runner.send(job, progress)
            finally:
                progress.close()
        return AsyncTaskHandle(self, task_uuid)

    async def wait(
        self, task_uuid: str, *, timeout: float | None = None, on_update: OnUpdate | None = None
    ) -> Result:
        """Wait for a task (by UUID) and download its result; the same as :meth:`resume`."""
        return await self.resume(task_uuid, timeout=timeout, on_update=on_update)

    async def resume(
        self, task_uuid: str, *, timeout: float | None = None, on_update: OnUpdate | None = None
    ) -> Result:
        """Finish a task, whatever happened to the call that started it (timeout, Ctrl-C, a dead kernel).

        Works from any client on the same cache dir, and for a task sent by another tool. A task that
        finished is only downloaded (or served from the cache); one still running is waited for; one that
        never reached the service (stopped during its upload) is uploaded and sent now, with the same UUID.
        """
        entry = self.cache.ledger.get(task_uuid)
        if entry is not None:
            self._check_backend_of(entry)
        if entry is None:  # a task sent from elsewhere (another cache dir, another tool): adopt it
            self.cache.ledger.claim(task_uuid, kind="unknown", key=None, backend=self.backend, wire=None)
            self.cache.ledger.move(task_uuid, TaskState.SUBMITTED, submitted=time.time(), sent=time.time())
            entry = self.cache.ledger.get(task_uuid)
            assert entry is not None
        label = entry.label or task_uuid[:8]
        progress = self._progress([label], on_update, label)
        try:
            request = request_from_wire(entry.wire)
            with resend_hold(self.cache, self.backend, [entry], self._spending_limits()):
                return await self._runner.finish(entry, self._timeout(timeout), progress, label, request)
        finally:
            progress.close()

    def _check_backend_of(self, entry: Any) -> None:
        """Refuse, before asking anyone, to resume a task this client's backend never had (a Runware task
        from a client without a key would ask the local server and wait out the timeout)."""
        if entry.backend in (None, self.backend):
            return
        how = (
            "resume it from a client with your Runware key: lk.Client(api_key=...) or RUNWARE_API_KEY"
            if entry.backend == "runware"
            else f"resume it with lk.Client(backend={entry.backend!r})"
        )
        raise RequestError(
            "task_uuid",
            entry.task_uuid,
            f"a task of the {self.backend} backend",
            message=f"task {entry.task_uuid} was sent to the {entry.backend} backend and this client uses "
            f"the {self.backend} one; nothing was asked: {how}",
        )

    def pending(self) -> History:
        """Every task that is not over: in flight (the service may be running and billing it), being
        prepared, or stopped before it was sent. ``resume_all()`` finishes them."""
        return self.cache.ledger.pending()

    async def resume_all(
        self, *, timeout: float | None = None, on_update: OnUpdate | None = None
    ) -> ResultSet:
        """Finish every task in :meth:`pending` (polled together); ``label -> Result``. Failures raise
        :class:`~lumakit.errors.SweepError` after the others finished."""
        entries = [e for e in self.pending() if e.backend in (None, self.backend)]
        labels = unique_labels(e.label or e.task_uuid[:8] for e in entries)
        progress = self._progress(labels, on_update, "resume")

        async def one(entry: Any, label: str) -> Result:
            request = request_from_wire(entry.wire)
            return await self._runner.finish(entry, self._timeout(timeout), progress, label, request)

        try:
            with resend_hold(self.cache, self.backend, entries, self._spending_limits()):
                outcomes = await asyncio.gather(
                    *(one(e, lab) for e, lab in zip(entries, labels, strict=True)), return_exceptions=True
                )
        finally:
            progress.close()
        return collect(labels, outcomes)

    def history(self, limit: int | None = None) -> History:
        """Every task in the ledger, newest first (a list of :class:`~lumakit.cache.LedgerEntry`)."""
        return self.cache.ledger.history(limit)

    # ---- running ----------------------------------------------------------------------------------------
    def _timeout(self, timeout: float | None) -> float | None:
        return timeout if timeout is not None else self.timeout

    def _progress(self, labels: list[str], on_update: OnUpdate | None, desc: str) -> CallProgress:
        return CallProgress(
            labels=labels,
            clock=self._clock,
            on_update=on_update,
            progress=self.progress and on_update is None and bool(desc),
            desc=desc,
        )

    async def _run_single(
        self,
        request: Request,
        label: str | None,
        timeout: float | None,
        force: bool,
        max_cost: float | None,
        on_update: OnUpdate | None,
        take: int = 0,
    ) -> Result:
        plans = {label or request.kind: request}
        results = await self._run_many(
            plans, timeout, force, max_cost, on_update, desc=label or request.kind, take=take
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
        take: int = 0,
        takes: int = 1,
    ) -> ResultSet:
        jobs = await _takes.prepare_takes(plans, self.cache, self.backend, force, take, takes)
        await price_jobs(jobs, self._task_scope, self._lengths, read=self._budget_applies)
        await check_budget(jobs, max_cost, self.max_cost, self._lengths)
        with budget_hold(self.cache, self.backend, jobs, self._spending_limits()):
            progress = self._progress([j.label for j in jobs], on_update, desc)
            try:
                outcomes = await asyncio.gather(
                    *(self._run_job(j, timeout, progress) for j in jobs), return_exceptions=True
                )
            finally:
                progress.close()
        if len(jobs) == 1 and isinstance(outcomes[0], BaseException):
            raise outcomes[0]
        return collect([j.label for j in jobs], outcomes)

    async def _run_job(self, job: PreparedJob, timeout: float | None, progress: CallProgress) -> Result:
        if job.hit is not None:
            progress.emit(
                job.label,
                "cached",
                task_uuid=job.hit.task_uuid,
                progress=1.0,
                cost=job.hit.cost,
                state=TaskState.DONE,
                message="from pack (paid by its maker)" if job.hit.from_pack else "",
            )
            return self._downloads.result(job.hit, cached=True, request=job.request)
        async with self._sem:
            return await self._runner.run(job, self._timeout(timeout), progress)
