"""Frames out of a video: every frame streamed, or the frames shown at given times, at any count.

Part of :mod:`lumakit.media` (which re-exports everything public here). One ``ffmpeg`` process per reader
pipes ``rgb24`` frames, always reaped, even when the caller stops early or raises. Frames at times are
matched by the stream's own timestamps (:attr:`VideoInfo.times`), so a variable-frame-rate clip shows at
"2.00 s" the frame it shows at 2.00 s. A few frames are picked inside ffmpeg by a ``select`` filter;
many (ffmpeg's expression parser stops near 100 terms) are picked from one sequential decode, one frame in
memory at a time. HDR (PQ/HLG) video is tone-mapped to SDR by ffmpeg on the way out.
"""

from __future__ import annotations

import contextlib
import io
import queue
import subprocess
import tempfile
import threading
from collections.abc import Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, cast

import numpy as np

from ..errors import MediaError, RequestError
from ._probe import _LIVE, VideoInfo, VideoLike, _explain, ffmpeg_exe, probe

SELECT_MAX = 64  # frames picked inside ffmpeg by one select filter; more are picked from a full decode
# SDR for display: linear light, BT.709 primaries, Hable's curve, back to BT.709 video levels.
TONEMAP = ("zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0,"
           "zscale=t=bt709:m=bt709:r=tv,format=yuv420p")  # fmt: skip


# Frames read to be measured, not shown (departure, at a few hundred pixels) skip work a measurement at that
# size barely sees: an H.264 decoder leaves out its in-loop deblocking filter (about a quarter of the decode;
# on HEVC it moved SSIM twice as far, and VP9 ignores it), and SDR frames are scaled in 4:2:0 before becoming
# RGB (swscale otherwise scales chroma at full resolution first). A departure's figures move by a few
# thousandths: docs/measuring.md states the tolerance and tests/test_departure_accuracy.py holds it.
MEASURE_DECODE = {"h264": ("-skip_loop_filter", "all")}  # codec -> decoder options


def measure_filter(info: VideoInfo, size: tuple[int, int]) -> str | None:
    """The ``-vf`` chain for frames read to be measured: :func:`display_filter`, scaled in 4:2:0 when SDR."""
    chain = display_filter(info, size)
    return chain + ",format=yuv420p" if chain is not None and not info.hdr else chain


def display_filter(info: VideoInfo, size: tuple[int, int] | None = None) -> str | None:
    """The ``-vf`` chain that scales a clip to ``size`` and tone-maps it to SDR when it is HDR (or None)."""
    w, h = size if size is not None else (info.width, info.height)
    if not info.hdr:
        return f"scale={w}:{h}:flags=area" if (w, h) != (info.width, info.height) else None
    # tone-map at an even size (4:2:0 needs one; small first: cheaper), then to the exact size asked
    ew = min(info.width // 2 * 2, max(2, (w + 1) // 2 * 2))
    eh = min(info.height // 2 * 2, max(2, (h + 1) // 2 * 2))
    steps = [f"scale={ew}:{eh}:flags=area", TONEMAP]
    if (ew, eh) != (w, h):
        steps.append(f"scale={w}:{h}:flags=area")
    return ",".join(steps)


class _Reader:
    """One ffmpeg process piping rgb24 frames of a fixed size; a context manager that always reaps it.

    ``task`` says what lumakit asked ffmpeg to do; a failure names it (and the filter), so a filter
    problem is never reported as a problem of the user's file.
    """

    def __init__(self, src: Path | str, w: int, h: int, vf: str | None, task: str, extra: Sequence[str] = (),
                 threads: int = 0, decode: Sequence[str] = ()) -> None:  # fmt: skip
        self.src, self.w, self.h, self.vf, self.task = src, w, h, vf, task
        self.frame_bytes = w * h * 3
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
               *(["-threads", str(threads)] if threads else []), *decode, "-i", str(src),
               "-map", "0:v:0", *extra]  # fmt: skip
        if vf:
            cmd += ["-vf", vf]
        cmd += ["-an", "-sn", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        self._err: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.proc: subprocess.Popen[bytes] = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._err, bufsize=0
        )
        _LIVE.add(self.proc)

    def read(self) -> np.ndarray | None:
        """The next frame, or None at the end of the stream."""
        stream = cast("io.RawIOBase", self.proc.stdout)  # bufsize=0: unbuffered, so it has readinto
        buf = bytearray(self.frame_bytes)
        view = memoryview(buf)
        got = 0
        while got < self.frame_bytes:
            n = stream.readinto(view[got:])
            if not n:
                break
            got += n
        if got < self.frame_bytes:
            return None
        return np.frombuffer(buf, np.uint8).reshape(self.h, self.w, 3)

    def stderr(self) -> str:
        self._err.seek(0)
        return self._err.read().decode("utf-8", "replace")

    def failure(self, got: int) -> MediaError | None:
        """After the stream ended: the error to raise when ffmpeg failed (or gave nothing), else None."""
        rc = self.proc.wait()
        if rc == 0 and got > 0:
            return None
        err = self.stderr()
        why = _explain(self.src, err)
        if why.startswith("ffmpeg cannot read it"):  # not a known problem of the file: say what we asked
            lines = [ln.strip() for ln in err.strip().splitlines() if ln.strip()]
            detail = lines[-1] if lines else f"exit status {rc}, no frames"
            filt = f" with the filter {self.vf!r}" if self.vf else ""
            return MediaError(self.src, f"ffmpeg failed to {self.task}{filt}: {detail}")
        return MediaError(self.src, f"ffmpeg could not {self.task}: {why}")

    def close(self) -> None:
        proc = self.proc
        if proc.poll() is None:
            proc.kill()
        if proc.stdout is not None:
            proc.stdout.close()
        proc.wait()
        _LIVE.discard(proc)
        with contextlib.suppress(Exception):
            self._err.close()

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _target_size(info: VideoInfo, size: tuple[int, int] | None) -> tuple[int, int]:
    if size is None:
        return info.width, info.height
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(isinstance(v, (int, np.integer)) and v > 0 for v in size)
    ):
        raise RequestError("size", size, "a (width, height) tuple of positive ints")
    return int(size[0]), int(size[1])


