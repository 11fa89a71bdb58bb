"""Prompt -> look: the palette, texture and lighting the preview renderer paints with.

Words in the prompt pick traits from :data:`KEYWORDS` (``winter``/``snow``, ``neon``/``cyberpunk``,
``golden``, ``night``, ``sunset``, ``watercolor``, relight words such as ``rim light``, ``backlit``,
``candlelight``, ...); several words combine. What the words leave open (a hue shift, the texture's
grain, split-tone colours) comes from a hash of the prompt, so every prompt has its own stable look::

    look = look_for("a snowy winter street at night")
    look.words                      # ('winter', 'night')
    painter = Painter(look, 640, 360)
    styled = painter.apply(frame, t=0)   # float32 (H, W, 3) in [0, 1]

The colour part is one affine map (gains, hue, saturation, contrast and split-tone folded into a 3×3 matrix
and an offset) so a frame costs one small matrix product; textures and light fields are computed once per job.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field

import numpy as np

LUMA = np.array([0.299, 0.587, 0.114], np.float32)

# word pattern -> traits. gains multiply RGB, offset adds, saturation/contrast multiply, shadow/highlight
# add a split tone, texture is the surface pattern, lights the relighting passes, posterize quantizes (paint).
KEYWORDS: list[tuple[str, str, dict[str, object]]] = [
    ("winter", r"winter|snow|snowy|frost|ice|icy|blizzard", {
        "gains": (0.85, 0.97, 1.18), "offset": 0.10, "saturation": 0.55, "texture": "snow",
        "highlight": (0.0, 0.04, 0.10)}),
    ("neon", r"neon|cyber\w*|synthwave|glowing|circuit\w*|hologra\w*", {
        "gains": (1.05, 0.65, 1.25), "contrast": 1.35, "saturation": 1.7, "shadow": (0.18, 0.0, 0.28),
        "highlight": (-0.1, 0.22, 0.25), "texture": "scanlines", "lights": ("glow",)}),
    ("golden", r"golden|gold|warm light|magic hour|dawn", {
        "gains": (1.22, 1.02, 0.68), "offset": 0.04, "saturation": 1.15, "lights": ("sun",)}),
    ("night", r"night|nighttime|midnight|moonlit|moonlight|dark", {
        "gains": (0.50, 0.62, 0.95), "offset": -0.06, "contrast": 1.15, "lights": ("vignette",),
        "shadow": (0.0, 0.02, 0.10)}),
    ("sunset", r"sunset|dusk|twilight", {
        "gains": (1.25, 0.85, 0.78), "lights": ("sky",), "highlight": (0.12, 0.02, -0.04)}),
    ("watercolor", r"watercolou?r|painting|painted|paint|gouache|impressionis\w*", {
        "saturation": 0.85, "offset": 0.06, "texture": "paper", "posterize": 7}),
    ("sketch", r"sketch|pencil|charcoal|ink", {
        "saturation": 0.1, "contrast": 1.3, "texture": "brush", "posterize": 5}),
    ("rim light", r"rim ?light|rimlit|edge light", {"lights": ("rim",), "contrast": 1.1}),
    ("backlit", r"backlit|backlight\w*|silhouett\w*|contre-?jour", {"lights": ("backlit",)}),
    ("candlelight", r"candle\w*|firelight|lantern|torch\w*", {
        "gains": (1.25, 0.88, 0.58), "offset": -0.08, "lights": ("candle", "vignette")}),
    ("fire", r"fire|flame\w*|lava|inferno|ember\w*", {
        "gains": (1.4, 0.8, 0.45), "contrast": 1.2, "lights": ("glow",)}),
    ("underwater", r"underwater|ocean|sea|aquatic|coral", {
        "gains": (0.7, 1.02, 1.15), "texture": "caustics"}),
    ("forest", r"forest|jungle|moss\w*|leaf|leaves", {"gains": (0.85, 1.15, 0.8), "saturation": 1.2}),
    ("vintage", r"vintage|sepia|old film|retro|1920s|film grain", {
        "saturation": 0.25, "gains": (1.12, 1.0, 0.78), "texture": "grain"}),
    ("noir", r"noir|black and white|monochrome|grayscale|greyscale", {
        "saturation": 0.0, "contrast": 1.35, "texture": "grain", "lights": ("vignette",)}),
    ("glass", r"glass|crystal|transparent|chrome|metallic|silver", {
        "saturation": 0.6, "contrast": 1.25, "lights": ("rim",), "highlight": (0.05, 0.08, 0.12)}),
]  # fmt: skip

TEXTURE_CACHE_BYTES = 64 * 2**20  # a Painter may keep this much of 3-channel texture frames (speed)
TEXTURES = ("grain", "snow", "paper", "scanlines", "brush", "caustics")


@dataclass(frozen=True)
class Look:
    """A prompt's look. ``words`` are the keyword groups it matched; ``seed`` comes from the prompt."""

    prompt: str
    words: tuple[str, ...]
    gains: tuple[float, float, float]
    offset: float
    saturation: float
    contrast: float
    hue: float  # degrees
    shadow: tuple[float, float, float]
    highlight: tuple[float, float, float]
    texture: str
    texture_amount: float
    texture_scale: float
    lights: tuple[str, ...]
    posterize: int
    seed: int
    accent: tuple[float, float, float] = field(default=(1.0, 0.8, 0.5))

    def summary(self) -> dict[str, object]:
        """What the look is, for ``lumakitLocal.look`` in the response."""
        return {
            "words": list(self.words),
            "hue": round(self.hue, 1),
            "texture": self.texture,
            "lights": list(self.lights),
        }


