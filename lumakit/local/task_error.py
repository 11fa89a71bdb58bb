"""A per-task error, answered as a Runware error object.

    raise TaskError("invalidVideo", "inputs.video is not a readable video", "inputs.video")

becomes ``{"code": "invalidVideo", "message": ..., "parameter": "inputs.video", "taskType": ...,
"taskUUID": ...}`` in the answer's ``errors`` array; ``status`` is the HTTP status the answer takes when no
task of the array succeeded.
"""

from __future__ import annotations

from typing import Any

from ..errors import RequestError


class TaskError(Exception):
    """A Runware-shaped error for one task of an array.

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
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.parameter:
            out["parameter"] = self.parameter
        if isinstance(task, dict):
            out["taskType"] = self.task_type or task.get("taskType")
            out["taskUUID"] = task.get("taskUUID")
        if self.allowed is not None:
            out["allowedValues"] = self.allowed
        return out
