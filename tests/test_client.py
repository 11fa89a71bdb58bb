"""The client against a scripted Runware (httpx.MockTransport): wire, polling, failures, retries, resume."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from _clips import clip_and_copy, make_clip
from _fake_runware import KEY, SRC, FakeClock, FakeRunware, make_client, stalled_uploads

from lumakit.client import PollPolicy
from lumakit.errors import APIError, PollTimeout, RateLimitError, SweepError, TaskFailed
from lumakit.request import Controls, ModifyRequest

SPEC_8 = json.loads(
    """[{"taskType": "videoInference", "taskUUID": "3f0c2d9e-8b1a-4c5e-9f7d-2a6b1c0e4d11",
  "model": "luma:ray@3.2",
  "positivePrompt": "A neon cyber creature with glowing circuitry, the ocean left natural",
  "inputs": {"video": "https://example.org/clip.mp4"},
  "settings": {"edit": {"strength": "adhere_2", "controls": {"poseStrength": "precise", "face": true}}},
  "deliveryMethod": "async", "includeCost": true}]"""
)


def modify_once(fake, tmp_path, **options):
    """One modify of ``SRC`` against ``fake`` from a fresh client; its Result."""

    async def go():
        async with make_client(fake, tmp_path) as client:
            return await client.modify(SRC, "a glass dolphin", **options)

    return run(go())


def failed_modify(fake, tmp_path, error, **options):
    """Run one modify that must raise ``error``; returns the error and the ledger's history after it."""

    async def go():
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(error) as info:
                await client.modify(SRC, "a glass dolphin", **options)
            return info.value, client.history()

    return run(go())


def run(coro):
    return asyncio.run(coro)


def test_spec_example_is_what_the_transport_receives(tmp_path):
    fake = FakeRunware()

    async def go():
        client = make_client(fake, tmp_path)
        req = ModifyRequest(
            video=SRC,
            prompt=SPEC_8[0]["positivePrompt"],
            strength="adhere_2",
            controls=Controls(pose_strength="precise", face=True),
        )
        uid = (await client.submit(req)).task_uuid
        await client.aclose()
        return uid

    uid = run(go())
    method, url, headers, body = fake.requests[0]
    assert (method, url) == ("POST", fake.base_url)
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["content-type"] == "application/json"
    expected = json.loads(json.dumps(SPEC_8).replace(SPEC_8[0]["taskUUID"], uid))
    assert body == expected
    assert len(fake.requests) == 1  # submit does not wait


def test_async_submit_polls_to_success_and_downloads(tmp_path):
    fake = FakeRunware(polls=3, cost=0.54)
    clock = FakeClock()
    updates = []

    async def go():
        async with make_client(fake, tmp_path, clock) as client:
            return await client.modify(SRC, "a glass dolphin", strength="flex_2", on_update=updates.append)

    r = run(go())
    polls = fake.posts("getResponse")
    assert len(polls) == 3 and {p["taskUUID"] for p in polls} == {r.task_uuid}
    assert r.path.read_bytes() == fake._file(None).content
    assert r.cost == 0.54 and r.backend == "runware" and not r.cached
    assert r.video_uuid and r.video_url.endswith(f"{r.task_uuid}.mp4")
    assert r.request.strength == "flex_2"
    # initial delay first, then the backoff, each jittered by at most 10 %
    assert 1.8 <= clock.sleeps[0] <= 2.2 and 0.9 <= clock.sleeps[1] <= 1.1 and 1.35 <= clock.sleeps[2] <= 1.65
    statuses = [u.status for u in updates]
    assert statuses[:2] == ["submitting", "submitted"] and statuses[-2:] == ["downloading", "done"]
    assert [u.progress for u in updates if u.status == "processing"] == pytest.approx(
        [1 / 3, 2 / 3], abs=0.01
    )


