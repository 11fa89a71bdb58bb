"""The upload memo: the media UUID each file content got from a service, so a file is uploaded once per
service (``cache.uploads``). ``namespace`` names the service (its base URL); ``digest`` is the file's SHA-256.
"""

from __future__ import annotations

import time

from ._ledger import LedgerFile

#: The ``uploads`` table: one media UUID (and URL, when the service gave one) per (service, content).
SCHEMA = """CREATE TABLE IF NOT EXISTS uploads (
    namespace TEXT, digest TEXT, media_uuid TEXT, media_url TEXT, created REAL,
    PRIMARY KEY (namespace, digest)
);
"""


class UploadMemo:
    """Uploads remembered by content digest, per service, in the cache's ledger."""

    def __init__(self, file: LedgerFile) -> None:
        self._file = file

    def get(self, namespace: str, digest: str) -> tuple[str, str | None] | None:
        """``(media UUID, media URL or None)`` of an earlier upload of this content to this service."""
        sql = "SELECT media_uuid, media_url FROM uploads WHERE namespace = ? AND digest = ?"
        rows = self._file.execute(sql, (namespace, digest))
        return (rows[0][0], rows[0][1]) if rows else None

    def remember(self, namespace: str, digest: str, media_uuid: str, media_url: str | None) -> None:
        self._file.execute(
            "INSERT OR REPLACE INTO uploads VALUES (?, ?, ?, ?, ?)",
            (namespace, digest, media_uuid, media_url, time.time()),
        )

    def forget(self, namespace: str, digest: str) -> None:
        """Drop an upload the service refused, so the next job sends the file again."""
        self._file.execute("DELETE FROM uploads WHERE namespace = ? AND digest = ?", (namespace, digest))
