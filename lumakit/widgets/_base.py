"""What every panel shares: an error line, a traceback area, a plain-output slot, figure images."""

from __future__ import annotations

import functools
import io
import time
import traceback
from collections.abc import Callable
from typing import Any, NamedTuple

import ipywidgets as W
import traitlets as T

from .._preview import RENDERER_NOTE
from ..errors import APIError, LumakitError, PollTimeout, RequestError
from ._run import BackgroundRun, ClientCall, StopWaiting, launch
from .knobs import escape
from .price import Quote, quote, show_quote

ERROR_STYLE = "color:#b00020;font-weight:600"
OK_STYLE = "color:#1b5e20"


def describe_error(exc: BaseException) -> str:
    """A one-line readable message: the class, the parameter (if any), the message."""
    if isinstance(exc, RequestError):
        return f"RequestError ({exc.parameter}): {exc.message}"
    if isinstance(exc, APIError):
        where = f" ({exc.parameter})" if exc.parameter else ""
        return f"{type(exc).__name__}{where}: {exc}"
    if isinstance(exc, LumakitError):
        return f"{type(exc).__name__}: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class PanelBase(W.VBox):
    """A VBox with ``error`` (an HTML line), ``details`` (an Output for unexpected tracebacks) and a slot.

    The slot: when the panel is displayed by IPython, a plain display output is reserved right under it
    (``display_id``); finished results are written there with ``update_display``, so they are saved in the
    notebook as ordinary outputs (GitHub shows them; they survive a reload without a kernel).
    """

    sound = T.Any("auto", help="the clip the player lets you hear: 'auto', a clip's title, or None (muted)")
    sound_titles: tuple[str, ...] | None = None  # the titles this panel's player can show (None: any)

    def _init_base(self, client: Any, *, sound: str | None = "auto") -> None:
        self.client = client  # a plain attribute, never a trait: nothing of the client is synced
        self.error_line = W.HTML("")
        self.details = W.Output(layout=W.Layout(max_height="240px", overflow="auto"))
        self._slot: Any = None
        self.sound = sound

    @T.validate("sound")
    def _check_sound(self, proposal: dict[str, Any]) -> str | None:
        """``"auto"`` (the first clip with sound, usually the source), a clip's title, or None (every clip
        muted): the display's ``sound=`` option, by title only (a position depends on what is shown)."""
        value = proposal["value"]
        titles = self.sound_titles
        titled = isinstance(value, str) and (titles is None or value in titles)
        if not (value is None or value == "auto" or titled):
            raise RequestError("sound", value, ["auto", None, *(titles or ("a clip's title",))])
        return value  # type: ignore[no-any-return]

    def _player(self, videos: dict[str, Any]) -> W.Widget:
        """The synced player of ``videos`` (title -> video) with the clip ``sound`` names heard (muted when
        that clip is not shown); the static HTML, with the error shown, when the player cannot be made."""
        from .. import display

        sound = self.sound if self.sound in (None, "auto") or self.sound in videos else None
        try:
            player: W.Widget = display.synced_player(videos, sound=sound)
        except Exception as exc:  # shown in the panel; the clips still show, unsynced
            self.show_error(exc)
            player = W.HTML(display.html_for(videos, sound=sound))
        return player

    @property
    def backend(self) -> str:
        return str(getattr(self.client, "backend", "?"))

    def header_html(self, title: str) -> str:
        """The panel's title and the backend it talks to (the local one says it is not Ray)."""
        note = f" · {RENDERER_NOTE}" if self.backend == "local" else ""
        return f"<b>{title}</b> <span style='color:#777'>backend: {escape(self.backend)}{note}</span>"

    # -- errors ---------------------------------------------------------------------------------------
    @property
    def error(self) -> str:
        """The error text shown in the panel ('' when none)."""
        return self._error_text

    _error_text = ""

    def show_error(self, exc: BaseException | str) -> None:
        text = exc if isinstance(exc, str) else describe_error(exc)
        self._error_text = text
        self.error_line.value = f'<div style="{ERROR_STYLE}">⚠ {escape(text)}</div>'
        if isinstance(exc, BaseException) and not isinstance(exc, (LumakitError, StopWaiting)):
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.details.append_stderr(tb)

    def clear_error(self) -> None:
        self._error_text = ""
        self.error_line.value = ""
        self.details.outputs = ()

    def guarded(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a widget callback so an exception shows in the panel instead of vanishing into a log."""

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # shown, not swallowed: the error line says what happened
                self.show_error(exc)
                return None

        return wrapper

    # -- plain outputs --------------------------------------------------------------------------------
    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)
        self._slot = display(self._slot_content(), display_id=True)

    def _slot_content(self) -> Any:
        raise NotImplementedError

    def publish(self, obj: Any) -> None:
        """Show ``obj`` as a plain output: in the panel's slot if it has one, else where display() goes."""
        from IPython.display import display

        if self._slot is not None:
            self._slot.update(self._slot_content())
        else:
            display(obj)

    def close(self) -> None:
        """Close the panel and every widget in it."""
        for w in walk(self):
            if w is not self:
                w.close()
        super().close()


class Launch(NamedTuple):
    """What a panel's run sends: ``call(client, on_update)`` (see :func:`._run.launch`), shown as
    ``description``; ``on_update`` follows the run's progress."""

    description: str
    call: ClientCall
    on_update: Callable[[Any], Any]


class JobPanel(PanelBase):
    """A panel that runs one client call at a time as a :class:`BackgroundRun`, with a "stop waiting" button.

    A subclass sets ``status_line``, ``preview`` and ``price_label`` (HTML widgets) and provides
    ``requests()`` (label -> request, or :class:`RequestError`), ``_preview_html``, ``_show_price``,
    ``_launch()`` (validate, reset the per-run display, say what to call), ``_busy_messages()``,
    ``_show_result``, ``_show_stopped`` and, if a failure needs more than the error line, ``_show_failed``.
    """

    running = T.Bool(False)
    job: BackgroundRun | None = None
    status_line: W.HTML
    preview: W.HTML
    price_label: W.HTML
    price: Quote | None = None
    stopping_text = ""  # shown in the status line when "stop waiting" is clicked ('' leaves it as is)

    # -- before the run: what would be sent, and its price ---------------------------------------------
    def requests(self) -> dict[str, Any]:
        """``label -> request`` the run would send (a :class:`RequestError` when the knobs do not add up)."""
        raise NotImplementedError

    def _preview_html(self, requests: dict[str, Any]) -> str:
        raise NotImplementedError

    def _show_price(self, price: Quote | None) -> None:
        raise NotImplementedError

    def _update_preview(self) -> None:
        """Show what the run would send and what the client would charge for it, or why there is nothing to
        send (no price then). Nothing is sent: the price is the client's own ``quote``."""
        if not hasattr(self, "preview"):
            return  # a knob moved while the panel is still being built
        try:
            requests = self.requests()
            page = self._preview_html(requests)
        except RequestError as exc:
            self.preview.value = (
                f'<div style="color:#b00020;font-family:monospace;white-space:pre-wrap">'
                f"⚠ {escape(describe_error(exc))}</div>"
            )
            self._show_price(None)
            return
        self._show_price(quote(self.client, requests))
        self.preview.value = page

    def _price_button(self, price: Quote | None, button: W.Button) -> None:
        """Keep ``price`` and show it next to ``button``, which a run over a limit disables."""
        self.price = price
        show_quote(price, self.price_label, button, running=self.running)

    def run(self, timeout: float | None = None) -> Any:
        """Run and block until the result is in (raises what went wrong)."""
        job = self._start(blocking=True, raise_invalid=True)
        assert job is not None
        job.wait(timeout)
        return job.result(0)

    async def generate(self) -> Any:
        """Generate without blocking the loop: ``r = await panel.generate()`` in a notebook cell."""
        job = self._start(blocking=False, raise_invalid=True)
        assert job is not None
        return await job

    def stop(self) -> None:
        """Stop waiting (the "stop waiting" button). The task keeps running and billing on the service."""
        if self.job is not None and not self.job.done():
            if self.stopping_text:
                self.status_line.value = self.stopping_text
            self.job.stop()

    # -- hooks ------------------------------------------------------------------------------------------
    def _launch(self) -> Launch:
        """Validate (raise :class:`RequestError`), reset the per-run display and say what to call."""
        raise NotImplementedError

    def _busy_messages(self) -> tuple[str, str]:
        """``(shown in the panel, raised)`` when a run is asked for while one is running."""
        raise NotImplementedError

    def _show_result(self, value: Any) -> None:
        raise NotImplementedError

    def _show_stopped(self) -> None:
        raise NotImplementedError

    def _show_failed(self, exc: BaseException) -> None:
        """Anything a failure shows besides the status line and the error (nothing by default)."""

    # -- machinery --------------------------------------------------------------------------------------
    def _start(self, *, blocking: bool, raise_invalid: bool = False) -> BackgroundRun | None:
        if self.running:
            shown, raised = self._busy_messages()
            self.show_error(shown)
            if raise_invalid:
                raise RuntimeError(raised)
            return None
        self.clear_error()
        try:
            call = self._launch()
        except RequestError as exc:
            self.show_error(exc)
            self.status_line.value = "nothing was sent"
            if raise_invalid:
                raise
            return None
        job = BackgroundRun(call.description)
        job.add_done_callback(self._finish)
        self.job = job
        self._began = time.monotonic()
        self.running = True
        try:
            launch(job, self.client, call.call, call.on_update, blocking=blocking)
        except Exception:
            self.running = False
            raise
        return job

    def _finish(self, job: BackgroundRun) -> None:
        try:
            exc = job.exception
            if exc is None:
                self._show_result(job.value)
            elif isinstance(exc, (StopWaiting, KeyboardInterrupt)) or job.stopped:
                self._show_stopped()
            else:
                self._show_failed(exc)
                self.status_line.value = "failed"
                self.show_error(exc)
        except Exception as exc:  # a failure while showing the result is shown, not lost
            self.show_error(exc)
        finally:
            self.running = False


class PlainOutputs:
    """What a panel's slot shows: its finished results as ordinary rich outputs (or nothing yet)."""

    def __init__(self, items: list[Any]) -> None:
        self.items = list(items)

    def __repr__(self) -> str:
        return "\n".join(repr(i) for i in self.items) if self.items else ""

    def _repr_html_(self) -> str:
        parts = []
        for item in self.items:
            html = getattr(item, "_repr_html_", None)
            parts.append(html() if html else f"<pre>{escape(repr(item))}</pre>")
        return "".join(parts)


def figure_png(fig: Any) -> bytes:
    """A matplotlib figure as PNG bytes (for an ``ipywidgets.Image``); the figure is then released."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white")
    try:
        import matplotlib.pyplot as plt

        plt.close(fig)
    except Exception:  # not a pyplot figure: nothing to release
        pass
    return buf.getvalue()


def walk(widget: Any) -> list[W.Widget]:
    """Every widget reachable from ``widget`` through its traits (children, style, layout, ...)."""
    seen: dict[int, W.Widget] = {}
    stack = [widget]
    while stack:
        w = stack.pop()
        if not isinstance(w, W.Widget) or id(w) in seen:
            continue
        seen[id(w)] = w
        for name in w.trait_names():
            try:
                value = getattr(w, name)
            except Exception:
                continue
            if isinstance(value, W.Widget):
                stack.append(value)
            elif isinstance(value, (list, tuple)):
                stack.extend(v for v in value if isinstance(v, W.Widget))
            elif isinstance(value, dict):
                stack.extend(v for v in value.values() if isinstance(v, W.Widget))
        for v in vars(w).values():  # sub-widgets kept as attributes but not (yet) shown
            if isinstance(v, W.Widget):
                stack.append(v)
            elif isinstance(v, dict):
                stack.extend(x for x in v.values() if isinstance(x, W.Widget))
    return list(seen.values())


__all__ = [
    "JobPanel",
    "Launch",
    "PanelBase",
    "PlainOutputs",
    "PollTimeout",
    "describe_error",
    "figure_png",
    "walk",
]
