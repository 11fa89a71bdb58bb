"""Takes: several samples of the same request (``client.takes``), and the noise floor they show
(``take_spread`` / ``takes_plot``): the scripted Runware, the local backend and the Runware stand-in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _clips import pattern
from _fake_runware import SRC, FakeRunware, make_client
from _fake_runware_http import RunwareStandIn

import lumakit as lk
from lumakit import media
from lumakit.errors import BudgetError, RequestError
from lumakit.local import LocalServer
from lumakit.noise import TakeSpread, take_spread, takes_plot
from lumakit.takes import Takes

PROMPT = "a glass dolphin"
LEVELS = ["adhere_1", "flex_2"]


def test_takes_sends_each_take_once_and_reuses_what_was_run(tmp_path: Path) -> None:
    fake = FakeRunware(polls=1)
    with make_client(fake, tmp_path, sync=True) as client:
        plans = client.plan_sweep(SRC, PROMPT, strengths=LEVELS)
        first = client.sweep(SRC, PROMPT, strengths=LEVELS)  # take 0 of each level: 2 jobs
        takes = client.takes(plans, n=2)  # only take 1 of each level is new: 2 jobs
        again = client.takes(plans, n=2)  # all cached
        one = client.takes(plans["flex_2"], n=3)  # a single request: take 2 is new
        labels = {e.label for e in client.history()}
    assert len(fake.tasks) == 5
    assert isinstance(takes, Takes) and list(takes) == LEVELS and takes.n == 2
    assert takes["flex_2"][0].task_uuid == first["flex_2"].task_uuid  # take 0 is the plain request
    assert len({r.task_uuid for runs in takes.values() for r in runs}) == 4
    assert all(r.cached for runs in again.values() for r in runs)
    assert (
        list(one) == ["modify"] and one.n == 3 and one["modify"][1].task_uuid == takes["flex_2"][1].task_uuid
    )
    assert (
        list(takes.take(1)) == LEVELS
        and takes.take(1)["adhere_1"].task_uuid == takes["adhere_1"][1].task_uuid
    )
    assert {"adhere_1 · take 1", "flex_2 · take 1"} <= labels


def test_takes_are_priced_as_one_call_before_anything_is_sent(tmp_path: Path) -> None:
    fake = FakeRunware(polls=1)
    with make_client(fake, tmp_path, sync=True) as client:
        plans = client.plan_sweep(SRC, PROMPT, strengths=LEVELS)
        one_take = client.estimate(plans).total
        with pytest.raises(BudgetError):  # one take of each fits, two do not
            client.takes(plans, n=2, max_cost=one_take * 1.5)
        for bad in (0, -1, 1.5, True, "2"):
            with pytest.raises(RequestError, match="n="):
                client.takes(plans, n=bad)
    assert len(fake.tasks) == 0  # the estimate's dry runs create no task


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return media.write_video(tmp_path_factory.mktemp("takes") / "src.mp4", pattern(12, 160, 96, seed=2), 12)


def test_takes_on_the_local_backend_and_their_spread(tmp_path: Path, source: Path) -> None:
    with LocalServer(tmp_path / "server") as server:
        client = lk.Client(backend="local", base_url=server.url, cache_dir=tmp_path / "cache", progress=False)
        plans = client.plan_sweep(str(source), PROMPT, strengths=["adhere_1", "flex_2", "reimagine_3"])
        takes = client.takes(plans, n=2)
        client.close()
    assert takes.n == 2 and all(r.is_local for runs in takes.values() for r in runs)
    spread = take_spread(source, takes, region=(0.2, 0.2, 0.8, 0.8))
    assert isinstance(spread, TakeSpread) and spread.values.shape == (3, 2) and spread.part == "inside"
    # the preview is deterministic: two takes of a request are the same picture, a noise floor of 0
    assert np.allclose(spread.spread(), 0, atol=1e-3)
    assert spread.means()[0] < spread.means()[2] and all(spread.ranked())
    assert [v.split(":")[0] for v in spread.verdicts()] == ["adhere_1 -> flex_2", "flex_2 -> reimagine_3"]
    fig = takes_plot(source, takes)
    assert fig.axes[0].get_title() == "every take of every level"
    grid = lk.frame_grid(takes.take(1), n=2, crop=(0.25, 0.25, 0.75, 0.75), size=80)  # crop= on results
    assert np.asarray(grid.axes[0].images[0].get_array()).shape[:2] == (48, 80)
    assert any(t.get_text() == lk.compare.PREVIEW_MARK for t in fig.texts)  # previews say so


def test_spread_says_when_a_gap_is_within_the_noise(tmp_path: Path, source: Path) -> None:
    """Two takes far apart and two levels close together: the pair cannot be ranked."""
    frames = pattern(12, 160, 96, seed=2).astype(int)
    near = media.write_video(tmp_path / "near.mp4", np.clip(frames + 10, 0, 255).astype(np.uint8), 12)
    far = media.write_video(tmp_path / "far.mp4", np.clip(frames + 60, 0, 255).astype(np.uint8), 12)
    mid = media.write_video(tmp_path / "mid.mp4", np.clip(frames + 35, 0, 255).astype(np.uint8), 12)
    s = take_spread(source, {"a": [near, far], "b": [mid, mid]})
    assert s.part == "whole" and s.gaps()[0] < s.spread()[0] and s.ranked() == [False]
    assert "within the noise" in s.verdicts()[0]
    with pytest.raises(RequestError, match="takes"):
        take_spread(source, {"a": [near]})
    with pytest.raises(RequestError, match="part"):
        take_spread(source, {"a": [near, far]}, part="inside")  # no region given


def test_takes_on_the_runware_stand_in(tmp_path: Path, source: Path) -> None:
    with RunwareStandIn() as service:
        client = lk.Client(
            "sk-takes-test-1", base_url=service.url, cache_dir=tmp_path / "cache", progress=False
        )
        plans = client.plan_sweep(str(source), PROMPT, strengths=LEVELS)
        takes = client.takes(plans, n=2)
        client.takes(plans, n=2)  # cached: nothing new paid
        client.close()
        paid = service.paid_jobs
    assert paid == 4 and not any(r.is_local for runs in takes.values() for r in runs)
    d = lk.departure(source, takes["flex_2"][0], region=(0.25, 0.25, 0.75, 0.75))  # region= on Ray's results
    assert d.inside.mean().mad > 0.02 and d.outside.mean().mad > 0.02  # the stand-in tints every pixel
    grid = lk.frame_grid(takes.take(0), n=2, crop={0.0: (0, 0, 80, 48), 1.0: (80, 48, 160, 96)}, size=80)
    assert len(grid.axes) == 4
    fig = takes_plot(source, takes, region=(0.25, 0.25, 0.75, 0.75), part="outside")
    assert not any(t.get_text() == lk.compare.PREVIEW_MARK for t in fig.texts)
    assert "outside the box" in fig.axes[0].get_ylabel()
