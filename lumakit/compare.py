"""See what the strength dial did: frame grids, difference heatmaps and departure metrics.

    fig = lk.frame_grid({"source": src, **runs}, n=6)       # rows = videos, columns = times
    fig = lk.diff_grid(src, runs, n=6)                      # |variant - source| per pixel
    d = lk.departure(src, runs["flex_2"]); d.mean()         # per-frame MAD and SSIM against the source
    fig = lk.departure_plot(src, runs)                      # a curve per variant over time + a bar each
    lk.save_grid(fig, "grid.png")

Figures are plain ``matplotlib.figure.Figure`` objects (no pyplot state, nothing leaks, works headless); a
notebook displays one when it is the last expression of a cell. A figure that shows any local-backend
result says so on itself: "local preview, not Ray" in amber at its top left (Ray results carry no mark).
Clips of different sizes or durations are compared at the same *relative* time, and each frame is fitted
into its cell by aspect (letterboxed). (Watching clips is :mod:`lumakit.display`; the video file to share,
:mod:`lumakit.side_by_side`.)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _files, media
from ._preview import PREVIEW_COLOR, PREVIEW_MARK, is_preview
from .departure_metrics import Departure, RegionDeparture, departure, departures
from .errors import RequestError
from .frame_metrics import ssim
from .regions import Region, RegionLike

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "Departure",
    "RegionDeparture",
    "departure",
    "departure_plot",
    "diff_grid",
    "frame_grid",
    "save_grid",
    "ssim",
]

_DPI = 100
_WORKERS = max(1, min(4, os.cpu_count() or 1))


# --------------------------------------------------------------------------------------------- sampling


def _rows(videos: Any, titles: bool | Sequence[str] | None) -> list[tuple[str, Any]]:
    """``[(label, video)]`` with a label for every row (mapping key, ``.title``, or file name)."""
    explicit = None if isinstance(titles, bool) or titles is None else list(titles)
    items = media.labeled(videos, explicit)
    rows = []
    for label, v in items:
        name = label if label is not None else media.display_name(v)
        if media.is_exr_source(v):  # EXR frames: measured and shown as their tone-mapped video, marked so
            name, v = f"{name} · {media.EXR_MARK}", media.materialize(v)
        rows.append((name, v))
    return rows


def _video(v: Any) -> Any:
    """``v``, or the tone-mapped video of the EXR frames it names."""
    return media.materialize(v) if media.is_exr_source(v) else v


def _fractions(ref: media.VideoInfo, n: int | None, times: Iterable[float] | None) -> np.ndarray:
    """Positions to sample as fractions of each clip's duration (times are on the first clip's clock)."""
    if times is not None and n is not None:
        raise RequestError("times", times, message="give times= or n=, not both")
    if times is None:
        n = 6 if n is None else n
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise RequestError("n", n, "a positive int")
        return (np.arange(n) + 0.5) / n
    t = np.asarray(list(times), dtype=float).reshape(-1)
    if t.size == 0 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise RequestError("times", times, "a non-empty list of times >= 0 in seconds")
    return np.clip(t / ref.duration, 0.0, 1.0)


def _fit(info: media.VideoInfo, box: tuple[int, int]) -> tuple[int, int]:
    """The largest size with the clip's aspect that fits ``box`` (w, h)."""
    bw, bh = box
    s = min(bw / info.width, bh / info.height)
    return max(2, round(info.width * s)), max(2, round(info.height * s))


def _cell(infos: Sequence[media.VideoInfo], size: tuple[int, int] | int | None) -> tuple[int, int]:
    """The cell box (w, h) in pixels: ``size`` or the first clip's aspect at 240 px wide (never upscaled)."""
    if size is None:
        first = infos[0]
        w = min(240, first.width)
        return w, max(2, round(w / first.aspect))
    if isinstance(size, (int, np.integer)) and size > 0:
        first = infos[0]
        return int(size), max(2, round(int(size) / first.aspect))
    if isinstance(size, (tuple, list)) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size):
        return int(size[0]), int(size[1])
    raise RequestError("size", size, "a cell width in pixels, a (width, height) tuple, or None")


