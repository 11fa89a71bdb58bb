"""How long an edit's or reframe's source is, read before the job is priced, so a guard never under-prices.

A local file is measured when the job is prepared (:mod:`._prepared`). The other forms are read here:

- an http(s) URL: ffmpeg reads the container header over HTTP (``-i URL`` with no output: nothing is
  decoded), bounded in time (``-rw_timeout`` and a wall-clock limit) and in bytes: every request asks for a
  range of ``-request_size`` bytes, ``-probesize`` caps the media data read after the header, and an MP4 whose
  index sits at the end is reached with one range request, not read through (a 30 s, 5.5 MB clip costs
  0.26 MB index first, 0.53 MB index last). Only http, https, tcp and tls are allowed: no file is opened;
- an earlier result's UUID: the length the ledger recorded for the task that made it (recorded when the task
  was claimed, and measured from its file the first time it is needed here);
- a data URI: decoded to a temporary file and measured.

What cannot be read stays unknown, and :mod:`lumakit.pricing` prices it at the job kind's maximum. A length
that is read is also checked against the job kind's limit (18 s edit, 30 s reframe) before anything is sent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..cache import Cache
from ..wire.spec import DEFAULT_RESOLUTION, OUTPUT_SIZES, RESOLUTIONS
from ._prepared import PreparedJob, check_source_length

log = logging.getLogger("lumakit.client")

URL_READ_SECONDS = 20.0  # [ours] the longest ffmpeg may take to read a URL's container header
URL_PROBE_BYTES = 1_000_000  # [ours] ffmpeg's -probesize: media bytes read after the header, at most
URL_REQUEST_BYTES = 262_144  # [ours] ffmpeg's -request_size: each HTTP request asks for a range this long
URL_PROTOCOLS = "http,https,tcp,tls"  # ffmpeg's -protocol_whitelist: network reads only, never a file
PRICED_KINDS = ("modify", "reframe")  # the job kinds priced by their source's length
LENGTH_KEY = "length"  # the ledger's extra field: {"seconds": float, "size": [w, h] | None, "measured": bool}

_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO_SIZE = re.compile(r"Stream #\d+:\d+[^\n]*?Video:[^\n]*?\b(\d{2,5})x(\d{2,5})\b")


@dataclass(frozen=True)
class SourceLength:
    """A source's length in seconds, its ``(width, height)`` when known, and where they came from."""

    seconds: float
    size: tuple[int, int] | None
    how: str


def parse_header(stderr: str) -> tuple[float | None, tuple[int, int] | None]:
    """``(seconds, (width, height))`` from what ``ffmpeg -i`` prints about its input (None where absent).

    >>> parse_header("  Duration: 00:00:30.04, start: 0.0\\n    Stream #0:0: Video: h264, yuv420p, 1920x1080")
    (30.04, (1920, 1080))
    """
    duration = _DURATION.search(stderr)
    seconds = None
    if duration is not None:
        h, m, s = duration.groups()
        seconds = int(h) * 3600 + int(m) * 60 + float(s)
    video = _VIDEO_SIZE.search(stderr)
    size = (int(video.group(1)), int(video.group(2))) if video else None
    return (seconds if seconds else None), size


def read_url(
    url: str, *, timeout: float = URL_READ_SECONDS, probe_bytes: int = URL_PROBE_BYTES
) -> SourceLength | None:
    """The length of the video at ``url``, read by ffmpeg from its container header; None if unreadable."""
    from ..media import ffmpeg_exe

    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-protocol_whitelist",
        URL_PROTOCOLS,
        "-rw_timeout",
        str(int(timeout * 1_000_000)),
        "-request_size",
        str(URL_REQUEST_BYTES),
        "-probesize",
        str(max(32, int(probe_bytes))),
        "-analyzeduration",
        "1000000",
        "-i",
        url,
    ]
    try:
        proc = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout
        )
    except (subprocess.TimeoutExpired, OSError) as exc:
        log.info("could not read the length of a URL source (%s)", type(exc).__name__)
        return None
    seconds, size = parse_header(proc.stderr.decode("utf-8", "replace"))
    if seconds is None:
        log.info("could not read the length of a URL source (ffmpeg found no duration)")
        return None
    return SourceLength(seconds, size, "read from its header over HTTP")


def read_data_uri(text: str) -> SourceLength | None:
    """The length of a video given inline as a data URI (or bare base64); None if it is not one."""
    from .. import media
    from ..errors import MediaError

    payload = text.split(",", 1)[1] if text.startswith("data:") else text
    try:
        raw = base64.b64decode(payload, validate=False)
    except (binascii.Error, ValueError):
        return None
    with tempfile.TemporaryDirectory(prefix="lumakit-len-") as tmp:
        path = Path(tmp) / "source.mp4"
        path.write_bytes(raw)
        try:
            info = media.probe(path)
        except MediaError:
            return None
        return SourceLength(float(info.duration), (int(info.width), int(info.height)), "measured inline")


