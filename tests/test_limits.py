"""Limits per job kind: source length (edit 18 s, reframe 30 s) and where HDR is allowed."""

from __future__ import annotations

import asyncio

import pytest
from _clips import make_clip
from _fake_runware import FakeRunware, make_client

import lumakit as lk
from lumakit import request as rq
from lumakit.client._prepared import check_source_length
from lumakit.errors import MediaError

URL = "https://example.org/clip.mp4"


def test_source_length_limits_name_the_job_kind_and_the_measured_length() -> None:
    assert rq.source_length_problem("modify", 18.0) is None
    assert rq.source_length_problem("reframe", 30.0) is None
    assert rq.source_length_problem("reframe", 20.0) is None  # over the edit limit, fine for a reframe
    edit = rq.source_length_problem("modify", 18.4)
    assert edit is not None and "18.4 s" in edit and "edit" in edit and "18 s" in edit
    reframe = rq.source_length_problem("reframe", 31.0)
    assert reframe is not None and "31.0 s" in reframe and "reframe" in reframe and "30 s" in reframe
    with pytest.raises(MediaError, match=r"clip\.mp4: the source is 19\.0 s long; a Ray 3\.2 edit"):
        check_source_length("modify", 19.0, "clip.mp4")
    check_source_length("modify", None, "clip.mp4")  # unknown length: nothing to check here


def test_hdr_on_edits_at_every_tier_never_on_reframes_720p_up_for_generation() -> None:
    for tier in rq.RESOLUTIONS:
        edit = lk.ModifyRequest(URL, "x", resolution=tier, hdr=True, exr_export=True)
        assert edit.to_task()["settings"] == {"hdr": True, "exrExport": True}
    for tier in ("360p", "540p"):
        with pytest.raises(lk.RequestError, match="text/image-to-video needs a 720p or 1080p") as info:
            lk.GenerateRequest("x", resolution=tier, hdr=True)
        assert info.value.parameter == "resolution"
    with pytest.raises(lk.RequestError, match="got 360p"):  # a 360p-class size is refused like 360p
        lk.GenerateRequest("x", width=640, height=360, hdr=True)
    assert lk.GenerateRequest("x", width=832, height=1104, hdr=True).to_task()["settings"] == {"hdr": True}
    with pytest.raises(lk.RequestError) as info:
        rq.build("reframe", video=URL, prompt="x", aspect_ratio="9:16", hdr=True)
    assert info.value.parameter == "hdr"


def test_the_client_refuses_a_long_edit_but_runs_a_20_s_reframe(tmp_path) -> None:
    clip = make_clip(tmp_path / "long.mp4", seconds=20.0, fps=2, w=32, h=18)
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(MediaError, match=r"20\.0 s long; a Ray 3\.2 edit takes at most 18 s"):
                await client.modify(str(clip), "x", strength="flex_1")
            assert fake.requests == []
            return await client.estimate(rq.ReframeRequest(str(clip), "more sky", aspect_ratio="9:16"))

    est = asyncio.run(go())
    assert [ln.kind for ln in est.lines] == ["reframe"]
