"""A task's failure in a poll answer reads one way, in the ``data`` item or in the ``errors`` array.

Runware answers a task's end either as ``{"data": [{"status": "error", "error": {...}}]}`` or as an
``errors`` item carrying the task's UUID (spec §5.4). A provider's code (``timeoutProvider``) ends the task
in both forms; 429 and 5xx say nothing about the task in either (spec §5.5).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from _fake_runware import SRC, FakeRunware, make_client

from lumakit.errors import APIError, RateLimitError, TaskFailed
from lumakit.wire.answers import interpret_poll

UID = "3f0c2d9e-8b1a-4c5e-9f7d-2a6b1c0e4d11"
TIMEOUT = {"code": "timeoutProvider", "message": "The provider did not answer in time"}


def answer(form: str, error: dict) -> dict:
    """A getResponse answer that ends task UID with ``error``, in one of the two forms."""
    if form == "data":
        return {"data": [{"taskType": "videoInference", "taskUUID": UID, "status": "error", "error": error}]}
    return {"errors": [{**error, "taskUUID": UID, "taskType": "videoInference"}]}


@pytest.mark.parametrize("status", [200, 400])
@pytest.mark.parametrize("form", ["data", "errors"])
def test_a_provider_code_ends_the_task_in_either_form(form: str, status: int) -> None:
    outcome = interpret_poll(status, answer(form, TIMEOUT), UID)
    assert outcome.state == "error"
    assert isinstance(outcome.error, TaskFailed) and outcome.error.code == "timeoutProvider"
    assert outcome.error.task_uuid == UID


@pytest.mark.parametrize(("status", "kind"), [(429, RateLimitError), (500, APIError), (503, APIError)])
def test_429_and_5xx_stay_about_the_service_whatever_the_code(status: int, kind: type) -> None:
    with pytest.raises(kind) as info:  # raised: the task may still run; it is not failed
        interpret_poll(status, answer("errors", TIMEOUT), UID)
    assert not isinstance(info.value, TaskFailed)


@pytest.mark.parametrize("form", ["data", "errors"])
def test_timeout_provider_fails_the_task_once_and_resume_does_not_ask_again(tmp_path, form: str) -> None:
    fake = FakeRunware(polls=2)
    fake.fail_next, fake.fail_form = dict(TIMEOUT), form

    async def go():
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(TaskFailed) as first:
                await client.modify(SRC, "a glass dolphin", strength="flex_2")
            polls = len(fake.posts("getResponse"))
            with pytest.raises(TaskFailed):
                await asyncio.wait_for(client.resume(first.value.task_uuid), timeout=5)
            return first.value, client.history(), polls

    err, history, polls = asyncio.run(go())
    assert err.code == "timeoutProvider" and history[0].state == "failed"
    assert len(fake.posts("videoInference")) == 1  # one job, never re-sent
    assert len(fake.posts("getResponse")) == polls  # the ledger says failed: resume asks the service nothing


def test_a_503_on_a_poll_leaves_the_task_running(tmp_path) -> None:
    fake = FakeRunware(polls=2)
    fake.script("getResponse", httpx.Response(503, json={"errors": [dict(TIMEOUT)]}))

    async def go():
        async with make_client(fake, tmp_path) as client:
            return await client.modify(SRC, "a glass dolphin", strength="flex_2")

    result = asyncio.run(go())
    assert result.path.is_file() and len(fake.posts("videoInference")) == 1
