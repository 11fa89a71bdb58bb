"""The preview renderer, through the local backend over loopback: every knob changes the output measurably,
in the documented direction, and the output keeps the source's size, fps and length."""

from __future__ import annotations

import base64
import itertools
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from _clips import make_clip, pattern

from lumakit import media
from lumakit.local import LocalServer
from lumakit.request import STRENGTHS

AUTH = {"Authorization": "Bearer test"}
PROMPT = "a glass creature, rim light"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with LocalServer(tmp_path_factory.mktemp("data"), workers=2) as s:
        yield s


CLIP = {"seconds": 1.5}  # the shape of the shared `clip` fixture (conftest.py)


@pytest.fixture(scope="module")
def source(clip: Path) -> np.ndarray:
    return np.stack(list(media.iter_frames(clip))).astype(np.float32)


@pytest.fixture(scope="module")
def media_uuid(server: LocalServer, clip: Path) -> str:
    return upload(server, clip.read_bytes())


def upload(server: LocalServer, data: bytes, task_type: str = "mediaStorage") -> str:
    field = "media" if task_type == "mediaStorage" else "image"
    task = {"taskType": task_type, "taskUUID": str(uuid.uuid4()), field: base64.b64encode(data).decode()}
    if task_type == "mediaStorage":
        task["operation"] = "upload"
    item = httpx.post(server.url, json=[task], headers=AUTH, timeout=30).json()["data"][0]
    return str(item["mediaUUID" if task_type == "mediaStorage" else "imageUUID"])


def task(prompt: str = PROMPT, **fields: Any) -> dict[str, Any]:
    return {
        "taskType": "videoInference",
        "taskUUID": str(uuid.uuid4()),
        "model": "luma:ray@3.2",
        "positivePrompt": prompt,
        "deliveryMethod": "async",
        "includeCost": True,
        **fields,
    }


def run(
    server: LocalServer, tasks: list[dict[str, Any]], tmp: Path
) -> list[tuple[np.ndarray, dict[str, Any]]]:
    """Submit tasks in one array, poll each to success, download, decode: ``[(frames, item), ...]``."""
    r = httpx.post(server.url, json=tasks, headers=AUTH, timeout=30)
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    out = []
    for t in tasks:
        deadline = time.monotonic() + 120
        while True:
            item = httpx.post(
                server.url,
                json=[{"taskType": "getResponse", "taskUUID": t["taskUUID"]}],
                headers=AUTH,
                timeout=30,
            ).json()["data"][0]
            if item["status"] != "processing":
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert item["status"] == "success", item
        path = tmp / f"{t['taskUUID']}.mp4"
        path.write_bytes(httpx.get(item["videoURL"], timeout=30).content)
        info = media.probe(path)
        assert info.codec == "h264" and not info.has_audio
        out.append((np.stack(list(media.iter_frames(path))).astype(np.float32), {**item, "info": info}))
    return out


def edit(video: str, prompt: str = PROMPT, **edit_fields: Any) -> dict[str, Any]:
    settings = {"edit": edit_fields} if edit_fields else {}
    return task(prompt, inputs={"video": video}, settings=settings)


def departure(out: np.ndarray, src: np.ndarray, region: tuple[slice, slice] | None = None) -> float:
    d = np.abs(out - src)
    if region is not None:
        d = d[:, region[0], region[1]]
    return float(d.mean())


def grad_energy(frames: np.ndarray) -> np.ndarray:
    lum = frames.mean(-1)
    return np.abs(np.diff(lum, axis=2))[:, :-1, :] + np.abs(np.diff(lum, axis=1))[:, :, :-1]


