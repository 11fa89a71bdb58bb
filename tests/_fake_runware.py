"""A scripted in-memory Runware for ``httpx.MockTransport``: records every request, answers per the spec.

    fake = FakeRunware(polls=2)
    client = make_client(fake, tmp_path)   # an AsyncClient wired to it, on a FakeClock, no progress bar
    fake.script("videoInference", httpx.ReadError("reset"), after_accept=True)   # faults, one per request

Tasks finish after ``polls`` getResponse calls. Files are served at ``/files/<uuid>.mp4``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import tempfile
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


@functools.lru_cache(maxsize=1)
def video_bytes() -> bytes:
    """A real (tiny) MP4 for results, so they can be probed and chained like Ray's."""
    from _clips import make_clip

    with tempfile.TemporaryDirectory() as tmp:
        return make_clip(Path(tmp) / "result.mp4", seconds=1.0, fps=12, w=64, h=36).read_bytes()


@dataclass
class Fault:
    """One scripted answer for the next request of a task type."""

    response: httpx.Response | None = None
    exc: Exception | None = None
    after_accept: bool = False  # register the task, then fail (the server got it; the client does not know)


@dataclass
class FakeTask:
    wire: dict[str, Any]
    polls: int = 0
    done_after: int = 2
    fail: dict[str, Any] | None = None
    fail_form: str = "data"
    finished: bool = False


@dataclass
class FakeRunware:
    polls: int = 2
    cost: float = 0.54
    base_url: str = "https://api.test/v1"
    files_url: str = "https://cdn.test/files"
    local: bool = False
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    tasks: dict[str, FakeTask] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=lambda: defaultdict(list))
    in_flight: int = 0
    max_in_flight: int = 0
    fail_next: dict[str, Any] | None = None
    fail_form: str = "data"
    download_fault: Callable[[], httpx.Response | None] | None = None
    progress: bool = True
    dry_runs_honoured: bool = True  # False: a proxy dropped X-Runware-Dry-Run, so dry runs run (and bill)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- wiring ----
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def script(
        self, task_type: str, fault: httpx.Response | Exception, *, after_accept: bool = False
    ) -> None:
        if isinstance(fault, httpx.Response):
            self.faults[task_type].append(Fault(response=fault, after_accept=after_accept))
        else:
            self.faults[task_type].append(Fault(exc=fault, after_accept=after_accept))

    # ---- what the client sent ----
    def posts(self, task_type: str | None = None) -> list[dict[str, Any]]:
        out = []
        for method, _url, _headers, body in self.requests:
            if method == "POST" and isinstance(body, list):
                out += [t for t in body if task_type is None or t.get("taskType") == task_type]
        return out

    @property
    def http_requests(self) -> int:
        return len(self.requests)

    # ---- the server ----
    def handle(self, request: httpx.Request) -> httpx.Response:
        body: Any = None
        if request.method == "POST":
            body = json.loads(request.content)
        with self.lock:
            self.requests.append((request.method, str(request.url), dict(request.headers), body))
        if request.method == "GET":
            return self._file(request)
        if not request.headers.get("Authorization", "").startswith("Bearer ") or len(
            request.headers["Authorization"]
        ) <= len("Bearer "):
            return httpx.Response(
                401, json={"errors": [{"code": "invalidApiKey", "message": "Invalid API key"}]}
            )
        task_type = body[0].get("taskType")
        fault = self.faults[task_type].pop(0) if self.faults.get(task_type) else None
        if fault is not None and not fault.after_accept:
            if fault.exc is not None:
                raise fault.exc
            return fault.response  # type: ignore[return-value]
        dry = request.headers.get("X-Runware-Dry-Run") == "1" and self.dry_runs_honoured
        data, errors = [], []
        for task in body:
            item, err = self._task(task, dry)
            if item is not None:
                data.append(item)
            if err is not None:
                errors.append(err)
        if fault is not None:
            if fault.exc is not None:
                raise fault.exc
            return fault.response  # type: ignore[return-value]
        out: dict[str, Any] = {}
        if data:
            out["data"] = data
        if errors:
            out["errors"] = errors
        status = 200 if not errors or data else (errors[0].pop("_status", 400))
        for e in errors:
            e.pop("_status", None)
        return httpx.Response(status, json=out or {"data": []})

    def _task(self, task: dict[str, Any], dry: bool) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        tt, uid = task.get("taskType"), task.get("taskUUID")
        if tt == "mediaStorage":
            mid = str(uuid.uuid4())
            self.uploads[mid] = task["media"].encode()
            return {
                "taskType": tt,
                "taskUUID": uid,
                "mediaUUID": mid,
                "mediaURL": f"{self.files_url}/{mid}",
            }, None
        if tt == "videoInference":
            if dry:
                return {"taskType": tt, "taskUUID": uid, "cost": self.cost, "dryRun": True}, None
            if "seed" in task:
                return None, {
                    "code": "unsupportedParameter",
                    "message": "seed is not supported",
                    "parameter": "seed",
                    "taskUUID": uid,
                    "taskType": tt,
                }
            with self.lock:
                if uid not in self.tasks:
                    self.tasks[uid] = FakeTask(task, done_after=self.polls, fail=self.fail_next)
                    self.tasks[uid].fail_form = self.fail_form
                    self.in_flight += 1
                    self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return {"taskType": tt, "taskUUID": uid}, None
        if tt == "getResponse":
            t = self.tasks.get(uid)
            if t is None:
                return None, {
                    "code": "taskFailedOrNotFound",
                    "message": "Task not found",
                    "taskUUID": uid,
                    "taskType": tt,
                    "_status": 400,
                }
            with self.lock:
                t.polls += 1
                done = t.polls >= t.done_after
                if done and not t.finished:
                    t.finished = True
                    self.in_flight -= 1
            if not done:
                item = {"taskType": "videoInference", "taskUUID": uid, "status": "processing"}
                if self.progress:
                    item["progress"] = round(100 * t.polls / t.done_after)
                return item, None
            if t.fail:
                if t.fail_form == "data":
                    return {
                        "taskType": "videoInference",
                        "taskUUID": uid,
                        "status": "error",
                        "error": dict(t.fail),
                    }, None
                return None, {**t.fail, "taskUUID": uid, "taskType": "videoInference", "_status": 400}
            item = {
                "taskType": "videoInference",
                "taskUUID": uid,
                "status": "success",
                "videoUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, uid)),
                "videoURL": f"{self.files_url}/{uid}.mp4",
                "cost": self.cost,
            }
            if self.local:
                item["lumakitLocal"] = {"backend": "local-preview", "costIsEstimate": True, "tariff": "test"}
            return item, None
        return None, {"code": "unsupportedTaskType", "message": f"unknown {tt}", "taskUUID": uid}

    def _file(self, request: httpx.Request) -> httpx.Response:
        if self.download_fault is not None:
            resp = self.download_fault()
            if resp is not None:
                return resp
        return httpx.Response(200, content=video_bytes(), headers={"Content-Type": "video/mp4"})


