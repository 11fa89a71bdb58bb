"""ModifyPanel: one edit, end to end, in a notebook.

panel = lk.ModifyPanel(client, source="assets/dolphin.mp4", prompt="the dolphin made of blown glass")
panel                                   # source, knobs, live request preview, Generate, progress, result
panel.strength = "reimagine_1"          # every knob is an attribute; the preview follows
panel.request_preview()                 # the exact wire dict the client would send (no key, ever)
r = panel.run()                         # what Generate does, blocking; or: r = await panel.generate()
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import ipywidgets as W
import traitlets as T

from ..errors import RequestError
from ..lifecycle import TaskState
from ..request import Controls, ModifyRequest, Strength, classify_source
from ._base import OK_STYLE, JobPanel, Launch, PlainOutputs, figure_png
from ._forward import Forward
from ._run import BackgroundRun
from .knobs import DEFAULT_STRENGTH, ControlsKnob, EditKnobs, escape
from .price import Quote

PREVIEW_TASK_UUID = "00000000-0000-4000-8000-000000000000"  # stands in for the UUID minted at submit time
_NO_CHAIN = "(type a path or URL)"


class ModifyPanel(JobPanel):
    """A Modify Video panel: pick a source, set the knobs, read the request, generate, compare.

    Args:
      client: a ``lk.Client()`` or ``lk.AsyncClient()``; the panel never reads or shows its key.
      source: a path, URL, video UUID or ``Result`` to edit.
      prompt: the look you want.
      strength: the starting strength (``None`` leaves it unset); controls: starting controls;
      auto_controls: start with autoControls on.
      sound: the clip the player lets you hear: ``"auto"`` (the first with sound, usually the source),
        ``"source"``, ``"result"`` or None (both muted); settable, it applies from the next result shown.
    """

    sound_titles = ("source", "result")

    source = T.Any(None, help="path, URL, video UUID or Result to edit")
    result = T.Any(None, help="the last finished Result")
    task_uuid = T.Unicode(None, allow_none=True, help="the task being waited for, once submitted")

    def __init__(
        self,
        client: Any,
        source: Any = None,
        prompt: str = "",
        *,
        strength: str | Strength | None = DEFAULT_STRENGTH,
        controls: Controls | dict[str, Any] | None = None,
        auto_controls: bool = False,
        sound: str | None = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._init_base(client, sound=sound)
        self.results: list[Any] = []
        self.job: BackgroundRun | None = None
        self.add_class("lumakit-modify-panel")

        self.header = W.HTML(self.header_html("Modify Video"))
        self.source_box = W.Text(
            description="source",
            placeholder="path, http(s) URL or video UUID",
            continuous_update=False,
            style={"description_width": "70px"},
            layout=W.Layout(width="60%"),
        )
        self.chain = W.Dropdown(
            options=[(_NO_CHAIN, -1)],
            value=-1,
            description="or chain",
            style={"description_width": "60px"},
            layout=W.Layout(width="38%"),
        )
        self.knobs = EditKnobs(prompt, strength=strength, controls=controls, auto_controls=auto_controls)
        self.preview = W.HTML(layout=W.Layout(width="100%"))
        self.generate_button = W.Button(description="Generate", button_style="primary", icon="play")
        self.price_label = W.HTML("", layout=W.Layout(margin="0 8px"))
        self.price_label.add_class("lumakit-price")
        self.stop_button = W.Button(
            description="stop waiting",
            button_style="warning",
            icon="stop",
            disabled=True,
            tooltip="Stop waiting for the result. The job keeps running (and billing) on the service.",
        )
        self.grid_toggle = W.ToggleButton(
            description="grid", icon="th", tooltip="frame grid of source and result"
        )
        self.progress = W.IntProgress(value=0, min=0, max=100, layout=W.Layout(width="220px"))
        self.status_line = W.HTML("")
        self.elapsed_label = W.Label("")
        self.cost_label = W.Label("")
        self.player_box = W.Box(layout=W.Layout(width="100%"))
        self.grid_image = W.Image(format="png", layout=W.Layout(display="none", max_width="100%"))

        self.children = [
            self.header,
            W.HBox([self.source_box, self.chain]),
            self.knobs,
            W.HTML(
                "<b>request preview</b> <span style='color:#777'>(the JSON the client sends; "
                "the task UUID is minted at submit time; the API key is never part of it)</span>"
            ),
            self.preview,
            W.HBox([self.generate_button, self.price_label, self.stop_button, self.grid_toggle]),
            W.HBox([self.progress, self.status_line, self.elapsed_label, self.cost_label]),
            self.error_line,
            self.player_box,
            self.grid_image,
            self.details,
        ]
        self.source_box.observe(self.guarded(self._on_source_text), "value")
        self.chain.observe(self.guarded(self._on_chain), "value")
        self.knobs.observe_knobs(lambda _change: self._update_preview())
        self.generate_button.on_click(self.guarded(lambda _b: self.start()))
        self.stop_button.on_click(self.guarded(lambda _b: self.stop()))
        self.grid_toggle.observe(self.guarded(lambda _c: self._show_grid()), "value")
        self.source = source

    # -- knobs as attributes -----------------------------------------------------------------------------
    prompt = Forward[str]("knobs", "prompt", "the look you want (the prompt box)")
    strength = Forward[str | None]("knobs", "strength", "the strength level, or None to leave it out")
    auto_controls = Forward[bool]("knobs", "auto_controls", "autoControls on (strength and controls greyed)")

    @property
    def controls(self) -> ControlsKnob:
        """The controls group: ``panel.controls.depth_blur = 0.3``, ``panel.controls.set(None)``."""
        return self.knobs.controls

    def __repr__(self) -> str:
        return (
            f"ModifyPanel(source={self.source_box.value!r}, {self.knobs.summary()}, backend={self.backend!r})"
        )

    # -- source ------------------------------------------------------------------------------------------
    @T.validate("source")
    def _check_source(self, proposal: dict[str, Any]) -> Any:
        value = proposal["value"]
        return str(value) if isinstance(value, Path) else value

    @T.observe("source")
    def _on_source(self, change: dict[str, Any]) -> None:
        value = change["new"]
        text = "" if value is None else str(value) if isinstance(value, str) else self._source_text(value)
        self.source_box.value = text
        index = next((i for i, r in enumerate(self.results) if r is value), -1)
        self.chain.value = index
        self._update_preview()

    @staticmethod
    def _source_text(value: Any) -> str:
        return str(getattr(value, "video_uuid", None) or getattr(value, "path", None) or value)

    def _on_source_text(self, change: dict[str, Any]) -> None:
        if not isinstance(self.source, str) and change["new"] == self._source_text(self.source):
            return  # the box just shows the chained Result
        self.source = change["new"] or None

    def _on_chain(self, change: dict[str, Any]) -> None:
        if change["new"] >= 0:
            self.source = self.results[change["new"]]

    def _chain_options(self) -> None:
        opts = [(_NO_CHAIN, -1)]
        for i, r in reversed(list(enumerate(self.results))):
            strength = getattr(getattr(r, "request", None), "strength", None)
            opts.append((f"#{i + 1} {strength or ''} {str(r.video_uuid or r.task_uuid)[:8]}", i))
        index = self.chain.value
        self.chain.options = opts
        self.chain.value = index if index < len(self.results) else -1

    # -- the request -------------------------------------------------------------------------------------
    def request(self) -> ModifyRequest:
        """The request Generate would send (raises :class:`RequestError` when the knobs do not add up)."""
        if self.source is None or self.source == "":
            raise RequestError(
                "source",
                self.source,
                "a local video path, an http(s) URL, a video UUID or a Result",
                message="no source video: type a path or URL, or chain an earlier result",
                code="invalidVideo",
                wire="inputs.video",
            )
        return ModifyRequest(video=self.source, prompt=self.prompt, **self.knobs.edit_options())

    def request_preview(self) -> dict[str, Any]:
        """The exact wire dict Generate would send, with a placeholder task UUID (a fresh one at submit).

        A local file shows as ``"<upload name.mp4>"``: the client uploads it and sends the mediaUUID instead.
        """
        return self.request().to_task(task_uuid=PREVIEW_TASK_UUID)

    def requests(self) -> dict[str, ModifyRequest]:
        """``{"modify": request}``: what Generate sends, as the client prices it."""
        return {"modify": self.request()}

    def _preview_html(self, requests: dict[str, ModifyRequest]) -> str:
        text = json.dumps(
            requests["modify"].to_task(task_uuid=PREVIEW_TASK_UUID), indent=2, ensure_ascii=False
        )
        return (
            '<pre style="margin:0;padding:6px;background:#f6f8fa;border:1px solid #ddd;font-size:11px;'
            'line-height:1.3;max-height:260px;overflow:auto" class="lumakit-preview">'
            f"{escape(text, quote=False)}</pre>"
        )

    def _show_price(self, price: Quote | None) -> None:
        """The estimate next to Generate; a run above the client's ``max_cost`` disables the button."""
        self._price_button(price, self.generate_button)

    # -- running -----------------------------------------------------------------------------------------
    stopping_text = "stopping the wait…"

    def start(self) -> BackgroundRun | None:
        """What the Generate button does: validate, then run in the background (the kernel stays free).

        Returns the :class:`BackgroundRun` (``job.wait()``, ``await job``), or None when nothing was sent
        (invalid knobs, or a job already running: both are shown in the panel).
        """
        return self._start(blocking=False)

    def run(self, timeout: float | None = None) -> Any:
        """Generate and block until the result is in; returns the ``Result`` (raises what went wrong)."""
        return super().run(timeout)

    def _busy_messages(self) -> tuple[str, str]:
        task = f" (task {self.task_uuid})" if self.task_uuid else ""
        msg = f"already running{task}: wait, or stop waiting"
        return msg, msg

    def _launch(self) -> Launch:
        req = self.request()
        self.task_uuid = None
        source, prompt, options = self.source, self.prompt, self.knobs.edit_options()
        description = f"modify {req.strength or ('auto' if req.auto_controls else 'controls')}"
        return Launch(
            description,
            lambda client, on_update: client.modify(source, prompt, on_update=on_update, **options),
            self._on_update,
        )

    @T.observe("running")
    def _on_running(self, change: dict[str, Any]) -> None:
        self.generate_button.disabled = change["new"]
        self.generate_button.description = "running…" if change["new"] else "Generate"
        if not change["new"]:
            self._update_preview()  # a finished run is cached now: the price says so
        self.stop_button.disabled = not change["new"]
        if change["new"]:
            self.progress.value = 0
            self.progress.bar_style = "info"
            self.status_line.value = "starting…"
            self.cost_label.value = ""
            self.elapsed_label.value = ""

    def _on_update(self, update: Any) -> None:
        if update.task_uuid:
            self.task_uuid = update.task_uuid
        if update.progress is not None:
            self.progress.value = round(100 * max(0.0, min(1.0, update.progress)))
        elif update.status == "done":
            self.progress.value = 100
        label = update.status + (f": {update.message}" if update.message else "")
        uuid = f" <code>{escape(update.task_uuid)}</code>" if update.task_uuid else ""
        self.status_line.value = f"{escape(label)}{uuid}"
        self.elapsed_label.value = f"{update.elapsed:.1f} s"
        if update.cost is not None:
            self.cost_label.value = f"${update.cost:.2f}"

    def _show_failed(self, exc: BaseException) -> None:
        self.progress.bar_style = "danger"

    def _never_sent(self) -> bool:
        """Was the task stopped before it reached the service (during the upload)? The ledger knows."""
        cache = getattr(self.client, "cache", None)  # Client and AsyncClient both show their cache
        entry = cache.ledger.get(self.task_uuid) if cache is not None and self.task_uuid else None
        return entry is not None and entry.state is TaskState.NOT_SENT

    def _show_stopped(self) -> None:
        self.progress.bar_style = "warning"
        if self.task_uuid and self._never_sent():
            self.status_line.value = (
                f"stopped before task <code>{escape(self.task_uuid)}</code> was sent: nothing was submitted "
                "or billed. Generate runs it again."
            )
        elif self.task_uuid:
            self.status_line.value = (
                f"stopped waiting for task <code>{escape(self.task_uuid)}</code>. The job still runs on the "
                f"service and is billed; <code>client.resume({escape(repr(self.task_uuid))})</code> "
                "picks it up."
            )
        else:
            self.status_line.value = (
                "stopped waiting before a task UUID was reported; <code>client.history()</code> lists every "
                "task that was sent"
            )

    def _show_result(self, result: Any) -> None:
        self.result = result
        self.results.append(result)
        self._chain_options()
        self.progress.value = 100
        self.progress.bar_style = "success"
        took = time.monotonic() - self._began
        cost = "" if result.cost is None else f", ${result.cost:.2f}"
        cached = " (cached)" if getattr(result, "cached", False) else ""
        self.status_line.value = (
            f'<span style="{OK_STYLE}">done{cached}</span> <code>{escape(result.task_uuid)}</code>'
        )
        self.elapsed_label.value = f"{took:.1f} s"
        self.cost_label.value = cost.lstrip(", ")
        self._show_player()
        if self.grid_toggle.value:
            self._show_grid()
        self.publish(result)

    def _compare_items(self) -> dict[str, Any]:
        items: dict[str, Any] = {}
        src = self._displayable(self.result_source())
        if src is not None:
            items["source"] = src
        items["result"] = self.result
        return items

    def result_source(self) -> Any:
        """The source of the last result (what it was made from)."""
        req = getattr(self.result, "request", None)
        video = getattr(req, "video", None)
        return getattr(video, "local_path", None) or getattr(video, "value", None) or self.source

    @staticmethod
    def _displayable(src: Any) -> Any:
        if src is None:
            return None
        if not isinstance(src, str):
            return src
        s = classify_source(src)
        if s.kind == "url" or (s.kind == "path" and Path(s.value).expanduser().is_file()):
            return src
        return None

    def _show_player(self) -> None:
        self.player_box.children = [self._player(self._compare_items())]

    def _show_grid(self) -> None:
        if not self.grid_toggle.value:
            self.grid_image.layout.display = "none"
            return
        if self.result is None:
            self.status_line.value = "the grid appears once there is a result"
            return
        from .. import compare

        self.grid_image.value = figure_png(compare.frame_grid(self._compare_items(), n=6))
        self.grid_image.layout.display = None

    def _slot_content(self) -> Any:
        return PlainOutputs(self.results)
