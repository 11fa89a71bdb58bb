"""The local backend's protocol semantics, with no sockets: a task array in, Runware's answer out.

    backend = Backend(Store(tmp), latency=Latency(processing_time=1))
    answer = backend.answer([{"taskType": "getResponse", "taskUUID": uid}])
    answer.status, answer.payload()      # 404, {"errors": [{"code": "taskFailedOrNotFound", ...}]}

Each task is dispatched through :attr:`Backend.handlers` (``{taskType: handler}``); a handler returns the
task's data item or raises :class:`TaskError`. The answer holds one item per task in ``data`` or ``errors``
and takes HTTP 200 when any task succeeded, else the highest error status. A ``videoInference`` is validated
whole (:func:`lumakit.request.parse_task`) before any source is fetched or decoded. Scripted faults arrive as
an argument (``fault=``); the HTTP layer (:mod:`.http_handler`) applies the ones that act on the connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import media
from ..errors import MediaError, RequestError
from ..request import GenerateRequest, Keyframe, ModifyRequest, Request, parse_task
from ..wire.answers import (
    DUPLICATE_TASK_UUID,
    INVALID_API_KEY,
    INVALID_IMAGE,
    INVALID_REQUEST_BODY,
    INVALID_TASK,
    INVALID_TASK_TYPE,
    INVALID_TASK_UUID,
    INVALID_VIDEO,
    PROVIDER_ERROR,
    TASK_FAILED,
    TASK_NOT_FOUND,
    TaskError,
    wire_error,
)
from ..wire.spec import NUMBER_RESULTS, is_uuid, size_note
from ..wire.tasks import AUTHENTICATION, array_api_key, new_task_uuid
from ..wire.tasks import digest as task_digest
from . import tariff
from .faults import Fault, Latency
from .ingest import Fetcher, Ingest, fetch_url
from .jobs import RenderJob, run_render
from .source_limits import image_problem, video_problem
from .store import Store
from .webhooks import TIMEOUT as WEBHOOK_TIMEOUT
from .webhooks import Webhooks, not_called, webhook_url

BACKEND = "local-preview"
NOTE = "local preview renderer, not Ray"
SYNC_WAIT = 600.0  # seconds a sync videoInference may take
STATS = (
    "requests",
    "submits",
    "resends",
    "jobs_created",
    "polls",
    "uploads",
    "downloads",
    "dry_runs",
    "faults",
    "fetches",
    "webhooks",
    "webhook_failures",
)

Handler = Callable[[dict[str, Any], "Call"], dict[str, Any]]


@dataclass(frozen=True)
class Call:
    """How one task array arrived: ``dry_run`` (``X-Runware-Dry-Run``) and the scripted ``fault``, if any."""

    dry_run: bool = False
    fault: Fault | None = None


@dataclass
class Answer:
    """The answer to a task array: data items, error objects, and the HTTP status it takes."""

    data: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200

    def payload(self) -> dict[str, Any]:
        """The JSON body: ``data`` (unless every task failed) and ``errors`` (when any task failed)."""
        out: dict[str, Any] = {}
        if self.data or not self.errors:
            out["data"] = self.data
        if self.errors:
            out["errors"] = self.errors
        return out


def local_meta(**extra: Any) -> dict[str, Any]:
    """The ``lumakitLocal`` block every priced answer carries: this is a local estimate, not Ray."""
    return {"backend": BACKEND, "costIsEstimate": True, "tariff": tariff.TARIFF_NAME, "note": NOTE, **extra}


class Backend:
    """Answers task arrays for one data folder; renders jobs on ``workers`` threads.

    Args:
      store: the data folder (results, uploads, task index).
      latency: simulated queue and processing time.
      workers: render jobs that run at once.
      base_url: ``http://127.0.0.1:<port>`` of the server in front (result URLs; its own ``/files/`` URLs
        are read from the store, not fetched). The server sets it when it starts.
      fetch_timeout, max_body: bounds for fetching a media URL of another host.
      fetch: the function that fetches such a URL (see :mod:`.ingest`).
      webhook_timeout: seconds a task's ``webhookURL`` receiver has to answer (see :mod:`.webhooks`).
    """

    def __init__(
        self,
        store: Store,
        *,
        latency: Latency | None = None,
        workers: int = 2,
        base_url: str = "http://127.0.0.1:0",
        fetch_timeout: float = 5.0,
        max_body: int = 200 * 1024 * 1024,
        fetch: Fetcher = fetch_url,
        webhook_timeout: float = WEBHOOK_TIMEOUT,
    ) -> None:
        self.store = store
        self.latency = latency or Latency()
        self.workers = workers
        self.stats: dict[str, int] = dict.fromkeys(STATS, 0)
        self.jobs: dict[str, RenderJob] = {}
        self.ingest = Ingest(
            store,
            own_base_url=base_url,
            fetch_timeout=fetch_timeout,
            max_body=max_body,
            fetch=self._counted(fetch),
        )
        self.base_url = base_url
        self.webhooks = Webhooks(timeout=webhook_timeout, count=self.count)
        self.handlers: dict[str, Handler] = {
            "videoInference": self._video_inference,
            "getResponse": self._get_response,
            "getTaskDetails": self._get_task_details,
            "mediaStorage": self._media_storage,
            "imageUpload": self._image_upload,
            AUTHENTICATION: _authentication,
        }
        self._lock = threading.RLock()
        self._pool: ThreadPoolExecutor | None = None

    def serve_at(self, base_url: str) -> None:
        """Tell the backend its server's ``http://127.0.0.1:<port>`` (result URLs; own URLs read locally)."""
        self.base_url = self.ingest.own_base_url = base_url

    def count(self, name: str) -> None:
        """Add one to ``stats[name]`` (thread-safe)."""
        with self._lock:
            self.stats[name] += 1

    def close(self) -> None:
        """Stop taking render jobs; running ones finish on their threads."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        self.webhooks.close()

    def file_url(self, name: str) -> str:
        return f"{self.base_url}/files/{name}"

    # ---- the task array
    def answer(self, tasks: Any, *, dry_run: bool = False, fault: Fault | None = None) -> Answer:
        """Answer a request body (a JSON array of tasks); ``fault`` is the scripted fault of this request."""
        if not isinstance(tasks, list):
            message = (
                "the body must be a JSON array of task objects, even for one task "
                f"(got {type(tasks).__name__})"
            )
            return Answer(errors=[wire_error(INVALID_REQUEST_BODY, message)], status=400)
        call = Call(dry_run=dry_run, fault=fault)
        answer = Answer()
        statuses: list[int] = []
        with self.store.batch():  # the index is written once per array, before the answer
            for task in tasks:
                try:
                    answer.data.append(self._dispatch(task, call))
                except TaskError as e:
                    answer.errors.append(e.wire(task))
                    statuses.append(e.status)
                except RequestError as e:
                    answer.errors.append(TaskError.from_request_error(e).wire(task))
                    statuses.append(400)
        answer.status = 200 if answer.data or not statuses else max(statuses)
        return answer

    def _dispatch(self, task: Any, call: Call) -> dict[str, Any]:
        if not isinstance(task, dict):
            raise TaskError(INVALID_TASK, "each task must be a JSON object", "task")
        task_type = task.get("taskType")
        handler = self.handlers.get(task_type) if isinstance(task_type, str) else None
        if handler is None:
            raise TaskError(
                INVALID_TASK_TYPE,
                f"unknown taskType {task.get('taskType')!r}",
                "taskType",
                allowed=list(self.handlers),
            )
        return handler(task, call)

    # ---- videoInference
    def _video_inference(self, task: dict[str, Any], call: Call) -> dict[str, Any]:
        self.count("submits")
        _check_number_results(task)  # this backend's rule; the rest of the shape is the request model's
        try:  # the whole shape, before any source is fetched or decoded
            request = parse_task({k: v for k, v in task.items() if k != "numberResults"})
        except RequestError as e:
            raise TaskError.from_request_error(e) from None
        hook = webhook_url(task)  # called only on loopback; another host's is accepted, not called
        notes = _notes(task, request)
        uid = task["taskUUID"]
        digest = task_digest(task)
        if not call.dry_run and self._is_resend(uid, digest):
            return self._acknowledge(task, notes)
        inputs, seconds = self._resolve_inputs(request)
        price = tariff.estimate(request, seconds, inputs.get("video"))
        meta = local_meta(costEstimate=price["cost"], pricing=price, **notes)
        if call.dry_run:
            self.count("dry_runs")
            return {
                "taskType": "videoInference",
                "taskUUID": uid,
                "cost": price["cost"],
                "dryRun": True,
                "lumakitLocal": meta,
            }
        job = RenderJob(uid, task, digest)
        if call.fault is not None and call.fault.action == "task_error":
            opts = call.fault.options
            job.error = {
                "code": str(opts.get("code", PROVIDER_ERROR)),
                "message": str(opts.get("message", "simulated task failure (fault plan)")),
            }
            job.error_form = str(opts.get("form", "errors"))
        with self._lock:
            resent = self._is_resend(uid, digest)  # an identical submit may have registered it meanwhile
            if not resent:
                self.jobs[uid] = job
                self.stats["jobs_created"] += 1
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="lumakit-render")
                pool = self._pool
        if resent:
            return self._acknowledge(task, notes)  # outside the lock: a sync answer waits for the job
        self.store.put_task(
            uid,
            {
                "taskType": "videoInference",
                "status": "processing",
                "digest": digest,
                "request": _strip_inline(task),
                "created": job.created,
            },
        )
        job.future = pool.submit(
            run_render,
            job,
            request,
            inputs,
            store=self.store,
            latency=self.latency,
            cost=price["cost"],
            meta=meta,
        )
        if hook is not None:
            job.future.add_done_callback(lambda f: None if f.cancelled() else self._call_webhook(hook, task))
        return self._acknowledge(task, notes)

    def _call_webhook(self, url: str, task: dict[str, Any]) -> None:
        """Queue the POST of the finished task's ``getResponse`` answer (its item, or its error object)."""
        uid = task["taskUUID"]
        try:
            item = self._poll(uid)
        except TaskError as e:
            item = e.wire(task)
        self.webhooks.post(url, item, uid)

    def _is_resend(self, uid: str, digest: str) -> bool:
        """True if ``uid`` was submitted with this very task; ``duplicateTaskUUID`` if with another one."""
        with self._lock:
            job = self.jobs.get(uid)
            record = None if job is not None else self.store.get_task(uid)
            if job is None and record is None:
                return False
            earlier = job.digest if job is not None else (record or {}).get("digest")
            if earlier != digest:
                raise TaskError(
                    DUPLICATE_TASK_UUID,
                    f"a different task with taskUUID {uid} was already submitted; poll it with "
                    "getResponse, or mint a new taskUUID for a new task",
                    "taskUUID",
                )
            self.stats["resends"] += 1
            return True

    def _acknowledge(self, task: dict[str, Any], notes: dict[str, str]) -> dict[str, Any]:
        """The async acknowledgment (with the local backend's ``notes``, if any), or for sync delivery the
        finished item."""
        uid = task["taskUUID"]
        if str(task.get("deliveryMethod", "sync")).lower() == "async":
            ack = {"taskType": "videoInference", "taskUUID": uid}
            return {**ack, "lumakitLocal": {"backend": BACKEND, **notes}} if notes else ack
        job = self.jobs.get(uid)
        if job is not None:
            job.done.wait(SYNC_WAIT)
        return self._poll(uid)

    def _resolve_inputs(self, request: Request) -> tuple[dict[str, Any], float | None]:
        """Every source and anchor image fetched (or read) and checked: ``(renderer inputs, seconds)``."""
        if isinstance(request, GenerateRequest):
            return {"images": self._frame_images(request.keyframes)}, None
        path = self.ingest.source_path(request.video, "video", INVALID_VIDEO)
        info = _probe(path, INVALID_VIDEO, "inputs.video", "inputs.video is not a readable video")
        problem = video_problem(request.kind, info)  # size, length, frames: before anything is decoded
        if problem:
            raise TaskError(INVALID_VIDEO, problem, "inputs.video")
        inputs: dict[str, Any] = {"video": path}
        if isinstance(request, ModifyRequest) and request.keyframes:  # an edit's anchor frames
            inputs["images"] = self._frame_images(request.keyframes)
        return inputs, info.duration

    def _frame_images(self, keyframes: Sequence[Keyframe]) -> list[tuple[Path, str | int]]:
        """``inputs.frameImages`` as ``[(file, frame), ...]``; an unreadable image is refused (400)."""
        images = [(self.ingest.source_path(k.image, "image", INVALID_IMAGE), k.frame) for k in keyframes]
        for path, _ in images:
            info = _probe(path, INVALID_IMAGE, "inputs.frameImages", "an image is not readable")
            problem = image_problem(info)
            if problem:
                raise TaskError(INVALID_IMAGE, problem, "inputs.frameImages")
        return images

    # ---- getResponse, getTaskDetails
    def _get_response(self, task: dict[str, Any], call: Call) -> dict[str, Any]:
        self.count("polls")
        return self._poll(str(task.get("taskUUID") or ""))

    def _poll(self, uid: str) -> dict[str, Any]:
        """The poll item of a task; a failure in the ``errors`` form is raised, naming its own taskType."""
        job = self.jobs.get(uid)
        if job is not None:
            item, form = job.poll_item(), job.error_form
        else:
            rec = self.store.get_task(uid)
            if rec is None:
                raise TaskError(
                    TASK_NOT_FOUND,
                    f"no task with taskUUID {uid or None!r} on this server",
                    "taskUUID",
                    status=404,
                )
            if rec.get("status") == "success" or rec.get("result"):
                item, form = dict(rec["result"]), "data"
            else:
                item = {
                    "taskType": rec.get("taskType", "videoInference"),
                    "taskUUID": uid,
                    "status": "error",
                    "error": rec.get("error") or {},
                }
                form = rec.get("errorForm", "errors")
        if item.get("status") == "error" and form == "errors":
            err = item["error"]
            raise TaskError(
                err.get("code", TASK_FAILED), err.get("message", "task failed"), task_type=item["taskType"]
            )
        return self._with_url(item)

    def _get_task_details(self, task: dict[str, Any], call: Call) -> dict[str, Any]:
        uid = str(task.get("taskUUID") or "")
        rec = self.store.get_task(uid)
        if rec is None:
            raise TaskError(TASK_NOT_FOUND, f"no task with taskUUID {uid!r}", "taskUUID", status=404)
        job = self.jobs.get(uid)
        response = job.poll_item() if job else (rec.get("result") or {"status": rec.get("status")})
        return {
            "taskType": "getTaskDetails",
            "taskUUID": uid,
            "status": rec.get("status"),
            "request": rec.get("request"),
            "response": self._with_url(response),
        }

    def _with_url(self, item: dict[str, Any]) -> dict[str, Any]:
        """Items store file names; URLs are made per answer, so they follow the current port."""
        out = dict(item)
        for key in ("videoURL", "mediaURL", "imageURL"):
            if isinstance(out.get(key), str) and "://" not in out[key]:
                out[key] = self.file_url(out[key])
        return out

    # ---- uploads
    def _media_storage(self, task: dict[str, Any], call: Call) -> dict[str, Any]:
        self.count("uploads")
        uid = _task_uuid(task)
        op = task.get("operation", "upload")
        if op == "delete":
            media_uuid = str(task.get("media") or "")
            if not self.store.delete(media_uuid):
                raise TaskError("invalidMedia", f"no media with UUID {media_uuid!r}", "media", status=404)
            return {
                "taskType": "mediaStorage",
                "taskUUID": uid,
                "operation": "delete",
                "mediaUUID": media_uuid,
            }
        if op != "upload":
            raise TaskError(
                "invalidOperation",
                f"operation={op!r} is not supported",
                "operation",
                allowed=["upload", "delete"],
            )
        media_uuid, name = self.ingest.store_media(task.get("media"), "media", "invalidMedia")
        item = {
            "taskType": "mediaStorage",
            "taskUUID": uid,
            "operation": "upload",
            "mediaUUID": media_uuid,
            "mediaURL": name,
        }
        self.store.put_task(uid, {"taskType": "mediaStorage", "status": "success", "result": item})
        return self._with_url(item)

    def _image_upload(self, task: dict[str, Any], call: Call) -> dict[str, Any]:
        self.count("uploads")
        uid = _task_uuid(task)
        image_uuid, name = self.ingest.store_media(
            task.get("image"), "image", INVALID_IMAGE, images_only=True
        )
        item = {"taskType": "imageUpload", "taskUUID": uid, "imageUUID": image_uuid, "imageURL": name}
        self.store.put_task(uid, {"taskType": "imageUpload", "status": "success", "result": item})
        return self._with_url(item)

    def _counted(self, fetch: Fetcher) -> Fetcher:
        def counted(url: str, timeout: float, limit: int) -> bytes:
            self.count("fetches")
            return fetch(url, timeout, limit)

        return counted


