"""Runware's published example requests for luma:ray@3.2 all parse, unchanged; what Runware refuses is refused
with the dotted ``parameter`` of the offending field, by ``parse_task`` and by the local server (HTTP 400)."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from typing import Any

import httpx
import pytest
from _clips import make_clip
from test_local_render import make_png
from test_request import SPEC_EXAMPLE

import lumakit as lk
from lumakit import request as rq
from lumakit.local import LocalServer

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
    # the local backend calls loopback webhooks only: Runware's example host is refused, naming the field
    refused = httpx.post(server.url, json=[task], headers=dry_run, timeout=60)
    assert refused.status_code == 400 and refused.json()["errors"][0]["parameter"] == "webhookURL"
    task["webhookURL"] = "http://127.0.0.1:9/hooks/runware"
    r = httpx.post(server.url, json=[task], headers=dry_run, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["cost"] == 6.48  # 1 s source, 1080p HDR+EXR edit: the 5 s price
