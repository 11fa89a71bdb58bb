"""Deterministic synthetic sample clips for lumakit's notebooks and tests.

Run ``python assets/make_assets.py [--out DIR]`` to (re)write, into ``assets/`` by default:

- ``dolphin.mp4``: a grey dolphin leaping in an arc over a sparkling sea under a sky gradient.
- ``violinist.mp4``: a violinist on a stage, the bow sawing back and forth across the violin.
- ``street.mp4``: a street (buildings with windows, a road with lane markings) seen from a camera trucking
  sideways, with parallax (far skyline slow, facades faster, lamp posts fastest) and a passing car.
- ``face.mp4``: a head and shoulders, centred, turning slightly, bobbing, blinking and talking.
- ``frame.png`` / ``frame_last.png``: a lighthouse on a cliff at dawn / the same scene at dusk.

Clips are 640x360 (16:9), 24 fps, 3.5 s, H.264 yuv420p MP4 with ``+faststart`` and no audio, each under 1 MB.
Everything is drawn with vectorised numpy (anti-aliased signed-distance shapes), every random choice comes
from a fixed seed, and the same call returns the same pixels: ``dolphin()`` is a ``(T, H, W, 3)`` uint8
array.
Encoding uses the ffmpeg binary shipped with ``imageio-ffmpeg``.
"""

from __future__ import annotations

import argparse
import math
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 24, 3.5
SEED = 3_2_2025
_BW, _BH = 640.0, 360.0  # scene units: every scene is drawn in 640x360 coordinates, then scaled to the canvas

Color = tuple[float, float, float]
Sdf = Callable[[np.ndarray, np.ndarray], np.ndarray]


# ----------------------------------------------------------------------------------------------------
# Drawing primitives: a shape is (bbox, sdf) in scene units; the sdf is negative inside.
# ----------------------------------------------------------------------------------------------------
class Shape:
    """A signed-distance shape with a bounding box ``(x0, y0, x1, y1)`` in scene units."""

    def __init__(self, bbox: tuple[float, float, float, float], sdf: Sdf):
        self.bbox, self.sdf = bbox, sdf

    def __or__(self, other: Shape) -> Shape:
        a, b = self.bbox, other.bbox
        box = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
        return Shape(box, lambda x, y: np.minimum(self.sdf(x, y), other.sdf(x, y)))

    def __and__(self, other: Shape) -> Shape:
        a, b = self.bbox, other.bbox
        box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
        return Shape(box, lambda x, y: np.maximum(self.sdf(x, y), other.sdf(x, y)))

    def __sub__(self, other: Shape) -> Shape:
        return Shape(self.bbox, lambda x, y: np.maximum(self.sdf(x, y), -other.sdf(x, y)))


def circle(cx: float, cy: float, r: float) -> Shape:
    return Shape((cx - r, cy - r, cx + r, cy + r), lambda x, y: np.hypot(x - cx, y - cy) - r)


def ellipse(cx: float, cy: float, rx: float, ry: float, angle: float = 0.0) -> Shape:
    c, s = math.cos(angle), math.sin(angle)
    ex, ey = math.hypot(rx * c, ry * s), math.hypot(rx * s, ry * c)
    m = min(rx, ry)

    def sdf(x, y):
        u, v = (x - cx) * c + (y - cy) * s, -(x - cx) * s + (y - cy) * c
        return (np.hypot(u / rx, v / ry) - 1.0) * m

    return Shape((cx - ex, cy - ey, cx + ex, cy + ey), sdf)


def capsule(ax: float, ay: float, bx: float, by: float, ra: float, rb: float | None = None) -> Shape:
    """A segment from a to b, radius ``ra`` at a tapering linearly to ``rb`` at b."""
    rb = ra if rb is None else rb
    dx, dy = bx - ax, by - ay
    dd = dx * dx + dy * dy or 1e-9
    r = max(ra, rb)

    def sdf(x, y):
        h = np.clip(((x - ax) * dx + (y - ay) * dy) / dd, 0.0, 1.0)
        return np.hypot(x - ax - h * dx, y - ay - h * dy) - (ra + h * (rb - ra))

    return Shape((min(ax, bx) - r, min(ay, by) - r, max(ax, bx) + r, max(ay, by) + r), sdf)


def box(cx: float, cy: float, hw: float, hh: float, angle: float = 0.0, radius: float = 0.0) -> Shape:
    c, s = math.cos(angle), math.sin(angle)
    ex, ey = abs(hw * c) + abs(hh * s), abs(hw * s) + abs(hh * c)

    def sdf(x, y):
        u, v = (x - cx) * c + (y - cy) * s, -(x - cx) * s + (y - cy) * c
        qx, qy = np.abs(u) - (hw - radius), np.abs(v) - (hh - radius)
        out = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
        return out + np.minimum(np.maximum(qx, qy), 0) - radius

    return Shape((cx - ex, cy - ey, cx + ex, cy + ey), sdf)


def polygon(points: list[tuple[float, float]]) -> Shape:
    """A convex polygon (either winding)."""
    pts = np.asarray(points, dtype=np.float64)
    area = np.sum(pts[:, 0] * np.roll(pts[:, 1], -1) - np.roll(pts[:, 0], -1) * pts[:, 1])
    sign = 1.0 if area > 0 else -1.0
    edges = []
    for (x0, y0), (x1, y1) in zip(pts, np.roll(pts, -1, axis=0), strict=True):
        nx, ny = -(y1 - y0) * sign, (x1 - x0) * sign  # inward normal
        n = math.hypot(nx, ny) or 1e-9
        edges.append((x0, y0, nx / n, ny / n))

    def sdf(x, y):
        d = None
        for x0, y0, nx, ny in edges:
            e = -((x - x0) * nx + (y - y0) * ny)
            d = e if d is None else np.maximum(d, e)
        return d

    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return Shape((lo[0], lo[1], hi[0], hi[1]), sdf)


