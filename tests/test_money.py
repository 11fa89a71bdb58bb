"""Never pay twice, never lose a job: each fault path ends with exactly one job at the server and the result
on disk, and the ledger keeps every task that may be running (lumakit.lifecycle's state machine)."""

from __future__ import annotations

import asyncio
import json
import threading

import httpx
import pytest
from _fake_runware import SRC, FakeClock, FakeRunware, make_client, video_bytes

from lumakit.cache import Cache
from lumakit.client import RetryPolicy
from lumakit.errors import APIError, RateLimitError, TaskFailed
from lumakit.lifecycle import IN_FLIGHT, TRANSITIONS, TaskState, can_move

PROMPT = "a glass dolphin"


def run(coro):
    return asyncio.run(coro)


def kinds(request: httpx.Request) -> list[str]:
    if request.method != "POST":
        return []
    return [t.get("taskType") for t in json.loads(request.content)]


class Meddler:
    """Wraps a fake's transport: ``rule(request, uuids)`` may answer a getResponse POST in its place."""

    def __init__(self, fake: FakeRunware, rule):
        self.fake, self.rule = fake, rule
        self.answered = 0

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            if kinds(request) and kinds(request)[0] == "getResponse":
                uuids = [t["taskUUID"] for t in json.loads(request.content)]
                answer = self.rule(request, uuids)
                if answer is not None:
                    self.answered += 1
                    with self.fake.lock:
                        self.fake.requests.append(("POST", str(request.url), {}, json.loads(request.content)))
                    return answer
            return self.fake.handle(request)

        return httpx.MockTransport(handle)


def one_job_and_a_file(fake: FakeRunware, result) -> None:
    assert len(fake.posts("videoInference")) == 1  # exactly one job at the server
    assert result.path.is_file() and result.task_uuid == fake.posts("videoInference")[0]["taskUUID"]


# ---- the state machine --------------------------------------------------------------------------------
def test_the_state_machine_keeps_in_flight_tasks_in_flight():
    assert not can_move("done", "interrupted") and not can_move("failed", "submitted")
    assert can_move("not_sent", "preparing") and can_move("interrupted", "processing")
    for state in IN_FLIGHT:  # an in-flight task never becomes "not sent" or "preparing" again
        assert TaskState.PREPARING not in TRANSITIONS[state]
        assert state is TaskState.SUBMITTED or TaskState.NOT_SENT not in TRANSITIONS[state]


# ---- 1. the submit's answer is lost, then the service cannot be asked ----------------------------------
def test_lost_submit_answer_and_unreachable_probe_keeps_the_task_and_a_rerun_adopts_it(tmp_path):
    fake = FakeRunware(polls=1)
    fake.script("videoInference", httpx.ReadError("reset after the POST"), after_accept=True)
    for _ in range(2):
        fake.script("getResponse", httpx.ConnectError("service unreachable"))

    async def go():
        async with make_client(fake, tmp_path, retry=RetryPolicy(max_attempts=2)) as client:
            with pytest.raises(APIError) as info:
                await client.modify(SRC, PROMPT, strength="flex_1")
            entry = client.history()[0]
            again = await client.modify(SRC, PROMPT, strength="flex_1")  # the same cell, re-run
            return info.value, entry, again

    err, entry, again = run(go())
    assert err.code == "submitUnknown" and err.task_uuid == entry.task_uuid
    assert entry.state is TaskState.INTERRUPTED and entry.resumable
    one_job_and_a_file(fake, again)
    assert again.task_uuid == entry.task_uuid and not again.cached


# ---- 2. polls answered 429 / 503 whose error carries the task's UUID ------------------------------------
@pytest.mark.parametrize("status,code", [(429, "rateLimitExceeded"), (503, "serviceUnavailable")])
def test_capacity_errors_on_polls_never_fail_the_task(tmp_path, status, code):
    fake = FakeRunware(polls=2)
    busy = {"left": 2}

    def rule(request, uuids):
        if busy["left"] <= 0:
            return None
        busy["left"] -= 1
        errors = [{"code": code, "message": "busy", "taskUUID": u, "taskType": "getResponse"} for u in uuids]
        return httpx.Response(status, json={"errors": errors})

    meddler = Meddler(fake, rule)

    async def go():
        kw = {"retry": RetryPolicy(max_attempts=2), "transport": meddler.transport()}
        async with make_client(fake, tmp_path, **kw) as client:
            with pytest.raises(APIError) as info:
                await client.modify(SRC, PROMPT, strength="flex_1")
            entry = client.history()[0]
            resumed = await client.resume(entry.task_uuid)
            rerun = await client.modify(SRC, PROMPT, strength="flex_1")
            return info.value, entry, resumed, rerun

    err, entry, resumed, rerun = run(go())
    assert not isinstance(err, TaskFailed) and (status != 429 or isinstance(err, RateLimitError))
    assert entry.state is TaskState.INTERRUPTED and "busy" in entry.error
    one_job_and_a_file(fake, resumed)
    assert rerun.cached and rerun.task_uuid == resumed.task_uuid


