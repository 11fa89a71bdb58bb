"""Getting media in: a URL, a data URI or bare base64 becomes a file in the :class:`~.store.Store`.

    ingest = Ingest(store, own_base_url="http://127.0.0.1:8787")
    uid, name = ingest.store_media("data:video/mp4;base64,AAAA...", "media", "invalidMedia")
    path = ingest.source_path(Source("uuid", uid), "video", "invalidVideo")

A URL of this very server (``<own_base_url>/files/<name>``) is read from the data folder, not fetched; a URL
of another server on this machine is fetched once under :mod:`.loopback`'s rule (a loopback address, no
redirect, no proxy, within ``fetch_timeout`` seconds and ``max_body`` bytes). Any other URL is refused before
anything is fetched, and every failure of a fetch gets the same text (no probing of ports by error messages).
``file://`` URLs are refused: the server never reads its host's files. Every failure is a :class:`TaskError`
naming the parameter.
"""

from __future__ import annotations

import binascii
import re
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..request import Source
from ..wire.answers import TaskError
from . import loopback
from .store import Store, sniff

IMAGE_EXTS = (".png", ".jpg", ".gif", ".webp")
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
_SOURCE_WIRE = {"video": "inputs.video", "image": "inputs.frameImages"}

#: ``fetch(url, timeout, limit) -> bytes`` (at most ``limit + 1`` bytes); raises ``OSError``/``ValueError``.
Fetcher = Callable[[str, float, int], bytes]


def fetch_url(url: str, timeout: float, limit: int) -> bytes:
    """GET ``url`` under :mod:`.loopback`'s rule; any answer but 200 is an ``OSError``."""
    status, body = loopback.request("GET", url, timeout=timeout, limit=limit)
    if status != 200:
        raise OSError(f"HTTP {status}")
    return body


_BASE64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_ASCII_SPACE = b" \t\n\r\v\f"


def decode_b64(value: str, parameter: str, code: str) -> bytes:
    """Bytes of a data URI (``data:<mime>;base64,...``) or of bare base64 (whitespace ignored).

    Large uploads come this way, so the text is copied once (to ASCII bytes) and decoded from a view of it.
    """
    start = 0
    if value.startswith("data:"):
        comma = value.find(",")
        if comma < 0 or ";base64" not in value[:comma]:
            raise TaskError(code, "a data URI must be base64 (data:<mime>;base64,...)", parameter)
        start = comma + 1
    invalid = TaskError(code, f"{parameter} is neither a URL, a UUID, a data URI nor valid base64", parameter)
    try:
        raw = value.encode("ascii")
    except UnicodeEncodeError:
        raise invalid from None
    text = memoryview(raw)[start:]
    if any(raw.find(c, start) >= 0 for c in _ASCII_SPACE):
        text = memoryview(bytes(text).translate(None, _ASCII_SPACE))
    try:
        if sys.version_info >= (3, 11):
            return binascii.a2b_base64(text, strict_mode=True)  # checks as it decodes: no extra pass
        if not _BASE64.fullmatch(text):
            raise invalid
        return binascii.a2b_base64(text)
    except binascii.Error:
        raise invalid from None


@dataclass
class Ingest:
    """Media in, for one data folder.

    Attributes:
      store: where files go.
      own_base_url: this server's ``http://127.0.0.1:<port>``; its ``/files/`` URLs are read from ``store``.
      fetch_timeout: seconds allowed to fetch a URL of another server on this machine.
      max_body: largest media fetched, in bytes (the same refusal as any failed fetch beyond).
      fetch: the function that GETs another loopback server's URL (tests pass one that counts or refuses);
        it is only called for a URL :func:`.loopback.loopback_address` accepts.
      resolve: how ``localhost`` is resolved for that check.
    """

    store: Store
    own_base_url: str = "http://127.0.0.1:0"
    fetch_timeout: float = 5.0
    max_body: int = 200 * 1024 * 1024
    fetch: Fetcher = fetch_url
    resolve: loopback.Resolver = loopback.system_resolve

    def store_media(
        self, value: object, parameter: str, code: str, *, images_only: bool = False
    ) -> tuple[str, str]:
        """Store media given as a URL, a data URI or bare base64 under a fresh UUID: ``(uuid, file name)``."""
        if not isinstance(value, str) or not value or value.isspace():
            raise TaskError(code, f"{parameter} must be a URL, a data URI or base64 content", parameter)
        if value[0].isspace() or value[-1].isspace():
            value = value.strip()
        head = value[:8].lower()  # never a copy of a 200 MB upload
        if head.startswith("file:"):
            raise TaskError(
                code,
                "file:// URLs are refused: the server does not read its host's files; "
                "send the content (base64 or data URI) or an http(s) URL",
                parameter,
            )
        if head.startswith(("http://", "https://")):
            own = self._own_file(value, parameter, code)
            data = own.read_bytes() if own is not None else self._fetch(value, parameter, code)
        else:
            data = decode_b64(value, parameter, code)
        ext = sniff(data)
        if ext is None:
            raise TaskError(
                code,
                f"{parameter} is not a video or image this server reads "
                "(MP4, MOV, WebM, PNG, JPEG, GIF, WebP)",
                parameter,
            )
        kind = "image" if ext in IMAGE_EXTS else "media"
        if images_only and kind != "image":
            raise TaskError(
                code, f"{parameter} must be an image (PNG, JPEG, GIF, WebP), got {ext[1:]}", parameter
            )
        return self.store.add_bytes(data, ext, kind)

    def source_path(self, source: Source, parameter: str, code: str) -> Path:
        """The file behind a task's source (``parameter``: ``video`` or ``image``), stored if it is inline."""
        wire = _SOURCE_WIRE.get(parameter, parameter)
        if source.kind == "uuid":
            hit = self.store.lookup(source.value)
            if hit is None:
                raise TaskError(
                    code,
                    f"no video or media with UUID {source.value} on this local backend "
                    "(results and uploads of this data folder only)",
                    wire,
                )
            return hit[0]
        uid, _ = self.store_media(source.value, wire, code)
        hit = self.store.lookup(uid)
        assert hit is not None
        return hit[0]

    def _own_file(self, url: str, parameter: str, code: str) -> Path | None:
        parts = urllib.parse.urlsplit(url)
        own = urllib.parse.urlsplit(self.own_base_url)
        if parts.hostname not in LOOPBACK_NAMES or parts.port != own.port:
            return None
        if not parts.path.startswith("/files/"):
            raise TaskError(code, f"{url} is not a file this server serves (/files/...)", parameter)
        path = self.store.file_path(urllib.parse.unquote(parts.path[len("/files/") :]))
        if path is None:
            raise TaskError(code, f"{url}: no such file on this server", parameter, status=404)
        return path

    def _fetch(self, url: str, parameter: str, code: str) -> bytes:
        """The body of another loopback server's URL; one refusal text whatever went wrong."""
        refusal = TaskError(
            code,
            f"could not fetch {parameter} ({url}): the local backend fetches {loopback.RULE}, "
            f"answering 200 within {self.fetch_timeout:g} s and {self.max_body} bytes. Upload the file "
            "instead (base64 or a data URI)",
            parameter,
        )
        if loopback.loopback_address(url, self.resolve) is None:
            raise refusal
        try:
            data = self.fetch(url, self.fetch_timeout, self.max_body)
        except Exception:  # refused, unreachable, slow, redirected, not 200: all alike to the caller
            raise refusal from None
        if len(data) > self.max_body:
            raise refusal
        return data
