"""The price before the run: ModifyPanel and SweepPanel show the estimate next to their button, follow the
source and knobs without a network call, count cached jobs at $0, and refuse work above ``max_cost``."""

from __future__ import annotations

from pathlib import Path

import pytest
from _clips import make_clip
from _fake_runware import FakeRunware, make_client

from lumakit.widgets import ModifyPanel, SweepPanel


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    return {
        "short": make_clip(d / "short.mp4", seconds=1.0, fps=8),
        "long": make_clip(d / "long.mp4", seconds=7.0, fps=2, w=32, h=18),
        "tall": make_clip(d / "tall.mp4", seconds=1.0, fps=2, w=1920, h=1080),
        "too_long": make_clip(d / "too_long.mp4", seconds=19.0, fps=1, w=32, h=18),
    }


def test_modify_panel_shows_the_estimate_next_to_generate_and_follows_source_and_knobs(clips, tmp_path):
    fake = FakeRunware(polls=1)
    with make_client(fake, tmp_path, sync=True) as client:
        panel = ModifyPanel(client, source=str(clips["short"]), prompt="glass", strength="flex_2")
        row = next(c for c in panel.children if panel.generate_button in getattr(c, "children", ()))
        assert panel.price_label in row.children  # next to Generate
        assert panel.price_label.value == "≈ $1.08, estimate"  # 1 s source: the 5 s price at 720p
        panel.source = str(clips["long"])
        assert panel.price_label.value == "≈ $2.16, estimate"  # 7 s source: the 10 s price
        panel.source = str(clips["tall"])
        assert panel.price_label.value == "≈ $2.16, estimate"  # a 1080p source: its own (higher) tier
        panel.source = str(clips["too_long"])
        assert "19.0 s long; a Ray 3.2 edit takes at most 18 s" in panel.price_label.value
        panel.source = None
        assert panel.price_label.value == ""  # no request, no price
        assert fake.requests == []  # pricing never touched the network

        panel.source = str(clips["short"])
        client.modify(str(clips["short"]), "glass", strength="flex_2")
        panel.prompt = "glass!"
        assert panel.price_label.value == "≈ $1.08, estimate"
        panel.prompt = "glass"
        assert panel.price_label.value == "cached: $0"  # the same request is a cache hit
        panel.strength = "reimagine_1"
        assert panel.price_label.value == "≈ $1.08, estimate"
        assert not panel.generate_button.disabled


def test_modify_panel_above_max_cost_disables_generate_and_says_why(clips, tmp_path):
    fake = FakeRunware(polls=1)
    with make_client(fake, tmp_path, sync=True, max_cost=1.5) as client:
        panel = ModifyPanel(client, source=str(clips["short"]), prompt="glass", strength="flex_2")
        assert not panel.generate_button.disabled and panel.price is not None and not panel.price.over
        panel.source = str(clips["long"])
        assert panel.generate_button.disabled
        assert (
            "over max_cost $1.50" in panel.price_label.value and "max_cost" in panel.generate_button.tooltip
        )
        job = panel.start()  # a start from code, past the disabled button: the client refuses it
        assert job is not None and job.wait(30)
        assert "BudgetError" in panel.error and fake.posts("videoInference") == []
        panel.source = str(clips["short"])
        assert not panel.generate_button.disabled and panel.generate_button.tooltip == ""


def test_sweep_panel_totals_the_selected_levels_with_cached_jobs_at_zero(clips, tmp_path):
    fake = FakeRunware(polls=1)
    with make_client(fake, tmp_path, sync=True, max_cost=3.0) as client:
        panel = SweepPanel(client, source=str(clips["short"]), prompt="glass")  # one per band: 3 levels
        assert panel.price_label.value == "≈ $3.24 for 3 jobs, estimate · over max_cost $3.00: raise the " \
            "client's max_cost to run it"  # fmt: skip
        assert panel.run_button.disabled
        panel.levels = ("adhere_1", "flex_2")
        assert panel.price_label.value == "≈ $2.16 for 2 jobs, estimate" and not panel.run_button.disabled
        assert fake.requests == []
        client.modify(str(clips["short"]), "glass", strength="adhere_1")
        panel.levels = ("adhere_1", "flex_2", "reimagine_3")
        assert panel.price_label.value == "≈ $2.16 for 3 jobs (1 cached at $0), estimate"
        assert not panel.run_button.disabled and panel.price.total == pytest.approx(2.16)
        panel.levels = ("adhere_1",)
        assert panel.price_label.value == "cached: $0"


def test_the_panels_show_what_the_budget_has_left_and_refuse_work_beyond_it(clips, tmp_path):
    fake = FakeRunware(polls=1, cost=0.54)
    with make_client(fake, tmp_path, sync=True, budget=2.0) as client:
        panel = ModifyPanel(client, source=str(clips["short"]), prompt="glass", strength="flex_2")
        assert panel.price_label.value == "≈ $1.08, estimate · left: $2.00"
        assert client.quote({"modify": panel.request()}) == panel.price  # the panel prices through the client
        client.modify(str(clips["short"]), "glass", strength="flex_2")  # billed $0.54
        panel.strength = "flex_3"
        assert panel.price_label.value == "≈ $1.08, estimate · left: $1.46"
        sweep = SweepPanel(client, source=str(clips["short"]), prompt="glass")
        assert sweep.price is not None and sweep.price.over_budget and sweep.run_button.disabled
        assert "more than the budget has left" in sweep.price_label.value
        assert fake.requests and len(fake.posts("videoInference")) == 1


def test_a_client_that_is_not_lumakits_gets_no_price_rather_than_a_guessed_one(clips):
    """The panels price only through ``Client.quote`` / ``AsyncClient.quote``: a stand-in with just ``modify``
    and ``sweep`` has no quote, so the panels show none (no second pricing that ignores cache and length)."""

    class StandIn:
        backend = "scripted"

        def modify(self, *args, **kwargs):
            raise AssertionError("never called: pricing sends nothing")

        sweep = modify

    panel = ModifyPanel(StandIn(), source=str(clips["long"]), prompt="glass", strength="flex_2")
    assert panel.price is None and panel.price_label.value == "" and not panel.generate_button.disabled
    sweep = SweepPanel(StandIn(), source=str(clips["long"]), prompt="glass")
    assert sweep.price is None and sweep.price_label.value == "" and not sweep.run_button.disabled
