"""Anchor frames on an edit (``inputs.frameImages`` beside ``inputs.video``), as the preview renders them.

Ray takes an anchor as a restyled frame that pins the target look. The preview's stand-in is colour only:
near its frame position, an anchor pulls the edited frames' colour statistics toward its own palette (the
per-channel mean and spread of its RGB values):

- at the anchor's own frame the pull is :data:`ANCHOR_PULL`: the frame's mean colour moves that share of
  the way to the anchor's mean colour, and its per-channel spread (contrast) moves toward the anchor's,
  scaled by at most :data:`SPREAD_LIMITS`;
- the pull fades linearly to nothing :data:`ANCHOR_REACH` of the clip away; frames beyond are untouched;
- several anchors: the pull is the strongest one's, toward the palettes averaged by their weights.

    pull = AnchorPull.load([("anchor.png", "first")], n_frames=36)
    pull.weight(0), pull.weight(35)      # 0.6, 0.0
    pull.apply(frame, t)                 # float32 (H, W, 3) in [0, 1], changed in place

Nothing here is random: the same anchors on the same edit give the same frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import media

ANCHOR_PULL = 0.6  # [ours] share of the way to the anchor's palette, at the anchor's own frame
ANCHOR_REACH = 0.5  # [ours] the pull fades to 0 this share of the clip's length away from the anchor
SPREAD_LIMITS = (0.5, 2.0)  # a frame's contrast is scaled toward the anchor's by no more than this
_STATS_STEP = 4  # frame statistics are measured on every 4th row and column


def frame_index(frame: str | int, n_frames: int) -> int:
    """The output frame an anchor stands at: ``"first"`` is 0, ``"last"`` the last, an index is clamped."""
    if frame == "first":
        return 0
    if frame == "last":
        return n_frames - 1
    return min(int(frame), n_frames - 1)


@dataclass(frozen=True)
class Palette:
    """Per-channel mean and spread (standard deviation) of an image's RGB values, on a 0..1 scale."""

    mean: np.ndarray
    spread: np.ndarray

    @classmethod
    def of(cls, image: np.ndarray) -> Palette:
        """The palette of a uint8 (H, W, 3) image."""
        px = image.reshape(-1, 3).astype(np.float32) * np.float32(1 / 255)
        return cls(px.mean(0), px.std(0))


class AnchorPull:
    """The anchors of one edit, placed on its ``n_frames`` output frames; :meth:`apply` pulls a frame."""

    def __init__(self, anchors: Iterable[tuple[int, Palette]], n_frames: int) -> None:
        self.anchors = sorted(anchors, key=lambda a: a[0])
        self.n_frames = n_frames
        self.reach = max(1.0, ANCHOR_REACH * (n_frames - 1))  # in frames

    @classmethod
    def load(cls, images: Iterable[tuple[Path | str, str | int]], n_frames: int) -> AnchorPull:
        """Read each anchor image (its first frame) and place it: ``images`` is ``[(path, frame), ...]``."""
        return cls(
            ((frame_index(pos, n_frames), Palette.of(media.frames(path, n=1)[0])) for path, pos in images),
            n_frames,
        )

    def _weights(self, t: int) -> list[float]:
        return [ANCHOR_PULL * max(0.0, 1.0 - abs(t - i) / self.reach) for i, _ in self.anchors]

    def weight(self, t: int) -> float:
        """How strongly frame ``t`` is pulled (0 beyond every anchor's reach, ANCHOR_PULL at an anchor)."""
        return max(self._weights(t), default=0.0)

    def target(self, t: int) -> Palette | None:
        """The palette frame ``t`` is pulled toward (the anchors' averaged by weight), or None."""
        ws = self._weights(t)
        total = sum(ws)
        if total <= 0:
            return None
        mean = sum((w * p.mean for w, (_, p) in zip(ws, self.anchors, strict=True)), np.zeros(3, np.float32))
        spread = sum(
            (w * p.spread for w, (_, p) in zip(ws, self.anchors, strict=True)), np.zeros(3, np.float32)
        )
        return Palette(mean / total, spread / total)

    def apply(self, x: np.ndarray, t: int) -> None:
        """Pull float32 frame ``x`` (H, W, 3, values 0..1) toward the palette at frame ``t``, in place.

        Per channel: ``x + w * ((x - mean) * ratio + anchor_mean - x)``, where ``ratio`` is the anchor's
        spread over the frame's (within :data:`SPREAD_LIMITS`): an affine map, so the frame's mean moves
        exactly ``w`` of the way to the anchor's (before the final clip to 0..1).
        """
        w = self.weight(t)
        goal = self.target(t)
        if goal is None or w <= 0:
            return
        sample = x[::_STATS_STEP, ::_STATS_STEP].reshape(-1, 3)
        mean, spread = sample.mean(0), sample.std(0)
        ratio = np.clip(goal.spread / np.maximum(spread, 1e-3), *SPREAD_LIMITS)
        scale = 1.0 - w + w * ratio
        shift = w * (goal.mean - mean * ratio)
        for c in range(3):
            x[..., c] *= np.float32(scale[c])
            x[..., c] += np.float32(shift[c])

    def summary(self) -> list[dict[str, Any]]:
        """What ``lumakitLocal`` reports: each anchor's frame and mean colour (0..255), the pull and reach."""
        return [
            {
                "frame": i,
                "meanRGB": [round(float(v) * 255, 1) for v in p.mean],
                "pull": ANCHOR_PULL,
                "reachFrames": round(self.reach, 2),
            }
            for i, p in self.anchors
        ]
