"""Show videos inline in a notebook: one clip, or several side by side with synchronized playback.

In the spirit of google/mediapy's ``show_video``/``show_videos``:

    lk.show_video("clip.mp4")                                   # displays, returns None
    lk.show_videos({"source": src, **runs}, sync=True)          # one play/pause/seek bar for every clip
    html = lk.show_videos([a, b], return_html=True)             # the static HTML string instead
    p = lumakit.display.synced_player({"a": a, "b": b})         # the widget object; display it yourself

Anything that names a video works: a path, a URL, a ``Result`` (``.path`` / ``.video_url``), a list of those,
or a ``{label: video}`` mapping (labels become titles).

Embedding policy (``embed=``):
  - ``"auto"`` (default) / ``True``: local files are embedded as a downscaled preview (H.264 MP4, base64 data
    URI, cached by content) so the notebook stays self-contained and small (a 10-clip sweep stays under
    ``embed_budget``, 4.5 MB by default); remote URLs are referenced, never downloaded.
  - ``False``: every clip is referenced by its path or URL (nothing is copied into the notebook).

Synchronized playback is an anywidget widget, so it also works in untrusted notebooks where inline
``<script>`` does not run. Where widgets cannot run (no kernel, or ``return_html=True``) the clips are shown
side by side as plain HTML ``<video>`` elements, without sync. Every ``<video>`` is ``controls
playsinline``; one clip carries sound (``sound=``, by default the first with any, usually the source) and the
others are muted. While autoplay is on every clip starts muted (browsers allow no sound before a click); the
player's sound button turns the chosen clip's sound on.
"""

from __future__ import annotations

import base64
import html
import itertools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import _files, media
from ._preview import PREVIEW_COLOR, PREVIEW_MARK, coloured, is_preview
from .display_options import EMBED_BUDGET, DisplayOptions
from .errors import RequestError

__all__ = [
    "EMBED_BUDGET",
    "DisplayOptions",
    "html_for",
    "player_css",
    "player_html",
    "save_page",
    "show_video",
    "show_videos",
    "synced_player",
    "video_src",
]

CODECS = tuple(media.PREVIEW_CODECS)  # what embedded previews may be; the synced player plays media.CODECS


def _items(
    videos: Any, titles: Iterable[str | None] | None, opts: DisplayOptions
) -> list[tuple[str | None, Any]]:
    """``[(title, video)]`` with frame arrays and bytes written to files (at ``opts.fps``)."""
    if titles is not None and (isinstance(videos, Mapping) or hasattr(videos, "keys")):
        raise RequestError(
            "titles",
            titles,
            message="a {label: video} dict already names its videos: give the dict or titles=",
        )
    out = []
    for t, v in media.labeled(videos, titles):
        shown = media.materialize(v, fps=opts.frame_rate)
        if media.is_exr_source(v):  # EXR frames: shown as their tone-mapped video, and marked so
            t = " · ".join(x for x in (t, media.EXR_MARK) if x)
        out.append((t, shown))
    return out


def _embedded(video: Any, max_side: int, codec: str, max_bytes: int, audio: bool = False) -> str:
    """A data URI of a preview that fits ``max_bytes`` of base64 (shrinks size and quality until it does)."""
    side, crf = max_side, 30
    path = media.preview(video, side, codec=codec, crf=crf, audio=audio)
    for _ in range(4):
        if path.stat().st_size * 4 / 3 <= max_bytes:
            break
        side, crf = max(64, int(side * 0.75)), min(45, crf + 4)
        path = media.preview(video, side, codec=codec, crf=crf, audio=audio)
    mime = _files.mime_type(path)
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _reference(src: Path | str) -> str:
    if isinstance(src, str):
        return src
    try:
        rel = os.path.relpath(src.resolve(), Path.cwd())
    except ValueError:  # another drive on Windows
        rel = str(src.resolve())
    return Path(rel).as_posix() if not rel.startswith("..") else src.resolve().as_uri()


def video_src(
    video: Any,
    *,
    embed: str | bool = "auto",
    max_side: int = 480,
    codec: str = "h264",
    max_bytes: int | None = None,
    audio: bool = False,
) -> str:
    """The ``src`` for a ``<video>``: a data URI of a small preview (local, embedded) or a path/URL.

    An embedded preview is silent unless ``audio`` (then it carries the clip's sound, if any).

    Raises:
      MediaError: a local file that is missing or not a playable video.
    """
    opts = DisplayOptions.of(embed=embed, max_side=max_side, codec=codec)
    src = media.source_path(video)
    if isinstance(src, str):
        return src  # remote URLs (and data: URIs) are referenced as they are
    if opts.embed is False:
        media.probe(src)  # fail here, not silently in the browser
        return _reference(src)
    return _embedded(src, opts.max_side, opts.codec, max_bytes or opts.embed_budget, audio)


