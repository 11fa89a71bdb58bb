"""Prices (USD) against Runware's list and its own examples: tiers, edit blocks, HDR rows, reframe."""

from __future__ import annotations

import asyncio
import base64
import uuid

import httpx
import pytest
from _clips import make_clip
from _fake_runware import FakeRunware, make_client

from lumakit import pricing
from lumakit.errors import BudgetError
from lumakit.local import LocalServer, tariff
from lumakit.request import OUTPUT_SIZES, GenerateRequest, ModifyRequest, ReframeRequest, tier_of_size

URL = "https://example.org/clip.mp4"
IMG = "https://example.org/frame.png"


def usd(request, seconds=None, size=None) -> float:
    return pricing.price(request, seconds, size).usd


def test_runwares_own_example_832x1104_image_to_video_is_30_cents() -> None:
    # Runware's example: a 5 s image-to-video at 832x1104 (3:4 at 720p, equal area to 1280x720).
    assert usd(GenerateRequest("a lighthouse", image=IMG, width=832, height=1104)) == 0.30
    assert usd(GenerateRequest("a lighthouse", image=IMG, aspect_ratio="3:4")) == 0.30


EQUAL_AREA = [(1280, 720), (720, 1280), (960, 960), (832, 1104), (1104, 832), (1472, 624)]


@pytest.mark.parametrize("size", EQUAL_AREA)
def test_equal_area_sizes_share_the_720p_tier(size) -> None:
    assert tier_of_size(*size) == "720p"
    assert usd(GenerateRequest("x", width=size[0], height=size[1])) == 0.30


def test_every_table_size_is_priced_at_its_own_tier() -> None:
    for (ar, tier), (w, h) in OUTPUT_SIZES.items():
        assert tier_of_size(w, h) == tier, (ar, tier)
        assert usd(GenerateRequest("x", width=w, height=h)) == pricing.GENERATE_5S[tier]


def test_a_size_in_no_table_takes_the_nearest_pixel_count() -> None:
    assert tier_of_size(1920, 800) == "1080p"  # 1.54 Mpx: nearer 1080p (2.07) than 720p (0.92)
    assert tier_of_size(1000, 600) == "540p"  # 0.60 Mpx: nearer 540p (0.52) than 720p
    assert tier_of_size(64, 64) == "360p"
    assert tier_of_size(4096, 4096) == "1080p"


@pytest.mark.parametrize(
    ("resolution", "sdr", "hdr", "exr"),
    [("720p", 0.30, 0.60, 0.90), ("1080p", 1.20, 2.40, 3.60)],
)
def test_text_to_video_rows(resolution, sdr, hdr, exr) -> None:
    assert usd(GenerateRequest("x", resolution=resolution)) == sdr
    assert usd(GenerateRequest("x", resolution=resolution, hdr=True)) == hdr
    assert usd(GenerateRequest("x", resolution=resolution, hdr=True, exr_export=True)) == exr
    # 10 s: Luma's list (ComfyUI core's nodes_luma.py) has 3x the 5 s price; Runware publishes none
    assert usd(GenerateRequest("x", resolution=resolution, duration=10)) == pytest.approx(3 * sdr)


@pytest.mark.parametrize(
    ("resolution", "ten"), [("360p", 0.18), ("540p", 0.45), ("720p", 0.90), ("1080p", 3.60)]
)
def test_a_10_s_generation_is_the_highest_public_figure(resolution, ten) -> None:
    p = pricing.price(GenerateRequest("x", resolution=resolution, duration=10))
    assert p.usd == pytest.approx(ten) and p.seconds == 10.0
    assert "3x the 5 s price" in p.detail


@pytest.mark.parametrize(
    ("resolution", "five", "ten"),
    [("360p", 0.54, 1.08), ("540p", 0.72, 1.44), ("720p", 1.08, 2.16), ("1080p", 2.16, 4.32)],
)
def test_edit_blocks_5_s_or_less_is_the_5_s_price_longer_is_the_10_s_price(resolution, five, ten) -> None:
    req = ModifyRequest(URL, "x", strength="flex_2", resolution=resolution)
    assert usd(req, 1.0) == five
    assert usd(req, 5.0) == five
    assert usd(req, 5.01) == ten
    assert usd(req, 12.0) == ten  # not three 5 s blocks
    assert usd(req, 18.0) == ten  # the edit limit is still one 10 s price


@pytest.mark.parametrize(
    ("resolution", "hdr5", "exr5"),
    [("360p", 1.08, 1.62), ("540p", 1.44, 2.16), ("720p", 2.16, 3.24), ("1080p", 4.32, 6.48)],
)
def test_hdr_edit_rows_and_their_10_s_double(resolution, hdr5, exr5) -> None:
    hdr = ModifyRequest(URL, "x", strength="flex_2", resolution=resolution, hdr=True)
    exr = ModifyRequest(URL, "x", strength="flex_2", resolution=resolution, hdr=True, exr_export=True)
    assert (usd(hdr, 5.0), usd(hdr, 5.01)) == (hdr5, pytest.approx(2 * hdr5))
    assert (usd(exr, 4.0), usd(exr, 18.0)) == (exr5, pytest.approx(2 * exr5))


