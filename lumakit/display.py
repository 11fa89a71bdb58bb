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
side by side as plain HTML ``<video>`` elements, without sync. Every ``<video>`` is ``controls muted
playsinline`` (muted so that autoplay is allowed).
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from . import _files, media
from ._preview import PREVIEW_COLOR, PREVIEW_MARK, is_preview
from .errors import RequestError

__all__ = [
    "html_for",
    "player_css",
    "player_html",
    "save_page",
    "show_video",
    "show_videos",
    "synced_player",
    "video_src",
]

EMBED_BUDGET = 4_500_000  # bytes of base64 for all embedded clips of one call
CODECS = ("h264", "vp9", "gif")


def _items(
    videos: Any, titles: Iterable[str | None] | None = None, fps: float | None = None
) -> list[tuple[str | None, Any]]:
    """``[(title, video)]`` with frame arrays and bytes written to files (``fps`` is the arrays' rate)."""
    if titles is not None and (isinstance(videos, Mapping) or hasattr(videos, "keys")):
        raise RequestError(
            "titles",
            titles,
            message="a {label: video} dict already names its videos: give the dict or titles=",
        )
    if fps is not None and not (isinstance(fps, (int, float)) and not isinstance(fps, bool) and fps > 0):
        raise RequestError("fps", fps, "a positive number of frames per second (for frame arrays), or None")
    rate = 24.0 if fps is None else float(fps)
    return [(t, media.materialize(v, fps=rate)) for t, v in media.labeled(videos, titles)]


def _check_codec(codec: str) -> None:
    if codec not in CODECS:
        raise RequestError("codec", codec, CODECS)


def _border(border: bool | int) -> int:
    if border is True:
        return 1
    if border is False or border is None:
        return 0
    if isinstance(border, int) and border >= 0:
        return border
    raise RequestError("border", border, "True (1 px), False, or a width in pixels")


def _check_embed(embed: Any) -> None:
    if not (embed is True or embed is False or (isinstance(embed, str) and embed == "auto")):
        raise RequestError("embed", embed, ["auto", True, False])


def _embedded(video: Any, max_side: int, codec: str, max_bytes: int) -> str:
    """A data URI of a preview that fits ``max_bytes`` of base64 (shrinks size and quality until it does)."""
    side, crf = max_side, 30
    path = media.preview(video, side, codec=codec, crf=crf)
    for _ in range(4):
        if path.stat().st_size * 4 / 3 <= max_bytes:
            break
        side, crf = max(64, int(side * 0.75)), min(45, crf + 4)
        path = media.preview(video, side, codec=codec, crf=crf)
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
) -> str:
    """The ``src`` for a ``<video>``: a data URI of a small preview (local, embedded) or a path/URL.

    Raises:
      MediaError: a local file that is missing or not a playable video.
    """
    _check_embed(embed)
    src = media.source_path(video)
    if isinstance(src, str):
        return src  # remote URLs (and data: URIs) are referenced as they are
    if embed is False:
        media.probe(src)  # fail here, not silently in the browser
        return _reference(src)
    return _embedded(src, max_side, codec, max_bytes or EMBED_BUDGET)


def _hdr_mark(video: Any) -> str | None:
    """``media.HDR_MARK`` for a local HDR clip (shown tone-mapped), else None."""
    src = media.source_path(video)
    return media.HDR_MARK if not isinstance(src, str) and media.probe(src).hdr else None


def _duration(video: Any) -> float | None:
    src = media.source_path(video)
    if isinstance(src, str):
        return None
    return media.probe(src).duration


def _sources(
    items: list[tuple[str | None, Any]], embed: str | bool, max_side: int, codec: str, embed_budget: int
) -> list[dict[str, Any]]:
    n_local = sum(1 for _, v in items if not isinstance(media.source_path(v), str)) or 1
    per_clip = embed_budget // n_local
    out = []
    for title, v in items:
        out.append(
            {
                "src": video_src(v, embed=embed, max_side=max_side, codec=codec, max_bytes=per_clip),
                "title": " · ".join(t for t in (title, _hdr_mark(v)) if t),
                "duration": _duration(v),
                "preview": is_preview(v),  # the synced player marks local-backend results
            }
        )
    return out


def _columns(n: int, columns: int | None) -> int:
    if columns is None:
        return min(n, 4)
    if not isinstance(columns, int) or columns < 1:
        raise RequestError("columns", columns, "a positive int or None")
    return columns


def _px(name: str, value: int | None) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or value < 1:
        raise RequestError(name, value, "a positive int (pixels) or None")
    return value