def _info(video: Any) -> media.VideoInfo | None:
    src = media.source_path(video)
    return None if isinstance(src, str) else media.probe(src)


def _sound_index(items: list[tuple[str | None, Any]], sound: int | str | None) -> int:
    """The position of the clip that is heard (-1: none), from ``DisplayOptions.sound``."""
    if sound is None:
        return -1
    if sound == "auto":
        for i, (_, v) in enumerate(items):
            info = _info(v)
            if info is not None and info.has_audio:
                return i
        return -1
    titles = [t or f"clip {i + 1}" for i, (t, _) in enumerate(items)]
    if isinstance(sound, int):
        if not 0 <= sound < len(items):
            raise RequestError("sound", sound, f"a position 0..{len(items) - 1}, a title, 'auto' or None")
        return sound
    if sound not in titles:
        raise RequestError("sound", sound, ["auto", None, *titles])
    return titles.index(sound)


def _sources(items: list[tuple[str | None, Any]], opts: DisplayOptions) -> tuple[list[dict[str, Any]], int]:
    """The clips as the player and the static HTML show them, and the position of the one heard (-1: none).

    Each clip is ``{"src", "title", "duration", "preview", "audio"}``; ``audio`` says its ``src`` carries
    sound (embedded previews carry the clip's sound when it has any; GIFs never do).
    """
    n_local = sum(1 for _, v in items if not isinstance(media.source_path(v), str)) or 1
    per_clip = opts.embed_budget // n_local
    heard = _sound_index(items, opts.sound) if opts.codec != "gif" else -1
    out = []
    for i, (title, v) in enumerate(items):
        info = _info(v)
        audio = (info.has_audio if info is not None else i == heard) and opts.codec != "gif"
        mark = media.HDR_MARK if info is not None and info.hdr else None
        out.append(
            {
                "src": video_src(
                    v,
                    embed=opts.embed,
                    max_side=opts.max_side,
                    codec=opts.codec,
                    max_bytes=per_clip,
                    audio=audio,
                ),
                "title": " · ".join(t for t in (title, mark) if t),
                "duration": info.duration if info is not None else None,
                "preview": is_preview(v),  # the synced player marks local-backend results
                "audio": audio,
            }
        )
    if heard >= 0 and not out[heard]["audio"]:
        heard = -1  # the clip chosen has no sound to hear
    return out, heard


def _step_fps(items: list[tuple[str | None, Any]]) -> float:
    """Frames per second of one step of the player's frame buttons: the first local clip's rate.

    For a variable-rate clip, its shortest frame (no step skips a frame); 24 when no clip is local.
    """
    for _, v in items:
        info = _info(v)
        if info is not None:
            times = info.frame_times()
            gaps = [b - a for a, b in itertools.pairwise(times)]
            return 1.0 / min(gaps) if info.vfr and gaps and min(gaps) > 0 else info.fps
    return 24.0


def _html(sources: list[dict[str, Any]], opts: DisplayOptions, heard: int = -1) -> str:
    columns, width, height = opts.columns_for(len(sources)), opts.width or 0, opts.height or 0
    track = f"{width}px" if width else "minmax(0, 1fr)"
    if not width and columns == 1 and not height:
        track = "minmax(0, 640px)"
    style = f"height:{height}px;width:auto" if height else "width:100%;height:auto"
    border = opts.border_px
    if border:
        style += f";border:{border}px solid #000;box-sizing:border-box"
    cells = []
    for i, s in enumerate(sources):
        # the clip heard is muted only while autoplay needs it (browsers allow no sound before a click)
        muted = i != heard or opts.autoplay
        attrs = (
            "controls" + (" muted" if muted else "") + ' playsinline preload="auto"'
            + (" autoplay" if opts.autoplay else "")
            + (" loop" if opts.loop else "")
            + (" data-lk-sound" if i == heard else "")
        )  # fmt: skip
        mark = (
            f' <b class="lumakit-preview-mark" style="color:{PREVIEW_COLOR}">{PREVIEW_MARK}</b>'
            if s.get("preview")
            else ""
        )
        sound = ' <span class="lumakit-sound">(sound)</span>' if i == heard else ""
        cap = f'<figcaption style="text-align:center;padding:2px 0">{html.escape(s["title"])}{mark}{sound}'
        cap += "</figcaption>"
        src = html.escape(s["src"], quote=True)
        tag = (
            f'<img src="{src}" alt="{html.escape(s["title"], quote=True)}"'
            if s["src"].startswith("data:image/gif") or s["src"].lower().endswith(".gif")
            else f'<video src="{src}" {attrs}'
        )
        close = "" if tag.startswith("<img") else "</video>"
        cells.append(
            f'<figure style="margin:0;min-width:0">{tag} style="display:block;max-width:100%;{style}">{close}'
            f"{cap if s['title'] or mark or sound else ''}</figure>"
        )
    return (
        f'<div class="lumakit-videos" style="display:grid;grid-template-columns:repeat({columns}, {track});'
        f'gap:8px;align-items:start;font:12px system-ui,sans-serif">' + "".join(cells) + "</div>"
    )


