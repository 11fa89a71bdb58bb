"""Wire tasks for the local backend's tests: a fresh task UUID and an async edit task."""

from __future__ import annotations

import uuid
from typing import Any


def uid() -> str:
    """A fresh task UUID."""
    return str(uuid.uuid4())


def edit(video: str, **over: Any) -> dict[str, Any]:
    """An async edit of ``video`` (any source form) at ``adhere_2``; ``over`` replaces fields."""
    task = {
        "taskType": "videoInference",
        "taskUUID": uid(),
        "model": "luma:ray@3.2",
        "positivePrompt": "a neon cyber creature",
        "inputs": {"video": video},
        "settings": {"edit": {"strength": "adhere_2"}},
        "deliveryMethod": "async",
        "includeCost": True,
    }
    task.update(over)
    return task
