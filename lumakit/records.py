"""Results as plain dicts (one per run) for experiment trackers, spreadsheets and ``pandas``.

    runs.to_records()        # [{"label": "flex_2", "strength": "flex_2", "cost": 0.54, ...}, ...]
    client.history().to_pandas()

Every value is a str, a number, a bool, None or a small dict (``controls``): ``json.dumps`` takes any record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

__all__ = ["entry_record", "result_record", "to_pandas"]


def _edit(wire: Mapping[str, Any] | None) -> dict[str, Any]:
    wire = wire or {}
    edit = (wire.get("settings") or {}).get("edit") or {}
    return {
        "model": wire.get("model"),
        "prompt": wire.get("positivePrompt"),
        "strength": edit.get("strength"),
        "auto_controls": bool(edit.get("autoControls", False)),
        "controls": dict(edit.get("controls") or {}),
    }


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds") if ts else None


def result_record(result: Any, label: str | None = None) -> dict[str, Any]:
    """One ``Result`` as a flat dict: label, what was asked, what it cost, where the video is."""
    extra = result.extra or {}
    return {
        "label": label if label is not None else result.label,
        "task_uuid": result.task_uuid,
        "kind": getattr(result.request, "kind", None) or (result.wire or {}).get("taskType"),
        **_edit(result.wire),
        "backend": result.backend,
        "local_preview": result.is_local,
        "cost": result.cost,
        "cost_is_estimate": bool(result.is_local or extra.get("cost_is_estimate")),
        "cached": result.cached,
        "seconds": result.seconds,
        "path": str(result.path),
        "video_uuid": result.video_uuid,
        "video_url": result.video_url,
    }


def entry_record(entry: Any) -> dict[str, Any]:
    """One ledger entry (``client.history()``) as a flat dict; times are ISO 8601 UTC."""
    return {
        "label": entry.label,
        "task_uuid": entry.task_uuid,
        "kind": entry.kind,
        **_edit(entry.wire),
        "backend": entry.backend,
        "local_preview": entry.backend not in (None, "runware"),
        "state": str(entry.state),
        "cost": entry.cost,
        "created": _iso(entry.created),
        "finished": _iso(entry.finished),
        "seconds": entry.seconds,
        "path": entry.result_path,
        "video_uuid": entry.video_uuid,
        "video_url": entry.video_url,
        "error": entry.error,
    }


def to_pandas(records: Iterable[Mapping[str, Any]]) -> Any:
    """A ``pandas.DataFrame`` of records, one row each (needs pandas: ``pip install pandas``)."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("to_pandas() needs pandas: pip install pandas (or use to_records())") from None
    return pd.DataFrame.from_records(list(records))