def iter_frames(video: VideoLike, *, size: tuple[int, int] | None = None) -> Iterator[np.ndarray]:
    """Stream every frame as RGB ``uint8`` ``(H, W, 3)``, upright, scaled by ffmpeg to ``size=(w, h)``.

    One ffmpeg reader, closed when the loop ends, breaks or raises; one frame in memory at a time. HDR
    video comes out tone-mapped to SDR. Frame ``i`` is shown at ``probe(video).frame_times()[i]``.
    """
    info = probe(video)
    w, h = _target_size(info, size)
    reader = _Reader(info.path, w, h, display_filter(info, (w, h)), f"decode every frame at {w}x{h}",
                     extra=["-fps_mode", "passthrough"])  # fmt: skip
    count = 0
    try:
        while (frame := reader.read()) is not None:
            count += 1
            yield frame
        failed = reader.failure(count)
        if failed is not None:
            raise failed
    finally:
        reader.close()


def frame_times(video: VideoLike, n: int) -> np.ndarray:
    """``n`` evenly spaced frame-centre times (s): the centre of each of ``n`` equal slices of the clip."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise RequestError("n", n, "a positive int")
    info = probe(video)
    return (np.arange(n) + 0.5) * info.duration / n


def frame_centres(info: VideoInfo) -> np.ndarray:
    """The middle of the time each frame is shown (s), by the stream's timestamps: right for VFR too."""
    starts = info.frame_times()
    ends = np.append(starts[1:], max(info.duration, starts[-1] + 1.0 / info.fps))
    return (starts + ends) / 2


def frame_index(info: VideoInfo, times: np.ndarray) -> np.ndarray:
    """Index of the frame shown at each time (s): the last frame whose timestamp is at or before it."""
    shown = np.searchsorted(info.frame_times(), np.asarray(times, float) + 1e-6, side="right") - 1
    return np.clip(shown, 0, info.n_frames - 1)


def _times_arg(info: VideoInfo, times: Iterable[float] | None, n: int | None) -> np.ndarray:
    if times is not None and n is not None:
        raise RequestError("times", times, message="give times= or n=, not both")
    if times is None:
        return frame_times(info.path, 6 if n is None else n)
    t = np.asarray(list(times) if not isinstance(times, np.ndarray) else times, dtype=float).reshape(-1)
    if t.size == 0:
        raise RequestError("times", times, "a non-empty list of times in seconds")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise RequestError("times", times, "finite times >= 0 (seconds)")
    return t


