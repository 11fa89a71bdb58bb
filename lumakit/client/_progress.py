"""Progress for one client call: a tqdm.auto bar (imported lazily), the ``on_update`` callback, debug logs.

One bar per call: a single job shows the service's progress in percent and its status; a sweep shows jobs
done out of all, with a per-job postfix (``flex_2=processing 40%``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..lifecycle import TaskState
from ..results import TaskUpdate

log = logging.getLogger("lumakit.client")

OnUpdate = Callable[[TaskUpdate], Any]
REDRAW_SECONDS = 0.5  # status-only redraws at most this often (every redraw is output in a notebook)
_SHORT = {
    "processing": "proc",
    "downloading": "dl",
    "submitting": "send",
    "submitted": "sent",
    "uploading": "up",
}


class CallProgress:
    """Fan a job's steps out to a progress bar and a callback. Callback errors are logged, never raised."""

    def __init__(
        self,
        *,
        labels: list[str],
        clock: Callable[[], float],
        on_update: OnUpdate | None,
        progress: bool,
        desc: str,
    ) -> None:
        self.labels = labels
        self.clock = clock
        self.start = clock()
        self.on_update = on_update
        self.sweep = len(labels) > 1
        self.status: dict[str, str] = dict.fromkeys(labels, "waiting")
        self.finished: set[str] = set()
        self.bar: Any = None
        self._drawn = -1e9
        if progress:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(
                    total=len(labels) if self.sweep else 100,
                    desc=desc,
                    unit="job" if self.sweep else "%",
                    leave=True,
                    bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]"
                    if self.sweep
                    else "{desc}: {percentage:3.0f}%|{bar}| [{elapsed}{postfix}]",
                )
            except Exception as exc:  # no tqdm display possible: keep going without a bar
                log.debug("no progress bar: %s", exc)

    def emit(
        self,
        label: str,
        status: str,
        *,
        task_uuid: str | None = None,
        progress: float | None = None,
        cost: float | None = None,
        message: str = "",
        state: TaskState | None = None,
    ) -> None:
        update = TaskUpdate(
            task_uuid=task_uuid,
            label=label,
            status=status,
            progress=progress,
            elapsed=self.clock() - self.start,
            cost=cost,
            message=message,
            state=state,
        )
        log.debug("%s %s %s %s", label, task_uuid, status, message)
        if self.bar is not None:
            self._draw(update)
        if self.on_update is not None:
            try:
                self.on_update(update)
            except Exception:
                log.warning("on_update callback raised; ignored", exc_info=True)

    def _draw(self, u: TaskUpdate) -> None:
        label = u.label or "job"
        text = _SHORT.get(u.status, u.status)
        if u.progress is not None and u.status == "processing":
            text += f" {u.progress * 100:.0f}%"
        self.status[label] = text
        final = u.status in ("done", "cached", "error", "interrupted")
        now = self.clock()
        refresh = final or now - self._drawn >= REDRAW_SECONDS
        try:
            if self.sweep:
                if final and label not in self.finished:
                    self.finished.add(label)
                    self.bar.update(1)
                postfix = " ".join(f"{k}={v}" for k, v in self.status.items())
            else:
                target = 100 if u.status in ("done", "cached") else int((u.progress or 0) * 100)
                if target > self.bar.n:
                    self.bar.update(target - self.bar.n)
                postfix = text + (f" ${u.cost:.2f}" if u.cost is not None else "")
            self.bar.set_postfix_str(postfix, refresh=refresh)
            if refresh:
                self._drawn = now
        except Exception:  # a display glitch must not fail a paid job
            log.debug("progress bar update failed", exc_info=True)

    def close(self) -> None:
        if self.bar is not None:
            try:
                self.bar.close()
            except Exception:
                log.debug("progress bar close failed", exc_info=True)