def length_record(job: PreparedJob) -> dict[str, Any]:
    """What the ledger keeps about the video a job will make (``{"length": {...}}``, or ``{}``): a
    text/image-to-video is as long as its ``duration``, an edit or reframe as long as its source; its size
    when the request fixes it, else its tier when known (an edit keeps its source's size unless a tier is
    asked for)."""
    request = job.request
    resolution = getattr(request, "resolution", None)
    size = getattr(request, "size", None) if request.kind != "modify" else None
    if request.kind == "generate":
        seconds: float | None = float(getattr(request, "duration", 5) or 5)
        resolution = resolution or DEFAULT_RESOLUTION
    else:
        seconds = job.source_seconds
        if request.kind == "modify" and not resolution:
            size = job.source_size
    if seconds is None:
        return {}
    record = {"seconds": seconds, "size": list(size) if size else None, "measured": False}
    if size is None and resolution:
        record["tier"] = resolution
    return {LENGTH_KEY: record}


class SourceLengths:
    """Reads the lengths of a client's URL, UUID and inline sources, each URL once per client."""

    def __init__(self, cache: Cache, read: Callable[[str], SourceLength | None] = read_url) -> None:
        self._cache = cache
        self._read = read
        self._urls: dict[str, SourceLength | None] = {}

    async def fill(self, jobs: Iterable[PreparedJob]) -> None:
        """Set ``source_seconds``/``source_size`` on every job to be priced whose source is not a local file
        (cached jobs cost nothing and are left alone); raise :class:`~lumakit.errors.MediaError` for a source
        over its job kind's length limit."""
        todo = [
            j for j in jobs if j.hit is None and j.source_seconds is None and j.request.kind in PRICED_KINDS
        ]
        urls = {s.value for s in map(_video, todo) if s is not None and s.kind == "url"} - set(self._urls)
        if urls:
            found = await asyncio.gather(*(asyncio.to_thread(self._read, u) for u in sorted(urls)))
            self._urls.update(zip(sorted(urls), found, strict=True))
        for job in todo:
            length = await self.length_of(_video(job))
            if length is None:
                continue
            check_source_length(job.request.kind, length.seconds, _shown(_video(job)))
            job.source_seconds = length.seconds
            job.source_size = job.source_size or length.size

    async def length_of(self, source: Any) -> SourceLength | None:
        if source is None:
            return None
        if source.kind == "url":
            if source.value not in self._urls:
                self._urls[source.value] = await asyncio.to_thread(self._read, source.value)
            return self._urls[source.value]
        if source.kind == "uuid":
            return await asyncio.to_thread(self.from_ledger, source.value)
        if source.kind == "data":
            return await asyncio.to_thread(read_data_uri, source.value)
        return None

    def from_ledger(self, video_uuid: str) -> SourceLength | None:
        """The length the ledger recorded for the result ``video_uuid``; measured from its file (and
        recorded) the first time when the file is still in the cache."""
        entry = self._cache.ledger.by_video_uuid(video_uuid)
        if entry is None:
            return None
        record: Mapping[str, Any] = entry.extra.get(LENGTH_KEY) or {}
        path = Path(entry.result_path) if entry.result_path else None
        if not record.get("measured") and path is not None and path.is_file():
            from .. import media
            from ..errors import MediaError

            try:
                info = media.probe(path)
            except MediaError:
                pass
            else:
                measured = [info.width, info.height]
                record = {"seconds": float(info.duration), "size": measured, "measured": True}
                self._cache.ledger.update(entry.task_uuid, extra={**entry.extra, LENGTH_KEY: record})
        seconds = record.get("seconds")
        if not isinstance(seconds, (int, float)):
            return None
        size = record.get("size")
        if not size and record.get("tier") in RESOLUTIONS:  # a size of that tier: what its price depends on
            size = OUTPUT_SIZES[("16:9", record["tier"])]
        return SourceLength(
            float(seconds), (int(size[0]), int(size[1])) if size else None, "recorded in the ledger"
        )


def _video(job: PreparedJob) -> Any:
    return getattr(job.request, "video", None)


def _shown(source: Any) -> str:
    """A source as an error message names it (a data URI by its length, not its bytes)."""
    if source.kind == "data":
        return f"<data URI, {len(source.value)} characters>"
    return str(source.value)
