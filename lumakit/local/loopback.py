"""The one rule for every request the local backend makes itself: this machine only, no redirect, no proxy.

    loopback_address("http://localhost:8080/clip.mp4")   # "127.0.0.1" (or "::1"); None for any other host
    status, body = request("GET", url, timeout=5.0, limit=200 << 20)

The local backend fetches media URLs (``inputs.video``, ``inputs.frameImages``, ``media``) and POSTs webhooks.
Both go through :func:`request`, under one rule:

- the host is an IP address on loopback (``127.0.0.0/8``, ``::1``) or the name ``localhost``, which is
  resolved here and must resolve to loopback addresses only; any other name is refused without a DNS lookup
  (a name could be re-bound to another address between the check and the connection);
- the connection goes to the address that was checked (never to a second resolution of the name);
- no proxy (proxy environment variables are ignored) and no redirect (a 3xx is an answer, not a hop);
- bounded: ``timeout`` seconds for the whole exchange and at most ``limit + 1`` bytes of body read.

A URL that breaks the rule raises :class:`Refused` before any socket is opened.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import time
import urllib.parse
from collections.abc import Callable, Mapping

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
RULE = (
    "only http(s) URLs on this machine (127.0.0.1, localhost or [::1]), answered at once "
    "(no redirect, no proxy)"
)

#: ``resolve(host, port) -> [address, ...]`` (tests pass one that needs no resolver).
Resolver = Callable[[str, int], list[str]]


class Refused(OSError):
    """A URL off loopback, or a loopback exchange that broke a bound (time, size, redirect)."""


def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver; ``/etc/hosts`` for ``localhost``)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def loopback_address(url: str, resolve: Resolver = system_resolve) -> str | None:
    """The loopback address to connect to for an http(s) ``url``, or ``None`` if the rule refuses it."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:  # a name: only "localhost", and only if it resolves to loopback alone
        if host != "localhost":
            return None
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            return None
        if not addresses or not all(_is_loopback(a) for a in addresses):
            return None
        return addresses[0]
    return host if _is_loopback(host) else None


def request(
    method: str,
    url: str,
    *,
    timeout: float,
    limit: int,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    resolve: Resolver = system_resolve,
) -> tuple[int, bytes]:
    """One HTTP exchange under the rule: ``(status, at most limit + 1 bytes of body)``.

    Raises:
      Refused: the URL is off loopback, or the exchange took longer than ``timeout`` seconds.
      OSError: the connection failed (refused, reset, ...).
    """
    address = loopback_address(url, resolve)
    if address is None:
        raise Refused(f"{url}: {RULE}")
    parts = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + timeout
    cls = http.client.HTTPSConnection if parts.scheme.lower() == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname or address, parts.port, timeout=timeout)  # Host header: the URL's host

    def to_checked_address(where: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        return socket.create_connection((address, where[1]), timeout=timeout)

    conn._create_connection = to_checked_address  # type: ignore[attr-defined]
    try:
        path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        conn.request(method, path, body=body, headers=dict(headers or {}))
        response = conn.getresponse()
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Refused(f"{url}: timed out (no complete answer within {timeout:g} s)")
            if conn.sock is not None:
                conn.sock.settimeout(left)
            chunk = response.read1(min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return response.status, b"".join(chunks)
    except TimeoutError:
        raise Refused(f"{url}: timed out (no complete answer within {timeout:g} s)") from None
    finally:
        conn.close()
