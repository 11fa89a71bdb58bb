"""``lumakit serve``: run the local backend in the foreground until Ctrl-C.

lumakit serve --port 8787 --processing-time 3 --fault poll:429:retry_after=1 --fault submit:drop_after
python -m lumakit.local --port 8787
"""

from __future__ import annotations

import argparse
import sys
import threading

from .._preview import PREVIEWS_NOTE, RENDERER_NOTE
from ..errors import LumakitError
from .faults import NAMED_ACTIONS, PHASES, STATUS_ACTIONS, FaultPlan, Latency
from .server import LocalServer


def build_parser(prog: str = "lumakit serve") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Run lumakit's local backend: a Runware-protocol server on 127.0.0.1 with a preview "
        f"renderer ({PREVIEWS_NOTE}). Point a client at the printed URL with any API key.",
    )
    p.add_argument(
        "--port",
        type=int,
        default=8787,
        help="TCP port on 127.0.0.1 (0: any free port; default 8787). The server binds 127.0.0.1 only.",
    )
    p.add_argument(
        "--data-dir",
        default=None,
        help="results, uploads and index (default: $LUMAKIT_CACHE_DIR/local-backend or the user cache dir)",
    )
    p.add_argument(
        "--processing-time",
        "--latency",
        dest="processing_time",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="minimum time a job spends processing (progress rises evenly)",
    )
    p.add_argument(
        "--queue-time",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="time a job waits before it starts (status processing, progress 0)",
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="PHASE:ACTION[:K=V,...]",
        help=f"scripted fault, repeatable, used in order per phase. Phases: {', '.join(PHASES)}; "
        f"actions: {', '.join(map(str, STATUS_ACTIONS))}, {', '.join(NAMED_ACTIONS)}. "
        "E.g. poll:429:retry_after=1,times=2 or submit:task_error:code=providerError",
    )
    p.add_argument("--workers", type=int, default=2, help="render jobs that run at once (default 2)")
    p.add_argument("--verbose", "-v", action="store_true", help="log every request")
    return p


def serve_main(
    argv: list[str] | None = None,
    *,
    ready: threading.Event | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Run ``lumakit serve`` with ``argv``; returns the exit code. ``ready``/``stop`` let tests drive it."""
    args = build_parser().parse_args(argv)
    if args.verbose:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(message)s")
    try:
        server = LocalServer(
            args.data_dir,
            args.port,
            latency=Latency(queue_time=args.queue_time, processing_time=args.processing_time),
            faults=FaultPlan(args.fault),
            workers=args.workers,
        ).start()
    except LumakitError as e:
        print(f"lumakit serve: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"lumakit serve: cannot listen on 127.0.0.1:{args.port}: {e}", file=sys.stderr)
        return 1
    print(f"lumakit local backend ({RENDERER_NOTE}) listening on {server.url}", flush=True)
    print(f"  data: {server.data_dir}   any non-empty 'Authorization: Bearer <key>' works", flush=True)
    if args.fault:
        print(f"  fault plan: {', '.join(args.fault)}", flush=True)
    print("  Ctrl-C to stop", flush=True)
    if ready is not None:
        ready.set()
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        server.stop()
    return 0
