"""What a finished job gives back: :class:`Result`, an ordered :class:`ResultSet`, and :class:`TaskUpdate`.

    r = client.modify("clip.mp4", "a glass dolphin", strength="flex_2")
    r                        # in a notebook: the video inline, with its request, cost, time and backend
    r.path, r.video_uuid     # the file in the cache, and the UUID Ray knows it by
    client.modify(r, "now at night")   # a Result chains as the next source

Rich display imports :mod:`lumakit.display` lazily (and falls back to a plain ``<video>`` tag).
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._files import atomic_path, mime_type
from ._preview import PREVIEW_MARK, mark_html
from .lifecycle import TaskState
from .wire.tasks import describe_edit

__all__ = ["Result", "ResultSet", "TaskUpdate"]

UPDATE_STATUSES = (
    "cached",
    "uploading",
    "submitting",
    "submitted",
    "processing",
    "downloading",
    "done",
    "error",
    "interrupted",
)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.=+-]+")
_VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".m4v", ".mkv")
_INLINE_LIMIT = 25 * 1024 * 1024  # fallback <video>: embed files up to this size as a data URI


@dataclass(frozen=True)
class TaskUpdate:
    """One step of a job, for progress bars and panels (``on_update=``).

    ``status`` is one of :data:`UPDATE_STATUSES` (the step); ``state`` is where the task stands in its life
    (:class:`~lumakit.lifecycle.TaskState`, as the ledger has it) when the step changes it, e.g.
    ``TaskState.NOT_SENT`` for a task stopped before it reached the service; ``progress`` is 0..1 when the
    service reports it; ``elapsed`` counts seconds since the call started; ``cost`` is set once known (USD).
    """

    task_uuid: str | None
    label: str | None
    status: str
    progress: float | None = None
    elapsed: float = 0.0
    cost: float | None = None
    message: str = ""
    state: TaskState | None = None

    def __post_init__(self) -> None:
        if self.status not in UPDATE_STATUSES:
            raise ValueError(f"status={self.status!r} is not one of {UPDATE_STATUSES}")


def _wire_of(request: Any) -> dict[str, Any] | None:
    if isinstance(request, Mapping):
        return dict(request)
    to_task = getattr(request, "to_task", None)
    if to_task is None:
        return None
    try:
        return to_task(delivery=False)
    except Exception:  # a preview must never break a repr
        return None


@dataclass(frozen=True)
class Result:
    """A finished job: the video in the cache and everything needed to cite, chain or re-run it.

    Attributes:
      path: the downloaded video in the lumakit cache.
      video_url: where the service serves it (may expire; see ``ttl``).
      video_uuid: the service's UUID of the video; valid as the next edit's source.
      task_uuid: the task that made it (``client.history()`` lists it).
      cost: USD the service reported (``None`` if it did not).
      seconds: wall time from submit to file on disk (of the original run for cached results).
      request: the request object (or its wire dict when rebuilt from the ledger).
      backend: ``"runware"`` (Ray) or ``"local"`` (a local preview renderer, not Ray).
      cached: True when this came from the cache without any request.
      extra: everything else the service said (``lumakitLocal``, ``wire``, ...).
    """

    path: Path
    video_url: str | None
    video_uuid: str | None
    task_uuid: str
    cost: float | None
    seconds: float | None
    request: Any
    backend: str
    cached: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_local(self) -> bool:
        """True for a local preview (the embedded backend), which is not Ray's output."""
        return self.backend != "runware"

    @property
    def label(self) -> str | None:
        return self.extra.get("label")

    @property
    def from_pack(self) -> Mapping[str, Any] | None:
        """Where a result from a pack came from (``name``, ``made``, ``backend``, billed ``cost``,
        ``finished``): someone else paid for it. None for a result of this cache's own tasks."""
        pack = self.extra.get("pack")
        return pack if isinstance(pack, Mapping) else None

    @property
    def _origin(self) -> str:
        if self.from_pack is not None:
            return "from pack (a local preview)" if self.is_local else "from pack (paid by its maker)"
        return "cached" if self.cached else ""

    @property
    def wire(self) -> dict[str, Any] | None:
        """The task exactly as it was sent (no key)."""
        return self.extra.get("wire") or _wire_of(self.request)

    @classmethod
    def from_entry(
        cls, entry: Any, *, cached: bool = False, request: Any = None, backend: str | None = None
    ) -> Result:
        """The Result of a finished ledger entry (``client.history()``); its request is the wire JSON unless
        given. A result the local backend made is ``backend="local"`` whatever the entry says."""
        extra = {**(entry.extra or {}), "label": entry.label, "wire": entry.wire}
        local = extra.get("lumakitLocal")
        if isinstance(local, Mapping) and local.get("costIsEstimate"):
            extra["cost_is_estimate"] = True
        backend = "local" if local else backend or entry.backend or "runware"
        return cls(Path(entry.result_path or ""), entry.video_url, entry.video_uuid, entry.task_uuid,
                   entry.cost, entry.seconds, request if request is not None else entry.wire, backend, cached,
                   extra)  # fmt: skip

    def file_name(self, label: str | None = None) -> str:
        """A readable file name: label, strength/controls, ``local-preview`` when local, short task UUID."""
        edit = (describe_edit(self.wire) if self.wire else "-").replace(" + ", "+")
        label = label if label is not None else self.label
        if edit == "-":
            parts = [label] if label else []
        elif label and not edit.startswith(label):
            parts = [label, edit]
        else:  # flex_2 + poseStrength=precise under the label flex_2: the edit says it all
            parts = [edit]
        if self.is_local:
            parts.append("local-preview")
        parts.append(self.task_uuid[:8])
        stem = _UNSAFE.sub("_", "-".join(parts)).strip("._-") or self.task_uuid[:8]
        return stem + (Path(self.path).suffix or ".mp4")

    def save(self, dest: str | os.PathLike[str] = ".", *, label: str | None = None) -> Path:
        """Copy the video out of the cache under a readable name (:meth:`file_name`) and return the copy.

        ``dest`` is a folder (created if missing), or a file path ending in a video suffix. The copy is
        written to a temp file first, so an interrupted save never leaves half a video.
        """
        src = Path(self.path)
        if not src.is_file():
            from .errors import MediaError

            raise MediaError(
                src, "the result's file is gone from the cache (client.resume() fetches it again)"
            )
        target = Path(dest).expanduser()
        if not (target.suffix.lower() in _VIDEO_SUFFIXES and not target.is_dir()):
            target = target / self.file_name(label)
        with atomic_path(target) as tmp:
            shutil.copyfile(src, tmp)
        return target

    def to_record(self, label: str | None = None) -> dict[str, Any]:
        """This result as a plain dict (see :mod:`lumakit.records`)."""
        from .records import result_record

        return result_record(self, label)

    def __repr__(self) -> str:
        cost = "?" if self.cost is None else f"${self.cost:.2f}"
        if self.cost is not None and self.extra.get("cost_is_estimate"):
            cost += " (estimate)"  # the local backend prices from the table; nothing was billed
        secs = "?" if self.seconds is None else f"{self.seconds:.1f}s"
        kind = getattr(self.request, "kind", None) or "task"
        flags = f" {self._origin}" if self._origin else ""
        backend = PREVIEW_MARK if self.is_local else self.backend
        return (
            f"Result({kind} {self.task_uuid[:8]} -> {Path(self.path).name}, {cost}, {secs}, "
            f"backend={backend}{flags})"
        )

    def _repr_html_(self) -> str:
        return _result_html(self)