def _sample(
    infos: Sequence[media.VideoInfo], fractions: np.ndarray, sizes: Sequence[tuple[int, int]]
) -> list[np.ndarray]:
    """Frames of every clip at the same relative times, one ffmpeg reader per clip, clips in parallel."""

    def one(k: int) -> np.ndarray:
        info = infos[k]
        t = np.minimum(fractions * info.duration, max(0.0, info.duration - 0.5 / info.fps))
        return media.frames(info.path, t, size=sizes[k])

    if len(infos) == 1:
        return [one(0)]
    with ThreadPoolExecutor(max_workers=min(_WORKERS, len(infos))) as pool:
        return list(pool.map(one, range(len(infos))))


def _time_labels(infos: Sequence[media.VideoInfo], fractions: np.ndarray) -> list[str]:
    durs = np.array([i.duration for i in infos])
    same = np.all(np.abs(durs - durs[0]) <= 1.0 / max(i.fps for i in infos))
    if same:
        return [f"{f * infos[0].duration:.2f} s" for f in fractions]
    return [f"{f * 100:.0f}%  ({f * infos[0].duration:.2f} s)" for f in fractions]


# --------------------------------------------------------------------------------------------- figures


def _inline_png() -> None:
    """Let a bare ``Figure`` show as a PNG in IPython, as ``%matplotlib inline`` would, without pyplot.

    The figures here are made with the object API (no global pyplot state), which IPython only knows how to
    draw once an inline backend registered a formatter; register the same one, once, when in a kernel.
    """
    import sys

    if "IPython" not in sys.modules:  # not in IPython: nothing to render into
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    from matplotlib.figure import Figure

    formatter = shell.display_formatter.formatters["image/png"]
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        from IPython.core.pylabtools import print_figure

        formatter.for_type(Figure, lambda fig: print_figure(fig, "png", bbox_inches="tight"))


def _new_figure(**kwargs: Any) -> Figure:
    from matplotlib.figure import Figure

    _inline_png()
    return Figure(**kwargs)


MARK_GID = "lumakit-preview-mark"  # the mark's artist id (tests and SVG exports find it by this)


def _previews(videos: Sequence[Any]) -> bool:
    return any(is_preview(v) for v in videos)


def _mark(fig: Figure, x: float, y: float, **text: Any) -> None:
    """Write the preview mark on the figure at figure coordinates (x, y)."""
    fig.text(x, y, PREVIEW_MARK, color=PREVIEW_COLOR, fontsize=10, fontweight="bold", gid=MARK_GID, **text)


def _figure(
    rows: int, cols: int, cell: tuple[int, int], *, extra_w: float = 0.0, preview: bool = False
) -> tuple[Figure, np.ndarray]:

    cw, ch = cell[0] / _DPI, cell[1] / _DPI
    left, top = 1.3, 0.35 + (0.3 if preview else 0.0)
    fig = _new_figure(
        figsize=(left + cols * cw * 1.02 + extra_w + 0.1, top + rows * ch * 1.04 + 0.1), dpi=_DPI
    )
    w, h = fig.get_size_inches()
    axes = fig.subplots(
        rows,
        cols,
        squeeze=False,
        gridspec_kw={
            "left": left / w,
            "right": 1 - (extra_w + 0.1) / w,
            "top": 1 - top / h,
            "bottom": 0.1 / h,
            "wspace": 0.02,
            "hspace": 0.04,
        },
    )
    if preview:
        _mark(fig, 0.08 / w, 1 - 0.06 / h, ha="left", va="top")
    return fig, axes


