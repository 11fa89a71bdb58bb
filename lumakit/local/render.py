"""The local preview renderer: a deterministic stand-in for Ray 3.2 whose every knob is visible and measured.

It is not a generative model. It turns a source clip into a result whose departure from the source follows
the request, so notebooks, sweeps and comparisons behave as they will with Ray:

- **prompt** -> a look (:mod:`lumakit.local.looks`): palette, texture, lighting.
- **strength** -> how much of the look is blended in (:data:`AMOUNTS`) plus how much geometry loosens by
  default (:func:`default_controls`): the departure rises strictly from ``adhere_1`` to ``reimagine_3``.
- **controls**: ``depthBlur`` blurs and warps geometry; ``normalsAugmentation`` swaps surface detail for
  shading noise; ``trajectorySparsity`` anchors motion only every *k* frames (linear in between: looser,
  smoother motion); ``poseStrength`` ``precise`` keeps the moving subject's outline sharp, ``coarse``
  softens it; ``face`` pulls a detected (skin-toned) or central face region back toward the source.
- **autoControls** (and a bare edit) picks controls from the source's motion energy and edge density
  (:func:`auto_controls`) and reports them.
- **anchor frames** on an edit (``inputs.frameImages``) pull the restyled frames' colour palette (per-channel
  mean and spread) toward the anchor's: :data:`~.anchors.ANCHOR_PULL` (0.6) of the way at the anchor's
  frame, fading linearly to nothing half the clip away (:mod:`lumakit.local.anchors`). An edit without
  anchors renders exactly as before.
- text/image-to-video paints a procedural scene (or the given frames) with a slow camera move; reframe
  extends the frame (mirrored, blurred and restyled outside the source) without stretching the source.

The output keeps the source's size, fps and frame count (edits) and is H.264 yuv420p MP4 with no audio,
written by :func:`lumakit.media.write_video`. Seeds come from the prompt and the source content, so the
same request on the same source gives identical frames, and knob changes act on the same scene.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np

from .. import media
from ..request import (
    DEFAULT_RESOLUTION,
    OUTPUT_SIZES,
    Controls,
    GenerateRequest,
    ModifyRequest,
    ReframeRequest,
    Strength,
)
from .anchors import AnchorPull
from .kernels import (
    _box_blur_small,
    _ellipse,
    _gather2d,
    _mul_planes,
    _reflect,
    _seed,
    _shift_blur,
    _take_rgb,
    _to_u8,
    _tune_malloc,
    box_blur,
    upsample,
)
from .looks import LUMA, Painter, look_for, value_noise
from .source import auto_controls, measure_source, preview_frames, preview_size

Progress = Callable[[float], None]

#: share of the look blended in, per strength (the main departure dial)
AMOUNTS: dict[str, float] = {
    "adhere_1": 0.10,
    "adhere_2": 0.14,
    "adhere_3": 0.18,
    "flex_1": 0.30,
    "flex_2": 0.38,
    "flex_3": 0.46,
    "reimagine_1": 0.64,
    "reimagine_2": 0.80,
    "reimagine_3": 0.96,
}
CONTROLS_ONLY_STRENGTH = "adhere_1"  # [ours] controls without a strength: Luma's own default level
GENERATE_FPS = 24.0
ENCODE_PRESET = "ultrafast"  # x264 preset of rendered results (previews: speed over file size)
MAX_KEYFRAME_STEP = 8  # trajectorySparsity 1.0 anchors the motion every 8 frames
WARP_REFRESH = 4  # the depthBlur displacement field turns slowly; its indices are rebuilt every 4 frames
FACE_KEEP = 0.8  # face=True pulls the face region this much back toward the source
LOOK_DEPARTURE = 0.2  # a full look moves pixels about this much (0..1 scale); weak looks are boosted to it
REIMAGINE_SCENE = 0.2  # in the reimagine band the prompt's own scene makes up this share of the target


def default_controls(strength: Strength) -> dict[str, Any]:
    """The controls a strength implies when the request leaves them unset (wire names)."""
    i = strength.position
    return {
        "poseStrength": "precise" if i < 6 else "coarse",
        "depthBlur": round(0.03 * i, 3),
        "normalsAugmentation": round(0.04 * i, 3),
        "trajectorySparsity": 0.0 if i < 6 else round(0.15 * (i - 5), 3),
        "face": False,
    }


# ---------------------------------------------------------------------------------------------- modify
@dataclass(frozen=True)
class EditPlan:
    """What an edit will do, resolved from the request (and the source for autoControls)."""

    strength: str
    controls: dict[str, Any]
    amount: float
    auto: dict[str, Any] | None
    face_box: dict[str, Any] | None

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"strength": self.strength, "controls": dict(self.controls)}
        if self.auto is not None:
            out["autoControls"] = dict(self.auto)
        if self.face_box is not None:
            out["faceRegion"] = dict(self.face_box)
        return out


def plan_edit(request: ModifyRequest, video: Path | str) -> EditPlan:
    """Resolve strength and controls: explicit values win, then autoControls, then the strength's defaults."""
    auto = None
    stats = None
    if request.auto_controls or (request.strength is None and request.controls is None):
        stats = measure_source(video)
        auto = auto_controls(stats)
        strength = Strength(auto["strength"])
        controls = {k: v for k, v in auto.items() if k != "strength"}
    else:
        strength = Strength.coerce(request.strength or CONTROLS_ONLY_STRENGTH)
        controls = default_controls(strength)
        controls.update((Controls.coerce(request.controls) or Controls()).to_wire())
    face_box = None
    if controls.get("face"):
        stats = stats or measure_source(video)
        face_box = stats.face
    return EditPlan(strength.value, controls, AMOUNTS[strength.value], auto, face_box)


