"""The client refuses, before uploading or paying, what would waste money or leak the key: a still image or
a one-frame file given as a video, a folder given as a file, a real key to a plain-http host off this machine.
Each is tested against the fake service, which counts every request: none is sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from _clips import make_clip
from _fake_runware import KEY, FakeRunware, make_client
from test_local_render import make_png

from lumakit.client import AsyncClient, Client
from lumakit.errors import RequestError


@pytest.fixture
def fake() -> FakeRunware:
    return FakeRunware(polls=1)


def refused(fake: FakeRunware, tmp_path: Path, call: str, source: Path, **kw: object) -> RequestError:
    async def go() -> RequestError:
        client = make_client(fake, tmp_path)
        try:
            with pytest.raises(RequestError) as info:
                if call == "sweep":
                    await client.sweep(str(source), "a glass dolphin", strengths=["flex_1", "flex_2"])
                elif call == "estimate":
                    await client.estimate(client.plan_sweep(str(source), "x", strengths=["flex_3"]))
                else:
                    await getattr(client, call)(str(source), prompt="a glass dolphin", **kw)
            return info.value
        finally:
            await client.aclose()

    err = asyncio.run(go())
    assert fake.http_requests == 0 and fake.posts() == [] and fake.uploads == {}  # nothing uploaded or sent
    return err


@pytest.mark.parametrize("call", ["modify", "reframe", "sweep", "estimate"])
def test_a_still_image_as_the_video_is_refused(fake: FakeRunware, tmp_path: Path, call: str) -> None:
    png = tmp_path / "frame.png"
    png.write_bytes(make_png(64, 36, (200, 40, 40)))
    kw = {"aspect_ratio": "9:16"} if call == "reframe" else {}
    err = refused(fake, tmp_path, call, png, **kw)
    assert err.parameter == "video" and err.wire == "inputs.video"
    assert "this is an image; use `image=` for image-to-video" in str(err)


def test_a_one_frame_file_with_a_video_name_is_refused(fake: FakeRunware, tmp_path: Path) -> None:
    still = tmp_path / "still.mp4"
    png = tmp_path / "frame.png"
    png.write_bytes(make_png(64, 36, (200, 40, 40)))
    png.rename(still)  # an image under a video's name: ffmpeg reads it as a one-frame video
    err = refused(fake, tmp_path, "modify", still)
    assert "a file with 1 frame" in str(err) and "use `image=`" in str(err)
    one = make_clip(tmp_path / "one.mp4", seconds=1 / 24, fps=24, w=64, h=36)
    err = refused(fake, tmp_path, "modify", one)
    assert "1 frame" in str(err)


def test_a_two_frame_clip_is_a_video(fake: FakeRunware, tmp_path: Path) -> None:
    """The control: the check refuses one frame, not short clips."""
    two = make_clip(tmp_path / "two.mp4", seconds=2 / 24, fps=24, w=64, h=36)

    async def go() -> None:
        client = make_client(fake, tmp_path)
        try:
            await client.modify(str(two), "a glass dolphin", strength="flex_1")
        finally:
            await client.aclose()

    asyncio.run(go())
    assert len(fake.posts("videoInference")) == 1


@pytest.mark.parametrize("call", ["modify", "sweep"])
def test_a_folder_is_called_a_folder(fake: FakeRunware, tmp_path: Path, call: str) -> None:
    shots = tmp_path / "shots"
    shots.mkdir()
    make_clip(shots / "take1.mp4", seconds=0.5, fps=12, w=64, h=36)
    err = refused(fake, tmp_path, call, shots, **({"strength": "flex_1"} if call == "modify" else {}))
    assert "is a folder, not a file" in str(err) and "no such file" not in str(err)
    assert str(shots / "take1.mp4") in str(err) and err.parameter == "video"


def test_a_folder_as_the_first_frame_image(fake: FakeRunware, tmp_path: Path) -> None:
    pictures = tmp_path / "pictures"
    pictures.mkdir()

    async def go() -> None:
        client = make_client(fake, tmp_path)
        try:
            with pytest.raises(RequestError, match="is a folder, not a file") as info:
                await client.generate("a glass dolphin", image=str(pictures))
            assert info.value.parameter == "image"
        finally:
            await client.aclose()

    asyncio.run(go())
    assert fake.http_requests == 0


@pytest.mark.parametrize(
    "url", ["http://api.intranet.example/v1", "http://10.1.2.3:8080/v1", "http://runware.proxy.lan/v1"]
)
def test_a_key_to_a_plain_http_host_is_refused(
    tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LUMAKIT_ALLOW_INSECURE_HTTP", raising=False)
    fake = FakeRunware(polls=1, base_url=url)
    for cls in (AsyncClient, Client):
        with pytest.raises(RequestError, match="clear text") as info:
            cls(KEY, base_url=url, cache_dir=tmp_path / "cache", transport=fake.transport())
        assert info.value.parameter == "base_url" and "LUMAKIT_ALLOW_INSECURE_HTTP=1" in str(info.value)
        assert KEY not in str(info.value)
    monkeypatch.setenv("RUNWARE_API_KEY", KEY)
    monkeypatch.setenv("RUNWARE_BASE_URL", url)
    with pytest.raises(RequestError, match="LUMAKIT_ALLOW_INSECURE_HTTP=1"):
        AsyncClient(cache_dir=tmp_path / "cache", transport=fake.transport())
    assert fake.http_requests == 0


def test_the_opt_out_and_loopback_send_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LUMAKIT_ALLOW_INSECURE_HTTP", raising=False)
    clip = make_clip(tmp_path / "clip.mp4", seconds=0.5, fps=12, w=64, h=36)
    insecure = FakeRunware(polls=1, base_url="http://api.intranet.example/v1")

    async def run(fake: FakeRunware, **kw: object) -> None:
        client = make_client(fake, tmp_path, **kw)
        try:
            await client.modify(str(clip), "a glass dolphin", strength="flex_1", force=True)
        finally:
            await client.aclose()

    monkeypatch.setenv("LUMAKIT_ALLOW_INSECURE_HTTP", "1")
    asyncio.run(run(insecure))
    assert len(insecure.posts("videoInference")) == 1
    assert all(h["authorization"] == f"Bearer {KEY}" for m, _, h, _ in insecure.requests if m == "POST")
    monkeypatch.delenv("LUMAKIT_ALLOW_INSECURE_HTTP")
    for url in ("http://127.0.0.1:8787/v1", "http://localhost:8787/v1", "http://[::1]:8787/v1"):
        asyncio.run(run(FakeRunware(polls=1, base_url=url)))  # this machine: no refusal
    keyless = FakeRunware(polls=1, base_url="http://proxy.intranet.example/v1")  # a proxy adds its own key
    asyncio.run(run(keyless, key=None))
    assert len(keyless.posts("videoInference")) == 1
