"""Webhooks of the local backend: a finished task's answer POSTed to its ``webhookURL``, on loopback only.

    url = webhook_url(task)              # at submit: the URL if on loopback, else None
    note = not_called(task)              # the answer's note for a webhookURL on another host
    hooks = Webhooks(timeout=5.0)
    hooks.post(url, item, task_uuid)     # returns at once; the POST runs on the webhook thread

Runware POSTs a task's result to ``webhookURL`` when the task finishes. The local backend POSTs the JSON
object ``getResponse`` answers for the finished task (the success item, with its ``videoURL``; for a failed
task, its error object), but only to 127.0.0.1, localhost or ::1: a preview tool on a laptop never calls
out to other hosts. A task naming another host is accepted (a notebook written for Runware runs unchanged)
and its answer says the webhook was not called. The POST runs on its own thread under the rule every
request of the local backend follows (:mod:`.loopback`: a checked loopback address, a short timeout, no
redirect, no proxy); a failure is logged (``lumakit.local``) and counted, never raised into a render or a
request.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import loopback

log = logging.getLogger("lumakit.local")

LOOPBACK_HOSTS = loopback.LOOPBACK_NAMES
TIMEOUT = 5.0  # seconds a webhook receiver has to answer
WORKERS = 2  # webhook POSTs in flight at once


def webhook_url(task: dict[str, Any]) -> str | None:
    """The task's ``webhookURL`` if the local backend calls it (a loopback host), else None.

    The request model has already checked that it is an http(s) URL. Any host is accepted, so a notebook
    written for Runware runs unchanged; another host's is never called (:func:`not_called` says so).
    """
    url = task.get("webhookURL")
    if url is None or loopback.loopback_address(str(url)) is None:
        return None
    return str(url)


def not_called(task: dict[str, Any]) -> str | None:
    """What the answer says of a ``webhookURL`` on another host (it is not called), or None."""
    url = task.get("webhookURL")
    if url is None or webhook_url(task) is not None:
        return None
    host = urllib.parse.urlsplit(str(url)).hostname
    return (
        f"webhookURL host {host!r} was not called: the local backend calls loopback webhooks only "
        "(127.0.0.1, localhost, [::1]); Runware would POST the result there"
    )


def post_json(url: str, item: dict[str, Any], timeout: float) -> int:
    """POST ``item`` as JSON to ``url`` under :mod:`.loopback`'s rule: the 2xx status, else ``OSError``."""
    body = json.dumps(item, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    status, _ = loopback.request("POST", url, timeout=timeout, limit=1 << 16, body=body, headers=headers)
    if not 200 <= status < 300:  # a 3xx too: a redirect could lead off loopback, it is never followed
        raise OSError(f"HTTP {status}")
    return status


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
            reason = getattr(e, "reason", e)
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
