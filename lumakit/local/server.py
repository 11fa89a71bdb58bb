"""The local backend as a server: a Runware-protocol HTTP endpoint on 127.0.0.1 with the preview renderer.

    with LocalServer(latency=Latency(processing_time=2), faults=FaultPlan([("poll", 429)])) as server:
        server.url      # "http://127.0.0.1:<port>/v1": POST a JSON array of tasks there, as to Runware
        server.stats    # requests seen, jobs created, re-sent submits, faults fired, ...

A thin façade over three layers: :mod:`.backend` (task arrays in, answers out; no sockets),
:mod:`.http_handler` (HTTP, ``Range``, connection faults) and :mod:`.ingest` (media in). ``docs/protocol.md``
describes what it answers. It binds 127.0.0.1 only and never imports the client (it is the other side of the
wire).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from ..errors import RequestError
from .backend import Backend
from .faults import FaultPlan, Latency
from .http_handler import READ_TIMEOUT, LocalHTTPServer
from .jobs import RenderJob
from .store import Store, default_data_dir

log = logging.getLogger("lumakit.local")

HOST = "127.0.0.1"
MAX_BODY = 200 * 1024 * 1024  # bytes; 413 beyond
FETCH_TIMEOUT = 5.0  # seconds for fetching a media URL of another server on this machine


class LocalServer:
    """The embedded backend. ``port=0`` picks a free port; ``url`` is the task endpoint.

    Args:
      data_dir: results, uploads and the index (default ``$LUMAKIT_CACHE_DIR/local-backend``).
      port: TCP port on 127.0.0.1 (0: any free one).
      latency: :class:`Latency`, a number (processing seconds) or a dict; simulated service time.
      faults: :class:`FaultPlan` or a list of rules; scripted failures (see :mod:`lumakit.local.faults`).
      workers: render jobs that run at once.
      max_body: request size bound in bytes (HTTP 413 beyond).
      fetch_timeout: seconds allowed to fetch a media URL of another server on this machine.
      read_timeout: seconds one socket read may wait before the connection is closed.
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
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port <= 65535:
            raise RequestError("port", port, "an integer from 0 to 65535 (0: any free port)")
        self.store = Store(data_dir if data_dir is not None else default_data_dir())
        self.data_dir = self.store.root
        self.requested_port = port
        self.faults = faults if isinstance(faults, FaultPlan) else FaultPlan(faults or ())
        self.max_body = max_body
        self.read_timeout = read_timeout
        self.backend = Backend(
            self.store,
            latency=Latency.coerce(latency),
            workers=workers,
            fetch_timeout=fetch_timeout,
            max_body=max_body,
        )
        self._httpd: LocalHTTPServer | None = None

    @property
    def latency(self) -> Latency:
        return self.backend.latency

    @property
    def stats(self) -> dict[str, int]:
        """Counters: ``requests``, ``submits``, ``resends`` (identical re-sent submits), ``jobs_created``,
        ``polls``, ``uploads``, ``downloads``, ``dry_runs``, ``faults``, ``fetches`` (URLs of other hosts)."""
        return self.backend.stats

    @property
    def jobs(self) -> dict[str, RenderJob]:
        """The render jobs of this run, by taskUUID."""
        return self.backend.jobs

    # ---- lifecycle
    def start(self) -> LocalServer:
        """Bind 127.0.0.1 and serve on a daemon thread. Returns ``self``."""
        if self._httpd is not None:
            return self
        self._httpd = LocalHTTPServer(
            (HOST, self.requested_port), self.backend, self.faults, self.max_body, self.read_timeout
        )
        self.backend.serve_at(self.base_url)
        threading.Thread(target=self._httpd.serve_forever, name="lumakit-local", daemon=True).start()
        log.info("lumakit local backend at %s (local preview renderer, not Ray)", self.url)
        return self

    def stop(self) -> None:
        """Stop serving; running jobs finish in the background threads."""
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        self.backend.close()

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

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"LocalServer({where}, data_dir={str(self.data_dir)!r})"


_shared: LocalServer | None = None
_shared_lock = threading.Lock()


def shared_server() -> LocalServer:
    """The process-wide local backend, started on first use (daemon thread, data in the lumakit cache dir)."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.running:
            _shared = LocalServer().start()
        return _shared
