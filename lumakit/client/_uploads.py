"""Uploads of local sources (``mediaStorage``), once per file content and service.

The cache remembers each upload's media UUID by content digest, so a file sent once is never sent again to the
same service; a per-digest lock keeps concurrent jobs of a sweep from uploading the same file twice.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from pathlib import Path

from .._files import mime_type
from ..cache import Cache, file_digest
from ..errors import APIError
from ..request import new_task_uuid
from ..wire.answers import error_from, get_response, items_for
from ._http import Clock, HttpSession, Sleep
from ._progress import CallProgress


@dataclass
class Uploader:
    """Uploads a job's local files and remembers them in the cache under ``namespace`` (one per service)."""

    http: HttpSession
    cache: Cache
    namespace: str
    clock: Clock
    sleep: Sleep
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def paths(
        self,
        paths: list[str],
        progress: CallProgress | None,
        label: str = "",
        task_uuid: str | None = None,
    ) -> tuple[dict[str, str], set[str]]:
        """``(path -> media UUID, paths served from earlier uploads)``, uploading what is not cached."""
        media: dict[str, str] = {}
        cached: set[str] = set()
        for path in paths:
            digest = await asyncio.to_thread(file_digest, path)
            lock = self._locks.setdefault(digest, asyncio.Lock())
            async with lock:
                hit = self.cache.uploads.get(self.namespace, digest)
                if hit is not None:
                    media[path] = hit[0]
                    cached.add(path)
                    continue
                if progress is not None:
                    progress.emit(label, "uploading", task_uuid=task_uuid, message=Path(path).name)
                media_uuid, media_url = await self.upload(path)
                self.cache.uploads.remember(self.namespace, digest, media_uuid, media_url)
                media[path] = media_uuid
        return media, cached

    def forget(self, paths: list[str]) -> None:
        """Drop cached uploads the service refused, so the next :meth:`paths` sends them again."""
        for path in paths:
            self.cache.uploads.forget(self.namespace, file_digest(path))

    async def upload(self, path: str) -> tuple[str, str | None]:
        """mediaStorage upload of a local file (data URI); polls while the service says ``mediaUUID: "1"``."""
        upload_uuid = new_task_uuid()
        data = await asyncio.to_thread(data_uri, path)
        task = {"taskType": "mediaStorage", "taskUUID": upload_uuid, "operation": "upload", "media": data}
        status, body = await self.http.post([task], what=f"upload {Path(path).name}")
        start = self.clock()
        while True:
            items, errors = items_for(body, upload_uuid)
            if errors:
                raise error_from(errors[0], status, task_uuid=upload_uuid)
            item = items[0] if items else {}
            media_uuid = item.get("mediaUUID") or item.get("imageUUID")
            if media_uuid and media_uuid != "1":
                return str(media_uuid), item.get("mediaURL") or item.get("imageURL")
            if status >= 400 or self.clock() - start > 120:
                raise APIError(
                    f"upload of {Path(path).name} gave no mediaUUID", code="uploadFailed", status_code=status
                )
            await self.sleep(1.0)
            status, body = await self.http.post([get_response(upload_uuid)], what="upload status")


def data_uri(path: str) -> str:
    mime = mime_type(path)
    with open(path, "rb") as fh:
        return f"data:{mime};base64," + base64.b64encode(fh.read()).decode("ascii")
