"""The panels' ``sound=``: which clip their synced player lets you hear, as ``show_videos(sound=)`` does.

One clip is heard, the others muted; ``"auto"`` (the default) picks the first clip with sound, usually the
source. A panel names a clip by its title (``"source"``, ``"result"``, a level), checked when set.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _clips import make_clip, with_audio
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from test_widgets_modify import ScriptedClient, ScriptedSweepClient

from lumakit.errors import RequestError
from lumakit.widgets import HistoryPanel, ModifyPanel, SweepPanel


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("sound")
    silent = make_clip(d / "silent.mp4", seconds=1.0, fps=12, w=64, h=36)
    return {"silent": silent, "heard": with_audio(silent, d / "heard.mp4")}


@pytest.fixture
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


def _heard(panel) -> tuple[int, list[bool]]:
    """The player's clip heard (-1: none) and which of its clips carry sound."""
    (player,) = panel.player_box.children
    return player.sound, [s["audio"] for s in player.sources]


def test_the_modify_panel_hears_the_source_by_default_and_the_clip_sound_names(clips, shell):
    panel = ModifyPanel(ScriptedClient(clips["heard"]), source=str(clips["heard"]), prompt="glass")
    assert panel.sound == "auto"
    with capture_output():
        panel.run(timeout=10)
    assert _heard(panel) == (0, [True, True])  # source and result both have sound: the source is heard
    panel.sound = "result"
    with capture_output():
        panel.run(timeout=10)
    assert _heard(panel) == (1, [True, True])
    panel.sound = None
    with capture_output():
        panel.run(timeout=10)
    assert _heard(panel)[0] == -1  # every clip muted


def test_a_clip_without_sound_or_not_shown_is_not_heard(clips, shell):
    silent = ScriptedClient(clips["silent"])
    panel = ModifyPanel(silent, source=str(clips["heard"]), prompt="g", sound="result")
    with capture_output():
        panel.run(timeout=10)
    assert _heard(panel) == (-1, [True, False])  # the result chosen is silent: nothing is heard
    uuid = ModifyPanel(ScriptedClient(clips["heard"]), source="5c3e0d4a-1b2c-4d5e-8f90-a1b2c3d4e5f6",
                       prompt="g", sound="source")  # fmt: skip
    with capture_output():
        uuid.run(timeout=10)
    assert _heard(uuid) == (-1, [True])  # a video UUID is not shown, so its sound is not either


@pytest.mark.parametrize("bad", ["results", "flex_2", 0, True, ["source"]])
def test_a_sound_the_panel_cannot_show_is_refused_when_set_naming_the_choices(clips, bad):
    panel = ModifyPanel(ScriptedClient(clips["heard"]), source=str(clips["heard"]), prompt="glass")
    with pytest.raises(RequestError) as err:
        panel.sound = bad
    assert err.value.parameter == "sound" and "(allowed: auto, None, source, result)" in str(err.value)
    assert panel.sound == "auto"  # unchanged
    with pytest.raises(RequestError, match="sound"):
        ModifyPanel(ScriptedClient(clips["heard"]), source=str(clips["heard"]), prompt="g", sound=bad)


def test_the_sweep_panel_hears_the_level_named(clips, shell):
    client = ScriptedSweepClient(clips["heard"])
    panel = SweepPanel(client, source=str(clips["heard"]), prompt="glass", sound="flex_2")
    with capture_output():
        panel.run(timeout=10)
    assert [s["title"] for s in panel.player_box.children[0].sources] == [
        "source", "adhere_1", "flex_2", "reimagine_3"]  # fmt: skip
    assert _heard(panel)[0] == 2
    with pytest.raises(RequestError, match="sound") as err:
        panel.sound = "result"
    assert "allowed: auto, None, source, adhere_1," in str(err.value) and "reimagine_3)" in str(err.value)


def test_the_history_panel_takes_any_title_and_none(tmp_path):
    class Ledger:
        backend = "scripted"

        def history(self, limit=None):
            return []

    panel = HistoryPanel(Ledger(), sound=None)
    assert panel.sound is None
    panel.sound = "flex_2 · 1a2b3c4d"  # a row's label: the rows are only known once shown
    with pytest.raises(RequestError, match="sound"):
        panel.sound = 1
