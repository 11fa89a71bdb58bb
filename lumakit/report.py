"""One HTML file that tells the whole A/B: hand it to a colleague, it opens and plays in any browser.

    lk.save_report(runs, source="clip.mp4")          # report.html
    runs.save_report("ab.html", title="glass dolphin")

The file is self-contained: the clips are embedded as the small previews the notebook display makes,
the frame grid and the departure plot as PNGs, the synced player as plain JavaScript (no Jupyter, no
network). Each result lists its request exactly as sent (wire JSON, never the key), its cost (billed, or
an estimate, and which), its backend (with the preview mark when local), then lumakit's version and the date.
A Result whose cached file was deleted is left out of the player, grid and plot, with a visible note ("file
missing from the cache: <label>") and a logged warning; its request and cost are still listed.
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import os
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import _files, media
from ._preview import RENDERER_NOTE, coloured
from .errors import RequestError
from .wire.tasks import describe_edit

__all__ = ["cost_label", "save_report"]

log = logging.getLogger("lumakit.report")

_SECRET_KEYS = {"apikey", "api_key", "authorization", "token"}
_STYLE = """
body{font:14px system-ui,sans-serif;margin:24px auto;max-width:1400px;padding:0 16px;color:#1f2328}
h1{font-size:22px;margin-bottom:4px} h2{font-size:17px;margin-top:28px}
.meta{color:#59636e}
.preview{background:PREVIEW_FAINT;border:1px solid PREVIEW_EDGE;padding:8px 12px;border-radius:6px}
table{border-collapse:collapse} td,th{border-bottom:1px solid #d1d9e0;padding:4px 10px;text-align:left;
vertical-align:top} pre{font-size:12px;background:#f6f8fa;padding:8px;overflow:auto;max-width:900px}
img.figure{max-width:100%;height:auto} .local{color:PREVIEW_COLOR;font-weight:600}
.missing{background:#ffebe9;border:1px solid #ff8182;padding:8px 12px;border-radius:6px}
"""
_STYLE = coloured(_STYLE)  # the preview amber and its tints, from their one home


def cost_label(result: Any) -> str:
    """How a result's cost reads: ``$0.54 (billed)``, ``$0.54 (estimate)``, ``unknown``, or for a cached
    result ``$0.54 (billed when it first ran; cached, nothing billed now)``."""
    cost = getattr(result, "cost", None)
    if cost is None:
        return "unknown"
    extra = getattr(result, "extra", None) or {}
    if getattr(result, "is_local", False) or extra.get("cost_is_estimate"):
        return f"${cost:.2f} (estimate)"
    if getattr(result, "cached", False):
        return f"${cost:.2f} (billed when it first ran; cached, nothing billed now)"
    return f"${cost:.2f} (billed)"


def _scrub(value: Any) -> Any:
    """The wire task without anything that looks like a credential (it never should carry one)."""
    if isinstance(value, Mapping):
        return {k: _scrub(v) for k, v in value.items() if str(k).lower() not in _SECRET_KEYS}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _infer_source(items: list[tuple[str, Any]]) -> Any:
    for _, r in items:
        video = getattr(getattr(r, "request", None), "video", None)
        local = getattr(video, "local_path", None)
        if local and Path(local).expanduser().is_file():
            return local
    return None


def _file_missing(video: Any) -> bool:
    """True for a Result (anything with a ``.path``) whose local file is gone, e.g. deleted from the cache."""
    path = getattr(video, "path", None)
    return path is not None and not Path(path).expanduser().is_file()


def _result_section(label: str, r: Any, missing: bool = False) -> str:
    wire = getattr(r, "wire", None)
    rows = [("edit", describe_edit(wire) if wire else "-"), ("cost", cost_label(r))]
    if missing:
        rows.append(("file", "missing from the cache: not shown above"))
    if hasattr(r, "backend"):
        mark = f' <span class="local">{RENDERER_NOTE}</span>' if r.is_local else ""
        rows.append(("backend", html.escape(r.backend) + mark))
        secs = "?" if r.seconds is None else f"{r.seconds:.1f} s"
        rows += [("time", secs + (" (cached)" if r.cached else "")), ("task UUID", r.task_uuid)]
        if r.video_uuid:
            rows.append(("video UUID", r.video_uuid))
    else:
        rows.append(("file", media.display_name(r)))
    cells = "".join(
        f"<tr><th>{k}</th><td>{v if k == 'backend' else html.escape(str(v))}</td></tr>" for k, v in rows
    )
    request = ""
    if wire:
        text = json.dumps(_scrub(wire), indent=2, ensure_ascii=False)
        request = (
            f"<details open><summary>request (wire JSON)</summary><pre>{html.escape(text)}</pre></details>"
        )
    return f'<section class="result"><h3>{html.escape(label)}</h3><table>{cells}</table>{request}</section>'


def _media_notes(playable: dict[str, Any]) -> list[str]:
    """Notes on what the clips are: HDR ones shown tone-mapped, results without the source's sound."""
    infos = {label: media.probe(v) for label, v in playable.items()}
    notes = []
    hdr = [label for label, info in infos.items() if info.hdr]
    if hdr:
        names = ", ".join(f"{html.escape(k)} ({infos[k].hdr})" for k in hdr)
        notes.append(f'<p class="meta hdr"><b>{media.HDR_MARK}:</b> {names}. The files themselves are '
                     "untouched; the player, grid and plot show them mapped to SDR.</p>")  # fmt: skip
    source = infos.get("source")
    if source is not None and source.has_audio:
        silent = [k for k, info in infos.items() if k != "source" and not info.has_audio]
        if silent:
            notes.append(f'<p class="meta audio">The source has sound; these results have none: '
                         f"{html.escape(', '.join(silent))}.</p>")  # fmt: skip
    return notes


def save_report(
    results: Any,
    path: str | os.PathLike[str] = "report.html",
    *,
    source: Any = None,
    title: str | None = None,
) -> Path:
    """Write a self-contained HTML report of an A/B and return its path.

    Args:
      results: a ``ResultSet`` (or a ``{label: Result}`` mapping, or a list of Results; plain video paths
        work too, without request details).
      path: the HTML file to write.
      source: the clip the results were made from (path, URL or Result). Default: the local file the
        first result's request named, if it is still there. With a source, the report also plots how far
        each result departs from it.
      title: the heading (default: the prompt).

    A Result whose cached file was deleted is skipped (not played, gridded or plotted) with a note in the
    report and a logged warning; so is one whose file is deleted while the report is being made.

    Raises:
      RequestError: no results, every result's file missing, or a title that is not a string.
    """
    if isinstance(results, Iterator):
        results = list(results)  # read more than once below
    items = list(media.labeled(results))
    for attempt in range(len(items) + 1):
        gone = [_file_missing(v) for _, v in items]
        try:
            return _write_report(results, path, source=source, title=title)
        except Exception:
            if attempt == len(items) or [_file_missing(v) for _, v in items] == gone:
                raise  # not a file that went away meanwhile
            log.info("report %s: a result's file went away while it was being made; again without it", path)
    raise AssertionError("unreachable")  # pragma: no cover


def _write_report(
    results: Any,
    path: str | os.PathLike[str],
    *,
    source: Any = None,
    title: str | None = None,
) -> Path:
    """One attempt at :func:`save_report` (the files missing now are left out)."""
    from . import compare, display
    from ._version import __version__

    if title is not None and not isinstance(title, str):
        raise RequestError("title", title, "a string or None")
    items = [
        (label if label is not None else media.display_name(v), v) for label, v in media.labeled(results)
    ]
    gone = [_file_missing(r) for _, r in items]
    missing = [label for (label, _), g in zip(items, gone, strict=True) if g]
    for label in missing:
        log.warning("report %s: the file of result %r is missing from the cache; skipped", path, label)
    if len(missing) == len(items):
        raise RequestError(
            "results",
            ", ".join(missing),
            message="every result's file is missing from the cache (deleted?): nothing to show; "
            f"run them again to fetch them: {', '.join(missing)}",
        )
    src = source if source is not None else _infer_source(items)
    wires = [getattr(r, "wire", None) or {} for _, r in items]
    prompt = next((w.get("positivePrompt") for w in wires if w.get("positivePrompt")), None)
    heading = title or (f"lumakit A/B: {prompt}" if prompt else "lumakit A/B")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    backends = sorted({r.backend for _, r in items if hasattr(r, "backend")})
    local = any(getattr(r, "is_local", False) for _, r in items)
    costs = [r.cost for _, r in items if getattr(r, "cost", None) is not None]
    total = f" · total ${sum(costs):.2f}" + (" (estimate)" if local else "") if costs else ""

    present = [item for item, g in zip(items, gone, strict=True) if not g]
    shown = ({"source": src} if src is not None else {}) | dict(present)
    playable = {k: v for k, v in shown.items() if not isinstance(media.source_path(v), str)}
    player = "<p>No local clip to play here (remote clips are in the frame grid).</p>"
    if playable:
        player = display.player_html(
            playable, element_id="lumakit-report-player", autoplay=False, fallback=False
        )
    grid = _png(compare.frame_grid(shown, n=6))
    parts = [
        f"<h1>{html.escape(heading)}</h1>",
        f'<p class="meta">{len(items)} result(s) · backend: {html.escape(", ".join(backends) or "-")}'
        f"{total} · made with lumakit {__version__} on {now}</p>",
    ]
    parts += [f'<p class="missing">file missing from the cache: {html.escape(m)}</p>' for m in missing]
    if local:
        parts.append(
            '<p class="preview"><b>Local preview.</b> Some results come from lumakit\'s local preview '
            "renderer, not from Ray: they show what the request asks for, not what Ray would make, and "
            "their costs are estimates.</p>"
        )
    parts += _media_notes(playable)
    if len(playable) < len(shown):
        left = ", ".join(html.escape(k) for k in shown if k not in playable)
        parts.append(f'<p class="meta">Not embedded (remote, shown in the frame grid only): {left}</p>')
    parts += ["<h2>Side by side</h2>", player, "<h2>Frame grid</h2>",
              f'<img class="figure" alt="frame grid" src="{grid}">']  # fmt: skip
    if src is not None:
        plot = _png(compare.departure_plot(src, dict(present)))
        parts += ["<h2>Departure from the source</h2>", f'<img class="figure" alt="departure" src="{plot}">']
    parts.append("<h2>Each result</h2>")
    parts += [_result_section(label, r, g) for (label, r), g in zip(items, gone, strict=True)]
    parts.append(f'<p class="meta">lumakit {__version__} · {now}</p>')
    page = (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(heading)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}{display.player_css()}</style></head><body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )
    key = os.environ.get("RUNWARE_API_KEY", "")
    if len(key) >= 8:
        page = page.replace(key, "[redacted]")
    return _files.write_text(path, page)
