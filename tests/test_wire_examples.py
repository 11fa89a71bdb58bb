"""Runware's published example requests for luma:ray@3.2 all parse, unchanged; what Runware refuses is refused
with the dotted ``parameter`` of the offending field, by ``parse_task`` and by the local server (HTTP 400)."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import time
import uuid
import warnings
from typing import Any

import httpx
import pytest
from _clips import make_clip
from _fake_runware import SRC, FakeRunware, make_client
from test_local_render import make_png
from test_request import SPEC_EXAMPLE

import lumakit as lk
from lumakit import request as rq
from lumakit.local import LocalServer
from lumakit.wire import spec

AUTH = {"Authorization": "Bearer test-key"}

# Runware's guide "Transforming video with Modify Video", section "The request", quoted exactly.
GUIDE_REQUEST = json.loads("""
[
{
"taskType": "videoInference",
"taskUUID": "e5d6c7b8-9a0b-1c2d-3e4f-5a6b7c8d9e0f",
"model": "luma:ray@3.2",
"positivePrompt": "Transform the violinist into a luminous figure of flowing golden light against a dark void, ribbons of light streaming from the bow and tracing his body, following his exact bowing and motion.",
"inputs": {
"video": "https://example.com/violinist.mp4"
},
"settings": {
"edit": { "strength": "flex_2" }
}
}
]
""")[0]  # noqa: E501


def guide_with_settings(fragment: str) -> dict[str, Any]:
    """The guide's request with one of its later ``"settings"`` fragments (quoted exactly) in place."""
    task = copy.deepcopy(GUIDE_REQUEST)
    task.update(json.loads("{" + fragment + "}"))
    return task


# Runware's skills repository (github.com/Runware/runware-skills), quoted exactly:
# skills/animate-image/references/examples.md, recipe 2 (Luma Ray 3.2): the 832x1104 image-to-video.
SKILLS_ANIMATE_IMAGE_2 = json.loads("""
[
  {
    "taskType": "videoInference",
    "taskUUID": "b7e8d9c0-1a2b-3c4d-5e6f-708192a3b4c5",
    "model": "luma:ray@3.2",
    "positivePrompt": "Slow steady push-in toward the barista. She breathes calmly, her chest rising and falling, and gives a small warm nod toward the camera. Steam curls upward continuously from the cup in her hands. The camera moves forward gradually across the clip.",
    "width": 832,
    "height": 1104,
    "duration": 5,
    "inputs": {
      "frameImages": [
        { "image": "https://example.com/barista-portrait.jpg", "frame": "first" }
      ]
    }
  }
]
""")[0]  # noqa: E501

# skills/cinematic-video/references/examples.md, recipe 3 (text-to-video, Luma Ray 3.2).
SKILLS_CINEMATIC_3 = json.loads("""
[
  {
    "taskType": "videoInference",
    "taskUUID": "c2d3e4f5-6a7b-8c9d-0e1f-2a3b4c5d6e7f",
    "model": "luma:ray@3.2",
    "positivePrompt": "A tight character close-up with a slow rack focus. Cinematic shallow depth of field, the background falling into soft bokeh. Warm practical lamplight from one side, cool window light filling the shadows. A woman by a rain-streaked window, the focus pulling gradually from the foreground raindrops on the glass to her eyes. She breathes calmly and her gaze settles.",
    "width": 1280,
    "height": 720,
    "duration": 5
  }
]
""")[0]  # noqa: E501

# skills/edit-video/references/examples.md, recipe 1 is the guide's request, byte for byte; its text adds "a
# restyled inputs.frameImages entry" to pin the look. That anchored form, with the recipe's own field shape:
SKILLS_EDIT_VIDEO_1_ANCHORED = copy.deepcopy(GUIDE_REQUEST)
SKILLS_EDIT_VIDEO_1_ANCHORED["inputs"]["frameImages"] = [
    {"image": "https://example.com/anchor-golden-light.jpg", "frame": "first"}
]