@pytest.mark.parametrize("prompt", [PROMPT, "a snowy winter scene"])
def test_strength_departure_rises_over_all_nine(
    server: LocalServer, media_uuid: str, source: np.ndarray, tmp_path: Path, prompt: str
) -> None:
    results = run(server, [edit(media_uuid, prompt, strength=s) for s in STRENGTHS], tmp_path)
    deps = []
    for frames, item in results:
        info = item["info"]
        assert (info.width, info.height, info.fps, info.n_frames) == (160, 90, 12.0, 18)
        assert frames.shape == source.shape
        deps.append(departure(frames, source))
    assert all(a < b for a, b in itertools.pairwise(deps)), deps
    bands = [np.mean(deps[i : i + 3]) for i in (0, 3, 6)]
    assert bands[1] >= 1.3 * bands[0] and bands[2] >= 1.3 * bands[1], bands
    assert deps[0] > 2.0  # even adhere_1 shows the prompt (codec noise alone is ~1.5)


def test_same_request_twice_gives_identical_frames(
    server: LocalServer, media_uuid: str, tmp_path: Path
) -> None:
    a, b = run(server, [edit(media_uuid, strength="flex_2"), edit(media_uuid, strength="flex_2")], tmp_path)
    assert a[1]["videoUUID"] != b[1]["videoUUID"]
    assert np.array_equal(a[0], b[0])
    other = run(server, [edit(media_uuid, "a completely different prompt", strength="flex_2")], tmp_path)
    assert not np.array_equal(a[0], other[0][0])


def moving_region(src: np.ndarray) -> np.ndarray:
    """Pixels (per frame) where the source's bright square moves: True on the square and its trail."""
    return (src.sum(-1) > 700)[:, :-1, :-1]


def test_pose_precise_keeps_the_moving_outline_sharper(
    server: LocalServer, media_uuid: str, source: np.ndarray, tmp_path: Path
) -> None:
    (precise, _), (coarse, _) = run(
        server,
        [
            edit(media_uuid, strength="flex_3", controls={"poseStrength": "precise", "depthBlur": 0.6}),
            edit(media_uuid, strength="flex_3", controls={"poseStrength": "coarse", "depthBlur": 0.6}),
        ],
        tmp_path,
    )
    src_edges = grad_energy(source)
    near = np.zeros_like(src_edges, bool)
    m = moving_region(source)
    for dy in range(-3, 4):  # the square's outline: its edges and a few pixels around
        for dx in range(-3, 4):
            near |= np.roll(np.roll(m, dy, 1), dx, 2)
    outline = near & (src_edges > 30)
    e_precise = grad_energy(precise)[outline].mean()
    e_coarse = grad_energy(coarse)[outline].mean()
    assert e_precise > 1.3 * e_coarse, (e_precise, e_coarse)
    corr = [np.corrcoef(grad_energy(x)[near], src_edges[near])[0, 1] for x in (precise, coarse)]
    assert corr[0] > corr[1], corr


def test_depth_blur_and_normals_loosen_geometry_and_surface(
    server: LocalServer, media_uuid: str, source: np.ndarray, tmp_path: Path
) -> None:
    base = {"poseStrength": "coarse", "depthBlur": 0.0, "normalsAugmentation": 0.0}
    (none, _), (depth, _), (normals, _) = run(
        server,
        [
            edit(media_uuid, strength="flex_1", controls=base),
            edit(media_uuid, strength="flex_1", controls={**base, "depthBlur": 0.9}),
            edit(media_uuid, strength="flex_1", controls={**base, "normalsAugmentation": 1.0}),
        ],
        tmp_path,
    )
    # depth blur: softer geometry (the source's strong edges lose contrast) and further from the source
    edges = grad_energy(source) > 30
    assert grad_energy(depth)[edges].mean() < 0.7 * grad_energy(none)[edges].mean()
    assert departure(depth, source) > departure(none, source)

    # normals: the fine surface detail stops following the source's and shading noise appears
    def highpass(x: np.ndarray) -> np.ndarray:
        lum = x.mean(-1)
        return (
            lum[:, 1:-1, 1:-1]
            - (lum[:, :-2, 1:-1] + lum[:, 2:, 1:-1] + lum[:, 1:-1, :-2] + lum[:, 1:-1, 2:]) / 4
        )

    hs = highpass(source).ravel()
    c_none = np.corrcoef(highpass(none).ravel(), hs)[0, 1]
    c_norm = np.corrcoef(highpass(normals).ravel(), hs)[0, 1]
    assert c_norm < c_none - 0.05, (c_none, c_norm)
    assert departure(normals, source) > departure(none, source)