class Canvas:
    """A float RGB image in [0, 1] addressed in scene units (640x360) whatever its pixel size."""

    def __init__(self, width: int, height: int, background: np.ndarray):
        self.w, self.h = width, height
        self.s = width / _BW
        self.img = np.array(np.broadcast_to(background, (height, width, 3)), dtype=np.float32)
        self.x = ((np.arange(width, dtype=np.float32) + 0.5) / self.s)[None, :]
        self.y = ((np.arange(height, dtype=np.float32) + 0.5) / (height / _BH))[:, None]

    def _window(self, bbox, pad=2.0):
        x0, y0, x1, y1 = bbox
        i0 = max((math.floor((x0 - pad) * self.s)), 0)
        i1 = min((math.ceil((x1 + pad) * self.s)), self.w)
        sy = self.h / _BH
        j0 = max((math.floor((y0 - pad) * sy)), 0)
        j1 = min((math.ceil((y1 + pad) * sy)), self.h)
        return slice(j0, j1), slice(i0, i1), i1 > i0 and j1 > j0

    def fill(self, shape: Shape, color, alpha: float = 1.0, soft: float = 1.0) -> None:
        """Paint ``shape`` in ``color`` (RGB or ``f(x, y) -> (h, w, 3)``); ``soft``: edge width in pixels."""
        if alpha <= 0:
            return
        pad = 2.0 + soft / self.s
        ys, xs, ok = self._window(shape.bbox, pad)
        if not ok:
            return
        x, y = self.x[:, xs], self.y[ys, :]
        cov = np.clip(0.5 - shape.sdf(x, y) * self.s / soft, 0.0, 1.0) * alpha
        col = color(x, y) if callable(color) else np.asarray(color, dtype=np.float32)
        region = self.img[ys, xs]
        region += (col - region) * cov[..., None]

    def uint8(self) -> np.ndarray:
        return (np.clip(self.img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def vgradient(width: int, height: int, stops: list[tuple[float, Color]]) -> np.ndarray:
    """A vertical gradient (H, 1, 3) through ``(y_scene, color)`` stops."""
    y = (np.arange(height, dtype=np.float32) + 0.5) / (height / _BH)
    pos = [p for p, _ in stops]
    return np.stack([np.interp(y, pos, [c[k] for _, c in stops]) for k in range(3)], axis=-1)[
        :, None, :
    ].astype(np.float32)


def mix(a: Color, b: Color, k: float) -> Color:
    return tuple(float(p + (q - p) * k) for p, q in zip(a, b, strict=True))  # type: ignore[return-value]


def _clip(
    render: Callable[[Canvas, float], None], background, width, height, seconds, fps, indices
) -> np.ndarray:
    n = round(seconds * fps)
    idx = range(n) if indices is None else [int(i) for i in indices]
    bad = [i for i in idx if not 0 <= i < n]
    if bad:
        raise ValueError(
            f"indices: frame(s) {bad} out of range; allowed 0..{n - 1} ({seconds} s at {fps} fps)"
        )
    out = np.empty((len(idx), height, width, 3), dtype=np.uint8)
    for k, i in enumerate(idx):
        c = Canvas(width, height, background)
        render(c, i / fps)
        out[k] = c.uint8()
    return out


def _two_link(sx, sy, hx, hy, l1, l2, bend: float) -> tuple[float, float]:
    """Elbow of a two-segment arm from shoulder to hand; ``bend`` = +1/-1 picks the side."""
    dx, dy = hx - sx, hy - sy
    d = min(max(math.hypot(dx, dy), 1e-6), l1 + l2 - 1e-6)
    a = (l1 * l1 - l2 * l2 + d * d) / (2 * d)
    h = math.sqrt(max(l1 * l1 - a * a, 0.0))
    ux, uy = dx / d, dy / d
    return sx + a * ux - bend * h * uy, sy + a * uy + bend * h * ux


# ----------------------------------------------------------------------------------------------------
# dolphin.mp4
# ----------------------------------------------------------------------------------------------------
_HORIZON, _SURFACE = 172.0, 262.0  # sea horizon; the line where the dolphin leaves and re-enters the water
_SUN_X = 470.0


def _dolphin_path(u):
    """Parabolic leap: u=0 leaves the water at x=110, u=1 re-enters at x=530, peak 150 px above it."""
    return 110.0 + 420.0 * u, _SURFACE - 600.0 * u * (1.0 - u)


def dolphin(
    width: int = WIDTH, height: int = HEIGHT, seconds: float = SECONDS, fps: int = FPS, *, indices=None
) -> np.ndarray:
    """A grey dolphin leaping in an arc over a blue, sparkling sea: ``(T, H, W, 3)`` uint8."""
    rng = np.random.default_rng(SEED + 1)
    n_drops = 70
    drop_v = np.stack([rng.uniform(-70, 70, n_drops), rng.uniform(-230, -90, n_drops)], axis=1)
    drop_r = rng.uniform(1.0, 2.6, n_drops)
    drop_dx = rng.uniform(-14, 14, n_drops)
    clouds = [(rng.uniform(0, 640), rng.uniform(30, 110), rng.uniform(50, 90)) for _ in range(4)]
    sky = vgradient(
        width, height, [(0, (0.30, 0.55, 0.88)), (120, (0.55, 0.75, 0.95)), (_HORIZON, (0.86, 0.92, 0.97))]
    )
    bg = np.repeat(sky, width, axis=1)
    c0 = Canvas(width, height, bg)
    c0.fill(circle(_SUN_X, 55, 60), (1.0, 0.98, 0.85), alpha=0.35, soft=60 * c0.s)
    c0.fill(circle(_SUN_X, 55, 18), (1.0, 0.99, 0.90))
    bg = c0.img
    # sea coordinates: perspective depth z in (0, 1] below the horizon
    y = c0.y
    x = c0.x
    z = np.clip((y - _HORIZON) / (_BH - _HORIZON), 1e-3, 1.0)
    xw, zw = (x - 320.0) / z, 1.0 / z
    fade = np.clip(z * 4.0, 0.0, 1.0)
    sea_top, sea_deep = np.array((0.25, 0.55, 0.75), np.float32), np.array((0.03, 0.20, 0.42), np.float32)
    sea_base = sea_top + (sea_deep - sea_top) * np.sqrt(z)[..., None]
    column = np.exp(-(((x - _SUN_X) / (40.0 + 160.0 * z)) ** 2))
    rows = slice((math.ceil(_HORIZON * height / _BH - 0.5)), height)
    body_len = 118.0
    s_prof = np.linspace(0.0, 1.0, 25)
    # beak, rounded melon, thick body, slim tail stock
    r_prof = np.interp(
        s_prof,
        [0, 0.04, 0.085, 0.125, 0.2, 0.38, 0.6, 0.8, 0.92, 1.0],
        [2.5, 3.4, 4.2, 10, 13, 15.5, 13, 7, 4, 3],
    )

    def render(c: Canvas, t: float) -> None:
        # --- sea: perspective waves, glints, a sparkling sun column
        w = (
            0.5 * np.sin(0.045 * xw + 5.0 * zw - 2.2 * t)
            + 0.3 * np.sin(0.027 * xw - 8.0 * zw + 1.5 * t + 1.0)
            + 0.2 * np.sin(0.09 * xw + 13.0 * zw - 3.1 * t + 2.0)
        ) * fade
        spark = np.sin(0.31 * xw + 21.0 * zw + 5.0 * t) * np.sin(0.23 * xw - 17.0 * zw - 4.2 * t + 0.5)
        glint = np.clip((w - 0.55) * 2.5, 0, 1) * (0.25 + 0.75 * column) + np.clip(
            spark - 0.88, 0, 1
        ) * 6.0 * (0.3 + 0.7 * column)
        sea = sea_base * (1.0 + 0.16 * w)[..., None] + np.clip(glint, 0, 1)[..., None] * 0.75
        c.img[rows] = sea[rows]
        # --- dolphin: a tapered body following its own arc, dorsal fin, flukes, belly, eye
        u = 0.05 + 1.0 * t / seconds
        us = np.linspace(u - 0.6, u, 400)
        px, py = _dolphin_path(us)
        seg = np.hypot(np.diff(px), np.diff(py))
        back = np.concatenate([[0.0], np.cumsum(seg[::-1])])  # arclength measured back from the head
        sx = np.interp(s_prof * body_len, back, px[::-1])
        sy = np.interp(s_prof * body_len, back, py[::-1])
        tx, ty = np.gradient(-sx), np.gradient(-sy)
        tn = np.hypot(tx, ty)
        tx, ty = tx / tn, ty / tn
        nx, ny = ty, -tx  # dorsal side
        above = Shape((0, 0, _BW, _SURFACE + 2), lambda x, y: y - (_SURFACE + 1.5 * np.sin(0.08 * x + 3 * t)))
        body = None
        for i in range(len(sx) - 1):
            seg_shape = capsule(sx[i], sy[i], sx[i + 1], sy[i + 1], r_prof[i], r_prof[i + 1])
            body = seg_shape if body is None else body | seg_shape
        k = 10  # a curved (falcate) dorsal fin, swept towards the tail

        def dorsal(i, h):
            return sx[i] + nx[i] * (r_prof[i] + h), sy[i] + ny[i] * (r_prof[i] + h)

        fin = capsule(*dorsal(k, -4), *dorsal(k + 3, 8), 7.0, 3.0) | capsule(
            *dorsal(k + 3, 8), *dorsal(k + 6, 14), 3.0, 0.8
        )
        ex, ey = sx[-1], sy[-1]
        flukes = None
        for side in (1.0, -1.0):
            ang = math.atan2(-ty[-1], -tx[-1]) + side * 1.05
            f = capsule(ex, ey, ex + 20 * math.cos(ang), ey + 20 * math.sin(ang), 5.0, 1.5)
            flukes = f if flukes is None else flukes | f
        grey = (0.36, 0.40, 0.46)
        c.fill((body | fin | flukes) & above, grey)
        belly = None
        for i in range(1, len(sx) - 5):
            o = 0.6 * r_prof[i]
            b = circle(sx[i] - nx[i] * o, sy[i] - ny[i] * o, 0.62 * r_prof[i])
            belly = b if belly is None else belly | b
        c.fill(belly & body & above, (0.78, 0.80, 0.84), soft=2.5)
        pec = ellipse(
            sx[6] - nx[6] * 10 - tx[6] * 7,
            sy[6] - ny[6] * 10 - ty[6] * 7,
            9,
            3.5,
            math.atan2(ty[6], tx[6]) + 0.4,
        )
        c.fill(pec & above, (0.30, 0.33, 0.38))
        c.fill(circle(sx[3] + nx[3] * 1.5, sy[3] + ny[3] * 1.5, 1.8) & above, (0.05, 0.05, 0.08))
        c.fill(capsule(sx[0], sy[0], sx[2], sy[2], 0.6) & above, (0.2, 0.22, 0.26))  # mouth line
        # --- splashes where the dolphin leaves (just before t=0) and re-enters the water
        for u_cross, x_cross in ((0.0, 110.0), (1.0, 530.0)):
            t_cross = (u_cross - 0.05) * seconds
            dt = t - t_cross
            if 0.0 <= dt < 1.3:
                ring_r = 12 + 70 * dt
                ring = ellipse(x_cross, _SURFACE + 3, ring_r, ring_r * 0.18)
                c.fill(
                    Shape(ring.bbox, lambda x, y, ring=ring: np.abs(ring.sdf(x, y)) - 1.2),
                    (0.9, 0.95, 1.0),
                    alpha=0.7 * (1 - dt / 1.3),
                )
            if 0.0 <= dt < 1.1:
                pxs = x_cross + drop_dx + drop_v[:, 0] * dt
                pys = _SURFACE + drop_v[:, 1] * dt + 0.5 * 420.0 * dt * dt
                for j in np.nonzero(pys < _SURFACE + 2)[0]:
                    c.fill(circle(pxs[j], pys[j], drop_r[j]), (0.95, 0.97, 1.0), alpha=0.9)
        # --- a few slow clouds
        for cx, cy, r in clouds:
            xx = (cx + 6.0 * t) % 760 - 60
            c.fill(ellipse(xx, cy, r, r * 0.28), (1.0, 1.0, 1.0), alpha=0.55, soft=10 * c.s)

    return _clip(render, bg, width, height, seconds, fps, indices)


# ----------------------------------------------------------------------------------------------------
# violinist.mp4
# ----------------------------------------------------------------------------------------------------
_FLOOR = 250.0


def violinist(
    width: int = WIDTH, height: int = HEIGHT, seconds: float = SECONDS, fps: int = FPS, *, indices=None
) -> np.ndarray:
    """A violinist on a stage, bowing back and forth across the violin: ``(T, H, W, 3)`` uint8."""
    rng = np.random.default_rng(SEED + 2)
    motes = rng.uniform((230, 20, 0), (410, 250, 2 * math.pi), (18, 3))
    c0 = Canvas(width, height, np.zeros(3, np.float32))
    x, y = c0.x, c0.y
    folds = 0.5 + 0.5 * np.cos(2 * math.pi * x / 34.0 + 0.6 * np.sin(x / 47.0))
    curtain = np.array((0.55, 0.06, 0.09), np.float32) * (0.35 + 0.65 * folds**1.5)[..., None]
    curtain = np.broadcast_to(curtain, (height, width, 3))
    a = (x - 320.0) / np.maximum(y - 120.0, 1.0)
    planks = np.abs(((a * 7.0) % 1.0) - 0.5)
    wood = np.array((0.45, 0.28, 0.14), np.float32) * (0.75 + 0.25 * np.clip(planks * 8, 0, 1))[..., None]
    img = np.where((y < _FLOOR)[..., None], curtain, wood)
    spot = 0.30 + 1.05 * np.exp(-(((x - 320) / 150.0) ** 2) - ((y - 200) / 230.0) ** 2)
    floor_spot = np.exp(-(((x - 320) / 150.0) ** 2) - ((y - 305) / 32.0) ** 2) * (y > _FLOOR)
    img = img * spot[..., None] + 0.35 * floor_spot[..., None] * np.array((1.0, 0.9, 0.7), np.float32)
    c0.img[:] = img
    c0.fill(box(320, 8, 330, 14), (0.35, 0.03, 0.05))  # valance
    for i in range(12):
        c0.fill(ellipse(i * 58 + 29, 22, 31, 9), (0.35, 0.03, 0.05))
    c0.fill(box(320, _FLOOR, 330, 1.2), (0.25, 0.15, 0.08))  # stage edge
    # music stand with a sheet of music (static)
    c0.fill(capsule(148, 335, 148, 215, 2.0), (0.12, 0.12, 0.13))
    c0.fill(capsule(148, 335, 128, 346, 1.6) | capsule(148, 335, 168, 346, 1.6), (0.12, 0.12, 0.13))
    c0.fill(box(148, 200, 30, 20, -0.12, 2), (0.15, 0.15, 0.16))
    c0.fill(box(148, 198, 26, 17, -0.12, 1), (0.93, 0.92, 0.86))
    for k in range(5):
        yy = 188 + k * 5.0
        c0.fill(capsule(127, yy + 2.6, 169, yy - 2.6, 0.35), (0.35, 0.35, 0.35))
    bg = c0.img.copy()
    skin, suit, shirt = (0.90, 0.72, 0.58), (0.07, 0.07, 0.09), (0.95, 0.95, 0.95)
    hair = (0.22, 0.14, 0.08)
    wood_v, dark = (0.62, 0.30, 0.10), (0.05, 0.03, 0.02)
    period = 1.6

    def render(c: Canvas, t: float) -> None:
        phase = 2 * math.pi * t / period
        sway = 3.0 * math.sin(phase + 0.4)
        # legs and shoes
        for hx, fx in ((308, 302), (333, 340)):
            c.fill(capsule(hx, 262, fx, 338, 10.5, 9.0), suit)
            c.fill(ellipse(fx + (fx - 320) * 0.3, 343, 13, 5.5), (0.02, 0.02, 0.02))
        ox = 320 + sway
        nsx = ox
        # torso (jacket), shirt V and bow tie
        c.fill(polygon([(ox - 36, 152), (ox + 36, 152), (ox + 22, 268), (ox - 22, 268)]), suit, soft=1.2)
        c.fill(circle(ox - 33, 158, 9) | circle(ox + 33, 158, 9), suit)
        c.fill(polygon([(ox - 10, 148), (ox + 10, 148), (ox, 190)]), shirt)
        c.fill(
            polygon([(ox - 7, 150), (ox, 154), (ox - 7, 158)])
            | polygon([(ox + 7, 150), (ox, 154), (ox + 7, 158)]),
            dark,
        )
        # neck and head, tilted towards the violin
        c.fill(capsule(nsx, 152, nsx + 2, 132, 7.5), mix(skin, (0, 0, 0), 0.12))
        hx, hy = ox + 5 + 1.5 * math.sin(phase), 116.0 + 1.2 * math.sin(2 * phase)
        c.fill(ellipse(hx - 2, hy - 6, 23, 21), hair)
        c.fill(ellipse(hx, hy, 20, 24, 0.18), skin)
        c.fill(ellipse(hx - 3, hy - 17, 20, 10, 0.25), hair)
        for ex in (-8, 7):
            c.fill(
                capsule(hx + ex - 3, hy - 2 + ex * 0.18, hx + ex + 3, hy - 1 + ex * 0.18, 1.0),
                (0.15, 0.08, 0.05),
            )
        c.fill(capsule(hx - 4, hy + 12, hx + 4, hy + 13.5, 1.1), (0.6, 0.25, 0.25))
        # violin under the chin, neck pointing to the player's left (our right) and down
        va = math.radians(22) + 0.02 * math.sin(phase)
        dvx, dvy = math.cos(va), math.sin(va)
        vx0, vy0 = ox + 30, 146.0

        def vp(uu, vv):
            return vx0 + uu * dvx - vv * dvy, vy0 + uu * dvy + vv * dvx

        g = 1.3  # violin scale
        lower = ellipse(*vp(0, 0), 16 * g, 14.5 * g, va)
        upper = ellipse(*vp(25 * g, 0), 12.5 * g, 11.5 * g, va)
        waist = ellipse(*vp(12.5 * g, 0), 6 * g, 9 * g, va)
        c.fill(lower | upper | waist, wood_v)
        c.fill(ellipse(*vp(6 * g, -4 * g), 9 * g, 5 * g, va), (0.80, 0.45, 0.18), alpha=0.6, soft=3)
        for side in (-1, 1):  # f-holes
            c.fill(capsule(*vp(4 * g, side * 7 * g), *vp(12 * g, side * 6 * g), 0.9), dark)
        c.fill(capsule(*vp(14 * g, 0), *vp(70 * g, 0), 2.8), dark)  # fingerboard
        c.fill(circle(*vp(73 * g, 0), 4.8), wood_v)  # scroll
        c.fill(capsule(*vp(-10 * g, 0), *vp(66 * g, 0), 0.5), (0.85, 0.85, 0.8))  # strings
        c.fill(box(*vp(6 * g, 0), 1.3, 7.5, va), (0.9, 0.8, 0.6))  # bridge
        # left arm (player's left, our right): shoulder to the violin's neck
        lsx, lsy = ox + 34, 158.0
        lhx, lhy = vp(60 * g, 4)
        lex, ley = _two_link(lsx, lsy, lhx, lhy, 38, 40, -1)
        c.fill(capsule(lsx, lsy, lex, ley, 8.0, 7.0) | capsule(lex, ley, lhx, lhy, 7.0, 5.5), suit)
        c.fill(circle(lhx, lhy - 1, 5.5), skin)
        # the bow: contact point at the bridge; moves along its own axis, frog in the right hand
        ba = math.radians(157)
        bdx, bdy = math.cos(ba), math.sin(ba)
        cx_, cy_ = vp(10 * g, 0)
        s_frog = 30 + 100 * (0.5 + 0.5 * math.sin(phase))
        fx_, fy_ = cx_ + s_frog * bdx, cy_ + s_frog * bdy
        tx_, ty_ = cx_ - (165 - s_frog) * bdx, cy_ - (165 - s_frog) * bdy
        c.fill(capsule(fx_, fy_, tx_, ty_, 1.3), (0.35, 0.18, 0.06))
        c.fill(
            capsule(fx_ + 2.5 * bdy, fy_ - 2.5 * bdx + 3, tx_ + 1.5 * bdy, ty_ - 1.5 * bdx + 1, 0.8),
            (0.95, 0.93, 0.85),
        )
        c.fill(box(fx_, fy_ + 2, 4, 3, ba), dark)
        # right arm (our left): shoulder to the frog
        rsx, rsy = ox - 34, 158.0
        rex, rey = _two_link(rsx, rsy, fx_, fy_, 42, 42, -1)
        c.fill(capsule(rsx, rsy, rex, rey, 8.5, 7.0) | capsule(rex, rey, fx_, fy_ + 4, 7.0, 5.5), suit)
        c.fill(circle(fx_, fy_ + 4, 5.8), skin)
        # dust motes drifting in the spotlight
        for mx, my, mp in motes:
            yy = (my - 12.0 * t) % 240 + 15
            c.fill(circle(mx + 6 * math.sin(t + mp), yy, 1.1), (1.0, 0.95, 0.8), alpha=0.45, soft=1.5)

    return _clip(render, bg, width, height, seconds, fps, indices)


# ----------------------------------------------------------------------------------------------------
# street.mp4
# ----------------------------------------------------------------------------------------------------
_SIDEWALK, _ROAD_TOP, _ROAD_BOTTOM = 246.0, 262.0, 338.0
_CAM_SPEED = 120.0  # scene px/s for the nearest ground layer (factor 1)


def _ground_factor(y):
    """Parallax factor of the ground plane at screen row y: far (top) rows move slower than near rows."""
    return 0.55 + 0.75 * (y - _SIDEWALK) / (_BH - _SIDEWALK)


def street(
    width: int = WIDTH, height: int = HEIGHT, seconds: float = SECONDS, fps: int = FPS, *, indices=None
) -> np.ndarray:
    """A street seen from a camera trucking right, with parallax and a car: ``(T, H, W, 3)`` uint8."""
    rng = np.random.default_rng(SEED + 3)
    # far skyline (factor 0.15) as a step height field in world x
    sky_w = rng.uniform(18, 46, 60)
    sky_edges = np.concatenate([[-200.0], -200.0 + np.cumsum(sky_w)])
    sky_tops = rng.uniform(95, 175, 60)
    # facades across the street (factor 0.55)
    palette = [
        (0.66, 0.30, 0.22),
        (0.86, 0.78, 0.62),
        (0.55, 0.57, 0.60),
        (0.30, 0.50, 0.52),
        (0.80, 0.62, 0.30),
    ]
    buildings, xw = [], -120.0
    while xw < 1100:
        bw = float(rng.uniform(80, 150))
        top = float(rng.uniform(50, 150))
        col = palette[int(rng.integers(len(palette)))]
        lit = rng.random((20, 12)) < 0.3
        buildings.append((xw, bw, top, col, lit))
        xw += bw + float(rng.uniform(0, 8))
    bg = np.repeat(
        vgradient(width, height, [(0, (0.42, 0.63, 0.90)), (200, (0.88, 0.90, 0.88))]), width, axis=1
    )
    c0 = Canvas(width, height, bg)
    x, y = c0.x, c0.y
    gf = _ground_factor(np.maximum(y, _SIDEWALK))
    lanes_y = (_ROAD_TOP + _ROAD_BOTTOM) / 2
    asphalt = (0.23, 0.23, 0.25)
    noise = rng.random((64, 256)).astype(np.float32)
    ny_idx = (np.arange(height) * 64 // height)[:, None]

    def render(c: Canvas, t: float) -> None:
        cam = _CAM_SPEED * t
        # far skyline
        xs = x + 0.15 * cam
        tops = sky_tops[np.clip(np.searchsorted(sky_edges, xs[0]) - 1, 0, len(sky_tops) - 1)][None, :]
        cov = np.clip(y - tops + 0.5, 0, 1)[..., None]
        c.img += (np.array((0.62, 0.68, 0.78), np.float32) - c.img) * cov
        # facades with window grids (anti-aliased box coverage, periodic windows)
        off = 0.55 * cam
        for bx, bw, top, col, lit in buildings:
            x0, x1 = bx - off, bx + bw - off
            if x1 < -5 or x0 > _BW + 5:
                continue
            c.fill(box((x0 + x1) / 2, (top + _SIDEWALK) / 2, bw / 2, (_SIDEWALK - top) / 2), col)
            c.fill(box((x0 + x1) / 2, top + 3, bw / 2 + 2, 3), mix(col, (0, 0, 0), 0.45))
            ys, xs_, ok = c._window((x0 + 8, top + 12, x1 - 8, _SIDEWALK - 36), 0)
            if not ok:
                continue
            lx, ly = c.x[:, xs_] - (x0 + 8), c.y[ys, :] - (top + 12)
            px, py = 20.0, 26.0
            cols_n = max(int((bw - 16 + 8) // px), 1)
            rows_n = max(int((_SIDEWALK - 36 - top - 12 + 10) // py), 1)
            fx, fy = lx % px, ly % py
            inside_x = np.clip(np.minimum(fx, 12.0 - fx) * c.s + 0.5, 0, 1) * (lx < cols_n * px - 8)
            inside_y = np.clip(np.minimum(fy, 16.0 - fy) * c.s + 0.5, 0, 1) * (ly < rows_n * py - 10)
            ix = np.clip((lx // px).astype(int), 0, 11)
            iy = np.clip((ly // py).astype(int), 0, 19)
            on = lit[iy, ix][..., None]
            glass = np.where(on, np.float32((1.0, 0.86, 0.45)), np.float32((0.20, 0.27, 0.36)))
            glass = glass + 0.12 * (fy / py)[..., None]
            cov = (inside_x * inside_y)[..., None]
            region = c.img[ys, xs_]
            region += (glass - region) * cov
            # shop front: a door and a window on the ground floor
            c.fill(box(x0 + bw * 0.3, _SIDEWALK - 15, 8, 15), (0.18, 0.12, 0.08))
            c.fill(box(x0 + bw * 0.68, _SIDEWALK - 17, bw * 0.18, 10), (0.55, 0.70, 0.80))
        # ground: far sidewalk, road with lane dashes, near sidewalk; moves with depth-dependent parallax
        rows = slice(int(_SIDEWALK * height / _BH), height)
        gx = x + gf[rows] * cam
        tex = noise[ny_idx[rows], (gx * 0.8).astype(np.int64) % 256]
        yy = y[rows]
        ground = np.where(
            ((yy < _ROAD_TOP) | (yy > _ROAD_BOTTOM))[..., None],
            np.float32((0.70, 0.69, 0.66)),
            np.float32(asphalt),
        )
        joints = np.clip(1.2 - np.abs(((gx / 38.0) % 1.0) - 0.5) * 40, 0, 1) * (
            (yy < _ROAD_TOP) | (yy > _ROAD_BOTTOM)
        )
        ground = ground * (0.94 + 0.08 * tex)[..., None] - 0.15 * joints[..., None]
        dash = np.clip(np.minimum((gx % 70.0), 38.0 - (gx % 70.0)) * c.s + 0.5, 0, 1)
        band = np.clip(2.2 * gf[rows] - np.abs(yy - lanes_y) + 0.5, 0, 1)
        ground = ground + (np.float32((0.95, 0.92, 0.75)) - ground) * (dash * band)[..., None]
        for edge in (_ROAD_TOP, _ROAD_BOTTOM):
            curb = np.clip(1.8 - np.abs(yy - edge) + 0.5, 0, 1)[..., None]
            ground = ground + (np.float32((0.85, 0.85, 0.82)) - ground) * curb
        c.img[rows] = ground
        # the car: drives right faster than the camera moves, so it overtakes the scene
        car_y = 300.0
        car_x = 150.0 + (180.0 - _ground_factor(car_y) * _CAM_SPEED) * t
        red, glass_c = (0.78, 0.10, 0.10), (0.55, 0.72, 0.85)
        c.fill(ellipse(car_x, car_y + 12, 62, 6), (0.0, 0.0, 0.0), alpha=0.45, soft=4)
        c.fill(
            polygon(
                [
                    (car_x - 32, car_y - 16),
                    (car_x + 22, car_y - 16),
                    (car_x + 38, car_y - 2),
                    (car_x - 45, car_y - 2),
                ]
            ),
            red,
        )
        c.fill(box(car_x, car_y + 2, 58, 10, 0, 5), red)
        c.fill(
            polygon(
                [
                    (car_x - 28, car_y - 13),
                    (car_x - 8, car_y - 13),
                    (car_x - 8, car_y - 3),
                    (car_x - 38, car_y - 3),
                ]
            ),
            glass_c,
        )
        c.fill(
            polygon(
                [
                    (car_x - 4, car_y - 13),
                    (car_x + 20, car_y - 13),
                    (car_x + 32, car_y - 3),
                    (car_x - 4, car_y - 3),
                ]
            ),
            glass_c,
        )
        c.fill(box(car_x + 55, car_y - 1, 3, 3, 0, 1), (1.0, 0.95, 0.6))
        c.fill(box(car_x - 56, car_y - 1, 2.5, 3, 0, 1), (0.9, 0.1, 0.05))
        roll = -180.0 * t / 12.0  # wheel angle follows distance travelled
        for wx in (car_x - 36, car_x + 36):
            c.fill(circle(wx, car_y + 10, 11), (0.06, 0.06, 0.07))
            c.fill(circle(wx, car_y + 10, 5.5), (0.65, 0.65, 0.68))
            for k in range(3):
                a = -roll + k * 2 * math.pi / 3
                c.fill(
                    capsule(wx, car_y + 10, wx + 8.5 * math.cos(a), car_y + 10 + 8.5 * math.sin(a), 1.3),
                    (0.6, 0.6, 0.62),
                )
        # lamp posts on the near sidewalk: the fastest layer
        for k in range(-1, 6):
            lx = k * 240.0 + 90.0 - 1.35 * cam
            if -40 < lx < _BW + 40:
                c.fill(capsule(lx, 362, lx, 95, 3.2), (0.10, 0.22, 0.16))
                c.fill(capsule(lx, 97, lx + 24, 90, 2.4), (0.10, 0.22, 0.16))
                c.fill(ellipse(lx + 26, 94, 9, 4), (0.95, 0.92, 0.70))

    return _clip(render, bg, width, height, seconds, fps, indices)


# ----------------------------------------------------------------------------------------------------
# face.mp4
# ----------------------------------------------------------------------------------------------------
def face(
    width: int = WIDTH, height: int = HEIGHT, seconds: float = SECONDS, fps: int = FPS, *, indices=None
) -> np.ndarray:
    """A centred head and shoulders turning slightly, bobbing, blinking, talking: ``(T, H, W, 3)`` uint8."""
    c0 = Canvas(width, height, np.zeros(3, np.float32))
    x, y = c0.x, c0.y
    r2 = ((x - 320) / 420.0) ** 2 + ((y - 150) / 300.0) ** 2
    bg = np.array((0.42, 0.52, 0.62), np.float32) * (1.1 - 0.55 * r2)[..., None]
    bg = np.broadcast_to(bg, (height, width, 3))
    skin, hair = (0.93, 0.74, 0.61), (0.24, 0.15, 0.09)
    shirt = (0.20, 0.32, 0.52)

    def render(c: Canvas, t: float) -> None:
        yaw = 0.38 * math.sin(2 * math.pi * t / seconds + 0.7)
        roll = 0.06 * math.sin(2 * math.pi * t / 2.3)
        cx, cy = (
            320.0 + 4 * math.sin(2 * math.pi * t / seconds),
            160.0 + 5.0 * math.sin(2 * math.pi * t / 1.75),
        )
        cr, sr = math.cos(roll), math.sin(roll)
        cyaw, syaw = math.cos(yaw), math.sin(yaw)

        def hp(fx, fy, depth=1.0):
            """Head-local (fx, fy) on a rounded head -> screen, with yaw (turn) and roll (tilt)."""
            fz = math.sqrt(max(72.0**2 - fx * fx, 0.0)) * depth
            u = fx * cyaw + fz * syaw * 0.75
            return cx + u * cr - fy * sr, cy + u * sr + fy * cr

        # shoulders and neck
        c.fill(ellipse(320, 392, 200, 95), shirt)
        c.fill(polygon([(300, 298), (340, 298), (320, 325)]), (0.92, 0.92, 0.92))
        c.fill(capsule(320, 300, cx + 0.3 * (cx - 320), cy + 40, 30), mix(skin, (0, 0, 0), 0.18))
        # hair behind, ears
        c.fill(ellipse(*hp(0, -14, 0.0), 80, 94, roll), hair)
        for side in (-1, 1):
            ex, ey = hp(side * 70, 8, 0.0)
            ex -= syaw * 40 * (1 + 0.6 * side * syaw)
            c.fill(ellipse(ex, ey, 11 * (1 - 0.4 * side * syaw), 17, roll), mix(skin, (0, 0, 0), 0.08))
        # face with light from the upper left
        fcx, fcy = hp(0, 6, 0.25)

        def shade(x, y):
            k = np.clip((x - fcx) / 70.0, -1.0, 1.0) * 0.13 + np.clip((y - fcy) / 90.0, -1, 1) * 0.06
            return np.asarray(skin, np.float32) * (1.02 - k)[..., None]

        c.fill(ellipse(fcx, fcy, 66 * (0.95 + 0.05 * cyaw), 86, roll), shade)
        # fringe over the forehead
        hcx, hcy = hp(0, -48, 0.3)
        cap = ellipse(hcx, hcy - 16, 74, 58, roll)
        line = Shape(cap.bbox, lambda x, y: y - (hcy - 4 + 7 * np.sin((x - hcx) / 14.0)))
        c.fill(cap & line, hair)
        # eyebrows, eyes (with a blink), nose, cheeks, talking mouth
        blink = 1.0 - 0.95 * math.exp(-(((t - 2.1) / 0.06) ** 2))
        talk = 0.5 + 0.5 * math.sin(2 * math.pi * t * 2.6) * math.sin(2 * math.pi * t * 0.9)
        for side in (-1, 1):
            ex, ey = hp(side * 25, -6)
            sq = max(math.cos(math.asin(min(abs(side * 25 / 72.0), 1))) * (cyaw + side * syaw * 0.6), 0.3)
            bx0, by0 = hp(side * 13, -26 - 2 * talk)
            bx1, by1 = hp(side * 38, -22 - 2 * talk)
            c.fill(capsule(bx0, by0, bx1, by1, 2.6, 1.8), hair)
            c.fill(ellipse(ex, ey, 12 * sq, 6.5 * blink + 0.6, roll), (0.97, 0.97, 0.95))
            iris = ellipse(ex + 1.5 * syaw * 3, ey, 5.5 * min(sq, 1.0), 5.5, roll) & ellipse(
                ex, ey, 12 * sq, 6.5 * blink + 0.6, roll
            )
            c.fill(iris, (0.25, 0.45, 0.30))
            c.fill(
                circle(ex + 4.5 * syaw, ey, 2.4 * blink) & ellipse(ex, ey, 12 * sq, 6.5 * blink + 0.6, roll),
                (0.03, 0.03, 0.03),
            )
            c.fill(
                capsule(ex - 12 * sq, ey - 6.5 * blink, ex + 12 * sq, ey - 6.5 * blink, 1.0),
                (0.35, 0.22, 0.16),
            )
            chx, chy = hp(side * 38, 26)
            c.fill(circle(chx, chy, 12), (0.95, 0.50, 0.50), alpha=0.25, soft=10)
        nx0, ny0 = hp(0, 2, 1.08)
        nx1, ny1 = hp(0, 26, 1.15)
        c.fill(capsule(nx0, ny0, nx1 + 3, ny1, 2.5, 6), mix(skin, (0.45, 0.25, 0.2), 0.25), alpha=0.7, soft=3)
        for side in (-1, 1):
            c.fill(circle(*hp(side * 5, 29, 1.1), 2.0), (0.45, 0.25, 0.22), alpha=0.7)
        mx, my = hp(0, 48, 1.0)
        c.fill(ellipse(mx, my, 21 * (0.85 + 0.15 * cyaw), 5.0 + 6.0 * talk, roll), (0.72, 0.28, 0.30))
        c.fill(ellipse(mx, my + 0.5, 16 * (0.85 + 0.15 * cyaw), 0.5 + 4.2 * talk, roll), (0.25, 0.06, 0.08))
        c.fill(
            box(mx, my - 0.6 - 3.2 * talk, 9, 1.4 * talk, roll), (0.97, 0.96, 0.92), alpha=min(talk * 3, 1.0)
        )

    return _clip(render, bg, width, height, seconds, fps, indices)


# ----------------------------------------------------------------------------------------------------
# frame.png / frame_last.png: a lighthouse on a cliff, dawn and dusk
# ----------------------------------------------------------------------------------------------------
def _lighthouse(width: int, height: int, dusk: float) -> np.ndarray:
    rng = np.random.default_rng(SEED + 5)
    horizon = 222.0
    top = mix((0.22, 0.30, 0.58), (0.04, 0.05, 0.16), dusk)
    mid = mix((0.88, 0.58, 0.58), (0.33, 0.20, 0.42), dusk)
    low = mix((1.00, 0.80, 0.48), (0.85, 0.42, 0.30), dusk)
    c = Canvas(width, height, vgradient(width, height, [(0, top), (150, mid), (horizon, low)]))
    x, y = c.x, c.y
    if dusk > 0.5:  # stars
        for sx, sy, sr in rng.uniform((0, 0, 0.5), (640, 120, 1.3), (70, 3)):
            c.fill(circle(sx, sy, sr), (1.0, 1.0, 0.95), alpha=0.8 * (1 - sy / 140))
    sun_x = 170.0 if dusk < 0.5 else 90.0
    sun_y = horizon - 8 if dusk < 0.5 else horizon + 30
    c.fill(circle(sun_x, sun_y, 90), mix((1.0, 0.85, 0.55), (1.0, 0.5, 0.3), dusk), alpha=0.45, soft=70 * c.s)
    c.fill(circle(sun_x, sun_y, 22), (1.0, 0.93, 0.70))
    # sea with a column of reflected light
    rows = slice(int(horizon * height / _BH), height)
    z = np.clip((y - horizon) / (_BH - horizon), 1e-3, 1.0)
    xw, zw = (x - 320) / z, 1 / z
    waves = np.sin(0.05 * xw + 7 * zw) * 0.5 + np.sin(0.021 * xw - 11 * zw + 1) * 0.5
    sea_top = mix((0.55, 0.50, 0.60), (0.18, 0.14, 0.30), dusk)
    sea_deep = mix((0.12, 0.22, 0.38), (0.03, 0.05, 0.12), dusk)
    sea = (
        np.asarray(sea_top, np.float32)
        + (np.asarray(sea_deep, np.float32) - np.asarray(sea_top, np.float32)) * np.sqrt(z)[..., None]
    )
    col = np.exp(-(((x - sun_x) / (25 + 120 * z)) ** 2)) * (1 - dusk * 0.7)
    glint = np.clip(waves - 0.3, 0, 1) * col
    sea = sea * (1 + 0.1 * waves)[..., None] + glint[..., None] * np.float32((1.0, 0.8, 0.5))
    c.img[rows] = sea[rows]
    # cliff on the right: a rugged height field with strata and a grassy top
    xs = np.linspace(0, 640, 641)
    prof = 178 + 6 * np.sin(xs / 23.0) + 4 * np.sin(xs / 7.3 + 1) + 2.5 * np.sin(xs / 3.1)
    slope = np.clip((xs - 330) / 110.0, 0, 1)
    prof = 420 - (420 - prof) * (slope * slope * (3 - 2 * slope))
    edge = np.interp(x[0], xs, prof)[None, :]
    cov = np.clip(y - edge + 0.5, 0, 1)
    strata = 0.85 + 0.15 * np.sin(y / 5.0 + np.sin(x / 17.0) * 2)
    rock = np.asarray(mix((0.36, 0.27, 0.24), (0.10, 0.08, 0.12), dusk), np.float32) * strata[..., None]
    rock = rock * (1 - 0.35 * np.clip((y - edge) / 120.0, 0, 1))[..., None]
    c.img += (rock - c.img) * cov[..., None]
    grass = np.clip(np.minimum(y - edge, edge + 7 - y) + 0.5, 0, 1) * (x > 380)
    c.img += (np.asarray(mix((0.35, 0.55, 0.22), (0.08, 0.16, 0.08), dusk), np.float32) - c.img) * grass[
        ..., None
    ]
    # the lighthouse: tapered white tower with red bands, gallery, lantern, dome, and its beam
    lx, base = 520.0, float(np.interp(520.0, xs, prof)) + 4
    tower_top = 70.0
    tower = polygon([(lx - 22, base), (lx + 22, base), (lx + 14, tower_top), (lx - 14, tower_top)])
    white = mix((0.96, 0.93, 0.90), (0.55, 0.55, 0.65), dusk)
    red = mix((0.80, 0.15, 0.12), (0.40, 0.08, 0.10), dusk)

    def tower_color(x, y):
        band = (((y - tower_top) / 22.0) % 2.0 < 1.0)[..., None]
        shade = (1.0 - 0.25 * np.clip((x - lx) / 20.0, -1, 1))[..., None]
        return np.where(band, np.float32(red), np.float32(white)) * shade

    c.fill(tower, tower_color)
    c.fill(box(lx, tower_top - 1, 20, 3), (0.12, 0.12, 0.12))
    for k in range(-3, 4):
        c.fill(box(lx + k * 5.6, tower_top - 7, 0.7, 5), (0.12, 0.12, 0.12))
    lamp = mix((1.0, 0.92, 0.6), (1.0, 0.95, 0.7), dusk)
    c.fill(box(lx, tower_top - 14, 11, 11), lamp)
    c.fill(box(lx, tower_top - 14, 11, 11) - box(lx, tower_top - 14, 9.5, 9.5), (0.12, 0.12, 0.12))
    c.fill(ellipse(lx, tower_top - 25, 12, 9) & box(lx, tower_top - 30, 14, 5), red)
    c.fill(circle(lx, tower_top - 14, 30), lamp, alpha=0.25 + 0.5 * dusk, soft=30 * c.s)
    beam = polygon(
        [(lx, tower_top - 16), (lx, tower_top - 12), (lx - 700, tower_top + 60), (lx - 700, tower_top - 95)]
    )
    c.fill(beam, lamp, alpha=0.10 + 0.30 * dusk, soft=8 * c.s)
    # keeper's cottage with a window that is lit at dusk
    hx = 588.0
    hb = float(np.interp(hx, xs, prof)) + 3
    c.fill(box(hx, hb - 13, 24, 13), white)
    c.fill(polygon([(hx - 28, hb - 25), (hx + 28, hb - 25), (hx, hb - 44)]), red)
    c.fill(box(hx - 9, hb - 13, 4, 5), mix((0.25, 0.30, 0.40), (1.0, 0.85, 0.45), dusk))
    # a few birds at dawn
    if dusk < 0.5:
        for bx, by in ((250, 90), (275, 104), (300, 84)):
            c.fill(
                capsule(bx - 7, by - 3, bx, by, 0.9) | capsule(bx, by, bx + 7, by - 3, 0.9),
                (0.15, 0.12, 0.18),
            )
    return c.uint8()


def frame(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """A lighthouse on a cliff at dawn, ``(H, W, 3)`` uint8: the first frame for image-to-video."""
    return _lighthouse(width, height, 0.0)


def frame_last(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """The same lighthouse at dusk, beam lit, ``(H, W, 3)`` uint8: the last frame for image-to-video."""
    return _lighthouse(width, height, 1.0)


# ----------------------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------------------
CLIPS: dict[str, Callable[..., np.ndarray]] = {
    "dolphin": dolphin,
    "violinist": violinist,
    "street": street,
    "face": face,
}
STILLS: dict[str, Callable[..., np.ndarray]] = {"frame": frame, "frame_last": frame_last}


def write_video(frames: np.ndarray, path: str | os.PathLike, fps: int = FPS, crf: int = 23) -> Path:
    """Encode ``(T, H, W, 3)`` uint8 frames as H.264 yuv420p MP4 (bt709, +faststart, no audio), atomically."""
    import imageio_ffmpeg

    path = Path(path)
    _, h, w, _ = frames.shape
    tmp = path.with_name(f".{path.stem}.tmp.mp4")
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(fps), "-i", "-",
        "-an", "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,"
        "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv",
        "-c:v", "libx264", "-preset", "slow", "-crf", str(crf), "-pix_fmt", "yuv420p",
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
        "-movflags", "+faststart", "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
        "-threads", "1", str(tmp),
    ]  # fmt: skip
    proc = subprocess.run(cmd, input=np.ascontiguousarray(frames).tobytes(), capture_output=True, check=False)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed writing {path}: {proc.stderr.decode(errors='replace')[-2000:]}")
    os.replace(tmp, path)
    return path


def write_png(image: np.ndarray, path: str | os.PathLike) -> Path:
    """Write an ``(H, W, 3)`` uint8 image as an 8-bit RGB PNG (byte-for-byte deterministic), atomically."""
    path = Path(path)
    h, w, _ = image.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in np.ascontiguousarray(image, dtype=np.uint8))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
    tmp = path.with_name(f".{path.stem}.tmp.png")
    tmp.write_bytes(png)
    os.replace(tmp, path)
    return path


ASSETS_DIR = Path(__file__).resolve().parent


def write_all(out_dir: str | os.PathLike = ASSETS_DIR, names=None) -> dict[str, Path]:
    """Render and write every clip and still (or only ``names``) into ``out_dir``; return ``{name: path}``."""
    allowed = [*CLIPS, *STILLS]
    names = allowed if names is None else list(names)
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ValueError(f"names: unknown asset(s) {unknown}; allowed {allowed}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name in names:
        if name in CLIPS:
            written[name] = write_video(CLIPS[name](), out / f"{name}.mp4")
        else:
            written[name] = write_png(STILLS[name](), out / f"{name}.png")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parent), help="output directory (default: assets/)"
    )
    parser.add_argument("--only", nargs="+", choices=[*CLIPS, *STILLS], help="write only these assets")
    args = parser.parse_args(argv)
    for name, path in write_all(args.out, args.only).items():
        print(f"{name:<11} {path.stat().st_size / 1024:7.1f} KiB  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