def html_for(
    videos: Any,
    *,
    titles: Iterable[str | None] | None = None,
    options: DisplayOptions | None = None,
    **changes: Any,
) -> str:
    """A static HTML snippet of one or several videos side by side (no script, no sync).

    For ``_repr_html_`` methods and anywhere a string is needed. Options: a :class:`DisplayOptions`, or its
    field names as keywords (``columns=2``), as in :func:`show_videos`.
    """
    opts = DisplayOptions.of(options, **changes)
    items = _items(videos, titles, opts)
    sources, heard = _sources(items, opts)
    return _html(sources, opts, heard)


def _player_state(items: list[tuple[str | None, Any]], opts: DisplayOptions) -> tuple[dict[str, Any], str]:
    """The synced player's state (its widget traits) and the static HTML it falls back to."""
    if opts.codec not in media.CODECS:
        raise RequestError("codec", opts.codec, list(media.CODECS),
                           message=f"{opts.codec!r} clips cannot be synced: use sync=False")  # fmt: skip
    sources, heard = _sources(items, opts)
    state = {"sources": sources, "columns": opts.columns_for(len(items)), "width": opts.width or 0,
             "height": opts.height or 0, "loop": opts.loop, "autoplay": opts.autoplay,
             "fps": _step_fps(items), "border": opts.border_px, "sound": heard,
             "preview_mark": PREVIEW_MARK}  # fmt: skip
    return state, _html(sources, opts, heard)


def synced_player(
    videos: Any,
    *,
    titles: Iterable[str | None] | None = None,
    options: DisplayOptions | None = None,
    **changes: Any,
) -> Any:
    """The synchronized player widget (``lumakit._player.SyncedPlayer``) for these videos; not displayed.

    Its ``playing``, ``current_time``, ``rate`` and ``sound`` (the position of the clip heard, -1: none)
    traits drive (and follow) the clips from Python. Its mimebundle also carries the static HTML, for front
    ends that cannot run widgets. Options as in :func:`html_for`.
    """
    from ._player import SyncedPlayer

    opts = DisplayOptions.of(options, **changes)
    state, fallback = _player_state(_items(videos, titles, opts), opts)
    return SyncedPlayer(**state, fallback_html=fallback)


