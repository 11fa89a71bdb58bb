"""The client's HTTP session with the service: one POST endpoint, retries where safe, atomic downloads.

The key is sent only to the task endpoint, as ``Authorization: Bearer``; downloads never carry it (result
URLs are on a CDN, not on the API host), and answers are scrubbed of it before anyone reads them
(:mod:`._secrets`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from .._files import atomic_path
from .._version import __version__
from ..errors import APIError, RequestError
from ..wire.answers import NETWORK_ERROR, RETRIABLE_STATUS, body_of, error_from
from ._polling import RetryPolicy, parse_retry_after
from ._secrets import Secret, redact, redact_obj

log = logging.getLogger("lumakit.client")

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

INSECURE_HTTP_ENV = "LUMAKIT_ALLOW_INSECURE_HTTP"


def _on_this_machine(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def check_key_transport(base_url: str, api_key: Secret) -> None:
    """Refuse to send an API key over plain ``http://`` to a host that is not this machine.

    The key would cross the network in clear text. ``LUMAKIT_ALLOW_INSECURE_HTTP=1`` allows it for people
    who know why (a TLS-terminating proxy on a trusted network); loopback (``127.0.0.1``, ``localhost``,
    ``[::1]``) is always allowed, and so is a client that sends no key (the local backend's stand-in, a
    keyless proxy).
    """
    url = httpx.URL(base_url)
    if api_key.placeholder or url.scheme != "http" or _on_this_machine(url.host.lower()):
        return
    if os.environ.get(INSECURE_HTTP_ENV, "").strip().lower() in ("1", "true", "yes"):
        log.warning("sending the API key over plain http to %s (%s=1)", url.host, INSECURE_HTTP_ENV)
        return
    raise RequestError(
        "base_url",
        base_url,
        "an https:// URL (or http:// to this machine: 127.0.0.1, localhost, [::1])",
        message=(
            f"base_url={base_url!r} is plain http to another host: the API key would cross the network in "
            f"clear text. Use https://, or set {INSECURE_HTTP_ENV}=1 if you know why. Nothing was sent"
        ),
    )


def read_body(resp: httpx.Response) -> dict[str, Any]:
    """The JSON body of an answer, with any echoed secret scrubbed (it may end up in an exception or file)."""
    return redact_obj(body_of(resp.content))


# ---- the transport -------------------------------------------------------------------------------------
class DownloadIncomplete(httpx.TransportError):
    """The body ended before Content-Length bytes (retried like a dropped connection)."""


class HttpSession:
    """POSTs task arrays to the endpoint and downloads results, with retries where they are safe."""

    def __init__(
        self,
        base_url: str,
        api_key: Secret,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        clock: Clock | None = None,
    ) -> None:
        check_key_transport(base_url, api_key)  # before any connection: never a key in clear text
        self.base_url = base_url
        self._key = api_key
        self.retry = retry or RetryPolicy()
        self.sleep: Sleep = sleep or asyncio.sleep
        self.clock: Clock = clock or time.monotonic
        self._rng = random.Random()
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout or httpx.Timeout(60.0, connect=10.0, write=120.0),
            follow_redirects=True,
            headers={"User-Agent": f"lumakit/{__version__}"},
        )

    def __repr__(self) -> str:
        return f"HttpSession(base_url={self.base_url!r}, api_key=***)"

    async def aclose(self) -> None:
        await self._http.aclose()

    def _headers(self, dry_run: bool) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._key.reveal()}", "Content-Type": "application/json"}
        if dry_run:
            headers["X-Runware-Dry-Run"] = "1"
        return headers

    async def post_once(self, tasks: Sequence[Mapping[str, Any]], *, dry_run: bool = False) -> httpx.Response:
        """One POST, no retry: the caller decides what an exception means (a submit must not be re-sent)."""
        log.debug("POST %s %s", self.base_url, ",".join(str(t.get("taskType")) for t in tasks))
        return await self._http.post(self.base_url, json=list(tasks), headers=self._headers(dry_run))

    async def post(
        self, tasks: Sequence[Mapping[str, Any]], *, dry_run: bool = False, what: str = "request"
    ) -> tuple[int, dict[str, Any]]:
        """POST an idempotent task array (getResponse, uploads, dry runs) with retries.

        Returns ``(status, body)`` for any answer that is not worth retrying (including 4xx: the caller
        reads the per-task errors). Raises :class:`APIError` once retries run out.
        """

        async def attempt() -> httpx.Response:
            return await self.post_once(tasks, dry_run=dry_run)

        resp = await self._with_retries(attempt, what)
        return resp.status_code, read_body(resp)

    async def _with_retries(self, call: Callable[[], Awaitable[Any]], what: str) -> Any:
        policy = self.retry
        for attempt in range(1, policy.max_attempts + 1):
            last = attempt == policy.max_attempts
            try:
                resp = await call()
            except httpx.TransportError as exc:
                if last:
                    raise APIError(
                        f"{what} failed after {attempt} attempts: {type(exc).__name__}: {redact(str(exc))}",
                        code=NETWORK_ERROR,
                    ) from exc
                delay = policy.delay(attempt, rng=self._rng)
                log.info("%s: %s, retry %d in %.2f s", what, type(exc).__name__, attempt, delay)
                await self.sleep(delay)
                continue
            if isinstance(resp, httpx.Response) and resp.status_code in RETRIABLE_STATUS:
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                if last:
                    body = read_body(resp)
                    err = (body.get("errors") or [{}])[0]
                    err = {"message": f"{what}: HTTP {resp.status_code}", **err}
                    raise error_from(err, resp.status_code, retry_after=retry_after)
                delay = policy.delay(attempt, retry_after, rng=self._rng)
                log.info("%s: HTTP %d, retry %d in %.2f s", what, resp.status_code, attempt, delay)
                await self.sleep(delay)
                continue
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    async def download(
        self, url: str, dest: Path, *, on_bytes: Callable[[int, int | None], None] | None = None
    ) -> int:
        """Stream ``url`` to ``dest`` atomically (temp file + ``os.replace``); retried; returns the size.

        A download that stops midway (error, cancel, KeyboardInterrupt) leaves no file at ``dest``.
        """
        dest.parent.mkdir(parents=True, exist_ok=True)

        async def attempt() -> int | httpx.Response:
            async with self._http.stream("GET", url) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    if resp.status_code in RETRIABLE_STATUS:
                        return resp
                    raise APIError(
                        f"download of the result failed: HTTP {resp.status_code}",
                        code="downloadFailed",
                        status_code=resp.status_code,
                    )
                expected = resp.headers.get("Content-Length")
                encoded = resp.headers.get("Content-Encoding", "identity") != "identity"
                total = int(expected) if expected and expected.isdigit() and not encoded else None
                size = 0
                with atomic_path(dest) as tmp:
                    with open(tmp, "wb") as fh:
                        async for chunk in resp.aiter_bytes():
                            fh.write(chunk)
                            size += len(chunk)
                            if on_bytes is not None:
                                on_bytes(size, total)
                        fh.flush()
                        os.fsync(fh.fileno())
                    if total is not None and size != total:
                        raise DownloadIncomplete(f"got {size} of {total} bytes")
                    if size == 0:
                        raise DownloadIncomplete("empty body")
                return size

        return await self._with_retries(attempt, "download")
