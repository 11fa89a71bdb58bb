"""The embedded local backend: a Runware-protocol server on 127.0.0.1 with a deterministic preview renderer.

It keeps lumakit runnable with no key and no network: the client talks to it exactly as to Runware.
Results are local previews, not Ray output, and every answer says so (``lumakitLocal``).

    from lumakit.local import LocalServer, FaultPlan, Latency
    with LocalServer(latency=Latency(processing_time=1)) as server:
        server.url                      # http://127.0.0.1:<port>/v1

    shared_server()                     # the process-wide instance the client starts when there is no key
    # shell: lumakit serve --port 8787   (or python -m lumakit.local --port 8787)

Layers (docs/architecture.md): ``server`` (the façade) over ``http_handler`` (HTTP, ``Range``, faults),
``backend`` (task arrays in, answers out, no sockets) and ``ingest`` (media in). Never imports the client:
it is the other side of the wire.
"""

from __future__ import annotations

from .faults import Fault, FaultPlan, Latency, parse_fault
from .server import LocalServer, shared_server
from .store import default_data_dir

__all__ = ["Fault", "FaultPlan", "Latency", "LocalServer", "default_data_dir", "parse_fault", "shared_server"]
