"""What the panels' "export" buttons do: write the comparison video and the report side by side."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from .knobs import escape

EXPORT_DIR = "lumakit-export"


def export_ab(
    results: Any, *, source: Any = None, folder: str | os.PathLike[str] | None = None, stem: str = "ab"
) -> dict[str, Path]:
    """Write ``comparison.mp4`` and ``report.html`` of ``results`` into a new timestamped folder.

    The folder is ``<folder or ./lumakit-export>/<stem>-YYYYmmdd-HHMMSS`` (a suffix keeps it new), so an
    export never overwrites an earlier one. Returns ``{"video": path, "report": path}``.
    """
    from ..report import save_report
    from ..side_by_side import comparison_video

    root = Path(folder if folder is not None else EXPORT_DIR).expanduser()
    base = root / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    target, n = base, 1
    while target.exists():
        n += 1
        target = base.with_name(f"{base.name}-{n}")
    target.mkdir(parents=True)
    clips = {"source": source, **results} if source is not None else results
    return {
        "video": comparison_video(clips, target / "comparison.mp4"),
        "report": save_report(results, target / "report.html", source=source),
    }


def export_html(paths: dict[str, Path]) -> str:
    """The panel's line after an export: where the two files are."""
    shown = " · ".join(f"{k}: <code>{escape(str(p))}</code>" for k, p in paths.items())
    return f"exported {shown}"
