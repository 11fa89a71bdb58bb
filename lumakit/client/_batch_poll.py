"""Poll every task a client waits on together: one ``getResponse`` POST per tick (spec §5.10).

A nine-job sweep waits on nine tasks; asking about each on its own cadence would cost nine POSTs a tick. The
:class:`BatchPoller` keeps one ticker per client: each tick posts one array with a ``getResponse`` task per
waiting UUID and hands every waiter its own answer, matched by ``taskUUID``. A task whose item is missing from
the batch answer is asked about on its own. The ticker follows the client's :class:`PollPolicy` and stops when
nobody waits.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ..wire.answers import PollOutcome, get_response, interpret_poll, items_for
from ._http import Clock, HttpSession, Sleep
from ._polling import PollPolicy

log = logging.getLogger("lumakit.client")


@dataclass
class _Waiter:
    task_uuid: str
    deadline: float
    future: asyncio.Future[PollOutcome]


@dataclass
class BatchPoller:
    """The next poll answer for any number of tasks, asked in one POST per tick."""

    http: HttpSession
    poll_one: Callable[[str], Awaitable[PollOutcome]]  # a single getResponse, for tasks a batch left out
    policy: PollPolicy
    sleep: Sleep
    clock: Clock
    rng: random.Random
    posts: int = 0  # getResponse POSTs sent by this poller (benchmarks read it)
    _waiting: list[_Waiter] = field(default_factory=list)
    _ticker: asyncio.Task[None] | None = None

    async def next(self, task_uuid: str, *, deadline: float) -> PollOutcome:
        """What the service says about ``task_uuid`` at the next tick (no later than ``deadline``)."""
        loop = asyncio.get_running_loop()
        waiter = _Waiter(task_uuid, deadline, loop.create_future())
        self._waiting.append(waiter)
        if self._ticker is None or self._ticker.done() or self._ticker.get_loop() is not loop:
            self._ticker = loop.create_task(self._run(), name="lumakit-poller")
        try:
            return await waiter.future
        finally:
            if waiter in self._waiting:
                self._waiting.remove(waiter)

    async def _run(self) -> None:
        delays = self.policy.delays(self.rng)
        try:
            while self._waiting:
                soonest = min(w.deadline for w in self._waiting) - self.clock()
                await self.sleep(max(0.0, min(next(delays), soonest)))
                batch, self._waiting = self._waiting, []
                batch = [w for w in batch if not w.future.done()]
                if batch:
                    await self._tick(batch)
                for _ in range(4):  # let the waiters just answered ask again before the ticker stops
                    if self._waiting:
                        break
                    await asyncio.sleep(0)
        except BaseException as exc:  # never leave a waiter hanging
            _settle(self._waiting, exc if isinstance(exc, Exception) else asyncio.CancelledError())
            if not isinstance(exc, Exception):
                raise

    async def _tick(self, batch: list[_Waiter]) -> None:
        uuids = list(dict.fromkeys(w.task_uuid for w in batch))
        try:
            self.posts += 1
            status, body = await self.http.post(
                [get_response(u) for u in uuids], what=f"poll {len(uuids)} task(s)"
            )
        except Exception as exc:
            _settle(batch, exc)
            return
        for u in uuids:
            mine = [w for w in batch if w.task_uuid == u]
            data, errors = items_for(body, u)
            try:
                if data or errors:
                    outcome = interpret_poll(status, body, u)
                else:  # the batch answer left this task out: ask about it on its own
                    log.debug("batch poll had no item for %s; polling it alone", u)
                    self.posts += 1
                    outcome = await self.poll_one(u)
            except Exception as exc:
                _settle(mine, exc)
                continue
            _settle(mine, outcome)


def _settle(waiters: list[_Waiter], outcome: PollOutcome | BaseException) -> None:
    """Hand each waiter still waiting its answer (or the exception that stands for it)."""
    for w in waiters:
        if w.future.done():
            continue
        if isinstance(outcome, BaseException):
            w.future.set_exception(outcome)
        else:
            w.future.set_result(outcome)
