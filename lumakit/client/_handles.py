"""Handles of submitted tasks: ``client.submit(request)`` returns one at once; ask it or wait on it later.

job = client.submit(lk.ModifyRequest(video=src, prompt="glass", strength="flex_2"))
job.task_uuid     # in the ledger already: a dead kernel's successor finds it (client.pending())
job.status()      # one poll, nothing changes in the ledger: TaskStatus(state='processing', progress=0.4)
job.result()      # wait, download, cache: the same as client.resume(job.task_uuid)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..lifecycle import TaskState
from . import _sync

if TYPE_CHECKING:
    from ..results import Result
    from ._async_client import AsyncClient

__all__ = ["AsyncTaskHandle", "TaskHandle", "TaskStatus"]


@dataclass(frozen=True)
class TaskStatus:
    """What one look at a task found: the service's word (``processing``, ``success``, ``error``,
    ``not_found``) and the ledger's :class:`~lumakit.lifecycle.TaskState`. ``message`` explains an error."""

    service: str
    ledger: TaskState | None
    progress: float | None = None
    message: str = ""

    @property
    def ready(self) -> bool:
        """True when the result can be fetched (``result()`` returns without waiting for the service)."""
        return self.service == "success" or self.ledger is TaskState.DONE


class AsyncTaskHandle:
    """A task sent by :meth:`AsyncClient.submit`: ``await status()``, ``await result()``."""

    def __init__(self, client: AsyncClient, task_uuid: str) -> None:
        self.client = client
        self.task_uuid = task_uuid

    def __repr__(self) -> str:
        entry = self.client.cache.ledger.get(self.task_uuid)
        state = entry.state.value if entry is not None else "unknown"
        return f"{type(self).__name__}({self.task_uuid}, {state})"

    async def status(self) -> TaskStatus:
        """Ask the service once about the task; the ledger is left as it is (this is only a look)."""
        entry = self.client.cache.ledger.get(self.task_uuid)
        ledger = entry.state if entry is not None else None
        if ledger is TaskState.DONE:
            return TaskStatus("success", ledger, 1.0)
        outcome = await self.client._submitter.poll(self.task_uuid)
        service = "processing" if outcome.state == "pending" else outcome.state
        message = str(outcome.error) if outcome.error is not None else ""
        return TaskStatus(service, ledger, outcome.progress, message)

    async def result(self, *, timeout: float | None = None, on_update: Any = None) -> Result:
        """Wait for the task and download its result (``client.resume(task_uuid)``)."""
        return await self.client.resume(self.task_uuid, timeout=timeout, on_update=on_update)


class TaskHandle:
    """A task sent by :meth:`Client.submit`: ``status()``, ``result()`` (blocking)."""

    def __init__(self, handle: AsyncTaskHandle) -> None:
        self._handle = handle
        self.task_uuid = handle.task_uuid

    def __repr__(self) -> str:
        return repr(self._handle).replace("AsyncTaskHandle(", "TaskHandle(", 1)

    def status(self) -> TaskStatus:
        """Ask the service once about the task; the ledger is left as it is (this is only a look)."""
        return _sync.run(self._handle.status())

    def result(self, *, timeout: float | None = None, on_update: Any = None) -> Result:
        """Wait for the task and download its result (``client.resume(task_uuid)``)."""
        return _sync.run(self._handle.result(timeout=timeout, on_update=on_update))
