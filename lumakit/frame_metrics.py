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


def _window_sums(a: np.ndarray, win: int) -> np.ndarray:
    """Sums over ``win x win`` windows, ``(..., H - win + 1, W)``: the first ``W - win + 1`` columns are the
    windows fully inside the image; the last ``win - 1`` wrap to the next row and mean nothing.

    Separable, by ``win`` shifted adds (no running sums, so float32 keeps the digits SSIM needs) over the
    image flattened row after row, so every add runs over one contiguous block.
    """
    a = np.ascontiguousarray(a)
    h, w = a.shape[-2:]
    flat = a.reshape(*a.shape[:-2], h * w)
    n = h * w - win + 1
    rows = np.zeros_like(flat)
    np.add(flat[..., :n], flat[..., 1 : n + 1], out=rows[..., :n])
    for k in range(2, win):
        rows[..., :n] += flat[..., k : n + k]
    rows = rows.reshape(a.shape)
    hh = h - win + 1
    out = np.add(rows[..., :hh, :], rows[..., 1 : hh + 1, :])
    for k in range(2, win):
        out += rows[..., k : hh + k, :]
    return out


def ssim(a: np.ndarray, b: np.ndarray, *, win: int = 7, data_range: float = 255.0) -> np.ndarray:
    """Mean SSIM (Wang et al. 2004) of two images or two stacks ``(..., H, W[, 3])``.

    RGB input is compared on luma. Uniform ``win x win`` windows with sample covariance, as
    ``skimage.metrics.structural_similarity`` does by default, averaged over the windows that fit.
    Stacks are measured one frame at a time (what stays in a CPU cache is faster than a batch).
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
    for i in range(len(a)):
        out[i] = ssim_map(a[i], b[i], win=win, data_range=data_range).mean(dtype=np.float64)
    return out.reshape(lead)


def ssim_map(a: np.ndarray, b: np.ndarray, *, win: int = 7, data_range: float = 255.0) -> np.ndarray:
    """SSIM of every ``win x win`` window that fits, ``(..., H - win + 1, W - win + 1)``.

    From four window sums (``a``, ``b``, ``a*b``, ``a*a + b*b``: the variances only appear as a sum),
    computed in place: means are ``S / n``, sample (co)variances ``(S_xy - S_x S_y / n) / (n - 1)``.
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise RequestError("b", b.shape, f"an array of the same shape as a {a.shape}")
    if a.shape[-1] == 3 and a.ndim >= 3:
        a, b = _luma(a), _luma(b)
    else:
        a, b = (x.astype(np.result_type(x.dtype, np.float32)) for x in (a, b))  # copies: squared below
    if min(a.shape[-2:]) < win:
        raise RequestError("win", win, f"a window no larger than the image {a.shape[-2:]}")
    f = a.dtype.type
    n = f(win * win)
    c1, c2 = f((0.01 * data_range) ** 2), f((0.03 * data_range) ** 2)
    sa, sb, sab = _window_sums(a, win), _window_sums(b, win), _window_sums(a * b, win)
    a *= a
    b *= b
    a += b
    sq = _window_sums(a, win)  # sum of a*a + b*b
    num = sa * sb  # 2 * mean_a * mean_b = 2 * sa * sb / n^2
    sa *= sa
    sb *= sb
    sa += sb  # sa^2 + sb^2
    sab -= num / n  # (n - 1) * cov(a, b)
    sab *= f(2 / (n - 1))
    sab += c2  # 2 cov + c2
    sq -= sa / n  # (n - 1) * (var a + var b)
    sq *= f(1 / (n - 1))
    sq += c2  # var a + var b + c2
    num *= f(2 / (n * n))
    num += c1  # 2 mean_a mean_b + c1
    sa *= f(1 / (n * n))
    sa += c1  # mean_a^2 + mean_b^2 + c1
    num *= sab
    sa *= sq
    num /= sa
    return num[..., : a.shape[-1] - win + 1]


def frame_mad(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean absolute RGB difference (0..1) of each frame of two uint8 stacks ``(T, H, W, 3)``."""
    diff = np.maximum(a, b) - np.minimum(a, b)  # |a - b| in uint8, no widening
    return diff.reshape(len(diff), -1).sum(axis=1, dtype=np.uint64) / (255.0 * diff[0].size)
