"""The local backend's estimated ``cost``: Runware's list from :mod:`lumakit.pricing` (USD), nothing else.

Every answer carries ``lumakitLocal.costIsEstimate = true``; the table and its rules live in
:mod:`lumakit.pricing`, shared with the client's estimates so both sides of the wire agree.
"""

from __future__ import annotations

from typing import Any

from ..pricing import tariff

TARIFF_NAME = "runware-list (lumakit.pricing; estimate)"


def estimate(request: Any, source_seconds: float | None = None, source_video: Any = None) -> dict[str, Any]:
    """The estimated cost of one job: ``{"cost", "seconds", "tier", "rate", "job"}`` (USD).

    ``source_video`` is the local path of an edit's source: an edit without ``resolution`` is priced at its
    source's tier when that is above 720p, so its size is measured then (and only then).
    """
    size = None
    if source_video is not None and request.kind == "modify" and not request.resolution:
        from .. import media

        info = media.probe(source_video)
        size = (int(info.width), int(info.height))
    return tariff(request, source_seconds, size)
