"""The request model: wire JSON, validation rules and the keys the cache relies on."""

from __future__ import annotations

import dataclasses
import json

import pytest

import lumakit as lk
from lumakit import request as rq

CLIP = "https://example.org/clip.mp4"

# Runware's Modify Video guide, "The request" (the violinist at flex_2), quoted exactly (test_wire_examples.py
# keeps it as printed); lumakit sends these fields plus the two delivery fields the client always adds.
GUIDE_TASK = {
    "taskType": "videoInference",
    "taskUUID": "e5d6c7b8-9a0b-1c2d-3e4f-5a6b7c8d9e0f",
    "model": "luma:ray@3.2",
    "positivePrompt": "Transform the violinist into a luminous figure of flowing golden light against a "
    "dark void, ribbons of light streaming from the bow and tracing his body, following his exact bowing "
    "and motion.",
    "inputs": {"video": "https://example.com/violinist.mp4"},
    "settings": {"edit": {"strength": "flex_2"}},
}

# runware-ray32.md section 8, verbatim.
SPEC_EXAMPLE = json.loads("""
[{"taskType": "videoInference", "taskUUID": "3f0c2d9e-8b1a-4c5e-9f7d-2a6b1c0e4d11", "model": "luma:ray@3.2",
  "positivePrompt": "A neon cyber creature with glowing circuitry, the ocean left natural",
  "inputs": {"video": "https://example.org/clip.mp4"},
  "settings": {"edit": {"strength": "adhere_2", "controls": {"poseStrength": "precise", "face": true}}},
  "deliveryMethod": "async", "includeCost": true}]
""")


def test_guide_example_reproduces_every_field_in_order() -> None:
    req = lk.ModifyRequest(
        video=GUIDE_TASK["inputs"]["video"], prompt=GUIDE_TASK["positivePrompt"], strength="flex_2"
    )
    task = req.to_task(task_uuid=GUIDE_TASK["taskUUID"])
    assert {k: v for k, v in task.items() if k not in ("deliveryMethod", "includeCost")} == GUIDE_TASK
    assert list(task)[: len(GUIDE_TASK)] == list(GUIDE_TASK)  # same field order as the guide
    assert task["deliveryMethod"] == "async" and task["includeCost"] is True


def test_spec_example_is_reproduced_exactly_with_key_order() -> None:
    expected = SPEC_EXAMPLE[0]
    req = lk.ModifyRequest(
        video=CLIP,
        prompt=expected["positivePrompt"],
        strength=lk.Strength.ADHERE_2,
        controls=lk.Controls(pose_strength="precise", face=True),
    )
    task = req.to_task(task_uuid=expected["taskUUID"])
    assert json.dumps(task) == json.dumps(expected)


def test_strength_is_ordered_with_band_and_level() -> None:
    levels = [lk.Strength.coerce(s) for s in rq.STRENGTHS]
    assert levels == sorted(levels, key=lambda s: s.position)
    assert [s.position for s in levels] == list(range(9))
    assert sorted(reversed(levels)) == levels
    assert lk.Strength.coerce("flex_2").band == "flex" and lk.Strength.coerce("flex_2").level == 2
    assert lk.Strength.REIMAGINE_1 > lk.Strength.FLEX_3 > lk.Strength.ADHERE_1
    assert [s.value for s in rq.band_levels("reimagine")] == ["reimagine_1", "reimagine_2", "reimagine_3"]
    assert str(lk.Strength.FLEX_1) == "flex_1"


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("flx_2", "flex_2"),
        ("Flex_2", "flex_2"),
        ("flex_4", None),
        ("reimagine_0", None),
        ("strong", None),
        (3, None),
    ],
)
def test_bad_strength_names_the_parameter_and_the_nine_levels(value: object, hint: str | None) -> None:
    with pytest.raises(lk.RequestError) as info:
        lk.ModifyRequest(video=CLIP, prompt="p", strength=value)  # type: ignore[arg-type]
    err = info.value
    assert err.parameter == "strength" and err.code == "invalidStrength"
    assert err.wire == "settings.edit.strength"
    assert repr(value) in str(err)
    for level in rq.STRENGTHS:
        assert level in str(err)
    if hint:
        assert f"did you mean {hint!r}" in str(err)