def test_trajectory_sparsity_loosens_motion(
    server: LocalServer, media_uuid: str, source: np.ndarray, tmp_path: Path
) -> None:
    (dense, d_item), (sparse, s_item) = run(
        server,
        [
            edit(media_uuid, strength="flex_1", controls={"trajectorySparsity": 0.0}),
            edit(media_uuid, strength="flex_1", controls={"trajectorySparsity": 1.0}),
        ],
        tmp_path,
    )
    assert d_item["lumakitLocal"]["keyframeStep"] == 1 and s_item["lumakitLocal"]["keyframeStep"] == 8
    src_motion = np.diff(source, axis=0).ravel()

    def motion_corr(x: np.ndarray) -> float:
        return float(np.corrcoef(np.diff(x, axis=0).ravel(), src_motion)[0, 1])

    assert motion_corr(sparse) < motion_corr(dense) - 0.1, (motion_corr(dense), motion_corr(sparse))
    # smoother: between anchors the frames change linearly, so the temporal second difference collapses
    accel = lambda x: float(np.abs(np.diff(x, n=2, axis=0)).mean())  # noqa: E731
    assert accel(sparse) < 0.5 * accel(dense), (accel(sparse), accel(dense))
    assert departure(sparse, source) > departure(dense, source)


def test_face_keeps_the_face_region_closer(server: LocalServer, tmp_path: Path) -> None:
    # a clip with a skin-toned oval (the "face") on a moving background
    frames = pattern(18, 160, 90, seed=5).astype(np.float32)
    yy, xx = np.mgrid[0:90, 0:160]
    oval = ((xx - 100) / 18.0) ** 2 + ((yy - 40) / 24.0) ** 2 < 1
    frames[:, oval] = (224, 172, 140)
    clip = media.write_video(tmp_path / "face.mp4", frames.astype(np.uint8), 12)
    src = np.stack(list(media.iter_frames(clip))).astype(np.float32)
    vid = upload(server, clip.read_bytes())
    (off, _), (on, item) = run(
        server,
        [
            edit(vid, "a neon cyberpunk portrait", strength="reimagine_1", controls={"face": False}),
            edit(vid, "a neon cyberpunk portrait", strength="reimagine_1", controls={"face": True}),
        ],
        tmp_path,
    )
    box = item["lumakitLocal"]["faceRegion"]
    assert box["detected"] is True
    assert (
        abs(box["x"] + box["width"] / 2 - 100 / 160) < 0.08
        and abs(box["y"] + box["height"] / 2 - 40 / 90) < 0.1
    )
    face = (slice(30, 50), slice(92, 108))
    assert departure(on, src, face) < 0.5 * departure(off, src, face)
    corner = (slice(0, 15), slice(0, 30))  # away from the face, the look is the same
    assert departure(on, src, corner) == pytest.approx(departure(off, src, corner), rel=0.1)


def test_auto_controls_are_derived_reported_and_applied(
    server: LocalServer, media_uuid: str, tmp_path: Path
) -> None:
    still = make_clip(tmp_path / "still.mp4", seconds=1.5, fps=12, seed=2)
    frames = np.repeat(np.stack(list(media.iter_frames(still)))[:1], 18, axis=0)  # no motion at all
    still_uuid = upload(server, media.write_video(tmp_path / "still2.mp4", frames, 12).read_bytes())
    bare = task(PROMPT, inputs={"video": media_uuid})
    (moving, m_item), (_, s_item), (_, b_item) = run(
        server, [edit(media_uuid, autoControls=True), edit(still_uuid, autoControls=True), bare], tmp_path
    )
    auto = m_item["lumakitLocal"]["autoControls"]
    assert set(auto) == {
        "strength",
        "poseStrength",
        "depthBlur",
        "normalsAugmentation",
        "trajectorySparsity",
        "face",
    }
    still_auto = s_item["lumakitLocal"]["autoControls"]
    assert auto["poseStrength"] == "precise" and still_auto["poseStrength"] == "coarse"
    assert still_auto["trajectorySparsity"] > auto["trajectorySparsity"]
    assert b_item["lumakitLocal"]["autoControls"] == auto  # a bare edit is autoControls
    explicit = edit(
        media_uuid, strength=auto["strength"], controls={k: v for k, v in auto.items() if k != "strength"}
    )
    ((same, _),) = run(server, [explicit], tmp_path)
    assert np.array_equal(same, moving)  # what it reports is exactly what it applied


