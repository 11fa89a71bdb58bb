"""The task runner: each task's life in the ledger, from claim to file on disk (see :mod:`lumakit.lifecycle`).

    claim the (request, take) slot ──► mine: upload, record SUBMITTED, POST, wait, download ──► DONE
                   │
                   └─ already open (this kernel, a killed one, another process): adopt it, never send again

Every state change is one of the ledger's named arrows (``sending``, ``running``, ``interrupted``, ...), so a
task moves only along the state machine, and a task the service may be running is never forgotten: only a
task-level answer fails it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cache import Cache, LedgerEntry
from ..errors import APIError, LumakitError, NotSent, PollTimeout, TaskFailed
from ..lifecycle import TaskState
from ..results import Result
from ..wire.answers import INVALID_RESPONSE, SUBMIT_UNKNOWN, TASK_NOT_FOUND, PollOutcome, is_task_level
from ..wire.tasks import fill_placeholders, has_placeholders, new_task_uuid
from ._batch_poll import BatchPoller
from ._downloads import Downloader
from ._http import Clock, Sleep
from ._polling import NotFoundWatch, PollPolicy
from ._prepared import PreparedJob
from ._progress import CallProgress
from ._secrets import redact
from ._source_length import length_record
from ._submit import Submitter
from ._uploads import Uploader

log = logging.getLogger("lumakit.client")

S = TaskState
NOT_SENT = "stopped before it was sent: nothing was submitted or billed"
LEDGER_POLL_SECONDS = 0.5  # [ours] how often to look at a task another process is preparing


@dataclass
class TaskRunner:
    """Runs tasks for one client: claim or adopt, send, wait, download; all state in the ledger."""

    cache: Cache
    backend: str
    submitter: Submitter
    poller: BatchPoller
    uploads: Uploader
    downloads: Downloader
    policy: PollPolicy
    sleep: Sleep
    clock: Clock

    # ---- a prepared job: claim its slot or adopt the task already in it ----------------------------
    async def run(self, job: PreparedJob, timeout: float | None, progress: CallProgress) -> Result:
        """The job's result: a new task if none is open for the same request and take, else the open one.

        A finished task whose file was deleted from the cache is downloaded again from its URL when the
        service still serves it (free), before any new job is considered."""
        seen = job.done_seen
        if seen is not None:
            for done in self.cache.ledger.finished(job.key, self.backend, job.take)[:1]:
                if done.video_url:
                    try:
                        return await self.downloads.fetch(done, progress, job.label, request=job.request)
                    except LumakitError as exc:
                        log.info("result of %s is gone from the service too (%s)", done.task_uuid, exc)
                seen = seen | {done.task_uuid}  # looked at and unusable: a new job is what the user needs
        entry = await self._claim_or_adopt(job, progress, seen)
        return await self._complete(entry, timeout, progress, job.label, job.request)

    async def send(self, job: PreparedJob, progress: CallProgress) -> str:
        """The UUID of the job's task once it is submitted, or of the open task adopted instead (sent by
        its owner); nothing is waited for. A task that failed raises :class:`TaskFailed`."""
        entry = await self._claim_or_adopt(job, progress, job.done_seen)
        if entry.state is S.PREPARING:  # ours
            await self._send(entry, progress, job.label)
        elif entry.state is S.FAILED:
            raise TaskFailed(entry.error or "the task failed", task_uuid=entry.task_uuid)
        return entry.task_uuid

    async def _claim_or_adopt(
        self, job: PreparedJob, progress: CallProgress, seen_done: frozenset[str] | None
    ) -> LedgerEntry:
        """The ledger entry of the job's task, settled (:meth:`_settle`): a new ``PREPARING`` row of ours,
        or the task already open for the same request and take, adopted, or one finished since the caller
        looked (not in ``seen_done``). A task its owner stopped before it was sent is not adopted: the slot
        is claimed again."""
        while True:
            task_uuid = self._next_uuid(job)
            entry, mine = self.cache.ledger.claim(
                task_uuid,
                kind=job.request.kind,
                key=job.key,
                backend=self.backend,
                wire=job.request.to_task(task_uuid=task_uuid),
                label=None if job.label == job.request.kind else job.label,
                take=job.take,
                extra={"sources": job.local_sources(), **length_record(job)},
                estimate=job.estimate,
                scope=job.scope,
                hold=job.hold,
                seen_done=seen_done,
            )
            if mine:
                self.cache.reserved_uuids.release(job.key, self.backend, job.take)
            elif entry.state is S.DONE:
                log.info("task %s for this request finished meanwhile: using its result", entry.task_uuid)
            else:
                log.info("task %s is already open for this request: waiting for it", entry.task_uuid)
                progress.emit(
                    job.label,
                    "submitted",
                    task_uuid=entry.task_uuid,
                    state=entry.state,
                    message="already running: waiting for it instead of sending it again",
                )
            entry = await self._settle(entry, resend=False)
            if entry.state is not S.NOT_SENT:
                return entry
            # the task we adopted was stopped before it was sent, by its owner: claim the slot again

    def _next_uuid(self, job: PreparedJob) -> str:
        """The UUID a dry run of this request already sent (:meth:`Cache.reserve_uuid`), so a dry run the
        service ran for real is this same task and never a second one; else a new UUID."""
        reserved = self.cache.reserved_uuids.get(job.key, self.backend, job.take)
        if reserved is not None and self.cache.ledger.get(reserved) is None:
            return reserved
        return new_task_uuid()

    # ---- any ledger entry: bring it to DONE -----------------------------------------------------------
    async def finish(
        self, entry: LedgerEntry, timeout: float | None, progress: CallProgress, label: str, request: Any
    ) -> Result:
        """Finish the task ``entry`` stands for, whatever state it is in (``resume``): one stopped before
        it was sent is sent now, under the same UUID."""
        entry = await self._settle(entry, resend=True)
        return await self._complete(entry, timeout, progress, label, request)

    async def _settle(self, entry: LedgerEntry, *, resend: bool) -> LedgerEntry:
        """The entry once no other live process is preparing it (a dead preparer's task is taken over).
        A task stopped before it was sent is reopened as ours (``PREPARING``) with ``resend``, else it is
        returned ``NOT_SENT``: the caller decides whether to send a new one."""
        task_uuid = entry.task_uuid
        while True:
            while entry.state is S.PREPARING and entry.owner != self.cache.ledger.owner:
                if not self.cache.ledger.owner_alive(entry.owner):
                    if self.cache.ledger.take_over(task_uuid, entry.owner):
                        log.info("task %s: its preparing process died; sending it from here", task_uuid)
                else:
                    await self.sleep(LEDGER_POLL_SECONDS)
                entry = self._get(task_uuid)
            if entry.state is not S.NOT_SENT or not resend:
                return entry
            reopened = self.cache.ledger.reopen(task_uuid)
            entry = self._get(task_uuid)
            if reopened:
                return entry
            # another process reopened it first: follow that one

    async def _complete(
        self, entry: LedgerEntry, timeout: float | None, progress: CallProgress, label: str, request: Any
    ) -> Result:
        """The result of a settled task: send it if it is ours to send, else wait for it or fetch it."""
        task_uuid = entry.task_uuid
        if entry.state is S.PREPARING:  # ours (claimed, taken over, or reopened by resume)
            first = await self._send(entry, progress, label)
            return await self._wait(task_uuid, timeout, progress, label, request, first=first)
        if entry.state is S.FAILED:
            raise TaskFailed(entry.error or "the task failed", task_uuid=task_uuid)
        if entry.state is S.DONE and entry.result_path and Path(entry.result_path).is_file():
            progress.emit(label, "cached", task_uuid=task_uuid, progress=1.0, cost=entry.cost, state=S.DONE)
            return self.downloads.result(entry, cached=True, request=request)
        if entry.video_url:
            try:
                return await self.downloads.fetch(entry, progress, label, request=request)
            except APIError as exc:
                log.info("stored URL of %s failed (%s); polling for a fresh one", task_uuid, exc)
        sent = entry.sent or entry.submitted or entry.created or 0.0
        immediate = time.time() - sent >= self.policy.initial_delay
        return await self._wait(task_uuid, timeout, progress, label, request, immediate=immediate)

    def _get(self, task_uuid: str) -> LedgerEntry:
        entry = self.cache.ledger.get(task_uuid)
        if entry is None:
            raise TaskFailed(f"task {task_uuid} is not in the ledger", task_uuid=task_uuid)
        return entry

    # ---- sending ----------------------------------------------------------------------------------------
    async def _send(self, entry: LedgerEntry, progress: CallProgress, label: str) -> PollOutcome | None:
        """Upload the task's local files, record that the POST begins, POST it. The task is ours and
        ``PREPARING``. Returns what a probe said after an ambiguous POST (or ``None``)."""
        task_uuid = entry.task_uuid
        sources: dict[str, str] = dict(entry.extra.get("sources") or {})
        posting = False
        try:
            if has_placeholders(entry.wire) and not sources:
                raise TaskFailed(
                    "the ledger has no local file for this task's upload; run the request again",
                    task_uuid=task_uuid,
                )
            media, cached = await self.uploads.paths(list(sources.values()), progress, label, task_uuid)
            wire = fill_placeholders(entry.wire or {}, sources, media)
            posting = True
            self.cache.ledger.sending(task_uuid, wire)
            progress.emit(label, "submitting", task_uuid=task_uuid, state=S.SUBMITTED)
            try:
                outcome = await self.submitter.post(task_uuid, wire)
            except APIError as exc:
                stale = [p for p in cached if str(exc.parameter or "").startswith("inputs")]
                if not stale or exc.status_code is None or exc.status_code >= 500:
                    raise
                log.info("a cached upload was refused (%s); uploading again", exc.code)
                self.uploads.forget(stale)
                media, _ = await self.uploads.paths(list(sources.values()), progress, label, task_uuid)
                wire = fill_placeholders(entry.wire or {}, sources, media)
                self.cache.ledger.update(task_uuid, wire=wire)
                outcome = await self.submitter.post(task_uuid, wire)
        except (asyncio.CancelledError, KeyboardInterrupt):
            if posting:  # the service may have it: in flight, resumable
                self.cache.ledger.interrupted(task_uuid, "interrupted while submitting")
                progress.emit(label, "interrupted", task_uuid=task_uuid, state=S.INTERRUPTED)
            else:
                self._not_sent(task_uuid, NOT_SENT, progress, label)
            raise
        except Exception as exc:
            message = redact(str(exc))
            if not posting:
                self._not_sent(task_uuid, f"{NOT_SENT} ({message})", progress, label)
            elif _never_taken(exc):
                self._not_sent(task_uuid, f"refused, nothing billed: {message}", progress, label)
            elif _refused_as_task(exc):
                self._fail(task_uuid, message, progress, label)
            else:  # the service may have it
                self.cache.ledger.interrupted(task_uuid, message)
                progress.emit(label, "error", task_uuid=task_uuid, message=message, state=S.INTERRUPTED)
            raise
        if outcome is None:
            self.cache.ledger.update(task_uuid, submitted=time.time())
        progress.emit(label, "submitted", task_uuid=task_uuid, state=S.SUBMITTED)
        return outcome

    def _not_sent(self, task_uuid: str, why: str, progress: CallProgress, label: str) -> None:
        self.cache.ledger.not_sent(task_uuid, why)
        progress.emit(label, "interrupted", task_uuid=task_uuid, message=why, state=S.NOT_SENT)

    def _fail(self, task_uuid: str, why: str, progress: CallProgress, label: str) -> None:
        self.cache.ledger.failed(task_uuid, why)
        progress.emit(label, "error", task_uuid=task_uuid, message=why, state=S.FAILED)

    # ---- waiting ----------------------------------------------------------------------------------------
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
        budget = timeout if timeout is not None else self.policy.timeout
        start = self.clock()
        watch = NotFoundWatch()
        processing = False
        last_status: str | None = None
        outcome = first if first is not None and first.state in ("success", "error") else None
        try:
            while outcome is None or outcome.state not in ("success", "error"):
                waited = self.clock() - start
                if waited >= budget:
                    raise PollTimeout(task_uuid, waited, last_status)
                if immediate:
                    immediate = False
                    outcome = await self.submitter.poll(task_uuid)
                else:
                    outcome = await self.poller.next(task_uuid, deadline=start + budget)
                last_status = outcome.status
                if outcome.state == "not_found":
                    if watch.seen(self.clock()):
                        outcome = await self._definitely_not_found(task_uuid, outcome)
                        watch.reset()
                    continue
                watch.reset()
                if outcome.state == "pending":
                    if not processing:
                        processing = self.cache.ledger.running(task_uuid)
                    progress.emit(
                        label,
                        "processing",
                        task_uuid=task_uuid,
                        progress=outcome.progress,
                        state=S.PROCESSING,
                    )
            if outcome.state == "error":
                raise outcome.error or TaskFailed("the task failed", task_uuid=task_uuid)
        except (asyncio.CancelledError, KeyboardInterrupt, PollTimeout) as exc:
            why = str(exc) if isinstance(exc, PollTimeout) else "wait interrupted"
            self.cache.ledger.interrupted(task_uuid, why)
            progress.emit(label, "interrupted", task_uuid=task_uuid, message=why, state=S.INTERRUPTED)
            raise
        except TaskFailed as exc:
            self._fail(task_uuid, redact(str(exc)), progress, label)
            raise
        except LumakitError as exc:  # we could not ask (network, 429, 5xx, auth): the task may be fine
            message = redact(str(exc))
            self.cache.ledger.interrupted(task_uuid, message)
            progress.emit(label, "error", task_uuid=task_uuid, message=message, state=S.INTERRUPTED)
            raise
        item = outcome.item
        url = item.get("videoURL") or item.get("mediaURL")
        if not url:
            self.cache.ledger.interrupted(task_uuid, "success without a videoURL")
            raise APIError(
                "the task succeeded but sent no videoURL",
                code=INVALID_RESPONSE,
                task_uuid=task_uuid,
                raw=item,
            )
        extra = dict(self._get(task_uuid).extra)
        if "lumakitLocal" in item:
            extra["lumakitLocal"] = item["lumakitLocal"]
        cost = item.get("cost") if isinstance(item.get("cost"), (int, float)) else None
        self.cache.ledger.running(
            task_uuid, video_url=url, video_uuid=item.get("videoUUID"), cost=cost, extra=extra
        )
        return await self.downloads.fetch(self._get(task_uuid), progress, label, request=request)

    async def _definitely_not_found(self, task_uuid: str, outcome: PollOutcome) -> PollOutcome | None:
        """The service has not known the task for a while. Never acknowledged: it never arrived, so send
        it now (same UUID). Acknowledged: it is gone (expired or lost); sending it again could pay twice."""
        entry = self._get(task_uuid)
        if entry.submitted is None and entry.wire and not has_placeholders(entry.wire):
            log.info("task %s never reached the service; sending it (same UUID)", task_uuid)
            again = await self.submitter.post(task_uuid, entry.wire)
            self.cache.ledger.update(task_uuid, submitted=time.time())
            return again
        raise TaskFailed(
            f"the service does not know task {task_uuid} (expired or lost)",
            code=outcome.error.code if outcome.error else TASK_NOT_FOUND,
            task_uuid=task_uuid,
            raw=outcome.error.raw if outcome.error else None,
        )


def _never_taken(exc: BaseException) -> bool:
    """A submit that surely did not create a task: it never left, or the service refused it for a reason
    that is not the task's (queue full, key, balance)."""
    if isinstance(exc, NotSent):
        return True
    if not isinstance(exc, APIError) or exc.code == SUBMIT_UNKNOWN:
        return False
    return exc.status_code in (401, 402, 403, 429)


def _refused_as_task(exc: BaseException) -> bool:
    """The service answered the submit with the task's own refusal (a validation error, say)."""
    return (
        isinstance(exc, APIError) and exc.status_code is not None and is_task_level(exc.raw, exc.status_code)
    )
