"""The local backend is for this machine only and survives bad input, over real loopback sockets.

Fetches go to loopback only (no redirect, no proxy, bounded, one error text), the ``Host`` header must be this
server on loopback, files are served ``nosniff``; a malformed request gets a JSON 400 (or a clean close after
the read timeout), never a dead handler; arrays are capped and 1,000 uploads write the index once.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import subprocess
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from _wire_tasks import edit, uid
from test_local_render import make_png

from lumakit import _files, media
from lumakit.local import LocalServer, http_handler
from lumakit.local import backend as backend_module
from lumakit.local.http_handler import MAX_TASKS
from lumakit.local.source_limits import image_problem, video_problem
from lumakit.media import ffmpeg_exe

AUTH = {"Authorization": "Bearer test-key"}


def post(server: LocalServer, tasks: Any, **kw: Any) -> httpx.Response:
    return httpx.post(server.url, json=tasks, headers=AUTH, timeout=60, **kw)


class Loopback:
    """A server on 127.0.0.1 that counts GETs and answers with ``answer(handler)``."""

    def __init__(self, answer: Any) -> None:
        outer = self
        self.hits = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                answer(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_bytes(data: bytes, delay: float = 0.0) -> Any:
    def answer(h: BaseHTTPRequestHandler) -> None:
        time.sleep(delay)
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return answer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    with LocalServer(tmp_path / "data", fetch_timeout=1.0, read_timeout=0.5) as s:
        yield s


def refusal(server: LocalServer, url: str) -> dict[str, Any]:
    r = post(server, [edit(url)])
    assert r.status_code == 400, r.text
    err = r.json()["errors"][0]
    assert err["code"] == "invalidVideo" and err["parameter"] == "inputs.video", err
    return err  # type: ignore[no-any-return]


# ---- fetches: loopback only, no redirect, no proxy, bounded, one text
@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # a cloud metadata address
        "http://10.0.0.7:8080/clip.mp4",  # an intranet host
        "http://0.0.0.0:80/clip.mp4",
        "http://[::ffff:169.254.169.254]/clip.mp4",
        "http://metadata.google.internal/clip.mp4",  # a name: refused without a DNS lookup
        "http://127.0.0.1.nip.io/clip.mp4",
        "http://127.0.0.1@169.254.169.254/clip.mp4",  # userinfo that looks like loopback
    ],
)
def test_a_url_off_loopback_is_refused_without_fetching(server: LocalServer, url: str) -> None:
    err = refusal(server, url)
    assert (
        "could not fetch inputs.video" in err["message"] and "127.0.0.1, localhost or [::1]" in err["message"]
    )
    assert server.stats["fetches"] == 0


def test_localhost_must_resolve_to_loopback_only(server: LocalServer) -> None:
    server.backend.ingest.resolve = lambda host, port: ["127.0.0.1", "10.1.2.3"]  # a re-bound name
    refusal(server, "http://localhost:9/clip.mp4")
    assert server.stats["fetches"] == 0


def test_a_redirect_is_never_followed(server: LocalServer, clip: Path) -> None:
    target = Loopback(serve_bytes(clip.read_bytes()))

    def redirect(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", f"{target.base}/clip.mp4")
        h.send_header("Content-Length", "0")
        h.end_headers()

    hop = Loopback(redirect)
    try:
        refusal(server, f"{hop.base}/clip.mp4")
        assert hop.hits == 1 and target.hits == 0
        r = post(server, [edit(f"{target.base}/clip.mp4")])  # the control: the target itself is fetched
        assert r.status_code == 200 and target.hits == 1, r.text
    finally:
        hop.close()
        target.close()


def test_proxy_variables_are_ignored(
    server: LocalServer, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = Loopback(serve_bytes(clip.read_bytes()))
    proxy = Loopback(serve_bytes(clip.read_bytes()))
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy.base)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    try:
        r = httpx.post(server.url, json=[edit(f"{target.base}/clip.mp4")], headers=AUTH, trust_env=False)
        assert r.status_code == 200, r.text
        assert (target.hits, proxy.hits) == (1, 0)
    finally:
        target.close()
        proxy.close()


def test_every_failed_fetch_reads_the_same(tmp_path: Path) -> None:
    """A closed port, a 404, a redirect, a slow answer, a body over the bound and a host off loopback all
    answer one text: the messages cannot be used to scan ports or hosts."""
    with LocalServer(tmp_path / "data", fetch_timeout=0.5, max_body=4096) as server:
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        closed_port = closed.getsockname()[1]
        closed.close()

        def missing(h: BaseHTTPRequestHandler) -> None:
            h.send_error(404)

        hosts = [
            Loopback(missing),
            Loopback(serve_bytes(b"\x89PNG\r\n\x1a\n", delay=2.0)),
            Loopback(serve_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 10_000)),
        ]
        try:
            urls = [
                f"http://127.0.0.1:{closed_port}/a.mp4",
                f"{hosts[0].base}/a.mp4",
                f"{hosts[1].base}/a.mp4",
                f"{hosts[2].base}/a.mp4",
                "http://192.168.1.1/a.mp4",
            ]
            started = time.monotonic()
            texts = {refusal(server, url)["message"].replace(url, "<url>") for url in urls}
            assert time.monotonic() - started < 10  # the slow host was given up after 0.5 s, not waited for
            assert len(texts) == 1, texts
            assert "no redirect, no proxy" in texts.pop()
        finally:
            for h in hosts:
                h.close()


def test_an_anchor_frame_url_off_loopback_names_its_parameter(server: LocalServer) -> None:
    task = {
        "taskType": "videoInference",
        "taskUUID": uid(),
        "model": "luma:ray@3.2",
        "positivePrompt": "x",
        "inputs": {"frameImages": [{"image": "http://169.254.169.254/a.png", "frame": "first"}]},
    }
    err = post(server, [task]).json()["errors"][0]
    assert err["parameter"] == "inputs.frameImages" and "could not fetch inputs.frameImages" in err["message"]
    media = {
        "taskType": "mediaStorage",
        "taskUUID": uid(),
        "operation": "upload",
        "media": "http://10.0.0.1/x",
    }
    err = post(server, [media]).json()["errors"][0]
    assert err["parameter"] == "media" and "could not fetch media" in err["message"]
    assert server.stats["fetches"] == 0


# ---- Host header (DNS rebinding) and nosniff
def raw(server: LocalServer, request: bytes, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as s:
        s.sendall(request)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1:1", "localhost", ""])
def test_a_request_for_another_host_is_refused(server: LocalServer, host: str) -> None:
    header = f"Host: {host.format(port=server.port)}\r\n" if host else ""
    for req in (
        f"GET /health HTTP/1.1\r\n{header}Connection: close\r\n\r\n",
        f"POST /v1 HTTP/1.1\r\n{header}Authorization: Bearer x\r\nContent-Length: 2\r\n\r\n[]",
    ):
        answer = raw(server, req.encode())
        assert answer.startswith(b"HTTP/1.1 421"), answer[:80]
        assert b"misdirectedRequest" in answer
    assert server.stats["polls"] == 0


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_loopback_host_forms_are_served(server: LocalServer, host: str) -> None:
    answer = raw(
        server,
        f"GET /health HTTP/1.1\r\nHost: {host.format(port=server.port)}\r\n"
        "Connection: close\r\n\r\n".encode(),
    )
    assert answer.startswith(b"HTTP/1.1 200"), answer[:80]


def test_files_and_answers_are_served_nosniff(server: LocalServer, clip: Path) -> None:
    b64 = base64.b64encode(clip.read_bytes()).decode()
    r = post(server, [{"taskType": "mediaStorage", "taskUUID": uid(), "operation": "upload", "media": b64}])
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    url = r.json()["data"][0]["mediaURL"]
    for method in ("GET", "HEAD"):
        got = httpx.request(method, url, headers={"Range": "bytes=0-9"})
        assert got.status_code == 206 and got.headers["X-Content-Type-Options"] == "nosniff"


# ---- malformed requests: a JSON 400, never a dead handler
def raw_post(server: LocalServer, body: bytes, length: bytes | None = None) -> bytes:
    size = str(len(body)).encode() if length is None else length
    head = b"POST /v1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer x\r\nContent-Length: %s\r\n\r\n"
    return raw(server, head % (server.port, size) + body)


def status_and_code(answer: bytes) -> tuple[int, str]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    payload = json.loads(body)
    return status, payload["errors"][0]["code"]


@pytest.mark.parametrize(
    ("body", "length", "code"),
    [
        (b"[" * 200_000 + b"]" * 200_000, None, "invalidRequestBody"),  # nested past the recursion limit
        (json.dumps([{"taskType": ["getResponse"], "taskUUID": "x"}]).encode(), None, "invalidTaskType"),
        (json.dumps([{"taskType": {"a": 1}}]).encode(), None, "invalidTaskType"),
        (b"[]", "\u00b2".encode("latin-1"), "invalidRequestBody"),  # a superscript two: isdigit(), not int()
        (b"[]", b"-2", "invalidRequestBody"),
        (b"[]", b"1e3", "invalidRequestBody"),
        (b"\xff\xfe[]", None, "invalidJSON"),
        (json.dumps([{"taskType": "getResponse"}] * (MAX_TASKS + 1)).encode(), None, "invalidRequestBody"),
    ],
    ids=[
        "deep-nesting",
        "list-tasktype",
        "dict-tasktype",
        "non-ascii-length",
        "negative-length",
        "float-length",
        "not-utf8",
        "too-many-tasks",
    ],
)
def test_malformed_bodies_get_a_json_400(server: LocalServer, body: bytes, length: Any, code: str) -> None:
    status, got = status_and_code(raw_post(server, body, length))
    assert (status, got) == (400, code)
    assert post(server, [{"taskType": "getResponse", "taskUUID": uid()}]).status_code == 404  # still serving


def test_a_range_with_thousands_of_digits(server: LocalServer, clip: Path) -> None:
    b64 = base64.b64encode(clip.read_bytes()).decode()
    r = post(server, [{"taskType": "mediaStorage", "taskUUID": uid(), "operation": "upload", "media": b64}])
    url = r.json()["data"][0]["mediaURL"]
    size = clip.stat().st_size
    digits = "9" * 5000
    assert httpx.get(url, headers={"Range": f"bytes={digits}-"}).status_code == 416
    whole = httpx.get(url, headers={"Range": f"bytes=0-{digits}"})
    assert whole.status_code == 206 and len(whole.content) == size
    assert httpx.get(url, headers={"Range": f"bytes=-{digits}"}).content == clip.read_bytes()


def test_a_body_that_never_comes_is_closed_after_the_read_timeout(server: LocalServer) -> None:
    head = (
        f"POST /v1 HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAuthorization: Bearer x\r\n"
        "Content-Length: 200000000\r\n\r\n["
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
        s.sendall(head)
        started = time.monotonic()
        assert s.recv(100) == b""  # closed, without an answer, by the server
        waited = time.monotonic() - started
    assert 0.3 < waited < 10, waited  # read_timeout=0.5
    assert post(server, [{"taskType": "getResponse", "taskUUID": uid()}]).status_code == 404


def test_a_thousand_uploads_write_the_index_once(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[str] = []
    real = _files.write_text

    def counting(path: Any, text: str, **kw: Any) -> Any:
        writes.append(os.fspath(path))
        return real(path, text, **kw)

    monkeypatch.setattr(_files, "write_text", counting)
    tasks = [
        {
            "taskType": "mediaStorage",
            "taskUUID": uid(),
            "operation": "upload",
            "media": base64.b64encode(b"\x89PNG\r\n\x1a\n" + str(i).encode()).decode(),
        }
        for i in range(1000)
    ]
    r = post(server, tasks)
    assert r.status_code == 200 and len(r.json()["data"]) == 1000
    assert writes.count(os.fspath(server.data_dir / "index.json")) == 1
    index = json.loads((server.data_dir / "index.json").read_text())
    assert len(index["files"]) == 1000 and len(index["tasks"]) == 1000
    same = [{**tasks[0], "taskUUID": uid()}, {**tasks[0], "taskUUID": uid()}]  # the same bytes: one file
    names = {item["mediaURL"] for item in post(server, same).json()["data"]}
    assert len(names) == 1 and names == {r.json()["data"][0]["mediaURL"]}


# ---- sources over the limits are refused before any render
def declared_huge(tmp: Path, w: int = 16000, h: int = 16000) -> Path:
    """A 42 kB QuickTime clip (raw 64x36 frames) whose headers declare ``w`` x ``h``: what ``ffmpeg -i``
    reports, and what a renderer trusting it would allocate."""
    src = tmp / "small.mov"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=64x36:d=0.5:r=12",
            "-c:v",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            str(src),
        ],
        check=True,
    )
    data = bytearray(src.read_bytes())
    entry = data.find(b"stsd") + 12  # the visual sample entry: size, type, 6+2+2+2+12 bytes, width, height
    struct.pack_into(">HH", data, entry + 8 + 24, w, h)
    tkhd = data.find(b"tkhd") + 4 + 76  # version 0 track header: width, height in 16.16 fixed point
    struct.pack_into(">II", data, tkhd, w << 16, h << 16)
    out = tmp / "huge.mov"
    out.write_bytes(bytes(data))
    return out


def test_a_clip_declaring_16000x16000_is_refused_before_any_render(
    server: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = declared_huge(tmp_path)
    assert media.probe(huge).size == (16000, 16000) and huge.stat().st_size < 100_000
    renders: list[str] = []
    monkeypatch.setattr(backend_module, "run_render", lambda job, *a, **k: renders.append(job.task_uuid))
    data_uri = "data:video/quicktime;base64," + base64.b64encode(huge.read_bytes()).decode()
    for kind in ({}, {"width": 1280, "height": 720, "settings": {}}):  # an edit, a reframe
        task = edit(data_uri, **kind)
        if kind:
            task.pop("settings")
        r = post(server, [task])
        err = r.json()["errors"][0]
        assert r.status_code == 400 and err["code"] == "invalidVideo", err
        assert err["parameter"] == "inputs.video" and "16000x16000" in err["message"]
        assert "4096 pixels a side" in err["message"]
    assert renders == [] and server.stats["jobs_created"] == 0


def test_frame_count_and_image_size_limits(tmp_path: Path) -> None:
    def info(w: int, h: int, seconds: float, frames: int) -> media.VideoInfo:
        return media.VideoInfo("x.mp4", seconds, w, h, frames / max(seconds, 1e-3), frames, False, 0, "h264")

    assert video_problem("modify", info(3840, 2160, 18.0, 18 * 120)) is None
    assert "frames" in (video_problem("modify", info(640, 360, 10.0, 18 * 120 + 1)) or "")
    assert video_problem("reframe", info(640, 360, 30.0, 3600)) is None
    assert "18 s" in (video_problem("modify", info(640, 360, 20.0, 200)) or "")
    assert "pixels" in (video_problem("modify", info(4096, 4096, 1.0, 24)) or "")
    assert image_problem(info(4096, 4096, 0.04, 1)) is None
    assert "4097x10" in (image_problem(info(4097, 10, 0.04, 1)) or "")


def test_an_anchor_image_declaring_a_huge_size_is_refused(server: LocalServer) -> None:
    data = bytearray(make_png(64, 36, (200, 40, 40)))
    struct.pack_into(">II", data, 16, 12000, 12000)  # the IHDR's width and height, and its CRC
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    task = {
        "taskType": "videoInference",
        "taskUUID": uid(),
        "model": "luma:ray@3.2",
        "positivePrompt": "x",
        "inputs": {"frameImages": [{"image": base64.b64encode(bytes(data)).decode(), "frame": "first"}]},
    }
    r = post(server, [task])
    err = r.json()["errors"][0]
    assert r.status_code == 400 and err["code"] == "invalidImage", err
    assert err["parameter"] == "inputs.frameImages" and "12000x12000" in err["message"]
    assert server.stats["jobs_created"] == 0


def test_protocol_md_lists_the_limits() -> None:
    from lumakit.local import http_handler, server, source_limits
    from lumakit.request import MAX_EDIT_SECONDS, MAX_REFRAME_SECONDS

    text = (Path(__file__).parents[1] / "docs" / "protocol.md").read_text()
    limits = text[text.index("## Limits of the local backend") :]
    assert f"{server.MAX_BODY // (1024 * 1024)} MB" in limits and f"{MAX_TASKS:,} " in limits
    assert f"{http_handler.READ_TIMEOUT:g} s each" in limits
    assert f"over {http_handler.LARGE_BODY // (1024 * 1024)} MB" in limits
    assert http_handler.MIN_BODY_RATE == 1024 * 1024 and "1 s per MB" in limits
    assert f"within\n{server.FETCH_TIMEOUT:g} s" in limits
    assert f"edit {MAX_EDIT_SECONDS:g} s, reframe {MAX_REFRAME_SECONDS:g} s" in limits
    assert f"{source_limits.MAX_SIDE} pixels a side and 3840×2160" in limits
    assert source_limits.MAX_PIXELS == 3840 * 2160 and source_limits.MAX_IMAGE_PIXELS == 4096 * 4096
    frames = source_limits.MAX_FRAMES_BY_KIND
    assert f"{source_limits.MAX_FPS} a second" in limits
    assert f"edit {frames['modify']:,}, reframe {frames['reframe']:,}" in limits


def test_large_bodies_are_read_one_at_a_time(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory stays that of one large upload: a second one waits for its turn (read_timeout, 0.5 s here),
    then gets 503 with Retry-After; once the first is over (here: it stopped coming), the next gets in."""
    monkeypatch.setattr(http_handler, "LARGE_BODY", 1000)
    body = json.dumps([{"taskType": "getResponse", "taskUUID": uid()}] * 40).encode()
    assert len(body) > 1000
    head = b"POST /v1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer x\r\nContent-Length: %d\r\n\r\n"
    trickling = threading.Event()
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as first:
        first.sendall(head % (server.port, 5_000_000) + b"[")  # a large body that comes slowly

        def trickle() -> None:
            while not trickling.wait(0.15):
                first.sendall(b" ")

        feeder = threading.Thread(target=trickle)
        feeder.start()
        try:
            time.sleep(0.1)
            started = time.monotonic()
            second = raw(server, head % (server.port, len(body)) + body)
            assert second.startswith(b"HTTP/1.1 503") and b"Retry-After: 2" in second, second[:200]
            assert 0.4 < time.monotonic() - started < 5
        finally:
            trickling.set()
            feeder.join()
        assert first.recv(100) == b""  # it stopped coming: closed after the read timeout, no answer
    third = raw(server, head % (server.port, len(body)) + body)
    assert third.startswith(b"HTTP/1.1 404"), third[:100]  # its turn: answered (unknown task UUIDs)


def test_a_disk_that_refuses_writes_gets_a_json_500(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(*args: Any, **kw: Any) -> Any:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(_files, "write_bytes", read_only)
    media = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"x" * 64).decode()
    r = post(server, [{"taskType": "mediaStorage", "taskUUID": uid(), "operation": "upload", "media": media}])
    assert r.status_code == 500 and r.json()["errors"][0]["code"] == "serverError"
    assert "Read-only file system" in r.json()["errors"][0]["message"]
    monkeypatch.undo()
    assert post(server, [{"taskType": "getResponse", "taskUUID": uid()}]).status_code == 404  # still serving