def frames_at(
    info: VideoInfo, times: np.ndarray, size: tuple[int, int], *, threads: int = 0, measure: bool = False
) -> Iterator[np.ndarray]:
    """The frame shown at each of ``times`` (non-decreasing, s), streamed in that order from one reader.

    ``threads``: decoder threads (0: ffmpeg's choice, one per core and more); readers that run side by side
    each take fewer, so they do not fight over the cores. ``measure``: frames to be measured, never shown
    (:data:`MEASURE_DECODE`, :func:`measure_filter`): cheaper, and a few thousandths off in MAD and SSIM.

    A frame wanted at several times is yielded each time; one decoded frame is held at a time. Times past
    the last decodable frame give the last one (a container may over-report its length).
    """
    idx = frame_index(info, times)
    if np.any(np.diff(idx) < 0):
        raise RequestError("times", "<unsorted>", message="frames_at needs non-decreasing times")
    wanted = np.unique(idx)
    w, h = size
    scale_tone = (measure_filter if measure else display_filter)(info, (w, h))
    picked = len(wanted) <= SELECT_MAX
    vf: str | None
    if picked:
        select = "select='" + "+".join(f"eq(n\\,{i})" for i in wanted) + "'"
        vf = select + ("," + scale_tone if scale_tone else "")
        task = f"pick {len(wanted)} frames at {w}x{h}"
    else:
        vf, task = scale_tone, f"decode {int(wanted[-1]) + 1} frames at {w}x{h} to keep {len(wanted)}"
    decode = MEASURE_DECODE.get(info.codec, ()) if measure else ()
    with _Reader(info.path, w, h, vf, task, extra=["-fps_mode", "passthrough"], threads=threads,
                 decode=decode) as reader:  # fmt: skip
        k = 0  # position in idx
        got = 0  # frames read
        at = -1  # the clip's index of the frame held
        last: np.ndarray | None = None
        for want in wanted:
            while at < want and (frame := reader.read()) is not None:
                last = frame
                at = int(wanted[got]) if picked else at + 1
                got += 1
            if last is None:
                failed = reader.failure(got)
                raise failed or MediaError(info.path, f"ffmpeg gave no frame to {task}")
            while k < len(idx) and idx[k] == want:  # past the stream's end: the last real frame again
                yield last
                k += 1


def frames(
    video: VideoLike,
    times: Iterable[float] | None = None,
    *,
    n: int | None = None,
    size: tuple[int, int] | None = None,
) -> np.ndarray:
    """Frames at ``times`` (seconds) as one ``(T, H, W, 3)`` uint8 array, in the order asked.

    Give either ``times`` or ``n`` (``n`` evenly spaced frame-centre times; default 6). The frame shown at
    time ``t`` (by the stream's timestamps) is returned; times past the end give the last frame. Any number
    of frames works: one ffmpeg reader per call decodes in ascending order, holding only the frames asked
    for; ``size=(w, h)`` scales them inside ffmpeg. HDR video comes out tone-mapped to SDR.
    """
    info = probe(video)
    t = _times_arg(info, times, n)
    w, h = _target_size(info, size)
    order = np.argsort(t, kind="stable")
    out = np.empty((len(t), h, w, 3), np.uint8)
    for pos, frame in zip(order, frames_at(info, t[order], (w, h)), strict=True):
        out[pos] = frame
    return out


_END = object()


def prefetched(frames: Iterator[np.ndarray], depth: int = 16) -> Generator[np.ndarray, None, None]:
    """``frames`` pulled by a thread, up to ``depth`` ahead, so its ffmpeg decodes while the caller works.

    Memory stays bounded by ``depth`` frames. Closing (or leaving) the loop stops the thread and closes
    ``frames`` (which reaps its ffmpeg); an error in ``frames`` is raised in the caller.
    """
    q: queue.Queue[object] = queue.Queue(depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def pump() -> None:
        try:
            for frame in frames:
                if not put(frame):
                    return
            put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it
            put(exc)
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=pump, name="lumakit-frames", daemon=True)
    thread.start()
    try:
        while (item := q.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield cast("np.ndarray", item)
    finally:
        stop.set()
        thread.join()
