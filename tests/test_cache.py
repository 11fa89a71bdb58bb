"""The result cache and the ledger: content addressing, atomic downloads, states, history, concurrency."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading

import httpx
import pytest
from _clips import clip_and_copy, make_clip
from _fake_runware import SRC, BrokenStream, FakeRunware, make_client, video_bytes

from lumakit.cache import Cache, default_cache_dir
from lumakit.client import RetryPolicy
from lumakit.errors import APIError, RequestError


def result_files(tmp_path):
    return [p for p in (tmp_path / "cache" / "results").rglob("*") if p.is_file()]


def test_a_killed_download_leaves_no_entry_and_the_next_call_downloads_again(tmp_path):
    fake = FakeRunware(polls=1)
    size = len(video_bytes())
    fake.download_fault = lambda: httpx.Response(
        200, headers={"Content-Length": str(size)}, stream=BrokenStream(size // 2)
    )

    async def go():
        async with make_client(fake, tmp_path, retry=RetryPolicy(max_attempts=2)) as client:
            with pytest.raises(APIError):
                await client.modify(SRC, "a glass dolphin", strength="flex_1")
            files_after_kill = result_files(tmp_path)
            entry = client.history()[0]
            fake.download_fault = None
            r = await client.modify(SRC, "a glass dolphin", strength="flex_1")
            return files_after_kill, entry, r

    files_after_kill, entry, r = asyncio.run(go())
    assert files_after_kill == []  # no partial file, not even a temp file
    assert entry.state == "interrupted" and entry.video_url
    assert not r.cached and r.path.read_bytes() == video_bytes()
    assert r.task_uuid == entry.task_uuid  # finished the paid task, did not run it again
    assert len(fake.posts("videoInference")) == 1
    gets = [m for m, *_ in fake.requests if m == "GET"]
    assert len(gets) == 3


def test_a_download_cancelled_midway_leaves_no_file(tmp_path):
    fake = FakeRunware(polls=1)
    started = asyncio.Event()

    class Slow(httpx.AsyncByteStream):
        async def __aiter__(self):
            yield video_bytes()[:100]
            started.set()
            await asyncio.sleep(30)
            yield video_bytes()[100:]

    fake.download_fault = lambda: httpx.Response(
        200, headers={"Content-Length": str(len(video_bytes()))}, stream=Slow()
    )

    async def go():
        async with make_client(fake, tmp_path) as client:
            task = asyncio.create_task(client.modify(SRC, "a glass dolphin", strength="flex_1"))
            await asyncio.wait_for(started.wait(), 5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return client.history()[0]

    entry = asyncio.run(go())
    assert result_files(tmp_path) == []
    assert entry.state == "interrupted"


def test_same_content_under_another_name_is_a_hit_and_an_edited_file_is_not(tmp_path):
    fake = FakeRunware(polls=1)
    a, b = clip_and_copy(tmp_path, seed=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            r1 = await client.modify(str(a), "x", strength="flex_1")
            r2 = await client.modify(str(b), "x", strength="flex_1")
            make_clip(a, seconds=1.0, fps=12, w=64, h=36, seed=2)  # edit the file in place
            r3 = await client.modify(str(a), "x", strength="flex_1")
            return r1, r2, r3

    r1, r2, r3 = asyncio.run(go())
    assert r2.cached and r2.path == r1.path
    assert not r3.cached and r3.path != r1.path
    assert len(fake.posts("mediaStorage")) == 2


def test_ledger_records_every_state_and_never_the_key(tmp_path):
    fake = FakeRunware(polls=2)
    seen = []

    def watch(update):
        if update.task_uuid:
            seen.append(Cache(tmp_path / "cache").ledger.get(update.task_uuid).state)

    async def go():
        async with make_client(fake, tmp_path) as client:
            r = await client.modify(SRC, "a glass dolphin", strength="flex_1", label="first", on_update=watch)
            return r, client.history()

    r, history = asyncio.run(go())
    assert seen[0] == "submitted" and "processing" in seen and seen[-1] == "done"  # recorded before the POST
    (e,) = history
    assert (e.task_uuid, e.kind, e.label, e.state, e.cost) == (r.task_uuid, "modify", "first", "done", 0.54)
    assert e.wire["taskUUID"] == r.task_uuid and e.wire["settings"]["edit"] == {"strength": "flex_1"}
    assert e.video_uuid == r.video_uuid and e.result_path == str(r.path) and e.seconds is not None
    assert "first" in repr(history) and "done" in repr(history) and "<table" in history._repr_html_()


def test_history_is_newest_first_with_a_limit(tmp_path):
    cache = Cache(tmp_path)
    for i in range(5):
        cache.ledger.claim(
            f"00000000-0000-4000-8000-00000000000{i}", kind="modify", key=None, backend="local", wire=None
        )
    history = cache.ledger.history()
    assert [e.task_uuid[-1] for e in history] == ["4", "3", "2", "1", "0"]
    assert len(cache.ledger.history(limit=2)) == 2
    with pytest.raises(RequestError, match="limit"):
        cache.ledger.history(limit=-1)
    with pytest.raises(RequestError, match="state"):
        cache.ledger.update(history[0].task_uuid, state="done")  # states change only along the state machine
    with pytest.raises(ValueError, match="finished"):
        cache.ledger.move(history[0].task_uuid, "finished")


def test_ledger_is_safe_across_threads_and_processes(tmp_path):
    cache = Cache(tmp_path)
    code = (
        "import sys; from lumakit.cache import Cache; c = Cache(sys.argv[1]).ledger\n"
        "for i in range(40): c.claim(f'p-{i}', kind='modify', key=f'p{i}', backend='local', wire={'i': i})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)])

    def writer(t):
        for i in range(40):
            uid, key = f"thread{t}-{i}", f"t{t}-{i}"
            cache.ledger.claim(uid, kind="modify", key=key, backend="local", wire={"i": i})
            assert cache.ledger.move(uid, "submitted")

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert proc.wait(60) == 0
    history = cache.ledger.history()
    assert len(history) == 200
    assert sum(e.state == "submitted" for e in history) == 160


def test_default_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMAKIT_CACHE_DIR", str(tmp_path / "here"))
    assert default_cache_dir() == tmp_path / "here"
    monkeypatch.delenv("LUMAKIT_CACHE_DIR")
    assert "lumakit" in str(default_cache_dir())


def test_the_ledger_table_has_a_column_for_each_field_of_a_ledger_entry_and_no_other(tmp_path):
    """The columns are read from ``LedgerEntry``: a field added there without a column (or the reverse)
    would lose what the ledger records."""
    import dataclasses
    import sqlite3

    from lumakit.cache import LedgerEntry

    Cache(tmp_path / "c").close()
    with sqlite3.connect(tmp_path / "c" / "ledger.sqlite3") as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(tasks)")}
    assert columns == {f.name for f in dataclasses.fields(LedgerEntry)}


def test_a_cached_local_result_is_a_preview_by_the_layout_the_cache_writes(tmp_path):
    from lumakit._preview import is_preview

    cache = Cache(tmp_path / "c")
    key = "ab" * 32
    try:
        assert is_preview(cache.results.path(key, "local", task_uuid="12345678-aaaa"))
        assert not is_preview(cache.results.path(key, "runware"))
        assert not is_preview(tmp_path / "clip.mp4")
    finally:
        cache.close()
