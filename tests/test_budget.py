"""The budget: a spending limit across calls, kernels and restarts, counted in the ledger. A job counts its
estimate until its billed cost arrives, then the billed cost; a call that would cross what is left is refused
before anything is sent; cache hits never count."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from _fake_runware import SRC, FakeRunware, make_client
from _offline_urls import made_up_urls_are_not_read  # noqa: F401 (an autouse fixture)

from lumakit.cache import Cache, Limit
from lumakit.client._prepared import prepare_now
from lumakit.errors import APIError, BudgetError, BudgetExceeded, RequestError
from lumakit.request import build

PROMPT = "a glass dolphin"
# a URL source's length and size are unknown here: at 360p, the guard prices an edit at $1.08 (the longest
# source's price), as a short 720p edit would be
LOW = {"resolution": "360p"}


def run(coro):
    return asyncio.run(coro)


def test_a_call_that_would_cross_the_budget_is_refused_before_anything_is_sent(tmp_path):
    fake = FakeRunware(polls=1, cost=0.54)  # the edit is estimated at $1.08 and billed $0.54

    async def go():
        async with make_client(fake, tmp_path, budget=3.0) as client:
            await client.modify(SRC, PROMPT, strength="flex_1", **LOW)
            assert client.spent() == pytest.approx(0.54)  # the billed cost replaced the estimate
            assert client.budget_left() == pytest.approx(2.46)
            before = fake.http_requests
            with pytest.raises(BudgetExceeded) as info:
                await client.sweep(
                    SRC, PROMPT, strengths=["adhere_1", "adhere_2", "adhere_3"], **LOW
                )  # 3 x 1.08
            assert fake.http_requests == before  # nothing was sent: no upload, no task
            await client.sweep(SRC, PROMPT, strengths=["adhere_1", "adhere_2"], **LOW)  # 2.16 <= 2.46: runs
            return info.value, client.spent(), client.history()

    err, spent, history = run(go())
    assert isinstance(err, BudgetError)  # an except BudgetError around max_cost catches it too
    assert err.spent == pytest.approx(0.54) and err.left == pytest.approx(2.46)
    assert err.estimate == pytest.approx(3.24) and err.budget == 3.0
    assert "$3.24" in str(err) and "$2.46" in str(err) and "nothing was sent" in str(err)
    assert spent == pytest.approx(3 * 0.54)
    assert len(history) == 3 and len(fake.posts("videoInference")) == 3


def test_a_job_in_flight_counts_its_estimate_until_its_billed_cost_arrives(tmp_path):
    fake = FakeRunware(polls=3, cost=0.54)

    async def go():
        async with make_client(fake, tmp_path, budget=2.0) as client:
            handle = await client.submit(build("modify", video=SRC, prompt=PROMPT, strength="flex_2", **LOW))
            in_flight = client.spent()
            with pytest.raises(BudgetExceeded):  # 1.08 in flight + 1.08 > 2.00
                await client.modify(SRC, PROMPT, strength="flex_3", **LOW)
            await handle.result()
            after = client.spent()
            await client.modify(SRC, PROMPT, strength="flex_3", **LOW)  # 0.54 + 1.08 <= 2.00
            return in_flight, after

    in_flight, after = run(go())
    assert in_flight == pytest.approx(1.08) and after == pytest.approx(0.54)
    assert len(fake.posts("videoInference")) == 2


def test_the_total_survives_a_restart_and_cache_hits_cost_nothing(tmp_path):
    fake = FakeRunware(polls=1, cost=0.54)

    async def first():
        async with make_client(fake, tmp_path, budget=1.2) as client:
            await client.modify(SRC, PROMPT, strength="flex_1", **LOW)

    async def second():
        async with make_client(fake, tmp_path, budget=1.2) as client:  # a new kernel on the same cache
            spent = client.spent()
            again = await client.modify(
                SRC, PROMPT, strength="flex_1", **LOW
            )  # a cache hit: free, never refused
            with pytest.raises(BudgetExceeded) as info:  # 0.54 + 1.08 > 1.20
                await client.modify(SRC, PROMPT, strength="flex_2", **LOW)
            return spent, again, info.value

    run(first())
    spent, again, err = run(second())
    assert spent == pytest.approx(0.54) and again.cached and err.left == pytest.approx(0.66)
    assert len(fake.posts("videoInference")) == 1


def test_max_cost_stays_the_cap_of_one_call_and_the_budget_the_sum(tmp_path):
    fake = FakeRunware(polls=1, cost=1.08)

    async def go():
        async with make_client(fake, tmp_path, budget=10.0, max_cost=2.5) as client:
            with pytest.raises(BudgetError) as cap:
                await client.sweep(SRC, PROMPT, strengths=["adhere_1", "adhere_2", "adhere_3"], **LOW)
            for level in ("flex_1", "flex_2", "flex_3"):  # each call under the cap; the sum grows
                await client.modify(SRC, PROMPT, strength=level, **LOW)
            return cap.value, client.spent()

    cap, spent = run(go())
    assert not isinstance(cap, BudgetExceeded) and cap.max_cost == 2.5
    assert spent == pytest.approx(3.24)


def test_scoped_budgets_count_their_own_tasks_and_the_whole_cache_counts_all(tmp_path):
    fake = FakeRunware(polls=1, cost=1.0)

    async def go():
        async with make_client(fake, tmp_path, budget=1.5, budget_scope="01_first_edit") as one:
            await one.modify(SRC, PROMPT, strength="flex_1", **LOW)
            with pytest.raises(BudgetExceeded):
                await one.modify(SRC, PROMPT, strength="flex_2", **LOW)
        async with make_client(fake, tmp_path, budget=1.5, budget_scope="02_strength_dial") as two:
            await two.modify(SRC, PROMPT, strength="flex_2", **LOW)  # its own $1.50
            scoped = two.spent()
        async with make_client(fake, tmp_path, budget=5.0) as whole:
            return scoped, whole.spent(), {e.scope for e in whole.history()}

    scoped, whole, scopes = run(go())
    assert scoped == pytest.approx(1.0) and whole == pytest.approx(2.0)
    assert scopes == {"01_first_edit", "02_strength_dial"}


def test_the_budget_comes_from_the_environment_is_settable_and_checked(tmp_path, monkeypatch):
    fake = FakeRunware(polls=1)
    monkeypatch.setenv("LUMAKIT_BUDGET", "0.5")
    with make_client(fake, tmp_path, sync=True) as client:
        assert client.budget == 0.5
        with pytest.raises(BudgetExceeded):
            client.modify(SRC, PROMPT, strength="flex_1", **LOW)
        client.budget = 20.0
        assert client.modify(SRC, PROMPT, strength="flex_1", **LOW).cost == 0.54
        assert client.budget_left() == pytest.approx(19.46)
        with pytest.raises(RequestError, match="budget"):
            client.budget = -1
        client.budget = None
        assert client.budget_left() is None and client.spent() == pytest.approx(0.54)
    monkeypatch.setenv("LUMAKIT_BUDGET", "twenty")
    with pytest.raises(RequestError, match="LUMAKIT_BUDGET"):
        make_client(fake, tmp_path, sync=True)
    assert len(fake.posts("videoInference")) == 1


def test_a_hold_of_a_process_that_died_is_dropped(tmp_path):
    cache = Cache(tmp_path / "cache")
    hold, spent, call = cache.spending.hold(Limit(5.0), "runware", [("k" * 64, 0, 3.0)])[:3]
    assert hold is not None and spent == 0 and call == 3.0
    assert cache.spending.total("runware") == 3.0  # held while the call runs
    cache._file.execute("UPDATE holds SET owner = 'a-dead-kernel'")
    assert cache.spending.total("runware") == 0.0


def test_resume_of_a_task_never_sent_is_checked_against_the_budget(tmp_path):
    fake = FakeRunware(polls=1, cost=0.54)
    for _ in range(6):  # the POST never leaves: the task is stopped before it was sent, nothing billed
        fake.script("videoInference", httpx.ConnectError("refused"))

    async def go():
        async with make_client(fake, tmp_path, budget=1.5) as client:
            with pytest.raises(APIError):
                await client.modify(SRC, PROMPT, strength="flex_1", **LOW)
            (stopped,) = client.pending()
            assert stopped.state == "not_sent" and client.spent() == 0.0  # nothing sent: nothing counts
            await client.modify(SRC, PROMPT, strength="flex_2", **LOW)  # 0.54 billed: 0.96 left
            sent = len(fake.posts("videoInference"))
            with pytest.raises(BudgetExceeded):  # sending it now would count 1.08 more
                await client.resume(stopped.task_uuid)
            assert len(fake.posts("videoInference")) == sent
            client.budget = 2.0
            done = await client.resume(stopped.task_uuid)
            return done, client.spent()

    done, spent = run(go())
    assert done.path.is_file() and spent == pytest.approx(1.08)


def test_a_task_is_recorded_under_its_budget_scope_else_its_notebook(tmp_path, monkeypatch):
    fake = FakeRunware(polls=1)
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/me/class/notebooks/02_strength_dial.ipynb")
    with make_client(fake, tmp_path, sync=True) as client:
        client.modify(SRC, PROMPT, strength="flex_1", **LOW)
    with make_client(fake, tmp_path, sync=True, budget_scope="homework") as client:
        client.modify(SRC, PROMPT, strength="flex_2", **LOW)
    monkeypatch.delenv("JPY_SESSION_NAME")
    with make_client(fake, tmp_path, sync=True) as client:
        client.modify(SRC, PROMPT, strength="flex_3", **LOW)
        scopes = [e.scope for e in reversed(client.history())]
    assert scopes == ["02_strength_dial", "homework", None]
    with pytest.raises(RequestError, match="budget_scope"):
        make_client(fake, tmp_path, sync=True, budget_scope=3)


def test_local_previews_are_free_a_budget_never_refuses_them(tmp_path):
    fake = FakeRunware(polls=1, local=True)  # plays the local backend

    async def go():
        async with make_client(fake, tmp_path, key=None, backend="local", budget=0.5) as client:
            quoted = client.quote(
                {"flex_1": build("modify", video=SRC, prompt=PROMPT, strength="flex_1", **LOW)}
            )
            runs = await client.sweep(SRC, PROMPT, strengths=["adhere_1", "flex_2"], **LOW)
            return quoted, runs, client.spent()

    quoted, runs, spent = run(go())
    assert len(runs) == 2 and spent == 0.0  # each local preview carries a $1.08 estimate: not billed
    assert quoted.left is None and not quoted.over and "left" not in quoted.text()


def test_a_job_whose_holder_died_before_claiming_it_is_checked_when_this_call_claims_it(tmp_path):
    """Kernel A reserved job X; kernel B's call skipped X (A would run it) and reserved Y. A dies before
    claiming X, kernel C reserves the room A's hold left, and B then finds X unclaimed: sending it would
    cross the budget, so B's claim of X is refused and nothing is sent for it."""
    cache = Cache(tmp_path / "cache")
    x, y, z = "x" * 64, "y" * 64, "z" * 64
    a, _, _ = cache.spending.hold(Limit(1.2), "runware", [(x, 0, 0.54)])[:3]
    b, spent, call = cache.spending.hold(Limit(1.2), "runware", [(x, 0, 0.54), (y, 0, 0.54)])[:3]
    assert a is not None and b is not None and (spent, call) == (0.54, 0.54)  # X was A's to pay
    cache._file.execute("UPDATE holds SET owner = 'a-dead-kernel' WHERE id = ?", (a.id,))
    c, _, _ = cache.spending.hold(Limit(1.2), "runware", [(z, 0, 0.54)])[:3]
    assert c is not None  # 0.54 (B's Y) + 0.54 <= 1.2
    args = {"kind": "modify", "backend": "runware", "wire": {}, "estimate": 0.54, "hold": b}
    _, mine = cache.ledger.claim("1" * 32, key=y, **args)
    assert mine  # Y came out of B's hold
    with pytest.raises(BudgetExceeded) as info:
        cache.ledger.claim("2" * 32, key=x, **args)
    assert cache.ledger.get("2" * 32) is None  # nothing claimed, so nothing can be sent
    assert info.value.budget == 1.2 and info.value.estimate == 0.54
    assert cache.spending.total("runware") <= 1.2


