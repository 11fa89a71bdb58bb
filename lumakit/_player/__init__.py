"""The synced player widget (anywidget). Imported lazily by :mod:`lumakit.display`; needs anywidget."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from .._preview import PREVIEW_COLOR, PREVIEW_MARK, coloured

_HERE = Path(__file__).parent


class SyncedPlayer(anywidget.AnyWidget):
    """Clips side by side under one play/pause/seek/speed bar; followers track the longest clip.

    Works in untrusted notebooks (the code ships with the anywidget extension, not as inline script).
    Python can drive it: ``p.playing = True``, ``p.current_time = 2.0``, ``p.rate = 0.5``.
    ``p.sound = 0`` makes the first clip the one heard (-1 mutes every clip); the others stay muted.
    ``sources`` is a list of ``{"src": url-or-data-uri, "title": str, "duration": seconds, "preview": bool,
    "audio": bool}`` (``audio``: the clip's ``src`` carries sound);
    each ``preview`` clip (a local-backend result) is marked "local preview, not Ray" on the clip itself, in
    the widget and in the static HTML fallback.
    """

    _esm = _HERE / "player.js"
    _css = coloured((_HERE / "player.css").read_text())  # the preview amber, from lumakit._preview

    sources = traitlets.List(traitlets.Dict()).tag(sync=True)
    columns = traitlets.Int(0).tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    loop = traitlets.Bool(True).tag(sync=True)
    autoplay = traitlets.Bool(True).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    current_time = traitlets.Float(0.0).tag(sync=True)
    rate = traitlets.Float(1.0).tag(sync=True)
    fps = traitlets.Float(24.0).tag(sync=True)
    border = traitlets.Int(0).tag(sync=True)  # px of black border around each clip (0: none)
    sound = traitlets.Int(-1).tag(sync=True)  # position of the clip heard (-1: every clip muted)
    preview_mark = traitlets.Unicode(PREVIEW_MARK).tag(sync=True)

    def __init__(self, *, fallback_html: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if fallback_html and self.previews:
            every = len(self.previews) == len(self.sources)
            fallback_html = _marked(fallback_html, "every clip" if every else ", ".join(self.previews))
        self._fallback_html = fallback_html

    @property
    def previews(self) -> list[str]:
        """Titles (or positions) of the clips marked as local previews."""
        return [s.get("title") or f"clip {i + 1}" for i, s in enumerate(self.sources) if s.get("preview")]

    def __repr__(self) -> str:
        titles = [s.get("title") or f"clip {i + 1}" for i, s in enumerate(self.sources)]
        return f"SyncedPlayer({len(titles)} clips: {', '.join(titles)})"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """The widget view, plus static side-by-side HTML for front ends without widgets."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if self._fallback_html:
            data = bundle[0] if isinstance(bundle, tuple) else bundle
            if isinstance(data, dict):
                data["text/html"] = self._fallback_html
        return bundle


def _marked(fallback: str, which: str) -> str:
    """The static HTML with a mark line above it naming which clips are previews."""
    line = (
        f'<div class="lk-preview-mark" style="color:{PREVIEW_COLOR};font:bold 12px system-ui,sans-serif;'
        f'margin:2px 0 4px">{PREVIEW_MARK}: {html.escape(which)}</div>'
    )
    return line + fallback