def _html(
    sources: list[dict[str, Any]],
    *,
    columns: int,
    width: int,
    height: int,
    loop: bool,
    autoplay: bool,
    border: int = 0,
) -> str:
    track = f"{width}px" if width else "minmax(0, 1fr)"
    if not width and columns == 1 and not height:
        track = "minmax(0, 640px)"
    attrs = (
        'controls muted playsinline preload="auto"'
        + (" autoplay" if autoplay else "")
        + (" loop" if loop else "")
    )
    style = f"height:{height}px;width:auto" if height else "width:100%;height:auto"
    if border:
        style += f";border:{border}px solid #000;box-sizing:border-box"
    cells = []
    for s in sources:
        mark = (
            f' <b class="lumakit-preview-mark" style="color:{PREVIEW_COLOR}">{PREVIEW_MARK}</b>'
            if s.get("preview")
            else ""
        )
        cap = f'<figcaption style="text-align:center;padding:2px 0">{html.escape(s["title"])}{mark}'
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
            f"{cap if s['title'] or mark else ''}</figure>"
        )
    return (
        f'<div class="lumakit-videos" style="display:grid;grid-template-columns:repeat({columns}, {track});'
        f'gap:8px;align-items:start;font:12px system-ui,sans-serif">' + "".join(cells) + "</div>"
    )


def html_for(
    videos: Any,
    *,
    titles: Iterable[str | None] | None = None,
    columns: int | None = None,
    width: int | None = None,
    height: int | None = None,
    loop: bool = True,
    autoplay: bool = True,
    embed: str | bool = "auto",
    max_side: int = 480,
    codec: str = "h264",
    embed_budget: int = EMBED_BUDGET,
    fps: float | None = None,
    border: bool | int = False,
) -> str:
    """A static HTML snippet of one or several videos side by side (no script, no sync).

    For ``_repr_html_`` methods and anywhere a string is needed. Arguments as in :func:`show_videos`.
    """
    _check_embed(embed)
    _check_codec(codec)
    px = _border(border)
    items = _items(videos, titles, fps)
    sources = _sources(items, embed, max_side, codec, embed_budget)
    return _html(
        sources,
        columns=_columns(len(items), columns),
        width=_px("width", width),
        height=_px("height", height),
        loop=loop,
        autoplay=autoplay,
        border=px,
    )


def synced_player(
    videos: Any,
    *,
    titles: Iterable[str | None] | None = None,
    columns: int | None = None,
    width: int | None = None,
    height: int | None = None,
    loop: bool = True,
    autoplay: bool = True,
    embed: str | bool = "auto",
    max_side: int = 480,
    codec: str = "h264",
    embed_budget: int = EMBED_BUDGET,
    fps: float | None = None,
    border: bool | int = False,
) -> Any:
    """The synchronized player widget (``lumakit._player.SyncedPlayer``) for these videos; not displayed.

    Its ``playing``, ``current_time`` and ``rate`` traits drive (and follow) the clips from Python.
    Its mimebundle also carries the static HTML, for front ends that cannot run widgets.
    """
    from ._player import SyncedPlayer

    _check_embed(embed)
    if codec == "gif":
        raise RequestError("codec", codec, ["h264", "vp9"], message="GIFs cannot be synced: use sync=False")
    _check_codec(codec)
    px = _border(border)
    items = _items(videos, titles, fps)
    sources = _sources(items, embed, max_side, codec, embed_budget)
    cols, w, h = _columns(len(items), columns), _px("width", width), _px("height", height)
    step_fps = 24.0
    for _, v in items:
        src = media.source_path(v)
        if not isinstance(src, str):
            info = media.probe(src)
            # a step is one frame: for a variable-rate clip, its shortest frame (no step skips a frame)
            gaps = [b - a for a, b in zip(info.frame_times()[:-1], info.frame_times()[1:], strict=True)]
            step_fps = 1.0 / min(gaps) if info.vfr and gaps and min(gaps) > 0 else info.fps
            break
    fallback = _html(sources, columns=cols, width=w, height=h, loop=loop, autoplay=autoplay, border=px)
    return SyncedPlayer(
        sources=sources,
        columns=cols,
        width=w,
        height=h,
        loop=loop,
        autoplay=autoplay,
        fps=step_fps,
        border=px,
        fallback_html=fallback,
    )


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
    columns: int | None = None,
    width: int | None = None,
    height: int | None = None,
    loop: bool = True,
    autoplay: bool = True,
    sync: bool = True,
    embed: str | bool = "auto",
    return_html: bool = False,
    max_side: int = 480,
    codec: str = "h264",
    embed_budget: int = EMBED_BUDGET,
    fps: float | None = None,
    border: bool | int = False,
) -> str | None:
    """Displays videos side by side, with one play/pause/seek/speed bar when ``sync=True``.

    Args:
      videos: a ``{label: video}`` mapping (labels become titles), a list, or one video. A video is a path,
        a URL, a ``Result``, a ``(T, H, W, 3)`` frame array (uint8, or floats in [0, 1]) or the bytes of a
        video file.
      titles: optional captions, one per video (not with a mapping: its keys are the titles).
      columns: clips per row (default: all of them, up to 4).
      width: width of each clip in pixels (default: share the cell's width).
      height: height of each clip in pixels (width follows the aspect ratio).
      loop: restart at the end (a synced group restarts when its longest clip ends).
      autoplay: start playing at once (clips are always muted, so browsers allow it).
      sync: one control for every clip (an anywidget widget); falls back to unsynced HTML where widgets
        cannot run.
      embed: ``"auto"``/``True`` embeds local files as small previews and references URLs; ``False``
        references every file by path.
      return_html: return the static HTML string instead of displaying anything.
      max_side: longest side of embedded previews, in pixels.
      codec: ``"h264"`` (MP4) or ``"vp9"`` (WebM) for embedded previews, or ``"gif"`` for front ends that
        play neither (shown as images, unsynced).
      embed_budget: most bytes of base64 all embedded clips may take together.
      fps: frame rate of frame arrays (default 24).
      border: a black border around each clip: True (1 px) or a width in pixels.

    Returns:
      The HTML string if ``return_html``, else None (the result is displayed).
    """
    kw: dict[str, Any] = dict(titles=titles, columns=columns, width=width, height=height, loop=loop,
                              autoplay=autoplay, embed=embed, max_side=max_side, codec=codec,
                              embed_budget=embed_budget, fps=fps, border=border)  # fmt: skip
    if return_html:
        return html_for(videos, **kw)
    from IPython.display import HTML, display

    if sync and codec != "gif" and _widgets_available():
        display(synced_player(videos, **kw))
    else:
        display(HTML(html_for(videos, **kw)))
    return None


