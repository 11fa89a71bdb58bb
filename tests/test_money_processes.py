"""The ledger is the truth across processes: a killed kernel's tasks are adopted by the next one, and two
processes starting the same request at once create one job. Runs real processes against the local backend."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from _clips import make_clip

from lumakit.cache import Cache
from lumakit.client import Client, PollPolicy
from lumakit.lifecycle import TaskState
from lumakit.local import LocalServer

FAST = PollPolicy(initial_delay=0.1, interval=0.1, max_interval=0.3)
LEVELS = ["adhere_1", "flex_2", "reimagine_3"]
PROMPT = "a glass dolphin"

pytestmark = pytest.mark.slow

CHILD = textwrap.dedent(
    """
    import json, sys
    from lumakit.client import Client, PollPolicy
    url, cache, clip, what = sys.argv[1:5]
    client = Client(backend="local", base_url=url, cache_dir=cache, progress=False,
                    poll=PollPolicy(initial_delay=0.1, interval=0.1, max_interval=0.3))
    if what == "sweep":
        runs = client.sweep(clip, "a glass dolphin", strengths=["adhere_1", "flex_2", "reimagine_3"])
        print(json.dumps({k: r.task_uuid for k, r in runs.items()}))
    else:
        r = client.modify(clip, "a glass dolphin", strength="flex_1")
        print(json.dumps({"flex_1": r.task_uuid, "path": str(r.path)}))
    """
)


def child(server: LocalServer, cache, clip, what: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, server.url, str(cache), str(clip), what],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(condition, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.05)


def local_client(server: LocalServer, cache) -> Client:
    return Client(backend="local", base_url=server.url, cache_dir=cache, progress=False, poll=FAST)


@pytest.fixture
def clip(tmp_path):
    return make_clip(tmp_path / "clip.mp4", seconds=0.5, fps=12, w=96, h=54)


def test_a_sweep_killed_after_its_submits_is_adopted_by_the_rerun_with_zero_new_submits(tmp_path, clip):
    cache = tmp_path / "cache"
    with LocalServer(tmp_path / "server", latency=4.0) as server:
        proc = child(server, cache, clip, "sweep")
        wait_for(lambda: server.stats["jobs_created"] == len(LEVELS))
        proc.send_signal(signal.SIGKILL)  # the kernel dies with three paid jobs running
        proc.wait(30)
        in_flight = [e for e in Cache(cache).ledger.history() if e.in_flight]
        with local_client(server, cache) as client:
            before = server.stats["jobs_created"]
            runs = client.sweep(str(clip), PROMPT, strengths=LEVELS)  # the same cell, run again
            new_jobs = server.stats["jobs_created"] - before
    assert len(in_flight) == len(LEVELS)
    assert new_jobs == 0  # adopted, not paid again
    assert {r.task_uuid for r in runs.values()} == {e.task_uuid for e in in_flight}
    assert all(r.path.is_file() for r in runs.values())


def test_two_processes_starting_the_same_request_at_once_create_one_job(tmp_path, clip):
    cache = tmp_path / "cache"
    with LocalServer(tmp_path / "server", latency=1.0) as server:
        procs = [child(server, cache, clip, "modify") for _ in range(2)]
        outs = [p.communicate(timeout=120) for p in procs]
        jobs = server.stats["jobs_created"]
    for proc, (_out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err
    answers = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    assert jobs == 1, (answers, [err for _, err in outs])
    assert answers[0]["flex_1"] == answers[1]["flex_1"]
    assert len(Cache(cache).ledger.history()) == 1


def test_a_task_whose_preparing_process_died_is_sent_once_by_the_next(tmp_path, clip):
    """Killed while uploading: nothing reached the service; the next run takes the task over and sends it."""
    cache = tmp_path / "cache"
    with LocalServer(tmp_path / "server") as server:
        with local_client(server, cache) as client:
            plan = client.plan_sweep(str(clip), PROMPT, strengths=["flex_1"])
        claim = textwrap.dedent(
            """
            import asyncio, sys
            from lumakit.cache import Cache
            from lumakit.client._prepared import prepare
            from lumakit.request import build
            cache = Cache(sys.argv[1])
            request = build("modify", video=sys.argv[2], prompt="a glass dolphin", strength="flex_1")
            job = asyncio.run(prepare(request, "flex_1", cache, "local", False))
            uid = "11111111-2222-4333-8444-555555555555"
            entry, mine = cache.ledger.claim(uid, kind="modify", key=job.key,
                                      backend="local", wire=request.to_task(task_uuid=uid), label="flex_1",
                                      extra={"sources": job.local_sources()})
            print(entry.state, mine)
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", claim, str(cache), str(clip)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": os.getcwd()},
            timeout=60,
        )
        assert done.stdout.split() == ["preparing", "True"], done.stderr
        with local_client(server, cache) as client:
            runs = client.run(plan)
            entry = client.cache.ledger.get("11111111-2222-4333-8444-555555555555")
        jobs = server.stats["jobs_created"]
    assert jobs == 1 and runs["flex_1"].task_uuid == entry.task_uuid and entry.state is TaskState.DONE


def test_many_kernels_opening_a_new_ledger_at_once_all_start(tmp_path):
    """Kernels started together on a fresh cache raced for SQLite's switch to WAL ("database is locked")."""
    code = "import sys; from lumakit.cache import Cache; Cache(sys.argv[1]).close(); print('ok')"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    for attempt in range(3):
        cache = tmp_path / f"cache{attempt}"
        cmd = [sys.executable, "-c", code, str(cache)]
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env) for _ in range(6)]
        outs = [p.communicate(timeout=120)[0] for p in procs]
        assert [p.returncode for p in procs] == [0] * 6 and all(o.strip() == "ok" for o in outs)


def test_a_request_another_process_finishes_between_this_calls_look_and_its_claim_is_not_sent_again(
    tmp_path, clip, monkeypatch
):
    """This call looked for a finished result and found none; before it claims the ledger slot, another
    kernel (a real process) runs the same request to the end. This call uses that result: one job, not two."""
    cache = tmp_path / "cache"
    finished_elsewhere: list[dict] = []
    with LocalServer(tmp_path / "server") as server:
        with local_client(server, cache) as client:
            real_claim = client.cache.ledger.claim

            def claim_after_the_other_kernel_finishes(*args, **kwargs):
                if not finished_elsewhere:
                    proc = child(server, cache, clip, "modify")
                    out, err = proc.communicate(timeout=120)
                    assert proc.returncode == 0, err
                    finished_elsewhere.append(json.loads(out.strip().splitlines()[-1]))
                return real_claim(*args, **kwargs)

            monkeypatch.setattr(client.cache.ledger, "claim", claim_after_the_other_kernel_finishes)
            result = client.modify(str(clip), PROMPT, strength="flex_1")
        jobs = server.stats["jobs_created"]
    (theirs,) = finished_elsewhere
    assert jobs == 1  # the other kernel's job, paid once
    assert result.task_uuid == theirs["flex_1"] and str(result.path) == theirs["path"]
    assert result.path.is_file()
