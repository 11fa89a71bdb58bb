"""HistoryPanel: the ledger as a table with thumbnails; show one, compare several, resume unfinished ones.

panel = lk.HistoryPanel(client)
panel.selected = [entry.task_uuid for entry in panel.entries[:3]]
panel.compare_selected()
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import ipywidgets as W
import traitlets as T

from ..results import describe_edit
from ._base import PanelBase, PlainOutputs, figure_png
from ._run import BackgroundRun, ClientCall, launch
from .knobs import escape

THUMB_SIZE = (96, 54)
_COLUMNS = ("", "time", "prompt", "strength / controls", "state", "cost", "thumbnail", "")


def thumbnail_png(path: str | Path, size: tuple[int, int] = THUMB_SIZE) -> bytes | None:
    """A small PNG of the first frame of ``path``, or None when the file is gone or unreadable."""
    if not path or not Path(path).is_file():
        return None
    try:
        from matplotlib import image

        from .. import media

        frame = media.frames(path, times=[0.0], size=size)[0]
        buf = io.BytesIO()
        image.imsave(buf, frame, format="png")
        return buf.getvalue()
    except Exception:
        return None


class HistoryPanel(PanelBase):
    """The ledger (``client.history()``) as a table: time, prompt, strength/controls, state, cost, thumbnail.

    Tick rows and "compare selected" to see them in one synced player with a frame grid; "show" plays one;
    "resume" picks up a task whose wait was interrupted (it may have kept running and billing), or sends one
    that was stopped before it reached the service; "resume all" does that for every unfinished task
    (``client.resume_all()``), e.g. after a kernel restart. ``sound``: the clip the player lets you hear,
    ``"auto"`` (the first with sound), a row's label as the player titles it, or None (every clip muted).
    """

    selected = T.List(T.Unicode(), help="task UUIDs of the ticked rows")
    running = T.Bool(False)

    def __init__(
        self, client: Any, *, limit: int | None = 50, sound: str | None = "auto", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._init_base(client, sound=sound)
        self.limit = limit
        self.entries: list[Any] = []
        self.job: BackgroundRun | None = None
        self._thumbs: dict[str, bytes | None] = {}
        self.add_class("lumakit-history-panel")
        self.header = W.HTML("<b>History</b>")
        self.refresh_button = W.Button(description="refresh", icon="refresh")
        self.compare_button = W.Button(description="compare selected", icon="columns", disabled=True)
        self.resume_all_button = W.Button(description="resume all", icon="play", button_style="warning")
        self.export_button = W.Button(description="export", icon="download", disabled=True,
                                      tooltip="write both, for the ticked rows")  # fmt: skip
        self.export_line = W.HTML("")
        self.exported: dict[str, Path] = {}
        self.table = W.GridBox(layout=W.Layout(
            grid_template_columns="28px 140px minmax(160px, 2fr) minmax(120px, 1fr) 90px 60px 100px 150px",
            grid_gap="2px 8px", align_items="center"))  # fmt: skip
        self.status_line = W.HTML("")
        self.player_box = W.Box(layout=W.Layout(width="100%"))
        self.grid_image = W.Image(format="png", layout=W.Layout(max_width="100%", display="none"))
        self.checks: dict[str, W.Checkbox] = {}
        buttons = [self.refresh_button, self.compare_button, self.export_button, self.resume_all_button]
        self.children = [
            self.header,
            W.HBox([*buttons, self.status_line]),
            self.export_line,
            self.table,
            self.error_line,
            self.player_box,
            self.grid_image,
            self.details,
        ]
        self.refresh_button.on_click(self.guarded(lambda _b: self.refresh()))
        self.compare_button.on_click(self.guarded(lambda _b: self.compare_selected()))
        self.resume_all_button.on_click(self.guarded(lambda _b: self.resume_all()))
        self.export_button.on_click(self.guarded(lambda _b: self.export()))
        self.refresh()

    def __repr__(self) -> str:
        return f"HistoryPanel(entries={len(self.entries)}, backend={self.backend!r})"

    # -- table -----------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the ledger and rebuild the table (keeps the ticks of rows still present)."""
        self.entries = list(self.client.history(self.limit))
        keep = [u for u in self.selected if any(e.task_uuid == u for e in self.entries)]
        self.checks = {}
        cells: list[W.Widget] = [W.HTML(f"<b>{c}</b>") for c in _COLUMNS]
        for entry in self.entries:
            cells += self._row(entry)
        self.table.children = cells
        self.selected = keep
        self.header.value = f"<b>History</b> <span style='color:#777'>{len(self.entries)} task(s)</span>"
        unfinished = sum(bool(getattr(e, "resumable", False)) for e in self.entries)
        self.resume_all_button.disabled = unfinished == 0 or self.running
        self.resume_all_button.tooltip = f"{unfinished} unfinished task(s)"

    def _row(self, entry: Any) -> list[W.Widget]:
        check = W.Checkbox(
            value=entry.task_uuid in self.selected,
            indent=False,
            layout=W.Layout(width="24px"),
            disabled=not entry.result_path,
        )
        check.observe(lambda c, u=entry.task_uuid: self._tick(u, c["new"]), "value")
        self.checks[entry.task_uuid] = check
        when = datetime.fromtimestamp(entry.created).strftime("%Y-%m-%d %H:%M:%S") if entry.created else "-"
        prompt = entry.prompt or ""
        short = prompt if len(prompt) <= 60 else prompt[:57] + "…"
        state = entry.state + (f": {entry.error}" if entry.error else "")
        cost = "-" if entry.cost is None else f"${entry.cost:.2f}"
        if entry.task_uuid not in self._thumbs:
            self._thumbs[entry.task_uuid] = thumbnail_png(entry.result_path) if entry.result_path else None
        png = self._thumbs[entry.task_uuid]
        thumb: W.Widget = W.Image(value=png, format="png", width=THUMB_SIZE[0]) if png else W.HTML("—")
        actions: list[W.Widget] = []
        if entry.result_path and Path(entry.result_path).is_file():
            show = W.Button(description="show", layout=W.Layout(width="64px"))
            show.on_click(self.guarded(lambda _b, u=entry.task_uuid: self.show(u)))
            actions.append(show)
        if getattr(entry, "resumable", False):
            resume = W.Button(description="resume", button_style="warning", layout=W.Layout(width="76px"),
                              tooltip="pick up this task (it may still be running, and billing)")  # fmt: skip
            resume.on_click(self.guarded(lambda _b, u=entry.task_uuid: self.resume(u)))
            actions.append(resume)
        return [
            check,
            W.HTML(f"<span title='{escape(entry.task_uuid)}'>{when}</span>"),
            W.HTML(f"<span title='{escape(prompt)}'>{escape(short)}</span>"),
            W.HTML(escape(describe_edit(entry.wire))),
            W.HTML(escape(state)),
            W.HTML(cost),
            thumb,
            W.HBox(actions),
        ]

    def _tick(self, task_uuid: str, on: bool) -> None:
        chosen = [u for u in self.selected if u != task_uuid]
        self.selected = [*chosen, task_uuid] if on else chosen

    @T.observe("selected")
    def _on_selected(self, change: dict[str, Any]) -> None:
        for uuid, check in self.checks.items():
            check.value = uuid in self.selected
        self.compare_button.disabled = len(self.selected) < 1
        self.export_button.disabled = len(self.selected) < 1

    def entry(self, task_uuid: str) -> Any:
        for e in self.entries:
            if e.task_uuid == task_uuid:
                return e
        raise KeyError(f"task {task_uuid!r} is not in this history (refresh?)")

    # -- actions ---------------------------------------------------------------------------------------
    def _label(self, entry: Any) -> str:
        return f"{describe_edit(entry.wire)} {entry.task_uuid[:8]}"

    def show(self, task_uuid: str) -> None:
        """Play one task's result."""
        self._play({self._label(self.entry(task_uuid)): self.entry(task_uuid).result_path}, grid=False)

    def compare_selected(self) -> None:
        """The ticked results in one synced player, with their frame grid."""
        entries = [self.entry(u) for u in self.selected]
        items = {self._label(e): e.result_path for e in entries if e.result_path}
        if not items:
            self.show_error("tick one or more rows that have a result")
            return
        self._play(items, grid=True)

    def export(self, folder: str | Path | None = None) -> dict[str, Path]:
        """What "export" does: the ticked results' comparison video and report (see ``_export``)."""
        from ..results import Result, ResultSet
        from ._export import export_ab, export_html

        entries = [self.entry(u) for u in self.selected]
        found = [e for e in entries if e.result_path and Path(e.result_path).is_file()]
        if not found:
            self.show_error("tick one or more rows that have a result")
            return {}
        self.clear_error()
        runs = ResultSet({self._label(e): Result.from_entry(e) for e in found})
        self.exported = export_ab(runs, folder=folder, stem="history")
        self.export_line.value = export_html(self.exported)
        return self.exported

    def _play(self, items: dict[str, Any], *, grid: bool) -> None:
        from .. import compare

        self.clear_error()
        self.player_box.children = [self._player(items)]
        if grid:
            self.grid_image.value = figure_png(compare.frame_grid(items, n=6))
            self.grid_image.layout.display = None
        else:
            self.grid_image.layout.display = "none"

    def resume(self, task_uuid: str) -> BackgroundRun | None:
        """Pick up an unfinished task (``client.resume``) in the background; refreshes when done."""
        return self._start(
            f"resuming <code>{escape(task_uuid)}</code>…",
            f"resume {task_uuid}",
            lambda client, on_update: client.resume(task_uuid, on_update=on_update),
        )

    def resume_all(self) -> BackgroundRun | None:
        """Finish every unfinished task (``client.resume_all``) in the background; refreshes when done."""
        return self._start(
            "resuming every unfinished task…",
            "resume_all",
            lambda client, on_update: client.resume_all(on_update=on_update),
        )

    def _start(self, status: str, description: str, call: ClientCall) -> BackgroundRun | None:
        if self.running:
            self.show_error("already resuming: wait for it")
            return None
        self.clear_error()
        job = BackgroundRun(description)
        job.add_done_callback(self._resumed)
        self.job = job
        self.running = True
        self.resume_all_button.disabled = True
        self.status_line.value = status
        launch(job, self.client, call, self._on_update)
        return job

    def _on_update(self, update: Any) -> None:
        self.status_line.value = (
            f"resuming <code>{escape(update.task_uuid or '')}</code>: {escape(update.status)}"
        )

    def _resumed(self, job: BackgroundRun) -> None:
        try:
            if job.exception is not None:
                self.status_line.value = "resume failed"
                self.show_error(job.exception)
            else:
                self.status_line.value = f"resumed: {escape(repr(job.value))}"
                self.publish(job.value)
        finally:
            self.running = False
            self.refresh()

    def _slot_content(self) -> Any:
        return PlainOutputs([self.job.value] if self.job is not None and self.job.value is not None else [])
