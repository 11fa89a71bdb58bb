"""One exception hierarchy for lumakit. No I/O, no imports from the rest of the package.

LumakitError
├── RequestError      invalid input, raised before anything is sent
├── APIError          the service answered an error (code, message, parameter, task_uuid, status)
│   ├── AuthenticationError
│   ├── RateLimitError
│   ├── NotSent       the request never left this machine: nothing was sent or billed
│   └── TaskFailed    a task ended in status "error"
├── PollTimeout       we stopped waiting; the task may still run (and bill): client.resume(task_uuid)
├── BudgetError       the estimate is over max_cost; nothing was sent
│   └── BudgetExceeded  the call would cross the budget (spent, left); nothing was sent
├── SweepError        some jobs of a sweep failed; .partial has the others, .failures says why
├── MediaError        a file that is missing, empty, not a video, or outside the model's limits
├── PackError         a results pack that is corrupt, foreign or unreadable; nothing was changed
└── CacheError        the cache folder or its ledger cannot be opened, read or written (names the file)

UnpublishedSizeWarning (a UserWarning): a width/height in no tier's size table; the task is sent as asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class LumakitError(Exception):
    """Base class of every error lumakit raises on purpose."""


class RequestError(LumakitError, ValueError):
    """Invalid input. Names the parameter, the bad value and what is allowed; nothing was sent.

    ``code`` is the Runware-style error code and ``wire`` the dotted wire path (``settings.edit.strength``)
    the local backend answers for the same mistake, so both sides of the wire refuse bad input alike.
    """

    def __init__(
        self,
        parameter: str,
        value: Any = None,
        allowed: Iterable[Any] | str | None = None,
        *,
        message: str | None = None,
        code: str = "invalidParameter",
        wire: str | None = None,
    ) -> None:
        self.parameter = parameter
        self.wire = wire or parameter
        self.value = value
        self.allowed = allowed if isinstance(allowed, str) or allowed is None else list(allowed)
        self.code = code
        if message is None:
            message = f"{parameter}={value!r} is not valid"
        if self.allowed is not None:
            shown = self.allowed if isinstance(self.allowed, str) else ", ".join(map(str, self.allowed))
            message = f"{message} (allowed: {shown})"
        self.message = message
        super().__init__(message)


class APIError(LumakitError):
    """The service answered with an error. ``raw`` keeps the error object exactly as it came."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        parameter: str | None = None,
        task_uuid: str | None = None,
        status_code: int | None = None,
        raw: dict[str, Any] | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.parameter = parameter
        self.task_uuid = task_uuid
        self.status_code = status_code
        self.raw = raw or {}
        parts = [message]
        if code:
            parts.append(f"code={code}")
        if parameter:
            parts.append(f"parameter={parameter}")
        if task_uuid:
            parts.append(f"task_uuid={task_uuid}")
        if status_code:
            parts.append(f"http={status_code}")
        super().__init__(" | ".join(parts))


class AuthenticationError(APIError):
    """The API key is missing, invalid or not allowed to do this (HTTP 401/403)."""


