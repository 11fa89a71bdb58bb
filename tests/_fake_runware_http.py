"""A Runware stand-in over real loopback HTTP, for code in another process (a notebook kernel).

    with RunwareStandIn() as service:       # http://127.0.0.1:<port>/v1, files at .../files/<name>
        env["RUNWARE_BASE_URL"] = service.url
        ...                                 # run the notebook
        service.paid_jobs                   # videoInference tasks received (distinct taskUUIDs)

It is :class:`~_fake_runware.FakeRunware` (the scripted in-memory service of the unit tests) behind a
``ThreadingHTTPServer``: it answers as Runware does, with no ``lumakitLocal`` block, so the client records
its results as ``backend="runware"``. It is not lumakit's local backend (nothing here imports
``lumakit.local``). Its result videos follow the request, as Ray's do, so notebooks can chain, reframe and
plot them: an edit keeps its source's frames, size and rate; a reframe scales them to the requested size;
text/image-to-video lasts the requested ``duration`` at the requested size. A job runs ``job_seconds`` (1 s)
of wall-clock time before it succeeds. Every frame is tinted with a colour drawn from the prompt, so results
differ from their source and from each other, deterministically.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from _fake_runware import FakeRunware

from lumakit import media
from lumakit.request import DEFAULT_RESOLUTION, OUTPUT_SIZES

GENERATE_FPS = 12  # text/image-to-video frames per second: enough to play and plot, cheap to encode
TINT = 0.35  # how far each frame is pulled towards the prompt's colour


def tint_of(prompt: str) -> np.ndarray:
    """An RGB colour (floats 0..255) drawn from the prompt: the same prompt always gives the same tint."""
    digest = hashlib.sha256(prompt.encode()).digest()
    return np.frombuffer(digest[:3], np.uint8).astype(np.float32)


def decode_media(value: str) -> bytes:
    """The bytes of a data URI or bare base64 string."""
    return base64.b64decode(value.split(",", 1)[1] if value.startswith("data:") else value)


@dataclass
class RenderingRunware(FakeRunware):
    """:class:`FakeRunware` whose files are the uploads themselves and results rendered from the request."""

    polls: int = 1
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="runware-stand-in-")))
    rendered: dict[str, Path] = field(default_factory=dict)
    render_lock: threading.RLock = field(default_factory=threading.RLock)

    job_seconds: float = 1.0  # a job runs this long (Ray: minutes); a status asked at once is "processing"
    started: dict[str, float] = field(default_factory=dict)

    def _task(self, task: dict[str, Any], dry: bool) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        uid = task.get("taskUUID")
        if task.get("taskType") == "videoInference" and not dry:
            self.started.setdefault(uid, time.monotonic())
        elif task.get("taskType") == "getResponse" and uid in self.started:
            ran = time.monotonic() - self.started[uid]
            if ran < self.job_seconds:
                return {"taskType": "videoInference", "taskUUID": uid, "status": "processing",
                        "progress": round(100 * ran / self.job_seconds)}, None  # fmt: skip
        return super()._task(task, dry)

    @property
    def paid_jobs(self) -> int:
        """videoInference tasks sent to run (not dry runs), counted by distinct taskUUID."""
        uids = set()
        for method, _url, headers, body in self.requests:
            if method == "POST" and isinstance(body, list) and headers.get("x-runware-dry-run") != "1":
                uids |= {t.get("taskUUID") for t in body if t.get("taskType") == "videoInference"}
        return len(uids)

    @property
    def paid_tasks(self) -> list[dict[str, Any]]:
        """The wire body of each videoInference task sent to run (not dry runs), once per taskUUID."""
        seen: dict[str, dict[str, Any]] = {}
        for method, _url, headers, body in self.requests:
            if method == "POST" and isinstance(body, list) and headers.get("x-runware-dry-run") != "1":
                for t in body:
                    if t.get("taskType") == "videoInference":
                        seen.setdefault(str(t.get("taskUUID")), t)
        return list(seen.values())

    def _file(self, request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[-1]
        if name in self.uploads:
            return httpx.Response(200, content=decode_media(self.uploads[name].decode()))
        uid = name.removesuffix(".mp4")
        if uid not in self.tasks or not self.tasks[uid].finished:
            return httpx.Response(404, json={"errors": [{"code": "notFound", "message": name}]})
        path = self._render(uid)
        return httpx.Response(200, content=path.read_bytes(), headers={"Content-Type": "video/mp4"})

    # ---- results that follow the request ----
    def _render(self, uid: str) -> Path:
        with self.render_lock:  # one render per task, however many downloads ask (reentrant: chains)
            if uid not in self.rendered:
                out = self.folder / f"{uid}.mp4"
                self._write(self.tasks[uid].wire, out)
                self.rendered[uid] = out
            return self.rendered[uid]

    def _write(self, task: dict[str, Any], out: Path) -> None:
        color = tint_of(str(task.get("positivePrompt", "")))
        inputs = task.get("inputs") or {}
        if "video" in inputs:
            src = self._source(inputs["video"])
            size = (task["width"], task["height"]) if "width" in task else None
            frames = media.iter_frames(src, size=size)
            fps = media.probe(src).fps
        else:
            w, h = (task["width"], task["height"]) if "width" in task else self._tier_size(task)
            first = self._image(inputs.get("frameImages"), w, h)
            n = round(float(task.get("duration", 5)) * GENERATE_FPS)
            frames = (np.roll(first, i * w // max(n, 1), axis=1) for i in range(n))  # a slow pan
            fps = GENERATE_FPS
        tinted = ((1 - TINT) * f + TINT * color for f in frames)
        media.write_video(out, (f.astype(np.uint8) for f in tinted), fps, preset="ultrafast")

    @staticmethod
    def _tier_size(task: dict[str, Any]) -> tuple[int, int]:
        return OUTPUT_SIZES[("16:9", task.get("resolution") or DEFAULT_RESOLUTION)]

    def _source(self, value: str) -> Path:
        """A file of ``inputs.video``: an upload, an earlier result (by videoUUID or URL) or inline data."""
        name = value.rsplit("/", 1)[-1].removesuffix(".mp4")
        by_video_uuid = {str(uuid.uuid5(uuid.NAMESPACE_URL, uid)): uid for uid in self.tasks}
        if name in by_video_uuid or (name in self.tasks and self.tasks[name].finished):
            return self._render(by_video_uuid.get(name, name))
        data = decode_media(self.uploads[name].decode()) if name in self.uploads else decode_media(value)
        path = self.folder / f"source-{hashlib.sha256(data).hexdigest()[:16]}.mp4"
        path.write_bytes(data)
        return path

    def _image(self, anchors: list[dict[str, Any]] | None, w: int, h: int) -> np.ndarray:
        """The first anchor image scaled to (w, h), or a smooth gradient when there is none."""
        if anchors:
            from io import BytesIO

            from PIL import Image

            value = anchors[0]["image"]
            name = value.rsplit("/", 1)[-1]
            data = decode_media(self.uploads[name].decode() if name in self.uploads else value)
            img = Image.open(BytesIO(data)).convert("RGB").resize((w, h))
            return np.asarray(img, np.float32)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        return np.stack([255 * xx / w, 255 * yy / h, np.full_like(xx, 128.0)], -1)


class _Handler(BaseHTTPRequestHandler):
    """One HTTP request in, the fake's ``httpx.Response`` out."""

    server: _Server

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = httpx.Request(
            self.command,
            f"http://{self.headers.get('Host')}{self.path}",
            headers=dict(self.headers),
            content=self.rfile.read(length) if length else b"",
        )
        try:
            response = self.server.fake.handle(request)
        except httpx.TransportError:  # a scripted network fault: drop the connection
            self.close_connection = True
            return
        body = response.read()
        self.send_response(response.status_code)
        for key, value in response.headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: RenderingRunware


class RunwareStandIn:
    """A :class:`RenderingRunware` served on ``127.0.0.1`` (a free port) while the ``with`` block runs."""

    def __init__(self, **fake_options: Any) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}/v1"
        self.fake = RenderingRunware(
            base_url=self.url, files_url=f"http://{host}:{port}/files", **fake_options
        )
        self._server.fake = self.fake
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="runware-stand-in", daemon=True
        )

    @property
    def paid_jobs(self) -> int:
        return self.fake.paid_jobs

    def __enter__(self) -> RunwareStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        shutil.rmtree(self.fake.folder, ignore_errors=True)  # renders and sources; clients keep their copies