# runware-ray32.md section 8: an edit as lumakit sends it (quoted in test_request.py).
SPEC_SECTION_8 = SPEC_EXAMPLE[0]

# Every documented task field on one edit (spec section 2): nothing Runware documents is refused.
EVERY_DOCUMENTED_FIELD = {
    **copy.deepcopy(GUIDE_REQUEST),
    "resolution": "1080p",
    "settings": {
        "edit": {"strength": "flex_2", "controls": {"depthBlur": 0.5}},
        "hdr": True,
        "exrExport": True,
    },
    "outputType": "URL",
    "outputFormat": "MOV",
    "outputQuality": 90,
    "deliveryMethod": "async",
    "includeCost": True,
    "ttl": 3600,
    "webhookURL": "https://example.com/hooks/runware",
    "safety": {"checkContent": True},
    "uploadEndpoint": "https://example.com/upload",
    "numberResults": 1,
}

EXAMPLES: dict[str, tuple[dict[str, Any], type]] = {
    "guide: The request (violinist, flex_2)": (GUIDE_REQUEST, lk.ModifyRequest),
    "guide: strength reimagine_3 fragment": (
        guide_with_settings('"settings": {\n"edit": { "strength": "reimagine_3" }\n}'),
        lk.ModifyRequest,
    ),
    "guide: controls poseStrength fragment": (
        guide_with_settings('"settings": {\n"edit": {\n"controls": { "poseStrength": "precise" }\n}\n}'),
        lk.ModifyRequest,
    ),
    "guide: autoControls true (its text)": (
        guide_with_settings('"settings": {"edit": {"autoControls": true}}'),
        lk.ModifyRequest,
    ),
    "runware-skills animate-image recipe 2 (832x1104 i2v)": (SKILLS_ANIMATE_IMAGE_2, lk.GenerateRequest),
    "runware-skills cinematic-video recipe 3 (t2v)": (SKILLS_CINEMATIC_3, lk.GenerateRequest),
    "runware-skills edit-video recipe 1 + its anchor frame": (SKILLS_EDIT_VIDEO_1_ANCHORED, lk.ModifyRequest),
    "runware-ray32.md section 8": (SPEC_SECTION_8, lk.ModifyRequest),
    "every documented field": (EVERY_DOCUMENTED_FIELD, lk.ModifyRequest),
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_published_example_parses_and_round_trips_unchanged(name: str) -> None:
    task, kind = EXAMPLES[name]
    parsed = rq.parse_task(task)
    assert type(parsed) is kind
    delivery = "deliveryMethod" in task
    again = parsed.to_task(task_uuid=task["taskUUID"], delivery=delivery)
    expected = {k: v for k, v in task.items() if k != "numberResults"}  # left to the server
    assert again == expected  # nothing dropped, nothing changed


def test_runwares_832x1104_example_is_priced_at_30_cents() -> None:
    assert lk.pricing.price(rq.parse_task(SKILLS_ANIMATE_IMAGE_2)).usd == 0.30


def test_the_guide_request_is_what_lumakit_builds() -> None:
    req = lk.ModifyRequest(
        "https://example.com/violinist.mp4", GUIDE_REQUEST["positivePrompt"], strength="flex_2"
    )
    assert req.to_task(task_uuid=GUIDE_REQUEST["taskUUID"], delivery=False) == GUIDE_REQUEST


def edit(**over: Any) -> dict[str, Any]:
    task = copy.deepcopy(SPEC_SECTION_8)
    task["taskUUID"] = str(uuid.uuid4())
    for key, value in over.items():
        if value is None:
            task.pop(key, None)
        else:
            task[key] = value
    return task


def reframe(**over: Any) -> dict[str, Any]:
    """A reframe to 9:16 (``settings`` replaced by ``over``'s, if given)."""
    base = {"settings": {"sourcePosition": {"x": 0, "y": 0.2, "width": 1, "height": 0.6}}, "width": 720}
    return edit(**{**base, "height": 1280, **over})


# (what is wrong, the task, the dotted parameter refused, a phrase of the message)
REFUSALS: list[tuple[str, dict[str, Any], str, str]] = [
    ("settings.edit without a source", edit(inputs={}), "inputs.video", "settings.edit needs"),
    ("settings.edit, no inputs at all", edit(inputs=None), "inputs.video", "text-to-video"),
    ("HDR on a reframe", reframe(settings={"hdr": True}), "settings.hdr", "SDR only"),
    ("EXR on a reframe", reframe(settings={"hdr": True, "exrExport": True}), "settings.hdr", "reframe"),
    ("anchor frames on a reframe", reframe(inputs={"video": "https://example.org/a.mp4",
     "frameImages": [{"image": "https://example.org/a.png", "frame": "first"}]}), "inputs.frameImages",
     "reframe"),
    ("outputType base64Data", edit(outputType="base64Data"), "outputType", "URL"),
    ("width/height on an edit", edit(width=1280, height=720), "width", "reframing is a separate task"),
    ("duration on an edit", edit(duration=5), "duration", "length"),
    ("loop on an edit", edit(settings={"loop": True}), "settings.loop", "text/image-to-video"),
    ("sourcePosition on text-to-video", edit(inputs=None, settings={"sourcePosition": {"x": 0, "y": 0,
     "width": 1, "height": 1}}), "settings.sourcePosition", "reframe"),
    ("seed", edit(seed=42), "seed", "does not take"),
    ("negativePrompt", edit(negativePrompt="blurry"), "negativePrompt", "does not take"),
    ("fps", edit(fps=24), "fps", "does not take"),
    ("steps", edit(steps=30), "steps", "does not take"),
    ("CFGScale", edit(CFGScale=7), "CFGScale", "does not take"),
    ("typo at the top", edit(positivePromt="x"), "positivePromt", "did you mean 'positivePrompt'"),
    ("typo in settings.edit", edit(settings={"edit": {"strenght": "flex_2"}}), "settings.edit.strenght",
     "did you mean 'strength'"),
    ("typo in controls", edit(settings={"edit": {"controls": {"poseStrenght": "precise"}}}),
     "settings.edit.controls.poseStrenght", "did you mean 'poseStrength'"),
    ("unknown in settings", edit(settings={"edit": {}, "motion": 1}), "settings.motion", "unknown field"),
    ("unknown in inputs", edit(inputs={"video": "https://example.org/a.mp4", "referenceImages": []}),
     "inputs.referenceImages", "unknown field"),
    ("unknown in a frame image", edit(inputs={"video": "https://example.org/a.mp4",
     "frameImages": [{"image": "https://example.org/a.png", "timestamp": 1.0}]}),
     "inputs.frameImages.timestamp", "unknown field"),
    ("deliveryMethod later", edit(deliveryMethod="later"), "deliveryMethod", "async"),
    ("numberResults 0", edit(numberResults=0), "numberResults", ">= 1"),
    ("webhookURL not a URL", edit(webhookURL="hooks"), "webhookURL", "http(s) URL"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "task", "parameter", "phrase"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_parse_task_refuses_what_runware_refuses(what: str, task: dict, parameter: str, phrase: str) -> None:
    with pytest.raises(lk.RequestError) as info:
        rq.parse_task(task)
    assert info.value.wire == parameter
    assert phrase in str(info.value)


@pytest.fixture(scope="module")
def server_and_clip(tmp_path_factory: pytest.TempPathFactory) -> Any:
    clip = make_clip(tmp_path_factory.mktemp("src") / "clip.mp4", seconds=1.0, fps=8)
    with LocalServer(tmp_path_factory.mktemp("data")) as server:
        b64 = base64.b64encode(clip.read_bytes()).decode()
        up = [
            {"taskType": "mediaStorage", "taskUUID": str(uuid.uuid4()), "operation": "upload", "media": b64}
        ]
        media = httpx.post(server.url, json=up, headers=AUTH, timeout=60).json()["data"][0]["mediaUUID"]
        yield server, media


def with_media(task: dict[str, Any], media: str) -> dict[str, Any]:
    task = copy.deepcopy(task)
    if isinstance(task.get("inputs"), dict) and "video" in task["inputs"]:
        task["inputs"]["video"] = media
    return task


def test_the_local_server_answers_each_refusal_with_400_and_the_dotted_parameter(server_and_clip) -> None:
    server, media = server_and_clip
    before = server.stats.get("jobs_created", 0)
    for what, task, parameter, _ in REFUSALS:
        r = httpx.post(server.url, json=[with_media(task, media)], headers=AUTH, timeout=60)
        assert r.status_code == 400, what
        err = r.json()["errors"][0]
        assert err["parameter"] == parameter, what
        assert err["taskUUID"] == task["taskUUID"] and err["taskType"] == "videoInference"
    assert server.stats.get("jobs_created", 0) == before  # nothing ran


def test_the_local_server_prices_an_anchored_edit_with_extra_fields(server_and_clip) -> None:
    server, media = server_and_clip
    png = "data:image/png;base64," + base64.b64encode(make_png(8, 8, (200, 160, 40))).decode()  # readable
    task = with_media(EVERY_DOCUMENTED_FIELD, media)
    task["taskUUID"] = str(uuid.uuid4())
    task["inputs"]["frameImages"] = [{"image": png, "frame": "first"}]
    dry_run = {**AUTH, "X-Runware-Dry-Run": "1"}
    # Runware's example webhook host is accepted; the local backend calls loopback webhooks only, and says so
    r = httpx.post(server.url, json=[task], headers=dry_run, timeout=60)
    assert r.status_code == 200, r.text
    item = r.json()["data"][0]
    assert item["cost"] == 6.48  # 1 s source, 1080p HDR+EXR edit: the 5 s price
    assert "'example.com' was not called" in item["lumakitLocal"]["webhookNotCalled"]


# ---- what Ray refuses and what Runware accepts beyond the published examples -----------------------------
# ONE table drives both sides: parse_task (the request models the client builds) and the local server over
# HTTP. Each row: (what, its source, the task, the refusal expected (dotted parameter, a phrase of the
# message) or None when accepted, the lumakitLocal note the local server adds to an accepted task or None).
PNG = "data:image/png;base64," + base64.b64encode(make_png(8, 8, (200, 160, 40))).decode()
PNG_2 = "data:image/png;base64," + base64.b64encode(make_png(8, 8, (40, 90, 200))).decode()
CLIP_B64 = "<base64 of the test clip>"  # replaced by the clip's bytes (bare base64) over HTTP
CLIP_DATA_URI = "<data URI of the test clip>"  # replaced by the clip as a data URI over HTTP


def generate(**over: Any) -> dict[str, Any]:
    """A text/image-to-video as lumakit sends it, with ``over`` (a None value removes the field)."""
    task = {"taskType": "videoInference", "taskUUID": str(uuid.uuid4()), "model": "luma:ray@3.2",
            "positivePrompt": "a lighthouse at dusk", "resolution": "720p", "duration": 5,
            "deliveryMethod": "async", "includeCost": True}  # fmt: skip
    task.update(over)
    return {k: v for k, v in task.items() if v is not None}


def frames(*positions: Any) -> dict[str, Any]:
    return {"frameImages": [{"image": PNG if i % 2 else PNG_2, "frame": f} for i, f in enumerate(positions)]}


RAY = "ComfyUI core's Luma Ray 3.2 keyframes node"
AUTO = "Runware's ComfyUI frame images node (one image: the first frame; two: first and last)"
REFRAME_1080 = "Luma's reframing guide and ComfyUI core's Luma reframe node"
LOOP = "Runware's ComfyUI node videoSettings.py"
FORMS: list[tuple[str, str, dict[str, Any], tuple[str, str] | None, str | None]] = [
    # refused before sending (Ray refuses them upstream)
    ("reframe to 9:16 at 1080p", REFRAME_1080, reframe(width=1080, height=1920), ("width", "9:16 at 1080p"),
     None),
    ("reframe to 3:4 at 1080p", REFRAME_1080, reframe(width=1248, height=1664), ("width", "3:4 at 1080p"),
     None),
    ("reframe: a size and a different resolution", "ours: the size is sent, the price read the resolution",
     reframe(resolution="1080p"), ("resolution", "does not match width=720, height=1280"), None),
    ("loop with integer keyframes", LOOP, generate(inputs=frames(0, 120), settings={"loop": True}),
     ("settings.loop", "keyframes at frame indices"), None),
    ("loop with a 10 s duration", LOOP, generate(duration=10, settings={"loop": True}),
     ("settings.loop", "duration=10"), None),
    ("one integer keyframe", RAY, generate(inputs=frames(60)), ("inputs.frameImages", "2 to 64"), None),
    ("65 keyframes", RAY, generate(inputs=frames(*range(65))), ("inputs.frameImages", "got 65"), None),
    ("a keyframe past frame 120 of a 5 s clip", RAY, generate(inputs=frames(0, 121)),
     ("inputs.frameImages.frame", "from 0 to 120"), None),
    ("a keyframe past frame 240 of a 10 s clip", RAY, generate(duration=10, inputs=frames(0, 241)),
     ("inputs.frameImages.frame", "from 0 to 240"), None),
    ("a first frame image and a keyframe at 0", "ours: the first frame is frame 0",
     generate(inputs=frames("first", 0)),
     ("inputs.frameImages", "two images for frame 0"), None),
    ("a first frame image at 10 s", RAY, generate(duration=10, inputs=frames("first")),
     ("duration", "5 s only"), None),
    ("routing that is not an object", "runware-sdk 1.8.0 LumaRay32Params",
     edit(routing="fastest"), ("routing", "a JSON object"), None),
    ("a third frameImages entry without frame", AUTO,
     generate(inputs={"frameImages": [{"image": PNG}, {"image": PNG_2}, {"image": PNG}]}),
     ("inputs.frameImages.frame", "first and last are taken"), None),
    # accepted, as Runware accepts them
    ("integer keyframes with duration 10", "ComfyUI core's keyframes node offers 5 s and 10 s",
     generate(duration=10, inputs=frames(0, 120, 240)), None, None),
    ("64 keyframes at 5 s", RAY, generate(inputs=frames(*range(64))), None, None),
    ("a first frame and an integer keyframe", RAY, generate(inputs=frames("first", 120)), None, None),
    ("loop with a first frame only", LOOP, generate(inputs=frames("first"), settings={"loop": True}), None,
     None),
    ("routing through extra", "runware-sdk 1.8.0 LumaRay32Params",
     edit(routing={"strategy": "default"}), None, None),
    ("frameImages entries without frame (i2v)", "Runware's ComfyUI node videoInputsFrame.py",
     generate(inputs={"frameImages": [{"image": PNG}]}), None, None),
    ("two frameImages entries without frame: first and last", AUTO,
     generate(inputs={"frameImages": [{"image": PNG}, {"image": PNG_2}]}), None, None),
    ("a frameImages entry without frame beside a last frame", AUTO,
     generate(inputs={"frameImages": [{"image": PNG, "frame": "last"}, {"image": PNG_2}]}), None, None),
    ("frameImages entries without frame (edit anchor)", "Runware's ComfyUI node videoInputsFrame.py",
     edit(inputs={"video": "https://example.org/clip.mp4", "frameImages": [{"image": PNG}]}), None, None),
    ("hdr: false on a reframe", "ours: a false flag is harmless", reframe(settings={"hdr": False}), None,
     None),
    ("exrExport: false on a reframe", "ours: a false flag is harmless",
     reframe(settings={"hdr": False, "exrExport": False}), None, None),
    ("loop: false on an edit", "ours: a false flag is harmless",
     edit(settings={"edit": {"strength": "flex_1"}, "loop": False}), None, None),
    ("loop: false on a reframe", "ours: a false flag is harmless", reframe(settings={"loop": False}), None,
     None),
    ("bare base64 inputs.video (reframe)", "Runware's reframe guide and skill",
     reframe(inputs={"video": CLIP_B64}), None, None),
    ("data URI inputs.video (edit)", "Runware's reframe guide and skill",
     edit(inputs={"video": CLIP_DATA_URI}), None, None),
    ("webhookURL to a public host", "Runware's task reference (local server: called on loopback only)",
     edit(webhookURL="https://hooks.example.com/runware"), None, "webhookNotCalled"),
    ("a size in no tier's table", "Runware refuses unknown sizes at submit, free of charge",
     generate(resolution=None, width=1000, height=1000), None, "sizeWarning"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "source", "task", "refused", "note"), FORMS, ids=[f[0] for f in FORMS])
def test_the_python_side_refuses_and_accepts_each_form(
    what: str, source: str, task: dict, refused: tuple[str, str] | None, note: str | None
) -> None:
    if refused is None:
        parsed = rq.parse_task(task)
        assert parsed.to_task()["taskType"] == "videoInference"
        return
    with pytest.raises(lk.RequestError) as info:
        rq.parse_task(task)
    parameter, phrase = refused
    assert info.value.wire == parameter and phrase in str(info.value)
    assert "allowed:" in str(info.value)  # the allowed values are named
    if not source.startswith("ours"):
        assert f"source: {source}" in str(info.value)  # and where the limit is documented


def over_http(task: dict[str, Any], media: str, clip: bytes) -> dict[str, Any]:
    """The task as sent to the local server: the example URL is the uploaded clip, a placeholder its bytes."""
    task = copy.deepcopy(task)
    task["taskUUID"] = str(uuid.uuid4())
    b64 = base64.b64encode(clip).decode()
    inline = {CLIP_B64: b64, CLIP_DATA_URI: f"data:video/mp4;base64,{b64}"}
    if "video" in task.get("inputs", {}):
        task["inputs"]["video"] = inline.get(task["inputs"]["video"], media)
    return task


def test_the_local_server_refuses_and_accepts_the_same_forms(server_and_clip, tmp_path) -> None:
    server, media = server_and_clip
    clip = make_clip(tmp_path / "inline.mp4", seconds=1.0, fps=8).read_bytes()
    before = server.stats.get("jobs_created", 0)
    dry_run = {**AUTH, "X-Runware-Dry-Run": "1"}
    for what, _, task, refused, note in FORMS:
        r = httpx.post(server.url, json=[over_http(task, media, clip)], headers=dry_run, timeout=60)
        if refused is None:
            assert r.status_code == 200, (what, r.text)
            item = r.json()["data"][0]
            assert item["dryRun"] is True and item["cost"] > 0, what
            assert (
                (note in item["lumakitLocal"])
                if note
                else not {"webhookNotCalled", "sizeWarning"} & set(item["lumakitLocal"])
            ), what
        else:
            assert r.status_code == 400, (what, r.text)
            err = r.json()["errors"][0]
            assert err["parameter"] == refused[0] and refused[1] in err["message"], what
    assert server.stats.get("jobs_created", 0) == before  # dry runs only: nothing ran


def test_a_webhook_on_a_public_host_is_accepted_and_never_called(server_and_clip) -> None:
    """A notebook written for Runware runs unchanged offline: the task runs, the answer says the webhook was
    not called, and no request left for the host (the server's webhook counters stay still)."""
    server, media = server_and_clip
    task = with_media(edit(webhookURL="https://hooks.example.com/runware"), media)
    hooks = (server.stats["webhooks"], server.stats["webhook_failures"])
    ack = httpx.post(server.url, json=[task], headers=AUTH, timeout=60).json()["data"][0]
    assert "was not called" in ack["lumakitLocal"]["webhookNotCalled"]
    poll = [{"taskType": "getResponse", "taskUUID": task["taskUUID"]}]
    for _ in range(240):
        item = httpx.post(server.url, json=poll, headers=AUTH, timeout=60).json()["data"][0]
        if item["status"] != "processing":
            break
        time.sleep(0.25)
    assert item["status"] == "success" and "was not called" in item["lumakitLocal"]["webhookNotCalled"]
    time.sleep(0.3)
    assert (server.stats["webhooks"], server.stats["webhook_failures"]) == hooks


def test_authentication_first_in_the_array_stands_for_the_header(server_and_clip) -> None:
    """Runware's documented alternative to the Authorization header: an authentication task first."""
    server, media = server_and_clip
    auth = {"taskType": "authentication", "apiKey": "any-key"}
    task = with_media(edit(), media)
    r = httpx.post(server.url, json=[auth, task], headers={"X-Runware-Dry-Run": "1"}, timeout=60)
    assert r.status_code == 200, r.text
    session, item = r.json()["data"]
    assert session["taskType"] == "authentication" and session["connectionSessionUUID"]
    assert "any-key" not in r.text  # the key is never echoed
    assert item["taskUUID"] == task["taskUUID"] and item["cost"] > 0
    # without it, or with it anywhere but first, or with an empty key: 401, nothing read further
    for body in ([task], [task, auth], [{**auth, "apiKey": ""}, task]):
        refused = httpx.post(server.url, json=body, timeout=60)
        assert refused.status_code == 401 and refused.json()["errors"][0]["code"] == "invalidApiKey"


def test_the_python_forms_of_the_acceptances_reach_the_local_server_as_sent(
    server_and_clip, tmp_path
) -> None:
    """What a user writes in Python for each acceptance builds the task the local server takes."""
    server, media = server_and_clip
    clip = make_clip(tmp_path / "inline.mp4", seconds=1.0, fps=8).read_bytes()
    b64 = base64.b64encode(clip).decode()
    hook = "https://hooks.example.com/runware"
    requests = {
        "Source.from_bytes as the video": lk.ModifyRequest(
            lk.Source.from_bytes(clip), "glass", strength="flex_1"
        ),
        "bare base64 string as the video": lk.ReframeRequest(
            b64, "sea", aspect_ratio="1:1", resolution="360p"
        ),
        "integer keyframes, 10 s": lk.GenerateRequest(
            "dusk", keyframes=[(PNG, 0), (PNG_2, 240)], duration=10
        ),
        "routing and a public webhook in extra": lk.ModifyRequest(
            media, "glass", strength="flex_1", extra={"routing": {"strategy": "default"}, "webhookURL": hook}
        ),
        "hdr/exr_export/loop=False where they do not apply": rq.build(
            "reframe", video=media, prompt="sea", aspect_ratio="1:1", hdr=False, exr_export=False, loop=False
        ),
    }
    assert requests["Source.from_bytes as the video"].video.value.startswith("data:video/mp4;base64,AAAA")
    assert requests["bare base64 string as the video"].video.kind == "data"  # not taken for a file name
    dry_run = {**AUTH, "X-Runware-Dry-Run": "1"}
    for what, request in requests.items():
        task = request.to_task(task_uuid=str(uuid.uuid4()))
        assert task == rq.parse_task(task).to_task(task_uuid=task["taskUUID"]), what  # read back unchanged
        r = httpx.post(server.url, json=[task], headers=dry_run, timeout=60)
        assert r.status_code == 200 and r.json()["data"][0]["cost"] > 0, (what, r.text)
    with pytest.raises(lk.RequestError, match="no media type lumakit knows"):
        lk.Source.from_bytes(b"not a video")
    assert lk.Source.from_bytes(b"raw", mime="video/mp4").value == "data:video/mp4;base64,cmF3"


def test_a_size_in_no_table_warns_once_on_the_python_side_and_is_noted_by_the_server() -> None:
    with pytest.warns(lk.UnpublishedSizeWarning, match=r"Nearest sizes: 960x960 \(720p, published\)"):
        request = lk.GenerateRequest("dusk", width=1000, height=1000)
    task = request.to_task(task_uuid=str(uuid.uuid4()))
    assert (task["width"], task["height"]) == (1000, 1000)  # sent as asked
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reading the wire task (the local backend's side) does not warn
        rq.parse_task(task)
        lk.GenerateRequest("dusk", width=832, height=1104)  # a published size: no warning
        lk.GenerateRequest("dusk", width=1104, height=832)  # a size of the table lumakit derived: none either


def test_the_size_table_holds_the_published_sizes_and_derives_the_rest_and_the_examples_agree() -> None:
    """Every size Runware publishes (PUBLISHED_SIZES, with where) is in OUTPUT_SIZES; every size is the
    table's rule (equal area to the tier's 16:9 frame, sides rounded to 16; 16:9 and 9:16 exact); Runware's
    examples quoted above use published sizes."""
    assert set(spec.PUBLISHED_SIZES) <= set(spec.OUTPUT_SIZES.values())
    for (aspect, tier), size in spec.OUTPUT_SIZES.items():
        w16, h16 = spec.OUTPUT_SIZES[("16:9", tier)]
        a, b = (int(x) for x in aspect.split(":"))
        rule = {"16:9": (w16, h16), "9:16": (h16, w16)}.get(aspect) or (
            round((w16 * h16 * a / b) ** 0.5 / 16) * 16,
            round((w16 * h16 * b / a) ** 0.5 / 16) * 16,
        )
        assert size == rule, (aspect, tier)
    for example in (SKILLS_ANIMATE_IMAGE_2, SKILLS_CINEMATIC_3):
        assert (example["width"], example["height"]) in spec.PUBLISHED_SIZES
        assert spec.size_note(example["width"], example["height"]) is None


def test_the_client_refuses_rays_limits_before_any_request(tmp_path) -> None:
    """Through the client's own calls, against a Runware stand-in: each refusal is raised before anything is
    uploaded, sent or billed, and leaves no ledger line."""
    fake = FakeRunware(polls=1)

    async def go() -> list[str]:
        wires = []
        async with make_client(fake, tmp_path) as client:
            calls = [
                client.reframe(SRC, prompt="sky", aspect_ratio="9:16", resolution="1080p"),
                client.reframe(SRC, prompt="sky", width=720, height=1280, resolution="1080p"),
                client.generate("dusk", keyframes=[(PNG, 0), (PNG_2, 120)], loop=True),
                client.generate("dusk", keyframes=[(PNG, 60)]),
                client.generate("dusk", keyframes=[(PNG, 0), (PNG_2, 300)], duration=10),
                client.modify(SRC, "glass", strength="flex_1", extra={"routing": "fastest"}),
            ]
            for call in calls:
                with pytest.raises(lk.RequestError) as info:
                    await call
                wires.append(info.value.wire)
            assert client.history() == []
        return wires

    wires = asyncio.run(go())
    assert wires == ["width", "resolution", "settings.loop", "inputs.frameImages", "inputs.frameImages.frame",
                     "routing"]  # fmt: skip
    assert fake.requests == []  # nothing was sent


def test_frame_images_without_frame_are_placed_as_runware_places_them() -> None:
    """One image is the first frame, two are first and last, on the wire and from Python alike."""
    two = generate(inputs={"frameImages": [{"image": PNG}, {"image": PNG_2}]})
    assert [k.frame for k in rq.parse_task(two).keyframes] == ["first", "last"]
    python = lk.GenerateRequest("dusk", keyframes=[{"image": PNG}, {"image": PNG_2}])
    assert [f["frame"] for f in python.to_task()["inputs"]["frameImages"]] == ["first", "last"]
    assert [k.frame for k in lk.GenerateRequest("dusk", keyframes=[(PNG,)]).keyframes] == ["first"]
    with pytest.raises(lk.RequestError, match="first and last are taken"):
        lk.GenerateRequest("dusk", keyframes=[{"image": PNG}, {"image": PNG_2}, {"image": PNG}])
    with pytest.raises(lk.RequestError) as info:
        lk.GenerateRequest("dusk", keyframes=[{"img": PNG}])
    assert info.value.code == "invalidFrameImages" and info.value.parameter == "keyframes"