def test_a_job_whose_holder_died_is_still_sent_when_the_budget_has_room(tmp_path):
    fake = FakeRunware(polls=1, cost=0.54)
    with make_client(fake, tmp_path, sync=True, budget=2.5) as client:
        request = build("modify", video=SRC, prompt=PROMPT, strength="flex_1", **LOW)
        key = prepare_now(request, "modify", client.cache, "runware", False).key
        a, _, _ = client.cache.spending.hold(Limit(2.5), "runware", [(key, 0, 1.08)])[:3]
        real_hold = client.cache.spending.hold

        def hold_then_the_other_kernel_dies(*args, **kwargs):
            answer = real_hold(*args, **kwargs)
            assert answer[2] == 1.08  # flex_2 only: flex_1 was the other kernel's
            client.cache._file.execute("UPDATE holds SET owner = 'a-dead-kernel' WHERE id = ?", (a.id,))
            return answer

        client.cache.spending.hold = hold_then_the_other_kernel_dies
        runs = client.sweep(SRC, PROMPT, strengths=["flex_1", "flex_2"], **LOW)
        assert len(runs) == 2 and client.spent() == pytest.approx(1.08)
    assert len(fake.posts("videoInference")) == 2  # each sent once: flex_1 by this call, once its holder died


def test_a_class_cap_set_outside_the_notebooks_holds_whatever_budget_each_notebook_gives_itself(
    tmp_path, monkeypatch
):
    """A teacher sets LUMAKIT_BUDGET_CAP=2 for the class machine; each notebook gives itself budget=5 under
    its own scope. The notebooks' budgets add up to more than the cap; the cap still holds over them all."""
    monkeypatch.setenv("LUMAKIT_BUDGET_CAP", "2")
    fake = FakeRunware(polls=1, cost=0.54)  # each edit is estimated at $1.08 and billed $0.54
    with make_client(fake, tmp_path, sync=True, budget=5.0, budget_scope="01_a") as a:
        assert a.budget_cap == 2.0
        a.modify(SRC, PROMPT, strength="flex_1", **LOW)
    with make_client(fake, tmp_path, sync=True, budget=5.0, budget_scope="02_b") as b:
        b.modify(SRC, PROMPT, strength="flex_2", **LOW)  # 0.54 spent + 1.08 held <= 2.00
        assert b.spent() == pytest.approx(0.54)  # its own scope's
        assert b.budget_left() == pytest.approx(0.92)  # the cap's 2.00 - 1.08, less than the budget's 4.46
        quote = b.quote(b.plan_sweep(SRC, PROMPT, strengths=["flex_3"], **LOW))  # what its panel shows
        assert quote.left == pytest.approx(0.92) and quote.over
        assert "more than LUMAKIT_BUDGET_CAP has left" in quote.text()
        with pytest.raises(BudgetExceeded) as info:
            b.modify(SRC, PROMPT, strength="flex_3", **LOW)  # 1.08 + 1.08 > 2.00; its own budget had room
        with pytest.raises(AttributeError):
            b.budget_cap = 100.0  # a notebook cannot lift the cap
    assert info.value.limit_name == "LUMAKIT_BUDGET_CAP" and info.value.budget == 2.0
    assert info.value.left == pytest.approx(0.92) and info.value.scope is None
    assert "LUMAKIT_BUDGET_CAP" in str(info.value) and "nothing was sent" in str(info.value)
    no_budget = make_client(fake, tmp_path, sync=True)  # no budget of its own: the cap alone
    with no_budget, pytest.raises(BudgetExceeded, match="LUMAKIT_BUDGET_CAP"):
        no_budget.modify(SRC, PROMPT, strength="reimagine_1", **LOW)
    assert len(fake.posts("videoInference")) == 2


