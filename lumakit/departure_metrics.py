"""How far videos depart from their source, frame by frame: the numbers behind ``lk.departure`` and the
departure plots (the figures are :mod:`lumakit.compare`'s).

    d = lk.departure(src, runs["flex_2"]); d.mean()        # per-frame MAD and SSIM against the source

Several videos measured against one source (a sweep's results in a plot or a report) share one decode of
the source: :func:`departures` streams it once for every video with the same frame times and measurement
size, instead of once per video.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from . import media
from .errors import RequestError
from .frame_metrics import frame_mad, ssim, ssim_map
from .regions import Region, RegionLike

__all__ = ["Departure", "RegionDeparture", "Summary", "departure", "departures"]


class Summary(NamedTuple):
    """Means over frames: MAD (0..1, higher departs more) and SSIM (1 = identical)."""

    mad: float
    ssim: float


@dataclass(frozen=True)
class Departure:
    """How far a video departs from its source, frame by frame.

    ``times`` (s, on the video's clock), ``mad`` (mean absolute RGB difference, 0..1) and ``ssim``
    (structural similarity of luma, 7x7 windows, 1 = identical) are arrays of one value per frame.
    """

    times: np.ndarray
    mad: np.ndarray
    ssim: np.ndarray

    def mean(self) -> Summary:
        """Means over all frames."""
        return Summary(float(self.mad.mean()), float(self.ssim.mean()))

    def __len__(self) -> int:
        return len(self.times)


@dataclass(frozen=True)
class RegionDeparture(Departure):
    """A :class:`Departure` of the whole frame that also knows a region (the subject): ``inside`` the box
    and ``outside`` it (the background), each a :class:`Departure` over the same frames.

    SSIM inside (outside) averages the 7x7 windows whose centre is inside (outside) the box. A part with no
    pixel at some frame (a box covering the whole frame leaves no outside) has NaN there.
    """

    inside: Departure
    outside: Departure
    region: Region


def _analysis_size(info: media.VideoInfo, max_side: int) -> tuple[int, int]:
    s = min(1.0, max_side / max(info.width, info.height))
    return max(8, round(info.width * s)), max(8, round(info.height * s))


def _video(v: Any) -> Any:
    """``v``, or the tone-mapped video of the EXR frames it names."""
    return media.materialize(v) if media.is_exr_source(v) else v


def departure(
    source: Any, video: Any, *, n: int | None = None, max_side: int = 256, region: RegionLike | None = None
) -> Departure:
    """Per-frame mean absolute difference and SSIM of ``video`` against ``source``.

    Every frame of ``video`` (or ``n`` evenly spaced ones) is compared with the source frame at the same
    relative time, both scaled by ffmpeg to the video's aspect with the longest side ``max_side``. Frames are
    read the cheaper way a measurement allows (H.264 without deblocking, scaled in 4:2:0): the figures stay
    within 0.003 (MAD) and 0.01 (SSIM) of a full decode's, a clip against itself is exactly (0, 1); see
    docs/measuring.md.
    Results are memoized per (source, video, n, max_side, region), so a plot and a table of the same runs
    cost one measurement.

    ``region``: the subject, a box ``(x0, y0, x1, y1)`` in fractions of the frame (or pixels of ``video``),
    or ``{seconds: box}`` keyframes on the video's clock (see :mod:`lumakit.regions`). The answer is then a
    :class:`RegionDeparture`: the whole frame as before, plus ``.inside`` and ``.outside`` the box.
    """
    return departures(source, [video], n=n, max_side=max_side, region=region)[0]


@dataclass(frozen=True)
class _Plan:
    """One video's measurement: its memo key, what it is, the sizes and times both clips are read at."""

    key: tuple[Any, ...]
    info: media.VideoInfo
    size: tuple[int, int]
    times: np.ndarray  # on the video's clock
    source_times: np.ndarray  # the source frame at the same relative time
    box: Region | None

    @property
    def shares(self) -> tuple[Any, ...]:
        """Videos with equal ``shares`` read the very same source frames: one source decode serves them."""
        return self.size, self.source_times.tobytes()


def departures(
    source: Any,
    videos: Sequence[Any],
    *,
    n: int | None = None,
    max_side: int = 256,
    region: RegionLike | None = None,
) -> list[Departure]:
    """:func:`departure` of each of ``videos`` against ``source``, in order.

    The source is decoded once for every group of videos with the same frame times and measurement size (a
    sweep's results: same length, rate and aspect), up to :data:`READERS` videos at a time, instead of once
    per video; each video is still decoded once. Memoized like :func:`departure`.
    """
    s_info = media.probe(_video(source))
    plans = [_plan(s_info, media.probe(_video(v)), n, max_side, region) for v in videos]
    with _memo_lock:
        found = {p.key: d for p in plans if (d := _memo.get(p.key)) is not None}
    groups: dict[tuple[Any, ...], dict[tuple[Any, ...], _Plan]] = {}
    for p in plans:
        if p.key not in found:
            groups.setdefault(p.shares, {})[p.key] = p
    for group in (list(g.values()) for g in groups.values()):
        for k in range(0, len(group), READERS):
            chunk = group[k : k + READERS]
            for p, measured in zip(chunk, _measure(s_info, chunk), strict=True):
                found[p.key] = measured
                _remember(p.key, measured)
    return [found[p.key] for p in plans]


READERS = 8  # videos decoded beside one source decode (each a reader, _AHEAD frames ahead)
_BATCH = 16  # frames measured at once
_AHEAD = 16  # frames each reader decodes ahead of the measuring
_memo: dict[tuple[Any, ...], Departure] = {}
_memo_lock = threading.Lock()  # plots and reports may measure from several threads
_MEMO_SIZE = 256


def _remember(key: tuple[Any, ...], d: Departure) -> None:
    with _memo_lock:
        if len(_memo) >= _MEMO_SIZE and key not in _memo:
            _memo.pop(next(iter(_memo)))
        _memo[key] = d


def _plan(
    s_info: media.VideoInfo, v_info: media.VideoInfo, n: int | None, max_side: int, region: RegionLike | None
) -> _Plan:
    box = None if region is None else Region.coerce(region, (v_info.width, v_info.height))
    where = None if box is None else (box.times.tobytes(), box.boxes.tobytes())
    key = (media.identity(s_info.path), media.identity(v_info.path), n, max_side, where)
    t = np.asarray(media.frame_centres(v_info) if n is None else media.frame_times(v_info.path, n), float)
    s_t = np.minimum(t / v_info.duration * s_info.duration, s_info.frame_times()[-1])  # a frame inside it
    return _Plan(key, v_info, _analysis_size(v_info, max_side), t, s_t, box)


def _measure(s_info: media.VideoInfo, plans: Sequence[_Plan]) -> list[Departure]:
    """Measure ``plans`` (all sharing their source frames) against one stream of the source frames."""
    size, s_t = plans[0].size, plans[0].source_times
    # Every clip streams (each ffmpeg decoding ahead on its own thread), _BATCH frames measured at a time;
    # the decoders share the cores rather than fight over them.
    threads = max(1, (os.cpu_count() or 2) // (len(plans) + 1))
    tallies = [_Tally() for _ in plans]
    with contextlib.ExitStack() as stack:  # every ffmpeg is reaped on any exit
        readers = [stack.enter_context(_stream(p.info, p.times, size, threads)) for p in plans]
        source = stack.enter_context(_stream(s_info, s_t, size, threads))
        for k in range(0, len(s_t), _BATCH):
            count = min(_BATCH, len(s_t) - k)
            sb = np.stack([next(source) for _ in range(count)])
            for p, frames, tally in zip(plans, readers, tallies, strict=True):
                vb = np.stack([next(frames) for _ in range(count)])
                tally.mads.append(frame_mad(vb, sb))
                tally.ssims.append(ssim(vb, sb))
                if p.box is not None:
                    tally.regions.append(_split_batch(p.times[k : k + count], vb, sb, p.box))
    return [tally.departure(p) for p, tally in zip(plans, tallies, strict=True)]


def _stream(
    info: media.VideoInfo, times: np.ndarray, size: tuple[int, int], threads: int
) -> contextlib.closing[Any]:
    """The frames at ``times``, read the measuring way, decoded ahead on a thread; closing reaps ffmpeg."""
    return contextlib.closing(
        media.prefetched(media.frames_at(info, times, size, threads=threads, measure=True), _AHEAD)
    )


@dataclass
class _Tally:
    """One video's figures, batch by batch."""

    mads: list[np.ndarray] = field(default_factory=list)
    ssims: list[np.ndarray] = field(default_factory=list)
    regions: list[list[np.ndarray]] = field(default_factory=list)  # inside MAD, SSIM, outside MAD, SSIM

    def departure(self, plan: _Plan) -> Departure:
        t, mad, sim = plan.times, np.concatenate(self.mads), np.concatenate(self.ssims)
        if plan.box is None:
            return Departure(times=t, mad=mad, ssim=sim)
        im, iss, om, oss = (np.concatenate([r[j] for r in self.regions]) for j in range(4))
        return RegionDeparture(times=t, mad=mad, ssim=sim, inside=Departure(t, im, iss),
                               outside=Departure(t, om, oss), region=plan.box)  # fmt: skip


def _split_batch(
    times: np.ndarray, vb: np.ndarray, sb: np.ndarray, box: Region, win: int = 7
) -> list[np.ndarray]:
    """Per-frame MAD and SSIM inside, then outside ``box``: ``[in_mad, in_ssim, out_mad, out_ssim]``."""
    h, w = vb.shape[1:3]
    inside = box.masks(times, w, h)
    if not inside.any(axis=(1, 2)).all():  # pragma: no cover - masks always hold at least one pixel
        raise RequestError("region", box.label(), "a box of at least one pixel at the analysis size")
    diff = np.abs(vb.astype(np.int16) - sb.astype(np.int16)).mean(axis=3) / 255.0
    centre = inside[:, win // 2 : win // 2 + h - win + 1, win // 2 : win // 2 + w - win + 1]
    ssims = ssim_map(vb, sb, win=win)
    parts: list[np.ndarray] = []
    for mask, windows in ((inside, centre), (~inside, ~centre)):
        with np.errstate(invalid="ignore", divide="ignore"):
            parts.append((diff * mask).sum(axis=(1, 2)) / mask.sum(axis=(1, 2)))
            parts.append((ssims * windows).sum(axis=(1, 2)) / windows.sum(axis=(1, 2)))
    return parts
