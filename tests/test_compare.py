"""lumakit.compare: frame and diff grids (rendered headless), SSIM/MAD departure, plots, saving."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _clips import make_clip, square_x
from matplotlib.backends.backend_agg import FigureCanvasAgg

from lumakit import compare, media
from lumakit.errors import MediaError, RequestError


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cmp")
    return {
        "source": make_clip(d / "src.mp4", seconds=1, seed=0),
        "other": make_clip(d / "other.mp4", seconds=1, seed=7),
        "tall_long": make_clip(d / "tall.mp4", seconds=2, w=90, h=160, seed=3),
    }


def render(fig) -> np.ndarray:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3]


def cell_pixels(fig, ax, buf: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = ax.get_window_extent().extents
    h = buf.shape[0]
    return buf[int(h - y1) + 1 : int(h - y0) - 1, int(x0) + 1 : int(x1) - 1]


def test_frame_grid_layout_and_labels(clips: dict[str, Path]) -> None:
    two = {"source": clips["source"], "other": clips["other"]}
    fig = compare.frame_grid(two, n=4)
    axes = np.array(fig.axes).reshape(2, 4)
    assert [ax.get_title() for ax in axes[0]] == ["0.12 s", "0.38 s", "0.62 s", "0.88 s"]
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["source", "other"]
    assert all(ax.get_aspect() == 1.0 for ax in axes.ravel())
    assert all(len(ax.images) == 1 for ax in axes.ravel())
    # the image drawn in each cell is the frame at that time
    expected = media.frames(clips["source"], [0.125, 0.375, 0.625, 0.875], size=(160, 90))
    for j in range(4):
        assert np.array_equal(np.asarray(axes[0, j].images[0].get_array()), expected[j])


def test_frame_grid_pixels_show_the_motion(clips: dict[str, Path]) -> None:
    fig = compare.frame_grid([clips["source"]], n=5, size=160)
    buf = render(fig)
    xs = []
    for ax in fig.axes:
        cell = cell_pixels(fig, ax, buf)
        assert cell.std() > 10  # real picture content, not blank
        xs.append(square_x(cell) / cell.shape[1])
    assert xs == sorted(xs) and xs[-1] - xs[0] > 0.5  # the square moves left to right across columns
    assert fig.axes[0].get_ylabel() == "src.mp4"  # unlabeled rows get the file name


def test_frame_grid_mixed_sizes_and_durations_align_by_relative_time(clips: dict[str, Path]) -> None:
    fig = compare.frame_grid({"src": clips["source"], "tall": clips["tall_long"]}, n=2, size=(160, 90))
    axes = np.array(fig.axes).reshape(2, 2)
    assert axes[0, 0].get_title().startswith("25%") and "0.25 s" in axes[0, 0].get_title()
    # the tall clip is letterboxed: same cell box, narrower image, centred
    x0, x1, y1, y0 = axes[1, 0].images[0].get_extent()
    assert (axes[1, 0].get_xlim(), axes[1, 0].get_ylim()) == ((0.0, 160.0), (90.0, 0.0))
    assert (
        y1 - y0 == pytest.approx(90) and x1 - x0 == pytest.approx(51, abs=1) and x0 + x1 == pytest.approx(160)
    )
    # at 25% of its own 2 s the tall clip shows its frame 12 (of 48)
    tall = np.asarray(axes[1, 0].images[0].get_array())
    want = media.frames(clips["tall_long"], [0.5], size=tall.shape[1::-1])[0]
    assert np.array_equal(tall, want)


def test_frame_grid_options(clips: dict[str, Path]) -> None:
    fig = compare.frame_grid(clips, times=[0.0, 0.5], titles=False)
    assert len(fig.axes) == 6 and all(ax.get_ylabel() == "" for ax in fig.axes)
    fig = compare.frame_grid([clips["source"], clips["other"]], n=1, titles=["a", "b"])
    assert [ax.get_ylabel() for ax in fig.axes] == ["a", "b"]
    with pytest.raises(RequestError, match="times"):
        compare.frame_grid(clips, n=2, times=[0.1])
    with pytest.raises(RequestError, match="size"):
        compare.frame_grid(clips, size=(10,))
    with pytest.raises(RequestError, match="titles"):
        compare.frame_grid(clips, titles=["only one"])


def test_bad_file_in_a_grid(clips: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(MediaError, match=r"broken\.mp4"):
        compare.frame_grid({"ok": clips["source"], "bad": bad})
    assert media.live_processes() == 0


def test_diff_grid(clips: dict[str, Path]) -> None:
    fig = compare.diff_grid(clips["source"], {"same": clips["source"], "other": clips["other"]}, n=3)
    grid, cbar = fig.axes[:9], fig.axes[9:]
    assert len(cbar) == 1 and "Δ" in cbar[0].get_ylabel()
    axes = np.array(grid).reshape(3, 3)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["source", "|same − src|", "|other − src|"]
    same = np.asarray(axes[1, 0].images[0].get_array())
    other = np.asarray(axes[2, 0].images[0].get_array())
    assert same.ndim == 2 and same.max() == 0
    assert other.mean() > 10


def test_ssim_matches_a_direct_implementation() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (12, 15)).astype(float)
    b = np.clip(a + rng.normal(0, 30, a.shape), 0, 255)

    def direct(x: np.ndarray, y: np.ndarray, w: int = 7) -> float:
        c1, c2, vals = (0.01 * 255) ** 2, (0.03 * 255) ** 2, []
        for i in range(x.shape[0] - w + 1):
            for j in range(x.shape[1] - w + 1):
                p, q = x[i : i + w, j : j + w].ravel(), y[i : i + w, j : j + w].ravel()
                mp, mq = p.mean(), q.mean()
                vp, vq, cpq = p.var(ddof=1), q.var(ddof=1), np.cov(p, q)[0, 1]
                vals.append(((2 * mp * mq + c1) * (2 * cpq + c2)) / ((mp**2 + mq**2 + c1) * (vp + vq + c2)))
        return float(np.mean(vals))

    assert compare.ssim(a, b) == pytest.approx(direct(a, b), rel=1e-9)
    assert compare.ssim(a, a) == pytest.approx(1.0)
    noisier = [compare.ssim(a, np.clip(a + rng.normal(0, s, a.shape), 0, 255)) for s in (5, 20, 60)]
    assert noisier == sorted(noisier, reverse=True)


def test_departure(clips: dict[str, Path]) -> None:
    same = compare.departure(clips["source"], clips["source"])
    assert len(same) == 24 and same.times[0] == pytest.approx(1 / 48)
    assert same.mean() == (0.0, 1.0) and same.mean().ssim == 1.0
    assert compare.departure(clips["source"], clips["source"]) is same  # memoized: plot + table cost one
    other = compare.departure(clips["source"], clips["other"], n=5)
    assert len(other.times) == len(other.mad) == len(other.ssim) == 5
    assert 0.05 < other.mean().mad < 1 and other.mean().ssim < 0.98
    longer = compare.departure(clips["source"], clips["tall_long"])  # 48 frames vs 24: relative time
    assert len(longer) == 48 and longer.times[-1] < 2.0


def test_a_replaced_clip_is_probed_and_measured_anew(clips: dict[str, Path], tmp_path: Path) -> None:
    """probe and departure key their memos on one identity (media.identity): a file written again under
    the same name (a re-render, a re-download) is read again by both, never answered from the memo."""
    path = tmp_path / "take.mp4"
    make_clip(path, seconds=1, seed=0)
    assert compare.departure(clips["source"], path).mean().ssim == pytest.approx(1.0)
    assert media.probe(path).width == 160
    make_clip(tmp_path / "next.mp4", seconds=1, seed=7, w=90, h=160).replace(path)
    assert media.probe(path).width == 90
    assert compare.departure(clips["source"], path).mean().ssim < 0.98


def test_departure_plot(clips: dict[str, Path]) -> None:
    runs = {"same": clips["source"], "other": clips["other"]}
    fig = compare.departure_plot(clips["source"], runs)
    curves, bars = fig.axes
    assert [ln.get_label() for ln in curves.get_lines()] == ["same", "other"]
    heights = [p.get_height() for p in bars.patches]
    assert len(heights) == 2 and heights[0] == 0 and heights[1] > 0.05
    assert [t.get_text() for t in bars.get_xticklabels()] == ["same", "other"]
    pre = {"x": compare.departure(clips["source"], clips["other"], n=3)}
    fig = compare.departure_plot(clips["source"], pre, metric="ssim")
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 3
    with pytest.raises(RequestError, match="metric"):
        compare.departure_plot(clips["source"], runs, metric="psnr")


def test_save_grid(clips: dict[str, Path], tmp_path: Path) -> None:
    p = compare.save_grid({"a": clips["source"]}, tmp_path / "g" / "grid.png", n=2)
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    q = compare.save_grid(compare.diff_grid(clips["source"], [clips["other"]], n=2), tmp_path / "d.png")
    assert q.stat().st_size > 1000
    assert sorted(x.name for x in tmp_path.rglob("*") if x.is_file()) == ["d.png", "grid.png"]


def test_headless_and_no_pyplot_state(clips: dict[str, Path]) -> None:
    code = (
        "import sys, lumakit.compare as c; assert 'matplotlib' not in sys.modules;"
        f"f = c.frame_grid([{str(clips['source'])!r}], n=2);"
        "print('matplotlib.pyplot' in sys.modules, type(f).__module__)"
    )
    env = {"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == ["False", "matplotlib.figure"]


def test_figures_show_as_png_in_a_fresh_ipython_shell(clips: dict[str, Path]) -> None:
    """A grid as the last line of a cell renders as an image without `%matplotlib inline` or pyplot."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        fig = compare.frame_grid({"a": clips["source"]}, n=2)
        data, _ = shell.display_formatter.format(fig)
        assert data["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
        plot = compare.departure_plot(clips["source"], {"b": clips["other"]}, n=3)
        assert "image/png" in shell.display_formatter.format(plot)[0]
    finally:
        InteractiveShell.clear_instance()