def test_the_cap_is_checked_when_a_job_a_dead_kernel_held_is_claimed_too(tmp_path):
    cache = Cache(tmp_path / "cache")
    x, y = "x" * 64, "y" * 64
    cap = Limit(1.2, None, "LUMAKIT_BUDGET_CAP")
    a = cache.spending.hold(cap, "runware", [(x, 0, 0.54)]).hold
    b = cache.spending.hold([Limit(5.0, "mine"), cap], "runware", [(x, 0, 0.54), (y, 0, 0.54)]).hold
    assert a is not None and b is not None
    cache._file.execute("UPDATE holds SET owner = 'a-dead-kernel' WHERE id = ?", (a.id,))
    assert cache.spending.hold(cap, "runware", [("z" * 64, 0, 0.54)]).hold is not None  # fills A's room
    args = {"kind": "modify", "backend": "runware", "wire": {}, "estimate": 0.54, "hold": b, "scope": "mine"}
    with pytest.raises(BudgetExceeded) as info:
        cache.ledger.claim("2" * 32, key=x, **args)
    assert info.value.limit_name == "LUMAKIT_BUDGET_CAP" and cache.ledger.get("2" * 32) is None


@pytest.mark.parametrize("bad", ["nan", "-1", "lots"])
def test_a_cap_that_guards_nothing_is_refused_when_the_client_is_made(tmp_path, monkeypatch, bad):
    monkeypatch.setenv("LUMAKIT_BUDGET_CAP", bad)
    with pytest.raises(RequestError, match="LUMAKIT_BUDGET_CAP"):
        make_client(FakeRunware(), tmp_path, sync=True)