class ResultSet(Mapping[str, Result]):
    """An ordered mapping ``label -> Result`` (a sweep's runs, in the order asked for)."""

    def __init__(self, results: Mapping[str, Result] | None = None) -> None:
        self._results: dict[str, Result] = dict(results or {})

    def __getitem__(self, label: str) -> Result:
        try:
            return self._results[label]
        except KeyError:
            raise KeyError(
                f"{label!r} is not in this ResultSet (labels: {', '.join(self._results)})"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._results)

    def __len__(self) -> int:
        return len(self._results)

    @property
    def total_cost(self) -> float | None:
        """Sum of the reported costs (cached results count what they cost when they ran)."""
        costs = [r.cost for r in self._results.values() if r.cost is not None]
        return sum(costs) if costs else None

    def __repr__(self) -> str:
        if not self._results:
            return "ResultSet({})"
        width = max(len(k) for k in self._results)
        lines = [f"  {k:<{width}}  {r!r}" for k, r in self._results.items()]
        total = self.total_cost
        head = f"ResultSet({len(self)} results" + (f", ${total:.2f}" if total is not None else "") + ")"
        return head + "\n" + "\n".join(lines)

    def save(self, dest: str | os.PathLike[str] = ".") -> list[Path]:
        """Copy every result into the folder ``dest`` under readable names (see :meth:`Result.save`)."""
        return [r.save(Path(dest).expanduser() / r.file_name(label)) for label, r in self._results.items()]

    def to_records(self) -> list[dict[str, Any]]:
        """One plain dict per result, in order (label, strength, controls, cost, backend, paths...)."""
        return [r.to_record(label) for label, r in self._results.items()]

    def to_pandas(self) -> Any:
        """:meth:`to_records` as a ``pandas.DataFrame`` (needs pandas)."""
        from .records import to_pandas

        return to_pandas(self.to_records())

    def save_report(
        self, path: str | os.PathLike[str] = "report.html", *, source: Any = None, title: str | None = None
    ) -> Path:
        """Write a self-contained HTML report of these results (see :func:`lumakit.report.save_report`)."""
        from .report import save_report

        return save_report(self, path, source=source, title=title)

    def _repr_html_(self) -> str:
        cells = "".join(
            f'<div style="display:inline-block;vertical-align:top;margin:4px;max-width:360px">'
            f"<b>{html.escape(k)}</b>{_result_html(r, width=340)}</div>"
            for k, r in self._results.items()
        )
        return f'<div class="lumakit-resultset">{cells}</div>'


