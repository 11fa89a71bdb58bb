"""Which videos are local previews, and the mark every visual made from them carries.

A :class:`~lumakit.results.Result` knows its backend (``result.is_local``). A plain path counts as a preview
when it is a result file of the local backend in a lumakit cache (``.../results/local/<xx>/<key>.<ext>``,
the layout :meth:`lumakit.cache.ResultFiles.path` writes): cheap to know, no file is opened. Anything else
(a source clip, a URL, a Ray result) carries no mark.

    is_preview(result)        # True for the local backend's results
    is_preview("clip.mp4")    # False: a source clip
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._files import result_backend

__all__ = [
    "PREVIEWS_NOTE",
    "PREVIEW_COLOR",
    "PREVIEW_MARK",
    "RENDERER_NOTE",
    "coloured",
    "is_preview",
    "mark_html",
    "tint",
]

PREVIEW_MARK = "local preview, not Ray"  # on a result and on every visual made from one
PREVIEWS_NOTE = "local previews, not Ray"  # what the local backend's results are (notice, `lumakit serve`)
RENDERER_NOTE = "local preview renderer, not Ray"  # what the local backend is (its answers, logs, reports)
PREVIEW_COLOR = "#b45309"  # the amber of both, wherever they are drawn


def tint(colour: str, alpha: float) -> str:
    """``colour`` (``#rrggbb``) as CSS ``rgba(...)`` at ``alpha``: the faint backgrounds and the translucent
    badges drawn in a note's or the preview's colour."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha:g})"


def coloured(css: str) -> str:
    """``css`` with the preview colour's placeholders filled in: ``PREVIEW_COLOR`` (the amber itself),
    ``PREVIEW_BADGE`` (slightly translucent, a badge over a video), ``PREVIEW_EDGE`` (half, a border) and
    ``PREVIEW_FAINT`` (a background). The player's and the report's stylesheets are written with them."""
    for name, alpha in (("PREVIEW_BADGE", 0.9), ("PREVIEW_EDGE", 0.5), ("PREVIEW_FAINT", 0.1)):
        css = css.replace(name, tint(PREVIEW_COLOR, alpha))
    return css.replace("PREVIEW_COLOR", PREVIEW_COLOR)


def mark_html(text: str = PREVIEW_MARK) -> str:
    """The mark as HTML, bold in the preview amber."""
    return f'<b style="color:{PREVIEW_COLOR}">{text}</b>'


def is_preview(video: Any) -> bool:
    """True for a local-backend result: a ``Result`` with ``is_local``, or a path to its cached file."""
    local = getattr(video, "is_local", None)
    if isinstance(local, bool):
        return local
    if isinstance(video, (str, Path)) and "://" not in str(video):
        return result_backend(video) == "local"
    return False