def prompt_seed(prompt: str) -> int:
    """A stable 32-bit seed from the prompt text (case- and space-insensitive)."""
    norm = " ".join(prompt.lower().split())
    return int.from_bytes(hashlib.sha256(norm.encode()).digest()[:4], "big")


def look_for(prompt: str) -> Look:
    """The look of a prompt: keyword traits combined, the rest from a hash of the prompt."""
    text = prompt.lower()
    seed = prompt_seed(prompt)
    rng = np.random.default_rng(seed)
    gains = np.ones(3)
    offset, saturation, contrast, posterize = 0.0, 1.0, 1.0, 0
    shadow, highlight = np.zeros(3), np.zeros(3)
    texture, lights, words = "", [], []
    for name, pattern, traits in KEYWORDS:
        if not re.search(rf"\b(?:{pattern})\b", text):
            continue
        words.append(name)
        gains *= np.array(traits.get("gains", (1, 1, 1)), float)
        offset += float(traits.get("offset", 0.0))  # type: ignore[arg-type]
        saturation *= float(traits.get("saturation", 1.0))  # type: ignore[arg-type]
        contrast *= float(traits.get("contrast", 1.0))  # type: ignore[arg-type]
        shadow += np.array(traits.get("shadow", (0, 0, 0)), float)
        highlight += np.array(traits.get("highlight", (0, 0, 0)), float)
        texture = texture or str(traits.get("texture", ""))
        lights += [x for x in traits.get("lights", ()) if x not in lights]  # type: ignore[union-attr,attr-defined]
        posterize = max(posterize, int(traits.get("posterize", 0)))  # type: ignore[call-overload]
    # what the words leave open comes from the hash: a matched prompt drifts a little, an unmatched one a lot
    spread = 18.0 if words else 150.0
    hue = float(rng.uniform(-spread, spread))
    if not words:
        hue = math.copysign(max(abs(hue), 60.0), hue)
        saturation *= float(rng.uniform(1.1, 1.5))
        shadow += rng.uniform(-0.06, 0.06, 3)
        highlight += rng.uniform(-0.08, 0.08, 3)
    texture = texture or TEXTURES[int(rng.integers(0, 3)) * 2 % len(TEXTURES)]  # grain, paper or brush
    accent = tuple(float(v) for v in np.clip(0.55 + 0.45 * rng.uniform(-1, 1, 3), 0, 1))
    if "golden" in words or "candlelight" in words or "fire" in words:
        accent = (1.0, 0.72, 0.35)
    elif "neon" in words:
        accent = (0.2, 1.0, 0.95)
    elif "winter" in words or "night" in words:
        accent = (0.7, 0.85, 1.0)
    return Look(
        prompt=prompt,
        words=tuple(words),
        gains=tuple(float(g) for g in gains),  # type: ignore[arg-type]
        offset=offset,
        saturation=saturation,
        contrast=contrast,
        hue=hue,
        shadow=tuple(float(v) for v in shadow),  # type: ignore[arg-type]
        highlight=tuple(float(v) for v in highlight),  # type: ignore[arg-type]
        texture=texture,
        texture_amount=float(rng.uniform(0.06, 0.11)),
        texture_scale=float(rng.uniform(0.7, 1.4)),
        lights=tuple(lights),
        posterize=posterize,
        seed=seed,
        accent=accent,  # type: ignore[arg-type]
    )


