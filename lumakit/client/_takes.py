"""``client.takes(work, n=2)``: n samples of each request, sent and priced as one call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..cache import Cache
from ..errors import RequestError
from ..request import Request
from ..takes import Takes, take_label
from ..types import WorkLike
from ._prepared import PreparedJob, as_plans, prepare_many
from ._progress import OnUpdate

if TYPE_CHECKING:  # pragma: no cover
    from ._async_client import AsyncClient


async def takes(
    self: AsyncClient,
    work: WorkLike,
    n: int = 2,
    *,
    timeout: float | None = None,
    force: bool = False,
    max_cost: float | None = None,
    on_update: OnUpdate | None = None,
) -> Takes:
    """``n`` samples (takes 0..n-1) of each request in ``work``: how far two runs of the *same* request land
    apart (Ray has no seed), the noise floor to compare any difference between settings with.

    ``work`` is a request or a ``{label: request}`` plan (what :meth:`plan_sweep` returns). Each take is its
    own paid job, sent together and cached like ``take=`` (take 0 is the plain request, so a level you already
    ran costs ``n - 1`` more jobs). The whole call is priced first against ``max_cost`` (and the budget).
    Returns a :class:`~lumakit.takes.Takes`: ``label -> (take 0, take 1, ...)``.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise RequestError("n", n, "an int >= 1 (the number of takes of each request)")
    plans = as_plans(work)
    results = await self._run_many(plans, timeout, force, max_cost, on_update, desc="takes", takes=n)
    return Takes.group(results, list(plans), n)


async def prepare_takes(
    plans: Mapping[str, Request], cache: Cache, backend: str, force: bool, take: int, n: int
) -> list[PreparedJob]:
    """Jobs for takes ``take .. take + n - 1`` of every plan; with several takes, labelled by their take."""
    jobs = [j for k in range(n) for j in await prepare_many(plans, cache, backend, force, take + k)]
    if n > 1:
        for j in jobs:
            j.label = take_label(j.label, j.take)
    return jobs
