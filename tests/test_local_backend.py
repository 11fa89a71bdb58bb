"""The local backend without sockets: a task array in, Runware's answer out (``Backend.answer``).

Covers the protocol rules a client we did not write relies on: the whole shape is validated before any
source is fetched, ``numberResults`` other than 1 is refused, an identical re-sent submit is acknowledged (and
counted) while another task under the same UUID is refused, every upload gets its own ``mediaUUID``, a failed
task's error names its own ``taskType``, and an answer in progress carries no ``...URL`` key.
"""

from __future__ import annotations

import base64
import http.server
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from _clips import make_clip
from _wire_tasks import edit, uid
from test_local_render import make_png

from lumakit.errors import RequestError
from lumakit.local.backend import Answer, Backend
from lumakit.local.faults import Fault, Latency
from lumakit.local.store import Store
from lumakit.request import parse_task

UNREACHABLE = "http://127.0.0.1:9/source.mp4"  # a loopback URL (the only kind fetched) that fails


class Fetches:
    """A fetcher that records the URLs asked for and fails like an unreachable host."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str, timeout: float, limit: int) -> bytes:
        self.urls.append(url)
        raise OSError("host unreachable (test)")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("src") / "clip.mp4", seconds=1.0, fps=12)


@pytest.fixture
def fetches() -> Fetches:
    return Fetches()


@pytest.fixture
def backend(tmp_path: Path, fetches: Fetches) -> Any:
    b = Backend(Store(tmp_path / "data"), fetch=fetches)
    yield b
    b.close()


def upload(backend: Backend, clip: Path) -> dict[str, Any]:
    task = {"taskType": "mediaStorage", "taskUUID": uid(), "operation": "upload",
            "media": base64.b64encode(clip.read_bytes()).decode()}  # fmt: skip
    answer = backend.answer([task])
    assert answer.status == 200, answer.payload()
    return answer.data[0]


def only_error(answer: Answer) -> dict[str, Any]:
    assert not answer.data and len(answer.errors) == 1, answer.payload()
    return answer.errors[0]


def poll(backend: Backend, task_uuid: str) -> Answer:
    return backend.answer([{"taskType": "getResponse", "taskUUID": task_uuid}])


def wait(backend: Backend, task_uuid: str, timeout: float = 60) -> Answer:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = poll(backend, task_uuid)
        if answer.errors or answer.data[0]["status"] != "processing":
            return answer
        time.sleep(0.05)
    raise AssertionError("task did not finish")


def test_dispatch_and_body_shape(backend: Backend) -> None:
    answer = backend.answer({"taskType": "getResponse"})
    assert answer.status == 400 and only_error(answer)["code"] == "invalidRequestBody"
    err = only_error(backend.answer([{"taskType": "imageInference", "taskUUID": "t"}]))
    assert err["code"] == "invalidTaskType" and err["allowedValues"] == list(backend.handlers)
    assert only_error(backend.answer(["not a task"]))["code"] == "invalidTask"
    missing = poll(backend, uid())
    assert missing.status == 404 and only_error(missing)["code"] == "taskFailedOrNotFound"


def test_an_edit_end_to_end_without_sockets(backend: Backend, clip: Path) -> None:
    media = upload(backend, clip)
    assert media["operation"] == "upload" and media["mediaURL"].startswith(backend.base_url + "/files/")
    answer = backend.answer([edit(media["mediaUUID"], deliveryMethod="sync")])
    item = answer.data[0]
    assert answer.status == 200 and item["status"] == "success" and item["cost"] > 0
    assert item["videoURL"] == backend.file_url(item["videoURL"].rsplit("/", 1)[1])
    assert backend.stats["jobs_created"] == 1 and backend.stats["fetches"] == 0


# ---- the whole shape is validated before any source is fetched or decoded
@pytest.mark.parametrize(
    "change",
    [
        {"settings": {"edit": {"strength": "flex_9"}}},
        {"settings": {"edit": {"controls": {"depthBlur": 1.5}}}},
        {"width": 640, "height": 360, "settings": {"edit": {"strength": "flex_1"}}},
        {"seed": 42},
        {"model": "luma:ray@2"},
        {"numberResults": 2},
    ],
)
def test_shape_errors_come_before_any_fetch(backend: Backend, fetches: Fetches, change: dict) -> None:
    task = edit(UNREACHABLE, **change)
    err = only_error(backend.answer([task]))
    assert err["code"] != "invalidVideo" and "could not fetch" not in err["message"], err
    if "numberResults" not in change:
        with pytest.raises(RequestError) as expected:
            parse_task(task)
        assert (err["code"], err["parameter"]) == (expected.value.code, expected.value.wire)
    assert fetches.urls == [] and backend.stats["fetches"] == 0
    assert backend.jobs == {}


def test_a_valid_task_does_fetch_its_url(backend: Backend, fetches: Fetches) -> None:
    """The control for the test above: the same source in a well-formed task is fetched (and fails)."""
    err = only_error(backend.answer([edit(UNREACHABLE)]))
    assert err["code"] == "invalidVideo" and "could not fetch" in err["message"]
    assert fetches.urls == [UNREACHABLE] and backend.stats["fetches"] == 1


def test_a_shape_error_in_a_frame_image_task_comes_before_its_fetch(
    backend: Backend, fetches: Fetches
) -> None:
    task = {"taskType": "videoInference", "taskUUID": uid(), "model": "luma:ray@3.2", "positivePrompt": "x",
            "inputs": {"frameImages": [{"image": UNREACHABLE, "frame": "first"}]}, "duration": 7}  # fmt: skip
    err = only_error(backend.answer([task]))
    assert err["parameter"] == "duration" and fetches.urls == []


# ---- anchor frames on an edit: fetched and checked before any render
NOT_A_PICTURE = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"torn" * 8).decode()
NOT_MEDIA = base64.b64encode(b"a text file, not an image").decode()


@pytest.mark.parametrize(
    ("image", "phrase"),
    [
        (NOT_A_PICTURE, "an image is not readable"),
        (NOT_MEDIA, "is not a video or image this server reads"),
        ("https://media.example.invalid/anchor.png", "could not fetch"),
    ],
    ids=["png-signature-then-garbage", "not-media", "unreachable-url"],
)
def test_an_unreadable_anchor_frame_is_refused_before_any_render(
    backend: Backend, clip: Path, image: str, phrase: str
) -> None:
    task = edit(upload(backend, clip)["mediaUUID"], deliveryMethod="sync")
    task["inputs"]["frameImages"] = [{"image": image, "frame": "first"}]
    answer = backend.answer([task])
    err = only_error(answer)
    assert answer.status == 400 and err["code"] == "invalidImage", err
    assert err["parameter"] == "inputs.frameImages" and phrase in err["message"], err
    assert backend.jobs == {} and backend.stats["jobs_created"] == 0
    assert backend.store.get_task(task["taskUUID"]) is None  # nothing registered: the UUID stays free
    # the control: the same edit with a readable anchor runs, under the same (still free) UUID
    good = "data:image/png;base64," + base64.b64encode(make_png(8, 8, (200, 30, 30))).decode()
    task["inputs"]["frameImages"] = [{"image": good, "frame": "first"}]
    done = backend.answer([task]).data[0]
    assert done["status"] == "success" and done["lumakitLocal"]["anchors"][0]["frame"] == 0


# ---- numberResults
def test_number_results_other_than_one_is_refused_clearly(backend: Backend, clip: Path) -> None:
    media = upload(backend, clip)
    for n in (2, 0, "1", True):
        answer = backend.answer([edit(media["mediaUUID"], numberResults=n)])
        err = only_error(answer)
        assert answer.status == 400 and err["code"] == "invalidNumberResults", err
        assert err["parameter"] == "numberResults" and err["allowedValues"] == [1]
        assert "one result per task" in err["message"]
    assert backend.jobs == {}
    ok = backend.answer([edit(media["mediaUUID"], numberResults=1, deliveryMethod="sync")])
    assert ok.data[0]["status"] == "success" and ok.data[0]["videoUUID"]


# ---- re-sent submits
def test_an_identical_resend_is_acknowledged_and_counted(
    backend: Backend, clip: Path, fetches: Fetches
) -> None:
    media = upload(backend, clip)
    task = edit(media["mediaUUID"])
    first = backend.answer([task])
    assert first.data == [{"taskType": "videoInference", "taskUUID": task["taskUUID"]}]
    again = backend.answer([dict(task)])
    assert again.status == 200 and again.data == first.data
    assert backend.stats["resends"] == 1 and backend.stats["jobs_created"] == 1 and len(backend.jobs) == 1
    for other in ({**task, "positivePrompt": "something else"}, {**task, "deliveryMethod": "sync"},
                  {**task, "inputs": {"video": UNREACHABLE}}):  # fmt: skip
        err = only_error(backend.answer([other]))
        assert err["code"] == "duplicateTaskUUID" and err["taskUUID"] == task["taskUUID"]
    assert backend.stats["resends"] == 1 and backend.stats["jobs_created"] == 1 and fetches.urls == []
    assert wait(backend, task["taskUUID"]).data[0]["status"] == "success"


def test_a_sync_resend_answers_the_result_and_survives_a_restart(tmp_path: Path, clip: Path) -> None:
    first = Backend(Store(tmp_path / "data"))
    media = upload(first, clip)
    task = edit(media["mediaUUID"], deliveryMethod="sync")
    done = first.answer([task]).data[0]
    assert done["status"] == "success"
    assert first.answer([task]).data[0]["videoUUID"] == done["videoUUID"]
    first.close()
    later = Backend(Store(tmp_path / "data"))  # the task record (and its digest) persisted
    assert later.answer([task]).data[0]["videoUUID"] == done["videoUUID"]
    assert later.stats["resends"] == 1 and later.stats["jobs_created"] == 0
    err = only_error(later.answer([{**task, "positivePrompt": "changed"}]))
    assert err["code"] == "duplicateTaskUUID"
    later.close()


def test_a_dry_run_neither_registers_nor_counts_a_resend(backend: Backend, clip: Path) -> None:
    task = edit(upload(backend, clip)["mediaUUID"])
    for _ in range(2):
        assert backend.answer([task], dry_run=True).data[0]["dryRun"] is True
    assert backend.stats["resends"] == 0 and backend.jobs == {}


# ---- uploads
def test_every_upload_has_its_own_media_uuid(backend: Backend, clip: Path) -> None:
    a, b = upload(backend, clip), upload(backend, clip)
    assert a["mediaUUID"] != b["mediaUUID"]
    delete = {"taskType": "mediaStorage", "taskUUID": uid(), "operation": "delete", "media": a["mediaUUID"]}
    gone = backend.answer([delete]).data[0]
    assert gone["operation"] == "delete" and gone["mediaUUID"] == a["mediaUUID"]
    assert backend.store.lookup(a["mediaUUID"]) is None and backend.store.lookup(b["mediaUUID"]) is not None
    assert backend.answer([edit(b["mediaUUID"], deliveryMethod="sync")]).data[0]["status"] == "success"


# ---- failed tasks and tasks in progress
@pytest.mark.parametrize("form", ["errors", "data"])
def test_a_failed_task_names_its_own_task_type(backend: Backend, clip: Path, form: str) -> None:
    fault = Fault(
        "submit", "task_error", {"code": "providerError", "message": "refused (test)", "form": form}
    )
    task = edit(upload(backend, clip)["mediaUUID"])
    assert backend.answer([task], fault=fault).data[0]["taskUUID"] == task["taskUUID"]
    answer = wait(backend, task["taskUUID"])
    if form == "errors":
        failure = only_error(answer)
        assert failure["code"] == "providerError"
    else:
        failure = answer.data[0]
        assert failure["status"] == "error" and failure["error"]["code"] == "providerError"
    assert failure["taskType"] == "videoInference" and failure["taskUUID"] == task["taskUUID"]
    sync = edit(task["inputs"]["video"], deliveryMethod="sync")
    err = only_error(backend.answer([sync], fault=Fault("submit", "task_error")))
    assert err["taskType"] == "videoInference" and err["taskUUID"] == sync["taskUUID"]


def url_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [k for k in value if k.endswith("URL")] + [k for v in value.values() for k in url_keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in url_keys(v)]
    return []


def test_an_answer_in_progress_carries_no_url_key(tmp_path: Path, clip: Path) -> None:
    backend = Backend(Store(tmp_path / "data"), latency=Latency(processing_time=1.5))
    try:
        task = edit(upload(backend, clip)["mediaUUID"])
        ack = backend.answer([task])
        progress = poll(backend, task["taskUUID"])
        item = progress.data[0]
        assert item["status"] == "processing" and set(item) == {"taskType", "taskUUID", "status", "progress"}
        assert url_keys(ack.payload()) == [] and url_keys(progress.payload()) == []
        assert url_keys(backend.answer([task]).payload()) == []  # nor the re-sent acknowledgment
        done = wait(backend, task["taskUUID"]).data[0]
        assert done["status"] == "success" and "videoURL" in url_keys(done)
    finally:
        backend.close()


def test_identical_submits_at_once_make_one_job(tmp_path: Path, clip: Path) -> None:
    """Two copies of one sync task arriving together (a client retrying while the first still runs)."""
    backend = Backend(Store(tmp_path / "data"), latency=Latency(processing_time=0.5))
    try:
        task = edit(upload(backend, clip)["mediaUUID"], deliveryMethod="sync")
        answers: list[Answer] = []
        start = threading.Barrier(2)

        def send() -> None:
            start.wait()
            answers.append(backend.answer([task]))

        threads = [threading.Thread(target=send) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert [a.status for a in answers] == [200, 200]
        assert answers[0].data[0]["videoUUID"] == answers[1].data[0]["videoUUID"]
        assert backend.stats["jobs_created"] == 1 and backend.stats["resends"] == 1
    finally:
        backend.close()


# ---- webhookURL: the finished task's answer, POSTed to a loopback receiver
class Receiver:
    """A tiny HTTP receiver on 127.0.0.1 that records the JSON bodies POSTed to it.

    ``status``: what it answers. ``hold``: an event it waits for (up to 10 s) before answering.
    """

    def __init__(self, status: int = 200, hold: threading.Event | None = None) -> None:
        self.bodies: list[Any] = []
        self.types: list[str] = []
        self.arrived = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.bodies.append(json.loads(body))
                outer.types.append(self.headers["Content-Type"])
                outer.arrived.set()
                if hold is not None:
                    hold.wait(10)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/lumakit"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Any:
    r = Receiver()
    yield r
    r.close()


def until(check: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_a_finished_task_is_posted_to_its_loopback_webhook(
    backend: Backend, clip: Path, receiver: Receiver
) -> None:
    media = upload(backend, clip)["mediaUUID"]
    task = edit(media, webhookURL=receiver.url)
    assert backend.answer([task]).status == 200
    item = wait(backend, task["taskUUID"]).data[0]
    assert receiver.arrived.wait(20)
    until(lambda: backend.stats["webhooks"] == 1)
    assert receiver.bodies == [item]  # exactly what getResponse answers: status, videoUUID, videoURL, cost
    assert item["status"] == "success" and item["videoURL"].startswith(backend.base_url)
    assert receiver.types == ["application/json"]
    # a failed task: its webhook gets the error object getResponse answers
    failing = edit(media, webhookURL=receiver.url)
    backend.answer([failing], fault=Fault("submit", "task_error", {"code": "providerError"}))
    error = only_error(wait(backend, failing["taskUUID"]))
    until(lambda: len(receiver.bodies) == 2)
    assert receiver.bodies[1] == error and error["code"] == "providerError"
    assert backend.answer([task]).status == 200  # a re-sent submit posts nothing more
    time.sleep(0.3)
    assert len(receiver.bodies) == 2 and backend.stats["webhooks"] == 2


@pytest.mark.parametrize(
    "url", ["https://example.org/hooks", "http://127.0.0.1.example.org/hook", "http://10.0.0.5:8080/hook"]
)
def test_a_webhook_off_loopback_is_accepted_and_never_called(backend: Backend, clip: Path, url: str) -> None:
    """A notebook written for Runware runs unchanged: the task runs; the answers say the hook was not used."""
    task = edit(upload(backend, clip)["mediaUUID"], webhookURL=url)
    ack = backend.answer([task])
    assert ack.status == 200 and "was not called" in ack.data[0]["lumakitLocal"]["webhookNotCalled"]
    item = wait(backend, task["taskUUID"]).data[0]
    assert item["status"] == "success" and "was not called" in item["lumakitLocal"]["webhookNotCalled"]
    time.sleep(0.3)
    assert backend.stats["webhooks"] == backend.stats["webhook_failures"] == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_every_loopback_webhook_form_is_accepted(backend: Backend, fetches: Fetches, host: str) -> None:
    err = only_error(backend.answer([edit(UNREACHABLE, webhookURL=f"http://{host}:9/hook")]))
    assert err["parameter"] == "inputs.video" and fetches.urls == [UNREACHABLE]  # past the webhook check


def test_a_slow_or_failing_webhook_never_holds_the_render_or_the_server(
    tmp_path: Path, clip: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The receiver holds its answer until the test has the sync result in hand: a render that waited
    for the webhook would never answer. The POST then times out (logged, counted); a receiver answering
    500 is logged too; the server goes on."""
    release = threading.Event()
    slow, broken = Receiver(hold=release), Receiver(status=500)
    backend = Backend(Store(tmp_path / "data"), webhook_timeout=0.5)
    try:
        media = upload(backend, clip)["mediaUUID"]
        with caplog.at_level(logging.WARNING, logger="lumakit.local"):
            first = edit(media, deliveryMethod="sync", webhookURL=slow.url)
            assert backend.answer([first]).data[0]["status"] == "success"
            second = edit(media, deliveryMethod="sync", webhookURL=broken.url)
            assert backend.answer([second]).data[0]["status"] == "success"
            until(lambda: backend.stats["webhook_failures"] == 2)
        release.set()
        assert slow.bodies[0]["taskUUID"] == first["taskUUID"] and broken.bodies[0]["status"] == "success"
        logged = [r.getMessage() for r in caplog.records if "webhook POST" in r.getMessage()]
        assert any(first["taskUUID"] in m and "timed out" in m for m in logged), logged
        assert any(second["taskUUID"] in m and "500" in m for m in logged), logged
        assert backend.stats["webhooks"] == 0
        assert poll(backend, first["taskUUID"]).data[0]["status"] == "success"  # the server still answers
    finally:
        release.set()
        backend.close()
        slow.close()
        broken.close()
