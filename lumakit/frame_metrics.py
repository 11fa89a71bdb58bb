"""How far one frame is from another: SSIM and mean absolute difference, numpy only, cheap per frame.

    ssim(a, b)        # mean SSIM of two images or two stacks (1 = identical)
    frame_mad(a, b)   # mean absolute RGB difference of each frame of two uint8 stacks (0..1)

Frames as uint8 are measured in float32 (SSIM within 1e-4 of float64); float input keeps its precision.
"""

from __future__ import annotations

import numpy as np

from .errors import RequestError

__all__ = ["frame_mad", "ssim", "ssim_map"]

_LUMA = (0.299, 0.587, 0.114)  # BT.601


def _float(a: np.ndarray) -> np.ndarray:
    """``a`` as float32 (integers, float32) or float64 (float64 input keeps its digits)."""
    return a.astype(np.result_type(a.dtype, np.float32), copy=False)


def _luma(rgb: np.ndarray) -> np.ndarray:
    x = _float(rgb)
    return x @ np.asarray(_LUMA, x.dtype)


def _box(a: np.ndarray, win: int) -> np.ndarray:
    """Means over every ``win x win`` window fully inside the image (batched over the leading axes).

    Separable: ``win`` shifted adds along the width, then along the height (no running sums, so float32
    keeps the digits SSIM needs).
    """
    h, w = a.shape[-2:]
    rows = a[..., :, : w - win + 1].copy()
    for k in range(1, win):
        rows += a[..., :, k : w - win + 1 + k]
    out = rows[..., : h - win + 1, :].copy()
    for k in range(1, win):
        out += rows[..., k : h - win + 1 + k, :]
    out *= out.dtype.type(1.0 / (win * win))
    return out


def ssim(a: np.ndarray, b: np.ndarray, *, win: int = 7, data_range: float = 255.0) -> np.ndarray:
    """Mean SSIM (Wang et al. 2004) of two images or two stacks ``(..., H, W[, 3])``.

    RGB input is compared on luma. Uniform ``win x win`` windows with sample covariance, as
    ``skimage.metrics.structural_similarity`` does by default, averaged over the windows that fit.
    Stacks are measured a few frames at a time (what fits a CPU cache is several times faster).
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise RequestError("b", b.shape, f"an array of the same shape as a {a.shape}")
    rgb = a.shape[-1] == 3 and a.ndim >= 3
    lead = a.shape[: -3 if rgb else -2]
    if not lead:
        return ssim_map(a, b, win=win, data_range=data_range).mean(axis=(-2, -1), dtype=np.float64)
    image = a.shape[len(lead) :]
    a, b = a.reshape(-1, *image), b.reshape(-1, *image)
    out = np.empty(len(a), np.float64)
    for i in range(0, len(a), _CHUNK):
        part = ssim_map(a[i : i + _CHUNK], b[i : i + _CHUNK], win=win, data_range=data_range)
        out[i : i + _CHUNK] = part.mean(axis=(-2, -1), dtype=np.float64)
    return out.reshape(lead)


_CHUNK = 4  # frames measured at once


def ssim_map(a: np.ndarray, b: np.ndarray, *, win: int = 7, data_range: float = 255.0) -> np.ndarray:
    """SSIM of every ``win x win`` window that fits, ``(..., H - win + 1, W - win + 1)``."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise RequestError("b", b.shape, f"an array of the same shape as a {a.shape}")
    if a.shape[-1] == 3 and a.ndim >= 3:
        a, b = _luma(a), _luma(b)
    else:
        a, b = _float(a), _float(b)
    if min(a.shape[-2:]) < win:
        raise RequestError("win", win, f"a window no larger than the image {a.shape[-2:]}")
    f = a.dtype.type
    c1, c2 = f((0.01 * data_range) ** 2), f((0.03 * data_range) ** 2)
    ua, ub = _box(a, win), _box(b, win)
    norm = f(win * win / (win * win - 1))
    uaa, ubb, uab = ua * ua, ub * ub, ua * ub
    vaa = (_box(a * a, win) - uaa) * norm
    vbb = (_box(b * b, win) - ubb) * norm
    vab = (_box(a * b, win) - uab) * norm
    return ((2 * uab + c1) * (2 * vab + c2)) / ((uaa + ubb + c1) * (vaa + vbb + c2))


def frame_mad(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean absolute RGB difference (0..1) of each frame of two uint8 stacks ``(T, H, W, 3)``."""
    diff = np.maximum(a, b) - np.minimum(a, b)  # |a - b| in uint8, no widening
    return diff.reshape(len(diff), -1).sum(axis=1, dtype=np.uint64) / (255.0 * diff[0].size)