@pytest.mark.parametrize(
    ("prompt", "check"),
    [
        ("a snowy winter morning", lambda d: d[..., 2].mean() - d[..., 0].mean() > 8),  # bluer
        ("golden light at dawn", lambda d: d[..., 0].mean() - d[..., 2].mean() > 8),  # warmer
        ("by candlelight", lambda d: d[..., 0].mean() - d[..., 2].mean() > 8),
        ("a street at night", lambda d: d.mean() < -8),  # darker
    ],
)
def test_prompt_words_pick_the_look(
    server: LocalServer, media_uuid: str, source: np.ndarray, tmp_path: Path, prompt: str, check: Any
) -> None:
    ((frames, item),) = run(server, [edit(media_uuid, prompt, strength="reimagine_1")], tmp_path)
    assert item["lumakitLocal"]["look"]["words"]
    assert check(frames - source), prompt


def make_png(w: int, h: int, color: tuple[int, int, int]) -> bytes:
    import struct
    import zlib

    raw = b"".join(b"\x00" + bytes(color) * w for _ in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_text_and_image_to_video_sizes_and_lengths(server: LocalServer, tmp_path: Path) -> None:
    red = upload(server, make_png(64, 48, (220, 40, 30)), "imageUpload")
    blue = upload(server, make_png(64, 48, (30, 60, 220)), "imageUpload")
    t2v = task("a lighthouse at dawn", resolution="360p", duration=5)
    wide = task("a lighthouse at dawn", width=320, height=240, duration=10)
    i2v = task(
        "a slow push in",
        width=256,
        height=144,
        duration=5,
        inputs={"frameImages": [{"image": red, "frame": "first"}, {"image": blue, "frame": "last"}]},
    )
    (a, ai), (_, bi), (c, ci) = run(server, [t2v, wide, i2v], tmp_path)
    assert (ai["info"].width, ai["info"].height, ai["info"].n_frames) == (640, 360, 120)
    assert ai["info"].duration == pytest.approx(5.0, abs=0.05) and ai["info"].fps == 24.0
    assert (bi["info"].width, bi["info"].height, bi["info"].n_frames) == (320, 240, 240)
    assert (ci["info"].width, ci["info"].height, ci["info"].n_frames) == (256, 144, 120)
    assert np.abs(np.diff(a, axis=0)).mean() > 0.2  # the camera moves
    first, last = c[0].mean((0, 1)), c[-1].mean((0, 1))
    assert first[0] > first[2] + 60 and last[2] > last[0] + 60  # starts on the first image, ends on the last
    assert ci["cost"] == pytest.approx(0.06 * 5 / 5)  # 360p-class size, 5 s: 0.06


def test_reframe_extends_without_stretching(
    server: LocalServer, media_uuid: str, source: np.ndarray, tmp_path: Path
) -> None:
    square = task("a sunset over the sea", inputs={"video": media_uuid}, width=160, height=160)
    corner = task(
        "a sunset over the sea",
        inputs={"video": media_uuid},
        width=320,
        height=180,
        settings={"sourcePosition": {"x": 0.0, "y": 0.0, "width": 0.5, "height": 0.5}},
    )
    (sq, si), (co, ci) = run(server, [square, corner], tmp_path)
    assert (si["info"].width, si["info"].height, si["info"].n_frames) == (160, 160, 18)
    assert si["info"].duration == pytest.approx(1.5, abs=0.05)
    assert si["lumakitLocal"]["sourceBox"] == {"x": 0, "y": 35, "width": 160, "height": 90}
    inside = sq[:, 35:125]
    assert np.abs(inside - source).mean() < 3.0  # the source, pixel for pixel (codec noise only)
    stretched = source[:, (np.arange(160) * 90 // 160)]  # what a vertical stretch would have shown
    assert np.abs(sq - stretched).mean() > 3 * np.abs(inside - source).mean()
    assert np.abs(sq[:, :30] - sq[:, 35:65][:, ::-1]).mean() > 2  # the new area is not a bare copy
    assert (ci["info"].width, ci["info"].height) == (320, 180)
    assert ci["lumakitLocal"]["sourceBox"] == {"x": 0, "y": 0, "width": 160, "height": 90}
    assert np.abs(co[:, :90, :160] - source).mean() < 3.0


def _slice_blur(x: np.ndarray, r: int) -> np.ndarray:
    """The renderer's box blur written the plain way: shifted slices per axis, edges replicated."""
    for axis in (0, 1):
        n = x.shape[axis]
        rr = min(r, n - 1)
        if rr < 1:
            continue
        acc = x.copy()
        for k in range(1, rr + 1):
            acc += np.take(x, np.maximum(np.arange(n) - k, 0), axis=axis)
            acc += np.take(x, np.minimum(np.arange(n) + k, n - 1), axis=axis)
        x = acc * np.float32(1.0 / (2 * rr + 1))
    return x


@pytest.mark.parametrize("shape", [(90, 160, 3), (7, 5, 3), (9, 2), (1, 6, 3)])
def test_fast_frame_helpers_render_exactly_what_plain_numpy_does(shape: tuple[int, ...]) -> None:
    from lumakit.local import render

    rng = np.random.default_rng(len(shape) * 31 + shape[0])
    x = rng.random(shape, dtype=np.float32)
    for r in (1, 2, 4):
        assert np.array_equal(render._shift_blur(x, r), _slice_blur(x, r)), r
    for f in (2, 4):
        want = np.repeat(np.repeat(x, f, axis=0), f, axis=1)
        assert np.array_equal(render.upsample(x, f, *want.shape[:2]), want)
        assert np.array_equal(render.upsample(x, f, want.shape[0] - 1, want.shape[1] - 1), want[:-1, :-1])
    rows = rng.integers(0, shape[0], 11)
    cols = rng.integers(0, shape[1], 13)
    got = render._gather2d(x, rows, cols)
    assert got.flags.c_contiguous and np.array_equal(got, x[rows][:, cols])
    u8 = (x * 255).astype(np.uint8)
    assert np.array_equal(render._gather2d(u8, rows, cols), u8[rows][:, cols])


def test_source_measurement_is_remembered_per_content(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lumakit.local import source as render

    render._SOURCE_STATS.clear()
    calls: list[object] = []
    real_frames = media.frames
    monkeypatch.setattr(media, "frames", lambda *a, **k: calls.append(a) or real_frames(*a, **k))
    first = render.measure_source(clip)
    first.face["x"] = -1.0  # what a caller does with its copy does not leak into the next answer
    copy = tmp_path / "same.mp4"
    copy.write_bytes(clip.read_bytes())
    again = render.measure_source(copy)  # same bytes, another path: measured once
    assert len(calls) == 1
    assert (again.motion, again.edges) == (first.motion, first.edges) and again.face["x"] != -1.0
    other = make_clip(tmp_path / "other.mp4", seconds=0.5, fps=12, seed=5)
    render.measure_source(other)
    assert len(calls) == 2


# ---- anchor frames on an edit (inputs.frameImages beside inputs.video)
RED = (220, 40, 30)


def test_an_anchor_frame_pulls_the_edit_toward_its_palette_near_its_frame(
    server: LocalServer, media_uuid: str, tmp_path: Path
) -> None:
    """The documented stand-in: at the anchor's frame the mean colour moves ANCHOR_PULL of the way to the
    anchor's, the pull fades over ANCHOR_REACH of the clip, and frames beyond are the plain edit's."""
    from lumakit.local.anchors import ANCHOR_PULL, ANCHOR_REACH

    red = upload(server, make_png(64, 48, RED), "imageUpload")
    plain = edit(media_uuid, strength="flex_2")
    anchored = edit(media_uuid, strength="flex_2")
    anchored["inputs"]["frameImages"] = [{"image": red, "frame": "first"}]
    (p, _), (a, item) = run(server, [plain, anchored], tmp_path)
    assert a.shape == p.shape
    anchor = np.asarray(RED, np.float32)
    mean_p, mean_a = p.mean((1, 2)), a.mean((1, 2))  # each frame's mean colour
    gap_p = np.linalg.norm(mean_p - anchor, axis=-1)
    gap_a = np.linalg.norm(mean_a - anchor, axis=-1)
    assert gap_a[0] / gap_p[0] == pytest.approx(1 - ANCHOR_PULL, abs=0.05)
    shift = np.linalg.norm(mean_a - mean_p, axis=-1)
    reach = ANCHOR_REACH * (len(p) - 1)  # 8.5 frames
    near = shift[: int(reach) + 1]
    assert near[0] > 40 and all(x > y for x, y in itertools.pairwise(near)), shift  # fades with distance
    assert shift[int(reach) + 1 :].max() < 1.0, shift  # beyond the reach: the plain edit's colours
    (report,) = item["lumakitLocal"]["anchors"]
    assert report["frame"] == 0 and report["meanRGB"] == [220.0, 40.0, 30.0]


def test_anchor_positions_fade_and_blend() -> None:
    """The pull on frames, without a codec: positions, the exact mean move, two anchors averaged."""
    from lumakit.local.anchors import ANCHOR_PULL, AnchorPull, Palette, frame_index

    assert [frame_index(f, 18) for f in ("first", "last", 5, 40)] == [0, 17, 5, 17]
    red = Palette(np.array([0.9, 0.1, 0.1], np.float32), np.array([0.1, 0.1, 0.1], np.float32))
    blue = Palette(np.array([0.1, 0.1, 0.9], np.float32), np.array([0.1, 0.1, 0.1], np.float32))
    pull = AnchorPull([(17, blue), (0, red)], 18)
    assert pull.weight(0) == pull.weight(17) == ANCHOR_PULL and pull.weight(4) < ANCHOR_PULL
    assert pull.target(8) is not None and pull.target(9) is not None
    assert pull.target(8).mean[0] > pull.target(8).mean[2]  # nearer the red anchor: redder
    assert pull.target(9).mean[2] > pull.target(9).mean[0]
    frame = np.random.default_rng(3).uniform(0.3, 0.6, (36, 64, 3)).astype(np.float32)
    before = frame[::4, ::4].reshape(-1, 3).mean(0)
    pull.apply(frame, 0)
    after = frame[::4, ::4].reshape(-1, 3).mean(0)
    assert np.allclose(after, before + ANCHOR_PULL * (red.mean - before), atol=1e-5)
    lone = AnchorPull([(0, red)], 18)
    untouched = frame.copy()
    lone.apply(untouched, 17)
    assert lone.weight(17) == 0 and np.array_equal(untouched, frame)


def test_an_anchored_edit_through_the_client(server: LocalServer, clip: Path, tmp_path: Path) -> None:
    """``ModifyRequest(..., keyframes=[Keyframe(image, "first")])``: the client uploads the image, the preview
    uses it (a red anchor makes the first frame redder than the same edit without it)."""
    import lumakit as lk

    png = tmp_path / "anchor.png"
    png.write_bytes(make_png(32, 24, RED))
    with lk.Client(backend="local", base_url=server.url, cache_dir=tmp_path / "cache", progress=False) as c:
        plain = c.modify(str(clip), PROMPT, strength="adhere_2")
        anchored = c.modify(
            str(clip), PROMPT, strength="adhere_2", keyframes=[lk.Keyframe(str(png), "first")]
        )
    first = [media.frames(r.path, [0.0])[0].astype(np.float32).mean((0, 1)) for r in (plain, anchored)]
    redness = [m[0] - (m[1] + m[2]) / 2 for m in first]
    assert redness[1] > redness[0] + 40, redness
    assert anchored.extra["lumakitLocal"]["anchors"][0]["frame"] == 0