def color_transform(look: Look) -> tuple[np.ndarray, np.ndarray]:
    """The look's colour as one affine map on row vectors: ``rgb @ A + b``."""
    m = np.diag(np.array(look.gains, np.float64))
    # hue rotation about the grey axis
    a = math.radians(look.hue)
    c, s, k = math.cos(a), math.sin(a), 1 / 3
    sq = math.sqrt(k)
    rot = np.array(
        [
            [c + (1 - c) * k, k * (1 - c) - sq * s, k * (1 - c) + sq * s],
            [k * (1 - c) + sq * s, c + k * (1 - c), k * (1 - c) - sq * s],
            [k * (1 - c) - sq * s, k * (1 - c) + sq * s, c + k * (1 - c)],
        ]
    )
    m = rot @ m
    luma = LUMA.astype(np.float64)
    sat = look.saturation * np.eye(3) + (1 - look.saturation) * np.outer(np.ones(3), luma)
    m = sat @ m
    b = np.full(3, look.offset)
    # split tone: + shadow * (1 - L) + highlight * L, with L = luma . x (affine in x)
    sh, hi = np.array(look.shadow), np.array(look.highlight)
    m = m + np.outer(hi - sh, luma) @ m
    b = b + sh + (hi - sh) * (luma @ b)
    # contrast about mid grey
    m = look.contrast * m
    b = look.contrast * b + 0.5 * (1 - look.contrast)
    return m.T.astype(np.float32), b.astype(np.float32)


BLAS_ROWS = 16384  # rows per matrix product: small enough that BLAS stays on the calling thread