def _widgets_available() -> bool:
    """True inside a running IPython kernel with anywidget importable (so a widget can render)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    ip = get_ipython()
    if ip is None or getattr(ip, "kernel", None) is None:
        return False
    try:
        import anywidget  # noqa: F401
    except ImportError:  # pragma: no cover - anywidget is a dependency
        return False
    return True


def show_videos(
    videos: Any,
    titles: Iterable[str | None] | None = None,
    *,
    sync: bool = True,
    return_html: bool = False,
    options: DisplayOptions | None = None,
    **changes: Any,
) -> str | None:
    """Displays videos side by side, with one play/pause/seek/speed/sound bar when ``sync=True``.

    Args:
      videos: a ``{label: video}`` mapping (labels become titles), a list, or one video. A video is a path,
        a URL, a ``Result``, a ``(T, H, W, 3)`` frame array (uint8, or floats in [0, 1]) or the bytes of a
        video file.
      titles: optional captions, one per video (not with a mapping: its keys are the titles).
      sync: one control for every clip (an anywidget widget); falls back to unsynced HTML where widgets
        cannot run.
      return_html: return the static HTML string instead of displaying anything.
      options: a :class:`lumakit.DisplayOptions`; its fields can also be given as keywords, e.g.
        ``columns=2``, ``width=320``, ``height=240``, ``loop=False``, ``autoplay=False``, ``embed=False``,
        ``max_side=480``, ``codec="vp9"`` (or ``"gif"``), ``embed_budget=...``, ``fps=30`` (frame arrays),
        ``border=True``, ``sound="source"`` (the clip heard; default ``"auto"``: the first with sound).

    Returns:
      The HTML string if ``return_html``, else None (the result is displayed).
    """
    opts = DisplayOptions.of(options, **changes)
    if return_html:
        return html_for(videos, titles=titles, options=opts)
    from IPython.display import HTML, display

    if sync and opts.codec in media.CODECS and _widgets_available():
        display(synced_player(videos, titles=titles, options=opts))
    else:
        display(HTML(html_for(videos, titles=titles, options=opts)))
    return None


def show_video(video: Any, *, title: str | None = None, **kwargs: Any) -> str | None:
    """Displays one video (path, URL, ``Result``, frame array or bytes). Options as in :func:`show_videos`."""
    items = _items(video, None, DisplayOptions.of(fps=kwargs.get("fps")))
    if len(items) != 1:
        raise RequestError(
            "video",
            media.describe(video),
            message=f"show_video takes one video, got {len(items)}: use show_videos",
        )
    kwargs.setdefault("sync", False)
    return show_videos([items[0][1]], [title if title is not None else items[0][0]], **kwargs)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:14px system-ui,sans-serif;margin:24px;max-width:1400px}}{css}</style></head>
<body><h1 style="font-size:20px">{title}</h1>
{player}</body></html>
"""
_STANDALONE = """<div id="{element_id}">{fallback}</div>
<script type="module">
{esm}
const state = {state};
const handlers = {{}};
const model = {{
  get: (k) => state[k],
  set: (k, v) => {{ state[k] = v; (handlers["change:" + k] || []).forEach((f) => f()); }},
  on: (ev, f) => {{ (handlers[ev] = handlers[ev] || []).push(f); }},
  save_changes: () => {{}},
}};
const el = document.getElementById("{element_id}");
el.replaceChildren();
render({{ model, el }});
</script>"""


def player_css() -> str:
    """The synced player's stylesheet, for a page that holds :func:`player_html`."""
    return coloured((Path(__file__).parent / "_player" / "player.css").read_text())


def player_html(
    videos: Any,
    *,
    element_id: str = "lumakit-player",
    sync: bool = True,
    fallback: bool = True,
    titles: Iterable[str | None] | None = None,
    options: DisplayOptions | None = None,
    **changes: Any,
) -> str:
    """The synced player as plain HTML and JavaScript that run in any browser, without Jupyter.

    A ``<div>`` holding the unsynced clips (what a page shows without JavaScript) and a module
    ``<script>`` that replaces them with the player (a tiny stand-in for the widget model drives it).
    The page must also carry :func:`player_css`. ``fallback=False`` leaves the plain clips out (each clip is
    then embedded once, not twice; without JavaScript the page says so). Options as in :func:`html_for`;
    the player's state is the widget's (:func:`synced_player`).
    """
    import json

    opts = DisplayOptions.of(options, **changes)
    state, plain = _player_state(_items(videos, titles, opts), opts)
    state |= {"playing": False, "current_time": 0.0, "rate": 1.0}
    if not fallback:
        plain = "<noscript>The synced player needs JavaScript.</noscript>"
    esm = (Path(__file__).parent / "_player" / "player.js").read_text() if sync else "function render() {}"
    out = _STANDALONE.format(
        element_id=html.escape(element_id),
        fallback=plain,
        esm=esm.replace("export default { render };", ""),
        state=json.dumps(state).replace("</", "<\\/"),
    )
    return out if sync else out.replace("el.replaceChildren();\n", "")  # no player: keep the plain clips


def save_page(
    videos: Any,
    path: str | os.PathLike[str],
    *,
    title: str = "lumakit",
    sync: bool = True,
    **options: Any,
) -> Path:
    """Write a standalone HTML page of these videos side by side (synced player when ``sync``).

    Local clips are embedded as previews by default (``embed="auto"``), so the page is one portable file;
    ``embed=False`` references the files by path relative to the current directory. Other options as in
    :func:`show_videos`. Without JavaScript the page still shows the clips, unsynced. Returns the path.
    """
    page = _PAGE.format(
        title=html.escape(title), css=player_css(), player=player_html(videos, sync=sync, **options)
    )
    return _files.write_text(path, page)
