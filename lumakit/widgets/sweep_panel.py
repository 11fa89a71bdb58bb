"""SweepPanel: the quick visual A/B of strength bands.

panel = lk.SweepPanel(client, source="assets/dolphin.mp4", prompt="the dolphin made of blown glass")
panel.levels = lk.request.ONE_PER_BAND       # or panel.preset = "all nine", or tick levels by hand
runs = panel.run()                           # ResultSet in dial order; synced videos, grid, departure plot
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import ipywidgets as W
import traitlets as T

from ..errors import RequestError
from ..request import (
    BANDS,
    CONTROL_NAMES,
    ONE_PER_BAND,
    STRENGTHS,
    Controls,
    ModifyRequest,
    Strength,
    band_levels,
)
from ._base import OK_STYLE, JobPanel, Launch, PlainOutputs, figure_png
from ._forward import Forward
from ._run import BackgroundRun
from .knobs import ControlsKnob, escape
from .modify_panel import PREVIEW_TASK_UUID
from .price import Quote

PRESETS: dict[str, tuple[str, ...]] = {"one per band": ONE_PER_BAND, "all nine": STRENGTHS}
CUSTOM = "custom"


class SweepPanel(JobPanel):
    """Run one edit at several strength levels together and compare them side by side.

    Args:
      client: ``lk.Client()`` or ``lk.AsyncClient()``.
      source: the video to edit (path, URL, video UUID or Result). prompt: the look you want.
      levels: the strengths to run (default :data:`~lumakit.request.ONE_PER_BAND`).
      controls: controls sent with every level (optional).
      sound: the clip the player lets you hear: ``"auto"`` (the first with sound, usually the source),
        ``"source"``, a level (``"flex_2"``) or None (every clip muted); settable, it applies from the next
        sweep shown.
    """

    sound_titles = ("source", *STRENGTHS)

    source = T.Any(None)
    levels = T.Tuple(help="strength levels to run, in dial order")
    results = T.Any(None, help="the last ResultSet (label -> Result)")

    def __init__(
        self,
        client: Any,
        source: Any = None,
        prompt: str = "",
        *,
        levels: Any = ONE_PER_BAND,
        controls: Controls | dict[str, Any] | None = None,
        sound: str | None = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._init_base(client, sound=sound)
        self.job: BackgroundRun | None = None
        self.add_class("lumakit-sweep-panel")
        self.header = W.HTML(self.header_html("Strength sweep"))
        self.source_box = W.Text(
            description="source",
            continuous_update=False,
            style={"description_width": "70px"},
            layout=W.Layout(width="70%"),
        )
        self.prompt_box = W.Textarea(value=prompt, description="prompt", continuous_update=False,
                                     style={"description_width": "70px"},
                                     layout=W.Layout(width="100%", height="56px"))  # fmt: skip
        self.preset = W.ToggleButtons(
            options=[*PRESETS, CUSTOM],
            description="levels",
            style={"description_width": "70px", "button_width": "100px"},
        )
        self.level_buttons = {
            s: W.ToggleButton(description=s, layout=W.Layout(width="110px")) for s in STRENGTHS
        }
        columns = [
            W.VBox([W.HTML(f"<b>{band}</b>"), *(self.level_buttons[str(s)] for s in band_levels(band))])
            for band in BANDS
        ]
        self.controls = ControlsKnob(controls)
        self.controls_box = W.Accordion(
            children=[self.controls], titles=("controls (sent with every level)",)
        )
        self.controls_box.selected_index = None
        self.preview = W.HTML()
        self.run_button = W.Button(description="Run sweep", button_style="primary", icon="play")
        self.price_label = W.HTML("", layout=W.Layout(margin="0 8px"))
        self.price_label.add_class("lumakit-price")
        self.stop_button = W.Button(description="stop waiting", button_style="warning", icon="stop",
                                    disabled=True)  # fmt: skip
        self.export_button = W.Button(description="export", icon="download", disabled=True,
                                      tooltip="write comparison.mp4 and report.html")  # fmt: skip
        self.export_line = W.HTML("")
        self.exported: dict[str, Path] = {}
        self.jobs_box = W.VBox()
        self.status_line = W.HTML("")
        self.player_box = W.Box(layout=W.Layout(width="100%"))
        self.grid_image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.departure_image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.rows: dict[str, tuple[W.FloatProgress, W.HTML]] = {}
        self.children = [
            self.header,
            self.source_box,
            self.prompt_box,
            self.preset,
            W.HBox(columns, layout=W.Layout(margin="0 0 0 78px")),
            self.controls_box,
            self.preview,
            W.HBox(
                [self.run_button, self.price_label, self.stop_button, self.export_button, self.status_line]
            ),
            self.export_line,
            self.jobs_box,
            self.error_line,
            self.player_box,
            self.grid_image,
            self.departure_image,
            self.details,
        ]
        self._syncing = False
        self.source_box.observe(self.guarded(lambda c: setattr(self, "source", c["new"] or None)), "value")
        self.prompt_box.observe(lambda _c: self._update_preview(), "value")
        self.preset.observe(self.guarded(self._on_preset), "value")
        for button in self.level_buttons.values():
            button.observe(self.guarded(self._on_level_button), "value")
        self.controls.observe(lambda _c: self._update_preview(), list(CONTROL_NAMES))
        self.run_button.on_click(self.guarded(lambda _b: self.start()))
        self.stop_button.on_click(self.guarded(lambda _b: self.stop()))
        self.export_button.on_click(self.guarded(lambda _b: self.export()))
        self.source = source
        self.levels = levels

    # -- knobs -----------------------------------------------------------------------------------------
    prompt = Forward[str]("prompt_box", "value", "the look you want (the prompt box)")

    def __repr__(self) -> str:
        src, levels = self.source_box.value, list(self.levels)
        return f"SweepPanel(source={src!r}, levels={levels!r}, backend={self.backend!r})"

    @T.validate("levels")
    def _check_levels(self, proposal: dict[str, Any]) -> tuple[str, ...]:
        value = proposal["value"]
        if isinstance(value, str):
            value = PRESETS.get(value, (value,))
        chosen = {Strength.coerce(v, "levels") for v in value}
        return tuple(str(s) for s in sorted(chosen))

    @T.observe("levels")
    def _on_levels(self, change: dict[str, Any]) -> None:
        self._syncing = True
        try:
            for name, button in self.level_buttons.items():
                button.value = name in self.levels
            match = [p for p, lv in PRESETS.items() if tuple(lv) == self.levels]
            self.preset.value = match[0] if match else CUSTOM
        finally:
            self._syncing = False
        self._update_preview()

    @T.observe("source")
    def _on_source(self, change: dict[str, Any]) -> None:
        value = change["new"]
        if isinstance(value, Path):
            self.source = str(value)
            return
        text = "" if value is None else value if isinstance(value, str) else str(
            getattr(value, "video_uuid", None) or getattr(value, "path", ""))  # fmt: skip
        self.source_box.value = text
        self._update_preview()

    def _on_preset(self, change: dict[str, Any]) -> None:
        if not self._syncing and change["new"] in PRESETS:
            self.levels = PRESETS[change["new"]]

    def _on_level_button(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self.levels = tuple(name for name, b in self.level_buttons.items() if b.value)

    # -- requests --------------------------------------------------------------------------------------
    def requests(self) -> dict[str, ModifyRequest]:
        """``level -> ModifyRequest`` the sweep would send (raises :class:`RequestError` if invalid)."""
        if not self.levels:
            raise RequestError("levels", (), STRENGTHS, message="no strength level is selected")
        if self.source is None:
            raise RequestError(
                "source",
                None,
                "a video path, URL, video UUID or Result",
                message="no source video",
                code="invalidVideo",
                wire="inputs.video",
            )
        controls = self.controls.value
        return {
            level: ModifyRequest(video=self.source, prompt=self.prompt, strength=level, controls=controls)
            for level in self.levels
        }

    def request_preview(self) -> list[dict[str, Any]]:
        """The wire dicts the sweep would send, one per level, in dial order (placeholder task UUIDs)."""
        return [r.to_task(task_uuid=PREVIEW_TASK_UUID) for r in self.requests().values()]

    def _preview_html(self, requests: dict[str, ModifyRequest]) -> str:
        tasks = [r.to_task(task_uuid=PREVIEW_TASK_UUID) for r in requests.values()]
        first = json.dumps(tasks[0], indent=2, ensure_ascii=False)
        return (
            f"<details><summary>request preview: {len(tasks)} task(s), one per level "
            f"({escape(', '.join(self.levels))}); only <code>settings.edit.strength</code> differs</summary>"
            f'<pre style="font-size:11px;max-height:220px;overflow:auto;background:#f6f8fa" '
            f'class="lumakit-preview">{escape(first, quote=False)}</pre></details>'
        )

    def _show_price(self, price: Quote | None) -> None:
        """The total of the selected levels (cached ones at $0); above ``max_cost`` disables the button."""
        self._price_button(price, self.run_button)

    # -- running ---------------------------------------------------------------------------------------
    def start(self) -> BackgroundRun | None:
        """What "Run sweep" does: validate, then run every level together in the background."""
        return self._start(blocking=False)

    def run(self, timeout: float | None = None) -> Any:
        """Run the sweep and block until it ends; returns the ResultSet (in dial order)."""
        return super().run(timeout)

    def _busy_messages(self) -> tuple[str, str]:
        return "a sweep is already running: wait, or stop waiting", "a sweep is already running"

    def _launch(self) -> Launch:
        self.requests()
        levels = list(self.levels)
        self.rows = {
            level: (W.FloatProgress(value=0, min=0, max=1, layout=W.Layout(width="160px")), W.HTML(""))
            for level in levels
        }
        self.jobs_box.children = [
            W.HBox([W.Label(level, layout=W.Layout(width="100px")), bar, text])
            for level, (bar, text) in self.rows.items()
        ]
        self.task_uuids: dict[str, str] = {}
        options: dict[str, Any] = {"strengths": levels}
        if self.controls.value is not None:
            options["controls"] = self.controls.value
        source, prompt = self.source, self.prompt
        return Launch(
            f"sweep {','.join(levels)}",
            lambda client, on_update: client.sweep(source, prompt, on_update=on_update, **options),
            self._on_update,
        )

    @T.observe("running")
    def _on_running(self, change: dict[str, Any]) -> None:
        self.run_button.disabled = change["new"]
        self.stop_button.disabled = not change["new"]
        if not change["new"]:
            self._update_preview()  # finished levels are cached now: the total says so
        if change["new"]:
            self.status_line.value = f"running {len(self.rows)} jobs together…"

    def _on_update(self, update: Any) -> None:
        row = self.rows.get(update.label or "")
        if row is None:
            return
        bar, text = row
        if update.task_uuid:
            self.task_uuids[update.label] = update.task_uuid
        if update.progress is not None:
            bar.value = max(0.0, min(1.0, update.progress))
        if update.status in ("done", "cached"):
            bar.value, bar.bar_style = 1.0, "success"
        elif update.status == "error":
            bar.bar_style = "danger"
        cost = f" ${update.cost:.2f}" if update.cost is not None else ""
        text.value = f"{escape(update.status)} {update.elapsed:.1f} s{cost}"

    def _show_stopped(self) -> None:
        uuids = ", ".join(f"{k}: <code>{escape(v)}</code>" for k, v in self.task_uuids.items())
        self.status_line.value = (
            f"stopped waiting. The jobs still run on the service and are billed; "
            f"<code>client.resume(task_uuid)</code> picks each up. {uuids}"
        )

    def _show_failed(self, exc: BaseException) -> None:
        partial = getattr(exc, "partial", None)
        if partial:
            self._show_result(partial)

    def _show_result(self, results: Any) -> None:
        from .. import compare

        self.results = results
        cost = getattr(results, "total_cost", None)
        took = time.monotonic() - self._began
        self.status_line.value = f'<span style="{OK_STYLE}">{len(results)} done</span> in {took:.1f} s' + (
            f", ${cost:.2f}" if cost is not None else ""
        )
        src = self._displayable_source()
        items = {"source": src, **results} if src is not None else dict(results)
        self.player_box.children = [self._player(items)]
        self.grid_image.value = figure_png(compare.frame_grid(items, n=6))
        if src is not None:
            self.departure_image.value = figure_png(compare.departure_plot(src, results))
        self.publish(results)

    def export(self, folder: str | Path | None = None) -> dict[str, Path]:
        """What "export" does: write the last sweep's comparison video and report (see ``_export``)."""
        from ._export import export_ab, export_html

        if not self.results:
            raise RequestError("results", None, message="nothing to export yet: run the sweep first")
        source = self._displayable_source()
        self.exported = export_ab(self.results, source=source, folder=folder, stem="sweep")
        self.export_line.value = export_html(self.exported)
        return self.exported

    @T.observe("results")
    def _on_results(self, change: dict[str, Any]) -> None:
        self.export_button.disabled = not change["new"]

    def _displayable_source(self) -> Any:
        src = self.source
        if src is None:
            return None
        if not isinstance(src, str):
            return src if getattr(src, "path", None) else None
        if src.startswith(("http://", "https://")) or Path(src).expanduser().is_file():
            return src
        return None

    def _slot_content(self) -> Any:
        return PlainOutputs([self.results] if self.results is not None else [])
