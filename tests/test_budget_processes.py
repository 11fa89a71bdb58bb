"""A budget of $5 shared by two kernels (real processes) on one cache, against the Runware stand-in over
loopback: the call that would cross it is refused with nothing sent, even when both race for the last
dollars; two kernels running the same cell pay once and are not refused; billed costs replace estimates in
the total, and a restart keeps it. Each edit is estimated at $1.08 and billed $0.54 by the stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _clips import make_clip
from _fake_runware_http import RunwareStandIn

from lumakit.cache import Cache, Limit
from lumakit.client import Client, PollPolicy
from lumakit.errors import BudgetExceeded

pytestmark = pytest.mark.slow

KEY = "rw-test-key-budget-0123456789"
PROMPT = "a glass dolphin"
FAST = PollPolicy(initial_delay=0.1, interval=0.1, max_interval=0.3)

KERNEL = textwrap.dedent(
    """
    import json, os, sys, time
    from lumakit.client import Client, PollPolicy
    from lumakit.errors import BudgetExceeded
    url, cache, clip, go, levels = sys.argv[1:6]
    client = Client(os.environ["TEST_KEY"], base_url=url, cache_dir=cache, budget=5.0, progress=False,
                    poll=PollPolicy(initial_delay=0.1, interval=0.1, max_interval=0.3))
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.01)
    try:
        runs = client.sweep(clip, "a glass dolphin", strengths=levels.split(","))
        print(json.dumps({"ran": {k: r.task_uuid for k, r in runs.items()}}))
    except BudgetExceeded as exc:
        print(json.dumps({"refused": {"spent": exc.spent, "left": exc.left, "estimate": exc.estimate}}))
    """
)


def kernels(service: RunwareStandIn, cache: Path, clip: Path, tmp: Path, *level_sets: str) -> list[dict]:
    """Start one kernel per level set, let them all go at once, and return what each printed."""
    go = tmp / f"go-{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "TEST_KEY": KEY}
    env.pop("RUNWARE_API_KEY", None)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", KERNEL, service.url, str(cache), str(clip), str(go), levels],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for levels in level_sets
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    go.touch()
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        outs.append(json.loads(out.strip().splitlines()[-1]))
    return outs


def test_two_kernels_racing_for_a_five_dollar_budget(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", seconds=0.5, fps=12, w=96, h=54)
    cache = tmp_path / "cache"
    with RunwareStandIn(job_seconds=5.0) as service:  # long enough to overlap on a loaded machine
        # different cells at once: 3 + 3 edits at $1.08 = $6.48 > $5: exactly one kernel is refused, unsent
        a, b = kernels(service, cache, clip, tmp_path, "adhere_1,adhere_2,adhere_3", "flex_1,flex_2,flex_3")
        assert sorted(next(iter(o)) for o in (a, b)) == ["ran", "refused"], (a, b)
        refused = (a if "refused" in a else b)["refused"]
        # what the other kernel's jobs count when the refusal was decided: $1.08 each while in flight
        assert refused["estimate"] == pytest.approx(3.24), (a, b)
        assert refused["spent"] == pytest.approx(3.24), (a, b)
        assert service.paid_jobs == 3

        # the same cell in both kernels at once: one set of jobs, adopted by the other, nobody refused
        c, d = kernels(service, cache, clip, tmp_path, "reimagine_1", "reimagine_1")
        assert c == d and "ran" in c
        assert service.paid_jobs == 4

        # a new kernel (a restart): billed costs ($0.54) replaced the estimates ($1.08) in the total
        with Client(KEY, base_url=service.url, cache_dir=cache, budget=5.0, progress=False, poll=FAST) as k:
            assert k.spent() == pytest.approx(4 * 0.54)
            k.sweep(str(clip), PROMPT, strengths=["reimagine_2", "reimagine_3"])  # 2.16 + 2.16 <= 5
            assert k.spent() == pytest.approx(6 * 0.54)
            sent = service.paid_jobs
            with pytest.raises(BudgetExceeded) as info:  # 3.24 + 2.16 > 5: the first call that crosses
                k.sweep(str(clip), PROMPT, strengths=["adhere_1", "flex_1"], take=1)
            assert service.paid_jobs == sent == 6
            assert info.value.left == pytest.approx(5 - 6 * 0.54)
            k.modify(str(clip), PROMPT, strength="reimagine_2", take=1)  # 3.24 + 1.08 <= 5: still fits
        assert service.paid_jobs == 7


HOLDER = textwrap.dedent(
    """
    import sys, time
    from lumakit.cache import Cache, Limit
    cache = Cache(sys.argv[1])
    hold = cache.spending.hold(Limit(1.2), "runware", [(sys.argv[2], 0, 0.54)]).hold
    print("held" if hold is not None else "refused", flush=True)
    time.sleep(600)
    """
)


def test_a_job_held_by_a_killed_kernel_is_checked_against_the_budget_when_another_claims_it(
    tmp_path: Path,
) -> None:
    """Kernel A (a process) reserves job X and is killed before claiming it; kernel B's call had skipped X
    (A would pay for it) and reserved Y; kernel C (a process) then reserves the room A's hold left. When B
    finds X unclaimed, sending it would cross the $1.20 budget: B's claim of X is refused."""
    cache_dir = tmp_path / "cache"
    x, y, z = "x" * 64, "y" * 64, "z" * 64
    env = {**os.environ, "PYTHONPATH": os.getcwd()}

    def holder(key: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(cache_dir), key], stdout=subprocess.PIPE, text=True, env=env
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        return proc

    a = holder(x)
    cache = Cache(cache_dir)
    b, spent, call = cache.spending.hold(Limit(1.2), "runware", [(x, 0, 0.54), (y, 0, 0.54)])[:3]
    assert b is not None and (spent, call) == (0.54, 0.54)  # X was A's to pay
    a.kill()
    a.wait(30)
    c = holder(z)  # 0.54 (B's Y) + 0.54 (C's Z) <= 1.20: A's room is taken
    try:
        args = {"kind": "modify", "backend": "runware", "wire": {}, "estimate": 0.54, "hold": b}
        _, mine = cache.ledger.claim("1" * 32, key=y, **args)
        assert mine  # Y came out of B's own hold
        with pytest.raises(BudgetExceeded) as info:
            cache.ledger.claim("2" * 32, key=x, **args)
        assert cache.ledger.get("2" * 32) is None  # nothing claimed, so nothing can be sent
        assert info.value.budget == 1.2 and info.value.estimate == 0.54
    finally:
        c.kill()
        c.wait(30)
        cache.close()
