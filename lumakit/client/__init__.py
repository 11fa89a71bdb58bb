"""Send Ray 3.2 jobs to Runware (or the embedded local backend), wait, download, cache: ``Client``.

    client = lk.Client()                    # RUNWARE_API_KEY -> Runware; otherwise the local preview backend
    r = client.modify("clip.mp4", "a glass dolphin", strength="flex_2")
    runs = client.sweep("clip.mp4", "a glass dolphin", strengths=["adhere_1", "flex_2", "reimagine_3"])
    client.estimate(client.plan_sweep("clip.mp4", "a glass dolphin"))   # price it first
    client.run(plan); job = client.submit(request); job.status(); job.result()
    client.history(); client.pending(); client.resume_all()             # after a kernel restart

The public classes (:class:`Client`, :class:`AsyncClient`, the task handles) sit over a task runner
(``_runner``) that gives every task one life in the ledger (:mod:`lumakit.lifecycle`), never sends a request
twice, and polls every task it waits on together. The other private modules, one step each: ``_prepared``
(a request on its way: cache key, takes), ``_budget`` (``max_cost``, dry runs), ``_uploads``, ``_submit``
(post and probe, never re-sending blindly), ``_batch_poll``, ``_downloads``, ``_polling`` (frozen policies),
``_http`` (the HTTP session), ``_secrets`` (the key never shows), ``_progress`` (tqdm and ``on_update``) and
``_sync`` (the private event loop behind ``Client``). Answers are read by :mod:`lumakit.wire.answers`, the
module the local backend writes them with.
"""

from __future__ import annotations

from ..pricing import Estimate
from ._async_client import AsyncClient
from ._handles import AsyncTaskHandle, TaskHandle, TaskStatus
from ._money import spending_summary
from ._polling import PollPolicy, RetryPolicy
from ._sync import in_background
from ._sync_client import Client

__all__ = [
    "AsyncClient",
    "AsyncTaskHandle",
    "Client",
    "Estimate",
    "PollPolicy",
    "RetryPolicy",
    "TaskHandle",
    "TaskStatus",
    "in_background",
    "spending_summary",
]
