"""``Client``: the blocking notebook client over :class:`AsyncClient`, on lumakit's private event loop."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, cast, overload

from ..cache import Cache
from ..request import Request
from . import _sync
from ._async_client import AsyncClient
from ._handles import TaskHandle

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


def _made_as(
    make: Callable[P, AsyncClient],
) -> Callable[[Callable[[Client, AsyncClient], None]], Callable[Concatenate[Client, P], None]]:
    """``Client.__init__``: takes :class:`AsyncClient`'s own parameters (``ParamSpec``: the one list, so
    type checkers check them and the two can never drift apart), makes that client and hands it to the
    decorated body. ``help()`` and editors show the public parameters, the private ones as ``**private``."""

    def decorate(body: Callable[[Client, AsyncClient], None]) -> Callable[Concatenate[Client, P], None]:
        @functools.wraps(body)
        def __init__(self: Client, /, *args: P.args, **kwargs: P.kwargs) -> None:
            body(self, make(*args, **kwargs))

        made = inspect.signature(make).parameters.values()
        public = [p for p in made if not p.name.startswith("_")]
        private = inspect.Parameter("private", inspect.Parameter.VAR_KEYWORD, annotation="Any")
        first = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
        __init__.__signature__ = inspect.Signature([first, *public, private])  # type: ignore[attr-defined]
        return __init__

    return decorate


class _Setting(Generic[T]):
    """``Client.<name>``: that setting of the :class:`AsyncClient` the client drives (which checks it)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name
        self.__doc__ = getattr(AsyncClient, name).__doc__

    @overload
    def __get__(self, client: None, owner: type) -> _Setting[T]: ...
    @overload
    def __get__(self, client: Client, owner: type) -> T: ...
    def __get__(self, client: Client | None, owner: type) -> T | _Setting[T]:
        return self if client is None else cast(T, getattr(client._async, self._name))

    def __set__(self, client: Client, value: Any) -> None:
        setattr(client._async, self._name, value)


class Client:
    """The notebook client: blocking calls that work inside Jupyter's running event loop.

    Same arguments and methods as :class:`AsyncClient` (``modify``, ``sweep``, ``generate``, ``reframe``,
    ``run``, ``takes``, ``submit``, ``wait``, ``resume``, ``pending``, ``resume_all``, ``history``,
    ``estimate``, ``quote``, ``spent``, ``budget_left``, ``plan_sweep``); each is the async method itself,
    run on a private loop thread. A kernel interrupt marks the task "interrupted" so
    ``client.resume(task_uuid)`` can finish it.
    """

    _async: AsyncClient
    backend: str
    cache: Cache

    @_made_as(AsyncClient)
    def __init__(self, client: AsyncClient) -> None:
        self._async = client
        self.backend = client.backend
        self.cache = client.cache

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
    def budget_cap(self) -> float | None:
        """``LUMAKIT_BUDGET_CAP`` when the client was made: a limit over the whole cache (read-only)."""
        return self._async.budget_cap

    max_cost = _Setting[float | None]()
    budget = _Setting[float | None]()
    budget_scope = _Setting[str | None]()

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