@pytest.mark.parametrize("form", ["data", "errors"])
def test_task_error_in_either_form_raises_task_failed(tmp_path, form):
    fake = FakeRunware(polls=2)
    fake.fail_next = {"code": "contentModeration", "message": "The output was flagged"}
    fake.fail_form = form

    err, history = failed_modify(fake, tmp_path, TaskFailed, strength="flex_2")
    uid = fake.posts("videoInference")[0]["taskUUID"]
    assert err.code == "contentModeration" and err.task_uuid == uid
    assert "flagged" in err.message
    assert history[0].task_uuid == uid and history[0].state == "failed" and "flagged" in history[0].error
    assert len(fake.posts("videoInference")) == 1


def test_429_on_poll_honours_retry_after(tmp_path):
    fake = FakeRunware(polls=1)
    fake.script("getResponse", httpx.Response(429, headers={"Retry-After": "7"}, json={"errors": []}))
    clock = FakeClock()

    async def go():
        async with make_client(fake, tmp_path, clock) as client:
            return await client.modify(SRC, "a glass dolphin", strength="adhere_1")

    r = run(go())
    assert r.path.is_file()
    assert 7.0 in clock.sleeps  # the delay asked for is the server's, not the backoff's
    assert len(fake.posts("getResponse")) == 2


def test_429_that_never_ends_raises_rate_limit_error(tmp_path):
    fake = FakeRunware(polls=1)
    for _ in range(10):
        fake.script("getResponse", httpx.Response(429, headers={"Retry-After": "3"}, json={"errors": []}))

    async def go():
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(RateLimitError) as info:
                await client.modify(SRC, "a glass dolphin", strength="adhere_1")
            return info.value

    err = run(go())
    assert err.retry_after == 3.0 and err.status_code == 429


def test_500_on_poll_then_success(tmp_path):
    fake = FakeRunware(polls=1)
    fake.script("getResponse", httpx.Response(500, text="oops"))
    fake.script("getResponse", httpx.Response(503, json={"errors": [{"message": "busy"}]}))

    async def go():
        async with make_client(fake, tmp_path) as client:
            return await client.modify(SRC, "a glass dolphin", strength="adhere_1")

    assert run(go()).path.is_file()
    assert len(fake.posts("getResponse")) == 3


def test_500_on_submit_polls_before_resending(tmp_path):
    fake = FakeRunware(polls=1)
    fake.script("videoInference", httpx.Response(502, text="bad gateway"))  # not accepted
    clock = FakeClock()
    sent_at = []
    handle = fake.handle

    def timed(request):
        if request.method == "POST":
            sent_at.append((json.loads(request.content)[0]["taskType"], clock.now))
        return handle(request)

    async def go():
        async with make_client(fake, tmp_path, clock, transport=httpx.MockTransport(timed)) as client:
            return await client.modify(SRC, "a glass dolphin", strength="adhere_1")

    r = run(go())
    sent = fake.posts("videoInference")
    assert [t["taskUUID"] for t in sent] == [r.task_uuid, r.task_uuid]  # re-sent with the same UUID
    kinds = [kind for kind, _ in sent_at]
    resend = kinds.index("videoInference", 1)
    probes = [t for kind, t in sent_at[1:resend] if kind == "getResponse"]
    # polled first, and re-sent only on a definite "not found": several answers spread over >= 10 s
    assert len(probes) >= 3 and probes[-1] - probes[0] >= 10.0


def test_connection_reset_after_accept_is_not_sent_twice(tmp_path):
    fake = FakeRunware(polls=2)
    fake.script("videoInference", httpx.ReadError("connection reset by peer"), after_accept=True)

    r = modify_once(fake, tmp_path, strength="adhere_1")
    assert len(fake.posts("videoInference")) == 1
    assert {p["taskUUID"] for p in fake.posts("getResponse")} == {r.task_uuid}
    assert r.path.is_file()


