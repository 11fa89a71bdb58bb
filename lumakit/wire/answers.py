"""Runware's answers, both ways: statuses, error codes, the error object, reading an answer.

The client reads answers here (match items by ``taskUUID``, classify a poll, turn an error object into an
exception); the local backend writes them here (:class:`TaskError` -> an error object). Both use the same
codes, spelled once below. Pure (no I/O). The values the public docs do not settle are the constants at the
top.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import APIError, AuthenticationError, RateLimitError, RequestError, TaskFailed

# ---- codes both sides spell ([doc] Runware's, [ours] lumakit's own) ----------------------------------------
TASK_NOT_FOUND = "taskFailedOrNotFound"  # [ours, as Runware answers it] no task with this UUID (or it failed)
DUPLICATE_TASK_UUID = "duplicateTaskUUID"  # [doc] another body under a taskUUID already used
TASK_FAILED = "taskFailed"  # [ours] a failure whose error object carries no code
PROVIDER_ERROR = "providerError"  # [ours] the model provider refused or failed the task
INVALID_RESPONSE = "invalidResponse"  # [ours] an answer that was not JSON
NETWORK_ERROR = "networkError"  # [ours] the service could not be reached
SUBMIT_UNKNOWN = "submitUnknown"  # [ours] the POST may or may not have reached the service
INVALID_REQUEST_BODY = "invalidRequestBody"  # [ours] a body that is not a JSON array of tasks
INVALID_TASK = "invalidTask"  # [ours] a task that is not a JSON object
INVALID_TASK_TYPE = "invalidTaskType"  # [doc] a taskType the service does not take
INVALID_TASK_UUID = "invalidTaskUUID"  # [doc] a taskUUID that is not a UUID
INVALID_VIDEO = "invalidVideo"  # [doc] inputs.video missing, unreadable or outside the limits
INVALID_IMAGE = "invalidImage"  # [doc] a frame image or upload that is not a readable image

# [doc] + tolerated spellings of "still running"
PENDING_STATUSES = frozenset(
    {"processing", "pending", "queued", "scheduled", "waiting", "running", "in_progress"}
)
SUCCESS_STATUSES = frozenset({"success", "succeeded", "completed", "done"})
ERROR_STATUSES = frozenset({"error", "failed", "failure"})
# [ours] codes that mean "no task with this UUID": the only answer that allows re-submitting a UUID
NOT_FOUND_CODES = frozenset(
    {
        TASK_NOT_FOUND,
        "taskNotFound",
        "unknownTask",
        "taskUUIDNotFound",
        "notFound",
        "taskDoesNotExist",
    }
)
AUTH_CODES = frozenset({"invalidApiKey", "missingApiKey", "unauthorized", "forbidden", "apiKeyRequired"})
# [ours] codes about the service, the queue, money or the connection, never about one task: an answer with one
# of these says nothing about whether a task runs (spec: 429, 5xx and transport errors never fail a task).
# A provider's code (``timeoutProvider``, ``providerError``) is about the task: it is not here.
SERVICE_CODES = AUTH_CODES | frozenset(
    {
        "rateLimitExceeded",
        "tooManyRequests",
        "queueFull",
        "serviceUnavailable",
        "noCapacity",
        "timeout",
        "gatewayTimeout",
        "internalServerError",
        NETWORK_ERROR,
        INVALID_RESPONSE,
        "insufficientCredits",
        "insufficientBalance",
    }
)
TASK_LEVEL_STATUS = frozenset({200, 400})  # [doc] the statuses whose per-task errors are the task's own
RETRIABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
UNREADABLE = "unreadable answer"  # the status of a poll whose answer was not JSON


def get_response(task_uuid: str) -> dict[str, str]:
    """The ``getResponse`` task that asks about ``task_uuid`` (spec §5.2)."""
    return {"taskType": "getResponse", "taskUUID": task_uuid}


def body_of(content: bytes | str | None) -> dict[str, Any]:
    """The JSON object of a response; anything else becomes ``{"errors": [{"message": <text>}]}``."""
    if not content:
        return {}
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
        return {"errors": [{"code": INVALID_RESPONSE, "message": text.strip()[:300] or "not JSON"}]}
    if isinstance(body, list):  # be lenient: a bare list of items
        return {"data": body}
    return body if isinstance(body, dict) else {}


def items_for(body: Mapping[str, Any], task_uuid: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``data`` items and ``errors`` of one task (matched by ``taskUUID``, never by position).

    Errors without a ``taskUUID`` concern the whole request, so they are returned for every task.
    """
    want = task_uuid.lower()
    data = [d for d in body.get("data") or [] if isinstance(d, dict) and _same(d.get("taskUUID"), want)]
    errors = [
        error_object(e)
        for e in body.get("errors") or []
        if not isinstance(e, dict) or e.get("taskUUID") is None or _same(e.get("taskUUID"), want)
    ]
    return data, errors


