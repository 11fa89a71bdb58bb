"""``Client``: the blocking notebook client over :class:`AsyncClient`, on lumakit's private event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping
from typing import Any, TypeVar

from ..cache import Cache, History
from ..pricing import Estimate
from ..request import Request, Strength
from ..results import Result, ResultSet
from ..types import ControlsLike, SourceLike, WorkLike
from . import _sync
from ._async_client import AsyncClient
from ._handles import TaskHandle
from ._progress import OnUpdate

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

    def modify(
        self,
        source: SourceLike,
        prompt: str,
        *,
        strength: str | Strength | None = None,
        controls: ControlsLike = None,
        auto_controls: bool = False,
        take: int = 0,
        timeout: float | None = None,
        force: bool = False,
        max_cost: float | None = None,
        on_update: OnUpdate | None = None,
        label: str | None = None,
        **output_options: Any,
    ) -> Result:
        return self._run(
            self._async.modify(
                source, prompt, strength=strength, controls=controls, auto_controls=auto_controls, take=take,
                timeout=timeout, force=force, max_cost=max_cost, on_update=on_update, label=label,
                **output_options,
            )
        )  # fmt: skip

    def sweep(
        self,
        source: SourceLike,
        prompt: str,
        *,
        strengths: Iterable[str | Strength] | None = None,
        controls: ControlsLike = None,
        variants: Mapping[str, Mapping[str, Any]] | None = None,
        take: int = 0,
        max_cost: float | None = None,
        on_update: OnUpdate | None = None,
        force: bool = False,
        timeout: float | None = None,
        **options: Any,
    ) -> ResultSet:
        return self._run(
            self._async.sweep(
                source, prompt, strengths=strengths, controls=controls, variants=variants, take=take,
                max_cost=max_cost, on_update=on_update, force=force, timeout=timeout, **options,
            )
        )  # fmt: skip

    def generate(
        self,
        prompt: str,
        *,
        image: SourceLike | None = None,
        last_image: SourceLike | None = None,
        keyframes: Iterable[Any] = (),
        duration: int = 5,
        take: int = 0,
        timeout: float | None = None,
        force: bool = False,
        max_cost: float | None = None,
        on_update: OnUpdate | None = None,
        label: str | None = None,
        **options: Any,
    ) -> Result:
        return self._run(
            self._async.generate(
                prompt, image=image, last_image=last_image, keyframes=keyframes, duration=duration, take=take,
                timeout=timeout, force=force, max_cost=max_cost, on_update=on_update, label=label, **options,
            )
        )  # fmt: skip

    def reframe(
        self,
        source: SourceLike,
        *,
        aspect_ratio: str | None = None,
        prompt: str | None = None,
        take: int = 0,
        timeout: float | None = None,
        force: bool = False,
        max_cost: float | None = None,
        on_update: OnUpdate | None = None,
        label: str | None = None,
        **options: Any,
    ) -> Result:
        return self._run(
            self._async.reframe(
                source, aspect_ratio=aspect_ratio, prompt=prompt, take=take, timeout=timeout, force=force,
                max_cost=max_cost, on_update=on_update, label=label, **options,
            )
        )  # fmt: skip

    def run(
        self,
        work: WorkLike,
        *,
        take: int = 0,
        timeout: float | None = None,
        force: bool = False,
        max_cost: float | None = None,
        on_update: OnUpdate | None = None,
    ) -> Result | ResultSet:
        return self._run(
            self._async.run(
                work, take=take, timeout=timeout, force=force, max_cost=max_cost, on_update=on_update
            )
        )

    def submit(
        self, request: Request, *, label: str | None = None, take: int = 0, max_cost: float | None = None
    ) -> TaskHandle:
        return TaskHandle(self._run(self._async.submit(request, label=label, take=take, max_cost=max_cost)))

    def wait(
        self, task_uuid: str, *, timeout: float | None = None, on_update: OnUpdate | None = None
    ) -> Result:
        return self._run(self._async.wait(task_uuid, timeout=timeout, on_update=on_update))

    def resume(
        self, task_uuid: str, *, timeout: float | None = None, on_update: OnUpdate | None = None
    ) -> Result:
        return self._run(self._async.resume(task_uuid, timeout=timeout, on_update=on_update))

    def resume_all(self, *, timeout: float | None = None, on_update: OnUpdate | None = None) -> ResultSet:
        return self._run(self._async.resume_all(timeout=timeout, on_update=on_update))

    def pending(self) -> History:
        return self._async.pending()

    def estimate(self, work: WorkLike) -> Estimate:
        return self._run(self._async.estimate(work))

    def plan_sweep(
        self,
        source: SourceLike,
        prompt: str,
        *,
        strengths: Iterable[str | Strength] | None = None,
        controls: ControlsLike = None,
        variants: Mapping[str, Mapping[str, Any]] | None = None,
        **options: Any,
    ) -> dict[str, Request]:
        return self._async.plan_sweep(
            source, prompt, strengths=strengths, controls=controls, variants=variants, **options
        )

    def history(self, limit: int | None = None) -> History:
        return self._async.history(limit)

    def close(self) -> None:
        self._run(self._async.aclose())

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _share_docstrings() -> None:
    """Each sync method teaches what its async twin does (``help()`` and notebook tooltips)."""
    names = ("modify", "sweep", "generate", "reframe", "run", "submit", "wait", "resume", "resume_all")
    for name in (*names, "estimate", "plan_sweep", "history", "pending"):
        getattr(Client, name).__doc__ = getattr(AsyncClient, name).__doc__


_share_docstrings()
