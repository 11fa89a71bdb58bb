"""A task's life, as one state machine shared by the ledger, ``TaskUpdate`` and the panels.

Every paid task moves through these states, and only along these arrows::

              claim (a ledger row, before any upload or POST)
                   │
                   ▼
              PREPARING ───── stopped, upload failed, queue full, key refused ─────► NOT_SENT
                   │                                     (nothing billed; resume() sends it)  │
                   │ the POST begins (recorded first)                                      │
                   ▼                                      ◄──────────── resume() ───────────┘
              SUBMITTED ──── the service says "processing" ────► PROCESSING
                   │  ▲                                             │
                   │  └───────────── resume() / a re-run adopts ────┤
                   │                                                ▼
                   ├── stopped, timeout, 429, 5xx, unreachable ──► INTERRUPTED (still in flight)
                   │
                   ├── a task-level error answer ───────────────► FAILED      (over)
                   └── success, file on disk ────────────────────► DONE        (cached)

``SUBMITTED``, ``PROCESSING`` and ``INTERRUPTED`` are *in flight*: the service may be running (and billing)
the task, so lumakit never forgets them: a re-run of the same request, ``resume()`` or ``resume_all()`` waits
for them instead of sending a new job. Only a task-level answer (a ``data`` item with status error, or an
``errors`` item on a 200/400 answer that is not about capacity, rate, auth or transport) makes a task
``FAILED``; transport errors, 429, 5xx and an unreachable service never do.

Pure: no I/O, no imports from the rest of lumakit.
"""

from __future__ import annotations

import enum


class TaskState(str, enum.Enum):
    """Where a task is in its life (the ledger's ``state`` column holds the value)."""

    PREPARING = "preparing"  # claimed in the ledger; uploads may be running; nothing POSTed yet
    NOT_SENT = "not_sent"  # stopped or refused before the service took it: nothing billed
    SUBMITTED = "submitted"  # the POST began: the service may have it
    PROCESSING = "processing"  # the service said it is running (or its result URL is known)
    INTERRUPTED = "interrupted"  # we stopped waiting; the task may still run and bill
    DONE = "done"  # the result is on disk
    FAILED = "failed"  # the service said the task failed (or it is gone for good)

    def __str__(self) -> str:
        return self.value

    @property
    def in_flight(self) -> bool:
        """True when the service may be running the task: never send its request again."""
        return self in IN_FLIGHT

    @property
    def open(self) -> bool:
        """True until the task is over: a re-run of the same request waits for it."""
        return self in OPEN

    @property
    def final(self) -> bool:
        return self in (TaskState.DONE, TaskState.FAILED)


S = TaskState
IN_FLIGHT = frozenset({S.SUBMITTED, S.PROCESSING, S.INTERRUPTED})
OPEN = IN_FLIGHT | {S.PREPARING}
RESUMABLE = OPEN | {S.NOT_SENT}

# state -> the states it may move to (a move to itself updates fields only)
TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    S.PREPARING: frozenset({S.PREPARING, S.NOT_SENT, S.SUBMITTED}),
    S.NOT_SENT: frozenset({S.PREPARING}),
    S.SUBMITTED: frozenset({S.SUBMITTED, S.PROCESSING, S.INTERRUPTED, S.FAILED, S.NOT_SENT}),
    S.PROCESSING: frozenset({S.PROCESSING, S.INTERRUPTED, S.FAILED, S.DONE}),
    S.INTERRUPTED: frozenset({S.SUBMITTED, S.PROCESSING, S.INTERRUPTED, S.FAILED, S.DONE}),
    S.DONE: frozenset({S.DONE}),  # a re-download of a deleted file
    S.FAILED: frozenset(),
}


def can_move(old: TaskState | str, new: TaskState | str) -> bool:
    """True when the state machine allows ``old -> new``."""
    return TaskState(new) in TRANSITIONS[TaskState(old)]
