"""The local backend's estimated ``cost``: Runware's list from :mod:`lumakit.pricing` (USD), nothing else.

Every answer carries ``lumakitLocal.costIsEstimate = true``; the table and its rules live in
:mod:`lumakit.pricing`, shared with the client's estimates so both sides of the wire agree.
"""

from __future__ import annotations

from typing import Any

from ..pricing import tariff

TARIFF_NAME = "runware-list (lumakit.pricing; estimate)"


def estimate(
    request: Any, source_seconds: float | None = None, source_size: tuple[int, int] | None = None
) -> dict[str, Any]:
    """The estimated cost of one job: ``{"cost", "seconds", "tier", "rate", "job"}`` (USD)."""
    return tariff(request, source_seconds, source_size)
