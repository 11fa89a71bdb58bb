"""A/B at the subject: ``departure(region=)``, ``departure_plot(region=)`` and ``frame_grid(crop=)``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _clips import pattern

from lumakit import compare, media
from lumakit.errors import RequestError
from lumakit.regions import Region

W, H, N, FPS = 160, 96, 12, 12
BOX = (0.25, 0.25, 0.5, 0.75)  # x 40..80, y 24..72


def _changed(frames: np.ndarray, boxes: list[tuple[int, int, int, int]], inside: bool) -> np.ndarray:
    """The frames with a flat colour painted inside (or outside) each frame's pixel box."""
    out = frames.copy()
    for f, (x0, y0, x1, y1) in zip(out, boxes, strict=True):
        mask = np.zeros(f.shape[:2], bool)
        mask[y0:y1, x0:x1] = True
        f[mask if inside else ~mask] = (20, 200, 60)
    return out


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("regions")
    src = pattern(N, W, H, seed=1)
    still = [(40, 24, 80, 72)] * N
    moving = [(8 + 8 * i, 24, 48 + 8 * i, 72) for i in range(N)]  # the subject walks right 8 px a frame
    return {
        "source": media.write_video(d / "src.mp4", src, FPS),
        "subject": media.write_video(d / "subject.mp4", _changed(src, still, True), FPS),
        "background": media.write_video(d / "background.mp4", _changed(src, still, False), FPS),
        "walker": media.write_video(d / "walker.mp4", _changed(src, moving, True), FPS),
    }


def test_inside_and_outside_are_measured_apart(clips: dict[str, Path]) -> None:
    subj = compare.departure(clips["source"], clips["subject"], region=BOX)
    back = compare.departure(clips["source"], clips["background"], region=BOX)
    assert (
        isinstance(subj, compare.RegionDeparture) and len(subj.inside) == len(subj.outside) == len(subj) == N
    )
    assert subj.inside.mean().mad > 0.2 and subj.outside.mean().mad < 0.02
    assert back.outside.mean().mad > 0.2 and back.inside.mean().mad < 0.02
    assert subj.inside.mean().ssim < 0.7 < 0.9 < subj.outside.mean().ssim
    # the whole frame is what departure() always said, between the two parts
    plain = compare.departure(clips["source"], clips["subject"])
    np.testing.assert_allclose(subj.mad, plain.mad)
    assert subj.outside.mean().mad < subj.mean().mad < subj.inside.mean().mad


def test_a_pixel_box_is_the_same_region_as_its_fractions(clips: dict[str, Path]) -> None:
    frac = compare.departure(clips["source"], clips["subject"], region=BOX)
    px = compare.departure(clips["source"], clips["subject"], region=(40, 24, 80, 72))
    np.testing.assert_allclose(frac.inside.mad, px.inside.mad)
    np.testing.assert_allclose(frac.outside.ssim, px.outside.ssim)


def test_keyframed_boxes_follow_a_moving_subject(clips: dict[str, Path]) -> None:
    t_end = (N - 0.5) / FPS
    follow = {
        0.5 / FPS: (8 / W, 0.25, 48 / W, 0.75),
        t_end: ((8 + 8 * (N - 1)) / W, 0.25, (48 + 8 * (N - 1)) / W, 0.75),
    }
    tracked = compare.departure(clips["source"], clips["walker"], region=follow)
    fixed = compare.departure(clips["source"], clips["walker"], region=follow[0.5 / FPS])
    assert tracked.outside.mean().mad < 0.01 < 0.03 < fixed.outside.mean().mad
    assert tracked.inside.mad.min() > 0.15  # every frame's box sits on the subject


def test_bad_regions_are_refused_by_name() -> None:
    for bad in [(0.5, 0.2, 0.4, 0.9), (0.1, 0.2, 0.3), "dolphin", {}, (-0.1, 0, 0.5, 0.5), {"x": BOX}]:
        with pytest.raises(RequestError, match="region"):
            Region.coerce(bad, (W, H))
    with pytest.raises(RequestError, match=f"inside the {W}x{H} frame"):
        Region.coerce((0, 0, 400, 50), (W, H))


def test_bad_region_is_refused_before_any_frame_is_read(clips: dict[str, Path]) -> None:
    with pytest.raises(RequestError, match=r"region=.*x0 < x1"):
        compare.departure(clips["source"], clips["subject"], region=(0.6, 0.1, 0.2, 0.5))


def test_subject_vs_background_plot(clips: dict[str, Path]) -> None:
    fig = compare.departure_plot(
        clips["source"], {"subject": clips["subject"], "background": clips["background"]}, region=BOX
    )
    ax, bx = fig.axes[:2]
    assert "subject vs background" in ax.get_title()
    assert [ln.get_label() for ln in ax.lines] == [
        "subject: subject (inside)",
        "subject: background",
        "background: subject (inside)",
        "background: background",
    ]
    heights = [p.get_height() for p in bx.patches]  # subject, background | inside bars, then outside bars
    assert heights[0] > 0.2 > 0.02 > heights[2] and heights[1] < 0.02 < 0.2 < heights[3]


def test_crop_shows_the_box_large(clips: dict[str, Path]) -> None:
    fig = compare.frame_grid({"source": clips["source"]}, n=3, crop=BOX, size=160)
    img = np.asarray(fig.axes[0].images[0].get_array())
    assert img.shape[1] >= 150 and abs(img.shape[0] / img.shape[1] - (48 / 40)) < 0.05  # the box's aspect, 4x
    whole = media.frames(clips["source"], [0.5 / 3 * N / FPS], size=(W * 4, H * 4))[0]
    cut = whole[96:288, 160:320]  # the box at 4x
    small = cut[:: max(1, cut.shape[0] // img.shape[0]), :: max(1, cut.shape[1] // img.shape[1])]
    assert abs(float(small.mean()) - float(img.mean())) < 6
    with pytest.raises(RequestError, match="crop"):
        compare.frame_grid(clips["source"], n=2, crop=(0.9, 0.1, 0.1, 0.5))


def test_crop_follows_keyframes(clips: dict[str, Path]) -> None:
    boxes = {0.04: (0.0, 0.0, 0.5, 0.5), 0.96: (0.5, 0.5, 1.0, 1.0)}
    fig = compare.frame_grid({"walker": clips["walker"]}, times=[0.04, 0.96], crop=boxes, size=(80, 48))
    first, last = (np.asarray(ax.images[0].get_array()) for ax in fig.axes[:2])
    src = media.frames(clips["walker"], [0.04, 0.96], size=(160, 96))
    assert np.abs(first.astype(int) - src[0][:48, :80]).mean() < 8
    assert np.abs(last.astype(int) - src[1][48:, 80:]).mean() < 8


def test_region_with_precomputed_departures_needs_region_departures(clips: dict[str, Path]) -> None:
    plain = compare.departure(clips["source"], clips["subject"])
    with pytest.raises(RequestError, match="region="):
        compare.departure_plot(clips["source"], {"a": plain}, region=BOX)
