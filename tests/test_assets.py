"""The committed sample clips and stills: present, small, decodable as documented, moving, and up to date."""

from __future__ import annotations

import importlib.util
import re
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

ASSETS = Path(__file__).resolve().parent.parent / "assets"
CLIPS = ["dolphin", "violinist", "street", "face"]
STILLS = ["frame", "frame_last"]
W, H, FPS, SECONDS = 640, 360, 24, 3.5
N_FRAMES = round(FPS * SECONDS)


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("make_assets", ASSETS / "make_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _decode(path: Path) -> tuple[dict, np.ndarray]:
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    frames = np.stack([np.frombuffer(b, np.uint8).reshape(h, w, 3) for b in reader])
    return meta, frames


def _top_level_boxes(path: Path) -> list[str]:
    data, names, pos = path.read_bytes(), [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        names.append(kind.decode("latin-1"))
        if size < 8:
            break
        pos += size
    return names


@pytest.fixture(scope="module", params=CLIPS)
def asset(request):
    path = ASSETS / f"{request.param}.mp4"
    assert path.is_file(), f"{path} is missing: run `python assets/make_assets.py`"
    meta, frames = _decode(path)
    return request.param, path, meta, frames


def test_clip_is_small_h264_yuv420p_at_documented_size_fps_and_length(asset):
    name, path, meta, frames = asset
    assert 10_000 < path.stat().st_size < 1_000_000, f"{name}.mp4 is {path.stat().st_size} bytes"
    assert meta["codec"] == "h264"
    assert meta["pix_fmt"].startswith("yuv420p")
    assert tuple(meta["size"]) == (W, H)
    assert meta["fps"] == pytest.approx(FPS)
    assert meta["duration"] == pytest.approx(SECONDS, abs=0.05)
    assert frames.shape == (N_FRAMES, H, W, 3)


def test_clip_has_no_audio_and_moov_before_mdat(asset):
    import imageio_ffmpeg

    _, path, _, _ = asset
    probe = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True
    )
    streams = re.findall(r"Stream #\d+:\d+.*?: (\w+):", probe.stderr.decode(errors="replace"))
    assert streams == ["Video"]
    boxes = _top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat"), f"not faststart: {boxes}"


def test_clip_contains_visible_motion(asset):
    name, _, _, frames = asset
    first, middle = frames[0].astype(np.int16), frames[len(frames) // 2].astype(np.int16)
    moving = np.abs(first - middle).mean()
    assert moving > 0.75, f"{name}: first and middle frames differ by only {moving:.2f}/255 on average"


def test_committed_clip_matches_the_generator(asset, gen):
    name, _, _, frames = asset
    idx = [0, N_FRAMES // 2, N_FRAMES - 1]
    expected = getattr(gen, name)(indices=idx)
    err = np.abs(frames[idx].astype(np.int16) - expected.astype(np.int16)).mean(axis=(1, 2, 3))
    # H.264 at crf 23 costs ~1.5-3 levels on average; a stale clip (edited generator) is far off.
    assert err.max() < 5.0, f"{name}.mp4 is stale (mean error {err}): run `python assets/make_assets.py`"


@pytest.mark.parametrize("name", CLIPS)
def test_clip_generator_is_deterministic_and_sized(gen, name):
    make = getattr(gen, name)
    a = make(160, 90, seconds=1.0)
    b = make(160, 90, seconds=1.0)
    assert a.shape == (24, 90, 160, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert np.abs(a[0].astype(np.int16) - a[-1].astype(np.int16)).mean() > 0.5
    assert a.std() > 10, "a flat clip"


def test_indices_render_the_same_frames_as_the_full_clip(gen):
    full = gen.face(160, 90, seconds=1.0)
    np.testing.assert_array_equal(gen.face(160, 90, seconds=1.0, indices=[3, 17]), full[[3, 17]])
    with pytest.raises(ValueError, match="indices"):
        gen.face(160, 90, seconds=1.0, indices=[24])


@pytest.mark.parametrize("name", STILLS)
def test_still_is_committed_and_matches_the_generator(gen, name):
    from matplotlib.image import imread

    path = ASSETS / f"{name}.png"
    assert path.is_file() and path.stat().st_size < 1_000_000
    img = np.round(imread(path)[..., :3] * 255).astype(np.uint8)
    assert img.shape == (H, W, 3)
    np.testing.assert_array_equal(img, getattr(gen, name)())


def test_dawn_and_dusk_stills_are_the_same_scene_in_different_light(gen):
    dawn, dusk = gen.frame().astype(np.int16), gen.frame_last().astype(np.int16)
    assert dawn.mean() > dusk.mean() + 20  # dusk is darker
    # the lighthouse tower stands in the same place: its column is bright red/white in both
    tower = (slice(100, 170), slice(510, 530))
    assert dawn[tower].mean() > 120 and dusk[tower].mean() > 70


def test_cli_writes_only_the_requested_assets(gen, tmp_path):
    assert gen.main(["--out", str(tmp_path), "--only", "frame_last"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["frame_last.png"]
    assert (tmp_path / "frame_last.png").read_bytes() == (ASSETS / "frame_last.png").read_bytes()
    with pytest.raises(ValueError, match="names"):
        gen.write_all(tmp_path, ["dolphin", "whale"])


def test_write_video_encodes_a_tiny_clip(gen, tmp_path):
    frames = gen.street(160, 90, seconds=1.0)
    path = gen.write_video(frames, tmp_path / "tiny.mp4")
    meta, decoded = _decode(path)
    assert tuple(meta["size"]) == (160, 90) and meta["fps"] == pytest.approx(24)
    assert decoded.shape == frames.shape
    assert np.abs(decoded.astype(np.int16) - frames.astype(np.int16)).mean() < 8
    assert not list(tmp_path.glob(".*tmp*")), "temporary file left behind"
