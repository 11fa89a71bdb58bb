"""The sync Client works inside a running event loop (Jupyter); an interrupt leaves a resumable task."""

from __future__ import annotations

import _thread
import asyncio
import threading

import pytest
from _fake_runware import KEY, SRC, FakeClock, FakeRunware, make_client

from lumakit.client import Client, PollPolicy


def test_sync_client_inside_a_running_event_loop(tmp_path):
    fake = FakeRunware(polls=2)
    client = make_client(fake, tmp_path, sync=True)

    async def notebook_cell():
        asyncio.get_running_loop()  # we are inside a running loop, as in Jupyter
        r = client.modify(SRC, "a glass dolphin", strength="flex_2")
        runs = client.sweep(SRC, "a glass dolphin", strengths=["adhere_1", "reimagine_3"])
        return r, runs

    r, runs = asyncio.run(notebook_cell())
    client.close()
    assert r.path.is_file() and list(runs) == ["adhere_1", "reimagine_3"]
    assert fake.max_in_flight == 2


def test_sync_client_with_progress_bar_and_history(tmp_path, capsys):
    fake = FakeRunware(polls=2)
    with Client(
        KEY,
        base_url=fake.base_url,
        cache_dir=tmp_path / "cache",
        transport=fake.transport(),
        _sleep=FakeClock().sleep,
    ) as client:
        r = client.modify(SRC, "a glass dolphin", strength="flex_2")
        history = client.history()
    err = capsys.readouterr().err
    assert "modify" in err and "100%" in err  # one tqdm bar for the call
    assert [e.task_uuid for e in history] == [r.task_uuid]
    assert client.aio.backend == client.backend == "runware"


def test_keyboard_interrupt_marks_the_task_interrupted_and_resume_finishes_it(tmp_path):
    fake = FakeRunware(polls=10_000)
    poll = PollPolicy(initial_delay=0.01, interval=0.01, max_interval=0.02)
    client = make_client(fake, tmp_path, real_time=True, sync=True, poll=poll)
    timer = threading.Timer(0.4, _thread.interrupt_main)  # what a Jupyter "interrupt kernel" does
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            client.modify(SRC, "a glass dolphin", strength="flex_2")
    finally:
        timer.cancel()
    entry = client.history()[0]
    assert entry.state == "interrupted"
    task = fake.tasks[entry.task_uuid]
    task.done_after = task.polls + 1
    # a restarted kernel: a new client on the same cache dir
    fresh = make_client(fake, tmp_path, real_time=True, sync=True)
    r = fresh.resume(entry.task_uuid)
    assert r.task_uuid == entry.task_uuid and r.path.is_file()
    assert len(fake.posts("videoInference")) == 1
    client.close()
    fresh.close()


def test_cancelling_an_async_call_leaves_it_resumable(tmp_path):

    fake = FakeRunware(polls=10_000)

    async def go():
        poll = PollPolicy(initial_delay=0.005, interval=0.005, max_interval=0.01)
        client = make_client(fake, tmp_path, real_time=True, poll=poll)
        task = asyncio.create_task(client.modify(SRC, "a glass dolphin", strength="flex_2"))
        while len(fake.posts("getResponse")) < 3:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        entry = client.history()[0]
        fake.tasks[entry.task_uuid].done_after = 0
        r = await client.resume(entry.task_uuid)
        await client.aclose()
        return entry, r

    entry, r = asyncio.run(go())
    assert entry.state == "interrupted" and r.task_uuid == entry.task_uuid


def test_the_sync_client_spells_out_the_async_clients_signatures():
    """Editors and type checkers see strength=, controls= and the rest on Client too, and they never drift."""
    import inspect

    from lumakit.client import AsyncClient, Client

    names = ("modify", "sweep", "generate", "reframe", "run", "submit", "wait", "resume", "resume_all")
    for name in (*names, "estimate", "plan_sweep", "history", "pending"):
        sync, twin = inspect.signature(getattr(Client, name)), inspect.signature(getattr(AsyncClient, name))
        assert [(p.name, p.kind, p.default) for p in sync.parameters.values()] == [
            (p.name, p.kind, p.default) for p in twin.parameters.values()
        ], name
        assert "kwargs" not in sync.parameters, name
        assert getattr(Client, name).__doc__ or name == "submit"
    sync_init = [p.name for p in inspect.signature(Client).parameters.values()]
    async_init = [p.name for p in inspect.signature(AsyncClient).parameters.values()]
    assert sync_init == [*[n for n in async_init if not n.startswith("_")], "private"]
