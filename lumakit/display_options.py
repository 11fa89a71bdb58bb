"""How videos are shown: the one set of options that ``show_videos``, ``html_for``, ``synced_player``,
``player_html``, ``save_page`` and the report share (one home for each default and each check).

    opts = lk.DisplayOptions(columns=2, sound="source")
    lk.show_videos(runs, options=opts)          # or the same names as keywords: show_videos(runs, columns=2)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from . import media
from .errors import RequestError

__all__ = ["EMBED_BUDGET", "DisplayOptions"]

EMBED_BUDGET = 4_500_000  # bytes of base64 for all embedded clips of one call


def _check_px(name: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise RequestError(name, value, "a positive int (pixels) or None")


@dataclass(frozen=True)
class DisplayOptions:
    """Display options, checked when made (a bad value raises ``RequestError`` naming it).

    Attributes:
      columns: clips per row (None: all of them, up to 4).
      width: width of each clip in pixels (None: share the cell's width).
      height: height of each clip in pixels (width follows the aspect ratio).
      loop: restart at the end (a synced group restarts when its longest clip ends).
      autoplay: start playing at once (muted: browsers allow no sound before a click).
      embed: ``"auto"``/``True`` embeds local files as small previews and references URLs; ``False``
        references every file by path.
      max_side: longest side of embedded previews, in pixels.
      codec: ``"h264"`` (MP4) or ``"vp9"`` (WebM) for embedded previews, or ``"gif"`` for front ends that
        play neither (shown as images, unsynced, silent).
      embed_budget: most bytes of base64 all embedded clips may take together.
      fps: frame rate of frame arrays (None: 24).
      border: a black border around each clip: True (1 px) or a width in pixels.
      sound: which clip is heard: ``"auto"`` (the first local clip that has sound, usually the source), a
        clip's title or position (0-based), or None (every clip muted). The others stay muted; the player's
        sound menu (or a clip's own volume control) switches it.
    """

    columns: int | None = None
    width: int | None = None
    height: int | None = None
    loop: bool = True
    autoplay: bool = True
    embed: str | bool = "auto"
    max_side: int = 480
    codec: str = "h264"
    embed_budget: int = EMBED_BUDGET
    fps: float | None = None
    border: bool | int = False
    sound: int | str | None = "auto"

    def __post_init__(self) -> None:
        if self.columns is not None and (
            not isinstance(self.columns, int) or isinstance(self.columns, bool) or self.columns < 1
        ):
            raise RequestError("columns", self.columns, "a positive int or None")
        _check_px("width", self.width)
        _check_px("height", self.height)
        if not (self.embed is True or self.embed is False or self.embed == "auto"):
            raise RequestError("embed", self.embed, ["auto", True, False])
        if not isinstance(self.max_side, int) or self.max_side < 16:
            raise RequestError("max_side", self.max_side, "an int >= 16 (pixels)")
        if self.codec not in media.PREVIEW_CODECS:
            raise RequestError("codec", self.codec, list(media.PREVIEW_CODECS))
        if not isinstance(self.embed_budget, int) or self.embed_budget < 1:
            raise RequestError("embed_budget", self.embed_budget, "a positive int (bytes)")
        fps = self.fps
        if fps is not None and not (isinstance(fps, (int, float)) and not isinstance(fps, bool) and fps > 0):
            raise RequestError(
                "fps", fps, "a positive number of frames per second (for frame arrays), or None"
            )
        self.border_px  # noqa: B018 - checks border
        sound = self.sound
        if not (
            sound is None
            or isinstance(sound, str)
            or (isinstance(sound, int) and not isinstance(sound, bool))
        ):
            raise RequestError("sound", sound, "'auto', a clip's title or position, or None (muted)")

    @classmethod
    def of(cls, options: DisplayOptions | None = None, /, **changes: Any) -> DisplayOptions:
        """``options`` (default: the defaults) with ``changes``; an unknown name raises ``RequestError``."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(changes) - names)
        if unknown:
            message = f"unknown display option(s) {unknown}; known: {sorted(names)}"
            raise RequestError(unknown[0], changes[unknown[0]], sorted(names), message=message)
        if options is not None and not isinstance(options, DisplayOptions):
            raise RequestError("options", options, "a lumakit.DisplayOptions or None")
        return dataclasses.replace(options or cls(), **changes)

    @property
    def border_px(self) -> int:
        """The border's width in pixels (0: none)."""
        b = self.border
        if b is True:
            return 1
        if b is False or b is None:
            return 0
        if isinstance(b, int) and b >= 0:
            return b
        raise RequestError("border", b, "True (1 px), False, or a width in pixels")

    @property
    def frame_rate(self) -> float:
        """The rate frame arrays are played at."""
        return 24.0 if self.fps is None else float(self.fps)

    def columns_for(self, n: int) -> int:
        """Clips per row for ``n`` clips."""
        return min(n, 4) if self.columns is None else self.columns
