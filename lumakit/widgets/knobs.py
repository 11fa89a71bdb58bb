"""Reusable knob groups for Modify Video: prompt, strength dial, per-signal controls and autoControls.

Each group is an ipywidgets ``VBox`` whose *values* live in traitlets (``None`` = unset = left out of the
request), so notebooks and tests read and set them directly::

    knobs = EditKnobs(prompt="a glass dolphin", strength="flex_2")
    knobs.controls.depth_blur = 0.3        # ticks the depth_blur box and moves its slider
    knobs.auto_controls = True             # greys strength and controls; they are kept, not sent
    knobs.edit_options()                   # {'auto_controls': True}

Assigning an invalid value raises the same :class:`~lumakit.errors.RequestError` the request would.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as W
import traitlets as T

from ..request import BANDS, CONTROL_NAMES, STRENGTHS, UNIT_CONTROLS, Controls, Strength
from ._forward import Forward

DEFAULT_STRENGTH = "flex_2"  # where the dial rests when first ticked; the middle of the nine levels
_UNSET = "unset"
_DESC_WIDTH = "110px"
_SLIDER_WIDTH = 460  # px, the whole strength slider row including its description and readout
_READOUT_WIDTH = 90  # px, roughly what the readout of "reimagine_3" takes


class _BoxedSlider(T.HasTraits):
    """A value set by a slider with a "use" box in front: ``None`` unticks the box and greys the slider,
    which stays where it was, so ticking again restores it. The class has ``value``, ``disabled``,
    ``use`` (the box) and ``slider``; ``_from_slider`` turns the slider's value into ``value``."""

    _syncing = False
    _from_slider: Any = None
    slider: Any  # the subclass's slider widget
    use: Any  # the subclass's "use" checkbox
    disabled: bool

    def _follow_widgets(self, value: Any) -> None:
        """Set the first ``value``, then follow the box and the slider (where a subclass's init ends)."""
        self.value = value
        self.use.observe(self._from_widgets, "value")
        self.slider.observe(self._from_widgets, "value")
        self._sync_widgets()

    @T.observe("value", "disabled")
    def _on_value(self, change: dict[str, Any]) -> None:
        self._sync_widgets()

    def _from_widgets(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self.value = self._from_slider(self.slider.value) if self.use.value else None

    def _sync_widgets(self) -> None:
        with _guard(self):
            self._sync()

    def _sync(self) -> None:
        if self.value is not None:
            self.slider.value = self.value
        self.use.value = self.value is not None
        self.use.disabled = self.disabled
        self.slider.disabled = self.disabled or self.value is None


class StrengthKnob(_BoxedSlider, W.VBox):
    """The nine-level strength dial with its three bands labelled underneath, and a "use strength" box.

    ``value`` is a strength string (``"adhere_1"`` … ``"reimagine_3"``) or ``None`` when the box is unticked;
    unticking keeps the slider where it was, so ticking again restores it.
    """

    value = T.Unicode(None, allow_none=True, help="strength level, or None to leave it out")
    disabled = T.Bool(False, help="greyed out (autoControls is on)")
    _from_slider = staticmethod(str)

    def __init__(self, value: str | Strength | None = DEFAULT_STRENGTH, **kwargs: Any) -> None:
        start = str(Strength.coerce(value)) if value is not None else DEFAULT_STRENGTH
        self.use = W.Checkbox(value=value is not None, description="use strength", indent=False)
        self.slider = W.SelectionSlider(
            options=STRENGTHS,
            value=start,
            description="strength",
            continuous_update=False,
            style={"description_width": "70px"},
            layout=W.Layout(width=f"{_SLIDER_WIDTH}px"),
        )
        self.bands = W.HTML(layout=W.Layout(width=f"{_SLIDER_WIDTH}px", margin="-6px 0 0 0"))
        super().__init__(children=[self.use, self.slider, self.bands], **kwargs)
        self._follow_widgets(None if value is None else start)

    @T.validate("value")
    def _check_value(self, proposal: dict[str, Any]) -> str | None:
        v = proposal["value"]
        return None if v is None else str(Strength.coerce(v))

    def _sync(self) -> None:
        super()._sync()
        self.bands.value = self._bands_html(grey=self.slider.disabled)

    @staticmethod
    def _bands_html(grey: bool) -> str:
        colour = "#aaa" if grey else "#555"
        track = _SLIDER_WIDTH - 70 - _READOUT_WIDTH
        spans = "".join(f'<span style="flex:1;text-align:center">{b}</span>' for b in BANDS)
        return (
            f'<div style="display:flex;width:{track}px;margin-left:78px;font-size:11px;color:{colour}">'
            f"{spans}</div>"
        )


class UnitControl(_BoxedSlider, W.HBox):
    """A 0–1 control with an on/off box: ``value`` is a float, or ``None`` when off (left out)."""

    value = T.Float(None, allow_none=True)
    disabled = T.Bool(False)
    _from_slider = staticmethod(float)

    def __init__(self, name: str, value: float | None = None, **kwargs: Any) -> None:
        self.name = name
        self.use = W.Checkbox(value=False, description=name, indent=False, layout=W.Layout(width="190px"))
        self.slider = W.FloatSlider(
            value=0.5, min=0.0, max=1.0, step=0.05, continuous_update=False, readout_format=".2f"
        )
        super().__init__(children=[self.use, self.slider], **kwargs)
        self._follow_widgets(value)

    @T.validate("value")
    def _check_value(self, proposal: dict[str, Any]) -> float | None:
        v = proposal["value"]
        if v is None:
            return None
        return getattr(Controls(**{self.name: v}), self.name)  # the request's own check and error


class ControlsKnob(W.VBox):
    """Per-signal controls. Every attribute is ``None`` (unset, left out of the request) or a value:

    - ``pose_strength``: ``"precise"`` or ``"coarse"``
    - ``depth_blur``, ``normals_augmentation``, ``trajectory_sparsity``: 0 to 1 (higher = more freedom)
    - ``face``: ``True`` (bias toward a recognizable face)
    """

    pose_strength = T.Unicode(None, allow_none=True)
    depth_blur = T.Float(None, allow_none=True)
    normals_augmentation = T.Float(None, allow_none=True)
    trajectory_sparsity = T.Float(None, allow_none=True)
    face = T.Bool(None, allow_none=True)
    disabled = T.Bool(False)
    _syncing = False

    def __init__(self, controls: Controls | dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.pose = W.ToggleButtons(
            options=[_UNSET, "precise", "coarse"],
            value=_UNSET,
            description="poseStrength",
            style={"description_width": _DESC_WIDTH, "button_width": "70px"},
        )
        self.units = {name: UnitControl(name) for name in UNIT_CONTROLS}
        self.face_buttons = W.ToggleButtons(
            options=[_UNSET, "on"],
            value=_UNSET,
            description="face",
            style={"description_width": _DESC_WIDTH, "button_width": "70px"},
        )
        super().__init__(children=[self.pose, *self.units.values(), self.face_buttons], **kwargs)
        self.pose.observe(self._from_widgets, "value")
        self.face_buttons.observe(self._from_widgets, "value")
        for unit in self.units.values():
            unit.observe(self._from_widgets, "value")
        self.set(controls)

    def set(self, controls: Controls | dict[str, Any] | None) -> None:
        """Set every control at once from :class:`Controls` or a dict (missing names become unset)."""
        c = Controls.coerce(controls) or Controls()
        with self.hold_trait_notifications():
            for name in CONTROL_NAMES:
                setattr(self, name, getattr(c, name))

    @T.validate("pose_strength", *UNIT_CONTROLS)
    def _check_control(self, proposal: dict[str, Any]) -> Any:
        name, v = proposal["trait"].name, proposal["value"]
        return None if v is None else getattr(Controls(**{name: v}), name)

    @T.validate("face")
    def _check_face(self, proposal: dict[str, Any]) -> bool | None:
        v = proposal["value"]
        if v is False:
            from ..errors import RequestError

            raise RequestError(
                "face",
                v,
                (None, True),
                message="face=False: the panel offers face as unset (None) or on (True)",
                code="invalidControls",
                wire="settings.edit.controls.face",
            )
        return v

    @T.observe(*CONTROL_NAMES, "disabled")
    def _on_change(self, change: dict[str, Any]) -> None:
        with _guard(self):
            self._sync()

    def _sync(self) -> None:
        self.pose.value = self.pose_strength or _UNSET
        self.face_buttons.value = "on" if self.face else _UNSET
        for name, unit in self.units.items():
            unit.value = getattr(self, name)
            unit.disabled = self.disabled
        self.pose.disabled = self.face_buttons.disabled = self.disabled

    def _from_widgets(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        self.pose_strength = None if self.pose.value == _UNSET else self.pose.value
        self.face = True if self.face_buttons.value == "on" else None
        for name, unit in self.units.items():
            setattr(self, name, unit.value)

    @property
    def value(self) -> Controls | None:
        """The controls that are set, as :class:`Controls`, or ``None`` when none is."""
        c = Controls(**{name: getattr(self, name) for name in CONTROL_NAMES})
        return c or None

    def to_wire(self) -> dict[str, Any]:
        """The ``settings.edit.controls`` object these knobs would send (empty when none is set)."""
        c = self.value
        return c.to_wire() if c else {}


class EditKnobs(W.VBox):
    """Prompt, strength, controls and autoControls together: everything one edit needs but its source.

    autoControls cannot be combined with strength or controls (the API refuses it), so ticking it greys
    them out and leaves them out of the request; unticking brings back exactly what was there.
    """

    prompt = T.Unicode("")
    auto_controls = T.Bool(False)

    def __init__(
        self,
        prompt: str = "",
        *,
        strength: str | Strength | None = DEFAULT_STRENGTH,
        controls: Controls | dict[str, Any] | None = None,
        auto_controls: bool = False,
        show_strength: bool = True,
        **kwargs: Any,
    ) -> None:
        self.prompt_box = W.Textarea(
            value=prompt,
            placeholder="Describe the look you want, e.g. 'the dolphin made of blown glass'",
            description="prompt",
            continuous_update=False,
            style={"description_width": "70px"},
            layout=W.Layout(width="100%", height="64px"),
        )
        self.strength_knob = StrengthKnob(strength)
        self.controls = ControlsKnob(controls)
        self.auto_box = W.Checkbox(
            value=auto_controls,
            description="autoControls (let Ray derive all conditioning; replaces strength and controls)",
            indent=False,
            layout=W.Layout(width="auto"),
        )
        self.controls_title = W.HTML()
        parts: list[W.Widget] = [self.prompt_box]
        if show_strength:
            parts.append(self.strength_knob)
        parts += [self.controls_title, self.controls, self.auto_box]
        super().__init__(children=parts, **kwargs)
        self.prompt = prompt
        self.auto_controls = auto_controls
        T.link((self.prompt_box, "value"), (self, "prompt"))
        T.link((self.auto_box, "value"), (self, "auto_controls"))
        self._apply_auto()

    strength = Forward[str | None]("strength_knob", "value", "the strength level, or None to leave it out")

    @T.observe("auto_controls")
    def _on_auto(self, change: dict[str, Any]) -> None:
        self._apply_auto()

    def _apply_auto(self) -> None:
        if not hasattr(self, "controls"):
            return
        self.strength_knob.disabled = self.auto_controls
        self.controls.disabled = self.auto_controls
        grey = "color:#aaa" if self.auto_controls else ""
        self.controls_title.value = (
            f"<span style='{grey}'><b>controls</b> <span style='color:#999'>"
            f"{'(off: autoControls is on)' if self.auto_controls else '(tick a box to send it)'}"
            "</span></span>"
        )

    def edit_options(self) -> dict[str, Any]:
        """Keyword options for ``client.modify``: only what is set, and never strength with autoControls."""
        if self.auto_controls:
            return {"auto_controls": True}
        out: dict[str, Any] = {}
        if self.strength is not None:
            out["strength"] = self.strength
        if self.controls.value is not None:
            out["controls"] = self.controls.value
        return out

    def observe_knobs(self, callback: Any) -> None:
        """Call ``callback(change)`` whenever any knob's value changes."""
        self.observe(callback, ["prompt", "auto_controls"])
        self.strength_knob.observe(callback, "value")
        self.controls.observe(callback, list(CONTROL_NAMES))

    def summary(self) -> str:
        """A short text like ``strength='flex_2', controls={'depthBlur': 0.3}`` (used in reprs)."""
        opts = self.edit_options()
        parts = []
        if "auto_controls" in opts:
            parts.append("auto_controls=True")
        else:
            parts.append(f"strength={opts.get('strength')!r}")
            if "controls" in opts:
                parts.append(f"controls={opts['controls'].to_wire()!r}")
        return ", ".join(parts)


class _guard:
    """Marks a knob as pushing its traits into its widgets, so the widgets' echo is ignored."""

    def __init__(self, knob: Any) -> None:
        self.knob = knob

    def __enter__(self) -> None:
        self.prev = self.knob.__dict__.get("_syncing", False)
        self.knob.__dict__["_syncing"] = True

    def __exit__(self, *exc: Any) -> None:
        self.knob.__dict__["_syncing"] = self.prev


def escape(text: Any, quote: bool = True) -> str:
    """HTML-escape any value for an HTML widget."""
    return html.escape(str(text), quote=quote)
