"""Frames at any count, timed by the stream's own timestamps, and HDR shown tone-mapped (issue 18)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from _clips import VFR_SPEED, ClipSet, bar_x

from lumakit import compare, departure_metrics, media
from lumakit.errors import MediaError


def test_every_frame_of_a_10s_720p_clip(clip_set: ClipSet) -> None:
    clip = clip_set["720p30_audio"]
    info = media.probe(clip)
    assert (info.n_frames, info.fps, info.size) == (300, 30.0, (1280, 720))
    t = info.frame_times()
    got = media.frames(clip, t, size=(64, 36))  # 300 frames: far past ffmpeg's ~100-term select limit
    assert got.shape == (300, 36, 64, 3)
    # frame i is the i-th decoded frame: compare with one sequential decode
    every = np.stack(list(media.iter_frames(clip, size=(64, 36))))
    assert np.array_equal(got, every)
    backwards = media.frames(clip, t[::-1][:150], size=(64, 36))
    assert np.array_equal(backwards, every[::-1][:150])


def _peak(fn: Callable[[], object]) -> tuple[object, int]:
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_departure_of_every_frame_streams(clip_set: ClipSet) -> None:
    clip, short = clip_set["720p30_audio"], clip_set["60fps_odd_audio"]
    departure_metrics._memo.clear()
    d, peak = _peak(lambda: compare.departure(clip, clip, max_side=256))
    assert isinstance(d, compare.Departure) and len(d) == 300
    assert np.allclose(d.mad, 0.0) and np.allclose(d.ssim, 1.0)
    assert np.allclose(d.times, media.probe(clip).frame_times() + 1 / 60)  # each frame's middle
    few, peak_few = _peak(lambda: compare.departure(clip, clip, max_side=256, n=16))
    assert isinstance(few, compare.Departure) and len(few) == 16
    # memory does not grow with the number of frames measured (300 vs 16): frames stream, never pile up
    assert peak < 1.5 * peak_few + 2e6, (peak, peak_few)
    other = compare.departure(short, clip, max_side=128)  # a 10 s video against a 2 s source: relative time
    assert len(other) == 300 and np.all(other.mad > 0)


def test_a_failure_names_what_lumakit_asked(clip_set: ClipSet, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = clip_set["24fps_12s"]
    monkeypatch.setattr("lumakit.media._read.TONEMAP", "nosuchfilter")
    from lumakit.media import _read as _video_read

    info = media.probe(clip)
    bad = type(info)(**{**info.__dict__, "hdr": "PQ"})  # pretend HDR: the broken tone-map filter is used
    with pytest.raises(MediaError) as err:
        list(_video_read.frames_at(bad, np.array([0.5, 1.0]), (64, 36)))
    text = str(err.value)
    assert "ffmpeg failed to pick 2 frames at 64x36" in text and "nosuchfilter" in text
    assert "cannot read" not in text


def test_vfr_frames_come_from_the_timestamps(clip_set: ClipSet) -> None:
    clip = clip_set["vfr"]
    info = media.probe(clip)
    assert info.vfr and info.n_frames == 60 + 24 + 180
    for t in (0.5, 1.5, 2.0, 2.9, 4.0, 5.5):
        frame = media.frames(clip, [t])[0]
        shown = np.floor(t * 12 + 1e-6) / 12 if 1 <= t < 3 else np.floor(t * 60 + 1e-6) / 60
        assert bar_x(frame) == pytest.approx(VFR_SPEED * shown, abs=1.5), t
    xs = [bar_x(f) for f in media.iter_frames(clip)]
    assert np.allclose(xs, VFR_SPEED * info.frame_times(), atol=1.5)


@pytest.mark.parametrize("name", ["hlg", "pq"])
def test_hdr_frames_are_tone_mapped(clip_set: ClipSet, name: str) -> None:
    clip = clip_set[name]
    info = media.probe(clip)
    assert info.hdr == name.upper()
    frame = media.frames(clip, [0.5], size=(160, 90))[0]
    # testsrc2's colour bars come back as colours (not the grey wash of 10-bit PQ/HLG read as SDR)
    sat = frame.astype(int).max(-1) - frame.astype(int).min(-1)
    assert np.percentile(sat, 75) > 60
    assert Path(clip).stat().st_size > 0


def test_vfr_grid_and_departure_follow_the_timestamps(clip_set: ClipSet) -> None:
    clip = clip_set["vfr"]
    info = media.probe(clip)
    (stack,) = compare._sample([info], np.array([2.0, 4.0]) / info.duration, [(320, 180)])
    assert [bar_x(f) for f in stack] == pytest.approx([VFR_SPEED * 2.0, VFR_SPEED * 4.0], abs=1.5)
    assert compare._time_labels([info], np.array([2.0]) / info.duration) == ["2.00 s"]
    d = compare.departure(clip, clip, max_side=128)
    assert len(d) == info.n_frames and np.allclose(d.mad, 0.0)
    steps = np.diff(d.times)
    assert steps.max() == pytest.approx(1 / 12, abs=1e-3) and steps.min() == pytest.approx(1 / 60, abs=1e-3)


def test_synced_player_steps_a_vfr_clip_frame_by_frame_and_marks_hdr(clip_set: ClipSet) -> None:
    from lumakit import display

    vfr = display.synced_player({"phone": clip_set["vfr"]})
    assert vfr.fps == pytest.approx(60.0)  # its shortest frame, not the 44 fps average: a step skips none
    preview = media.probe(media.preview(clip_set["vfr"]))
    assert preview.vfr and preview.n_frames == media.probe(clip_set["vfr"]).n_frames  # its own clock
    assert np.allclose(preview.frame_times(), media.probe(clip_set["vfr"]).frame_times(), atol=2e-3)
    hdr = display.synced_player({"ray": clip_set["pq"]})
    assert hdr.sources[0]["title"] == f"ray · {media.HDR_MARK}"
