"""A region of the frame (the subject): one box, or boxes keyframed over time, for A/B at the subject.

    box = (0.35, 0.30, 0.70, 0.75)                  # x0, y0, x1, y1 as fractions of the frame
    box = (224, 108, 448, 270)                      # ...or in pixels of the video (any value above 1)
    box = {0.0: (0.2, 0.3, 0.5, 0.7), 3.5: (0.5, 0.3, 0.8, 0.7)}   # keyframes: seconds -> box, linear between

``Region`` turns any of these into per-time boxes in fractions, then into pixel masks of a frame of any size
(:func:`Region.masks`) or crops (:func:`Region.crop`). ``lumakit.compare`` uses it for ``departure(region=)``,
``departure_plot(region=)`` and ``frame_grid(crop=)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import RequestError

__all__ = ["Region", "RegionLike"]

RegionLike = Any  # a (x0, y0, x1, y1) box, a {seconds: box} mapping, or a Region

_BOX_HELP = (
    "a box (x0, y0, x1, y1) in fractions of the frame (0..1) or in pixels, with x0 < x1 and y0 < y1, "
    "or a {seconds: box} mapping of keyframes"
)


def _box(value: Any, parameter: str, size: tuple[int, int] | None) -> tuple[float, float, float, float]:
    """One box as fractions ``(x0, y0, x1, y1)``; pixel boxes need the frame ``size`` (w, h)."""
    try:
        x0, y0, x1, y1 = (float(v) for v in value)
    except (TypeError, ValueError):
        raise RequestError(parameter, value, _BOX_HELP) from None
    values = np.array([x0, y0, x1, y1])
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise RequestError(parameter, value, _BOX_HELP)
    if np.any(values > 1):  # pixels
        if size is None:
            raise RequestError(parameter, value, "a box in fractions of the frame (0..1) here")
        w, h = size
        x0, x1, y0, y1 = x0 / w, x1 / w, y0 / h, y1 / h
        if max(x0, x1) > 1 or max(y0, y1) > 1:
            raise RequestError(parameter, value, f"a pixel box inside the {w}x{h} frame")
    if not (x0 < x1 and y0 < y1):
        raise RequestError(parameter, value, _BOX_HELP)
    return x0, y0, x1, y1


@dataclass(frozen=True)
class Region:
    """Boxes in fractions of the frame at keyframe ``times`` (seconds); one box holds for the whole clip."""

    times: np.ndarray  # (k,) seconds, increasing
    boxes: np.ndarray  # (k, 4) x0, y0, x1, y1 in 0..1

    @classmethod
    def coerce(
        cls, value: RegionLike, size: tuple[int, int] | None = None, parameter: str = "region"
    ) -> Region:
        """A Region from a box, a ``{seconds: box}`` mapping or a Region; ``size`` (w, h) reads pixels."""
        if isinstance(value, Region):
            return value
        if isinstance(value, Mapping):
            if not value:
                raise RequestError(parameter, value, _BOX_HELP)
            try:
                keys = sorted((float(t), box) for t, box in value.items())
            except (TypeError, ValueError):
                raise RequestError(parameter, value, "keyframe times in seconds (numbers >= 0)") from None
            if any(not np.isfinite(t) or t < 0 for t, _ in keys):
                raise RequestError(parameter, value, "keyframe times in seconds (numbers >= 0)")
            times = np.array([t for t, _ in keys])
            boxes = np.array([_box(b, parameter, size) for _, b in keys])
            return cls(times, boxes)
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
            raise RequestError(parameter, value, _BOX_HELP)
        return cls(np.zeros(1), np.array([_box(value, parameter, size)]))

    def at(self, times: Any) -> np.ndarray:
        """The box (fractions) at each time, ``(n, 4)``: linear between keyframes, held before and after."""
        t = np.asarray(times, dtype=float).reshape(-1)
        if len(self.times) == 1:
            return np.repeat(self.boxes, len(t), axis=0)
        return np.stack([np.interp(t, self.times, self.boxes[:, k]) for k in range(4)], axis=1)

    def pixels(self, times: Any, width: int, height: int) -> np.ndarray:
        """Integer pixel boxes ``(n, 4)`` of a ``width`` x ``height`` frame (at least one pixel each way)."""
        b = self.at(times) * np.array([width, height, width, height])
        x0 = np.clip(np.floor(b[:, 0]), 0, width - 1)
        y0 = np.clip(np.floor(b[:, 1]), 0, height - 1)
        x1 = np.clip(np.maximum(np.ceil(b[:, 2]), x0 + 1), 1, width)
        y1 = np.clip(np.maximum(np.ceil(b[:, 3]), y0 + 1), 1, height)
        return np.stack([x0, y0, x1, y1], axis=1).astype(int)

    def masks(self, times: Any, width: int, height: int) -> np.ndarray:
        """Boolean masks ``(n, height, width)``, True inside the box at each time."""
        boxes = self.pixels(times, width, height)
        out = np.zeros((len(boxes), height, width), dtype=bool)
        for m, (x0, y0, x1, y1) in zip(out, boxes, strict=True):
            m[y0:y1, x0:x1] = True
        return out

    def extent(self) -> tuple[float, float]:
        """The largest box width and height over the keyframes (fractions): what a crop must fit."""
        return float((self.boxes[:, 2] - self.boxes[:, 0]).max()), float(
            (self.boxes[:, 3] - self.boxes[:, 1]).max()
        )

    def crop(self, frames: np.ndarray, times: Any) -> list[np.ndarray]:
        """Each frame ``(n, H, W, ...)`` cut to the box at its time."""
        h, w = frames.shape[1:3]
        return [f[y0:y1, x0:x1] for f, (x0, y0, x1, y1) in zip(frames, self.pixels(times, w, h), strict=True)]

    def zoomed_size(
        self, width: int, height: int, cell: tuple[int, int], limit: int = 2048
    ) -> tuple[int, int]:
        """The size to read a ``width`` x ``height`` clip at so its largest box fills ``cell`` (w, h)."""
        bw, bh = self.extent()
        s = min(cell[0] / (bw * width), cell[1] / (bh * height))
        s = min(s, limit / max(width, height))
        return max(2, round(width * s)), max(2, round(height * s))

    def label(self) -> str:
        """A short description, for figure titles."""
        x0, y0, x1, y1 = self.boxes[0]
        box = f"({x0:.2f}, {y0:.2f}, {x1:.2f}, {y1:.2f})"
        return box if len(self.times) == 1 else f"{box} + {len(self.times) - 1} keyframe(s)"
