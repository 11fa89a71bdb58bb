"""The knob groups: what the user ticks and slides is exactly what goes into the request, and nothing else."""

from __future__ import annotations

import pytest

from lumakit.errors import RequestError
from lumakit.request import STRENGTHS, Controls
from lumakit.widgets.knobs import ControlsKnob, EditKnobs, StrengthKnob


def test_strength_slider_covers_the_nine_levels_and_does_not_update_while_dragging():
    knob = StrengthKnob("adhere_2")
    assert knob.slider.options == STRENGTHS
    assert knob.slider.continuous_update is False
    assert knob.value == "adhere_2"
    assert [b in knob.bands.value for b in ("adhere", "flex", "reimagine")] == [True] * 3


def test_moving_the_slider_and_unticking_use_strength():
    knob = StrengthKnob("flex_2")
    knob.slider.value = "reimagine_1"
    assert knob.value == "reimagine_1"
    knob.use.value = False
    assert knob.value is None
    assert knob.slider.disabled and knob.slider.value == "reimagine_1"  # kept, greyed
    knob.use.value = True
    assert knob.value == "reimagine_1"
    assert not knob.slider.disabled


def test_setting_strength_attribute_moves_the_widgets():
    knob = StrengthKnob(None)
    assert knob.value is None and knob.use.value is False
    knob.value = "adhere_3"
    assert (knob.use.value, knob.slider.value) == (True, "adhere_3")


def test_invalid_strength_raises_the_request_error():
    knob = StrengthKnob()
    with pytest.raises(RequestError, match=r"flex_9.*did you mean 'flex_3'") as err:
        knob.value = "flex_9"
    assert err.value.parameter == "strength"
    assert knob.value == "flex_2"


def test_controls_unset_until_ticked():
    knob = ControlsKnob()
    assert knob.value is None and knob.to_wire() == {}
    knob.units["depth_blur"].use.value = True  # tick the box: its slider's value is sent
    assert knob.depth_blur == 0.5
    knob.units["depth_blur"].slider.value = 0.2
    knob.pose.value = "precise"
    knob.face_buttons.value = "on"
    assert knob.to_wire() == {"poseStrength": "precise", "depthBlur": 0.2, "face": True}
    knob.units["depth_blur"].use.value = False
    knob.pose.value = "unset"
    assert knob.to_wire() == {"face": True}


def test_controls_attributes_drive_widgets():
    knob = ControlsKnob()
    knob.trajectory_sparsity = 0.75
    knob.pose_strength = "coarse"
    unit = knob.units["trajectory_sparsity"]
    assert (unit.use.value, unit.slider.value, unit.slider.disabled) == (True, 0.75, False)
    assert knob.pose.value == "coarse"
    knob.set({"normalsAugmentation": 0.1})
    assert knob.to_wire() == {"normalsAugmentation": 0.1}
    assert knob.units["trajectory_sparsity"].use.value is False


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("depth_blur", 1.5, "out of range"),
        ("pose_strength", "tight", "pose strength"),
        ("face", False, "face"),
    ],
)
def test_invalid_controls_raise_naming_the_control(name, value, match):
    knob = ControlsKnob()
    with pytest.raises(RequestError, match=match) as err:
        setattr(knob, name, value)
    assert err.value.parameter == name
    assert getattr(knob, name) is None


def test_auto_controls_greys_and_restores_strength_and_controls():
    knobs = EditKnobs("glass", strength="adhere_3", controls=Controls(depth_blur=0.4, face=True))
    before = knobs.edit_options()
    assert before == {"strength": "adhere_3", "controls": Controls(depth_blur=0.4, face=True)}
    knobs.auto_box.value = True  # as a click would
    assert knobs.auto_controls is True
    assert knobs.edit_options() == {"auto_controls": True}
    assert knobs.strength_knob.slider.disabled and knobs.strength_knob.use.disabled
    assert knobs.controls.pose.disabled and knobs.controls.face_buttons.disabled
    assert all(u.slider.disabled and u.use.disabled for u in knobs.controls.units.values())
    assert "#aaa" in knobs.strength_knob.bands.value
    knobs.auto_controls = False
    assert knobs.edit_options() == before
    assert not knobs.strength_knob.slider.disabled
    assert not knobs.controls.units["depth_blur"].slider.disabled
    assert knobs.controls.units["normals_augmentation"].slider.disabled  # still off: stays greyed


def test_strength_and_controls_together_and_controls_alone():
    knobs = EditKnobs("glass", strength="flex_1")
    knobs.controls.face = True
    assert knobs.edit_options() == {"strength": "flex_1", "controls": Controls(face=True)}
    knobs.strength = None
    assert knobs.edit_options() == {"controls": Controls(face=True)}


def test_observe_knobs_fires_on_every_knob():
    knobs = EditKnobs("a")
    seen = []
    knobs.observe_knobs(lambda change: seen.append(change["name"]))
    knobs.prompt_box.value = "b"
    knobs.strength_knob.slider.value = "adhere_1"
    knobs.controls.units["depth_blur"].use.value = True
    knobs.auto_box.value = True
    assert seen == ["prompt", "value", "depth_blur", "auto_controls"]


def test_the_panels_knob_attributes_are_the_widgets_values_both_ways():
    """``panel.prompt`` / ``strength`` / ``auto_controls`` read and set the widgets themselves (one value, no
    copy), and a bad value is refused with the request's error, leaving the knob as it was."""
    from lumakit.widgets import ModifyPanel, SweepPanel

    class StandIn:
        backend = "scripted"

    panel = ModifyPanel(StandIn(), source="https://example.org/a.mp4", prompt="glass", strength="flex_2")
    panel.knobs.prompt_box.value = "steel"  # typed in the box
    assert panel.prompt == "steel" and panel.request().prompt == "steel"
    panel.strength = "adhere_1"  # set from code
    assert panel.knobs.strength_knob.slider.value == "adhere_1" and panel.knobs.strength == "adhere_1"
    with pytest.raises(RequestError) as err:
        panel.strength = "flex_9"
    assert err.value.parameter == "strength" and panel.strength == "adhere_1"
    panel.knobs.auto_box.value = True
    assert panel.auto_controls is True
    assert panel.request_preview()["settings"]["edit"] == {"autoControls": True}
    panel.auto_controls = False
    assert panel.knobs.auto_box.value is False and panel.strength == "adhere_1"
    sweep = SweepPanel(StandIn(), source="https://example.org/a.mp4", prompt="glass")
    sweep.prompt = "ice"
    assert sweep.prompt_box.value == "ice"
    assert all(t["positivePrompt"] == "ice" for t in sweep.request_preview())
