"""A Runware task resumed from a client without a key is refused at once; ``estimate(take=)`` prices a take
against the cache as it will run."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from _fake_runware import SRC, FakeRunware, make_client

from lumakit.errors import RequestError
from lumakit.lifecycle import TaskState
from lumakit.request import ModifyRequest


def run(coro: Any) -> Any:
    return asyncio.run(coro)


REQ = ModifyRequest(SRC, "a glass dolphin", strength="flex_1", resolution="360p")


def test_resuming_a_runware_task_without_a_key_refuses_at_once_and_asks_nobody(tmp_path):
    fake = FakeRunware(polls=5)

    async def go():
        async with make_client(fake, tmp_path) as client:
            handle = await client.submit(REQ)  # in flight on Runware
        asked = fake.http_requests
        async with make_client(fake, tmp_path, key=None, backend="local") as keyless:
            assert keyless.backend == "local"
            start = time.monotonic()
            with pytest.raises(RequestError) as info:
                await keyless.resume(handle.task_uuid, timeout=600)
            return (
                handle.task_uuid,
                info.value,
                time.monotonic() - start,
                asked,
                keyless.cache.ledger.get(handle.task_uuid),
            )

    uuid, err, took, asked, entry = run(go())
    assert took < 1.0 and fake.http_requests == asked  # refused before any request, not after a timeout
    assert err.parameter == "task_uuid" and "runware backend" in str(err) and "nothing was asked" in str(err)
    assert "RUNWARE_API_KEY" in str(err) and uuid in str(err)
    assert entry.state is TaskState.SUBMITTED  # the task is still in flight in the ledger, untouched


def test_a_local_task_is_not_resumed_against_runware(tmp_path):
    fake = FakeRunware(polls=5)

    async def go():
        async with make_client(fake, tmp_path, key=None, backend="local") as local:
            handle = await local.submit(REQ)
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(RequestError) as info:
                await client.wait(handle.task_uuid)
            return info.value

    assert "backend='local'" in str(run(go()))


def test_estimate_prices_another_take_as_it_will_run(tmp_path):
    fake = FakeRunware(polls=1, cost=0.54)

    async def go():
        async with make_client(fake, tmp_path) as client:
            await client.run(REQ)  # take 0 is cached now
            zero = await client.estimate(REQ)
            one = await client.estimate(REQ, take=1)
            await client.run(REQ, take=1)
            one_after = await client.estimate(REQ, take=1)
            return zero, one, one_after

    zero, one, one_after = run(go())
    assert zero.total == 0 and zero.lines[0].cached
    assert one.total == pytest.approx(0.54) and not one.lines[0].cached  # a cached take 0 is not take 1
    assert one_after.total == 0 and one_after.lines[0].cached
    assert len(fake.tasks) == 2


def test_estimate_refuses_a_bad_take(tmp_path):
    async def go():
        async with make_client(FakeRunware(), tmp_path) as client:
            with pytest.raises(RequestError) as info:
                await client.estimate(REQ, take=-1)
            return info.value

    assert run(go()).parameter == "take"
