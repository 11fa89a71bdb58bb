"""Never under-price: a URL source's length is read over HTTP before pricing, an earlier result's UUID takes
the length the ledger recorded, and a length that cannot be known is priced at its job kind's maximum; each
is refused by ``max_cost`` with nothing sent."""

from __future__ import annotations

import asyncio
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from _clips import ffmpeg, make_clip
from _fake_runware import FakeRunware, make_client

from lumakit.client._source_length import URL_PROBE_BYTES, URL_REQUEST_BYTES, read_url
from lumakit.errors import BudgetError, MediaError
from lumakit.pricing import UNKNOWN_LENGTH_NOTE


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class ClipServer:
    """Serves files on loopback with byte ranges (as a CDN does), counting the bytes it sends."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files
        self.sent = 0
        self.requests: list[str] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server.lock:
                    server.requests.append(f"{self.path} {self.headers.get('Range', '')}".strip())
                path = server.files.get(self.path.lstrip("/"))
                if path is None:
                    self.send_error(404)
                    return
                data = path.read_bytes()
                start, end, status = 0, len(data) - 1, 200
                wanted = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
                if wanted and (wanted.group(1) or wanted.group(2)):
                    a, b = wanted.groups()
                    if a:
                        start, end = int(a), min(int(b) if b else len(data) - 1, len(data) - 1)
                    else:
                        start = max(0, len(data) - int(b))
                    status = 206
                self.send_response(status)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(end - start + 1))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
                self.end_headers()
                try:
                    for at in range(start, end + 1, 65536):
                        chunk = data[at : min(at + 65536, end + 1)]
                        self.wfile.write(chunk)
                        with server.lock:
                            server.sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the reader had what it needed and hung up

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def __enter__(self) -> ClipServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def big_clip(path: Path, seconds: float, *, faststart: bool) -> Path:
    """A real, several-megabyte H.264 clip made by ffmpeg (lossless test pattern), index first or last."""
    flags = ["-movflags", "+faststart"] if faststart else []
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=24", "-t", str(seconds), "-c:v", "libx264",
           "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", *flags, str(path))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "index-last.mp4": big_clip(folder / "index-last.mp4", 30.0, faststart=False),
        "index-first.mp4": big_clip(folder / "index-first.mp4", 30.0, faststart=True),
        "40s.mp4": make_clip(folder / "40s.mp4", seconds=40.0, fps=2, w=64, h=36),
    }


@pytest.mark.parametrize("name", ["index-last.mp4", "index-first.mp4"])
def test_a_30_s_url_source_of_a_1080p_reframe_is_priced_10_80_and_refused_with_nothing_sent(
    tmp_path, clips, name
):
    fake = FakeRunware()
    with ClipServer(clips) as cdn:
        url = cdn.url(name)

        async def go():
            async with make_client(fake, tmp_path) as client:
                with pytest.raises(BudgetError) as info:
                    await client.reframe(url, aspect_ratio="1:1", resolution="1080p", max_cost=10.0)
                return info.value

        err = run(go())
    size = clips[name].stat().st_size
    assert err.estimate == pytest.approx(10.80)  # 30 started seconds at $0.36
    assert "30.00 s of output -> 30 started s" in str(err) and "unknown" not in str(err)
    assert fake.requests == []  # nothing sent to Runware
    # ffmpeg read the container header over HTTP, not the file: bounded by -probesize, not by the clip
    assert size > 4_000_000 and 0 < cdn.sent < size / 5
    assert cdn.sent <= URL_PROBE_BYTES + 2 * URL_REQUEST_BYTES
    assert all("bytes=" in r for r in cdn.requests)  # ranged requests only


def test_a_url_source_read_is_also_held_to_its_job_kinds_length_limit(tmp_path, clips):
    fake = FakeRunware()
    with ClipServer(clips) as cdn:

        async def go():
            async with make_client(fake, tmp_path) as client:
                with pytest.raises(MediaError) as info:
                    await client.reframe(cdn.url("40s.mp4"), aspect_ratio="1:1", max_cost=100.0)
                return info.value

        err = run(go())
    assert "40.0 s" in str(err) and "30 s" in str(err) and fake.requests == []


def test_an_unreadable_url_is_priced_at_its_kinds_maximum_and_the_estimate_says_so(tmp_path, clips):
    fake = FakeRunware()
    fake.script("videoInference", __import__("httpx").Response(500, text="no dry runs today"))
    with ClipServer(clips) as cdn:
        gone = cdn.url("missing.mp4")  # a 404: the length cannot be known

        async def go():
            async with make_client(fake, tmp_path, retry=_one_try()) as client:
                with pytest.raises(BudgetError) as reframe:
                    await client.reframe(gone, aspect_ratio="1:1", resolution="1080p", max_cost=10.0)
                with pytest.raises(BudgetError) as edit:
                    await client.modify(gone, "x", strength="flex_1", max_cost=4.0)
                estimate = await client.estimate(client.plan_sweep(gone, "x", strengths=["flex_1"]))
                return reframe.value, edit.value, estimate

        reframe, edit, estimate = run(go())
    assert reframe.estimate == pytest.approx(10.80)  # the longest reframe: 30 s at $0.36
    assert "length unknown, priced as the longest (30 s)" in str(reframe)
    assert edit.estimate == pytest.approx(
        4.32
    )  # the longest edit (10 s block) at the top tier (size unknown)
    assert estimate.total == pytest.approx(4.32) and UNKNOWN_LENGTH_NOTE in estimate.notes
    assert not fake.tasks  # nothing ran


def test_an_earlier_results_uuid_takes_the_length_the_ledger_recorded(tmp_path):
    fake = FakeRunware(polls=1)
    seven = make_clip(tmp_path / "seven.mp4", seconds=7.0, fps=4, w=64, h=36)

    async def go():
        async with make_client(fake, tmp_path) as client:
            edit = await client.modify(str(seven), "x", strength="flex_1", resolution="360p")
            ten = await client.generate("a lighthouse", duration=10, resolution="360p")
            Path(edit.path).unlink()  # the file is gone: only the ledger knows how long the result is
            Path(ten.path).unlink()
            sent = len(fake.posts("videoInference"))
            errors = []
            for uuid in (edit.video_uuid, ten.video_uuid):
                with pytest.raises(BudgetError) as info:
                    await client.reframe(uuid, aspect_ratio="1:1", resolution="1080p", max_cost=1.0)
                errors.append(info.value)
            with pytest.raises(BudgetError) as info:  # an edit of it without resolution: its tier is known
                await client.modify(ten.video_uuid, "x", strength="flex_1", max_cost=1.0)
            errors.append(info.value)
            return errors, sent

    (from_edit, from_generation, edit_of_generation), sent = run(go())
    assert edit_of_generation.estimate == pytest.approx(2.16)  # 10 s block at 720p (360p source), not 1080p
    assert from_edit.estimate == pytest.approx(7 * 0.36)  # the edit is as long as its 7 s source
    assert from_generation.estimate == pytest.approx(10 * 0.36)  # a 10 s generation
    assert "7.00 s of output" in str(from_edit) and "unknown" not in str(from_edit)
    assert len(fake.posts("videoInference")) == sent  # the refusals sent nothing


def test_a_uuid_whose_length_was_never_recorded_is_measured_from_its_file_and_recorded(tmp_path):
    fake = FakeRunware(polls=1)  # its results are real 1 s clips

    async def go():
        async with make_client(fake, tmp_path) as client:
            r = await client.modify("https://example.org/unreadable.mp4", "x", resolution="360p")
            entry = client.cache.ledger.get(r.task_uuid)
            assert "length" not in entry.extra  # the source's length was never known
            with pytest.raises(BudgetError) as info:
                await client.reframe(r.video_uuid, aspect_ratio="1:1", resolution="1080p", max_cost=0.1)
            return info.value, client.cache.ledger.get(r.task_uuid).extra["length"]

    err, recorded = run(go())
    assert err.estimate == pytest.approx(0.36)  # 1 s of output, measured from the cached file
    assert recorded["measured"] and recorded["seconds"] == pytest.approx(1.0, abs=0.05)


def test_an_unknown_uuid_is_priced_at_the_maximum(tmp_path):
    fake = FakeRunware()

    async def go():
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(BudgetError) as info:
                await client.reframe(
                    "0f8e4d2c-1b3a-4c5d-8e6f-7a8b9c0d1e2f",
                    aspect_ratio="1:1",
                    resolution="720p",
                    max_cost=3.0,
                )
            return info.value

    err = run(go())
    assert err.estimate == pytest.approx(30 * 0.12) and "length unknown" in str(err)
    assert fake.requests == []


def test_read_url_refuses_other_protocols(tmp_path):
    clip = make_clip(tmp_path / "c.mp4", seconds=1.0, fps=4, w=32, h=18)
    assert read_url(f"file://{clip}") is None  # ffmpeg may open network URLs only
    assert read_url(str(clip)) is None


def _one_try() -> Any:
    from lumakit.client import RetryPolicy

    return RetryPolicy(max_attempts=1)


def test_an_inline_data_uri_source_is_measured_before_pricing(tmp_path):
    import base64

    seven = make_clip(tmp_path / "seven.mp4", seconds=7.0, fps=4, w=64, h=36)
    uri = "data:video/mp4;base64," + base64.b64encode(seven.read_bytes()).decode()
    fake = FakeRunware()

    async def go():
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(BudgetError) as info:
                await client.reframe(uri, aspect_ratio="1:1", resolution="1080p", max_cost=1.0)
            return info.value

    err = run(go())
    assert err.estimate == pytest.approx(7 * 0.36) and "7.00 s of output" in str(err)
    assert fake.requests == []