def test_controls_omit_unset_fields_and_map_to_camel_case() -> None:
    assert lk.Controls().to_wire() == {}
    assert not lk.Controls()
    c = lk.Controls(depth_blur=0.25, trajectory_sparsity=1, normals_augmentation=0)
    assert c.to_wire() == {"depthBlur": 0.25, "normalsAugmentation": 0.0, "trajectorySparsity": 1.0}
    req = lk.ModifyRequest(video=CLIP, prompt="p", controls={"poseStrength": "coarse", "face": False})
    assert req.to_task()["settings"] == {"edit": {"controls": {"poseStrength": "coarse", "face": False}}}
    # empty controls are no controls
    assert "settings" not in lk.ModifyRequest(video=CLIP, prompt="p", controls=lk.Controls()).to_task()


@pytest.mark.parametrize("name", ["depth_blur", "normals_augmentation", "trajectory_sparsity"])
@pytest.mark.parametrize("value", [-0.01, 1.5, float("nan"), "0.5", True])
def test_control_outside_unit_interval_is_refused(name: str, value: object) -> None:
    with pytest.raises(lk.RequestError) as info:
        lk.Controls(**{name: value})
    assert info.value.parameter == name
    assert "0 to 1" in str(info.value)
    assert info.value.code == "invalidControls"


def test_pose_strength_typo_suggests_the_right_word() -> None:
    with pytest.raises(lk.RequestError) as info:
        lk.Controls(pose_strength="precize")  # type: ignore[arg-type]
    assert "pose_strength" in str(info.value) and "precise, coarse" in str(info.value)
    assert "did you mean 'precise'" in str(info.value)


def test_unknown_control_is_named() -> None:
    with pytest.raises(lk.RequestError, match="unknown control 'depth'"):
        lk.ModifyRequest(video=CLIP, prompt="p", controls={"depth": 0.2})


@pytest.mark.parametrize(
    "extra",
    [
        {"strength": "flex_1"},
        {"controls": lk.Controls(face=True)},
        {"strength": "adhere_1", "controls": {"depthBlur": 0.1}},
    ],
)
def test_auto_controls_cannot_be_combined(extra: dict) -> None:
    with pytest.raises(lk.RequestError) as info:
        lk.ModifyRequest(video=CLIP, prompt="p", auto_controls=True, **extra)
    assert info.value.code == "conflictingParameters"
    assert "auto_controls" in str(info.value) and "cannot be combined" in str(info.value)
    for given in extra:
        assert given in str(info.value)


def test_auto_controls_alone_and_strength_with_controls_are_fine() -> None:
    auto = lk.ModifyRequest(video=CLIP, prompt="p", auto_controls=True).to_task()
    assert auto["settings"] == {"edit": {"autoControls": True}}
    both = lk.ModifyRequest(video=CLIP, prompt="p", strength="flex_1", controls={"depth_blur": 0.5}).to_task()
    assert both["settings"]["edit"] == {"strength": "flex_1", "controls": {"depthBlur": 0.5}}


@pytest.mark.parametrize("prompt", ["", "   ", None, 42])
def test_empty_prompt_is_refused(prompt: object) -> None:
    with pytest.raises(lk.RequestError) as info:
        lk.ModifyRequest(video=CLIP, prompt=prompt)  # type: ignore[arg-type]
    assert info.value.parameter == "prompt" and info.value.wire == "positivePrompt"


def test_overlong_prompt_is_refused_without_echoing_it() -> None:
    with pytest.raises(lk.RequestError, match="6000") as info:
        lk.ModifyRequest(video=CLIP, prompt="x" * 6001)
    assert "xxxxxxxx" not in str(info.value)


def test_missing_file_is_named(tmp_path) -> None:
    missing = tmp_path / "nope.mp4"
    with pytest.raises(lk.RequestError) as info:
        lk.ModifyRequest(video=str(missing), prompt="p")
    assert info.value.parameter == "video" and "no such file" in str(info.value)
    assert str(missing) in str(info.value)


def test_sources_are_classified_by_form(tmp_path) -> None:
    f = tmp_path / "clip.mp4"
    f.write_bytes(b"\x00")
    uid = "3F0C2D9E-8B1A-4C5E-9F7D-2A6B1C0E4D11"
    assert rq.classify_source("https://x.org/a.mp4").kind == "url"
    assert rq.classify_source(uid) == rq.Source("uuid", uid.lower())
    assert rq.classify_source("data:video/mp4;base64,AAAA").kind == "data"
    assert rq.classify_source(f).kind == "path"

    class FakeResult:  # what a lumakit Result looks like to the request model
        video_uuid = "0b9f9a3e-1d2c-4e5f-8a9b-0c1d2e3f4a5b"
        path = str(f)

    src = rq.classify_source(FakeResult())
    assert src.kind == "uuid" and src.value == FakeResult.video_uuid and src.local_path == str(f)
    chained = lk.ModifyRequest(video=FakeResult(), prompt="now at night", strength="adhere_1")
    assert chained.to_task()["inputs"] == {"video": FakeResult.video_uuid}
    with pytest.raises(lk.RequestError, match="video"):
        rq.classify_source(12)