def test_connection_reset_before_accept_resends_the_same_uuid(tmp_path):
    fake = FakeRunware(polls=1)
    fake.script("videoInference", httpx.RemoteProtocolError("server disconnected"))

    r = modify_once(fake, tmp_path, strength="adhere_1")
    sent = fake.posts("videoInference")
    assert len(sent) == 2 and {t["taskUUID"] for t in sent} == {r.task_uuid}
    assert len(fake.tasks) == 1


def test_read_timeout_on_submit_probes_first(tmp_path):
    fake = FakeRunware(polls=1)
    fake.script("videoInference", httpx.ReadTimeout("timed out"), after_accept=True)

    modify_once(fake, tmp_path, strength="adhere_1")
    assert len(fake.posts("videoInference")) == 1


def test_validation_error_on_submit_is_not_retried(tmp_path):
    fake = FakeRunware()
    fake.script(
        "videoInference",
        httpx.Response(
            400,
            json={
                "errors": [
                    {
                        "code": "invalidStrength",
                        "message": "Invalid value for strength",
                        "parameter": "settings.edit.strength",
                        "allowedValues": ["adhere_1", "adhere_2"],
                    }
                ]
            },
        ),
    )

    err, history = failed_modify(fake, tmp_path, APIError, strength="adhere_1")
    assert (
        err.code == "invalidStrength" and err.parameter == "settings.edit.strength" and err.status_code == 400
    )
    assert "adhere_2" in str(err)
    assert len(fake.posts()) == 1  # no retry, no poll
    assert history[0].state == "failed"


def test_poll_timeout_then_resume(tmp_path):
    fake = FakeRunware(polls=50)
    clock = FakeClock()

    async def go():
        async with make_client(fake, tmp_path, clock, poll=PollPolicy(timeout=10)) as client:
            with pytest.raises(PollTimeout) as info:
                await client.modify(SRC, "a glass dolphin", strength="adhere_1")
            err = info.value
            entry = client.history()[0]
            fake.tasks[err.task_uuid].done_after = fake.tasks[err.task_uuid].polls + 1
            r = await client.resume(err.task_uuid)
            return err, entry, r

    err, entry, r = run(go())
    assert err.task_uuid == fake.posts("videoInference")[0]["taskUUID"]
    assert err.waited >= 10 and err.last_status == "processing"
    assert entry.state == "interrupted" and entry.task_uuid == err.task_uuid
    assert r.task_uuid == err.task_uuid and r.path.is_file()
    assert len(fake.posts("videoInference")) == 1


def test_resume_from_a_fresh_client_on_the_same_cache_dir(tmp_path):
    fake = FakeRunware(polls=50)

    async def first():
        async with make_client(fake, tmp_path, poll=PollPolicy(timeout=5)) as client:
            with pytest.raises(PollTimeout) as info:
                await client.modify(SRC, "a glass dolphin", strength="adhere_1")
            return info.value.task_uuid

    uid = run(first())
    fake.tasks[uid].done_after = fake.tasks[uid].polls + 2

    async def second():  # "kernel restart": a new client object, same cache dir
        async with make_client(fake, tmp_path) as client:
            r = await client.resume(uid)
            again = await client.modify(SRC, "a glass dolphin", strength="adhere_1")
            return r, again, client.history()

    r, again, history = run(second())
    assert r.task_uuid == uid and r.path.is_file() and r.request.strength == "adhere_1"
    assert again.cached and again.task_uuid == uid
    assert history[0].state == "done"
    assert len(fake.posts("videoInference")) == 1


def test_resume_resends_a_task_that_never_reached_the_service(tmp_path):
    fake = FakeRunware(polls=1)
    for _ in range(6):
        fake.script("videoInference", httpx.ConnectError("refused"))

    async def first():
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(APIError):
                await client.modify(SRC, "a glass dolphin", strength="adhere_1")
            return client.history()[0]

    entry = run(first())
    assert entry.state == "not_sent" and not fake.tasks  # the POST never left: nothing billed

    async def second():
        async with make_client(fake, tmp_path) as client:
            return await client.resume(entry.task_uuid)

    r = run(second())
    assert r.task_uuid == entry.task_uuid and list(fake.tasks) == [entry.task_uuid]


