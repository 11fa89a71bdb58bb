"""lumakit: explore Luma Ray 3.2's Modify Video through the Runware API, from a notebook.

    import lumakit as lk
    client = lk.Client()          # RUNWARE_API_KEY set -> Runware; otherwise the embedded local backend
    r = client.modify("assets/dolphin.mp4", "a glass dolphin", strength="flex_2")

Names are imported lazily, so ``import lumakit`` stays light (no moviepy, matplotlib or ipywidgets).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # request model
    "Strength": "request",
    "Controls": "request",
    "ModifyRequest": "request",
    "GenerateRequest": "request",
    "ReframeRequest": "request",
    "Keyframe": "request",
    "Source": "request",
    "STRENGTHS": "request",
    "BANDS": "request",
    "ONE_PER_BAND": "request",
    "band_levels": "request",
    # errors
    "LumakitError": "errors",
    "RequestError": "errors",
    "APIError": "errors",
    "AuthenticationError": "errors",
    "RateLimitError": "errors",
    "TaskFailed": "errors",
    "NotSent": "errors",
    "PollTimeout": "errors",
    "BudgetError": "errors",
    "SweepError": "errors",
    "MediaError": "errors",
    "CacheError": "errors",
    "UnpublishedSizeWarning": "errors",
    # client and results
    "Client": "client",
    "AsyncClient": "client",
    "PollPolicy": "client",
    "RetryPolicy": "client",
    "Estimate": "client",
    "TaskHandle": "client",
    "TaskStatus": "client",
    "TaskState": "lifecycle",
    "TaskUpdate": "results",
    "Result": "results",
    "ResultSet": "results",
    # looking
    "show_video": "display",
    "show_videos": "display",
    "DisplayOptions": "display_options",
    "frame_grid": "compare",
    "diff_grid": "compare",
    "departure": "compare",
    "departure_plot": "compare",
    "RegionDeparture": "compare",
    "Region": "regions",
    "Takes": "takes",
    "take_spread": "noise",
    "takes_plot": "noise",
    "signal_grid": "signals",
    "save_grid": "compare",
    # sharing
    "comparison_video": "side_by_side",
    "save_report": "report",
    "save_page": "display",
    # panels
    "ModifyPanel": "widgets",
    "SweepPanel": "widgets",
    "HistoryPanel": "widgets",
}
_SUBMODULES = {
    "request",
    "errors",
    "lifecycle",
    "client",
    "cache",
    "results",
    "media",
    "display",
    "compare",
    "report",
    "records",
    "widgets",
    "local",
    "samples",
    "side_by_side",
    "types",
    "pricing",
    "wire",
}

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'lumakit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from . import samples
    from .client import AsyncClient, Client, Estimate, PollPolicy, RetryPolicy, TaskHandle, TaskStatus
    from .compare import RegionDeparture, departure, departure_plot, diff_grid, frame_grid, save_grid
    from .display import save_page, show_video, show_videos
    from .display_options import DisplayOptions
    from .errors import (
        APIError,
        AuthenticationError,
        BudgetError,
        CacheError,
        LumakitError,
        MediaError,
        NotSent,
        PollTimeout,
        RateLimitError,
        RequestError,
        SweepError,
        TaskFailed,
        UnpublishedSizeWarning,
    )
    from .lifecycle import TaskState
    from .noise import take_spread, takes_plot
    from .regions import Region
    from .report import save_report
    from .request import (
        BANDS,
        ONE_PER_BAND,
        STRENGTHS,
        Controls,
        GenerateRequest,
        Keyframe,
        ModifyRequest,
        ReframeRequest,
        Source,
        Strength,
        band_levels,
    )
    from .results import Result, ResultSet, TaskUpdate
    from .side_by_side import comparison_video
    from .signals import signal_grid
    from .takes import Takes
    from .widgets import HistoryPanel, ModifyPanel, SweepPanel
