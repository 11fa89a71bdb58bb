"""The client end to end against the real local backend (a Runware-protocol server on 127.0.0.1)."""

from __future__ import annotations

import pytest

import lumakit.client._async_client as client_module
from lumakit import media
from lumakit.client import Client, PollPolicy, RetryPolicy
from lumakit.errors import TaskFailed
from lumakit.local import FaultPlan, LocalServer
from lumakit.request import ModifyRequest

FAST = PollPolicy(initial_delay=0.05, interval=0.05, max_interval=0.2)


def local_client(server: LocalServer, tmp_path, **kw) -> Client:
    return Client(
        backend="local", base_url=server.url, cache_dir=tmp_path / "cache", progress=False, poll=FAST, **kw
    )


def test_modify_on_the_local_backend_end_to_end(tmp_path, clip):
    with LocalServer(tmp_path / "server") as server, local_client(server, tmp_path) as client:
        r = client.modify(str(clip), "a glass dolphin", strength="flex_2")
        info = media.probe(r.path)
        before = server.stats["requests"]
        again = client.modify(str(clip), "a glass dolphin", strength="flex_2")
        hit_requests = server.stats["requests"] - before
        chained = client.modify(r, "now at night", strength="adhere_1")
        est = client.estimate(ModifyRequest(str(clip), "x", strength="reimagine_3"))
    assert (info.width, info.height) == (160, 90) and info.duration == pytest.approx(1.0, abs=0.15)
    assert r.is_local and "local preview, not Ray" in repr(r) and r.cost is not None
    assert f"${r.cost:.2f} (estimate)" in repr(r)  # the local backend's cost is the table's, not a bill
    assert again.cached and hit_requests == 0 and again.path == r.path
    assert chained.path.is_file() and chained.request.video.value == r.video_uuid
    assert est.source == "local tariff" and est.total > 0
    assert server.stats["uploads"] == 1  # the clip was uploaded once


def test_dropped_submit_is_not_sent_twice_and_faults_are_survived(tmp_path, clip):
    plan = FaultPlan(
        [
            ("submit", "drop_after"),
            ("poll", 429, {"retry_after": 0.2}),
            ("poll", 503),
            ("download", "drop_before"),
        ]
    )
    fast_retry = RetryPolicy(base_delay=0.05)
    with (
        LocalServer(tmp_path / "server", faults=plan) as server,
        local_client(server, tmp_path, retry=fast_retry) as client,
    ):
        r = client.modify(str(clip), "a glass dolphin", strength="flex_2")
    assert r.path.is_file()
    assert server.stats["submits"] == 1 and server.stats["jobs_created"] == 1
    assert server.stats["resends"] == 0  # never re-sent: the dropped submit was polled, not repeated
    assert server.stats["faults"] == 4


@pytest.mark.parametrize("form", ["errors", "data"])
def test_task_error_from_the_local_backend(tmp_path, clip, form):
    plan = FaultPlan([("submit", "task_error", {"code": "providerError", "form": form})])
    with LocalServer(tmp_path / "server", faults=plan) as server, local_client(server, tmp_path) as client:
        with pytest.raises(TaskFailed) as info:
            client.modify(str(clip), "a glass dolphin", strength="flex_2")
        entry = client.history()[0]
    assert info.value.code == "providerError" and info.value.task_uuid == entry.task_uuid
    assert entry.state == "failed"


def test_no_key_starts_the_shared_local_backend_and_says_so_once(tmp_path, clip, capsys, monkeypatch):
    monkeypatch.setattr(client_module, "_announced", set())
    with Client(cache_dir=tmp_path / "cache", progress=False, poll=FAST) as a:
        assert a.backend == "local" and a.base_url.startswith("http://127.0.0.1:")
        with Client(cache_dir=tmp_path / "cache", progress=False, poll=FAST) as b:
            assert b.base_url == a.base_url
            r = b.modify(str(clip), "a glass dolphin", strength="adhere_1")
    err = capsys.readouterr().err
    assert err.count("local previews, not Ray") == 1
    assert r.is_local


def test_a_client_without_a_key_starts_the_local_backend_on_first_use_not_when_constructed(
    tmp_path, clip, monkeypatch
):
    import threading

    import lumakit.local.server as server_module

    monkeypatch.setattr(server_module, "_shared", None)  # a fresh kernel: no shared backend yet
    monkeypatch.setattr(client_module, "_announced", set())

    def serving() -> list[str]:
        return [t.name for t in threading.enumerate() if t.name == "lumakit-local"]

    before = serving()
    client = Client(cache_dir=tmp_path / "cache", progress=False, poll=FAST)
    try:
        assert client.backend == "local" and server_module._shared is None and serving() == before
        assert "starts on first use" in repr(client)  # a repr does not start it either
        r = client.modify(str(clip), "a glass dolphin", strength="adhere_1")
        started = server_module._shared
        assert started is not None and started.running and r.is_local
        assert len(serving()) == len(before) + 1 and client.base_url == started.url
    finally:
        client.close()
        if server_module._shared is not None:
            server_module._shared.stop()


def test_garbled_answers_are_ambiguous_not_fatal(tmp_path, clip):
    plan = FaultPlan([("submit", "malformed"), ("poll", "malformed")])
    with LocalServer(tmp_path / "server", faults=plan) as server, local_client(server, tmp_path) as client:
        r = client.modify(str(clip), "a glass dolphin", strength="flex_2")
    assert r.path.is_file() and server.stats["jobs_created"] == 1


def test_the_default_local_client_polls_briskly_and_keeps_its_answers_intact(tmp_path, clip):
    """No key: the shared local backend, a quick cadence, and 'local' is not scrubbed out of the answers."""
    with Client(cache_dir=tmp_path / "cache", progress=False) as client:
        assert client.backend == "local" and client.aio.poll == PollPolicy.local()
        assert client.aio.poll.initial_delay < PollPolicy().initial_delay
        r = client.modify(str(clip), "a glass dolphin", strength="adhere_1")
    local = r.extra["lumakitLocal"]
    assert local["backend"] == "local-preview" and "***" not in repr(r.extra)
    assert local["note"] == "local preview renderer, not Ray"
