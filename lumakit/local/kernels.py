"""The local renderer's numeric kernels: fast blurs, gathers, upsampling and the float-to-byte step.

Pure numpy on float32 frames, written for speed (see each docstring for the trick) and exactness: every
kernel gives the same values as its plain numpy counterpart, so renders stay deterministic.
"""

from __future__ import annotations

import hashlib

import numpy as np

_malloc_tuned = False


def _tune_malloc() -> None:
    """Keep freed frame-sized buffers in the heap (glibc only, once per process).

    Each frame allocates and frees a few dozen frame-sized float arrays. With glibc's defaults they go back
    to the OS and are page-faulted in again every frame, which costs about a third of the render time. Raising
    the mmap threshold to 32 MB and the trim threshold to 128 MB keeps them; the process may hold up to
    128 MB of free heap in return. Elsewhere (macOS, Windows, musl) this does nothing.
    """
    global _malloc_tuned
    if _malloc_tuned:
        return
    _malloc_tuned = True
    try:
        import ctypes
        import sys

        if not sys.platform.startswith("linux"):
            return
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 1024 * 1024)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 128 * 1024 * 1024)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        pass


def _shift_blur(x: np.ndarray, r: int) -> np.ndarray:
    """Box blur as a sum of 2r+1 shifted copies per axis, edges replicated; keeps C order (fast later ops).

    Along rows the shifted copies are added as whole flat arrays (a column slice of a 2-D array is several
    times slower in numpy); the ``r`` columns at each edge, which that wraps onto the neighbouring row, are
    then recomputed. Every pixel sums the same values in the same order as the plain slice version.
    """
    h, w = x.shape[:2]
    acc = x
    rr = min(r, h - 1)
    if rr >= 1:
        src, acc = acc, acc.copy()
        for k in range(1, rr + 1):
            acc[k:] += src[:-k]
            acc[:k] += src[:1]
            acc[:-k] += src[k:]
            acc[-k:] += src[-1:]
        acc *= np.float32(1.0 / (2 * rr + 1))
    rr = min(r, w - 1)
    if rr >= 1:
        src, acc = acc, acc.copy()
        c = src[0, 0].size  # values per pixel
        fa, fs = acc.reshape(-1), src.reshape(-1)
        for k in range(1, rr + 1):
            fa[k * c :] += fs[: -k * c]
            fa[: -k * c] += fs[k * c :]
        for cols in (np.arange(rr), np.arange(max(rr, w - rr), w)):  # the edge columns, done exactly
            strip = src[:, cols]
            for k in range(1, rr + 1):
                strip += src[:, np.maximum(cols - k, 0)]
                strip += src[:, np.minimum(cols + k, w - 1)]
            acc[:, cols] = strip
        acc *= np.float32(1.0 / (2 * rr + 1))
    return acc


def _mul_planes(y: np.ndarray, m: np.ndarray) -> None:
    """``y *= m[..., None]`` for (H, W, 3) ``y`` and (H, W) ``m``, a channel at a time (several x faster)."""
    for c in range(y.shape[2]):
        y[..., c] *= m


def _take_rgb(img: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``img.reshape(-1, 3)[idx]`` shaped ``idx.shape + (3,)``: whole pixels gathered as 12-byte items."""
    return _take_pixels(img, idx)


def _gather2d(img: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``img[rows][:, cols]`` as a C-contiguous array, gathering whole pixels in one pass.

    (Chained fancy indexing returns a column-major result, which makes every later full-frame op several
    times slower.)
    """
    w = img.shape[1]
    idx = (np.asarray(rows, np.intp)[:, None] * w + np.asarray(cols, np.intp)[None, :]).reshape(-1)
    return _take_pixels(img, idx).reshape(len(rows), len(cols), *img.shape[2:])


def _take_pixels(img: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``img.reshape(h * w, ...)[idx]`` for any dtype, pixels moved as opaque items."""
    px = img.shape[2:]
    item = img.dtype.itemsize * int(np.prod(px, dtype=np.intp))
    flat = np.ascontiguousarray(img).view(np.dtype((np.void, item))).reshape(-1)
    return np.take(flat, idx).view(img.dtype).reshape(*idx.shape, *px)


def _box_blur_small(x: np.ndarray, r: int) -> tuple[np.ndarray, int]:
    """The subsampled blur :func:`box_blur` repeats back up for ``r > 2``, and its factor."""
    f = 2 if r <= 8 else 4
    return _shift_blur(np.ascontiguousarray(x[::f, ::f]), max(1, round(r / f))), f


def box_blur(x: np.ndarray, r: int) -> np.ndarray:
    """Box blur of radius ``r`` (edges replicated) on float32 (H, W) or (H, W, C).

    Radii above 2 blur a 2x (above 8: 4x) subsampled copy and repeat it back up: same look, a fraction of
    the cost.
    """
    if r < 1:
        return x
    if r <= 2:
        return _shift_blur(x, r)
    h, w = x.shape[:2]
    small, f = _box_blur_small(x, r)
    return upsample(small, f, h, w)


def upsample(small: np.ndarray, f: int, h: int, w: int) -> np.ndarray:
    """Repeat each pixel of (h', w'[, C]) ``small`` into an ``f`` x ``f`` block, cropped to (h, w).

    Same values as ``np.repeat(np.repeat(small, f, 0), f, 1)[:h, :w]``, about twice as fast: pixels are
    repeated along the row as opaque items, then each row is copied ``f`` times.
    """
    small = np.ascontiguousarray(small)
    hs, ws = small.shape[:2]
    px = small.shape[2:]
    item = small.dtype.itemsize * int(np.prod(px, dtype=np.intp))
    wide = np.repeat(small.view(np.dtype((np.void, item))).reshape(hs, ws), f, axis=1)
    out = np.empty((hs, f, ws * f * item), np.uint8)
    out[...] = wide.view(np.uint8).reshape(hs, 1, ws * f * item)
    out = out.view(small.dtype).reshape(hs * f, ws * f, *px)
    return out if (hs * f, ws * f) == (h, w) else out[:h, :w]


def _seed(*parts: object) -> int:
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _reflect(i: np.ndarray, n: int) -> np.ndarray:
    """Mirror indices into [0, n): ... 2 1 0 | 0 1 2 ... n-1 | n-1 n-2 ..."""
    m = np.mod(i, 2 * n)
    return np.where(m < n, m, 2 * n - 1 - m).astype(np.intp)


def _to_u8(x: np.ndarray) -> np.ndarray:
    """Float [0, 1] -> uint8, rounding; ``x`` (a temporary) is overwritten."""
    np.clip(x, 0.0, 1.0, out=x)
    x *= np.float32(255.0)
    x += np.float32(0.5)
    return x.astype(np.uint8)


def _ellipse(h: int, w: int, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    yy = (np.arange(h, dtype=np.float32)[:, None] - cy) / max(ry, 1.0)
    xx = (np.arange(w, dtype=np.float32)[None, :] - cx) / max(rx, 1.0)
    d = np.sqrt(xx * xx + yy * yy)
    return np.clip((1.15 - d) / 0.3, 0.0, 1.0).astype(np.float32)
