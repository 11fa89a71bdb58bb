"""Run client work from a panel without freezing the kernel, and stop waiting for it on request.

A :class:`BackgroundRun` is started from a button click and returns at once. Where the work runs:

- an ``AsyncClient``: its coroutine as an asyncio task on the kernel's running loop when
  there is one (Jupyter), else on lumakit's private loop thread;
- a sync ``Client``: the coroutine of the ``AsyncClient`` it drives (its public ``client.aio``) on the loop
  that one belongs to (lumakit's private loop thread), so "stop waiting" is a real cancellation;
- any other client (a stand-in with blocking ``modify``/``sweep``/``resume``): a worker thread; "stop
  waiting" raises :class:`StopWaiting` (a ``KeyboardInterrupt``, which the client treats like Ctrl-C) from
  the next ``on_update`` call.

Either way cancelling only stops *waiting*: the service keeps running (and billing) the task, and the client's
ledger marks it "interrupted" so ``client.resume(task_uuid)`` picks it up.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from typing import Any

from ..client import AsyncClient, Client, in_background


class StopWaiting(KeyboardInterrupt):
    """Raised inside a worker thread's ``on_update`` when the user clicked "stop waiting"."""


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class BackgroundRun:
    """One piece of background work: ``done()``, ``wait()``, ``result()``, ``stop()``, and awaitable."""

    def __init__(self, description: str = "") -> None:
        self.description = description
        self.future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.stopped = False
        self._stop_event = threading.Event()
        self._cancel: Callable[[], Any] | None = None
        self._callbacks: list[Callable[[BackgroundRun], Any]] = []
        self.value: Any = None
        self.exception: BaseException | None = None

    def __repr__(self) -> str:
        state = "stopped" if self.stopped else "done" if self.done() else "running"
        return f"BackgroundRun({self.description!r}, {state})"

    def done(self) -> bool:
        return self.future.done()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (for tests and scripts; never call it on the kernel's loop thread)."""
        concurrent.futures.wait([self.future], timeout=timeout)
        return self.future.done()

    def result(self, timeout: float | None = None) -> Any:
        return self.future.result(timeout)

    def stop(self) -> None:
        """Stop waiting. The remote task keeps running; the client records it as interrupted."""
        if self.done():
            return
        self.stopped = True
        self._stop_event.set()
        if self._cancel is not None:
            self._cancel()

    def check(self) -> None:
        """Raise :class:`StopWaiting` if ``stop()`` was called (used in a worker thread's callbacks)."""
        if self._stop_event.is_set():
            raise StopWaiting("stopped waiting")

    def __await__(self) -> Any:
        return asyncio.wrap_future(self.future).__await__()

    # -- finishing --------------------------------------------------------------------------------------
    def add_done_callback(self, callback: Callable[[BackgroundRun], Any]) -> None:
        """``callback(job)`` once the work ends, *before* ``wait()``/``await`` return (so the panel is
        up to date by then). Runs on whichever thread finished the work."""
        self._callbacks.append(callback)

    def _resolve(self, value: Any = None, exc: BaseException | None = None) -> None:
        self.value, self.exception = value, exc
        for callback in self._callbacks:
            with contextlib.suppress(Exception):  # a broken callback must not leave the job unfinished
                callback(self)
        if exc is not None:
            self.future.set_exception(exc)
        else:
            self.future.set_result(value)

    def _settle(self, fn: Callable[[], Any]) -> None:
        try:
            value = fn()
        except BaseException as exc:  # handed to the job's owner, never lost
            self._resolve(exc=exc)
        else:
            self._resolve(value)

    def _settle_future(self, f: asyncio.Future[Any] | concurrent.futures.Future[Any]) -> None:
        """Finish from an asyncio task or a concurrent future: its value, its error, or StopWaiting."""
        if f.cancelled():
            self._resolve(exc=StopWaiting("stopped waiting"))
        else:
            self._resolve(None if f.exception() else f.result(), f.exception())

    # -- starting ---------------------------------------------------------------------------------------

    def start_coroutine(self, make: Callable[[], Any], *, private_loop: bool) -> BackgroundRun:
        """Run the coroutine ``make()`` on the kernel's loop (if running here) or lumakit's private loop."""
        loop = None if private_loop else _running_loop()
        if loop is not None:
            kernel_task = loop.create_task(make())
            self._cancel = kernel_task.cancel
            kernel_task.add_done_callback(self._settle_future)
            return self
        task: list[asyncio.Task[Any]] = []

        async def tracked() -> Any:
            task.append(asyncio.current_task())  # type: ignore[arg-type]
            return await make()

        cfut = in_background(tracked())

        def cancel() -> None:
            # Cancel the task itself, so the job settles only once the client has recorded the stop in its
            # ledger (cancelling the concurrent future would settle at once, before the client knows).
            if task:
                task[0].get_loop().call_soon_threadsafe(task[0].cancel)
            else:
                cfut.cancel()

        self._cancel = cancel
        cfut.add_done_callback(self._settle_future)
        return self

    def start_thread(self, fn: Callable[[], Any]) -> BackgroundRun:
        """Run the blocking ``fn()`` on a daemon thread."""
        threading.Thread(target=self._settle, args=(fn,), name="lumakit-panel-job", daemon=True).start()
        return self


OnUpdate = Callable[[Any], Any]
ClientCall = Callable[[AsyncClient, OnUpdate], Any]  # (client, on_update) -> its result, or a coroutine of it


def launch(
    job: BackgroundRun, client: Any, call: ClientCall, on_update: OnUpdate, *, blocking: bool = False
) -> BackgroundRun:
    """Start ``call(client, on_update)`` as ``job``, the non-freezing way (see the module doc).

    ``call`` is written against the :class:`AsyncClient` API (``lambda c, on_update: c.modify(...)``): an
    ``AsyncClient`` is passed as itself, a sync ``Client`` as the ``AsyncClient`` it drives (``client.aio``),
    and any other client as itself, its call then run on a worker thread.
    ``on_update`` is wrapped: after "stop waiting" it passes nothing on (the panel already says it stopped;
    a late "interrupted" update must not overwrite that), and on a worker thread it raises
    :class:`StopWaiting` so the client notices. A coroutine is cancelled instead, never sent
    ``StopWaiting``: a ``KeyboardInterrupt`` raised inside an asyncio task escapes the event loop and kills
    it (the kernel's own loop, or lumakit's private loop thread).
    ``blocking=True`` is for a caller that will ``job.wait()`` on this thread, so the work must not be
    scheduled on this thread's own loop.
    """
    threaded = not isinstance(client, (AsyncClient, Client))

    def passed_on(update: Any) -> None:
        if not job.stopped:
            on_update(update)
        if threaded:
            job.check()

    if threaded:
        return job.start_thread(lambda: call(client, passed_on))
    private = isinstance(client, Client)
    runs_on: AsyncClient = client.aio if private else client
    if blocking and not private and in_event_loop():
        raise RuntimeError("with an AsyncClient inside a running event loop, use `await panel.generate()`")
    return job.start_coroutine(lambda: call(runs_on, passed_on), private_loop=private or blocking)


def in_event_loop() -> bool:
    """True when called from a thread with a running asyncio loop (a kernel cell or a widget callback)."""
    return _running_loop() is not None