# ---- 3. one "taskFailedOrNotFound" right after an ambiguous submit ---------------------------------------
def test_one_not_found_after_an_ambiguous_submit_is_not_a_reason_to_send_again(tmp_path):
    fake = FakeRunware(polls=1)
    fake.script("videoInference", httpx.ReadError("reset"), after_accept=True)
    late = {"left": 2}  # the service lists the task only after a moment

    def rule(request, uuids):
        if late["left"] <= 0:
            return None
        late["left"] -= 1
        errors = [{"code": "taskFailedOrNotFound", "message": "not found", "taskUUID": u} for u in uuids]
        return httpx.Response(400, json={"errors": errors})

    meddler = Meddler(fake, rule)

    async def go():
        async with make_client(fake, tmp_path, transport=meddler.transport()) as client:
            return await client.modify(SRC, PROMPT, strength="flex_1")

    r = run(go())
    assert meddler.answered == 2
    one_job_and_a_file(fake, r)


# ---- 5. an error that is a string; UUIDs in another case ----------------------------------------------
def test_a_string_error_fails_the_task_with_a_lumakit_error(tmp_path):
    fake = FakeRunware(polls=1)

    def rule(request, uuids):
        items = [{"taskUUID": u.upper(), "status": "error", "error": "provider exploded"} for u in uuids]
        return httpx.Response(200, json={"data": items})

    async def go():
        async with make_client(fake, tmp_path, transport=Meddler(fake, rule).transport()) as client:
            with pytest.raises(TaskFailed, match="provider exploded") as info:
                await client.modify(SRC, PROMPT, strength="flex_1")
            return info.value, client.history()[0]

    err, entry = run(go())
    assert err.task_uuid == entry.task_uuid and entry.state is TaskState.FAILED


def test_answers_are_matched_to_tasks_whatever_the_case_of_their_uuid(tmp_path):
    fake = FakeRunware(polls=1)

    def rule(request, uuids):
        body = json.loads(fake.handle(request).content)
        for item in body.get("data", []):
            item["taskUUID"] = item["taskUUID"].upper()
        return httpx.Response(200, json=body)

    async def go():
        async with make_client(fake, tmp_path, transport=Meddler(fake, rule).transport()) as client:
            return await client.modify(SRC, PROMPT, strength="flex_1")

    one_job_and_a_file(fake, run(go()))


# ---- 6. takes, and force=True never overwrites an earlier take ------------------------------------------
def test_takes_are_separate_samples_each_cached_and_force_keeps_the_earlier_file(tmp_path):
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            t0 = await client.modify(SRC, PROMPT, strength="flex_1")
            t1 = await client.modify(SRC, PROMPT, strength="flex_1", take=1)
            t1_again = await client.modify(SRC, PROMPT, strength="flex_1", take=1)
            reroll = await client.modify(SRC, PROMPT, strength="flex_1", force=True)
            t0_now = await client.modify(SRC, PROMPT, strength="flex_1")
            with pytest.raises(ValueError, match="take"):
                await client.modify(SRC, PROMPT, strength="flex_1", take=-1)
            return t0, t1, t1_again, reroll, t0_now

    t0, t1, t1_again, reroll, t0_now = run(go())
    assert len(fake.posts("videoInference")) == 3  # take 0, take 1, the re-roll; the rest from the cache
    assert len({t0.path, t1.path, reroll.path}) == 3 and all(p.is_file() for p in (t0.path, t1.path))
    assert t1_again.cached and t1_again.path == t1.path
    assert t0_now.cached and t0_now.task_uuid == reroll.task_uuid  # the newest take-0 result


