"""``Client``: the blocking notebook client over :class:`AsyncClient`, on lumakit's private event loop."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from ..cache import Cache, History
from ..pricing import Estimate
from ..request import Request
from ..results import Result, ResultSet
from . import _sync
from ._async_client import AsyncClient
from ._handles import TaskHandle

T = TypeVar("T")


class Client:
    """The notebook client: blocking calls that work inside Jupyter's running event loop.

    Same arguments and methods as :class:`AsyncClient` (``modify``, ``sweep``, ``generate``, ``reframe``,
    ``run``, ``submit``, ``wait``, ``resume``, ``pending``, ``resume_all``, ``history``, ``estimate``,
    ``plan_sweep``). The coroutines run on a
    private loop thread; a kernel interrupt marks the task "interrupted" so ``client.resume(task_uuid)`` can
    finish it.
    """

    def __init__(self, api_key: str | None = None, **kwargs: Any) -> None:
        self._async = AsyncClient(api_key, **kwargs)

    def __repr__(self) -> str:
        return repr(self._async).replace("AsyncClient(", "Client(", 1)

    @property
    def aio(self) -> AsyncClient:
        """The :class:`AsyncClient` this client drives (its coroutines belong to lumakit's private loop)."""
        return self._async

    @property
    def backend(self) -> str:
        return self._async.backend

    @property
    def base_url(self) -> str:
        return self._async.base_url

    @property
    def cache(self) -> Cache:
        return self._async.cache

    @property
    def max_cost(self) -> float | None:
        return self._async.max_cost

    def _run(self, coro: Awaitable[T]) -> T:
        return _sync.run(coro)  # type: ignore[arg-type]

    def modify(self, source: Any, prompt: str, **kwargs: Any) -> Result:
        return self._run(self._async.modify(source, prompt, **kwargs))

    def sweep(self, source: Any, prompt: str, **kwargs: Any) -> ResultSet:
        return self._run(self._async.sweep(source, prompt, **kwargs))

    def generate(self, prompt: str, **kwargs: Any) -> Result:
        return self._run(self._async.generate(prompt, **kwargs))

    def reframe(self, source: Any, **kwargs: Any) -> Result:
        return self._run(self._async.reframe(source, **kwargs))

    def run(self, work: Any, **kwargs: Any) -> Result | ResultSet:
        return self._run(self._async.run(work, **kwargs))

    def submit(self, request: Request, **kwargs: Any) -> TaskHandle:
        return TaskHandle(self._run(self._async.submit(request, **kwargs)))

    def wait(self, task_uuid: str, **kwargs: Any) -> Result:
        return self._run(self._async.wait(task_uuid, **kwargs))

    def resume(self, task_uuid: str, **kwargs: Any) -> Result:
        return self._run(self._async.resume(task_uuid, **kwargs))

    def resume_all(self, **kwargs: Any) -> ResultSet:
        return self._run(self._async.resume_all(**kwargs))

    def pending(self) -> History:
        return self._async.pending()

    def estimate(self, work: Any) -> Estimate:
        return self._run(self._async.estimate(work))

    def plan_sweep(self, source: Any, prompt: str, **kwargs: Any) -> dict[str, Request]:
        return self._async.plan_sweep(source, prompt, **kwargs)

    def history(self, limit: int | None = None) -> History:
        return self._async.history(limit)

    def close(self) -> None:
        self._run(self._async.aclose())

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _mirror_signatures() -> None:
    """Give each sync method its async twin's docstring and signature (for help() and notebook tooltips)."""
    import inspect

    names = (
        "modify",
        "sweep",
        "generate",
        "reframe",
        "run",
        "submit",
        "wait",
        "resume",
        "resume_all",
        "estimate",
        "plan_sweep",
    )
    for name in names:
        sync, twin = getattr(Client, name), getattr(AsyncClient, name)
        sync.__doc__ = twin.__doc__
        sync.__signature__ = inspect.signature(twin)  # type: ignore[attr-defined]
    Client.history.__doc__ = AsyncClient.history.__doc__
    Client.pending.__doc__ = AsyncClient.pending.__doc__


_mirror_signatures()
