"""``lk.signal_grid``: pictures of what the conditioning signals are about, drawn from a source clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _clips import make_clip, square_x

import lumakit as lk
from lumakit.errors import RequestError
from lumakit.signals import SIGNALS, signal_maps


def test_the_maps_find_the_moving_square_and_the_shading() -> None:
    frames = np.full((6, 90, 160, 3), 90, np.uint8)
    frames[:, :, :, 0] = np.linspace(40, 200, 160, dtype=np.uint8)  # a still gradient: shading, no motion
    for k in range(6):
        frames[k, 35:55, 10 + 20 * k : 30 + 20 * k] = 250  # a bright square moving right, 20 px a frame
    maps = signal_maps(frames[:-1], frames[1:])
    for k in range(5):
        cols = np.nonzero(maps["moving parts"][k].any(axis=0))[0]
        assert cols.min() >= 10 + 20 * k - 1 and cols.max() <= 30 + 20 * (k + 1) + 1  # only the square moved
        assert square_x(frames[k]) == pytest.approx(20 + 20 * k, abs=1)
    assert maps["edges"][0][45, 100] < 0.2 < maps["edges"][0][45, 10]  # the square's edge, not the flat sea
    normals = maps["normals (illustration)"]
    assert normals.shape == (*frames[:-1].shape[:3], 3) and normals.min() >= 0 and normals.max() <= 1
    assert normals[..., 2].min() > 0.5  # every surface faces the camera more than away from it
    flat = np.full((2, 20, 20, 3), 128, np.uint8)
    still = signal_maps(flat, flat)
    assert still["motion"].max() == 0 and still["edges"].max() == 0
    np.testing.assert_allclose(still["normals (illustration)"][..., 2], 1.0)


def test_signal_grid_draws_a_row_per_signal_labelled_as_illustrations(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "clip.mp4", seconds=1.0, fps=12)
    fig = lk.signal_grid(clip, n=3, width=120)
    axes = np.array(fig.axes).reshape(1 + len(SIGNALS), 3)
    assert axes[0, 0].get_ylabel() == "source"
    assert all("illustration" in ax.get_ylabel() for ax in axes[1:, 0])
    assert "not Ray's" in fig._suptitle.get_text()
    for bad in (0, -1, 2.5, True):
        with pytest.raises(RequestError, match="n="):
            lk.signal_grid(clip, n=bad)
