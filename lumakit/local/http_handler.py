"""The local backend's HTTP layer: ``POST /v1`` task arrays, ``GET /files/<name>`` with ``Range``, faults.

It owns what is about HTTP only: body size and ``Content-Length``, the ``Authorization`` header, JSON
decoding, the ``X-Runware-Dry-Run`` header, byte ranges, and the scripted faults that act on the connection
(an HTTP status, a dropped socket, a slow or garbled answer). What a task means is the
:class:`~.backend.Backend`'s job; the fault of a request is handed to it as an argument.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .._files import mime_type
from ..wire.tasks import array_api_key
from .backend import BACKEND, NOTE, Backend
from .faults import STATUS_CODES, Fault, FaultPlan

log = logging.getLogger("lumakit.local")

#: Largest body read without an ``Authorization`` header, to find an authentication task first in it.
MAX_BODY_WITHOUT_HEADER = 1 << 20

_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*")


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` to ``end`` (inclusive) of a file; ``partial`` when answered as 206."""

    start: int
    end: int
    partial: bool

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The bytes a ``Range`` header asks of a file of ``size`` bytes; ``None`` if unsatisfiable (HTTP 416).

    One range is served (``bytes=100-199``, ``bytes=100-``, ``bytes=-50`` for the last 50); a missing,
    malformed or multi-range header, or one whose last byte precedes its first, is ignored: the whole file
    (RFC 9110 §14.2). A range starting at or past the end is unsatisfiable.

    >>> parse_range("bytes=100-199", 1000)
    ByteRange(start=100, end=199, partial=True)
    >>> parse_range("bytes=-50", 1000)
    ByteRange(start=950, end=999, partial=True)
    """
    whole = ByteRange(0, size - 1, partial=False)
    m = _RANGE.fullmatch(header) if header else None
    if m is None or not (m.group(1) or m.group(2)):
        return whole
    first, last = m.group(1), m.group(2)
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if last and int(last) < start:
            return whole
    else:
        start, end = max(0, size - int(last)), size - 1
        if int(last) == 0:
            return None
    if start >= size:
        return None
    return ByteRange(start, end, partial=True)


def request_phase(tasks: Any) -> str | None:
    """The fault-plan phase of a task array: ``submit``, ``poll``, ``upload``, or ``None`` (no faults)."""
    types = {t.get("taskType") for t in tasks if isinstance(t, dict)} if isinstance(tasks, list) else set()
    if "videoInference" in types:
        return "submit"
    if "getResponse" in types:
        return "poll"
    if types & {"mediaStorage", "imageUpload"}:
        return "upload"
    return None


class LocalHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server bound to a :class:`Backend` and a :class:`FaultPlan`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], backend: Backend, faults: FaultPlan, max_body: int) -> None:
        super().__init__(address, Handler)
        self.backend = backend
        self.faults = faults
        self.max_body = max_body

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-request is routine (keep-alive, a browser seek): log, don't print."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            log.debug("client %s went away: %s", client_address, exc)
        else:
            log.error("error while handling a request from %s", client_address, exc_info=True)


class Handler(BaseHTTPRequestHandler):
    """One connection: task arrays on ``POST /v1``, files on ``GET``/``HEAD /files/<name>``."""

    protocol_version = "HTTP/1.1"
    server_version = "lumakit-local/0.1"
    server: LocalHTTPServer

    @property
    def backend(self) -> Backend:
        return self.server.backend

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

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"errors": [{"code": code, "message": message}]})

    def _drop(self) -> None:
        """Close the socket without an answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(2)

    def _fault_answered(self, fault: Fault | None) -> bool:
        """Apply what a fault does before processing. True if the request is answered (or dropped) by it."""
        if fault is None:
            return False
        self.backend.count("faults")
        action = fault.action
        if isinstance(action, int):
            retry = fault.options.get("retry_after")
            headers = {"Retry-After": str(retry)} if retry is not None else None
            error = {
                "code": STATUS_CODES.get(action, "serverError"),
                "message": f"simulated HTTP {action} (fault plan)",
            }
            self._json(action, {"errors": [error]}, headers=headers)
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
        self.backend.count("requests")
        if self.path.split("?")[0].rstrip("/") not in ("/v1", ""):
            self._discard_body()
            self._error(404, "notFound", f"no endpoint {self.path}; POST task arrays to /v1")
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            self._error(411, "lengthRequired", "send Content-Length with the task array")
            return
        if int(length) > self.server.max_body:
            self.close_connection = True
            self._error(
                413,
                "requestTooLarge",
                f"the request is {length} bytes; at most {self.server.max_body}. "
                "Upload large media with mediaStorage first (or send a URL)",
            )
            return
        scheme, _, key = self.headers.get("Authorization", "").partition(" ")
        header_key = scheme.lower() == "bearer" and bool(key.strip())
        if not header_key and int(length) > MAX_BODY_WITHOUT_HEADER:  # not read: too large to carry auth
            self.close_connection = True
            self._refuse_key(f" (a body over {MAX_BODY_WITHOUT_HEADER} bytes needs the header)")
            return
        body = self.rfile.read(int(length))
        bad_json: ValueError | None = None
        try:
            tasks = json.loads(body)
        except (ValueError, UnicodeDecodeError) as e:
            tasks, bad_json = None, e
        if not header_key and array_api_key(tasks) is None:
            self._refuse_key()
            return
        if bad_json is not None:
            self._error(400, "invalidJSON", f"the body is not valid JSON: {bad_json}")
            return
        phase = request_phase(tasks)
        fault = self.server.faults.take(phase) if phase else None
        if self._fault_answered(fault):
            return
        dry_run = self.headers.get("X-Runware-Dry-Run", "").strip().lower() in ("1", "true", "yes")
        answer = self.backend.answer(tasks, dry_run=dry_run, fault=fault)
        if fault is not None and fault.action == "drop_after":
            self._drop()
            return
        self._json(answer.status, answer.payload())

    def _refuse_key(self, why: str = "") -> None:
        self._error(
            401,
            "invalidApiKey",
            "missing or invalid API key: send 'Authorization: Bearer <key>', or an authentication task "
            "first in the array ({'taskType': 'authentication', 'apiKey': '<key>'}); the local backend takes "
            f"any non-empty key{why}",
        )

    def _discard_body(self) -> None:
        length = self.headers.get("Content-Length")
        if length and length.isdigit() and int(length) <= self.server.max_body:
            self.rfile.read(int(length))
        else:
            self.close_connection = True

    # -- GET /files/<name>
    def do_GET(self) -> None:
        self.backend.count("requests")
        raw = self.path.split("?")[0]
        if raw in ("/", "/health", "/v1"):
            self._json(200, {"backend": BACKEND, "note": NOTE, "url": f"{self.backend.base_url}/v1"})
            return
        if not raw.startswith("/files/"):
            self._error(404, "notFound", f"no such path {raw}")
            return
        path = self.backend.store.file_path(urllib.parse.unquote(raw[len("/files/") :]))
        if path is None:
            self._error(404, "notFound", "no such file")
            return
        if self._fault_answered(self.server.faults.take("download")):
            return
        self.backend.count("downloads")
        self._send_file(path)

    do_HEAD = do_GET

    def _send_file(self, path: Path) -> None:
        size = path.stat().st_size
        ctype = mime_type(path)
        span = parse_range(self.headers.get("Range"), size)
        if span is None:
            self._send(416, b"", ctype, {"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"})
            return
        self.send_response(206 if span.partial else 200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(span.length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "public, max-age=3600")
        if span.partial:
            self.send_header("Content-Range", f"bytes {span.start}-{span.end}/{size}")
        self.end_headers()
        if self.command == "HEAD":
            return
        with open(path, "rb") as f:
            f.seek(span.start)
            left = span.length
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