def _show(ax: Any, img: np.ndarray, cell: tuple[int, int], **imshow: Any) -> Any:
    """Draw ``img`` centred in a cell-sized box (letterboxed), equal aspect, no ticks."""
    cw, ch = cell
    h, w = img.shape[:2]
    x0, y0 = (cw - w) / 2, (ch - h) / 2
    im = ax.imshow(img, extent=(x0, x0 + w, y0 + h, y0), interpolation="antialiased", **imshow)
    ax.set_xlim(0, cw)
    ax.set_ylim(ch, 0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#111111")
    for s in ax.spines.values():
        s.set_visible(False)
    return im


def _label(axes: np.ndarray, rows: Sequence[str] | None, cols: Sequence[str]) -> None:
    for j, text in enumerate(cols):
        axes[0, j].set_title(text, fontsize=9)
    if rows is not None:
        for i, text in enumerate(rows):
            axes[i, 0].set_ylabel(text, rotation=0, ha="right", va="center", fontsize=9, labelpad=6)


def frame_grid(
    videos: Any,
    n: int | None = None,
    *,
    times: Iterable[float] | None = None,
    size: tuple[int, int] | int | None = None,
    titles: bool | Sequence[str] = True,
    crop: RegionLike | None = None,
) -> Figure:
    """A grid of frames: one row per video, one column per time.

    Args:
      videos: a ``{label: video}`` mapping, a list, or one video (path, URL or ``Result``).
      n: number of evenly spaced frame-centre times (default 6).
      times: explicit times in seconds on the first clip's clock; other clips are sampled at the same
        relative position (so clips of different lengths line up).
      size: cell width in pixels, or a ``(w, h)`` cell box; default 240 px wide at the first clip's aspect.
        Frames are scaled by ffmpeg to fit the cell by their own aspect.
      titles: True labels rows with the mapping's keys (else file names), False leaves them off, or a list.
      crop: show only this part of every frame, large (the subject): a box ``(x0, y0, x1, y1)`` in
        fractions of the frame (or pixels of the first clip), or ``{seconds: box}`` keyframes (see
        :mod:`lumakit.regions`). Each clip is read at the size that makes the box fill the cell.

    Returns:
      A ``matplotlib.figure.Figure`` with time labels on top and row labels on the left.
    """
    rows = _rows(videos, titles)
    infos = [media.probe(v) for _, v in rows]
    region = None if crop is None else Region.coerce(crop, (infos[0].width, infos[0].height), "crop")
    fr = _fractions(infos[0], n, times)
    cell = _cell(infos, size)
    if region is None:
        sizes = [_fit(i, cell) for i in infos]
    else:
        if size is None or isinstance(size, (int, np.integer)):  # the cell takes the box's aspect
            bw, bh = region.extent()
            cell = (cell[0], max(2, round(cell[0] * bh * infos[0].height / (bw * infos[0].width))))
        sizes = [region.zoomed_size(i.width, i.height, cell) for i in infos]
    stacks: Sequence[Any] = _sample(infos, fr, sizes)
    if region is not None:
        stacks = [region.crop(np.asarray(st), fr * i.duration) for st, i in zip(stacks, infos, strict=True)]
    fig, axes = _figure(len(rows), len(fr), cell, preview=_previews([v for _, v in rows]))
    for i, stack in enumerate(stacks):
        for j, img in enumerate(stack):
            _show(axes[i, j], img, cell)
    names = [r + (f"\n{media.HDR_MARK}" if i.hdr else "") for (r, _), i in zip(rows, infos, strict=True)]
    _label(axes, names if titles is not False else None, _time_labels(infos, fr))
    return fig


def diff_grid(
    source: Any,
    videos: Any,
    n: int | None = None,
    *,
    times: Iterable[float] | None = None,
    size: tuple[int, int] | int | None = None,
    titles: bool | Sequence[str] = True,
    vmax: float | None = None,
    cmap: str = "magma",
) -> Figure:
    """Per-pixel difference heatmaps of each video against the source, at the same relative times.

    The first row shows the source frames; each further row shows ``mean_c |video - source|`` (0-255) with
    one shared colour scale (``vmax``, default the 99th percentile of all differences) and a colour bar.
    Every video is scaled to the source's cell size so pixels line up.
    """
    src_info = media.probe(_video(source))
    rows = _rows(videos, titles)
    infos = [src_info] + [media.probe(v) for _, v in rows]
    fr = _fractions(src_info, n, times)
    cell = _cell(infos, size)
    fit = _fit(src_info, cell)
    stacks = _sample(infos, fr, [fit] * len(infos))
    base = stacks[0].astype(np.int16)
    diffs = [np.abs(s.astype(np.int16) - base).mean(-1) for s in stacks[1:]]
    top = (
        vmax
        if vmax is not None
        else max(1.0, float(np.percentile(np.concatenate([d.ravel() for d in diffs]), 99)))
    )
    preview = _previews([source, *(v for _, v in rows)])
    fig, axes = _figure(len(infos), len(fr), cell, extra_w=0.8, preview=preview)
    for j in range(len(fr)):
        _show(axes[0, j], stacks[0][j], cell)
    im = None
    for i, d in enumerate(diffs, start=1):
        for j in range(len(fr)):
            im = _show(axes[i, j], d[j], cell, cmap=cmap, vmin=0.0, vmax=top)
    labels = ["source", *(f"|{r} − src|" for r, _ in rows)] if titles is not False else None
    _label(axes, labels, _time_labels(infos, fr))
    if im is not None:
        cax = fig.add_axes((1 - 0.7 / fig.get_size_inches()[0], 0.15, 0.15 / fig.get_size_inches()[0], 0.7))
        fig.colorbar(im, cax=cax, label="|Δ| (0-255)")
    return fig


# --------------------------------------------------------------------------------------------- metrics


def departure_plot(
    source: Any,
    videos: Any,
    *,
    metric: str = "mad",
    n: int | None = None,
    titles: bool | Sequence[str] = True,
    region: RegionLike | None = None,
) -> Figure:
    """How far each variant departs from the source: a curve per variant over time, and a bar per variant.

    ``metric`` is ``"mad"`` (mean absolute difference, higher = further) or ``"ssim"`` (lower = further).
    ``videos`` may map labels to precomputed :class:`Departure` objects as well as to videos (a
    ``Departure`` does not know its backend: pass the results themselves to get the preview mark).

    ``region``: the subject's box (as for :func:`departure`); the plot is then "subject vs background":
    per variant, a solid curve inside the box and a dashed one outside, and a pair of bars.
    """
    check_metric(metric)
    rows = _rows(videos, titles) if not isinstance(videos, Departure) else [("video", videos)]
    if region is not None:
        return _subject_plot(source, rows, metric, n, region)
    measured = iter(departures(source, [v for _, v in rows if not isinstance(v, Departure)], n=n))
    deps = [(label, v if isinstance(v, Departure) else next(measured)) for label, v in rows]
    fig, ax, bx = plot_pair(max(1.2, 0.35 * len(deps)))
    colors = [f"C{i % 10}" for i in range(len(deps))]
    hdr = {label for label, v in rows if not isinstance(v, Departure) and media.probe(v).hdr}
    for (label, d), c in zip(deps, colors, strict=True):
        shown = f"{label} ({media.HDR_MARK})" if label in hdr else label
        ax.plot(d.times, getattr(d, metric), color=c, label=shown, lw=1.6)
    title = f"departure from the source, frame by frame ({metric.upper()})"
    _over_time(ax, METRIC_AXIS[metric], title, legend_size=8)
    means = [getattr(d.mean(), metric) for _, d in deps]
    bars = bx.bar(range(len(deps)), means, color=colors)
    bx.bar_label(bars, fmt="%.3f", fontsize=8)
    _variants(bx, [label for label, _ in deps], f"mean {metric.upper()}")
    if metric == "ssim":
        ax.set_ylim(min(0.0, min(float(d.ssim.min()) for _, d in deps)), 1.02)
        bx.set_ylim(0, 1.05)
    mark_previews(fig, [v for _, v in rows])
    return fig


def _subject_plot(
    source: Any, rows: list[tuple[str, Any]], metric: str, n: int | None, region: RegionLike
) -> Figure:
    """``departure_plot(region=)``: inside (solid) and outside (dashed) the box, per variant."""
    deps: list[tuple[str, RegionDeparture]] = []
    todo = [v for _, v in rows if not isinstance(v, Departure)]
    measured = iter(departures(source, todo, n=n, region=region))  # one decode of the source for all
    for label, v in rows:
        d = v if isinstance(v, Departure) else next(measured)
        if not isinstance(d, RegionDeparture):
            raise RequestError(
                "videos", label, "videos, or departures measured with region= (RegionDeparture)"
            )
        deps.append((label, d))
    fig, ax, bx = plot_pair(max(1.4, 0.5 * len(deps)))
    for k, (label, d) in enumerate(deps):
        c = f"C{k % 10}"
        ax.plot(d.times, getattr(d.inside, metric), color=c, lw=1.8, label=f"{label}: subject (inside)")
        ax.plot(d.times, getattr(d.outside, metric), color=c, lw=1.2, ls="--", label=f"{label}: background")
    title = f"subject vs background: departure inside and outside the box ({metric.upper()})"
    _over_time(ax, METRIC_AXIS[metric], title, legend_size=7)
    x = np.arange(len(deps))
    ins = [float(np.nanmean(getattr(d.inside, metric))) for _, d in deps]
    outs = [float(np.nanmean(getattr(d.outside, metric))) for _, d in deps]
    b1 = bx.bar(x - 0.2, ins, 0.4, color=[f"C{k % 10}" for k in x], label="subject")
    b2 = bx.bar(
        x + 0.2, outs, 0.4, color=[f"C{k % 10}" for k in x], alpha=0.45, hatch="//", label="background"
    )
    bx.bar_label(b1, fmt="%.3f", fontsize=7)
    bx.bar_label(b2, fmt="%.3f", fontsize=7)
    _variants(bx, [label for label, _ in deps], f"mean {metric.upper()}: subject | background")
    bx.legend(fontsize=7, loc="best")
    if metric == "ssim":
        bx.set_ylim(0, 1.05)
    mark_previews(fig, [v for _, v in rows])
    return fig


# --------------------------------------------------------------------------------------------- plot parts
# departure_plot, its subject form and noise.takes_plot draw the same frame: curves left, bars right.

METRIC_AXIS = {"mad": "mean |Δ| (0-1)", "ssim": "SSIM vs source"}  # the y label of each metric


def check_metric(metric: str) -> None:
    if metric not in METRIC_AXIS:
        raise RequestError("metric", metric, list(METRIC_AXIS))


def plot_pair(bars_width: float) -> tuple[Figure, Any, Any]:
    """A 10 x 3.6 in figure of two axes side by side: 3 parts wide on the left, ``bars_width`` right."""
    fig = _new_figure(figsize=(10, 3.6), dpi=_DPI, layout="constrained")
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, bars_width]})
    return fig, ax, bx