def test_an_edit_without_resolution_is_the_higher_of_720p_and_its_source_tier() -> None:
    req = ModifyRequest(URL, "x", strength="flex_2")
    assert usd(req, 4.0) == 2.16  # source size unknown: the top tier, and the line says so
    assert pricing.price(req, 4.0).assumed and "size unknown" in pricing.price(req, 4.0).detail
    assert usd(req, 4.0, (640, 360)) == 1.08  # a 360p source is still priced at 720p
    assert usd(req, 4.0, (1920, 1080)) == 2.16  # a 1080p source at 1080p
    assert usd(req.replace(resolution="360p"), 4.0, (1920, 1080)) == 0.54  # an explicit tier wins


def test_reframe_is_per_started_second_of_output() -> None:
    req = ReframeRequest(URL, "more sky", aspect_ratio="9:16", resolution="360p")
    assert usd(req, 7.0) == pytest.approx(0.21)
    assert usd(req, 7.2) == pytest.approx(0.24)  # 8 started seconds, not 7.2
    assert usd(req, 0.4) == pytest.approx(0.03)
    assert usd(req, 30.0) == pytest.approx(0.90)
    assert usd(req, 30.0004) == pytest.approx(0.90)  # a container's rounding is not a started second
    assert usd(ReframeRequest(URL, "more sky", aspect_ratio="1:1"), 10.0) == pytest.approx(1.20)  # 960x960
    assert usd(ReframeRequest(URL, "more sky", width=1920, height=1080), 20.0) == pytest.approx(7.20)
    assert pricing.price(req, 7.2).seconds == 8.0 and "8 started s" in pricing.price(req, 7.2).detail


def test_an_unknown_length_is_priced_at_the_longest_source_of_its_kind() -> None:
    reframe = pricing.price(ReframeRequest(URL, "more sky", aspect_ratio="1:1", resolution="1080p"))
    assert reframe.usd == pytest.approx(10.80) and reframe.seconds == 30.0 and reframe.assumed
    assert "length unknown, priced as the longest (30 s)" in reframe.detail
    edit = pricing.price(ModifyRequest(URL, "x", strength="flex_2", resolution="720p"))
    assert edit.usd == 2.16 and edit.assumed and "(18 s)" in edit.detail  # the 10 s block
    hdr = pricing.price(ModifyRequest(URL, "x", strength="flex_2", resolution="1080p", hdr=True))
    assert hdr.usd == pytest.approx(8.64)
    assert not pricing.price(ModifyRequest(URL, "x", resolution="720p"), 4.0).assumed


def test_the_local_tariff_is_the_same_table() -> None:
    for req, seconds in [
        (ModifyRequest(URL, "x", strength="adhere_1", hdr=True, exr_export=True), 12.0),
        (GenerateRequest("x", image=IMG, width=832, height=1104), None),
        (ReframeRequest(URL, "x", aspect_ratio="21:9"), 7.5),
    ]:
        local = tariff.estimate(req, seconds)
        assert local["cost"] == usd(req, seconds)
        assert local["rate"] * local["seconds"] == pytest.approx(local["cost"], abs=1e-3)
    assert tariff.estimate(ModifyRequest(URL, "x", hdr=True), 3.0)["job"] == "edit_hdr"


def test_the_budget_guard_prices_a_1080p_source_at_its_own_tier(tmp_path) -> None:
    clip = make_clip(tmp_path / "hd.mp4", seconds=1.0, fps=2, w=1920, h=1080)
    fake = FakeRunware(polls=1)

    async def go():
        async with make_client(fake, tmp_path) as client:
            with pytest.raises(BudgetError) as info:
                await client.modify(str(clip), "x", strength="flex_2", max_cost=2.0)
            await client.modify(str(clip), "x", strength="flex_2", resolution="360p", max_cost=2.0)
            return info.value

    err = asyncio.run(go())
    assert err.estimate == pytest.approx(2.16) and "1080p" in str(err)  # not the 720p floor's $1.08
    assert len(fake.posts("videoInference")) == 1  # only the 360p edit ($0.54) was sent


def test_the_local_backend_prices_an_edit_at_its_sources_tier_too(tmp_path) -> None:
    clip = make_clip(tmp_path / "hd.mp4", seconds=1.0, fps=2, w=1920, h=1080)
    auth = {"Authorization": "Bearer test-key"}
    with LocalServer(tmp_path / "data") as server:

        def post(tasks, **headers):
            return httpx.post(server.url, json=tasks, headers={**auth, **headers}, timeout=60).json()

        b64 = base64.b64encode(clip.read_bytes()).decode()
        up = {"taskType": "mediaStorage", "taskUUID": str(uuid.uuid4()), "operation": "upload", "media": b64}
        video = post([up])["data"][0]["mediaUUID"]
        costs = []
        for extra in ({}, {"resolution": "360p"}):
            task = {"taskType": "videoInference", "taskUUID": str(uuid.uuid4()), "model": "luma:ray@3.2",
                    "positivePrompt": "x", "inputs": {"video": video}, **extra}  # fmt: skip
            costs.append(post([task], **{"X-Runware-Dry-Run": "1"})["data"][0]["cost"])
    assert costs == [2.16, 0.54]  # a 1080p source without resolution: its own tier, as the client prices it
