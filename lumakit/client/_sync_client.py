"""``Client``: the blocking notebook client over :class:`AsyncClient`, on lumakit's private event loop."""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

from ..cache import Cache
from ..request import Request
from . import _sync
from ._async_client import AsyncClient
from ._budget import check_budget_amount, check_max_cost, check_scope
from ._handles import TaskHandle
from ._polling import PollPolicy, RetryPolicy

P = ParamSpec("P")
T = TypeVar("T")


def _blocking(
    method: Callable[Concatenate[AsyncClient, P], Awaitable[T]],
) -> Callable[Concatenate[Client, P], T]:
    """``Client.<name>``: the coroutine ``AsyncClient.<name>`` run to its end on lumakit's private loop.

    The parameters are the async method's own (``ParamSpec``), so editors, ``help()`` and type checkers
    see ``strength=``, ``controls=`` and the rest, and the two clients can never drift apart.
    """

    @functools.wraps(method)
    def blocking(self: Client, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return _sync.run(method(self._async, *args, **kwargs))  # type: ignore[arg-type]

    return blocking


def _delegate(method: Callable[Concatenate[AsyncClient, P], T]) -> Callable[Concatenate[Client, P], T]:
    """``Client.<name>`` for a plain (not async) method of :class:`AsyncClient`."""

    @functools.wraps(method)
    def delegate(self: Client, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return method(self._async, *args, **kwargs)

    return delegate


class Client:
    """The notebook client: blocking calls that work inside Jupyter's running event loop.

    Same arguments and methods as :class:`AsyncClient` (``modify``, ``sweep``, ``generate``, ``reframe``,
    ``run``, ``takes``, ``submit``, ``wait``, ``resume``, ``pending``, ``resume_all``, ``history``,
    ``estimate``, ``quote``, ``spent``, ``budget_left``, ``plan_sweep``); each is the async method itself,
    run on a private loop thread. A kernel interrupt marks the task "interrupted" so
    ``client.resume(task_uuid)`` can finish it.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        backend: str | None = None,
        max_cost: float | None = None,
        budget: float | None = None,
        budget_scope: str | None = None,
        concurrency: int = 9,
        poll: PollPolicy | None = None,
        timeout: float | None = None,
        progress: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        **private: Any,
    ) -> None:
        self._async = AsyncClient(
            api_key, base_url=base_url, cache_dir=cache_dir, backend=backend, max_cost=max_cost,
            budget=budget, budget_scope=budget_scope, concurrency=concurrency, poll=poll, timeout=timeout,
            progress=progress, transport=transport, retry=retry, **private,
        )  # fmt: skip
        self.backend: str = self._async.backend
        self.cache: Cache = self._async.cache

    @property
    def base_url(self) -> str:
        """The task endpoint (without a key, asking for it starts the shared local backend)."""
        return self._async.base_url

    modify = _blocking(AsyncClient.modify)
    sweep = _blocking(AsyncClient.sweep)
    takes = _blocking(AsyncClient.takes)
    generate = _blocking(AsyncClient.generate)
    reframe = _blocking(AsyncClient.reframe)
    run = _blocking(AsyncClient.run)
    wait = _blocking(AsyncClient.wait)
    resume = _blocking(AsyncClient.resume)
    resume_all = _blocking(AsyncClient.resume_all)
    estimate = _blocking(AsyncClient.estimate)
    plan_sweep = _delegate(AsyncClient.plan_sweep)
    pending = _delegate(AsyncClient.pending)
    history = _delegate(AsyncClient.history)
    quote = _delegate(AsyncClient.quote)
    spent = _delegate(AsyncClient.spent)
    budget_left = _delegate(AsyncClient.budget_left)

    def __repr__(self) -> str:
        return repr(self._async).replace("AsyncClient(", "Client(", 1)

    @property
    def aio(self) -> AsyncClient:
        """The :class:`AsyncClient` this client drives (its coroutines belong to lumakit's private loop)."""
        return self._async

    @property
    def max_cost(self) -> float | None:
        """Calls whose estimate is over this many USD are refused before anything is sent; settable."""
        return self._async.max_cost

    @max_cost.setter
    def max_cost(self, usd: float | None) -> None:
        self._async.max_cost = check_max_cost(usd)

    @property
    def budget(self) -> float | None:
        """The spending limit in USD across calls, kernels and restarts (None: no budget); settable."""
        return self._async.budget

    @budget.setter
    def budget(self, usd: float | None) -> None:
        self._async.budget = check_budget_amount(usd)

    @property
    def budget_scope(self) -> str | None:
        """The name the budget counts tasks under (None: the whole cache); settable."""
        return self._async.budget_scope

    @budget_scope.setter
    def budget_scope(self, name: str | None) -> None:
        self._async.budget_scope = check_scope(name)

    def submit(
        self, request: Request, *, label: str | None = None, take: int = 0, max_cost: float | None = None
    ) -> TaskHandle:
        """Send one request without waiting for its result; returns a :class:`TaskHandle` (``task_uuid``,
        ``status()``, ``result()``). A request already finished or in flight is not sent again."""
        return TaskHandle(_sync.run(self._async.submit(request, label=label, take=take, max_cost=max_cost)))

    def close(self) -> None:
        """Close the HTTP connections and the ledger."""
        _sync.run(self._async.aclose())

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
