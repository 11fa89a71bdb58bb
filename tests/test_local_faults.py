"""The client's reliability against the local backend in fault mode, over real loopback sockets: retries
recover from 429/5xx, slow and dropped connections never create a second job, task errors surface as
``TaskFailed`` with their task UUID."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import lumakit
from lumakit import media
from lumakit.errors import TaskFailed
from lumakit.local import FaultPlan, Latency, LocalServer
from lumakit.local.faults import parse_fault

FAST_POLL = lumakit.client.PollPolicy(
    initial_delay=0.05, interval=0.05, factor=1.0, max_interval=0.05, timeout=60
)
FAST_RETRY = lumakit.client.RetryPolicy(max_attempts=6, base_delay=0.02, max_delay=2.0)


def client_for(server: LocalServer, tmp: Path) -> Any:
    return lumakit.Client(api_key="test", base_url=server.url, cache_dir=tmp / "cache", poll=FAST_POLL,
                          retry=FAST_RETRY, progress=False)  # fmt: skip


def serve(tmp: Path, rules: list[Any], **kw: Any) -> LocalServer:
    return LocalServer(tmp / "data", faults=FaultPlan(rules), **kw).start()


def test_retries_recover_from_429_and_5xx(tmp_path: Path, clip: Path) -> None:
    plan = [("upload", 503), ("poll", 429, {"retry_after": 1}), ("poll", 503), ("poll", 502), ("poll", 500),
            ("download", 503), ("download", 429)]  # fmt: skip
    server = serve(tmp_path, plan)
    try:
        with client_for(server, tmp_path) as client:
            start = time.monotonic()
            result = client.modify(clip, "a neon creature", strength="flex_1")
            waited = time.monotonic() - start
        assert server.faults.pending == []  # every scripted fault fired...
        assert server.stats["jobs_created"] == 1  # ...and the job ran once
        assert media.probe(result.path).n_frames == 12
        assert waited >= 0.9  # the 429's Retry-After: 1 was honoured
        assert result.task_uuid in server.jobs
    finally:
        server.stop()


@pytest.mark.parametrize("action", ["drop_after", "drop_before", 503, "slow"])
def test_an_ambiguous_submit_never_creates_a_second_job(tmp_path: Path, clip: Path, action: Any) -> None:
    opts = {"delay": 0.3} if action == "slow" else {}
    server = serve(tmp_path, [("submit", action, opts)])
    try:
        with client_for(server, tmp_path) as client:
            result = client.modify(clip, "a watercolor painting", strength="adhere_2")
        assert server.faults.pending == []
        assert server.stats["jobs_created"] == 1
        assert server.stats["resends"] == 0  # acknowledged if it came; our client never re-sends
        assert list(server.jobs) == [result.task_uuid]  # the UUID minted once was the one that ran
        if action == "drop_after":
            assert server.stats["submits"] == 1  # registered before the drop: polled, never re-sent
        assert media.probe(result.path).width == 160
    finally:
        server.stop()


@pytest.mark.parametrize("form", ["errors", "data"])
def test_task_error_surfaces_as_task_failed(tmp_path: Path, clip: Path, form: str) -> None:
    rule = (
        "submit",
        "task_error",
        {"code": "providerError", "message": "simulated content refusal", "form": form},
    )
    server = serve(tmp_path, [rule])
    try:
        with client_for(server, tmp_path) as client, pytest.raises(TaskFailed) as info:
            client.modify(clip, "a glass creature", strength="flex_2")
        assert list(server.jobs) == [info.value.task_uuid]
        assert info.value.code == "providerError" and "simulated content refusal" in str(info.value)
        assert server.stats["jobs_created"] == 1
    finally:
        server.stop()


def test_processing_reports_rising_progress(tmp_path: Path, clip: Path) -> None:
    server = serve(tmp_path, [], latency=Latency(queue_time=0.2, processing_time=1.0))
    updates: list[Any] = []
    try:
        with client_for(server, tmp_path) as client:
            client.modify(clip, "golden light", strength="flex_1", on_update=updates.append)
    finally:
        server.stop()
    seen = [u.progress for u in updates if u.status == "processing" and u.progress is not None]
    assert len(seen) >= 3 and seen == sorted(seen) and 0 < seen[-1] < 1.0
    assert [u.status for u in updates][-1] == "done"


def test_fault_plans_are_ordered_per_phase_and_parse_from_text() -> None:
    plan = FaultPlan(["poll:429:retry_after=2,times=2", ("submit", "drop_after"), ("any", 500)])
    assert plan.take("poll").options == {"retry_after": 2}  # type: ignore[union-attr]
    assert plan.take("submit").action == "drop_after"  # type: ignore[union-attr]
    assert plan.take("poll").action == 429  # type: ignore[union-attr]
    assert plan.take("download").action == 500  # type: ignore[union-attr]
    assert plan.take("poll") is None and plan.pending == []
    assert plan.applied == ["poll:429", "submit:drop_after", "poll:429", "download:500"]
    with pytest.raises(lumakit.RequestError, match="fault action"):
        parse_fault("poll:418")
    with pytest.raises(lumakit.RequestError, match="fault phase"):
        FaultPlan([("render", 500)])