def show_video(video: Any, *, title: str | None = None, **kwargs: Any) -> str | None:
    """Displays one video (path, URL, ``Result``, frame array or bytes). Options as in :func:`show_videos`."""
    items = _items(video, fps=kwargs.get("fps"))
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
    return (Path(__file__).parent / "_player" / "player.css").read_text()


def player_html(
    videos: Any,
    *,
    element_id: str = "lumakit-player",
    sync: bool = True,
    fallback: bool = True,
    **options: Any,
) -> str:
    """The synced player as plain HTML and JavaScript that run in any browser, without Jupyter.

    A ``<div>`` holding the unsynced clips (what a page shows without JavaScript) and a module
    ``<script>`` that replaces them with the player (a tiny stand-in for the widget model drives it).
    The page must also carry :func:`player_css`. ``fallback=False`` leaves the plain clips out (each clip is
    then embedded once, not twice; without JavaScript the page says so). Options as in :func:`save_page`.
    """
    import json

    options.setdefault("embed", "auto")
    embed = options.pop("embed")
    _check_embed(embed)
    items = _items(videos, options.pop("titles", None), options.pop("fps", None))
    codec = options.get("codec", "h264")
    if codec not in ("h264", "vp9"):
        raise RequestError("codec", codec, ["h264", "vp9"])
    px = _border(options.pop("border", False))
    sources = _sources(
        items,
        embed,
        options.pop("max_side", 480),
        options.pop("codec", "h264"),
        options.pop("embed_budget", EMBED_BUDGET),
    )
    cols = _columns(len(items), options.pop("columns", None))
    w, h = _px("width", options.pop("width", None)), _px("height", options.pop("height", None))
    loop, autoplay = bool(options.pop("loop", True)), bool(options.pop("autoplay", True))
    if options:
        raise RequestError(
            next(iter(options)), None, message=f"unknown option(s) {sorted(options)} for save_page"
        )
    plain = _html(sources, columns=cols, width=w, height=h, loop=loop, autoplay=autoplay, border=px)
    if not fallback:
        plain = "<noscript>The synced player needs JavaScript.</noscript>"
    esm = (Path(__file__).parent / "_player" / "player.js").read_text() if sync else "function render() {}"
    state = {"sources": sources, "columns": cols, "width": w, "height": h, "loop": loop, "autoplay": autoplay,
             "playing": False, "current_time": 0.0, "rate": 1.0, "fps": 24.0, "border": px}  # fmt: skip
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