def test_cache_hit_makes_zero_requests_and_force_bypasses(tmp_path):
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            a = await client.modify(SRC, "a glass dolphin", strength="flex_1")
            n = fake.http_requests
            b = await client.modify(SRC, "a glass dolphin", strength="flex_1")
            hit_requests = fake.http_requests - n
            c = await client.modify(SRC, "a glass dolphin", strength="flex_1", force=True)
            return a, b, c, hit_requests

    a, b, c, hit_requests = run(go())
    assert hit_requests == 0
    assert b.cached and b.path == a.path and b.task_uuid == a.task_uuid and b.cost == a.cost
    assert not c.cached and c.task_uuid != a.task_uuid
    assert len(fake.posts("videoInference")) == 2


def test_a_result_chains_as_the_next_source(tmp_path):
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            r = await client.modify(SRC, "a glass dolphin", strength="flex_1")
            r2 = await client.modify(r, "now at night", strength="adhere_1")
            return r, r2

    r, r2 = run(go())
    assert fake.posts("videoInference")[1]["inputs"]["video"] == r.video_uuid
    assert r2.request.video.value == r.video_uuid


def test_local_file_is_uploaded_once_per_content(tmp_path):
    fake = FakeRunware(polls=1)
    clip, copy = clip_and_copy(tmp_path)

    async def go():
        async with make_client(fake, tmp_path) as client:
            a = await client.modify(str(clip), "a glass dolphin", strength="flex_1")
            b = await client.modify(str(copy), "a glass dolphin", strength="flex_2")
            return a, b

    a, _ = run(go())
    uploads = fake.posts("mediaStorage")
    assert len(uploads) == 1 and uploads[0]["operation"] == "upload"
    assert uploads[0]["media"].startswith("data:video/mp4;base64,")
    media_uuid = next(iter(fake.uploads))
    assert [t["inputs"]["video"] for t in fake.posts("videoInference")] == [media_uuid, media_uuid]
    assert a.wire["inputs"]["video"] == media_uuid


def test_sweep_is_ordered_and_concurrent(tmp_path):
    fake = FakeRunware(polls=3)

    async def go():
        async with make_client(fake, tmp_path) as client:
            return await client.sweep(SRC, "a glass dolphin")

    runs = run(go())
    assert list(runs) == [
        "adhere_1",
        "adhere_2",
        "adhere_3",
        "flex_1",
        "flex_2",
        "flex_3",
        "reimagine_1",
        "reimagine_2",
        "reimagine_3",
    ]
    assert all(runs[k].request.strength == k for k in runs)
    assert fake.max_in_flight == 9  # all nine in flight at once: one wave
    assert len({r.path for r in runs.values()}) == 9


def test_sweep_concurrency_is_bounded(tmp_path):
    fake = FakeRunware(polls=3)

    async def go():
        async with make_client(fake, tmp_path, concurrency=2) as client:
            return await client.sweep(SRC, "a glass dolphin", strengths=["adhere_1", "flex_1", "reimagine_1"])

    runs = run(go())
    assert list(runs) == ["adhere_1", "flex_1", "reimagine_1"]
    assert fake.max_in_flight == 2


def test_sweep_with_a_failure_keeps_the_others(tmp_path):
    fake = FakeRunware(polls=1)
    fake.script("videoInference", httpx.Response(400, json={"errors": [{"code": "bad", "message": "nope"}]}))

    async def go():
        async with make_client(fake, tmp_path, concurrency=1) as client:
            with pytest.raises(SweepError) as info:
                await client.sweep(SRC, "a glass dolphin", strengths=["adhere_1", "flex_1"])
            n = len(fake.posts("videoInference"))
            again = await client.sweep(SRC, "a glass dolphin", strengths=["adhere_1", "flex_1"])
            return info.value, n, again

    err, n, again = run(go())
    assert list(err.partial) == ["flex_1"] and list(err.failures) == ["adhere_1"]
    assert isinstance(err.__cause__, APIError) and err.__cause__ is err.failures["adhere_1"]
    assert n == 2
    assert again["flex_1"].cached and not again["adhere_1"].cached


