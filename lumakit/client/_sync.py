"""Run the async core from sync code, even inside a running event loop (Jupyter).

One private event loop runs on a daemon thread for the whole process; :func:`run` submits a coroutine to it
and blocks on the future. ``asyncio.run`` is never called, so a notebook's own loop is not in the way.
A ``KeyboardInterrupt`` (a kernel interrupt) cancels the coroutine, waits briefly for its cleanup (the ledger
marks the task "interrupted"), then re-raises.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None
CLEANUP_SECONDS = 5.0


def loop() -> asyncio.AbstractEventLoop:
    """The private loop (started on first use)."""
    global _loop, _thread
    with _lock:
        if _loop is None or _thread is None or not _thread.is_alive():
            new = asyncio.new_event_loop()
            ready = threading.Event()

            def main() -> None:
                asyncio.set_event_loop(new)
                new.call_soon(ready.set)
                new.run_forever()

            thread = threading.Thread(target=main, name="lumakit-loop", daemon=True)
            thread.start()
            ready.wait()
            _loop, _thread = new, thread
        return _loop


def in_background(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Schedule ``coro`` on lumakit's private event loop thread (the one a sync ``Client`` runs the
    coroutines of its ``aio`` on) and return at once: a future of its result. For code that must not block
    (a panel's button); cancel the coroutine's own task to stop it cleanly."""
    return asyncio.run_coroutine_threadsafe(coro, loop())


def in_loop_thread() -> bool:
    return _thread is not None and threading.current_thread() is _thread


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the private loop and return its result (exceptions propagate unchanged)."""
    if in_loop_thread():
        coro.close()
        raise RuntimeError(
            "a sync lumakit Client was called from its own event loop (e.g. inside an on_update callback); "
            "use AsyncClient there"
        )
    done = threading.Event()

    async def wrapper() -> T:
        try:
            return await coro
        finally:
            done.set()

    future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(wrapper(), loop())
    try:
        # wait() rather than result(timeout=): PollTimeout is a TimeoutError and must propagate.
        while not future.done():
            concurrent.futures.wait([future], timeout=0.5)
        return future.result()
    except KeyboardInterrupt:
        future.cancel()
        done.wait(CLEANUP_SECONDS)
        raise