# ---- handles, one front door, pending and resume_all --------------------------------------------------
def test_submit_gives_a_handle_whose_status_is_only_a_look(tmp_path):
    fake = FakeRunware(polls=3)
    from lumakit.request import ModifyRequest

    async def go():
        async with make_client(fake, tmp_path) as client:
            handle = await client.submit(ModifyRequest(SRC, PROMPT, strength="flex_2"))
            before = client.cache.ledger.get(handle.task_uuid)
            look = await handle.status()
            after = client.cache.ledger.get(handle.task_uuid)
            again = await client.submit(ModifyRequest(SRC, PROMPT, strength="flex_2"))  # in flight: adopted
            result = await handle.result()
            done = await client.submit(ModifyRequest(SRC, PROMPT, strength="flex_2"))  # finished: the cache
            return handle, before, look, after, again, result, done, await done.status()

    handle, before, look, after, again, result, done, done_look = run(go())
    assert look.service == "processing" and not look.ready and look.ledger is TaskState.SUBMITTED
    assert (before.state, before.updated) == (after.state, after.updated)  # the look changed nothing
    assert again.task_uuid == handle.task_uuid == done.task_uuid == result.task_uuid
    assert done_look.ready and len(fake.posts("videoInference")) == 1


def test_run_takes_a_request_a_list_or_a_plan(tmp_path):
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            plan = client.plan_sweep(SRC, PROMPT, strengths=["adhere_1", "flex_2"])
            one = await client.run(plan["adhere_1"])
            many = await client.run(plan)
            listed = await client.run(list(plan.values()))
            return one, many, listed

    one, many, listed = run(go())
    assert list(many) == ["adhere_1", "flex_2"] and many["adhere_1"].task_uuid == one.task_uuid
    assert list(listed) == ["modify_1", "modify_2"] and all(r.cached for r in listed.values())
    assert len(fake.posts("videoInference")) == 2


def test_pending_lists_tasks_in_flight_and_resume_all_finishes_them(tmp_path):
    fake = FakeRunware(polls=2)
    from lumakit.request import ModifyRequest

    async def go():
        async with make_client(fake, tmp_path) as sender:
            for level in ("adhere_1", "flex_2", "reimagine_3"):
                await sender.submit(ModifyRequest(SRC, PROMPT, strength=level))
        async with make_client(fake, tmp_path) as client:  # a new kernel
            pending = client.pending()
            results = await client.resume_all()
            return pending, results, client.pending()

    pending, results, after = run(go())
    assert len(pending) == 3 and all(e.in_flight for e in pending)
    assert len(results) == 3 and all(r.path.is_file() for r in results.values())
    assert list(after) == [] and len(fake.posts("videoInference")) == 3


# ---- batched polling -----------------------------------------------------------------------------------
def test_a_sweep_is_polled_together(tmp_path):
    def poll_posts(n_jobs: int) -> int:
        fake = FakeRunware(polls=6)
        clock = FakeClock()

        async def go():
            async with make_client(fake, tmp_path / str(n_jobs), clock) as client:
                levels = ["adhere_1", "adhere_2", "adhere_3", "flex_1", "flex_2", "flex_3"][:n_jobs]
                levels += ["reimagine_1", "reimagine_2", "reimagine_3"][: max(0, n_jobs - 6)]
                await client.sweep(SRC, PROMPT, strengths=levels)

        run(go())
        return sum(1 for _m, _u, _h, body in fake.requests if body and body[0]["taskType"] == "getResponse")

    one, nine = poll_posts(1), poll_posts(9)
    assert nine <= 1.2 * one, (one, nine)


def test_a_batch_answer_that_leaves_a_task_out_falls_back_to_a_single_poll(tmp_path):
    fake = FakeRunware(polls=2)

    def rule(request, uuids):
        if len(uuids) < 2:
            return None
        body = json.loads(fake.handle(request).content)
        body["data"] = [d for d in body.get("data", []) if d["taskUUID"] != uuids[0]]  # drop one item
        return httpx.Response(200, json=body)

    async def go():
        async with make_client(fake, tmp_path, transport=Meddler(fake, rule).transport()) as client:
            return await client.sweep(SRC, PROMPT, strengths=["adhere_1", "flex_2"])

    runs = run(go())
    assert all(r.path.is_file() for r in runs.values()) and len(fake.posts("videoInference")) == 2


