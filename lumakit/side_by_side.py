"""The file to share: one captioned side-by-side video of an A/B, for a slide, a chat or a pull request.

(Watching in the notebook is :mod:`lumakit.display`; measuring is :mod:`lumakit.compare`.)

    lk.comparison_video({"source": src, **runs})                  # comparison.mp4: one row, captioned
    lk.comparison_video(runs, "grid.mp4", columns=2, height=240)  # a 2-column grid of a ResultSet
    lk.comparison_video([a, b], audio=None)                       # silent

Built with moviepy (imported on first call, with ``os.environ`` protected from its ``.env`` loading):
every clip is scaled by ffmpeg to one height while it is read, placed in its tile with a caption band under
it, and the whole is written at one frame rate, as long as the longest clip (shorter ones hold their last
frame), with the source's sound when it has any.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import _files, media
from .errors import MediaError, RequestError

__all__ = ["caption_for", "comparison_video", "default_font"]

_BAND_BG = (17, 17, 17)
_TEXT = "white"
_GAP = 4  # pixels between tiles


def default_font() -> str | None:
    """A TrueType font every install has: DejaVu Sans from matplotlib's package data (None: Pillow's own)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    return str(path) if path.is_file() else None


def caption_for(label: str | None, video: Any) -> str:
    """A tile's caption: the label, plus a Result's strength/controls in short and "local preview"."""
    from .wire.tasks import describe_edit

    parts = [label] if label else []
    wire = getattr(video, "wire", None)
    if wire is not None:
        edit = describe_edit(wire)
        if edit != "-" and label and edit.startswith(label):
            parts[0] = edit  # "flex_2 + face=True" says what the label "flex_2" says, and more
        elif edit != "-":
            parts.append(edit)
    if getattr(video, "is_local", False):
        parts.append("local preview")
    return " · ".join(parts) if parts else media.display_name(video)


@dataclass(frozen=True)
class _Tile:
    info: media.VideoInfo
    caption: str
    size: tuple[int, int]  # scaled clip (w, h), both even


def _even(v: float) -> int:
    return max(2, round(v / 2) * 2)


def _check(columns: int | None, height: int, audio: Any, labels: Any, n: int) -> int:
    if not isinstance(height, int) or isinstance(height, bool) or height < 16:
        raise RequestError("height", height, "an int >= 16 (pixels per tile)")
    if columns is not None and (not isinstance(columns, int) or isinstance(columns, bool) or columns < 1):
        raise RequestError("columns", columns, "a positive int or None (one row)")
    if not (audio is None or audio is False or isinstance(audio, str)):
        raise RequestError("audio", audio, '"source", a clip\'s label, or None (silent)')
    if not isinstance(labels, bool) and not (
        isinstance(labels, Sequence) and not isinstance(labels, str) and len(labels) == n
    ):
        raise RequestError("labels", labels, f"True, False, or a list of {n} captions")
    return n if columns is None else min(columns, n)


def _audio_source(
    audio: Any, items: list[tuple[str | None, Any]], tiles: list[_Tile]
) -> media.VideoInfo | None:
    if audio is None or audio is False:
        return None
    labels = [lb for lb, _ in items]
    if audio != "source":
        if audio not in labels:
            raise RequestError("audio", audio, ["source", None, *[lb for lb in labels if lb]])
        info = tiles[labels.index(audio)].info
        return info if info.has_audio else None
    if "source" in labels and tiles[labels.index("source")].info.has_audio:
        return tiles[labels.index("source")].info
    return next((t.info for t in tiles if t.info.has_audio), None)


