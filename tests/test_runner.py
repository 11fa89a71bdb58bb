"""The task runner's outcomes, each of one type: ``submit`` gives a handle on the task's UUID however the
task it adopts ends up, and never a second job."""

from __future__ import annotations

import asyncio
import fcntl

from _fake_runware import SRC, FakeClock, FakeRunware, make_client

from lumakit.client._prepared import prepare_many
from lumakit.request import ModifyRequest

PROMPT = "a glass dolphin"


def test_submit_that_adopts_a_task_another_process_finishes_meanwhile_hands_back_its_uuid(tmp_path):
    """Another live process is preparing the same request; while this submit waits for it, that process
    sends it and the task finishes. The handle points at that task (its UUID), nothing is sent from here."""
    fake = FakeRunware(polls=1)
    clock = FakeClock()
    request = ModifyRequest(SRC, PROMPT, strength="flex_2")
    other = "elsewhere-4242-0badc0de"  # another process's owner token, its lock held as a live one holds it

    async def go():
        async with make_client(fake, tmp_path, clock, _sleep=finish_meanwhile) as client:
            cache = client.cache
            (job,) = await prepare_many({"modify": request}, cache, client.backend, False, 0)
            uuid = "11111111-2222-4333-8444-555555555555"
            ledger = cache.ledger
            ledger.claim(uuid, kind="modify", key=job.key, backend=client.backend, wire=request.to_task())
            cache.ledger.update(uuid, owner=other)
            lock = open(cache.root / "owners" / f"{other}.lock", "wb")  # noqa: SIM115
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            done_file = tmp_path / "done.mp4"
            done_file.write_bytes(b"\0" * 64)
            state["finish"] = lambda: (
                cache.ledger.sending(uuid, request.to_task(task_uuid=uuid)),
                cache.ledger.running(uuid, video_url="https://example.org/done.mp4"),
                cache.ledger.done(uuid, str(done_file), {}),
            )
            try:
                handle = await client.submit(request)
            finally:
                lock.close()
            return uuid, handle, cache.ledger.get(uuid)

    state: dict = {}

    async def finish_meanwhile(seconds: float) -> None:
        if "finish" in state:
            state.pop("finish")()  # the other process sends the task and it finishes while we wait
        await clock.sleep(seconds)

    uuid, handle, entry = asyncio.run(go())
    assert handle.task_uuid == uuid and entry.state == "done"
    assert fake.posts("videoInference") == []  # adopted: nothing sent from here
