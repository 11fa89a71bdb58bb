"""Pictures of what the conditioning signals are about, drawn from a source clip: illustrations, not Ray's.

    lk.signal_grid("../assets/dolphin.mp4", n=4)

Ray reads conditioning signals from the source (the subject's pose, the scene's depth and surface normals,
the motion tracks) and the per-signal controls set how strictly each is followed. Its own estimates are not
published; this figure draws, with a few lines of numpy on the source's frames, what each signal is *about*:

- **motion**: how much each pixel changes to the next frame (the measure lumakit's local preview uses for its
  motion energy and its autoControls guess); motion anchors hold these parts in place;
- **moving parts**: the pixels that move the most, the part of the frame a pose skeleton would follow;
- **edges**: brightness gradients, the structure a depth or normals estimate is built on (the preview's edge
  density);
- **normals (illustration)**: which way each surface would face if brightness were shading (x -> red,
  y -> green), the kind of map normals conditioning describes.

Every row is labelled an illustration on the figure itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import media
from .errors import RequestError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["SIGNALS", "signal_grid", "signal_maps"]

SIGNALS = ("motion", "moving parts", "edges", "normals (illustration)")
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def signal_maps(frames: np.ndarray, following: np.ndarray) -> dict[str, np.ndarray]:
    """The four maps of :data:`SIGNALS` for ``frames`` ``(n, H, W, 3)``, each frame with the one after it
    (``following``, same shape): motion, moving parts and edges in 0..1 ``(n, H, W)``; normals as RGB
    ``(n, H, W, 3)`` in 0..1."""
    lum = frames.astype(np.float32) @ _LUMA / 255.0
    nxt = following.astype(np.float32) @ _LUMA / 255.0
    motion = np.abs(nxt - lum)
    motion = motion / max(float(motion.max()), 1e-6)
    moving = (motion > np.quantile(motion, 0.9, axis=(1, 2), keepdims=True)) & (motion > 0.05)
    gy, gx = np.gradient(lum, axis=(1, 2))
    edges = np.hypot(gx, gy)
    edges = np.clip(edges / max(float(np.quantile(edges, 0.99)), 1e-6), 0, 1)
    scale = 8.0  # brightness slope -> surface tilt
    n = np.stack([-gx * scale, -gy * scale, np.ones_like(lum)], axis=-1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    normals = (n + 1.0) / 2.0
    return {SIGNALS[0]: motion, SIGNALS[1]: moving.astype(np.float32), SIGNALS[2]: edges, SIGNALS[3]: normals}


def signal_grid(source: Any, n: int = 4, *, width: int = 240) -> Figure:
    """A grid of the source's frames (top row) and, below, one row per signal of :data:`SIGNALS` at the same
    moments: illustrations of what each conditioning signal is about, drawn from the source itself."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RequestError("n", n, "a positive int (frames to show)")
    if isinstance(width, bool) or not isinstance(width, int) or width < 16:
        raise RequestError("width", width, "a cell width in pixels, at least 16")
    info = media.probe(source)
    size = (width, max(2, round(width / info.aspect / 2) * 2))
    step = 1.0 / info.fps
    times = (np.arange(n) + 0.5) / n * max(info.duration - 2 * step, step)
    frames = media.frames(info.path, times, size=size)
    following = media.frames(info.path, times + step, size=size)
    maps = signal_maps(frames, following)
    from .compare import _new_figure

    w, h = size
    rows = 1 + len(SIGNALS)
    fig = _new_figure(figsize=(1.6 + n * w / 100 * 1.02, 0.5 + rows * h / 100 * 1.06), dpi=100)
    axes = fig.subplots(rows, n, squeeze=False, gridspec_kw={"wspace": 0.03, "hspace": 0.06, "left": 0.16})
    for j in range(n):
        axes[0, j].imshow(frames[j])
        axes[0, j].set_title(f"{times[j]:.2f} s", fontsize=9)
        for i, name in enumerate(SIGNALS, start=1):
            img = maps[name][j]
            axes[i, j].imshow(img, cmap=None if img.ndim == 3 else "magma", vmin=0, vmax=1)
    labels = ["source", *(s.replace(" (", "\n(") if "(" in s else f"{s}\n(illustration)" for s in SIGNALS)]
    for i, text in enumerate(labels):
        axes[i, 0].set_ylabel(text, rotation=0, ha="right", va="center", fontsize=8, labelpad=6)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("what the conditioning signals are about: illustrations from the source, not Ray's", size=9)
    return fig