def test_an_old_ledger_is_read_with_the_new_state_names(tmp_path):
    import sqlite3

    root = tmp_path / "old"
    root.mkdir()
    db = sqlite3.connect(root / "ledger.sqlite3")
    db.execute(
        "CREATE TABLE tasks (task_uuid TEXT PRIMARY KEY, kind TEXT, label TEXT, key TEXT, backend TEXT, "
        "state TEXT NOT NULL, wire TEXT, created REAL, updated REAL, submitted REAL, finished REAL, "
        "cost REAL, result_path TEXT, video_uuid TEXT, video_url TEXT, error TEXT, extra TEXT)"
    )
    rows = [("a", "error", "stopped before it was sent"), ("b", "error", "flagged"), ("c", "pending", None)]
    for row in rows:
        db.execute("INSERT INTO tasks (task_uuid, state, error, created) VALUES (?, ?, ?, 1)", row)
    db.commit()
    db.close()
    states = {e.task_uuid: e.state for e in Cache(root).ledger.history()}
    assert states == {"a": TaskState.NOT_SENT, "b": TaskState.FAILED, "c": TaskState.PREPARING}


def test_a_result_deleted_from_the_cache_is_downloaded_again_not_paid_again(tmp_path):
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            first = await client.modify(SRC, PROMPT, strength="flex_1")
            first.path.unlink()  # a cleaned-up cache folder
            again = await client.modify(SRC, PROMPT, strength="flex_1")
            restored = again.path.read_bytes() == video_bytes()
            expired = [httpx.Response(403, text="expired")]  # the stored URL expired too (once asked)
            fake.download_fault = lambda: expired.pop() if expired else None
            again.path.unlink()
            third = await client.modify(SRC, PROMPT, strength="flex_1")
            return first, again, restored, third

    first, again, restored, third = run(go())
    assert again.task_uuid == first.task_uuid and restored and not again.cached
    assert third.task_uuid != first.task_uuid  # nothing left to fetch: only then a new job
    assert len(fake.posts("videoInference")) == 2


def test_a_request_another_kernel_finishes_while_this_one_starts_it_is_used_not_sent_again(
    tmp_path, monkeypatch
):
    """The narrowest window of all: this call looked for a finished result and found none, and before it
    claims the ledger slot another kernel's run of the same request finishes. Its result is used."""
    fake = FakeRunware(polls=1)
    finished_elsewhere = []

    def other_kernel() -> None:  # its own client and event loop, on the same cache folder
        async def go():
            async with make_client(fake, tmp_path) as other:
                finished_elsewhere.append(await other.modify(SRC, PROMPT, strength="flex_1"))

        asyncio.run(go())

    with make_client(fake, tmp_path, sync=True) as mine:
        real_claim = mine.cache.ledger.claim

        def claim_after_the_other_kernel_finishes(*args, **kwargs):
            if not finished_elsewhere:  # the other kernel finishes just now, between the look and the claim
                runner = threading.Thread(target=other_kernel)
                runner.start()
                runner.join()
            return real_claim(*args, **kwargs)

        monkeypatch.setattr(mine.cache.ledger, "claim", claim_after_the_other_kernel_finishes)
        result = mine.modify(SRC, PROMPT, strength="flex_1")
    (theirs,) = finished_elsewhere
    assert len(fake.posts("videoInference")) == 1  # the other kernel's job, paid once
    assert result.task_uuid == theirs.task_uuid and result.path == theirs.path and result.path.is_file()


def test_force_still_runs_again_and_a_finished_task_is_adopted_only_if_it_was_not_seen(tmp_path):
    cache = Cache(tmp_path / "cache")
    key, args = "k" * 64, {"kind": "modify", "backend": "runware", "wire": {}}
    first, mine = cache.ledger.claim("a" * 32, key=key, **args)
    assert mine
    for state in (TaskState.SUBMITTED, TaskState.PROCESSING, TaskState.DONE):
        assert cache.ledger.move(first.task_uuid, state)
    adopted, mine = cache.ledger.claim("b" * 32, key=key, seen_done=frozenset(), **args)
    assert not mine and adopted.task_uuid == first.task_uuid  # finished after the caller looked
    new, mine = cache.ledger.claim("c" * 32, key=key, seen_done={first.task_uuid}, **args)
    assert mine and new.task_uuid == "c" * 32  # seen and unusable (its file and URL gone): a new job
    cache.ledger.move(new.task_uuid, TaskState.NOT_SENT)
    forced, mine = cache.ledger.claim("d" * 32, key=key, seen_done=None, **args)
    assert mine and forced.task_uuid == "d" * 32  # force: finished tasks are not adopted