def _notes(task: dict[str, Any], request: Request) -> dict[str, str]:
    """What the answer tells beside the task: a webhook on another host not called, a size in no table."""
    notes: dict[str, str] = {}
    hook = not_called(task)
    if hook is not None:
        notes["webhookNotCalled"] = hook
    if not isinstance(request, ModifyRequest) and request.width is not None and request.size is not None:
        size = size_note(*request.size)
        if size is not None:
            notes["sizeWarning"] = size
    return notes


def _authentication(task: dict[str, Any], call: Call) -> dict[str, Any]:
    """An ``authentication`` task (the array's first element, instead of the header): the HTTP layer has
    read its key; the answer is Runware's, a session UUID. The key is never echoed or stored."""
    if array_api_key([task]) is None:
        raise TaskError(
            INVALID_API_KEY, "an authentication task needs a non-empty apiKey", "apiKey", status=401
        )
    return {"taskType": AUTHENTICATION, "connectionSessionUUID": new_task_uuid()}


def _check_number_results(task: dict[str, Any]) -> None:
    n = task.get("numberResults", 1)
    if isinstance(n, bool) or n not in NUMBER_RESULTS:
        raise TaskError(
            "invalidNumberResults",
            f"numberResults={n!r}: the local backend renders one result per task; send one task "
            "(its own taskUUID) per result wanted",
            "numberResults",
            allowed=list(NUMBER_RESULTS),
        )


def _probe(path: Path, code: str, parameter: str, what: str) -> media.VideoInfo:
    try:
        return media.probe(path)
    except MediaError as e:
        raise TaskError(code, f"{what}: {e.problem}", parameter) from None


def _task_uuid(task: dict[str, Any]) -> str:
    uid = task.get("taskUUID")
    if not isinstance(uid, str) or not is_uuid(uid):
        raise TaskError(INVALID_TASK_UUID, "taskUUID must be a UUID v4 string", "taskUUID")
    return uid


def _strip_inline(task: dict[str, Any]) -> dict[str, Any]:
    """The task as recorded: inline base64 shortened so the index stays small."""

    def short(v: Any) -> Any:
        if isinstance(v, str) and len(v) > 512:
            return v[:64] + f"...<{len(v)} chars>"
        if isinstance(v, dict):
            return {k: short(x) for k, x in v.items()}
        if isinstance(v, list):
            return [short(x) for x in v]
        return v

    return short(task)  # type: ignore[no-any-return]