def test_local_file_shows_a_placeholder_until_uploaded(tmp_path) -> None:
    f = tmp_path / "clip.mp4"
    f.write_bytes(b"\x00")
    req = lk.ModifyRequest(video=str(f), prompt="p", strength="adhere_1")
    assert req.to_task()["inputs"]["video"] == "<upload clip.mp4>"
    assert req.to_task(media={str(f): "media-uuid"})["inputs"]["video"] == "media-uuid"


def test_canonical_key_ignores_task_uuid_and_follows_content(tmp_path) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    ra = lk.ModifyRequest(video=str(a), prompt="p", strength="flex_1")
    rb = lk.ModifyRequest(video=str(b), prompt="p", strength="flex_1")
    assert ra.canonical_key({str(a): "abc"}) == rb.canonical_key({str(b): "abc"})  # same content, other name
    assert ra.canonical_key({str(a): "abc"}) != ra.canonical_key({str(a): "abd"})  # edited file
    assert ra.canonical_key({str(a): "abc"}) != ra.replace(strength="flex_2").canonical_key({str(a): "abc"})
    url = lk.ModifyRequest(video=CLIP, prompt="p", strength="flex_1")
    assert (
        url.canonical_key()
        == lk.ModifyRequest(video=CLIP, prompt="p", strength=lk.Strength.FLEX_1).canonical_key()
    )
    assert url.canonical_key() != url.replace(prompt="q").canonical_key()


def test_unsupported_and_unknown_options_are_refused_by_name() -> None:
    for name in ("seed", "negative_prompt", "fps", "steps", "cfg_scale"):
        with pytest.raises(lk.RequestError, match=f"does not take '{name}'"):
            rq.build("modify", video=CLIP, prompt="p", **{name: 1})
    with pytest.raises(lk.RequestError, match="did you mean 'strength'"):
        rq.build("modify", video=CLIP, prompt="p", strenght="flex_1")
    with pytest.raises(lk.RequestError, match="width"):
        rq.build("modify", video=CLIP, prompt="p", width=1280, height=720)
    ok = rq.build(
        "modify", video=CLIP, prompt="p", strength="flex_1", output_format="webm", output_quality=80
    )
    assert ok.to_task()["outputFormat"] == "WEBM" and ok.to_task()["outputQuality"] == 80


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"output_format": "GIF"}, "output_format"),
        ({"output_quality": 10}, "output_quality"),
        ({"ttl": 5}, "ttl"),
        ({"resolution": "4k"}, "resolution"),
        ({"exr_export": True}, "exr_export"),
    ],
)
def test_output_options_are_checked(options: dict, parameter: str) -> None:
    with pytest.raises(lk.RequestError) as info:
        rq.build("modify", video=CLIP, prompt="p", strength="flex_1", **options)
    assert info.value.parameter == parameter


def test_generate_text_and_image_to_video(tmp_path) -> None:
    t2v = lk.GenerateRequest("a lighthouse at dawn").to_task(task_uuid="u")
    assert t2v == {"taskType": "videoInference", "taskUUID": "u", "model": "luma:ray@3.2",
                   "positivePrompt": "a lighthouse at dawn", "resolution": "720p", "duration": 5,
                   "deliveryMethod": "async", "includeCost": True}  # fmt: skip
    first, last = tmp_path / "first.png", tmp_path / "last.png"
    first.write_bytes(b"png")
    last.write_bytes(b"png")
    i2v = lk.GenerateRequest("dawn to dusk", image=str(first), last_image="https://x.org/last.png")
    wire = i2v.to_task(media={str(first): "m1"})
    assert wire["inputs"]["frameImages"] == [
        {"image": "m1", "frame": "first"},
        {"image": "https://x.org/last.png", "frame": "last"},
    ]
    assert lk.GenerateRequest("x", aspect_ratio="9:16", resolution="1080p").to_task()["width"] == 1080
    assert lk.GenerateRequest("x", aspect_ratio="1:1").size == (960, 960)
    assert lk.GenerateRequest("x", aspect_ratio="3:4").size == (832, 1104)


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"duration": 7}, "duration"),
        ({"duration": 10, "image": "https://x.org/a.png"}, "duration"),
        ({"loop": True, "duration": 10}, "loop"),
        ({"loop": True, "last_image": "https://x.org/a.png"}, "loop"),
        ({"hdr": True, "duration": 10}, "hdr"),
        ({"width": 1280}, "width/height"),
        ({"aspect_ratio": "5:4"}, "aspect_ratio"),
        ({"keyframes": [("https://x.org/a.png", "middle")]}, "frame"),
    ],
)
def test_generate_rules(options: dict, parameter: str) -> None:
    with pytest.raises(lk.RequestError) as info:
        lk.GenerateRequest("p", **options)
    assert info.value.parameter == parameter


