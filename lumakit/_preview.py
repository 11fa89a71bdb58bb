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

__all__ = ["PREVIEWS_NOTE", "PREVIEW_COLOR", "PREVIEW_MARK", "RENDERER_NOTE", "is_preview", "mark_html"]

PREVIEW_MARK = "local preview, not Ray"  # on a result and on every visual made from one
PREVIEWS_NOTE = "local previews, not Ray"  # what the local backend's results are (notice, `lumakit serve`)
RENDERER_NOTE = "local preview renderer, not Ray"  # what the local backend is (its answers, logs, reports)
PREVIEW_COLOR = "#b45309"  # the amber of both, wherever they are drawn


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
