"""The price a panel shows before its run: the price table for each job, cached jobs at $0, no network.

``quote(client, {"label": request, ...})`` prices the work as the client's ``max_cost`` check does (the
table in :mod:`lumakit.pricing`), measures local sources (length and size, memoized per file), and asks the
client's cache whether a job's result is already on disk (a cached job costs nothing). Nothing is sent.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..pricing import price
from ..request import Request, source_length_problem

_probe_lock = threading.Lock()
_probes: dict[tuple[str, int, int], tuple[float, tuple[int, int]]] = {}


@dataclass(frozen=True)
class Quote:
    """What a panel's run would cost. ``total`` is USD with cached jobs at 0; ``limit`` is the client's
    ``max_cost`` (None: no limit); ``problem`` says why the work cannot run as it stands ('' when it can)."""

    total: float
    jobs: int
    cached: int
    limit: float | None
    problem: str = ""

    @property
    def over(self) -> bool:
        """True when the estimate is above the client's ``max_cost``: the run would be refused."""
        return self.limit is not None and self.total > self.limit + 1e-9

    def text(self) -> str:
        """``"≈ $1.08, estimate"``, ``"cached: $0"``, or the total of several jobs, plus why it cannot run."""
        if self.jobs and self.cached == self.jobs:
            head = "cached: $0"
        else:
            head = f"≈ ${self.total:.2f}"
            if self.jobs > 1:
                head += f" for {self.jobs} jobs"
                if self.cached:
                    head += f" ({self.cached} cached at $0)"
            head += ", estimate"
        if self.problem:
            return f"{head} · {self.problem}"
        if self.over:
            return f"{head} · over max_cost ${self.limit:.2f}: raise the client's max_cost to run it"
        return head


def show_quote(price: Quote | None, label: Any, button: Any, *, running: bool) -> None:
    """Show ``price`` in ``label`` (an HTML widget) and disable ``button`` while running or over the limit."""
    from .knobs import escape

    label.value = "" if price is None else escape(price.text(), quote=False)
    over = price is not None and price.over
    button.disabled = running or over
    button.tooltip = price.text() if over and price is not None else ""


def _measure(path: str) -> tuple[float, tuple[int, int]] | None:
    """``(seconds, (width, height))`` of a local video, memoized per file version; None if unreadable."""
    p = Path(path).expanduser()
    try:
        st = p.stat()
    except OSError:
        return None
    memo = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    with _probe_lock:
        hit = _probes.get(memo)
    if hit is not None:
        return hit
    from .. import media

    try:
        info = media.probe(p)
    except Exception:  # not a readable video: the run itself says so, with the reason
        return None
    value = (float(info.duration), (int(info.width), int(info.height)))
    with _probe_lock:
        _probes[memo] = value
    return value


def _cached(client: Any, request: Request) -> bool:
    """Does the client's cache already hold this request's result (the same lookup the client makes)?"""
    cache = getattr(getattr(client, "aio", client), "cache", None)
    if cache is None:
        return False
    from ..cache import file_digest

    digests = {}
    for src in request.sources():
        if src.kind == "path":
            if not Path(src.value).expanduser().is_file():
                return False
            digests[src.value] = file_digest(src.value)
    return cache.lookup(request.canonical_key(digests), str(getattr(client, "backend", ""))) is not None


def quote(client: Any, requests: Mapping[str, Request]) -> Quote:
    """Price ``label -> request`` before running it: table prices, cached jobs at $0, the client's limit."""
    total, cached, problems = 0.0, 0, []
    for request in requests.values():
        video = getattr(request, "video", None)
        local = getattr(video, "local_path", None)
        measured = _measure(local) if local else None
        seconds, size = measured if measured else (None, None)
        if seconds is not None:
            problem = source_length_problem(request.kind, seconds)
            if problem:
                problems.append(problem)
        if _cached(client, request):
            cached += 1
            continue
        total += price(request, seconds, size).usd
    limit = getattr(client, "max_cost", None)
    problem = next(iter(dict.fromkeys(problems)), "")
    return Quote(round(total, 4), len(requests), cached, limit, problem)