def test_reframe_is_its_own_request() -> None:
    r = lk.ReframeRequest(
        CLIP, "more beach on both sides", aspect_ratio="9:16", source_position=(0, 0.2, 1, 0.6)
    )
    task = r.to_task()
    assert (task["width"], task["height"]) == (720, 1280)
    assert task["settings"] == {"sourcePosition": {"x": 0.0, "y": 0.2, "width": 1.0, "height": 0.6}}
    assert "edit" not in task["settings"]
    with pytest.raises(lk.RequestError, match="aspect_ratio"):
        lk.ReframeRequest(CLIP, "p")
    with pytest.raises(lk.RequestError) as info:
        lk.ReframeRequest(CLIP, "p", aspect_ratio="1:1", source_position=(0, 0, 3, 1))
    assert info.value.parameter == "source_position.width"


def test_parse_task_round_trips_and_uses_the_same_codes() -> None:
    task = SPEC_EXAMPLE[0]
    parsed = rq.parse_task(task)
    assert isinstance(parsed, lk.ModifyRequest)
    assert parsed.to_task(task_uuid=task["taskUUID"]) == task
    gen = lk.GenerateRequest("x", aspect_ratio="1:1", loop=True).to_task(task_uuid=task["taskUUID"])
    assert rq.parse_task(gen).to_task(task_uuid=task["taskUUID"]) == gen

    def code_of(fn) -> tuple[str, str]:
        with pytest.raises(lk.RequestError) as info:
            fn()
        return info.value.code, info.value.wire

    bad_wire = dict(task, settings={"edit": {"strength": "flx_2"}})
    assert code_of(lambda: rq.parse_task(bad_wire)) == code_of(
        lambda: lk.ModifyRequest(video=CLIP, prompt="p", strength="flx_2")
    )
    conflict = dict(task, settings={"edit": {"autoControls": True, "strength": "flex_1"}})
    assert code_of(lambda: rq.parse_task(conflict)) == code_of(
        lambda: lk.ModifyRequest(video=CLIP, prompt="p", strength="flex_1", auto_controls=True)
    )
    ctrl = dict(task, settings={"edit": {"controls": {"depthBlur": 2}}})
    assert code_of(lambda: rq.parse_task(ctrl)) == code_of(lambda: lk.Controls(depth_blur=2))
    assert code_of(lambda: rq.parse_task(dict(task, positivePrompt=""))) == (
        "invalidPositivePrompt",
        "positivePrompt",
    )
    assert code_of(lambda: rq.parse_task(dict(task, seed=1)))[0] == "unsupportedParameter"
    assert (
        code_of(lambda: rq.parse_task(dict(task, width=1280, settings={"edit": {"strength": "flex_1"}})))[1]
        == "width"
    )
    assert code_of(lambda: rq.parse_task(dict(task, model="luma:ray@2")))[0] == "invalidModel"
    assert code_of(lambda: rq.parse_task(dict(task, taskUUID="nope")))[0] == "invalidTaskUUID"


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("0f3c2a4e-9b1d-4c6a-8e2f-1a2b3c4d5e6f", True),
        ("0F3C2A4E-9B1D-4C6A-8E2F-1A2B3C4D5E6F", True),
        ("0f3c2a4e9b1d4c6a8e2f1a2b3c4d5e6f", False),
        ("0f3c2a4e-9b1d-4c6a-8e2f-1a2b3c4d5e6f\n", False),
        ("clip.mp4", False),
        (None, False),
    ],
)
def test_one_uuid_check_decides_what_a_source_is(text: object, ok: bool) -> None:
    assert rq.is_uuid(text) is ok
    if isinstance(text, str) and ok:
        assert rq.classify_source(text) == rq.Source("uuid", text.lower())


def test_the_unit_controls_are_the_controls_taking_0_to_1() -> None:
    from lumakit.widgets import knobs

    assert set(rq.CONTROL_NAMES) == {f.name for f in dataclasses.fields(lk.Controls)}
    for name in rq.UNIT_CONTROLS:
        with pytest.raises(lk.RequestError, match=name):
            lk.Controls(**{name: 1.5})
    assert knobs.UNIT_CONTROLS is rq.UNIT_CONTROLS and knobs.CONTROL_NAMES is rq.CONTROL_NAMES
