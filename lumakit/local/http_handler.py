"""The local backend's HTTP layer: ``POST /v1`` task arrays, ``GET /files/<name>`` with ``Range``, faults.

It owns what is about HTTP only: the ``Host`` header, body size and ``Content-Length``, the ``Authorization``
header, JSON decoding, the ``X-Runware-Dry-Run`` header, byte ranges, and the scripted faults that act on the
connection (an HTTP status, a dropped socket, a slow or garbled answer). What a task means is the
:class:`~.backend.Backend`'s job; the fault of a request is handed to it as an argument.

For this machine only, and never left without an answer:

- ``Host`` must name loopback (``127.0.0.1``, ``localhost``, ``[::1]``) with the server's port, else 421:
  a web page whose name was re-bound to 127.0.0.1 (DNS rebinding) cannot drive the server.
- A body is at most ``max_body`` bytes (413) and ``MAX_TASKS`` tasks (400); every socket read times out after
  ``read_timeout`` seconds (the connection is closed: a body that never comes holds no thread for long).
  Bodies over ``LARGE_BODY`` are read and parsed one at a time (memory stays that of one upload); another
  waits up to ``read_timeout`` seconds for its turn, then gets 503 with ``Retry-After``.
- Anything that goes wrong while reading or parsing a request is a 400 ``invalidRequestBody``, never a dead
  handler. Every answer carries ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .._files import mime_type
from ..wire.answers import INVALID_REQUEST_BODY
from ..wire.tasks import array_api_key
from .backend import BACKEND, NOTE, Backend
from .faults import STATUS_CODES, Fault, FaultPlan

log = logging.getLogger("lumakit.local")

#: Largest body read without an ``Authorization`` header, to find an authentication task first in it.
MAX_BODY_WITHOUT_HEADER = 1 << 20

_RANGE = re.compile(r"\s*bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)\s*", re.ASCII)
_LENGTH = re.compile(r"[0-9]{1,15}", re.ASCII)
_HUGE = 10**18  # a byte position with more digits than this is past the end of any file

MAX_TASKS = 1000  # tasks in one request body [ours]
READ_TIMEOUT = 30.0  # seconds one socket read may wait [ours]
LARGE_BODY = 16 * 1024 * 1024  # bytes; bodies over this are read and parsed one at a time [ours]
MIN_BODY_RATE = 1024 * 1024  # bytes a second a body must arrive at, on average, after READ_TIMEOUT [ours]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


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
    first, last = _position(m.group(1)), _position(m.group(2))
    if first is not None:
        start = first
        end = min(last, size - 1) if last is not None else size - 1
        if last is not None and last < start:
            return whole
    else:
        assert last is not None
        start, end = max(0, size - last), size - 1
        if last == 0:
            return None
    if start >= size:
        return None
    return ByteRange(start, end, partial=True)


def _position(digits: str) -> int | None:
    """A byte position of a ``Range`` header (ASCII digits; any number of them), or None if absent."""
    if not digits:
        return None
    return int(digits) if len(digits) <= 18 else _HUGE


def content_length(header: str | None) -> int | None:
    """The body size a ``Content-Length`` header gives, or None if it is not plain ASCII digits."""
    if header is None or not _LENGTH.fullmatch(header.strip()):
        return None
    return int(header.strip())


def host_allowed(header: str | None, port: int) -> bool:
    """True if a ``Host`` header names loopback with ``port`` (``127.0.0.1:8787``, ``localhost:8787``,
    ``[::1]:8787``): what a page of another site, re-bound to 127.0.0.1, cannot send."""
    if not header:
        return False
    host, sep, given = header.strip().lower().rpartition(":")
    return bool(sep) and host in LOOPBACK_HOSTS and given == str(port)


def request_phase(tasks: Any) -> str | None:
    """The fault-plan phase of a task array: ``submit``, ``poll``, ``upload``, or ``None`` (no faults)."""
    if not isinstance(tasks, list):
        return None
    types = {t.get("taskType") for t in tasks if isinstance(t, dict) and isinstance(t.get("taskType"), str)}
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

    def __init__(
        self,
        address: tuple[str, int],
        backend: Backend,
        faults: FaultPlan,
        max_body: int,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        super().__init__(address, Handler)
        self.backend = backend
        self.faults = faults
        self.max_body = max_body
        self.read_timeout = read_timeout
        self.large_bodies = threading.BoundedSemaphore(1)  # memory: one large upload parsed at a time

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

    def setup(self) -> None:
        self.request.settimeout(self.server.read_timeout)  # every read of this connection
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    # -- answers
    def _send(
        self, status: int, body: bytes, ctype: str = "application/json", headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
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

    def _host_refused(self) -> bool:
        """Answer 421 (and close) when ``Host`` is not this server on loopback. True if refused."""
        if host_allowed(self.headers.get("Host"), self.server.server_address[1]):
            return False
        self.close_connection = True
        self._error(
            421,
            "misdirectedRequest",
            "this local backend answers only requests for itself on this machine "
            f"(Host: 127.0.0.1:{self.server.server_address[1]}, localhost:<port> or [::1]:<port>)",
        )
        return True

    def _refuse_body(self, message: str) -> None:
        self.close_connection = True
        self._error(400, INVALID_REQUEST_BODY, message)

    # -- POST /v1
    def do_POST(self) -> None:
        self.backend.count("requests")
        if self._host_refused():
            return
        if self.path.split("?")[0].rstrip("/") not in ("/v1", ""):
            self._discard_body()
            self._error(404, "notFound", f"no endpoint {self.path}; POST task arrays to /v1")
            return
        raw_length = self.headers.get("Content-Length")
        length = content_length(raw_length)
        if length is None:
            self.close_connection = True
            if raw_length is None:
                self._error(411, "lengthRequired", "send Content-Length with the task array")
            else:
                self._refuse_body("Content-Length must be a number of bytes (ASCII digits)")
            return
        if length > self.server.max_body:
            self.close_connection = True
            self._error(
                413,
                "requestTooLarge",
                f"the request is {length} bytes; at most {self.server.max_body}. "
                "Upload large media with mediaStorage first",
            )
            return
        scheme, _, key = self.headers.get("Authorization", "").partition(" ")
        header_key = scheme.lower() == "bearer" and bool(key.strip())
        if not header_key and length > MAX_BODY_WITHOUT_HEADER:  # not read: too large to carry auth
            self.close_connection = True
            self._refuse_key(f" (a body over {MAX_BODY_WITHOUT_HEADER} bytes needs the header)")
            return
        large = length > LARGE_BODY
        if large and not self.server.large_bodies.acquire(timeout=self.server.read_timeout):
            self.close_connection = True
            self._json(
                503,
                {"errors": [{"code": "serverBusy", "message": "another large request is being read; retry"}]},
                headers={"Retry-After": "2"},
            )
            return
        try:
            self._read_and_answer(length, header_key)
        finally:
            if large:
                self.server.large_bodies.release()

    def _read_body(self, length: int) -> bytearray | None:
        """The body, or None when it stopped coming: a read waited ``read_timeout`` seconds, or the whole
        body took longer than ``read_timeout`` plus one second per :data:`MIN_BODY_RATE` bytes."""
        deadline = time.monotonic() + self.server.read_timeout + length / MIN_BODY_RATE
        body = bytearray()  # grows with what arrives: a claimed length allocates nothing by itself
        try:
            while len(body) < length:
                if time.monotonic() > deadline:
                    return None
                chunk = self.rfile.read1(min(length - len(body), 1 << 20))  # type: ignore[attr-defined]
                if not chunk:
                    return None
                body += chunk
        except OSError as e:  # TimeoutError: the body stopped coming; the client is gone or stuck
            log.debug("request body from %s not read: %s", self.client_address, e)
            return None
        return body

    def _read_and_answer(self, length: int, header_key: bool) -> None:
        body = self._read_body(length)
        if body is None:
            self.close_connection = True
            return
        bad_json: ValueError | None = None
        try:
            tasks = json.loads(body)
        except (ValueError, UnicodeDecodeError) as e:
            tasks, bad_json = None, e
        except RecursionError:
            self._refuse_body("the body is nested too deeply to be a task array")
            return
        finally:
            del body  # a large upload: its text lives on in ``tasks`` alone
        try:
            if not header_key and array_api_key(tasks) is None:
                self._refuse_key()
                return
            if bad_json is not None:
                self._error(400, "invalidJSON", f"the body is not valid JSON: {bad_json}")
                return
            if isinstance(tasks, list) and len(tasks) > MAX_TASKS:
                self._refuse_body(f"{len(tasks)} tasks in one request; at most {MAX_TASKS} (send several)")
                return
            self._answer(tasks)
        except (BrokenPipeError, ConnectionResetError):  # the client hung up (it stopped waiting)
            log.info("request from %s: the client hung up before its answer", self.client_address)
            self.close_connection = True
        except OSError as e:  # the disk (a read-only or full data folder), or the connection itself
            log.error("request from %s failed", self.client_address, exc_info=True)
            self.close_connection = True
            with contextlib.suppress(OSError):  # if the connection is what failed, nobody hears this
                self._error(500, "serverError", f"the local backend could not store this ({e.strerror or e})")
        except Exception as e:  # an input no check foresaw: a clean 400, never a dead handler
            log.error("request from %s could not be read", self.client_address, exc_info=True)
            self._refuse_body(f"the server could not read this request ({type(e).__name__})")

    def _answer(self, tasks: Any) -> None:
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
        length = content_length(self.headers.get("Content-Length"))
        if length is not None and length <= self.server.max_body:
            self.rfile.read(length)
        else:
            self.close_connection = True

    # -- GET /files/<name>
    def do_GET(self) -> None:
        self.backend.count("requests")
        if self._host_refused():
            return
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
        self.send_header("X-Content-Type-Options", "nosniff")
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
