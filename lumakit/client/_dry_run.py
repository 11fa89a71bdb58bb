"""Dry runs (``X-Runware-Dry-Run: 1``) that cannot bill twice.

``client.estimate()`` asks the service to price work without running it. If a proxy or a future API ignored
the header, the "dry run" would run and bill every task. So:

- each task of a dry run carries the task UUID the real submit of the same request (and take) will use
  (:meth:`lumakit.cache.ReservedUuids.reserve`): the real run never sends a second task under another UUID;
- an answer that does not look like a price (no ``cost``, a task ``status``, or no item at all) may be a
  live task: it is recorded in the ledger as submitted, so the real run adopts it (it polls that UUID first,
  and sends it, with the same UUID, only once the service definitely does not know it), ``pending()`` lists
  it, and the estimate says so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..cache import Cache
from ..errors import LumakitError
from ..pricing import Estimate, EstimateLine, EstimateSource
from ..wire.answers import error_from, items_for
from ..wire.tasks import new_task_uuid
from ._http import HttpSession
from ._prepared import PreparedJob
from ._secrets import redact
from ._source_length import length_record
from ._uploads import Uploader

log = logging.getLogger("lumakit.client")


@dataclass
class DryRun:
    """What a dry run learnt: ``priced`` (label -> USD the service quoted) and ``live`` (label -> the UUID of
    a task the service may have taken for real, now in the ledger as submitted)."""

    priced: dict[str, float] = field(default_factory=dict)
    live: dict[str, str] = field(default_factory=dict)

    def notes(self) -> list[str]:
        return [
            f"{label}: the service answered the dry run like a live task ({uid}); it may be running and "
            "billing, so it is in the ledger as submitted and running this request waits for it instead "
            "of paying again"
            for label, uid in self.live.items()
        ]


def looks_priced(item: Mapping[str, Any]) -> bool:
    """True when a dry run's answer item is a price, not a live task: a numeric ``cost`` and no ``status``.

    >>> looks_priced({"taskUUID": "u", "cost": 0.54, "dryRun": True}), looks_priced({"taskUUID": "u"})
    (True, False)
    """
    cost = item.get("cost")
    return isinstance(cost, (int, float)) and not isinstance(cost, bool) and "status" not in item


async def dry_run(
    jobs: list[PreparedJob], http: HttpSession, uploads: Uploader, cache: Cache, backend: str
) -> DryRun:
    """Ask the service to price ``jobs`` under the task UUIDs their real submits will use."""
    tasks: list[dict[str, Any]] = []
    sent: dict[str, tuple[PreparedJob, dict[str, Any]]] = {}
    for job in jobs:
        media, _ = await uploads.paths([s.value for s in job.request.sources() if s.kind == "path"], None)
        uid = cache.reserved_uuids.reserve(job.key, backend, job.take, new_task_uuid())
        wire = job.request.to_task(task_uuid=uid, media=media)
        tasks.append(wire)
        sent[uid] = (job, wire)
    status, body = await http.post(tasks, dry_run=True, what="dry run")
    out = DryRun()
    for uid, (job, wire) in sent.items():
        data, errors = items_for(body, uid)
        if errors and status >= 400 and not any(e.get("taskUUID") for e in errors):
            raise error_from(errors[0], status)
        if errors or status >= 300:
            continue  # refused: nothing runs
        item = data[0] if data else {}
        if looks_priced(item):
            out.priced[job.label] = float(item["cost"])
            continue
        record_live(cache, job, backend, uid, wire, acknowledged="status" in item)
        out.live[job.label] = uid
    for note in out.notes():
        log.warning("%s", note)
    return out


def record_live(
    cache: Cache, job: PreparedJob, backend: str, uid: str, wire: Mapping[str, Any], *, acknowledged: bool
) -> None:
    """Put a task a dry run may have started in the ledger, in flight, in its request's slot (or, when that
    slot already holds another open task, on its own, so ``pending()`` still finds it)."""
    if cache.ledger.get(uid) is not None:
        return  # an earlier dry run of the same request already recorded it
    extra = {"sources": job.local_sources(), **length_record(job), "from_dry_run": True}
    request_wire = job.request.to_task(task_uuid=uid)
    label = None if job.label == job.request.kind else job.label
    _, mine = cache.ledger.claim(
        uid, kind=job.request.kind, key=job.key, backend=backend, wire=request_wire, label=label,
        take=job.take, extra=extra,
    )  # fmt: skip
    if not mine:
        cache.ledger.claim(
            uid, kind=job.request.kind, key=None, backend=backend, wire=request_wire, label=label,
            take=job.take, extra=extra,
        )  # fmt: skip
    cache.reserved_uuids.release(job.key, backend, job.take)
    cache.ledger.sending(uid, wire)
    if acknowledged:  # a task status: the service surely has it (never re-sent, only polled)
        cache.ledger.update(uid, submitted=time.time())


async def estimate_with_dry_run(
    jobs: list[PreparedJob],
    table: Estimate,
    *,
    cache: Cache,
    backend: str,
    http: HttpSession,
    uploads: Uploader,
) -> Estimate:
    """``table`` (the guard's prices) refined by a dry run of the jobs that would be sent: cached jobs and
    jobs already in flight (the run waits for them) cost nothing new; the price table stands in for what the
    dry run did not price."""
    adopted = {
        j.label: e.task_uuid
        for j in jobs
        if j.hit is None and (e := cache.ledger.open_for(j.key, backend, j.take))
    }
    todo = [j for j in jobs if j.hit is None and j.label not in adopted]
    answer = DryRun()
    if todo:
        try:
            answer = await dry_run(todo, http, uploads, cache, backend)
        except (LumakitError, httpx.HTTPError) as exc:
            log.info("dry run failed (%s); using the price table", redact(str(exc)))
    source: EstimateSource = "price table"
    notes: list[str] = []
    if todo and len(answer.priced) == len(todo):
        source = "local tariff" if backend == "local" else "dry-run"
    else:
        notes = [*table.notes, *answer.notes()]
        missing = len(todo) - len(answer.priced) - len(answer.live)
        if todo and missing:
            notes.append(f"{missing} job(s) priced from the table: the dry run did not price them")
    lines = [_line(ln, answer, adopted, source) for ln in table.lines]
    return Estimate.combine(lines, source, notes)


def _line(ln: EstimateLine, answer: DryRun, adopted: Mapping[str, str], source: str) -> EstimateLine:
    if ln.cached:
        return ln
    if ln.label in adopted:
        why = f"in flight as task {adopted[ln.label]}: the run waits for it, nothing new is billed"
        return EstimateLine(ln.label, ln.kind, 0.0, why)
    if ln.label in answer.priced:
        why = "priced by a dry run" if source == "price table" else f"{source}; table says ${ln.amount:.2f}"
        return EstimateLine(ln.label, ln.kind, answer.priced[ln.label], why)
    if ln.label in answer.live:
        return EstimateLine(
            ln.label, ln.kind, ln.amount, f"{ln.detail}; taken as a live task {answer.live[ln.label]}"
        )
    return ln