def _trajectory(frames: Iterator[np.ndarray], n: int, k: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (anchored, real) frames: motion anchored at frames 0, k, 2k, ... and the last, linear between."""
    if k <= 1:
        for f in frames:
            yield f, f
        return
    buf: list[np.ndarray] = []  # the last anchor, then the frames after it
    for i, f in enumerate(frames):
        buf.append(f)
        if i % k and i != n - 1:
            continue
        if len(buf) == 1:
            yield f, f
            continue
        a, b = buf[0].astype(np.float32), f.astype(np.float32)
        span = len(buf) - 1
        for j in range(1, span):
            yield (a + (b - a) * np.float32(j / span)).astype(np.uint8), buf[j]
        yield f, f
        buf = [f]
    for f in buf[1:]:  # the stream was shorter than probed: the tail is unanchored
        yield f, f


class _ModifyPainter:
    """Per-frame edit pipeline for one job (fields computed once)."""

    def __init__(
        self, plan: EditPlan, w: int, h: int, prompt: str, seed: int, anchors: AnchorPull | None = None
    ) -> None:
        self.plan, self.w, self.h = plan, w, h
        self.anchors = anchors
        c = plan.controls
        self.depth = float(c.get("depthBlur") or 0.0)
        self.normals = float(c.get("normalsAugmentation") or 0.0)
        self.pose = c.get("poseStrength")
        side = max(w, h)
        self.blur_r = round(self.depth * 0.02 * side)
        self.warp_amp = self.depth * 0.025 * side
        rng = np.random.default_rng(seed)
        self.painter = Painter(look_for(prompt), w, h)
        if self.warp_amp >= 0.5:
            cell = side / 5
            self.n1 = value_noise(h, w, cell, rng) * np.float32(self.warp_amp)
            self.n2 = value_noise(h, w, cell, rng) * np.float32(self.warp_amp)
            self.xx = np.arange(w, dtype=np.float32)[None, :]
            self.yy = np.arange(h, dtype=np.float32)[:, None]
        self.shade = (0.6 * value_noise(h, w, max(3.0, side / 90), rng)).astype(np.float32)
        if self.normals > 0:  # the shading factor, (H, 2W, 3): frame t multiplies by a W-wide window of it
            fac = 1.0 + np.float32(self.normals * 0.5) * self.shade
            self.shade_fac = np.concatenate([fac, fac], axis=1)[..., None].repeat(3, axis=2)
        self.motion_r = max(1, round(0.02 * side / 4))
        self.coarse_r = max(2, round(0.012 * side))
        fb = plan.face_box
        self.face = (
            _ellipse(h, w, (fb["x"] + fb["width"] / 2) * w, (fb["y"] + fb["height"] / 2) * h,
                     fb["width"] * w / 2, fb["height"] * h / 2)[..., None] * np.float32(FACE_KEEP)
            if fb else None
        )  # fmt: skip
        if self.face is not None:  # full (H, W, 3): same-shape ops are much faster than channel broadcasts
            self.face = self.face.repeat(3, axis=2)
        self.prev_lum: np.ndarray | None = None
        self.gain: float | None = None
        self.scene_mix = REIMAGINE_SCENE if plan.strength.startswith("reimagine") else 0.0
        if self.scene_mix > 0:  # painted at half size, repeated up: the scene is smooth
            self.sky, self.layers = _scene(seed, self.painter, (w + 1) // 2, (h + 1) // 2)

    def warp_index(self, t: int, f: int = 1, sw: int = 0) -> np.ndarray:
        """Flat gather indices of the (slowly turning) displacement field; refreshed every 4 frames.

        With ``f > 1`` the indices point into an ``f``-times subsampled frame ``sw`` pixels wide (the pixel
        that repeating it ``f`` times would put there).
        """
        step = t // WARP_REFRESH
        if getattr(self, "_warp_step", None) != step:
            ph = 2 * math.pi * step * WARP_REFRESH / 96
            c, s = np.float32(math.cos(ph)), np.float32(math.sin(ph))
            xi = np.clip(self.xx + (self.n1 * c + self.n2 * s), 0, self.w - 1).astype(np.int32)
            yi = np.clip(self.yy + (self.n2 * c - self.n1 * s), 0, self.h - 1).astype(np.int32)
            self._warp_yx = yi, xi
            self._warp: dict[int, np.ndarray] = {}
            self._warp_step = step
        idx = self._warp.get(f)
        if idx is None:
            yi, xi = self._warp_yx
            idx = self._warp[f] = (
                (yi * np.int32(self.w) + xi) if f == 1 else (yi // f) * np.int32(sw) + xi // f
            ).astype(np.intp)
        return idx

    def motion_mask(self, real: np.ndarray) -> np.ndarray:
        lum = real[::4, ::4] @ LUMA  # a stack of small products: BLAS stays on this thread
        prev = self.prev_lum if self.prev_lum is not None else lum
        self.prev_lum = lum
        d = box_blur(np.abs(lum - prev), self.motion_r)
        return upsample(np.clip(d * 14.0, 0.0, 1.0), 4, self.h, self.w)

    def frame(self, anchored: np.ndarray, real_u8: np.ndarray, t: int) -> np.ndarray:
        x = anchored.astype(np.float32) * np.float32(1 / 255)
        real = x if anchored is real_u8 else real_u8.astype(np.float32) * np.float32(1 / 255)
        soft = _shift_blur(x, 1) if (self.normals > 0 or self.blur_r in (1, 2)) else x
        warp = self.warp_amp >= 0.5
        if self.blur_r <= 2:  # radius 2 as two radius-1 passes (a tent), sharing the first with normals
            base = x if self.blur_r == 0 else soft if self.blur_r == 1 else _shift_blur(soft, 1)
            if warp:
                base = _take_rgb(base, self.warp_index(t))
        elif warp:  # gather straight from the subsampled blur: no full-size upsample in between
            small, f = _box_blur_small(x, self.blur_r)
            base = _take_rgb(small, self.warp_index(t, f, small.shape[1]))
        else:
            base = box_blur(x, self.blur_r)
        if self.pose is not None:
            m = self.motion_mask(real)
            if self.pose == "precise":
                step = x - base
                _mul_planes(step, m * np.float32(0.9))
            else:
                step = box_blur(base, self.coarse_r) - base
                _mul_planes(step, m)
            base = base + step
        if self.normals > 0:
            detail = x - soft
            base = base - np.float32(self.normals) * detail
            s = t % self.w  # the shading drifts sideways: np.roll(fac, s, axis=1), as a window
            base *= self.shade_fac[:, self.w - s : 2 * self.w - s]
        delta = self.painter.apply(base, t, amount=1.0 + self.normals) - base
        if self.gain is None:  # normalise the look's strength once per job, on its first frame
            self.gain = float(np.clip(LOOK_DEPARTURE / max(float(np.abs(delta).mean()), 1e-3), 0.7, 2.5))
        target = base + np.float32(self.gain) * delta  # the full look, boosted to LOOK_DEPARTURE
        np.clip(target, 0.0, 1.0, out=target)
        if self.scene_mix > 0:  # reimagine: the prompt's own scene shows through the target
            scene = _scene_frame(self.sky, self.layers, t / 96.0, 1.0)
            scene = upsample(scene, 2, self.h, self.w)
            target += np.float32(self.scene_mix) * (scene - target)
        out = base + np.float32(self.plan.amount) * (target - base)  # strength: how far toward the target
        if self.anchors is not None:  # the anchors' palette, near their frames
            self.anchors.apply(out, t)
        if self.face is not None:
            out += self.face * (real - out)
        return _to_u8(out)


def render_modify(
    request: ModifyRequest,
    video: Path | str,
    out: Path | str,
    *,
    anchors: Sequence[tuple[Path | str, str | int]] = (),
    progress: Progress | None = None,
    quality: int | None = None,
    codec: str = "h264",
) -> dict[str, Any]:
    """Render an edit of ``video`` to ``out``; returns what it did (plan, look, size) for ``lumakitLocal``.

    ``anchors``: the anchor frames' images and positions, ``[(path, "first" | "last" | index), ...]``.
    """
    _tune_malloc()
    info = media.probe(video)
    plan = plan_edit(request, video)
    seed = _seed(request.prompt, media.content_digest(video))
    pull = AnchorPull.load(anchors, info.n_frames) if anchors else None
    pw, ph = preview_size(info.width, info.height)
    painter = _ModifyPainter(plan, pw, ph, request.prompt, seed, pull)
    k = 1 + round(float(plan.controls.get("trajectorySparsity") or 0.0) * (MAX_KEYFRAME_STEP - 1))

    def gen() -> Iterator[np.ndarray]:
        source = preview_frames(video, (pw, ph))
        for t, (anchored, real) in enumerate(_trajectory(source, info.n_frames, k)):
            yield painter.frame(anchored, real, t)

    _write(out, gen(), info.fps, info.n_frames, progress=progress, quality=quality, codec=codec,
           size=(info.width, info.height))  # fmt: skip
    done = {**plan.summary(), "keyframeStep": k, "look": painter.painter.look.summary()}
    return done | ({"anchors": pull.summary()} if pull is not None else {})


# ---------------------------------------------------------------------------------------------- generate
def _cover(img: np.ndarray, w: int, h: int) -> np.ndarray:
    """Resize (nearest, vectorised) and centre-crop ``img`` to cover (h, w) without distortion."""
    ih, iw = img.shape[:2]
    s = max(w / iw, h / ih)
    cw, ch = round(iw * s), round(ih * s)
    rows = np.minimum((np.arange(ch) / s).astype(np.intp), ih - 1)
    cols = np.minimum((np.arange(cw) / s).astype(np.intp), iw - 1)
    big = img[rows][:, cols]
    y0, x0 = (ch - h) // 2, (cw - w) // 2
    return np.ascontiguousarray(big[y0 : y0 + h, x0 : x0 + w])


def _scene(
    look_seed: int, painter: Painter, w: int, h: int
) -> tuple[np.ndarray, list[tuple[np.ndarray, ...]]]:
    """A procedural landscape: a sky and three hill layers (colour, alpha), wider than the frame (panning)."""
    rng = np.random.default_rng(look_seed)
    ww = int(w * 1.5)
    yy = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    top = rng.uniform(0.2, 0.9, 3).astype(np.float32)
    bottom = np.clip(top * 0.5 + np.asarray(painter.accent) * 0.5, 0, 1).astype(np.float32)
    sky = np.broadcast_to(top * (1 - yy) + bottom * yy, (h, ww, 3)).astype(np.float32)
    sx, sy = rng.uniform(0.2, 1.3) * w, rng.uniform(0.15, 0.4) * h
    disc = _ellipse(h, ww, sx, sy, 0.08 * h, 0.08 * h)[..., None]
    sky = sky + disc * (np.asarray(painter.accent, np.float32) - sky)
    layers: list[tuple[np.ndarray, ...]] = []
    xs = np.arange(ww, dtype=np.float32)
    for i in range(3):
        base = 0.45 + 0.15 * i
        waves = (
            rng.uniform(0.02, 0.08) * np.sin(xs / ww * 2 * math.pi * f + rng.uniform(0, 6)) for f in (1, 2, 5)
        )
        height = base + sum(waves, np.zeros(ww))
        rows = np.arange(h, dtype=np.float32)[:, None] / h
        alpha = np.clip((rows - height[None, :]) * h / 3.0, 0, 1)[..., None].astype(np.float32)
        color = np.clip(bottom * (0.7 - 0.2 * i) + rng.uniform(-0.1, 0.1, 3), 0, 1).astype(np.float32)
        shade = (1 - 0.35 * (rows[..., None] - base)).astype(np.float32)
        # stored full (h, ., 3): same-shape ops are much faster than broadcasting over rows or channels
        full = np.broadcast_to(color * shade, (h, round(ww / 1.5), 3))  # the frame width _scene_frame uses
        layers.append((alpha.repeat(3, axis=2), np.ascontiguousarray(full)))
    return sky, layers


def _scene_frame(sky: np.ndarray, layers: list[tuple[np.ndarray, ...]], u: float, pan: float) -> np.ndarray:
    """The scene at camera position ``u`` (0..1, wraps): layers pan at different speeds (parallax)."""
    ww = sky.shape[1]
    w = round(ww / 1.5)
    span = ww - w
    u = u % 2.0
    u = u if u <= 1 else 2 - u
    y = sky[:, int(span * (0.5 + 0.45 * pan * (u - 0.5))) :][:, :w].copy()
    for i, (alpha, color) in enumerate(layers):
        off = int(span * (0.5 + pan * (0.15 + 0.15 * i) * (u - 0.5)))
        y += alpha[:, off : off + w] * (color - y)  # colour: one shade per row
    return y


def render_generate(
    request: GenerateRequest,
    images: list[tuple[Path | str, str | int]],
    out: Path | str,
    *,
    progress: Progress | None = None,
    quality: int | None = None,
    codec: str = "h264",
) -> dict[str, Any]:
    """Text-to-video (a procedural scene in the prompt's look) or image-to-video (the given frames,
    cross-faded with a slow zoom), at the requested size and duration, 24 fps."""
    _tune_malloc()
    w, h = request.size or OUTPUT_SIZES[("16:9", request.resolution or DEFAULT_RESOLUTION)]
    n = round(request.duration * GENERATE_FPS)
    look = look_for(request.prompt)
    digests = [media.content_digest(p) for p, _ in images]
    seed = _seed(request.prompt, *digests, w, h)
    painter = Painter(look, w, h)
    anchors: list[tuple[int, np.ndarray]] = []
    for path, pos in images:
        img = media.frames(path, n=1)[0]
        idx = 0 if pos == "first" else n - 1 if pos == "last" else min(int(pos), n - 1)
        anchors.append((idx, _cover(img, int(w * 1.1) + 2, int(h * 1.1) + 2).astype(np.float32) / 255))
    anchors.sort(key=lambda a: a[0])
    loop = bool(request.loop)
    if not anchors:  # the scene is smooth: painted at half size and repeated up; texture stays full size
        sky, layers = _scene(seed, painter, (w + 1) // 2, (h + 1) // 2)
    rng = np.random.default_rng(seed)
    pan_dir = float(rng.choice([-1.0, 1.0]))

    def camera(t: int) -> float:
        u = t / max(n - 1, 1)
        return (1 - math.cos(2 * math.pi * u)) / 2 if loop else u

    def gen() -> Iterator[np.ndarray]:
        for t in range(n):
            u = camera(t)
            if anchors:
                frame = _anchored_frame(anchors, t, u, w, h)
                amount = 0.15 + 0.25 * u
                styled = painter.apply(frame, t)
                y = frame + np.float32(amount) * (styled - frame)
            else:
                scene = _scene_frame(sky, layers, u, pan_dir)
                scene = upsample(scene, 2, h, w)
                y = painter.apply(scene, t, amount=0.6)
            yield _to_u8(y)

    _write(out, gen(), GENERATE_FPS, n, progress=progress, quality=quality, codec=codec)
    return {"look": look.summary(), "frames": n, "anchors": [a[0] for a in anchors]}


def _anchored_frame(anchors: list[tuple[int, np.ndarray]], t: int, u: float, w: int, h: int) -> np.ndarray:
    """The frame at ``t`` between the anchors around it, each seen through a slow zoom (1.1x -> 1.0x)."""

    def view(img: np.ndarray) -> np.ndarray:
        ch, cw = img.shape[:2]
        s = 1.0 - 0.09 * u  # window shrinks: zoom in
        ww, wh = w * s * 1.1, h * s * 1.1
        x0, y0 = (cw - ww) / 2, (ch - wh) / 2
        cols = np.clip((x0 + np.arange(w) * (ww / w)).astype(np.intp), 0, cw - 1)
        rows = np.clip((y0 + np.arange(h) * (wh / h)).astype(np.intp), 0, ch - 1)
        return _gather2d(img, rows, cols)

    before = [a for a in anchors if a[0] <= t]
    after = [a for a in anchors if a[0] > t]
    if not before:
        return view(after[0][1])
    if not after:
        return view(before[-1][1])
    (i0, a), (i1, b) = before[-1], after[0]
    wgt = np.float32((t - i0) / max(i1 - i0, 1))
    va = view(a)
    return va + wgt * (view(b) - va)


# ---------------------------------------------------------------------------------------------- reframe
def reframe_geometry(
    src_w: int, src_h: int, w: int, h: int, position: tuple[float, float, float, float] | None
) -> tuple[int, int, int, int]:
    """Where the source goes on the new canvas: ``(x0, y0, sw, sh)``, aspect kept (fit in the target box)."""
    bx, by, bw, bh = (0.0, 0.0, float(w), float(h)) if position is None else (
        position[0] * w, position[1] * h, position[2] * w, position[3] * h)  # fmt: skip
    s = min(bw / src_w, bh / src_h)
    sw = max(2, round(src_w * s / 2) * 2)
    sh = max(2, round(src_h * s / 2) * 2)
    x0 = round(bx + (bw - sw) / 2)
    y0 = round(by + (bh - sh) / 2)
    return x0, y0, sw, sh


def render_reframe(
    request: ReframeRequest,
    video: Path | str,
    out: Path | str,
    *,
    progress: Progress | None = None,
    quality: int | None = None,
    codec: str = "h264",
) -> dict[str, Any]:
    """Extend the source to a new aspect ratio: the source unstretched where ``sourcePosition`` puts it
    (centred by default), the new area mirrored from it, blurred and painted in the prompt's look."""
    _tune_malloc()
    info = media.probe(video)
    full = request.size
    w, h = preview_size(*full)
    position = cast("tuple[float, float, float, float] | None", request.source_position)  # normalized
    x0, y0, sw, sh = reframe_geometry(info.width, info.height, w, h, position)
    rows = _reflect(np.arange(h) - y0, sh)
    cols = _reflect(np.arange(w) - x0, sw)
    yy, xx = np.arange(h)[:, None], np.arange(w)[None, :]
    dist = np.maximum(np.maximum(x0 - xx, xx - (x0 + sw - 1)), np.maximum(y0 - yy, yy - (y0 + sh - 1)))
    feather = max(4.0, 0.03 * max(w, h))
    alpha = np.clip(dist / feather, 0.0, 1.0).astype(np.float32)[..., None]  # 0 on the source itself
    alpha = alpha.repeat(3, axis=2)  # full (H, W, 3): same-shape ops are much faster than channel broadcasts
    painter = Painter(look_for(request.prompt), w, h)
    blur_r = max(2, round(0.02 * max(w, h)))

    def gen() -> Iterator[np.ndarray]:
        for t, f in enumerate(preview_frames(video, (sw, sh))):
            canvas = _gather2d(f, rows, cols).astype(np.float32) * np.float32(1 / 255)
            ext = painter.apply(box_blur(canvas, blur_r), t, amount=0.8)
            ext = canvas + np.float32(0.75) * (ext - canvas)
            yield _to_u8(canvas + alpha * (ext - canvas))

    _write(out, gen(), info.fps, info.n_frames, progress=progress, quality=quality, codec=codec, size=full)
    fx, fy, fw, fh = reframe_geometry(info.width, info.height, *full, position)  # in the output
    return {"sourceBox": {"x": fx, "y": fy, "width": fw, "height": fh}, "look": painter.look.summary()}


def _write(
    out: Path | str,
    frames: Iterator[np.ndarray],
    fps: float,
    n_frames: int,
    *,
    progress: Progress | None,
    quality: int | None,
    codec: str,
    size: tuple[int, int] | None = None,
) -> None:
    """Encode ``frames`` to ``out`` (scaled by the encoder to ``size``, the size the request asks for),
    calling ``progress(done / n_frames)`` as each frame is taken."""

    def counted() -> Iterator[np.ndarray]:
        for t, frame in enumerate(frames, 1):
            yield frame
            if progress is not None:
                progress(t / n_frames)

    # a preview is re-encoded small for display anyway: trade file size for half the encode time
    media.write_video(out, counted(), fps, quality=quality, codec=codec, preset=ENCODE_PRESET, size=size)


def render(
    request: ModifyRequest | GenerateRequest | ReframeRequest,
    inputs: dict[str, Any],
    out: Path | str,
    *,
    progress: Progress | None = None,
    quality: int | None = None,
    codec: str = "h264",
) -> dict[str, Any]:
    """Render any request. ``inputs``: ``{"video": path}`` (an edit may add ``"images"``, its anchors) or
    ``{"images": [(path, frame), ...]}``."""
    _tune_malloc()
    kw: dict[str, Any] = {"progress": progress, "quality": quality, "codec": codec}
    if isinstance(request, ModifyRequest):
        return render_modify(request, inputs["video"], out, anchors=inputs.get("images", ()), **kw)
    if isinstance(request, ReframeRequest):
        return render_reframe(request, inputs["video"], out, **kw)
    return render_generate(request, inputs.get("images", []), out, **kw)
