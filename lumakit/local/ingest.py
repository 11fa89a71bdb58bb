"""Getting media in: a URL, a data URI or bare base64 becomes a file in the :class:`~.store.Store`.

    ingest = Ingest(store, own_base_url="http://127.0.0.1:8787")
    uid, name = ingest.store_media("data:video/mp4;base64,AAAA...", "media", "invalidMedia")
    path = ingest.source_path(Source("uuid", uid), "video", "invalidVideo")

A URL of this very server (``<own_base_url>/files/<name>``) is read from the data folder, not fetched; a URL
of another host is fetched once, within ``fetch_timeout`` seconds and ``max_body`` bytes. ``file://`` URLs are
refused: the server never reads its host's files. Every failure is a :class:`TaskError` naming the parameter.
"""

from __future__ import annotations

import base64
import binascii
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..request import Source
from ..wire.answers import TaskError
from .store import Store, sniff

IMAGE_EXTS = (".png", ".jpg", ".gif", ".webp")
LOOPBACK_NAMES = ("127.0.0.1", "localhost")
_SOURCE_WIRE = {"video": "inputs.video", "image": "inputs.frameImages"}

#: ``fetch(url, timeout, limit) -> bytes`` (at most ``limit + 1`` bytes); raises ``OSError``/``ValueError``.
Fetcher = Callable[[str, float, int], bytes]


def fetch_url(url: str, timeout: float, limit: int) -> bytes:
    """GET ``url`` with the standard library; reads at most ``limit + 1`` bytes."""
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read(limit + 1)  # type: ignore[no-any-return]


def decode_b64(value: str, parameter: str, code: str) -> bytes:
    """Bytes of a data URI (``data:<mime>;base64,...``) or of bare base64 (whitespace ignored)."""
    text = value
    if text.startswith("data:"):
        head, sep, text = text.partition(",")
        if not sep or ";base64" not in head:
            raise TaskError(code, "a data URI must be base64 (data:<mime>;base64,...)", parameter)
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise TaskError(
            code, f"{parameter} is neither a URL, a UUID, a data URI nor valid base64", parameter
        ) from None


@dataclass
class Ingest:
    """Media in, for one data folder.

    Attributes:
      store: where files go.
      own_base_url: this server's ``http://127.0.0.1:<port>``; its ``/files/`` URLs are read from ``store``.
      fetch_timeout: seconds allowed to fetch a URL of another host.
      max_body: largest media accepted, in bytes (413 beyond).
      fetch: the function that GETs another host's URL (tests pass one that counts or refuses).
    """

    store: Store
    own_base_url: str = "http://127.0.0.1:0"
    fetch_timeout: float = 5.0
    max_body: int = 200 * 1024 * 1024
    fetch: Fetcher = fetch_url

    def store_media(
        self, value: object, parameter: str, code: str, *, images_only: bool = False
    ) -> tuple[str, str]:
        """Store media given as a URL, a data URI or bare base64 under a fresh UUID: ``(uuid, file name)``."""
        if not isinstance(value, str) or not value.strip():
            raise TaskError(code, f"{parameter} must be a URL, a data URI or base64 content", parameter)
        value = value.strip()
        if value.lower().startswith("file:"):
            raise TaskError(
                code,
                "file:// URLs are refused: the server does not read its host's files; "
                "send the content (base64 or data URI) or an http(s) URL",
                parameter,
            )
        if value.lower().startswith(("http://", "https://")):
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
        try:
            uid, _ = self.store_media(source.value, parameter, code)
        except TaskError as e:
            e.parameter = wire
            raise
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
        try:
            data = self.fetch(url, self.fetch_timeout, self.max_body)
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            raise TaskError(
                code,
                f"could not fetch {url} within {self.fetch_timeout:g} s: {reason}. The local "
                "backend runs offline: upload the file instead",
                parameter,
            ) from None
        if len(data) > self.max_body:
            raise TaskError(code, f"{url} is larger than {self.max_body} bytes", parameter, status=413)
        return data