class BrokenStream(httpx.AsyncByteStream):
    """A body that sends ``good`` bytes of ``total`` and then dies (a download killed midway)."""

    def __init__(self, good: int, exc: BaseException | None = None) -> None:
        self.good = good
        self.exc = exc or httpx.ReadError("connection reset mid-body")

    async def __aiter__(self):  # type: ignore[override]
        data = video_bytes()
        yield data[: self.good // 2]
        await asyncio.sleep(0)
        yield data[self.good // 2 : self.good]
        raise self.exc


class FakeClock:
    """Monotonic time that only moves when the client sleeps; records every requested delay."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


KEY = "sk-test-SECRET-0123456789"  # a made-up key: tests look for it where it must never show
SRC = "https://example.org/clip.mp4"


def make_client(
    fake: FakeRunware,
    tmp_path: Path,
    clock: FakeClock | None = None,
    *,
    real_time: bool = False,
    sync: bool = False,
    key: str | None = KEY,
    **kw: Any,
) -> Any:
    """A client talking to ``fake``, with its cache in ``tmp_path / "cache"`` and no progress bar.

    Time is a :class:`FakeClock` (``clock``, or a fresh one), so polling waits take no real time;
    ``real_time=True`` keeps the real sleep and clock (for tests that interrupt or cancel a wait).
    ``sync=True`` gives a ``Client`` instead of an ``AsyncClient``; ``kw`` goes to the client (a
    ``transport`` there wraps or replaces the fake's own).
    """
    from lumakit.client import AsyncClient, Client

    if not real_time:
        clock = clock if clock is not None else FakeClock()
        kw = {"_sleep": clock.sleep, "_clock": clock, **kw}
    kw.setdefault("progress", False)
    cls = Client if sync else AsyncClient
    kw.setdefault("transport", fake.transport())
    return cls(key, base_url=fake.base_url, cache_dir=tmp_path / "cache", **kw)


def stalled_uploads(fake: FakeRunware) -> tuple[httpx.MockTransport, threading.Event]:
    """A transport to ``fake`` whose ``mediaStorage`` uploads hang until cancelled.

    The event is set when an upload starts, so a test can stop a call while it is still uploading.
    """
    uploading = threading.Event()

    async def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and json.loads(request.content)[0]["taskType"] == "mediaStorage":
            uploading.set()
            await asyncio.sleep(3600)
        return fake.handle(request)

    return httpx.MockTransport(handle), uploading