def label_axes(ax: Any, ylabel: str, title: str, *, legend_size: int) -> None:
    """The left axes' y label, title, grid and legend."""
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=legend_size, loc="best")


def _over_time(ax: Any, ylabel: str, title: str, *, legend_size: int) -> None:
    ax.set_xlabel("time (s)")
    label_axes(ax, ylabel, title, legend_size=legend_size)


def _variants(bx: Any, labels: list[str], title: str) -> None:
    """The bars' axes: one tick per variant, named."""
    bx.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
    bx.set_title(title, fontsize=10)


def mark_previews(fig: Figure, videos: Sequence[Any]) -> None:
    """Title a plot with the preview mark when any of ``videos`` is a local preview."""
    if _previews(videos):
        fig.suptitle(
            PREVIEW_MARK, x=0.01, ha="left", color=PREVIEW_COLOR, fontsize=10, fontweight="bold", gid=MARK_GID
        )


# --------------------------------------------------------------------------------------------- saving


def save_grid(
    fig_or_videos: Any, path: str | os.PathLike[str], *, dpi: float | None = None, **grid: Any
) -> Path:
    """Save a figure (or the :func:`frame_grid` of these videos, with ``**grid`` options) as a PNG.

    Written atomically (temp file, then rename). Returns the path.
    """
    from matplotlib.figure import Figure

    fig = fig_or_videos if isinstance(fig_or_videos, Figure) else frame_grid(fig_or_videos, **grid)
    path = Path(path).expanduser()
    with _files.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi or fig.dpi, facecolor="white")
    return path
