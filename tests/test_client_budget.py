"""Money: estimates (dry run, price table), max_cost refusals before sending, the 18 s source limit."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from _clips import make_clip
from _fake_runware import SRC, FakeRunware, make_client

from lumakit.errors import BudgetError, MediaError, RequestError
from lumakit.request import GenerateRequest, ModifyRequest, ReframeRequest


def run(coro):
    return asyncio.run(coro)


def test_budget_error_before_any_request(tmp_path):
    fake = FakeRunware()

    async def go():
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(BudgetError) as info:
                await client.modify(SRC, "a glass dolphin", strength="flex_2", max_cost=0.5)
            return info.value, client.history()

    err, history = run(go())
    assert fake.requests == [] and len(history) == 0
    # a URL that cannot be read (no network here): the longest edit (the 10 s block) at the top tier, said so
    assert err.estimate == pytest.approx(4.32) and err.max_cost == 0.5
    assert "nothing was sent" in str(err) and "length unknown" in str(err)  # the estimate is shown, labelled
    assert err.breakdown.source == "price table"


def test_max_cost_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMAKIT_MAX_COST", "1.1")
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(BudgetError):
                await client.modify(SRC, "a glass dolphin", strength="flex_2")
            return await client.modify(SRC, "a glass dolphin", strength="flex_2", resolution="360p")

    assert run(go()).cost == 0.54  # at 360p even the longest edit (1.08) is under the 1.10 limit
    assert len(fake.posts("videoInference")) == 1


def test_a_sweep_counts_every_job_and_cached_jobs_cost_nothing(tmp_path):
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(BudgetError) as info:
                await client.sweep(SRC, "a glass dolphin", max_cost=5.0, resolution="360p")  # 9 x 1.08
            sent_before = fake.http_requests
            levels = ["adhere_1", "adhere_2", "adhere_3"]
            await client.sweep(SRC, "a glass dolphin", strengths=levels, resolution="360p")
            # 6 new x 1.08 = 6.48 (the URL's length is unknown here: each at the 10 s block)
            runs = await client.sweep(SRC, "a glass dolphin", max_cost=6.5, resolution="360p")
            est = await client.estimate(client.plan_sweep(SRC, "a glass dolphin", resolution="360p"))
            return info.value, sent_before, runs, est

    err, sent_before, runs, est = run(go())
    assert err.estimate == pytest.approx(9 * 1.08) and sent_before == 0
    assert [runs[k].cached for k in runs] == [True] * 3 + [False] * 6
    assert est.total == 0 and all(line.cached for line in est.lines)


@pytest.mark.parametrize("name", ["LUMAKIT_MAX_COST", "LUMAKIT_BUDGET"])
@pytest.mark.parametrize("bad", ["nan", "-3", "five"])
def test_a_limit_from_the_environment_that_guards_nothing_is_refused(tmp_path, monkeypatch, name, bad):
    """NaN compares false with every price, so a NaN limit would let any call through: refused, as is < 0."""
    monkeypatch.setenv(name, bad)
    with pytest.raises(RequestError, match=name) as info:
        make_client(FakeRunware(), tmp_path)
    assert ">= 0" in str(info.value)


@pytest.mark.parametrize(
    "name, bad",
    [
        ("max_cost", float("nan")),
        ("max_cost", -1),
        ("budget", float("nan")),
        ("budget", "20"),
        ("budget_scope", 3),
    ],
)
def test_the_async_clients_limits_are_checked_when_assigned_not_only_when_made(tmp_path, name, bad):
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path, max_cost=1.1, budget=5.0) as client:
            with pytest.raises(RequestError, match=name):
                setattr(client, name, bad)
            assert (client.max_cost, client.budget) == (1.1, 5.0)  # the refused value changed nothing
            with pytest.raises(BudgetError):  # and the limit still guards
                await client.modify(SRC, "a glass dolphin", strength="flex_2")

    run(go())
    assert fake.requests == []


def test_edits_are_priced_by_source_length_blocks(tmp_path):
    fake = FakeRunware()
    short = make_clip(tmp_path / "short.mp4", seconds=4.0, fps=4, w=32, h=18)
    long = make_clip(tmp_path / "long.mp4", seconds=7.0, fps=4, w=32, h=18)
    reqs = {
        "short": ModifyRequest(str(short), "x", strength="flex_1"),
        "long": ModifyRequest(str(long), "x", strength="flex_1"),
        "long1080": ModifyRequest(str(long), "x", strength="flex_1", resolution="1080p"),
        "url": ModifyRequest(SRC, "x", strength="flex_1"),
        "hdr": ModifyRequest(SRC, "x", strength="flex_1", hdr=True, resolution="1080p"),
        "t2v": GenerateRequest("a lighthouse", resolution="540p", duration=10),
        "reframe": ReframeRequest(str(long), "more sky", aspect_ratio="9:16", resolution="360p"),
    }
    fake.script("videoInference", httpx.Response(500, text="no dry runs today"))
    fake.script("videoInference", httpx.Response(500, text="no dry runs today"))

    async def go():
        async with make_client(
            fake, tmp_path, retry=__import__("lumakit").client.RetryPolicy(max_attempts=2)
        ) as client:
            return await client.estimate(reqs)

    est = run(go())
    amounts = {line.label: line.amount for line in est.lines}
    assert amounts == pytest.approx(
        {
            "short": 1.08,  # one 5 s block at 720p
            "long": 2.16,  # 7 s -> two blocks
            "long1080": 4.32,
            "url": 4.32,  # length and size unknown: the longest edit (10 s block) at the top tier
            "hdr": 8.64,  # HDR edit of a source of unknown length: twice the SDR 10 s price
            "t2v": 0.45,  # 540p, 10 s = Luma's 3x the 5 s price 0.15
            "reframe": 0.21,  # 7 s of output at 0.03/s
        }
    )
    assert est.source == "price table"
    assert "length unknown" in repr(est) and "never under-prices" in repr(est) and "estimate" in repr(est)
    assert est.total == pytest.approx(sum(amounts.values()))
    assert not fake.tasks  # nothing ran


def test_estimate_uses_a_dry_run_when_the_service_offers_it(tmp_path):
    fake = FakeRunware(cost=0.77)

    async def go():
        async with make_client(fake, tmp_path) as client:
            return await client.estimate(client.plan_sweep(SRC, "x", strengths=["adhere_1", "flex_3"]))

    est = run(go())
    assert est.source == "dry-run" and est.total == pytest.approx(1.54)
    assert [line.label for line in est.lines] == ["adhere_1", "flex_3"]
    (post,) = [r for r in fake.requests if r[0] == "POST"]
    assert post[2]["x-runware-dry-run"] == "1" and len(post[3]) == 2
    assert not fake.tasks  # nothing ran or billed


def test_estimate_on_the_local_backend_says_local_tariff(tmp_path):
    fake = FakeRunware(cost=0.5, local=True)

    async def go():
        async with make_client(fake, tmp_path, backend="local") as client:
            return await client.estimate(ModifyRequest(SRC, "x", strength="flex_1"))

    est = run(go())
    assert est.source == "local tariff" and est.total == 0.5 and "local tariff" in repr(est)


def test_sources_over_18_seconds_are_refused_before_sending(tmp_path):
    fake = FakeRunware()
    clip = make_clip(tmp_path / "long.mp4", seconds=19.0, fps=2, w=32, h=18)

    async def go():
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(MediaError) as info:
                await client.modify(str(clip), "x", strength="flex_1")
            return info.value

    err = run(go())
    assert "19.0 s" in str(err) and "18 s" in str(err)
    assert fake.requests == []
