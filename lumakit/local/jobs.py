"""One ``videoInference`` job of the local backend: its state as polls see it, and the render that runs it.

:class:`RenderJob` is what the backend keeps per submitted task; :func:`run_render` runs on a worker thread,
stretches the render to the simulated :class:`~.faults.Latency`, stores the result file and records the
outcome in the :class:`~.store.Store` index (so polls after a restart still answer).
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import media
from ..errors import MediaError
from ..request import Request
from ..wire.answers import INVALID_VIDEO
from .faults import Latency
from .store import Store

log = logging.getLogger("lumakit.local")

#: outputFormat -> (codec, file extension)
CODECS = {"MP4": ("h264", ".mp4"), "WEBM": ("vp9", ".webm"), "MOV": ("h264", ".mov")}


@dataclass
class RenderJob:
    """One submitted videoInference task and what polls see of it.

    ``digest`` identifies the task's exact JSON, so a re-sent identical submit can be told from a different
    task under the same UUID. ``error_form`` is how polls report a failure: ``"errors"`` (an ``errors`` array)
    or ``"data"`` (a data item with ``status: "error"``).
    """

    task_uuid: str
    task: dict[str, Any]
    digest: str
    status: str = "processing"
    progress: int = 0
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    error_form: str = "errors"
    created: float = field(default_factory=time.time)
    done: threading.Event = field(default_factory=threading.Event)
    future: Future[None] | None = None

    def poll_item(self) -> dict[str, Any]:
        """The ``getResponse`` item: a result (file names, not URLs yet), an error, or progress.

        A task in progress is answered with ``taskType``, ``taskUUID``, ``status`` and ``progress`` only:
        no key ending in ``URL`` (Runware's SDK takes such a key as a finished result).
        """
        if self.status == "success" and self.result is not None:
            return dict(self.result)
        if self.status == "error":
            return {**self._head(), "status": "error", "error": dict(self.error or {})}
        return {**self._head(), "status": "processing", "progress": self.progress}

    def _head(self) -> dict[str, Any]:
        return {"taskType": "videoInference", "taskUUID": self.task_uuid}


class _Planned(Exception):
    """A task_error fault: the job ends in its planned error."""


def run_render(
    job: RenderJob,
    request: Request,
    inputs: dict[str, Any],
    *,
    store: Store,
    latency: Latency,
    cost: float,
    meta: dict[str, Any],
) -> None:
    """Render ``job`` (on a worker thread) and record its outcome in ``job`` and ``store``."""
    try:
        if latency.queue_time:
            time.sleep(latency.queue_time)
        start = time.monotonic()
        frac = [0.0]

        def progress(f: float) -> None:
            frac[0] = f
            t = (time.monotonic() - start) / latency.processing_time if latency.processing_time else 1.0
            job.progress = int(99 * min(f, t))

        if job.error is not None:
            progress(0.5)
            raise _Planned()
        fmt = str(job.task.get("outputFormat") or "MP4").upper()
        codec, ext = CODECS.get(fmt, CODECS["MP4"])
        video_uuid, out = store.new_path(ext)
        quality = job.task.get("outputQuality")
        q = None if quality is None else max(0, min(10, round((int(quality) - 20) / 79 * 10)))
        from . import render

        tmp = out.with_suffix(".mp4") if ext == ".mov" else out
        info = render.render(request, inputs, tmp, progress=progress, quality=q, codec=codec)
        if ext == ".mov":
            _remux(tmp, out)
        while latency.processing_time and (rest := latency.processing_time - (time.monotonic() - start)) > 0:
            progress(frac[0])
            time.sleep(min(rest, 0.1))
        store.add_file(video_uuid, out.name, "video", taskUUID=job.task_uuid)
        item: dict[str, Any] = {
            "taskType": "videoInference",
            "taskUUID": job.task_uuid,
            "status": "success",
            "videoUUID": video_uuid,
            "videoURL": out.name,
        }
        if job.task.get("includeCost"):
            item["cost"] = cost
        item["lumakitLocal"] = {**meta, **json.loads(json.dumps(info, default=str))}
        if (job.task.get("settings") or {}).get("hdr"):
            item["lumakitLocal"]["hdr"] = "not rendered: the local preview is SDR"
        job.result = item
        job.status, job.progress = "success", 100
        _record(store, job, status="success", result=item)
    except _Planned:
        job.status = "error"
        _record(store, job, status="error", error=job.error, errorForm=job.error_form)
    except Exception as e:
        log.exception("local render failed for %s", job.task_uuid)
        code = INVALID_VIDEO if isinstance(e, MediaError) else "renderFailed"
        job.error = {"code": code, "message": f"the local preview renderer failed: {e}"}
        job.status = "error"
        _record(store, job, status="error", error=job.error)
    finally:
        job.done.set()


def _record(store: Store, job: RenderJob, **changes: Any) -> None:
    store.put_task(job.task_uuid, {**(store.get_task(job.task_uuid) or {}), **changes})


def _remux(src: Path, dst: Path) -> None:
    cmd = [
        media.ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-i",
        str(src),
        "-c",
        "copy",
        "-f",
        "mov",
        str(dst),
    ]
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, capture_output=True)
    src.unlink(missing_ok=True)