def rgb_dot(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``x @ m`` for pixels ``x`` (..., 3) and ``m`` (3,) or (3, k), a block of rows at a time.

    One big product makes OpenBLAS wake its thread pool, whose threads then spin on the other cores
    between frames (about double the CPU time of a render). Blocks of :data:`BLAS_ROWS` stay below its
    threading threshold; the values are the same.
    """
    flat = x.reshape(-1, 3)
    out = np.empty((flat.shape[0], *m.shape[1:]), np.result_type(x, m))
    for i in range(0, flat.shape[0], BLAS_ROWS):
        np.matmul(flat[i : i + BLAS_ROWS], m, out=out[i : i + BLAS_ROWS])
    return out.reshape(*x.shape[:-1], *m.shape[1:])


def value_noise(h: int, w: int, cell: float, rng: np.random.Generator) -> np.ndarray:
    """Smooth noise in [-1, 1], float32 (h, w): a random grid every ``cell`` pixels, bilinearly upsampled."""
    gh, gw = max(2, int(h / cell) + 2), max(2, int(w / cell) + 2)
    grid = rng.uniform(-1, 1, (gh, gw)).astype(np.float32)
    ys = np.linspace(0, gh - 1.001, h, dtype=np.float32)
    xs = np.linspace(0, gw - 1.001, w, dtype=np.float32)
    y0, x0 = ys.astype(np.int32), xs.astype(np.int32)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)
    top = grid[y0][:, x0] * (1 - fx) + grid[y0][:, x0 + 1] * fx
    bot = grid[y0 + 1][:, x0] * (1 - fx) + grid[y0 + 1][:, x0 + 1] * fx
    return (top * (1 - fy) + bot * fy).astype(np.float32)


class Painter:
    """Applies a :class:`Look` to float32 frames of one size; fields are computed once, here."""

    def __init__(self, look: Look, width: int, height: int) -> None:
        self.look, self.w, self.h = look, width, height
        self.matrix, self.bias = color_transform(look)
        rng = np.random.default_rng(look.seed ^ (width * 7919 + height))
        yy = np.linspace(0, 1, height, dtype=np.float32)[:, None]
        xx = np.linspace(0, 1, width, dtype=np.float32)[None, :]
        self.accent = np.array(look.accent, np.float32)
        self._texture_frames = self._textures(rng, yy, xx)
        self._light_mul, self._light_add = self._light_fields(rng, yy, xx)
        # full-size (H, W, 3) copies: same-shape ops are ~10x faster than broadcasting over the channels
        self._bias_full = np.ascontiguousarray(np.broadcast_to(self.bias, (height, width, 3)))
        self._light_mul3 = (
            None if self._light_mul is None else np.repeat(self._light_mul[..., None], 3, axis=2)
        )
        self._scaled: dict[float, list[np.ndarray]] = {}
        self.rim = "rim" in look.lights or "glow" in look.lights
        self.flicker = (
            1.0 + 0.07 * np.sin(np.arange(4096) * 0.9 + rng.uniform(0, 6)) * rng.uniform(0.5, 1.0, 4096)
            if "candle" in look.lights
            else None
        )

    def _textures(self, rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray) -> list[np.ndarray]:
        h, w, look = self.h, self.w, self.look
        scale = look.texture_scale * max(h, w) / 640
        kind = look.texture
        if kind == "snow":
            field_ = np.zeros((2 * h, w), np.float32)
            dots = rng.random((2 * h, w)) > 0.994
            field_[dots] = 1.0
            field_ = np.maximum(field_, np.roll(field_, 1, 0) * 0.7)
            field_ = np.maximum(field_, np.roll(field_, 1, 1) * 0.7)
            step = max(1, h // 24)
            offsets = [h - (i * step) % h for i in range(24)]  # the flakes fall as t rises
            return [np.ascontiguousarray(field_[o : o + h] * 5.0 - 0.3) for o in offsets]
        if kind == "scanlines":
            rows = np.sin(np.arange(h, dtype=np.float32) * math.pi / max(1.5, 2 * scale))[:, None]
            base = np.broadcast_to(rows * 0.9, (h, w)).astype(np.float32)
            return [base + 0.15 * value_noise(h, w, 40 * scale, rng) for _ in range(3)]
        if kind == "paper":
            paper = 0.6 * value_noise(h, w, 3 * scale, rng) + 0.8 * value_noise(h, w, 30 * scale, rng)
            return [paper.astype(np.float32)]
        if kind == "brush":
            streak = value_noise(h, max(2, w // 8), 2 * scale, rng)
            streak = np.repeat(streak, 8, axis=1)[:, :w]
            if streak.shape[1] < w:
                streak = np.pad(streak, ((0, 0), (0, w - streak.shape[1])), mode="edge")
            return [(streak + 0.4 * value_noise(h, w, 12 * scale, rng)).astype(np.float32)]
        if kind == "caustics":
            n1 = value_noise(h, w, 24 * scale, rng)
            frames = []
            for i in range(8):
                ph = i * math.pi / 4
                frames.append((np.abs(np.sin(n1 * 6 + ph)) * 1.6 - 1.0).astype(np.float32))
            return frames
        # grain: four frames cycled
        return [rng.normal(0, 0.8, (h, w)).astype(np.float32) for _ in range(4)]

    def _light_fields(
        self, rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        lights, aspect = self.look.lights, self.w / self.h
        mul = np.ones((self.h, self.w), np.float32)
        add = np.zeros((self.h, self.w, 3), np.float32)
        touched = False
        r2 = ((xx - 0.5) * aspect) ** 2 + (yy - 0.5) ** 2
        if "vignette" in lights:
            mul *= np.clip(1 - 0.9 * r2, 0.25, 1)
            touched = True
        if "candle" in lights:
            glow = np.exp(-(((xx - 0.5) * aspect) ** 2 + (yy - 0.8) ** 2) / 0.18)
            add += glow[..., None] * np.array([0.28, 0.14, 0.02], np.float32)
            touched = True
        if "sun" in lights:
            sx = float(rng.uniform(0.1, 0.9))
            glow = np.exp(-(((xx - sx) * aspect) ** 2 + (yy - 0.05) ** 2) / 0.25)
            add += glow[..., None] * np.array([0.30, 0.20, 0.05], np.float32)
            touched = True
        if "sky" in lights:
            g = np.clip(1 - yy / 0.6, 0, 1) ** 1.5
            sky = (1 - yy) * np.array([1.0, 0.45, 0.2], np.float32) + yy * np.array(
                [0.5, 0.2, 0.5], np.float32
            )
            add += (g * 0.45)[..., None] * np.broadcast_to(sky[:, None, :], (self.h, 1, 3))
            mul *= 1 - 0.25 * np.broadcast_to(g, (self.h, self.w))
            touched = True
        if "backlit" in lights:
            halo = np.exp(-(((xx - 0.5) * aspect) ** 2 + (yy - 0.3) ** 2) / 0.08)
            add += halo[..., None] * np.array([0.55, 0.5, 0.42], np.float32)
            mul *= 0.72
            touched = True
        if not touched:
            return None, None
        return mul.astype(np.float32), add.astype(np.float32)

    def texture(self, t: int) -> np.ndarray:
        """The texture field at frame ``t`` (float32 (H, W), roughly in [-1, 1])."""
        return self._texture_frames[t % len(self._texture_frames)]

    def _scaled_texture(self, t: int, amount: float) -> np.ndarray:
        """``texture_amount * amount * texture(t)``, cached per amount (a job uses one or two).

        Cached as (H, W, 3) when the frames fit in :data:`TEXTURE_CACHE_BYTES` (adding a same-shape array is
        several times faster than adding a plane per channel), else as (H, W).
        """
        key = float(amount)
        frames = self._scaled.get(key)
        if frames is None:
            k = self.look.texture_amount * amount
            frames = [k * f for f in self._texture_frames]
            if sum(f.nbytes for f in frames) * 3 * (len(self._scaled) + 1) <= TEXTURE_CACHE_BYTES:
                frames = [f[..., None].repeat(3, axis=2) for f in frames]
            self._scaled[key] = frames
        return frames[t % len(frames)]

    def apply(self, x: np.ndarray, t: int, *, amount: float = 1.0) -> np.ndarray:
        """The look applied to a float32 (H, W, 3) frame in [0, 1]; ``amount`` scales texture and lights.

        Every full-frame step is a contiguous same-shape op or a per-channel (strided) op: broadcasting an
        (H, W) or (3,) operand over the channel axis is about ten times slower in numpy.
        """
        h, w = self.h, self.w
        y = rgb_dot(x, self.matrix).reshape(h, w, 3)
        y += self._bias_full
        if self._light_mul is not None:
            y *= self._light_mul3
            y += self._light_add
        if self.flicker is not None:
            y *= self.flicker[t % len(self.flicker)]
        if self.rim:
            lum = x[..., 0] * LUMA[0] + x[..., 1] * LUMA[1] + x[..., 2] * LUMA[2]
            edge = np.empty_like(lum)
            flat = lum.reshape(-1)  # |right - left| on the flat array (fast), then the wrapped column cleared
            np.abs(flat[1:] - flat[:-1], out=edge.reshape(-1)[:-1])
            edge[:, -1] = 0.0
            edge[:-1] += np.abs(lum[1:] - lum[:-1])
            edge *= 4.0
            np.minimum(edge, 1.0, out=edge)
            for c in range(3):
                y[..., c] += edge * self.accent[c]
        tex = self._scaled_texture(t, amount)
        if tex.ndim == 3:
            y += tex
        else:
            for c in range(3):
                y[..., c] += tex
        if self.look.posterize:
            n = np.float32(self.look.posterize)
            y *= n
            y += np.float32(0.5)
            np.floor(y, out=y)
            y /= n
        np.clip(y, 0.0, 1.0, out=y)
        return y
