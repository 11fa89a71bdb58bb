"""Webhooks of the local backend: a finished task's answer POSTed to its ``webhookURL``, on loopback only.

    url = webhook_url(task)              # at submit: None, or the URL; TaskError (400) if not on loopback
    hooks = Webhooks(timeout=5.0)
    hooks.post(url, item, task_uuid)     # returns at once; the POST runs on the webhook thread

Runware POSTs a task's result to ``webhookURL`` when the task finishes. The local backend POSTs the JSON
object ``getResponse`` answers for the finished task (the success item, with its ``videoURL``; for a failed
task, its error object), but only to 127.0.0.1, localhost or ::1: a preview tool on a laptop never calls
out to other hosts. The POST runs on its own thread with a short timeout, follows no redirect and uses no
proxy; a failure is logged (``lumakit.local``) and counted, never raised into a render or a request.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.error import HTTPError

from ..wire.answers import TaskError

log = logging.getLogger("lumakit.local")

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
TIMEOUT = 5.0  # seconds a webhook receiver has to answer
WORKERS = 2  # webhook POSTs in flight at once


def webhook_url(task: dict[str, Any]) -> str | None:
    """The task's ``webhookURL``, or None; one that is not on loopback is refused (400, ``webhookURL``).

    The request model has already checked that it is an http(s) URL.
    """
    url = task.get("webhookURL")
    if url is None:
        return None
    host = urllib.parse.urlsplit(str(url)).hostname
    if host not in LOOPBACK_HOSTS:
        raise TaskError(
            "invalidWebhookURL",
            f"webhookURL host {host!r}: the local backend only calls loopback webhooks "
            "(http://127.0.0.1:<port>/..., localhost or [::1]); leave webhookURL out, or point it at a "
            "receiver on this machine",
            "webhookURL",
            allowed=list(LOOPBACK_HOSTS),
        )
    return str(url)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect could lead off loopback: treat it as the receiver's answer (an error), never follow it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def post_json(url: str, item: dict[str, Any], timeout: float) -> int:
    """POST ``item`` as JSON to ``url`` (no proxy, no redirect): the 2xx status, else ``OSError``."""
    body = json.dumps(item, ensure_ascii=False).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with _OPENER.open(request, timeout=timeout) as response:  # not 2xx: urllib.error.HTTPError
        return int(response.status)


class Webhooks:
    """Posts finished tasks to their webhooks on :data:`WORKERS` threads of its own.

    Args:
      timeout: seconds a receiver has to answer.
      count: called with ``"webhooks"`` for each POST a receiver accepted, ``"webhook_failures"`` for
        each that failed (the backend's ``stats``).
    """

    def __init__(self, *, timeout: float = TIMEOUT, count: Callable[[str], None] | None = None) -> None:
        self.timeout = timeout
        self._count = count or (lambda name: None)
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    def post(self, url: str, item: dict[str, Any], task_uuid: str) -> None:
        """Queue the POST of ``item`` to ``url`` and return at once."""
        with self._lock:
            if self._closed:
                log.warning("webhook for task %s not sent: the local backend is closing", task_uuid)
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="lumakit-webhook")
            self._pool.submit(self._send, url, item, task_uuid)

    def _send(self, url: str, item: dict[str, Any], task_uuid: str) -> None:
        try:
            post_json(url, item, self.timeout)
        except Exception as e:  # whatever the receiver does, the server goes on: log it
            self._count("webhook_failures")
            reason = f"HTTP {e.code} {e.reason}" if isinstance(e, HTTPError) else getattr(e, "reason", e)
            log.warning("webhook POST to %s for task %s failed: %s", url, task_uuid, reason)
            return
        self._count("webhooks")

    def close(self) -> None:
        """Take no new POSTs; those queued still run (each within the timeout)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)