def _same(value: Any, want: str) -> bool:
    return isinstance(value, str) and value.lower() == want


def first_error(errors: list[dict[str, Any]], fallback: str) -> dict[str, Any]:
    """The first error object of an answer, or one that says ``fallback`` when the answer had none."""
    return errors[0] if errors else {"message": fallback}


def error_object(value: Any) -> dict[str, Any]:
    """An error as a dict, whatever form it came in (an object, a bare string, anything else)."""
    if isinstance(value, Mapping):
        return dict(value)
    if value is None:
        return {}
    return {"message": str(value)}


def is_task_level(error: Mapping[str, Any], status_code: int | None) -> bool:
    """True when an ``errors`` item is the task's own failure, not a word about the service (spec §5.5)."""
    return status_code in TASK_LEVEL_STATUS and str(error.get("code") or "") not in SERVICE_CODES


def is_not_found(error: Mapping[str, Any], status_code: int | None = None) -> bool:
    """A definite "there is no task with this UUID" (the one answer that allows a re-submit)."""
    code = str(error.get("code") or "")
    if code in NOT_FOUND_CODES:
        return True
    message = str(error.get("message") or "").lower()
    return status_code == 404 and ("task" in message or not message)


def error_from(
    error: Mapping[str, Any],
    status_code: int | None = None,
    *,
    task_uuid: str | None = None,
    task_level: bool = False,
    retry_after: float | None = None,
) -> APIError:
    """The exception for one Runware error object. ``task_level`` marks the end of a running task."""
    raw = dict(error)
    code = raw.get("code")
    message = str(raw.get("message") or code or f"HTTP {status_code}")
    detail = raw.get("responseContent")
    if detail and str(detail) not in message:
        message = f"{message} ({str(detail)[:300]})"
    parameter = raw.get("parameter")
    if isinstance(parameter, list):
        parameter = ", ".join(map(str, parameter))
    allowed = raw.get("allowedValues")
    if allowed and "allowed" not in message.lower():
        message = f"{message} (allowed: {', '.join(map(str, allowed))})"
    kw: dict[str, Any] = {
        "code": code,
        "parameter": parameter,
        "task_uuid": raw.get("taskUUID") or task_uuid,
        "status_code": status_code,
        "raw": raw,
    }
    if status_code in (401, 403) or code in AUTH_CODES:
        return AuthenticationError(message, **kw)
    if status_code == 429:
        return RateLimitError(message, retry_after=retry_after, **kw)
    if task_level:
        return TaskFailed(message, **kw)
    return APIError(message, **kw)


@dataclass
class PollOutcome:
    """What one ``getResponse`` said about one task."""

    state: Literal["pending", "success", "error", "not_found"]
    item: dict[str, Any] = field(default_factory=dict)
    progress: float | None = None
    status: str | None = None
    error: APIError | None = None


