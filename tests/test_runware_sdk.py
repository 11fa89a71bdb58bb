"""Runware's own Python SDK (``runware-sdk``, REST transport) against lumakit's local backend.

A client we did not write: it mints its own task UUIDs, re-sends a submit whose connection dropped, and waits
for ``numberResults`` results. ``http_base_url`` points it at the local server; the API key is any string.
"""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

if sys.version_info < (3, 11):
    pytest.skip("runware-sdk needs Python 3.11 or newer", allow_module_level=True)

from _clips import make_clip
from runware import RunOptions, Runware, RunwareError
from runware.config import create_config
from runware.transport.rest import RestTransport

from lumakit import media
from lumakit.local import FaultPlan, LocalServer, webhooks

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


def test_the_sdk_authenticates_in_the_array_and_its_public_webhook_is_never_called(
    tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook written for Runware runs unchanged offline: the SDK's own REST transport sends the
    documented ``authentication`` task first in the array, and an edit names a webhook on a public host; the
    local server answers both, runs the edit and never calls the host (and says so in the answer)."""
    posted: list[str] = []
    monkeypatch.setattr(webhooks, "post_json", lambda url, item, timeout: posted.append(url) or 200)
    hook = "https://hooks.example.com/runware"

    async def run(url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        b64 = base64.b64encode(clip.read_bytes()).decode()
        auth = {"taskType": "authentication", "apiKey": "local-key"}
        upload = {
            "taskType": "mediaStorage",
            "taskUUID": str(uuid.uuid4()),
            "operation": "upload",
            "media": b64,
        }
        async with RestTransport(create_config(api_key="local-key", http_base_url=url)) as rest:
            answer = await rest.send_request([auth, upload])
        assert "errors" not in answer
        session, uploaded = answer["data"]
        async with Runware(api_key="local-key", transport="rest", http_base_url=url, retry_delay=100) as rw:
            job = {**EDIT, "inputs": {"video": uploaded["mediaUUID"]}, "webhookURL": hook}
            return [session, uploaded], await rw.run(job, RunOptions(timeout=60_000))

    with LocalServer(tmp_path / "data") as server:
        (session, uploaded), [item] = asyncio.run(run(server.url))
        assert session["taskType"] == "authentication" and session["connectionSessionUUID"]
        assert uploaded["mediaUUID"] and item["status"] == "success" and item["cost"] > 0
        assert "'hooks.example.com' was not called" in item["lumakitLocal"]["webhookNotCalled"]
        time.sleep(0.5)  # a webhook would be queued as the task finished
        assert posted == [] and server.stats["webhooks"] == server.stats["webhook_failures"] == 0
        assert server.stats["jobs_created"] == 1
