"""The local backend's protocol, over real loopback sockets: auth, shapes, error codes, async jobs, files,
uploads, dry run, path safety, size bound, persistence, ``lumakit serve``."""

from __future__ import annotations

import base64
import http.client
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from _clips import make_clip
from _wire_tasks import edit, uid

from lumakit.errors import RequestError
from lumakit.local import Latency, LocalServer
from lumakit.local.command import serve_main
from lumakit.request import parse_task

AUTH = {"Authorization": "Bearer test-key"}


def post(server: LocalServer, tasks: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(server.url, json=tasks, headers=headers if headers is not None else AUTH, timeout=60)


def upload(server: LocalServer, path: Path) -> dict[str, Any]:
    b64 = base64.b64encode(path.read_bytes()).decode()
    r = post(server, [{"taskType": "mediaStorage", "taskUUID": uid(), "operation": "upload", "media": b64}])
    assert r.status_code == 200, r.text
    return r.json()["data"][0]


def wait(server: LocalServer, task_uuid: str, timeout: float = 60) -> tuple[dict[str, Any], list[int]]:
    """Poll until done; returns the final item and the progress values seen."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = post(server, [{"taskType": "getResponse", "taskUUID": task_uuid}])
        body = r.json()
        if body.get("errors"):
            return body["errors"][0], seen
        item = body["data"][0]
        if item["status"] != "processing":
            return item, seen
        seen.append(item["progress"])
        time.sleep(0.05)
    raise AssertionError("task did not finish")


CLIP = {"seconds": 1.5}  # the shape of the shared `clip` fixture (conftest.py)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with LocalServer(tmp_path_factory.mktemp("data")) as s:
        yield s


@pytest.fixture(scope="module")
def uploaded(server: LocalServer, clip: Path) -> dict[str, Any]:
    return upload(server, clip)


def test_binds_loopback_and_url_shape(server: LocalServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}/v1"
    assert server._httpd is not None and server._httpd.server_address[0] == "127.0.0.1"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}])
def test_auth_required(server: LocalServer, headers: dict[str, str]) -> None:
    r = post(server, [{"taskType": "getResponse", "taskUUID": uid()}], headers=headers)
    assert r.status_code == 401
    assert r.json()["errors"][0]["code"] == "invalidApiKey"


def test_bad_shapes(server: LocalServer) -> None:
    r = httpx.post(server.url, content=b"{not json", headers=AUTH)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "invalidJSON"
    r = post(server, {"taskType": "getResponse", "taskUUID": uid()})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "invalidRequestBody"
    t = uid()
    r = post(server, [{"taskType": "imageInference", "taskUUID": t}])
    err = r.json()["errors"][0]
    assert r.status_code == 400 and err["code"] == "invalidTaskType" and err["taskUUID"] == t
    assert "videoInference" in err["allowedValues"]


@pytest.mark.parametrize(
    "change",
    [
        {"settings": {"edit": {"strength": "flex_9"}}},
        {"settings": {"edit": {"strength": "flex_1", "autoControls": True}}},
        {"settings": {"edit": {"controls": {"depthBlur": 1.5}}}},
        {"settings": {"edit": {"controls": {"poseStrength": "exact"}}}},
        {"width": 640, "height": 360, "settings": {"edit": {"strength": "flex_1"}}},
        {"seed": 42},
        {"positivePrompt": ""},
        {"model": "luma:ray@2"},
    ],
)
def test_validation_matches_parse_task(server: LocalServer, uploaded: dict[str, Any], change: dict) -> None:
    task = edit(uploaded["mediaUUID"], **change)
    with pytest.raises(RequestError) as expected:
        parse_task(task)
    r = post(server, [task])
    assert r.status_code == 400
    err = r.json()["errors"][0]
    assert err["code"] == expected.value.code
    assert err["parameter"] == expected.value.wire
    assert err["taskUUID"] == task["taskUUID"] and err["taskType"] == "videoInference"
    if isinstance(expected.value.allowed, list):
        assert err["allowedValues"] == expected.value.allowed


def test_per_task_errors_leave_other_tasks(server: LocalServer, clip: Path) -> None:
    good = {"taskType": "mediaStorage", "taskUUID": uid(), "operation": "upload",
            "media": base64.b64encode(clip.read_bytes()).decode()}  # fmt: skip
    bad = edit("https://example.invalid/x.mp4", settings={"edit": {"strength": "nope"}})
    r = post(server, [good, bad])
    body = r.json()
    assert r.status_code == 200
    assert [d["taskUUID"] for d in body["data"]] == [good["taskUUID"]]
    assert [e["taskUUID"] for e in body["errors"]] == [bad["taskUUID"]]


def test_async_edit_polls_then_serves_video_with_ranges(tmp_path: Path, clip: Path) -> None:
    with LocalServer(tmp_path, latency=Latency(processing_time=0.8)) as server:
        media = upload(server, clip)
        task = edit(media["mediaUUID"])
        r = post(server, [task])
        assert r.status_code == 200
        assert r.json() == {"data": [{"taskType": "videoInference", "taskUUID": task["taskUUID"]}]}
        item, seen = wait(server, task["taskUUID"])
        assert seen and all(0 <= p <= 100 for p in seen) and seen == sorted(seen)
        assert item["status"] == "success" and item["cost"] > 0
        assert (
            item["lumakitLocal"]["costIsEstimate"] is True
            and item["lumakitLocal"]["backend"] == "local-preview"
        )
        full = httpx.get(item["videoURL"])
        assert full.status_code == 200 and full.headers["content-type"] == "video/mp4"
        assert int(full.headers["content-length"]) == len(full.content) > 1000
        assert full.content[4:8] == b"ftyp"
        part = httpx.get(item["videoURL"], headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == full.content[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(full.content)}"
        tail = httpx.get(item["videoURL"], headers={"Range": "bytes=-50"})
        assert tail.status_code == 206 and tail.content == full.content[-50:]
        bad = httpx.get(item["videoURL"], headers={"Range": f"bytes={len(full.content) + 10}-"})
        assert bad.status_code == 416
        assert httpx.head(item["videoURL"]).headers["content-length"] == str(len(full.content))
    with LocalServer(tmp_path) as again:  # a restart keeps task and video UUIDs valid
        item2, _ = wait(again, task["taskUUID"])
        assert item2["videoUUID"] == item["videoUUID"] and str(again.port) in item2["videoURL"]
        chained = edit(item["videoUUID"])
        assert post(again, [chained]).status_code == 200
        assert wait(again, chained["taskUUID"])[0]["status"] == "success"


def test_sync_delivery_answers_the_result(server: LocalServer, uploaded: dict[str, Any]) -> None:
    task = edit(uploaded["mediaURL"], deliveryMethod="sync")
    r = post(server, [task])
    item = r.json()["data"][0]
    assert (
        r.status_code == 200 and item["status"] == "success" and item["videoURL"].startswith(server.base_url)
    )


def test_video_sources(server: LocalServer, clip: Path, uploaded: dict[str, Any]) -> None:
    data_uri = "data:video/mp4;base64," + base64.b64encode(clip.read_bytes()).decode()
    ok = [edit(uploaded["mediaURL"]), edit(data_uri), edit(base64.b64encode(clip.read_bytes()).decode())]
    r = post(server, ok)
    assert r.status_code == 200 and len(r.json()["data"]) == 3 and "errors" not in r.json()
    for t in ok:
        assert wait(server, t["taskUUID"])[0]["status"] == "success"
    refused = {
        "file:///etc/passwd": "file://",
        str(uuid.uuid4()): "no video or media",
        "http://127.0.0.1:9/nothing.mp4": "could not fetch",
        f"{server.base_url}/files/missing.mp4": "no such file",
        base64.b64encode(b"hello, not a video").decode(): "not a video",
    }
    for value, words in refused.items():
        r = post(server, [edit(value)])
        err = r.json()["errors"][0]
        assert r.status_code in (400, 404) and err["code"] == "invalidVideo", (value, err)
        assert err["parameter"] == "inputs.video" and words in err["message"], (value, err)


def test_uploads_images_and_delete(server: LocalServer, clip: Path, tmp_path: Path) -> None:
    png = make_png(tmp_path / "f.png")
    r = post(
        server, [{"taskType": "imageUpload", "taskUUID": uid(), "image": base64.b64encode(png).decode()}]
    )
    item = r.json()["data"][0]
    assert r.status_code == 200 and item["imageUUID"] and item["imageURL"].endswith(".png")
    got = httpx.get(item["imageURL"])
    assert got.headers["content-type"] == "image/png" and got.content == png
    r = post(
        server,
        [
            {
                "taskType": "imageUpload",
                "taskUUID": uid(),
                "image": base64.b64encode(clip.read_bytes()).decode(),
            }
        ],
    )
    assert r.json()["errors"][0]["code"] == "invalidImage"
    own = upload(server, make_clip(tmp_path / "other.mp4", seconds=0.5, seed=3))
    again = post(
        server,
        [{"taskType": "mediaStorage", "taskUUID": uid(), "operation": "upload", "media": own["mediaURL"]}],
    )
    second = again.json()["data"][0]
    assert second["operation"] == "upload" and second["mediaUUID"] != own["mediaUUID"]  # each upload its own
    gone = post(
        server,
        [{"taskType": "mediaStorage", "taskUUID": uid(), "operation": "delete", "media": own["mediaUUID"]}],
    )
    assert gone.status_code == 200 and gone.json()["data"][0]["operation"] == "delete"
    assert post(server, [edit(own["mediaUUID"])]).json()["errors"][0]["code"] == "invalidVideo"
    # the other upload of the same bytes still works: its file is served and it is a valid source
    assert httpx.get(second["mediaURL"]).status_code == 200
    still = edit(second["mediaUUID"])
    assert post(server, [still]).status_code == 200
    assert wait(server, still["taskUUID"])[0]["status"] == "success"
    last = {"taskType": "mediaStorage", "taskUUID": uid(), "operation": "delete"}
    assert post(server, [{**last, "media": second["mediaUUID"]}]).status_code == 200
    assert httpx.get(second["mediaURL"]).status_code == 404  # the bytes' last UUID took the file with it
    refused = post(
        server,
        [
            {
                "taskType": "mediaStorage",
                "taskUUID": uid(),
                "operation": "upload",
                "media": "file:///etc/hosts",
            }
        ],
    )
    assert refused.status_code == 400 and "file://" in refused.json()["errors"][0]["message"]  # fmt: skip


def make_png(path: Path, w: int = 64, h: int = 36, color: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    """A tiny solid PNG written with zlib (no imaging library)."""
    import struct
    import zlib

    raw = b"".join(b"\x00" + bytes(color) * w for _ in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path.write_bytes(png)
    return png


def test_dry_run_prices_without_a_job(server: LocalServer, uploaded: dict[str, Any]) -> None:
    before = dict(server.stats)
    task = edit(uploaded["mediaUUID"])
    r = post(server, [task], headers={**AUTH, "X-Runware-Dry-Run": "1"})
    item = r.json()["data"][0]
    assert r.status_code == 200 and item["dryRun"] is True and item["taskUUID"] == task["taskUUID"]
    assert item["cost"] == pytest.approx(0.216 * 5)  # 1.5 s source -> one 5 s block at the 720p edit rate
    assert server.stats["jobs_created"] == before["jobs_created"]
    poll = post(server, [{"taskType": "getResponse", "taskUUID": task["taskUUID"]}])
    assert poll.status_code == 404 and poll.json()["errors"][0]["code"] == "taskFailedOrNotFound"


def test_unknown_task_and_duplicate_uuid(server: LocalServer, uploaded: dict[str, Any]) -> None:
    r = post(server, [{"taskType": "getResponse", "taskUUID": uid()}])
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "taskFailedOrNotFound"
    task = edit(uploaded["mediaUUID"])
    assert post(server, [task]).status_code == 200
    jobs, resends = server.stats["jobs_created"], server.stats["resends"]
    # the very same task again (a client retrying a lost answer): acknowledged again, counted, no new job
    r = post(server, [task])
    ack = {"data": [{"taskType": "videoInference", "taskUUID": task["taskUUID"]}]}
    assert r.status_code == 200 and r.json() == ack
    assert server.stats["jobs_created"] == jobs and server.stats["resends"] == resends + 1
    # another task under the same UUID stays refused
    other = {**task, "positivePrompt": "another prompt"}
    r = post(server, [other])
    err = r.json()["errors"][0]
    assert r.status_code == 400 and err["code"] == "duplicateTaskUUID" and err["parameter"] == "taskUUID"
    assert server.stats["jobs_created"] == jobs and server.stats["resends"] == resends + 1
    details = post(server, [{"taskType": "getTaskDetails", "taskUUID": task["taskUUID"]}]).json()["data"][0]
    assert details["request"]["positivePrompt"] == task["positivePrompt"]


def raw_get(server: LocalServer, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
    conn.endheaders()
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.parametrize(
    "path",
    [
        "/files/../index.json",
        "/files/%2e%2e/index.json",
        "/files/..%2findex.json",
        "/files/%2e%2e%2findex.json",
        "/files/%252e%252e%252findex.json",
        "/files//etc/passwd",
        "/files/%2fetc%2fpasswd",
        "/files/..\\index.json",
        "/files/.index.json",
        "/files/",
    ],
)
def test_paths_cannot_escape_the_data_folder(server: LocalServer, path: str) -> None:
    assert (server.data_dir / "index.json").exists()
    assert raw_get(server, path) == 404


def test_request_size_bound(tmp_path: Path) -> None:
    with LocalServer(tmp_path, max_body=10_000) as server:
        r = httpx.post(server.url, content=b"[" + b" " * 20_000 + b"]", headers=AUTH)
        assert r.status_code == 413 and r.json()["errors"][0]["code"] == "requestTooLarge"
        assert post(server, [{"taskType": "getResponse", "taskUUID": uid()}]).status_code == 404


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_python_m_lumakit_local_serves(tmp_path: Path, clip: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "lumakit.local", "--port", str(port), "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/v1" in line and "not Ray" in line
        b64 = base64.b64encode(clip.read_bytes()).decode()
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1",
            headers=AUTH,
            timeout=30,
            json=[{"taskType": "mediaStorage", "taskUUID": uid(), "operation": "upload", "media": b64}],
        )
        assert r.status_code == 200 and r.json()["data"][0]["mediaURL"].startswith(
            f"http://127.0.0.1:{port}/"
        )
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_main_flags(tmp_path: Path) -> None:
    port = free_port()
    ready, stop = threading.Event(), threading.Event()
    argv = [
        "--port",
        str(port),
        "--data-dir",
        str(tmp_path),
        "--processing-time",
        "0.5",
        "--fault",
        "poll:503",
    ]
    t = threading.Thread(target=serve_main, args=(argv,), kwargs={"ready": ready, "stop": stop}, daemon=True)
    t.start()
    assert ready.wait(10)
    try:
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1", headers=AUTH, json=[{"taskType": "getResponse", "taskUUID": uid()}]
        )
        assert r.status_code == 503  # the scripted fault
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1", headers=AUTH, json=[{"taskType": "getResponse", "taskUUID": uid()}]
        )
        assert r.status_code == 404  # used up
    finally:
        stop.set()
        t.join(10)
    assert serve_main(["--fault", "poll:999"]) == 2  # fmt: skip


def test_local_never_imports_the_client(tmp_path: Path, clip: Path) -> None:
    code = f"""
import base64, sys, uuid, httpx
from lumakit.local import LocalServer
with LocalServer({str(tmp_path)!r}) as s:
    media = base64.b64encode(open({str(clip)!r}, 'rb').read()).decode()
    t = {{"taskType": "videoInference", "taskUUID": str(uuid.uuid4()), "model": "luma:ray@3.2",
         "positivePrompt": "x", "inputs": {{"video": media}}, "deliveryMethod": "sync"}}
    r = httpx.post(s.url, json=[t], headers={{"Authorization": "Bearer k"}}, timeout=60)
    assert r.json()["data"][0]["status"] == "success", r.text
print(sorted(m for m in ("lumakit.client", "moviepy", "matplotlib", "ipywidgets") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize(
    ("fmt", "ctype", "codec"), [("WEBM", "video/webm", "vp9"), ("mov", "video/quicktime", "h264")]
)
def test_output_formats(server: LocalServer, uploaded: dict[str, Any], tmp_path: Path, fmt: str, ctype: str,
                        codec: str) -> None:  # fmt: skip
    task = edit(uploaded["mediaUUID"], outputType="URL", outputFormat=fmt, outputQuality=40)
    assert post(server, [task]).status_code == 200
    item, _ = wait(server, task["taskUUID"])
    got = httpx.get(item["videoURL"])
    assert got.status_code == 200 and got.headers["content-type"] == ctype
    path = tmp_path / Path(item["videoURL"]).name
    path.write_bytes(got.content)
    info = __import__("lumakit.media", fromlist=["probe"]).probe(path)
    assert (info.codec, info.width, info.height, info.n_frames) == (codec, 160, 90, 18)


def test_shared_server_is_one_per_process_in_the_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lumakit.local import server as server_module

    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(server_module, "_shared", None)
    first = server_module.shared_server()
    try:
        assert server_module.shared_server() is first and first.running
        assert first.data_dir == (tmp_path / "local-backend").resolve()
        assert httpx.get(f"{first.base_url}/health").json()["backend"] == "local-preview"
    finally:
        first.stop()
        monkeypatch.setattr(server_module, "_shared", None)


def test_a_task_running_at_shutdown_reports_an_error_after_restart(tmp_path: Path) -> None:
    from lumakit.local.store import Store

    task_uuid = uid()
    Store(tmp_path).put_task(task_uuid, {"taskType": "videoInference", "status": "processing"})
    with LocalServer(tmp_path) as server:
        r = post(server, [{"taskType": "getResponse", "taskUUID": task_uuid}])
        err = r.json()["errors"][0]
        assert err["code"] == "taskInterrupted" and err["taskUUID"] == task_uuid


def test_task_uuids_are_echoed_exactly(server: LocalServer, uploaded: dict[str, Any]) -> None:
    task = edit(uploaded["mediaUUID"])
    task["taskUUID"] = task["taskUUID"].upper()
    assert post(server, [task]).json()["data"][0]["taskUUID"] == task["taskUUID"]
    item, _ = wait(server, task["taskUUID"])
    assert item["taskUUID"] == task["taskUUID"] and item["status"] == "success"


class _CountingHost:
    """Another host on loopback that counts GETs and has nothing (404)."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host.hits += 1
                self.send_error(404)

            def log_message(self, *args: Any) -> None:
                pass

        self.hits = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/source.mp4"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


def test_a_shape_error_is_answered_before_the_source_is_fetched(server: LocalServer) -> None:
    other = _CountingHost()
    try:
        bad = edit(other.url, settings={"edit": {"strength": "flex_9"}})
        r = post(server, [bad])
        err = r.json()["errors"][0]
        assert r.status_code == 400 and err["parameter"] == "settings.edit.strength"
        assert other.hits == 0  # nothing was fetched for a malformed task
        r = post(server, [edit(other.url)])  # the same source in a well-formed task is fetched
        assert "could not fetch" in r.json()["errors"][0]["message"] and other.hits == 1
    finally:
        other.httpd.shutdown()
        other.httpd.server_close()