def _fit_font(text: str, font: str | None, width: int, band: int) -> tuple[int, int]:
    """The largest font size (<= 60 % of the band) at which ``text`` fits ``width``, and the top margin
    that centres a line of that font (ascent + descent) in the band, whatever letters the text has."""
    from PIL import ImageFont

    size = max(8, int(band * 0.6))
    while True:
        f = ImageFont.truetype(font, size) if font else ImageFont.load_default(size)
        if size <= 8 or f.getlength(text) <= width - 8:
            break
        size -= 1
    ascent, descent = f.getmetrics() if isinstance(f, ImageFont.FreeTypeFont) else (size, 0)
    return size, max(0, (band - ascent - descent) // 2)


def comparison_video(
    videos: Any,
    path: str | os.PathLike[str] = "comparison.mp4",
    *,
    columns: int | None = None,
    labels: bool | Sequence[str] = True,
    audio: str | None = "source",
    height: int = 360,
    fps: float | None = None,
    quality: int = 6,
) -> Path:
    """Write the clips side by side, captioned, as one H.264 MP4 and return its path.

    Args:
      videos: a ``{label: video}`` mapping, a ``ResultSet``, or a list (paths, URLs or ``Result``s), as
        :func:`~lumakit.compare.frame_grid` takes them; frame arrays (at 24 fps) and file bytes work too.
      path: the MP4 to write (written to a temp file, then moved into place).
      columns: tiles per row (default: all in one row).
      labels: True captions each tile with its label (for a ``Result`` also its strength/controls and
        "local preview" when it came from the local backend); False leaves captions off; or a list.
      audio: ``"source"`` carries the sound of the clip labelled "source" (else of the first clip that has
        any); a clip's label takes that clip's; None writes a silent video.
      height: each clip's height in pixels (widths follow each clip's aspect).
      fps: the one frame rate of the result (default: the highest among the clips).
      quality: 0 (smallest) .. 10 (best).

    Raises:
      RequestError: a bad option (nothing is written). MediaError: a clip that cannot be read.
    """
    items = media.labeled(videos)
    n_cols = _check(columns, height, audio, labels, len(items))
    if fps is not None and not (isinstance(fps, (int, float)) and fps > 0):
        raise RequestError("fps", fps, "a positive number of frames per second, or None")
    crf = media._crf(quality)
    raw = (np.ndarray, bytes, bytearray, memoryview)  # frame arrays (24 fps) and file bytes become files
    items = [(lb or (f"clip {i + 1}" if isinstance(v, raw) else None), media.materialize(v))
             for i, (lb, v) in enumerate(items)]  # fmt: skip
    infos = [media.probe(v) for _, v in items]
    if labels is True:
        captions = [caption_for(lb, v) + (f" · {media.HDR_MARK}" if i.hdr else "")
                    for (lb, v), i in zip(items, infos, strict=True)]  # fmt: skip
    elif labels is False:
        captions = ["" for _ in items]
    else:
        captions = [str(c) for c in labels]
    tiles = [
        _Tile(i, c, (_even(height * i.aspect), _even(height))) for i, c in zip(infos, captions, strict=True)
    ]
    speaker = _audio_source(audio, items, tiles)
    out_fps = float(fps or max(i.fps for i in infos))
    return _compose(tiles, Path(path).expanduser(), n_cols, bool(labels is not False), speaker, out_fps, crf)


def _compose(
    tiles: list[_Tile], out: Path, n_cols: int, captioned: bool, speaker: media.VideoInfo | None,
    fps: float, crf: int,
) -> Path:  # fmt: skip
    from ._moviepy import moviepy

    mp = moviepy()
    font = default_font()
    n_rows = -(-len(tiles) // n_cols)
    tile_h = tiles[0].size[1]
    band = _even(max(18, tile_h * 0.09)) if captioned else 0
    col_w = [max(t.size[0] for t in tiles[c::n_cols]) for c in range(n_cols)]
    width = _even(sum(col_w) + _GAP * (n_cols - 1))
    full_h = _even(n_rows * (tile_h + band) + _GAP * (n_rows - 1))
    duration = max(t.info.duration for t in tiles)
    opened: list[Any] = []
    layers: list[Any] = []
    scratch = tempfile.TemporaryDirectory(prefix=".lumakit-tiles-")
    try:
        for k, tile in enumerate(tiles):
            row, col = divmod(k, n_cols)
            x0 = sum(col_w[:col]) + _GAP * col
            y0 = row * (tile_h + band + _GAP)
            x = x0 + (col_w[col] - tile.size[0]) // 2
            readable = _readable(tile, fps, Path(scratch.name) / f"tile{k}.mp4")
            clip = mp.VideoFileClip(str(readable), audio=False, target_resolution=tile.size)
            opened.append(clip)
            last = max(0.0, tile.info.duration - 1.0 / tile.info.fps)
            held = clip.time_transform(lambda t, last=last: min(t, last)).with_duration(duration)
            layers.append(held.with_position((x, y0)))
            if captioned and tile.caption:
                size, top = _fit_font(tile.caption, font, col_w[col], band)
                text = mp.TextClip(
                    font=font, text=tile.caption, font_size=size, size=(col_w[col], band - top),
                    margin=(0, top, 0, 0), color=_TEXT, bg_color=_BAND_BG, transparent=False,
                    method="label", vertical_align="top", duration=duration,
                )  # fmt: skip
                layers.append(text.with_position((x0, y0 + tile_h)))
        video = mp.CompositeVideoClip(layers, size=(width, full_h), bg_color=(0, 0, 0)).with_duration(
            duration
        )
        if speaker is not None:
            sound = mp.AudioFileClip(str(speaker.path))
            opened.append(sound)
            video = video.with_audio(sound.with_duration(min(sound.duration, duration)))
        return _write(video, out, fps, crf, speaker is not None, Path(scratch.name))
    finally:
        for clip in opened:
            with contextlib.suppress(Exception):
                clip.close()
        scratch.cleanup()


def _readable(tile: _Tile, fps: float, out: Path) -> Path:
    """The tile's clip as moviepy reads it right: an HDR clip tone-mapped to SDR, a variable-rate clip
    re-timed to ``fps`` by its own timestamps (moviepy assumes a constant rate); others as they are."""
    info = tile.info
    if not (info.hdr or info.vfr):
        return Path(info.path)
    vf = (media.display_filter(info, tile.size) or "null") + f",fps={fps:.6g}"
    cmd = [media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(info.path),
           "-map", "0:v:0", "-an", "-vf", vf, "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12",
           "-pix_fmt", "yuv420p", str(out)]  # fmt: skip
    done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        what = "tone-map" if info.hdr else "re-time"
        raise MediaError(info.path, f"ffmpeg failed to {what} the clip for the comparison video: "
                         + (lines[-1] if lines else f"exit status {done.returncode}"))  # fmt: skip
    return out


def _write(video: Any, out: Path, fps: float, crf: int, with_audio: bool, scratch: Path) -> Path:
    """Encode the composed clip into ``out`` through a temp file beside it (``_files.atomic_path``: unique per
    process and thread, moved into place whole); moviepy's temporary sound file goes to ``scratch``."""
    with _files.atomic_path(out) as part:
        try:
            video.write_videofile(
                str(part), fps=fps, codec="libx264", audio=with_audio, audio_codec="aac",
                preset="veryfast", ffmpeg_params=["-crf", str(crf), "-movflags", "+faststart", "-f", "mp4"],
                temp_audiofile_path=str(scratch), pixel_format="yuv420p", logger=None,
            )  # fmt: skip
        except (OSError, ValueError) as exc:
            raise MediaError(out, f"could not write the comparison video: {exc}") from None
    return out
