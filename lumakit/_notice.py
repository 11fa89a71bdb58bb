"""Say which backend answers, once, where the user looks: an HTML note in a notebook, one line in a terminal.

Without a key lumakit quietly switches to the local preview backend. That is a feature, but a silent one is
a trap: a key kept in a ``.env`` file (which lumakit does not read) or in a Colab secret (which is not an
environment variable) would silently give previews. So the notice says where the key is read from, names a
``.env`` file that mentions the key if there is one (never its value), and how to switch::

    announce_local("http://127.0.0.1:8765")   # notebook: a friendly box; terminal: one log line on stderr
"""

from __future__ import annotations

import html
import logging
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from ._preview import PREVIEW_COLOR, PREVIEW_MARK, PREVIEWS_NOTE, tint

__all__ = [
    "Limits",
    "announce_local",
    "announce_runware",
    "dotenv_with_key",
    "in_notebook",
    "local_notice_html",
    "local_notice_line",
    "runware_notice_html",
    "runware_notice_line",
    "warn_unlimited",
]

log = logging.getLogger("lumakit.client")
_PACKAGE = os.path.dirname(__file__) + os.sep  # lumakit's own source files start with this
KEY_VAR = "RUNWARE_API_KEY"
LOCAL_COLOR = "#2563eb"  # the blue of the local backend's note (free, on this machine)
RUNWARE_COLOR = PREVIEW_COLOR  # the billed backend's note: the attention amber, from its one home


def _notice_box(colour: str, body: str) -> str:
    """A note in a notebook: a ``colour`` bar on the left, the same colour faintly behind ``body``."""
    return (
        f'<div class="lumakit-notice" style="border-left:4px solid {colour};'
        f"background:{tint(colour, 0.07)};"
        f'padding:6px 10px;margin:4px 0;font:13px/1.45 system-ui,sans-serif">{body}</div>'
    )


def in_notebook() -> bool:
    """True inside a running IPython kernel (Jupyter, Colab, VS Code notebooks), where HTML can be shown."""
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


