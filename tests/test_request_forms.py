"""Every documented request form: anchor frames on an edit (``keyframes=``) and ``extra=`` task fields,
from the request model through the client to the wire."""

from __future__ import annotations

import asyncio

import pytest
from _fake_runware import SRC, FakeRunware, make_client

import lumakit as lk
from lumakit import request as rq

ANCHOR = "https://example.org/anchor.png"
HOOK = "https://example.org/hooks/runware"


def test_an_edit_takes_an_anchor_frame_beside_its_source(tmp_path) -> None:
    still = tmp_path / "anchor.png"
    still.write_bytes(b"png")
    req = lk.ModifyRequest(
        SRC, "golden light", strength="flex_2", keyframes=[lk.Keyframe(str(still), "first")]
    )
    wire = req.to_task(media={str(still): "m-anchor"})
    assert wire["inputs"] == {"video": SRC, "frameImages": [{"image": "m-anchor", "frame": "first"}]}
    assert [s.kind for s in req.sources()] == ["url", "path"]  # the client uploads the anchor too
    same = lk.ModifyRequest(SRC, "golden light", strength="flex_2", keyframes=[(str(still), "first")])
    assert same.to_task() == req.to_task()
    assert rq.parse_task(req.to_task(task_uuid=rq.new_task_uuid(), media={str(still): "m-anchor"})).keyframes
    with pytest.raises(lk.RequestError, match="two images for the same frame"):
        lk.ModifyRequest(SRC, "x", keyframes=[(ANCHOR, "first"), lk.Keyframe(ANCHOR, "first")])
    with pytest.raises(lk.RequestError) as info:
        lk.ModifyRequest(SRC, "x", keyframes=lk.Keyframe(ANCHOR))  # one Keyframe, not a list
    assert info.value.parameter == "keyframes"


def test_the_anchor_changes_the_cache_key() -> None:
    plain = lk.ModifyRequest(SRC, "x", strength="flex_2")
    anchored = plain.replace(keyframes=(lk.Keyframe(ANCHOR),))
    assert plain.canonical_key() != anchored.canonical_key()


@pytest.mark.parametrize("cls_args", ["modify", "generate", "reframe"])
def test_extra_sends_documented_fields_on_every_request(cls_args: str) -> None:
    extra = {"webhookURL": HOOK, "safety": {"checkContent": True}, "uploadEndpoint": HOOK, "numberResults": 1}
    args = {"modify": {"video": SRC}, "generate": {}, "reframe": {"video": SRC, "aspect_ratio": "9:16"}}[
        cls_args
    ]
    req = rq.build(cls_args, prompt="x", extra=extra, **args)
    task = req.to_task()
    assert {k: task[k] for k in extra} == extra
    assert list(task)[-2:] == ["deliveryMethod", "includeCost"]
    parsed = rq.parse_task(req.to_task(task_uuid=rq.new_task_uuid()))
    assert parsed.extra == {k: v for k, v in extra.items() if k != "numberResults"}


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ({"ttl": 600}, "use ttl="),
        ({"positivePrompt": "y"}, "use prompt="),
        ({"outputFormat": "MOV"}, "use output_format="),
        ({"settings": {"hdr": True}}, "hdr="),
        ({"inputs": {"video": SRC}}, "video="),
        ({"width": 1280}, "use width="),
        ({"deliveryMethod": "sync"}, "the client sets it"),
        ({"taskUUID": "x"}, "the client sets it"),
    ],
)
def test_extra_refuses_a_key_lumakit_already_owns_naming_its_parameter(extra: dict, names: str) -> None:
    with pytest.raises(lk.RequestError) as info:
        lk.ModifyRequest(SRC, "x", extra=extra)
    key = next(iter(extra))
    assert info.value.parameter == f"extra[{key!r}]" and info.value.code == "conflictingParameters"
    assert names in str(info.value)


def test_extra_refuses_unknown_and_unsupported_keys_and_bad_values() -> None:
    with pytest.raises(lk.RequestError, match="did you mean 'webhookURL'"):
        lk.GenerateRequest("x", extra={"webhook_url": HOOK})
    with pytest.raises(lk.RequestError, match="does not take 'seed'"):
        lk.GenerateRequest("x", extra={"seed": 1})
    with pytest.raises(lk.RequestError, match="one result per task"):
        lk.GenerateRequest("x", extra={"numberResults": 2})
    with pytest.raises(lk.RequestError, match="http"):
        lk.GenerateRequest("x", extra={"webhookURL": "ftp://x"})
    with pytest.raises(lk.RequestError) as info:
        lk.GenerateRequest("x", extra=["webhookURL"])
    assert info.value.parameter == "extra"


def test_the_client_passes_keyframes_and_extra_through_unchanged(tmp_path) -> None:
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            await client.modify(
                SRC,
                "golden light",
                strength="flex_2",
                keyframes=[lk.Keyframe(ANCHOR)],
                extra={"webhookURL": HOOK},
            )
            await client.reframe(SRC, aspect_ratio="9:16", prompt="more sky", extra={"safety": {}})

    asyncio.run(go())
    edit, reframe = fake.posts("videoInference")
    assert (
        edit["inputs"]["frameImages"] == [{"image": ANCHOR, "frame": "first"}] and edit["webhookURL"] == HOOK
    )
    assert reframe["safety"] == {}
