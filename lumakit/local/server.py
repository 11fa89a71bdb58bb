"""A Runware-protocol HTTP server on 127.0.0.1 with the preview renderer behind it.

    with LocalServer(latency=Latency(processing_time=2), faults=FaultPlan([("poll", 429)])) as server:
        server.url      # "http://127.0.0.1:<port>/v1": POST a JSON array of tasks there, as to Runware
        server.stats            # requests seen, jobs created, faults fired, ...

It answers ``videoInference`` (sync or async delivery), ``getResponse``, ``getTaskDetails``,
``mediaStorage`` (upload/delete) and ``imageUpload``; errors are Runware-shaped (``{"errors": [{code,
message, parameter, taskType, taskUUID, allowedValues?}]}``) with the codes of
:func:`lumakit.request.parse_task`. Result files are served at ``GET /files/<name>`` with ``Range``
support. ``X-Runware-Dry-Run: 1`` validates and prices without running anything. It binds 127.0.0.1
only; it never imports the client (it is the other side of the wire).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import re
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .. import media
from ..errors import MediaError, RequestError
from ..request import GenerateRequest, Source, parse_task, source_length_problem
from . import tariff
from .faults import STATUS_CODES, Fault, FaultPlan, Latency
from .store import MIME_TYPES, Store, default_data_dir, sniff

log = logging.getLogger("lumakit.local")

HOST = "127.0.0.1"
MAX_BODY = 200 * 1024 * 1024  # bytes; 413 beyond
FETCH_TIMEOUT = 5.0  # seconds for fetching a media URL of another host
SYNC_WAIT = 600.0  # seconds a sync videoInference may take
BACKEND = "local-preview"
TASK_TYPES = ("videoInference", "getResponse", "getTaskDetails", "mediaStorage", "imageUpload")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CODECS = {"MP4": ("h264", ".mp4"), "WEBM": ("vp9", ".webm"), "MOV": ("h264", ".mov")}


class TaskError(Exception):
    """A per-task error answered as a Runware error object."""

    def __init__(
        self, code: str, message: str, parameter: str | None = None, status: int = 400, allowed: Any = None
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.parameter, self.status, self.allowed = (
            code,
            message,
            parameter,
            status,
            allowed,
        )

    @classmethod
    def from_request_error(cls, e: RequestError) -> TaskError:
        allowed = e.allowed if isinstance(e.allowed, list) else None
        return cls(e.code, e.message, e.wire, allowed=allowed)

    def wire(self, task: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.parameter:
            out["parameter"] = self.parameter
        if isinstance(task, dict):
            out["taskType"] = task.get("taskType")
            out["taskUUID"] = task.get("taskUUID")
        if self.allowed is not None:
            out["allowedValues"] = self.allowed
        return out


@dataclass
class Job:
    """One videoInference job and what polls see of it."""

    task_uuid: str
    task: dict[str, Any]
    status: str = "processing"
    progress: int = 0
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    error_form: str = "errors"
    created: float = field(default_factory=time.time)
    done: threading.Event = field(default_factory=threading.Event)
    future: Future[None] | None = None


def _local_meta(**extra: Any) -> dict[str, Any]:
    return {
        "backend": BACKEND,
        "costIsEstimate": True,
        "tariff": tariff.TARIFF_NAME,
        "note": "local preview renderer, not Ray",
        **extra,
    }


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


class LocalServer:
    """The embedded backend. ``port=0`` picks a free port; ``url`` is the task endpoint.

    Args:
      data_dir: results, uploads and the index (default ``$LUMAKIT_CACHE_DIR/local-backend``).
      port: TCP port on 127.0.0.1 (0: any free one).
      latency: :class:`Latency`, a number (processing seconds) or a dict; simulated service time.
      faults: :class:`FaultPlan` or a list of rules; scripted failures (see :mod:`lumakit.local.faults`).
      workers: render jobs that run at once.
      max_body: request size bound in bytes (HTTP 413 beyond).
      fetch_timeout: seconds allowed to fetch a media URL of another host.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        port: int = 0,
        *,
        latency: Latency | float | dict[str, float] | None = None,
        faults: FaultPlan | list[Any] | None = None,
        workers: int = 2,
        max_body: int = MAX_BODY,
        fetch_timeout: float = FETCH_TIMEOUT,
    ) -> None:
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise RequestError("port", port, "an integer from 0 to 65535 (0: any free port)")
        self.store = Store(data_dir if data_dir is not None else default_data_dir())
        self.data_dir = self.store.root
        self.requested_port = port
        self.latency = Latency.coerce(latency)
        self.faults = faults if isinstance(faults, FaultPlan) else FaultPlan(faults or ())
        self.workers = workers
        self.max_body = max_body
        self.fetch_timeout = fetch_timeout
        self.stats: dict[str, int] = dict.fromkeys(
            ("requests", "submits", "jobs_created", "polls", "uploads", "downloads", "dry_runs", "faults"), 0
        )
        self.jobs: dict[str, Job] = {}
        self._lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None

    # ---- lifecycle
    def start(self) -> LocalServer:
        """Bind 127.0.0.1 and serve on a daemon thread. Returns ``self``."""
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((HOST, self.requested_port), _Handler)
        httpd.daemon_threads = True
        httpd.app = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="lumakit-render")
        self._thread = threading.Thread(target=httpd.serve_forever, name="lumakit-local", daemon=True)
        self._thread.start()
        log.info("lumakit local backend at %s (local preview renderer, not Ray)", self.url)
        return self

    def stop(self) -> None:
        """Stop serving; running jobs finish in the background threads."""
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the local backend is not running: call .start()")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """The task endpoint, ``http://127.0.0.1:<port>/v1``."""
        return f"{self.base_url}/v1"

    def file_url(self, name: str) -> str:
        return f"{self.base_url}/files/{name}"

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Wait until no job is processing (for tests and scripts)."""
        deadline = time.monotonic() + timeout
        return all(job.done.wait(max(0.0, deadline - time.monotonic())) for job in list(self.jobs.values()))

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"LocalServer({where}, data_dir={str(self.data_dir)!r})"

    # ---- the task array
    def handle_tasks(
        self, tasks: list[Any], *, dry_run: bool
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        """Answer a task array: ``(data, errors, http_status)``."""
        data: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        statuses: list[int] = []
        for task in tasks:
            try:
                if not isinstance(task, dict):
                    raise TaskError("invalidTask", "each task must be a JSON object", "task")
                kind = task.get("taskType")
                if kind not in TASK_TYPES:
                    raise TaskError(
                        "invalidTaskType", f"unknown taskType {kind!r}", "taskType", allowed=list(TASK_TYPES)
                    )
                handler = getattr(self, f"_task_{kind}")
                data.append(handler(task, dry_run=dry_run))
            except TaskError as e:
                errors.append(e.wire(task))
                statuses.append(e.status)
            except RequestError as e:
                errors.append(TaskError.from_request_error(e).wire(task))
                statuses.append(400)
        status = 200 if data or not statuses else max(statuses)
        return data, errors, status

    def _task_videoInference(self, task: dict[str, Any], *, dry_run: bool) -> dict[str, Any]:
        with self._lock:
            self.stats["submits"] += 1
        try:
            request = parse_task(task)
        except RequestError as e:
            raise TaskError.from_request_error(e) from None
        uid = task["taskUUID"]
        with self._lock:
            if not dry_run and (uid in self.jobs or self.store.get_task(uid)):
                raise TaskError(
                    "duplicateTaskUUID",
                    f"a task with taskUUID {uid} was already submitted; poll it with getResponse",
                    "taskUUID",
                )
        inputs, seconds = self._resolve_inputs(request)
        price = tariff.estimate(request, seconds, inputs.get("video"))
        meta = _local_meta(costEstimate=price["cost"], pricing=price)
        if dry_run:
            with self._lock:
                self.stats["dry_runs"] += 1
            return {
                "taskType": "videoInference",
                "taskUUID": uid,
                "cost": price["cost"],
                "dryRun": True,
                "lumakitLocal": meta,
            }
        fault = getattr(threading.current_thread(), "lumakit_fault", None)
        job = Job(uid, task)
        if isinstance(fault, Fault) and fault.action == "task_error":
            job.error = {
                "code": str(fault.options.get("code", "providerError")),
                "message": str(fault.options.get("message", "simulated task failure (fault plan)")),
            }
            job.error_form = str(fault.options.get("form", "errors"))
        with self._lock:
            self.jobs[uid] = job
            self.stats["jobs_created"] += 1
        self.store.put_task(
            uid,
            {
                "taskType": "videoInference",
                "status": "processing",
                "request": _strip_inline(task),
                "created": job.created,
            },
        )
        assert self._pool is not None
        job.future = self._pool.submit(self._run_job, job, request, inputs, price, meta)
        if str(task.get("deliveryMethod", "sync")).lower() == "async":
            return {"taskType": "videoInference", "taskUUID": uid}
        job.done.wait(SYNC_WAIT)
        item = self._poll_item(job)
        if item.get("status") == "error":
            err = job.error or {}
            raise TaskError(err.get("code", "taskFailed"), err.get("message", "task failed"), status=400)
        return item

    def _run_job(
        self, job: Job, request: Any, inputs: dict[str, Any], price: dict[str, Any], meta: dict[str, Any]
    ) -> None:
        try:
            lat = self.latency
            if lat.queue_time:
                time.sleep(lat.queue_time)
            start = time.monotonic()
            frac = [0.0]

            def progress(f: float) -> None:
                frac[0] = f
                t = (time.monotonic() - start) / lat.processing_time if lat.processing_time else 1.0
                job.progress = int(99 * min(f, t))

            if job.error is not None:
                progress(0.5)
                raise _Planned()
            fmt = str(job.task.get("outputFormat") or "MP4").upper()
            codec, ext = _CODECS.get(fmt, _CODECS["MP4"])
            video_uuid, out = self.store.new_path(ext)
            quality = job.task.get("outputQuality")
            q = None if quality is None else max(0, min(10, round((int(quality) - 20) / 79 * 10)))
            from . import render

            tmp = out.with_suffix(".mp4") if ext == ".mov" else out
            info = render.render(request, inputs, tmp, progress=progress, quality=q, codec=codec)
            if ext == ".mov":
                _remux(tmp, out)
            while lat.processing_time and (rest := lat.processing_time - (time.monotonic() - start)) > 0:
                progress(frac[0])
                time.sleep(min(rest, 0.1))
            self.store.add_file(video_uuid, out.name, "video", taskUUID=job.task_uuid)
            item: dict[str, Any] = {
                "taskType": "videoInference",
                "taskUUID": job.task_uuid,
                "status": "success",
                "videoUUID": video_uuid,
                "videoURL": out.name,
            }
            if job.task.get("includeCost"):
                item["cost"] = price["cost"]
            item["lumakitLocal"] = {**meta, **_public(info)}
            if (job.task.get("settings") or {}).get("hdr"):
                item["lumakitLocal"]["hdr"] = "not rendered: the local preview is SDR"
            job.result = item
            job.status, job.progress = "success", 100
            self.store.put_task(
                job.task_uuid,
                {**(self.store.get_task(job.task_uuid) or {}), "status": "success", "result": item},
            )
        except _Planned:
            job.status = "error"
            self.store.put_task(
                job.task_uuid,
                {
                    **(self.store.get_task(job.task_uuid) or {}),
                    "status": "error",
                    "error": job.error,
                    "errorForm": job.error_form,
                },
            )
        except Exception as e:
            log.exception("local render failed for %s", job.task_uuid)
            code = "invalidVideo" if isinstance(e, MediaError) else "renderFailed"
            job.error = {"code": code, "message": f"the local preview renderer failed: {e}"}
            job.status = "error"
            self.store.put_task(
                job.task_uuid,
                {**(self.store.get_task(job.task_uuid) or {}), "status": "error", "error": job.error},
            )
        finally:
            job.done.set()

    def _poll_item(self, job: Job) -> dict[str, Any]:
        if job.status == "success" and job.result is not None:
            return self._with_url(job.result)
        if job.status == "error":
            return {
                "taskType": "videoInference",
                "taskUUID": job.task_uuid,
                "status": "error",
                "error": dict(job.error or {}),
            }
        return {
            "taskType": "videoInference",
            "taskUUID": job.task_uuid,
            "status": "processing",
            "progress": job.progress,
        }

    def _with_url(self, item: dict[str, Any]) -> dict[str, Any]:
        """Result items store a file name; URLs are made per answer, so they follow the current port."""
        out = dict(item)
        for key in ("videoURL", "mediaURL", "imageURL"):
            if isinstance(out.get(key), str) and "://" not in out[key]:
                out[key] = self.file_url(out[key])
        return out

    def _task_getResponse(self, task: dict[str, Any], *, dry_run: bool) -> dict[str, Any]:
        with self._lock:
            self.stats["polls"] += 1
        uid = str(task.get("taskUUID") or "")
        job = self.jobs.get(uid)
        if job is not None:
            item = self._poll_item(job)
            form = job.error_form
        else:
            rec = self.store.get_task(uid)
            if rec is None:
                raise TaskError(
                    "taskFailedOrNotFound",
                    f"no task with taskUUID {uid or None!r} on this server",
                    "taskUUID",
                    status=404,
                )
            if rec.get("status") == "success" or rec.get("result"):
                item = self._with_url(rec["result"])
                form = "data"
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
            raise TaskError(err.get("code", "taskFailed"), err.get("message", "task failed"), status=400)
        return item

    def _task_getTaskDetails(self, task: dict[str, Any], *, dry_run: bool) -> dict[str, Any]:
        uid = str(task.get("taskUUID") or "")
        rec = self.store.get_task(uid)
        if rec is None:
            raise TaskError("taskFailedOrNotFound", f"no task with taskUUID {uid!r}", "taskUUID", status=404)
        job = self.jobs.get(uid)
        response = self._poll_item(job) if job else (rec.get("result") or {"status": rec.get("status")})
        return {
            "taskType": "getTaskDetails",
            "taskUUID": uid,
            "status": rec.get("status"),
            "request": rec.get("request"),
            "response": self._with_url(response),
        }

    def _task_mediaStorage(self, task: dict[str, Any], *, dry_run: bool) -> dict[str, Any]:
        with self._lock:
            self.stats["uploads"] += 1
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
        media_uuid, name = self._ingest(task.get("media"), "media", "invalidMedia")
        item = {"taskType": "mediaStorage", "taskUUID": uid, "mediaUUID": media_uuid, "mediaURL": name}
        self.store.put_task(uid, {"taskType": "mediaStorage", "status": "success", "result": item})
        return {**item, "mediaURL": self.file_url(name)}

    def _task_imageUpload(self, task: dict[str, Any], *, dry_run: bool) -> dict[str, Any]:
        with self._lock:
            self.stats["uploads"] += 1
        uid = _task_uuid(task)
        image_uuid, name = self._ingest(task.get("image"), "image", "invalidImage", images_only=True)
        item = {"taskType": "imageUpload", "taskUUID": uid, "imageUUID": image_uuid, "imageURL": name}
        self.store.put_task(uid, {"taskType": "imageUpload", "status": "success", "result": item})
        return {**item, "imageURL": self.file_url(name)}

    # ---- getting media in
    def _ingest(self, value: Any, parameter: str, code: str, *, images_only: bool = False) -> tuple[str, str]:
        """Store media given as a URL, a data URI or bare base64: ``(uuid, file name)``."""
        if not isinstance(value, str) or not value.strip():
            raise TaskError(code, f"{parameter} must be a URL, a data URI or base64 content", parameter)
        value = value.strip()
        if value.lower().startswith("file:"):
            raise TaskError(
                code,
                "file:// URLs are refused: the server does not read its host's files; "
                "send the content (base64 or data URI) or an http(s) URL",
                parameter,
            )
        if value.lower().startswith(("http://", "https://")):
            own = self._own_file(value, parameter, code)
            data = own.read_bytes() if own is not None else self._fetch(value, parameter, code)
        else:
            data = _decode_b64(value, parameter, code)
        ext = sniff(data)
        if ext is None:
            raise TaskError(
                code,
                f"{parameter} is not a video or image this server reads "
                "(MP4, MOV, WebM, PNG, JPEG, GIF, WebP)",
                parameter,
            )
        kind = "image" if ext in (".png", ".jpg", ".gif", ".webp") else "media"
        if images_only and kind != "image":
            raise TaskError(
                code, f"{parameter} must be an image (PNG, JPEG, GIF, WebP), got {ext[1:]}", parameter
            )
        return self.store.add_bytes(data, ext, kind)

    def _own_file(self, url: str, parameter: str, code: str) -> Path | None:
        parts = urllib.parse.urlsplit(url)
        if parts.hostname not in (HOST, "localhost") or parts.port != self.port:
            return None
        if not parts.path.startswith("/files/"):
            raise TaskError(code, f"{url} is not a file this server serves (/files/...)", parameter)
        path = self.store.file_path(urllib.parse.unquote(parts.path[len("/files/") :]))
        if path is None:
            raise TaskError(code, f"{url}: no such file on this server", parameter, status=404)
        return path

    def _fetch(self, url: str, parameter: str, code: str) -> bytes:
        try:
            with urllib.request.urlopen(url, timeout=self.fetch_timeout) as resp:
                data = resp.read(self.max_body + 1)
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            raise TaskError(
                code,
                f"could not fetch {url} within {self.fetch_timeout:g} s: {reason}. The local "
                "backend runs offline: upload the file instead",
                parameter,
            ) from None
        if len(data) > self.max_body:
            raise TaskError(code, f"{url} is larger than {self.max_body} bytes", parameter, status=413)
        return data

    def _source_path(self, source: Source, parameter: str, code: str) -> Path:
        wire = "inputs.video" if parameter == "video" else "inputs.frameImages"
        try:
            if source.kind == "uuid":
                hit = self.store.lookup(source.value)
                if hit is None:
                    raise TaskError(
                        code,
                        f"no video or media with UUID {source.value} on this local backend "
                        "(results and uploads of this data folder only)",
                        wire,
                    )
                return hit[0]
            uid, _ = self._ingest(source.value, parameter, code)
        except TaskError as e:
            e.parameter = wire
            raise
        hit = self.store.lookup(uid)
        assert hit is not None
        return hit[0]

    def _resolve_inputs(self, request: Any) -> tuple[dict[str, Any], float | None]:
        if isinstance(request, GenerateRequest):
            images = [
                (self._source_path(k.image, "image", "invalidImage"), k.frame) for k in request.keyframes
            ]
            for path, _ in images:
                try:
                    media.probe(path)
                except MediaError as e:
                    raise TaskError(
                        "invalidImage", f"an image is not readable: {e.problem}", "inputs.frameImages"
                    ) from None
            return {"images": images}, None
        path = self._source_path(request.video, "video", "invalidVideo")
        try:
            info = media.probe(path)
        except MediaError as e:
            raise TaskError(
                "invalidVideo", f"inputs.video is not a readable video: {e.problem}", "inputs.video"
            ) from None
        problem = source_length_problem(request.kind, info.duration, tolerance=0.05)
        if problem:
            raise TaskError("invalidVideo", problem, "inputs.video")
        return {"video": path}, info.duration


class _Planned(Exception):
    """A task_error fault: the job ends in its planned error."""


def _public(info: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(info, default=str))  # type: ignore[no-any-return]


def _task_uuid(task: dict[str, Any]) -> str:
    uid = task.get("taskUUID")
    if not isinstance(uid, str) or not _UUID.match(uid):
        raise TaskError("invalidTaskUUID", "taskUUID must be a UUID v4 string", "taskUUID")
    return uid


def _decode_b64(value: str, parameter: str, code: str) -> bytes:
    text = value
    if text.startswith("data:"):
        head, sep, text = text.partition(",")
        if not sep or ";base64" not in head:
            raise TaskError(code, "a data URI must be base64 (data:<mime>;base64,...)", parameter)
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise TaskError(
            code, f"{parameter} is neither a URL, a UUID, a data URI nor valid base64", parameter
        ) from None


def _remux(src: Path, dst: Path) -> None:
    cmd = [
        media.ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-i",
        str(src),
        "-c",
        "copy",
        "-f",
        "mov",
        str(dst),
    ]
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, capture_output=True)
    src.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------- HTTP
class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-request is routine (keep-alive, a browser seek): log, don't print."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            log.debug("client %s went away: %s", client_address, exc)
        else:
            log.error("error while handling a request from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lumakit-local/0.1"
    server: Any

    @property
    def app(self) -> LocalServer:
        return self.server.app  # type: ignore[no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    # -- answers
    def _send(
        self, status: int, body: bytes, ctype: str = "application/json", headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), headers=headers)

    def _error(self, status: int, code: str, message: str, **extra: Any) -> None:
        self._json(status, {"errors": [{"code": code, "message": message, **extra}]})

    def _drop(self) -> None:
        """Close the socket without an answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(2)

    def _apply_fault(self, fault: Fault | None, stage: str) -> bool:
        """Apply a fault that acts ``before`` processing. True if the request is answered (or dropped)."""
        if fault is None:
            return False
        with self.app._lock:
            self.app.stats["faults"] += 1
        action = fault.action
        if isinstance(action, int):
            retry = fault.options.get("retry_after")
            headers = {"Retry-After": str(retry)} if retry is not None else None
            self._json(
                action,
                {
                    "errors": [
                        {
                            "code": STATUS_CODES.get(action, "serverError"),
                            "message": f"simulated HTTP {action} (fault plan)",
                        }
                    ]
                },
                headers=headers,
            )
            return True
        if action == "drop_before":
            self._drop()
            return True
        if action == "slow":
            time.sleep(float(fault.options.get("delay", 2.0)))
        if action == "malformed":
            self._send(200, b'{"data": [{"taskType": "videoInference", "status": "succ')
            return True
        return False

    # -- POST /v1
    def do_POST(self) -> None:
        app = self.app
        with app._lock:
            app.stats["requests"] += 1
        if self.path.split("?")[0].rstrip("/") not in ("/v1", ""):
            self._discard_body()
            self._error(404, "notFound", f"no endpoint {self.path}; POST task arrays to /v1")
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            self._error(411, "lengthRequired", "send Content-Length with the task array")
            return
        if int(length) > app.max_body:
            self.close_connection = True
            self._error(
                413,
                "requestTooLarge",
                f"the request is {length} bytes; at most {app.max_body}. "
                "Upload large media with mediaStorage first (or send a URL)",
            )
            return
        body = self.rfile.read(int(length))
        auth = self.headers.get("Authorization", "")
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            self._error(
                401,
                "invalidApiKey",
                "missing or invalid API key: send 'Authorization: Bearer <key>' "
                "(the local backend takes any non-empty key)",
            )
            return
        try:
            tasks = json.loads(body)
        except (ValueError, UnicodeDecodeError) as e:
            self._error(400, "invalidJSON", f"the body is not valid JSON: {e}")
            return
        if not isinstance(tasks, list):
            self._error(
                400,
                "invalidRequestBody",
                "the body must be a JSON array of task objects, even for one "
                f"task (got {type(tasks).__name__})",
            )
            return
        types = {t.get("taskType") for t in tasks if isinstance(t, dict)}
        phase = (
            "submit"
            if "videoInference" in types
            else "poll"
            if "getResponse" in types
            else "upload"
            if types & {"mediaStorage", "imageUpload"}
            else "other"
        )
        fault = app.faults.take(phase) if phase != "other" else None
        if self._apply_fault(fault, "before"):
            return
        dry_run = self.headers.get("X-Runware-Dry-Run", "").strip().lower() in ("1", "true", "yes")
        threading.current_thread().lumakit_fault = fault  # type: ignore[attr-defined]
        try:
            data, errors, status = app.handle_tasks(tasks, dry_run=dry_run)
        finally:
            threading.current_thread().lumakit_fault = None  # type: ignore[attr-defined]
        if fault is not None and fault.action == "drop_after":
            self._drop()
            return
        payload: dict[str, Any] = {}
        if data or not errors:
            payload["data"] = data
        if errors:
            payload["errors"] = errors
        self._json(status, payload)

    def _discard_body(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit() and int(length) <= self.app.max_body:
            self.rfile.read(int(length))
        else:
            self.close_connection = True

    # -- GET /files/<name>
    def do_GET(self) -> None:
        app = self.app
        with app._lock:
            app.stats["requests"] += 1
        raw = self.path.split("?")[0]
        if raw in ("/", "/health", "/v1"):
            self._json(200, {"backend": BACKEND, "note": "local preview renderer, not Ray", "url": app.url})
            return
        if not raw.startswith("/files/"):
            self._error(404, "notFound", f"no such path {raw}")
            return
        name = urllib.parse.unquote(raw[len("/files/") :])
        path = app.store.file_path(name)
        if path is None:
            self._error(404, "notFound", "no such file")
            return
        if self._apply_fault(app.faults.take("download"), "before"):
            return
        with app._lock:
            app.stats["downloads"] += 1
        self._send_file(path)

    do_HEAD = do_GET

    def _send_file(self, path: Path) -> None:
        size = path.stat().st_size
        ctype = MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")
        start, end, status = 0, size - 1, 200
        rng = self.headers.get("Range")
        if rng:
            m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", rng)
            if m is None or (not m.group(1) and not m.group(2)):
                m = None
            if m is not None:
                a, b = m.group(1), m.group(2)
                if a:
                    start, end = int(a), min(int(b), size - 1) if b else size - 1
                else:
                    start, end = max(0, size - int(b)), size - 1
                if start >= size or start > end:
                    self._send(
                        416, b"", ctype, {"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"}
                    )
                    return
                status = 206
        length = end - start + 1
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "public, max-age=3600")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if self.command == "HEAD":
            return
        with open(path, "rb") as f:
            f.seek(start)
            left = length
            while left > 0:
                chunk = f.read(min(1 << 16, left))
                if not chunk:
                    break
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                    return
                left -= len(chunk)


_shared: LocalServer | None = None
_shared_lock = threading.Lock()


def shared_server() -> LocalServer:
    """The process-wide local backend, started on first use (daemon thread, data in the lumakit cache dir)."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.running:
            _shared = LocalServer().start()
        return _shared
