"""Dry runs that cannot bill twice: a dry run sends the task UUIDs the real run will use, and an answer that
looks like a live task is recorded as submitted, so the real run adopts it instead of paying again."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from _fake_runware import SRC, FakeRunware, make_client

from lumakit.lifecycle import TaskState
from lumakit.request import GenerateRequest, ModifyRequest


def run(coro: Any) -> Any:
    return asyncio.run(coro)


REQ = ModifyRequest(SRC, "a glass dolphin", strength="flex_1", resolution="360p")


def test_a_dry_run_answered_as_a_live_task_then_the_real_run_is_one_job(tmp_path, caplog):
    fake = FakeRunware(polls=1, dry_runs_honoured=False)  # a proxy dropped the dry-run header

    async def go():
        async with make_client(fake, tmp_path) as client:
            est = await client.estimate(REQ)
            pending = client.pending()
            result = await client.run(REQ)
            return est, pending, result

    with caplog.at_level(logging.WARNING, logger="lumakit.client"):
        est, pending, result = run(go())
    (dry,) = fake.posts("videoInference")  # the dry run is the only submit: the real run adopted it
    assert len(fake.tasks) == 1 and result.task_uuid == dry["taskUUID"]
    assert [e.task_uuid for e in pending] == [dry["taskUUID"]]  # recorded as in flight before the run
    assert pending[0].state is TaskState.SUBMITTED
    # the user is told, in the estimate and in the log
    assert est.source == "price table" and any("like a live task" in n for n in est.notes)
    assert "taken as a live task" in est.lines[0].detail and est.total == pytest.approx(1.08)
    assert any("may be running and billing" in r.getMessage() for r in caplog.records)


def test_a_sweep_estimated_through_a_header_dropping_proxy_is_still_one_job_each(tmp_path):
    fake = FakeRunware(polls=1, dry_runs_honoured=False)

    async def go():
        async with make_client(fake, tmp_path) as client:
            plan = client.plan_sweep(
                SRC, "x", strengths=["adhere_1", "flex_2", "reimagine_3"], resolution="360p"
            )
            await client.estimate(plan)
            again = await client.estimate(plan)  # estimated again: those tasks are in flight, not re-sent
            return again, await client.run(plan)

    again, runs = run(go())
    uuids = [t["taskUUID"] for t in fake.posts("videoInference")]
    assert len(fake.tasks) == 3 and len(uuids) == 3  # the second estimate sent nothing
    assert again.total == 0 and all("in flight as task" in ln.detail for ln in again.lines)
    assert sorted(r.task_uuid for r in runs.values()) == sorted(set(uuids))


def test_an_honoured_dry_run_sends_the_uuid_the_real_run_uses(tmp_path):
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            est = await client.estimate(REQ)
            assert client.pending() == []  # a priced dry run leaves no task behind
            return est, await client.run(REQ)

    est, result = run(go())
    dry, real = fake.posts("videoInference")
    assert est.source == "dry-run" and dry["taskUUID"] == real["taskUUID"] == result.task_uuid
    assert len(fake.tasks) == 1


def test_an_unpriced_answer_that_ran_nothing_is_sent_once_under_the_same_uuid(tmp_path):
    # a proxy answers dry runs with an empty acknowledgement and runs nothing: the real run asks first
    fake = FakeRunware(polls=1)
    fake.script("videoInference", httpx.Response(200, json={"data": []}))

    async def go():
        async with make_client(fake, tmp_path) as client:
            est = await client.estimate(REQ)
            return est, await client.run(REQ)

    est, result = run(go())
    dry, real = fake.posts("videoInference")
    assert dry["taskUUID"] == real["taskUUID"] == result.task_uuid and len(fake.tasks) == 1
    assert any("like a live task" in n for n in est.notes)
    polled = [t for t in fake.posts("getResponse") if t["taskUUID"] == dry["taskUUID"]]
    assert len(polled) >= 3  # "not found" several times before sending: never a blind second task


def test_a_refused_dry_run_is_not_recorded(tmp_path):
    fake = FakeRunware()
    bad = {"code": "invalidPrompt", "message": "no", "parameter": "positivePrompt"}

    async def go():
        async with make_client(fake, tmp_path) as client:
            fake.script("videoInference", httpx.Response(400, json={"errors": [bad]}))
            await client.estimate(GenerateRequest("a lighthouse", resolution="360p"))
            return client.pending()

    assert run(go()) == []


class StatusAnsweringProxy(FakeRunware):
    """Runs dry runs for real and answers them with the task's status, as a live submit's answer may."""

    def _task(self, task, dry):
        item, err = super()._task(task, False)
        if task.get("taskType") == "videoInference" and item is not None:
            item = {**item, "status": "processing"}
        return item, err


def test_a_dry_run_answered_with_a_task_status_is_acknowledged_and_adopted(tmp_path):
    fake = StatusAnsweringProxy(polls=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            est = await client.estimate(REQ)
            (entry,) = client.pending()
            return est, entry, await client.run(REQ)

    est, entry, result = run(go())
    assert entry.submitted is not None  # acknowledged: polled, never re-sent
    assert len(fake.tasks) == 1 and len(fake.posts("videoInference")) == 1
    assert result.task_uuid == entry.task_uuid and any("like a live task" in n for n in est.notes)