def test_sweep_variants_label_their_runs(tmp_path):
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            return await client.sweep(
                SRC,
                "a glass dolphin",
                variants={
                    "tight": {"strength": "adhere_1", "controls": {"face": True}},
                    "auto": {"auto_controls": True},
                },
            )

    runs = run(go())
    assert list(runs) == ["tight", "auto"]
    edits = [t["settings"]["edit"] for t in fake.posts("videoInference")]
    assert {"strength": "adhere_1", "controls": {"face": True}} in edits and {"autoControls": True} in edits


def test_local_backend_results_are_marked_local(tmp_path):
    fake = FakeRunware(polls=1, local=True)

    async def go():
        async with make_client(fake, tmp_path, key=None, backend="local") as client:
            return await client.modify(SRC, "a glass dolphin", strength="adhere_1")

    r = run(go())
    assert r.backend == "local" and r.is_local
    assert "local preview, not Ray" in repr(r) and "local preview, not Ray" in r._repr_html_()
    assert r.extra["cost_is_estimate"] is True


def test_local_backend_never_sees_the_real_key(tmp_path, monkeypatch):
    monkeypatch.setenv("RUNWARE_API_KEY", KEY)
    fake = FakeRunware(polls=1, local=True)

    async def go():
        async with make_client(fake, tmp_path, key=None, backend="local") as client:
            return await client.modify(SRC, "a glass dolphin", strength="adhere_1")

    run(go())
    auth = {h["authorization"] for method, _, h, _ in fake.requests if method == "POST"}
    assert auth == {"Bearer local"}


def test_wait_adopts_a_task_sent_from_another_cache_dir(tmp_path):
    fake = FakeRunware(polls=2)

    async def go():
        async with make_client(fake, tmp_path / "one") as sender:
            uid = (await sender.submit(ModifyRequest(SRC, "a glass dolphin", strength="flex_1"))).task_uuid
        async with make_client(fake, tmp_path / "two") as other:
            r = await other.wait(uid)
            return uid, r, other.history()

    uid, r, history = run(go())
    assert r.task_uuid == uid and r.path.is_file() and history[0].state == "done"


def test_generate_and_reframe_send_their_own_wire(tmp_path):
    fake = FakeRunware(polls=1)
    image = tmp_path / "frame.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)

    async def go():
        async with make_client(fake, tmp_path) as client:
            g = await client.generate("a lighthouse at dawn", image=str(image), resolution="540p")
            f = await client.reframe(g, aspect_ratio="9:16")
            return g, f

    g, f = run(go())
    gen, ref = fake.posts("videoInference")
    (upload,) = fake.posts("mediaStorage")
    assert upload["media"].startswith("data:image/png;base64,")
    assert gen["inputs"]["frameImages"] == [{"image": next(iter(fake.uploads)), "frame": "first"}]
    assert gen["resolution"] == "540p" and gen["duration"] == 5
    assert ref["inputs"]["video"] == g.video_uuid and (ref["width"], ref["height"]) == (720, 1280)
    assert ref["positivePrompt"] == "a lighthouse at dawn"  # a Result's prompt is reused for the new area
    assert f.request.kind == "reframe"


