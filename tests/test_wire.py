"""The protocol room (``lumakit.wire``): one digest, one upload placeholder, one error object, ``NotSent``."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from _fake_runware import SRC, FakeRunware, make_client

import lumakit as lk
from lumakit.errors import APIError, NotSent, RequestError
from lumakit.request import ModifyRequest, parse_task
from lumakit.wire import answers, spec, tasks

URL = "https://example.org/clip.mp4"
UID = "3f0c2d9e-8b1a-4c5e-9f7d-2a6b1c0e4d11"


def test_the_cache_key_is_the_digest_of_the_task_without_uuid_or_delivery() -> None:
    request = lk.request.build("modify", video=URL, prompt="a glass dolphin", strength="flex_2", ttl=3600)
    key = request.canonical_key()
    assert key == tasks.digest(request.to_task(delivery=False))
    shuffled = json.loads(json.dumps(request.to_task(delivery=False), sort_keys=True))
    assert tasks.digest(dict(reversed(list(shuffled.items())))) == key  # key order aside
    assert key == request.replace(prompt="a glass dolphin").canonical_key()
    assert key != request.replace(strength="flex_3").canonical_key()


def test_a_local_file_is_a_placeholder_until_uploaded_and_only_sources_are_filled(tmp_path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not read here")
    prompt = "keep the caption <upload clip.mp4> as text"  # a prompt is text, never a file
    wire = ModifyRequest(clip, prompt, strength="adhere_1").to_task(task_uuid=UID)
    assert wire["inputs"]["video"] == tasks.placeholder("clip.mp4") == "<upload clip.mp4>"
    assert tasks.has_placeholders(wire)
    media = "0b5f8c1e-2d3a-4b6c-8e9f-1a2b3c4d5e6f"
    filled = tasks.fill_placeholders(wire, {"<upload clip.mp4>": str(clip)}, {str(clip): media})
    assert filled["inputs"]["video"] == media and filled["positivePrompt"] == prompt
    assert not tasks.has_placeholders(filled)
    text_only = ModifyRequest(URL, prompt, strength="adhere_1").to_task(task_uuid=UID)
    assert not tasks.has_placeholders(text_only)  # before: found by searching repr(wire), prompt included
    assert wire["inputs"] == ModifyRequest(clip, prompt, strength="adhere_1").to_task()["inputs"]


def test_read_task_says_the_job_and_parse_task_builds_the_same_request() -> None:
    wire = {
        "taskType": "videoInference",
        "taskUUID": UID,
        "model": "luma:ray@3.2",
        "positivePrompt": "wider",
        "inputs": {"video": URL},
        "width": 720,
        "height": 1280,
    }
    read = tasks.read_task(wire)
    assert read.kind == "reframe" and read.options["video"] == URL and read.options["width"] == 720
    request = parse_task(wire)
    assert isinstance(request, lk.ReframeRequest) and request.size == (720, 1280)
    assert request.to_task(task_uuid=UID, delivery=False) == wire
    with pytest.raises(RequestError) as info:
        tasks.read_task({**wire, "seting": {}})
    assert info.value.wire == "seting" and "did you mean 'settings'" in info.value.message


def test_the_error_object_written_by_the_local_side_reads_back_as_the_same_error() -> None:
    task = {"taskType": "videoInference", "taskUUID": UID}
    refusal = RequestError(
        "strength", "flex_9", lk.STRENGTHS, code="invalidStrength", wire="settings.edit.strength"
    )
    written = answers.TaskError.from_request_error(refusal).wire(task)
    assert written["code"] == "invalidStrength" and written["parameter"] == "settings.edit.strength"
    assert written["taskUUID"] == UID and written["allowedValues"] == list(lk.STRENGTHS)
    read = answers.error_from(written, 400, task_level=True)
    assert isinstance(read, lk.TaskFailed)
    assert (read.code, read.parameter, read.task_uuid) == ("invalidStrength", "settings.edit.strength", UID)
    assert "flex_9" in read.message


def test_strength_position_is_the_dial_and_str_methods_are_not_shadowed() -> None:
    assert [s.position for s in lk.Strength] == list(range(9))
    assert lk.Strength.FLEX_2.position == 4
    assert lk.Strength.FLEX_2.index("2") == 5  # a Strength is a str: str.index is not shadowed
    assert sorted([lk.Strength.REIMAGINE_1, lk.Strength.ADHERE_3]) == [
        lk.Strength.ADHERE_3,
        lk.Strength.REIMAGINE_1,
    ]


def test_a_submit_that_never_left_raises_not_sent_and_nothing_is_billed(tmp_path) -> None:
    fake = FakeRunware(polls=1)
    for _ in range(6):
        fake.script("videoInference", httpx.ConnectError("refused"))

    async def go():
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(NotSent) as info:
                await client.modify(SRC, "a glass dolphin", strength="adhere_1")
            return info.value, client.history()[0]

    err, entry = asyncio.run(go())
    assert isinstance(err, APIError) and err.code == "networkError" and "could not reach" in str(err)
    assert entry.state == "not_sent" and not fake.tasks
    assert lk.NotSent is NotSent


# ---- authentication in the array, sizes, sniffing, inline sources -----------------------------------------
def test_only_an_authentication_task_first_with_a_key_stands_for_the_header() -> None:
    auth = {"taskType": "authentication", "apiKey": "k"}
    poll = {"taskType": "getResponse", "taskUUID": UID}
    assert tasks.array_api_key([auth, poll]) == "k"
    for body in ([poll, auth], [{**auth, "apiKey": " "}], [{**auth, "apiKey": 7}], [], {"0": auth}, None):
        assert tasks.array_api_key(body) is None


def test_a_size_knows_its_aspect_ratio_and_the_nearest_sizes_of_the_table() -> None:
    assert [spec.aspect_of_size(*s) for s in [(1080, 1920), (1088, 1920), (1248, 1664), (1000, 500)]] == [
        "9:16", "9:16", "3:4", None  # 1088x1920 is within 2 % of 9:16
    ]  # fmt: skip
    assert spec.nearest_sizes(1280, 700) == [(1280, 720), (1472, 624), (1104, 832)]
    assert spec.size_note(1280, 720) is None and spec.size_note(1080, 1920) is None  # sizes of the table
    note = spec.size_note(1000, 1000)
    assert note is not None and "960x960 (720p, published)" in note and "1104x832 (720p, ours)" in note


def test_media_bytes_are_named_by_their_magic_number() -> None:
    assert spec.sniff(b"\x00\x00\x00\x20ftypisom" + b"\x00" * 8) == ".mp4"
    assert spec.sniff(b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 8) == ".mov"
    assert spec.sniff(b"\x89PNG\r\n\x1a\n....") == ".png" and spec.sniff(b"plain text") is None
    assert set(spec.SOURCE_MEDIA_TYPES) >= {".mp4", ".mov", ".webm", ".png", ".jpg", ".gif", ".webp"}


def test_a_long_base64_string_is_content_and_a_file_name_stays_a_path(tmp_path) -> None:
    b64 = "AAAAIGZ0eXBpc29t" * 16  # 256 characters of the base64 alphabet
    assert lk.request.classify_source(b64).kind == "data"
    assert lk.request.classify_source(b64[:-4]).kind == "path"  # shorter: a file name
    assert lk.request.classify_source(b64 + "A").kind == "path"  # not whole 4-character groups
    assert lk.request.classify_source("clips/" + "a" * 300 + ".mp4").kind == "path"  # a dot: a file name
    with pytest.raises(RequestError, match="no such file"):
        lk.ModifyRequest("clips/dolphin_final", "x", strength="flex_1")