class RateLimitError(APIError):
    """The queue is full (HTTP 429) and retries ran out. ``retry_after`` is in seconds, when known."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class NotSent(APIError):
    """The request never left this machine (the service could not be reached): nothing was sent or billed,
    and sending the same task again is safe."""


class TaskFailed(APIError):
    """A task ended in status ``error``. It is over; re-running it costs again."""


class PollTimeout(LumakitError, TimeoutError):
    """We stopped waiting for a task. It may still be running and billing: ``client.resume(task_uuid)``."""

    def __init__(self, task_uuid: str, waited: float, last_status: str | None = None) -> None:
        self.task_uuid = task_uuid
        self.waited = waited
        self.last_status = last_status
        super().__init__(
            f"task {task_uuid} not finished after {waited:.1f} s (last status: {last_status or 'unknown'}); "
            f"it may still run and bill - call client.resume({task_uuid!r}) to pick it up"
        )


class BudgetError(LumakitError):
    """The estimated cost is over ``max_cost``. Nothing was sent."""

    def __init__(self, estimate: float, max_cost: float, detail: str = "", *, breakdown: Any = None) -> None:
        self.estimate = estimate
        self.max_cost = max_cost
        self.detail = detail
        self.breakdown = breakdown  # the Estimate, line by line
        msg = f"estimated cost ${estimate:.2f} is over max_cost=${max_cost:.2f}; nothing was sent"
        if detail:
            msg += f" ({detail})"
        msg += ". Raise max_cost= (or LUMAKIT_MAX_COST) to run it."
        super().__init__(msg)


class BudgetExceeded(BudgetError):
    """The call would cross the client's ``budget`` (a limit across calls, kernels and restarts, kept in
    the ledger). Nothing was sent. ``spent``, ``left`` and ``estimate`` (this call) are USD."""

    def __init__(
        self,
        estimate: float,
        budget: float,
        spent: float,
        scope: str | None = None,
        *,
        breakdown: Any = None,
        limit_name: str = "budget",
    ) -> None:
        self.estimate = estimate
        self.max_cost = budget
        self.budget = budget
        self.spent = spent
        self.left = max(budget - spent, 0.0)
        self.scope = scope
        self.detail = ""
        self.breakdown = breakdown
        self.limit_name = limit_name  # "budget", or the environment variable that set the limit
        where = f" (scope {scope!r})" if scope else ""
        if limit_name == "budget":
            what, fix = f"budget{where}", "Raise budget= (or LUMAKIT_BUDGET), or run fewer jobs."
        else:  # a cap set outside the notebook, for every client on this cache
            what = f"{limit_name} (a limit over the whole cache, set outside this notebook)"
            fix = f"Whoever set {limit_name} can raise it; or run fewer jobs."
        LumakitError.__init__(
            self,
            f"this call would cost ${estimate:.2f} but only ${self.left:.2f} of the ${budget:.2f} "
            f"{what} is left (${spent:.2f} spent or in flight); nothing was sent. {fix}",
        )


class SweepError(LumakitError):
    """Some jobs of a multi-job call failed; the others finished and are cached.

    ``partial`` is a ResultSet of the successes, ``failures`` maps each failed label to its exception, and
    the first failure is the ``__cause__``. Tasks still in flight stay in the ledger: ``client.resume_all()``.
    """

    def __init__(self, partial: Any, failures: dict[str, BaseException], total: int) -> None:
        self.partial = partial
        self.failures = failures
        lines = "; ".join(f"{label}: {exc}" for label, exc in failures.items())
        super().__init__(f"{len(failures)} of {total} jobs failed ({lines})")


class MediaError(LumakitError):
    """A media file that is missing, empty, truncated, not a video, or outside the model's limits."""

    def __init__(self, path: Any, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class CacheError(LumakitError):
    """The cache folder or its ledger cannot be opened, read or written (damaged, a folder, no permission,
    read-only). ``path`` is the file or folder at fault; the message says what to do. Nothing was sent."""

    def __init__(self, path: Any, problem: str, advice: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.advice = advice
        super().__init__(f"{self.path}: {problem}. {advice}")


class PackError(LumakitError):
    """A results pack (``lumakit pack``) that cannot be used: not a lumakit pack, a newer format, a file
    missing or changed since it was packed. Nothing in the cache was changed."""

    def __init__(self, pack: Any, problem: str) -> None:
        self.pack = str(pack)
        self.problem = problem
        super().__init__(f"{pack}: {problem}; nothing was changed in the cache")


class UnpublishedSizeWarning(UserWarning):
    """A width/height in no tier's size table: lumakit sends it (Runware refuses a size it does not take at
    submit, free of charge), and the warning names the nearest sizes of the table."""