def test_upload_that_is_not_ready_yet_is_polled(tmp_path):
    fake = FakeRunware(polls=1)
    clip = make_clip(tmp_path / "clip.mp4", seconds=1.0, fps=12, w=64, h=36)
    real = fake._task

    def slow_upload(task, dry):
        item, err = real(task, dry)
        if task["taskType"] == "mediaStorage":
            fake.pending_upload = (task["taskUUID"], item["mediaUUID"])
            return {**item, "mediaUUID": "1"}, err
        if task["taskType"] == "getResponse" and task["taskUUID"] == fake.pending_upload[0]:
            return {
                "taskType": "mediaStorage",
                "taskUUID": task["taskUUID"],
                "mediaUUID": fake.pending_upload[1],
            }, None
        return item, err

    fake._task = slow_upload

    async def go():
        async with make_client(fake, tmp_path) as client:
            return await client.modify(str(clip), "x", strength="flex_1")

    r = run(go())
    assert r.wire["inputs"]["video"] == fake.pending_upload[1] != "1"


def test_a_tqdm_bar_unless_the_caller_shows_progress_itself(tmp_path, capsys):
    """A notebook call draws a tqdm bar; a panel passing ``on_update`` draws its own, so no second bar."""
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path, progress=True) as client:
            await client.modify(SRC, "a glass dolphin", strength="flex_1")
            first = capsys.readouterr().err
            updates = []
            await client.modify(SRC, "a glass dolphin", strength="flex_2", on_update=updates.append)
            return first, capsys.readouterr().err, updates

    with_bar, with_callback, updates = run(go())
    assert "modify:" in with_bar and "100%" in with_bar and "done $0.54" in with_bar
    assert with_callback == "" and updates[-1].status == "done"


def test_variants_share_sweep_wide_options_unless_they_set_their_own(tmp_path):
    """One strength under several control settings, as the sweep docstring shows; nothing is sent."""
    fake = FakeRunware()
    client = make_client(fake, tmp_path)
    plans = client.plan_sweep(
        SRC,
        "a glass dolphin",
        strength="flex_2",
        variants={
            "loose": {"controls": {"depth_blur": 0.8}},
            "tight": {"controls": {"depth_blur": 0.1}},
            "own": {"strength": "adhere_1", "prompt": "a stone dolphin"},
        },
    )
    assert list(plans) == ["loose", "tight", "own"]
    assert plans["loose"].edit == {"strength": "flex_2", "controls": {"depthBlur": 0.8}}
    assert plans["tight"].edit == {"strength": "flex_2", "controls": {"depthBlur": 0.1}}
    assert plans["own"].edit == {"strength": "adhere_1"} and plans["own"].prompt == "a stone dolphin"
    assert fake.requests == []


def test_stopping_during_the_upload_is_not_sent_and_resume_uploads_and_sends_it(tmp_path):
    """Cancelled before the POST: no task exists on the service, the ledger says NOT_SENT (nothing billed),
    and resume() (from a fresh client on the same cache) uploads the file the ledger kept and sends it."""
    fake = FakeRunware(polls=1)
    clip = make_clip(tmp_path / "clip.mp4", seconds=0.5, fps=12)

    async def stop():
        transport, uploading = stalled_uploads(fake)
        client = make_client(fake, tmp_path, transport=transport)
        async with client:
            job = asyncio.create_task(client.modify(str(clip), "a glass dolphin", strength="flex_1"))
            while not uploading.is_set():
                await asyncio.sleep(0.01)
            job.cancel()
            with pytest.raises(asyncio.CancelledError):
                await job
            (entry,) = client.history()
            return entry

    entry = run(stop())
    assert entry.state == "not_sent" and "before it was sent" in entry.error
    assert fake.posts("videoInference") == []  # nothing was ever submitted

    async def resume():
        async with make_client(fake, tmp_path) as client:
            return await client.resume(entry.task_uuid), client.pending()

    r, pending = run(resume())
    sent = fake.posts("videoInference")
    assert [t["taskUUID"] for t in sent] == [entry.task_uuid]  # sent once, with the ledger's UUID
    assert sent[0]["inputs"]["video"] in fake.uploads  # the re-uploaded file, not a placeholder
    assert r.path.is_file() and r.task_uuid == entry.task_uuid and list(pending) == []
