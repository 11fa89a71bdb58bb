"""departure reads its frames the cheap way (``media.frames_at(measure=True)``): no in-loop deblocking, scaled
in 4:2:0. Against truly different clips made here by ffmpeg, its figures stay within the tolerance
docs/measuring.md states of the same measurement on fully decoded frames, and rank the clips the same way."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import numpy as np
import pytest
from _clips import ffmpeg

from lumakit import compare, departure_metrics, media
from lumakit.frame_metrics import frame_mad, ssim

# The tolerance docs/measuring.md states: means over the clip, and any one frame.
MEAN_MAD, MEAN_SSIM = 0.003, 0.01
FRAME_MAD, FRAME_SSIM = 0.01, 0.03

EDITS = {  # what a result may have done to its source, each re-encoded as a result would be
    "hue": ["-vf", "hue=h=40"],
    "blur": ["-vf", "gblur=sigma=2"],
    "grade, low bitrate": ["-vf", "hue=h=20,eq=contrast=1.2", "-crf", "32"],
}


CODECS = {  # what results come as: Ray's H.264, HEVC (its HDR), VP9 (a WebM a user brings)
    "h264": (".mp4", ["-c:v", "libx264", "-preset", "veryfast"]),
    "hevc": (".mp4", ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error"]),
    "vp9": (".webm", ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"]),
}


@pytest.fixture(scope="module", params=list(CODECS))
def clips(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp(f"accuracy-{request.param}")
    ext, codec = CODECS[request.param]
    encode = [*codec, "-pix_fmt", "yuv420p"]
    src = d / f"source{ext}"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=4", *encode, str(src))
    out = {"source": src}
    for k, (name, edit) in enumerate(EDITS.items()):
        out[name] = d / f"edit{k}{ext}"
        ffmpeg("-i", str(src), *edit, *encode, str(out[name]))
    return out


def full_decode_departure(source: Path, video: Path) -> tuple[np.ndarray, np.ndarray]:
    """MAD and SSIM per frame as departure measures them, on frames decoded and scaled as they are shown."""
    s_info, v_info = media.probe(source), media.probe(video)
    size = departure_metrics._analysis_size(v_info, 256)
    t = media.frame_centres(v_info)
    s_t = np.minimum(t / v_info.duration * s_info.duration, s_info.frame_times()[-1])
    vb = np.stack(list(media.frames_at(v_info, t, size)))
    sb = np.stack(list(media.frames_at(s_info, s_t, size)))
    return frame_mad(vb, sb), ssim(vb, sb)


def test_only_measured_frames_take_the_cheap_reading(clips: dict[str, Path]) -> None:
    """Frames a user sees (grids, reports) are decoded in full; only departure's readers skip work."""
    clip = clips["grade, low bitrate"]
    info = media.probe(clip)
    size = departure_metrics._analysis_size(info, 256)
    scale = f"scale={size[0]}:{size[1]}:flags=area"
    cmd = [media.ffmpeg_exe(), "-loglevel", "error", "-i", str(clip), "-frames:v", "3", "-vf", scale,
           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]  # fmt: skip
    plain = subprocess.run(cmd, capture_output=True, check=True).stdout
    plain_frames = np.frombuffer(plain, np.uint8).reshape(3, size[1], size[0], 3)
    t = media.frame_centres(info)[:3]
    assert np.array_equal(media.frames(clip, t, size=size), plain_frames)
    measured = np.stack(list(media.frames_at(info, t, size, measure=True)))
    assert 0 < np.abs(measured.astype(int) - plain_frames).mean() < 3  # cheaper, and close


@pytest.mark.slow
def test_departure_is_within_the_stated_tolerance_of_a_full_decode(clips: dict[str, Path]) -> None:
    src = clips["source"]
    fast = {name: compare.departure(src, clips[name]) for name in EDITS}
    full = {name: full_decode_departure(src, clips[name]) for name in EDITS}
    for name in EDITS:
        d, (mad, sim) = fast[name], full[name]
        assert len(d) == len(mad) == 120
        assert abs(d.mad.mean() - mad.mean()) <= MEAN_MAD, name
        assert abs(d.ssim.mean() - sim.mean()) <= MEAN_SSIM, name
        assert np.abs(d.mad - mad).max() <= FRAME_MAD, name
        assert np.abs(d.ssim - sim).max() <= FRAME_SSIM, name
        assert mad.mean() > 0.004 and sim.mean() < 0.995, name  # truly different: the check means something
    # clips further apart than twice the tolerance rank the same way under both readings
    for metric, k, tol in (("mad", 0, MEAN_MAD), ("ssim", 1, MEAN_SSIM)):
        for a, b in itertools.combinations(EDITS, 2):
            gap = full[a][k].mean() - full[b][k].mean()
            if abs(gap) > 2 * tol:
                fast_gap = getattr(fast[a], metric).mean() - getattr(fast[b], metric).mean()
                assert np.sign(fast_gap) == np.sign(gap), (metric, a, b)
    # the same clip is still exactly itself
    assert compare.departure(src, src).mean() == (0.0, 1.0)


def test_ssim_of_rgb_stacks_matches_a_direct_implementation_on_luma() -> None:
    """float32 window sums over flattened rows: every window is the image's own, at any size."""
    rng = np.random.default_rng(4)
    a = rng.integers(0, 256, (3, 10, 13, 3), dtype=np.uint8)
    b = np.clip(a + rng.normal(0, 25, a.shape), 0, 255).astype(np.uint8)

    def direct(x: np.ndarray, y: np.ndarray, w: int = 7) -> float:
        x, y = x @ np.array([0.299, 0.587, 0.114]), y @ np.array([0.299, 0.587, 0.114])
        c1, c2, vals = (0.01 * 255) ** 2, (0.03 * 255) ** 2, []
        for i in range(x.shape[0] - w + 1):
            for j in range(x.shape[1] - w + 1):
                p, q = x[i : i + w, j : j + w].ravel(), y[i : i + w, j : j + w].ravel()
                (vp, cpq), (_, vq) = np.cov(p, q)
                mp, mq = p.mean(), q.mean()
                vals.append(((2 * mp * mq + c1) * (2 * cpq + c2)) / ((mp**2 + mq**2 + c1) * (vp + vq + c2)))
        return float(np.mean(vals))

    got = ssim(a, b)
    want = [direct(x, y) for x, y in zip(a, b, strict=True)]
    assert got.shape == (3,) and got == pytest.approx(want, abs=1e-5)
    assert ssim(a[1], b[1]) == pytest.approx(got[1], abs=1e-12)
    assert ssim(a, a).tolist() == [1.0, 1.0, 1.0]
