"""Runware's own Python SDK (``runware-sdk``, REST transport) against lumakit's local backend.

A client we did not write: it mints its own task UUIDs, re-sends a submit whose connection dropped, and waits
for ``numberResults`` results. ``http_base_url`` points it at the local server; the API key is any string.
"""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

if sys.version_info < (3, 11):
    pytest.skip("runware-sdk needs Python 3.11 or newer", allow_module_level=True)

from _clips import make_clip
from runware import RunOptions, Runware, RunwareError

from lumakit import media
from lumakit.local import FaultPlan, LocalServer

EDIT = {"taskType": "videoInference", "model": "luma:ray@3.2", "positivePrompt": "a watercolor dolphin",
        "settings": {"edit": {"strength": "flex_1"}}, "includeCost": True}  # fmt: skip


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("src") / "clip.mp4", seconds=1.0, fps=12)


async def sdk_edit(url: str, clip: Path, **task: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Upload ``clip`` and run an edit of it with the SDK; ``(upload item, results)``."""
    async with Runware(api_key="local-key", transport="rest", http_base_url=url, retry_delay=100) as rw:
        b64 = base64.b64encode(clip.read_bytes()).decode()
        uploaded = (await rw.media_storage({"operation": "upload", "media": b64}))[0]
        job = {**EDIT, "inputs": {"video": uploaded["mediaUUID"]}, **task}
        results = await rw.run(job, RunOptions(timeout=60_000))
        return uploaded, results


def test_the_sdk_runs_an_edit_against_lumakit_serve(tmp_path: Path, clip: Path) -> None:
    cmd = [sys.executable, "-m", "lumakit.cli", "serve", "--port", "0", "--data-dir", str(tmp_path / "data"),
           "--processing-time", "1"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = next(word for word in line.split() if word.startswith("http://127.0.0.1:"))
        uploaded, results = asyncio.run(sdk_edit(url, clip))
        assert uploaded["operation"] == "upload" and uploaded["mediaUUID"]
        [item] = results
        assert item["status"] == "success" and item["cost"] > 0 and item["videoUUID"]
        video = tmp_path / "result.mp4"
        video.write_bytes(httpx.get(item["videoURL"], timeout=30).content)
        assert media.probe(video).n_frames == 12
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_sdk_retrying_a_dropped_submit_gets_the_one_job(tmp_path: Path, clip: Path) -> None:
    """The SDK re-sends a submit whose answer was lost, with the same body: acknowledged, not refused."""
    with LocalServer(tmp_path / "data", faults=FaultPlan([("submit", "drop_after")])) as server:
        _, [item] = asyncio.run(sdk_edit(server.url, clip))
        assert item["status"] == "success"
        assert server.stats["jobs_created"] == 1 and server.stats["resends"] == 1
        assert list(server.jobs) == [item["taskUUID"]]


def test_the_sdk_hears_at_once_that_number_results_is_not_honoured(tmp_path: Path, clip: Path) -> None:
    with LocalServer(tmp_path / "data") as server, pytest.raises(RunwareError) as info:
        asyncio.run(asyncio.wait_for(sdk_edit(server.url, clip, numberResults=2), timeout=30))
    assert info.value.status_code == 400 and info.value.parameter == "numberResults"
    assert "one result per task" in str(info.value) and server.stats["jobs_created"] == 0


def test_the_sdk_reports_a_failed_job_as_the_video_task_it_ran(tmp_path: Path, clip: Path) -> None:
    rule = ("submit", "task_error", {"code": "providerError", "message": "refused by the provider (test)"})
    with (
        LocalServer(tmp_path / "data", faults=FaultPlan([rule])) as server,
        pytest.raises(RunwareError) as info,
    ):
        asyncio.run(asyncio.wait_for(sdk_edit(server.url, clip), timeout=60))
    assert info.value.task_type == "videoInference" and "refused by the provider" in str(info.value)
    assert info.value.task_uuid == next(iter(server.jobs))
