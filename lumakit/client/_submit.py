"""Send a task and ask about it, never re-sending blindly.

A submit whose fate is ambiguous (the connection dropped after sending, a read timeout, a 5xx, a garbled
2xx) may have reached the service: re-sending it could run (and bill) the job twice. So the same task UUID is
polled first, and re-sent (same UUID) only on a definite "not found" (:class:`NotFoundWatch`: several answers
over at least 10 s). A probe that cannot reach the service proves nothing: it raises ``submitUnknown`` and
the task stays in flight. Only failures that surely never left (connect errors) and definite refusals (429)
are re-sent directly.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from typing import Any

import httpx

from ..errors import APIError, LumakitError, NotSent
from ..wire.answers import (
    INVALID_RESPONSE,
    NETWORK_ERROR,
    SUBMIT_UNKNOWN,
    UNREADABLE,
    PollOutcome,
    error_from,
    first_error,
    get_response,
    interpret_poll,
    items_for,
)
from ._http import Clock, HttpSession, Sleep, read_body
from ._polling import NotFoundWatch, parse_retry_after

log = logging.getLogger("lumakit.client")


class Submitter:
    """Posts tasks and polls them through ``http``, with the retry policy of ``http``."""

    def __init__(self, http: HttpSession, *, sleep: Sleep, clock: Clock, rng: random.Random) -> None:
        self._http = http
        self._sleep = sleep
        self._clock = clock
        self._rng = rng

    async def post(self, task_uuid: str, wire: Mapping[str, Any]) -> PollOutcome | None:
        """POST a task; never blindly re-sent. After an ambiguous failure (connection dropped, read timeout,
        5xx) the same UUID is polled first, and re-sent (same UUID) only on a definite "not found".

        Returns ``None`` when the service took the task, or what the probe poll said after an ambiguous one.
        """
        policy = self._http.retry
        for attempt in range(1, policy.max_attempts + 1):
            last = attempt == policy.max_attempts
            try:
                resp = await self._http.post_once([wire])
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                # the request never left: sending it again is safe
                if last:
                    url = self._http.base_url
                    raise NotSent(f"could not reach {url}: {exc}", code=NETWORK_ERROR) from exc
                await self._sleep(policy.delay(attempt, rng=self._rng))
                continue
            except httpx.TransportError as exc:
                log.info("submit of %s: %s; polling it before any re-send", task_uuid, type(exc).__name__)
                outcome = await self._probe(task_uuid, attempt)
                if outcome.state != "not_found":
                    return outcome
                if last:
                    raise APIError(
                        f"submit failed {attempt} times ({type(exc).__name__})",
                        code=NETWORK_ERROR,
                        task_uuid=task_uuid,
                    ) from exc
                continue
            status = resp.status_code
            body = read_body(resp)
            _, errors = items_for(body, task_uuid)
            if status < 300 and not errors:
                return None
            garbled = status < 300 and all(e.get("code") == INVALID_RESPONSE for e in errors)
            if garbled or status in (408, 500, 502, 503, 504):
                outcome = await self._probe(task_uuid, attempt)
                if outcome.state != "not_found":
                    return outcome
                if last:
                    err = first_error(errors, f"submit: HTTP {status}")
                    raise error_from(err, status, task_uuid=task_uuid)
                continue
            if status == 429:  # a definite refusal (queue full): the same task may go again
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                if last:
                    err = first_error(errors, "the queue is full (HTTP 429)")
                    raise error_from(err, status, task_uuid=task_uuid, retry_after=retry_after)
                await self._sleep(policy.delay(attempt, retry_after, rng=self._rng))
                continue
            err = first_error(errors, f"submit refused: HTTP {status}")
            raise error_from(err, status, task_uuid=task_uuid)
        raise AssertionError("unreachable")  # pragma: no cover

    async def poll(self, task_uuid: str) -> PollOutcome:
        """One ``getResponse`` for ``task_uuid``, interpreted."""
        status, body = await self._http.post([get_response(task_uuid)], what=f"poll {task_uuid[:8]}")
        return interpret_poll(status, body, task_uuid)

    async def _probe(self, task_uuid: str, attempt: int) -> PollOutcome:
        """Ask whether the service has a task after an ambiguous submit. Returns a ``not_found`` outcome
        only once that is definite; raises ``submitUnknown`` when the service cannot tell us."""
        policy = self._http.retry
        watch = NotFoundWatch()
        unreadable = 0
        n = 0
        while True:
            await self._sleep(policy.delay(attempt + min(n, 3), rng=self._rng))
            n += 1
            try:
                outcome = await self.poll(task_uuid)
            except LumakitError as exc:
                raise APIError(
                    f"the submit's answer was lost and the service could not be asked ({exc}); the task may "
                    f"be running: client.resume({task_uuid!r}) checks again before re-sending",
                    code=SUBMIT_UNKNOWN,
                    task_uuid=task_uuid,
                ) from exc
            if outcome.status == UNREADABLE:
                unreadable += 1
                if unreadable >= policy.max_attempts:
                    break
                continue
            if outcome.state != "not_found":
                return outcome
            if watch.seen(self._clock()):
                return outcome
        raise APIError(
            "the submit's fate is unknown (the service's answers were unreadable); "
            f"client.resume({task_uuid!r}) checks again before re-sending",
            code=SUBMIT_UNKNOWN,
            task_uuid=task_uuid,
        )
