"""Jupyter panels for Modify Video: :class:`ModifyPanel`, :class:`SweepPanel`, :class:`HistoryPanel`.

The only part of lumakit that imports ipywidgets; ``import lumakit`` does not import it.
"""

from __future__ import annotations

from .history_panel import HistoryPanel
from .knobs import ControlsKnob, EditKnobs, StrengthKnob
from .modify_panel import ModifyPanel
from .sweep_panel import SweepPanel

__all__ = ["ControlsKnob", "EditKnobs", "HistoryPanel", "ModifyPanel", "StrengthKnob", "SweepPanel"]