# ---- html ----------------------------------------------------------------------------------------------
def _video_html(path: Path, width: int) -> str:
    try:
        from . import display

        shown = display.show_video(path, width=width, return_html=True, sync=False)
        if isinstance(shown, str) and "<" in shown:
            return shown
    except Exception:  # display not built yet / not importable: plain tag below
        pass
    mime = mime_type(path, "video/mp4")
    try:
        size = Path(path).stat().st_size
    except OSError:
        return f"<p><i>video file missing: {html.escape(str(path))}</i></p>"
    if size <= _INLINE_LIMIT:
        src = f"data:{mime};base64," + base64.b64encode(Path(path).read_bytes()).decode()
    else:
        src = html.escape(Path(path).as_posix())
    return f'<video src="{src}" controls loop muted playsinline width="{width}"></video>'


def _result_html(r: Result, width: int = 480) -> str:
    wire = r.wire or {}
    compact = json.dumps(wire, separators=(",", ":"), ensure_ascii=False)
    if len(compact) > 1200:
        compact = compact[:1200] + "..."
    cost = "?" if r.cost is None else f"${r.cost:.2f}"
    if r.extra.get("cost_is_estimate"):
        cost += " (estimate)"
    secs = "?" if r.seconds is None else f"{r.seconds:.1f} s"
    backend = mark_html() if r.is_local else html.escape(r.backend)
    cached = f" · {r._origin}" if r._origin else ""
    return (
        f'<div class="lumakit-result">{_video_html(Path(r.path), width)}'
        f'<div style="font:12px monospace">{cost} · {secs} · {backend}{cached} · '
        f"task {html.escape(r.task_uuid)}</div>"
        f'<pre style="font-size:11px;white-space:pre-wrap;max-width:{width}px">'
        f"{html.escape(compact)}</pre></div>"
    )