def interpret_poll(status_code: int, body: Mapping[str, Any], task_uuid: str) -> PollOutcome:
    """Classify a poll answer. A task's failure reads one way in both forms of the spec (§5.4): a ``data``
    item with status ``error``, or an ``errors`` item naming the task on a 200/400 answer, ends the task with
    ``TaskFailed`` (``timeoutProvider`` included), or says "not found". Errors about the service (429, 5xx,
    auth, capacity, a whole-request error) raise: the task may still run."""
    data, errors = items_for(body, task_uuid)
    for item in data:
        status = str(item.get("status") or "").lower()
        if status in ERROR_STATUSES or ("error" in item and item["error"] and status not in PENDING_STATUSES):
            err = error_object(item.get("error"))
            err.setdefault("taskUUID", task_uuid)
            err.setdefault("message", item.get("message") or "the task failed")
            return _task_ended(err, status_code, item, status, is_not_found(err))
    for item in data:
        status = str(item.get("status") or "").lower()
        if status in SUCCESS_STATUSES or (not status and item.get("videoURL")):
            return PollOutcome("success", item, progress=1.0, status=status or "success")
    if errors and all(e.get("code") == INVALID_RESPONSE for e in errors) and status_code < 400:
        return PollOutcome("pending", status=UNREADABLE)  # a garbled 200: ask again
    if errors:
        err = errors[0]
        if is_not_found(err, status_code):
            return _task_ended(err, status_code, {}, "notFound", True)
        if not err.get("taskUUID") or not is_task_level(err, status_code):
            # about the service, not the task (429, 5xx, auth, a whole-request error): it may be running
            raise error_from(err, status_code, task_uuid=task_uuid)
        return _task_ended(err, status_code, {}, "error", False)
    item = data[0] if data else {}
    progress = item.get("progress")
    prog = None
    if isinstance(progress, (int, float)) and not isinstance(progress, bool):
        prog = max(0.0, min(1.0, float(progress) / 100.0))
    return PollOutcome("pending", item, progress=prog, status=str(item.get("status") or "processing").lower())


def _task_ended(
    err: dict[str, Any], status_code: int, item: dict[str, Any], status: str, not_found: bool
) -> PollOutcome:
    """The outcome of a task's own error object, whichever form of the answer carried it."""
    if not_found:
        return PollOutcome("not_found", item, status=status, error=error_from(err, status_code))
    return PollOutcome("error", item, status=status, error=error_from(err, status_code, task_level=True))


# ---- the error object, written (the local backend) --------------------------------------------------------
def wire_error(
    code: str,
    message: str,
    parameter: str | None = None,
    *,
    task: Any = None,
    task_type: str | None = None,
    allowed: list[Any] | None = None,
) -> dict[str, Any]:
    """A Runware error object: ``{"code", "message", "parameter", "taskType", "taskUUID", "allowedValues"}``
    (``taskType``/``taskUUID`` from ``task`` when it is a dict; ``task_type`` overrides its type)."""
    out: dict[str, Any] = {"code": code, "message": message}
    if parameter:
        out["parameter"] = parameter
    if isinstance(task, dict):
        out["taskType"] = task_type or task.get("taskType")
        out["taskUUID"] = task.get("taskUUID")
    if allowed is not None:
        out["allowedValues"] = allowed
    return out


class TaskError(Exception):
    """A Runware-shaped error for one task of an array, raised by the local backend's handlers.

        raise TaskError("invalidVideo", "inputs.video is not a readable video", "inputs.video")

    becomes ``{"code": "invalidVideo", "message": ..., "parameter": "inputs.video", "taskType": ...,
    "taskUUID": ...}`` in the answer's ``errors`` array.

    Args:
      code: Runware's error code (``invalidVideo``, ``duplicateTaskUUID``, ...).
      message: what went wrong, for a person.
      parameter: the dotted wire field at fault (``settings.edit.strength``), if any.
      status: HTTP status of an answer whose every task failed.
      allowed: the allowed values, answered as ``allowedValues``.
      task_type: the ``taskType`` the error names when it is not the asking task's own (a ``getResponse``
        that reports a failed ``videoInference`` names ``videoInference``).
    """

    def __init__(
        self,
        code: str,
        message: str,
        parameter: str | None = None,
        *,
        status: int = 400,
        allowed: list[Any] | None = None,
        task_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.parameter = parameter
        self.status = status
        self.allowed = allowed
        self.task_type = task_type

    @classmethod
    def from_request_error(cls, e: RequestError) -> TaskError:
        """The wire form of a validation error raised by :func:`lumakit.request.parse_task`."""
        allowed = e.allowed if isinstance(e.allowed, list) else None
        return cls(e.code, e.message, e.wire, allowed=allowed)

    def wire(self, task: Any) -> dict[str, Any]:
        """The error object for ``task`` (the task as received; not necessarily a dict)."""
        return wire_error(
            self.code, self.message, self.parameter, task=task, task_type=self.task_type, allowed=self.allowed
        )