def dotenv_with_key(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The nearest ``.env`` file (from ``start``, default the working directory, up to the root) that
    mentions ``RUNWARE_API_KEY``, or None. Only the variable's name is looked for; no value is read out."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / ".env"
        try:
            if candidate.is_file() and KEY_VAR in candidate.read_text(errors="replace"):
                return candidate
        except OSError:
            continue
    return None


def local_notice_line(url: str, dotenv: Path | None = None) -> str:
    """The terminal's one line (also what the log says)."""
    hint = f"; {dotenv} mentions it but .env files are not read" if dotenv else ""
    return (
        f"lumakit: no {KEY_VAR}, using the local backend at {url}: results are {PREVIEWS_NOTE} "
        f"(set {KEY_VAR} or pass api_key= for Runware{hint})"
    )


def local_notice_html(url: str, dotenv: Path | None = None) -> str:
    """The notebook's note: which backend, why, where the key is read from, and how to switch."""
    found = (
        f"<li><b>{html.escape(str(dotenv))}</b> mentions <code>{KEY_VAR}</code>, but lumakit does not read "
        "<code>.env</code> files: export the variable before starting Jupyter, or load it yourself.</li>"
        if dotenv
        else ""
    )
    return _notice_box(
        LOCAL_COLOR,
        f"<b>lumakit backend: local preview</b> (free, on this machine, at <code>{html.escape(url)}</code>). "
        f"Results are quick stand-in renders, marked <i>{PREVIEW_MARK}</i>. Nothing is wrong: this is what "
        "happens without a key."
        '<ul style="margin:4px 0 0 18px;padding:0">'
        f"<li>The key is read from the <code>{KEY_VAR}</code> environment variable, or "
        "<code>lk.Client(api_key=...)</code>. It was not found.</li>"
        "<li><code>.env</code> files are not read. In Colab, a secret is not an environment variable: "
        f'copy it with <code>os.environ["{KEY_VAR}"] = userdata.get("{KEY_VAR}")</code> before '
        "<code>lk.Client()</code>.</li>"
        f"{found}"
        "<li>To use Ray 3.2 on Runware (billed): set the key, restart the kernel and run again.</li>"
        "</ul>",
    )


@dataclass(frozen=True)
class Limits:
    """What limits a Runware client's spending: ``max_cost`` per call, ``budget`` across calls with what it
    has ``left`` (under ``scope``, None: the whole cache), and the class's ``cap`` over the whole cache
    (``LUMAKIT_BUDGET_CAP``) with what it has left (``cap_left``)."""

    max_cost: float | None = None
    budget: float | None = None
    left: float | None = None
    scope: str | None = None
    cap: float | None = None
    cap_left: float | None = None

    @property
    def none(self) -> bool:
        return self.max_cost is None and self.budget is None and self.cap is None

    def line(self) -> str:
        parts = []
        if self.budget is not None:
            where = f" (scope {self.scope!r})" if self.scope else ""
            parts.append(f"budget ${self.budget:.2f}{where}, ${self.left or 0.0:.2f} left")
        if self.cap is not None:
            parts.append(
                f"LUMAKIT_BUDGET_CAP ${self.cap:.2f} over the whole cache, ${self.cap_left or 0.0:.2f} left"
            )
        parts.append(
            f"max_cost=${self.max_cost:.2f} per call" if self.max_cost is not None else "no max_cost set"
        )
        if self.none:
            parts.append("nothing limits spending")
        return "; ".join(parts)

    def html(self) -> str:
        parts = []
        if self.budget is not None:
            where = f" for <code>{html.escape(self.scope)}</code>" if self.scope else ""
            parts.append(
                f"Budget{where}: <b>${self.budget:.2f}</b>, <b>${self.left or 0.0:.2f} left</b> (across "
                "calls, kernels and restarts; a call that would cross it is refused before anything is sent)."
            )
        if self.cap is not None:
            parts.append(
                f"A cap of <b>${self.cap:.2f}</b> over the whole cache (<code>LUMAKIT_BUDGET_CAP</code>, "
                f"set outside this notebook) holds as well: <b>${self.cap_left or 0.0:.2f} left</b> before "
                "a call is refused."
            )
        if self.max_cost is not None:
            parts.append(
                "Each call is refused before anything is sent if its estimate is over "
                f"<b>${self.max_cost:.2f}</b> (<code>max_cost</code>)."
            )
        if self.none:
            parts.append(
                "<b>Nothing limits spending</b>: pass <code>lk.Client(budget=...)</code> (or set "
                "<code>LUMAKIT_BUDGET</code>) for a limit across calls, or <code>max_cost=...</code> for a "
                "cap on each call."
            )
        return " ".join(parts)


def runware_notice_line(url: str, key_from: str, max_cost: float | None, limits: Limits | None = None) -> str:
    """The one line logged when a client talks to Runware (never the key itself)."""
    limits = limits or Limits(max_cost=max_cost)
    return f"lumakit: Runware at {url} (Ray 3.2, billed); key from {key_from}; {limits.line()}"


def runware_notice_html(url: str, key_from: str, max_cost: float | None, limits: Limits | None = None) -> str:
    """The notebook's note for the paid backend: where the key came from, the budget and what is left."""
    limits = limits or Limits(max_cost=max_cost)
    return _notice_box(
        RUNWARE_COLOR,
        f"<b>lumakit backend: Runware</b> (Ray 3.2 at <code>{html.escape(url)}</code>; jobs are billed). "
        f"The key came from <code>{html.escape(key_from)}</code>; <code>.env</code> files are not read. "
        f"{limits.html()} <code>client.estimate(...)</code> prices work first.",
    )


UNLIMITED = (
    "lumakit: this Runware client has no budget and no max_cost, so nothing limits what it spends. Pass "
    "lk.Client(budget=20) (a limit across calls, kernels and restarts) or max_cost= (a cap on each call), or "
    "set LUMAKIT_BUDGET."
)
_warned_unlimited = False


def warn_unlimited() -> None:
    """Warn once per process, in a notebook, that a Runware client has nothing limiting its spending."""
    global _warned_unlimited
    if _warned_unlimited or not in_notebook():
        return
    _warned_unlimited = True
    warnings.warn(UNLIMITED, UserWarning, stacklevel=_outside_lumakit())


def _outside_lumakit() -> int:
    """The ``stacklevel`` (for a ``warnings.warn`` in our caller) of the first frame that is not lumakit's:
    the user's line, however many lumakit frames (``Client`` over ``AsyncClient``, a panel) lie between."""
    level, frame = 1, sys._getframe(1)  # level 1: our caller
    while frame.f_code.co_filename.startswith(_PACKAGE) and frame.f_back is not None:
        level, frame = level + 1, frame.f_back
    return level


def _announce(line: str, page: str, *, terminal: bool) -> None:
    log.info(line)
    if in_notebook():
        from IPython.display import HTML, display

        display(HTML(page))
    elif terminal:
        print(line, file=sys.stderr)


def announce_local(url: str) -> None:
    """Tell the user that the local preview backend answers: HTML in a notebook, else one
    line on stderr. Always logged at INFO as one line."""
    dotenv = dotenv_with_key()
    _announce(local_notice_line(url, dotenv), local_notice_html(url, dotenv), terminal=True)


def announce_runware(url: str, key_from: str, max_cost: float | None, limits: Limits | None = None) -> None:
    """Tell a notebook user that Runware (billed) answers, where the key came from, the budget and what is
    left; terminals get the log line only."""
    line = runware_notice_line(url, key_from, max_cost, limits)
    page = runware_notice_html(url, key_from, max_cost, limits)
    _announce(line, page, terminal=False)
