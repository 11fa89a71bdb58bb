"""Client latency against a loopback Runware-protocol server with simulated processing time.

    python benchmarks/bench_client.py               # ~50 s: a 20 s job, then a nine-level sweep of 20 s jobs
    python benchmarks/bench_client.py 20 loopback   # against the tiny server below instead of LocalServer

Figures (targets in brackets):
  submit_latency_ms      modify() call -> the videoInference POST arriving at the server, median  [<= 50 ms]
  ready_to_disk_s        server has the result ready -> the result is on disk                      [<= 3 s]
  polls_per_20s_job      getResponse calls spent on the 20 s job                                   [<= 15]
  sweep9_over_single     nine-level sweep wall time / one job's wall time                          [<= 1.3]
  poll_posts_sweep9_over_single  getResponse POSTs of the nine-job sweep / those of one job          [<= 1.2]

The 20 s job and the sweep run against lumakit's LocalServer (9 workers, ``Latency(processing_time=20)``;
it renders real previews) when it is importable, else against the tiny threaded server in this file. The
submit-latency figures always use the tiny server (it timestamps arrivals on the client's clock).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PROCESSING_S = 20.0
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4096  # ~1 MB body
SRC = "https://example.org/clip.mp4"


class LoopbackRunware:
    """Takes videoInference/mediaStorage, answers ``processing`` for ``processing_s``, serves files."""

    def __init__(self, processing_s: float) -> None:
        self.processing_s = processing_s
        self.arrivals: dict[str, float] = {}
        self.polls: dict[str, int] = {}
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._send(200, VIDEO, "video/mp4")

            def do_POST(self) -> None:
                now = time.perf_counter()
                tasks = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                data = [server.answer(t, now) for t in tasks]
                self._send(200, json.dumps({"data": data}).encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, task: dict[str, Any], now: float) -> dict[str, Any]:
        uid = task["taskUUID"]
        if task["taskType"] == "mediaStorage":
            return {"taskType": "mediaStorage", "taskUUID": uid, "mediaUUID": str(uuid.uuid4())}
        if task["taskType"] == "videoInference":
            with self.lock:
                self.arrivals.setdefault(uid, now)
            return {"taskType": "videoInference", "taskUUID": uid}
        with self.lock:
            self.polls[uid] = self.polls.get(uid, 0) + 1
        start = self.arrivals[uid]
        if now - start < self.processing_s:
            progress = round(100 * (now - start) / self.processing_s)
            return {
                "taskType": "videoInference",
                "taskUUID": uid,
                "status": "processing",
                "progress": progress,
            }
        return {
            "taskType": "videoInference",
            "taskUUID": uid,
            "status": "success",
            "videoUUID": str(uuid.uuid4()),
            "videoURL": f"{self.url.rsplit('/', 1)[0]}/files/{uid}.mp4",
            "cost": 1.08,
        }

    def ready_at(self, uid: str) -> float:
        return self.arrivals[uid] + self.processing_s

    def __enter__(self) -> LoopbackRunware:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _tiny_clip(path: Path) -> Path:
    import numpy as np

    from lumakit.media import write_video

    frames = np.random.default_rng(0).integers(0, 255, (24, 90, 160, 3), dtype=np.uint8)
    return write_video(path, frames, 24)


class _LocalProbe:
    """Server-side timestamps for :class:`lumakit.local.LocalServer` (submit arrival, result ready)."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.ready: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            for uid, job in list(self.server.jobs.items()):
                if uid not in self.ready and job.done.is_set():
                    self.ready[uid] = time.time()
            time.sleep(0.002)

    def arrival(self, uid: str) -> float:
        return self.server.jobs[uid].created

    def ready_at(self, uid: str) -> float:
        deadline = time.time() + 1
        while uid not in self.ready and time.time() < deadline:
            time.sleep(0.002)
        return self.ready[uid]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _measure(
    client: Any, source: str, arrival: Any, ready_at: Any, polls: Any, clock: Any
) -> dict[str, float]:
    out: dict[str, float] = {}
    poller = client.aio._poller  # counts the getResponse POSTs it sends (a sweep's tasks share them)
    posts = poller.posts
    t0 = clock()
    r = client.modify(source, "a glass dolphin", strength="flex_2")
    t_done = clock()
    single_posts = poller.posts - posts
    single = t_done - t0
    out["first_submit_latency_ms"] = (arrival(r.task_uuid) - t0) * 1000
    out["ready_to_disk_s"] = t_done - ready_at(r.task_uuid)
    out["polls_per_20s_job"] = float(polls(r.task_uuid))
    out["single_job_wall_s"] = single
    posts = poller.posts
    t0 = clock()
    runs = client.sweep(source, "a glass dolphin, sweep")
    sweep = clock() - t0
    out["poll_posts_single"] = float(single_posts)
    out["poll_posts_sweep9"] = float(poller.posts - posts)
    out["poll_posts_sweep9_over_single"] = (poller.posts - posts) / single_posts
    uids = [x.task_uuid for x in runs.values()]
    out["sweep9_wall_s"] = sweep
    out["sweep9_over_single"] = sweep / single
    out["sweep9_submit_spread_ms"] = (max(map(arrival, uids)) - min(map(arrival, uids))) * 1000
    return out


def _quick_latency(tmp: str, out: dict[str, float]) -> None:
    """modify() -> submit arrival, with a URL source and with a (memoized) local file."""
    from lumakit.client import Client, PollPolicy

    with LoopbackRunware(0.0) as quick:
        fast = Client(
            "bench-key",
            base_url=quick.url,
            cache_dir=Path(tmp) / "quick",
            progress=False,
            poll=PollPolicy(0.01),
        )
        fast.modify(SRC, "warm-up", strength="adhere_1")  # connection pool and loop thread up
        lat = []
        for i in range(7):
            t0 = time.perf_counter()
            r = fast.modify(SRC, f"prompt {i}", strength="flex_2")
            lat.append(quick.arrivals[r.task_uuid] - t0)
        out["submit_latency_ms"] = statistics.median(lat) * 1000
        # a local file: hashed, probed (18 s check, pricing) and uploaded once, then memoized
        clip = _tiny_clip(Path(tmp) / "clip.mp4")
        t0 = time.perf_counter()
        r = fast.modify(str(clip), "first use of the file", strength="flex_2")
        out["submit_latency_local_file_first_ms"] = (quick.arrivals[r.task_uuid] - t0) * 1000
        lat = []
        for i in range(5):
            t0 = time.perf_counter()
            r = fast.modify(str(clip), f"prompt {i}", strength="flex_2")
            lat.append(quick.arrivals[r.task_uuid] - t0)
        out["submit_latency_local_file_ms"] = statistics.median(lat) * 1000
        fast.close()


def main(processing_s: float = PROCESSING_S, server: str = "auto") -> dict[str, float]:
    """Measure the figures above; returns them as ``{name: value}``.

    ``server``: ``"local"`` (lumakit's LocalServer, 9 workers, simulated processing time), ``"loopback"``
    (the tiny server in this file) or ``"auto"`` (local when importable).
    """
    from lumakit.client import Client, PollPolicy

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        _quick_latency(tmp, out)
        use_local = server == "local"
        if server == "auto":
            try:
                import lumakit.local  # noqa: F401

                use_local = True
            except ImportError:
                use_local = False
        if use_local:
            from lumakit.local import Latency, LocalServer

            clip = _tiny_clip(Path(tmp) / "source.mp4")
            with LocalServer(
                Path(tmp) / "server", latency=Latency(processing_time=processing_s), workers=9
            ) as srv:
                probe = _LocalProbe(srv)
                client = Client(  # Runware's cadence, not the brisk local one: the targets are about Runware
                    backend="local",
                    base_url=srv.url,
                    cache_dir=Path(tmp) / "cache",
                    progress=False,
                    poll=PollPolicy(),
                )
                client.estimate(
                    client.plan_sweep(str(clip), "warm-up", strengths=["adhere_1"])
                )  # uploads once
                polls: dict[str, int] = {}
                orig = srv.backend.handlers["getResponse"]

                def counting(task: dict[str, Any], call: Any) -> dict[str, Any]:
                    polls[task["taskUUID"]] = polls.get(task["taskUUID"], 0) + 1
                    return orig(task, call)

                srv.backend.handlers["getResponse"] = counting
                out.update(
                    _measure(client, str(clip), probe.arrival, probe.ready_at, polls.__getitem__, time.time)
                )
                # re-running the sweep cell: every job is a cache hit, nothing goes over the wire
                before = srv.stats["requests"]
                t0 = time.perf_counter()
                client.sweep(str(clip), "a glass dolphin, sweep")
                out["cached_sweep9_rerun_s"] = time.perf_counter() - t0
                out["cached_sweep9_rerun_requests"] = float(srv.stats["requests"] - before)
                out["server_is_local_backend"] = 1.0
                client.close()
                probe.close()
        else:
            with LoopbackRunware(processing_s) as srv:
                client = Client("bench-key", base_url=srv.url, cache_dir=Path(tmp) / "cache", progress=False)
                arrival, polls_of = srv.arrivals.__getitem__, srv.polls.__getitem__
                out.update(_measure(client, SRC, arrival, srv.ready_at, polls_of, time.perf_counter))
                out["server_is_local_backend"] = 0.0
                client.close()
    return out


if __name__ == "__main__":
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else PROCESSING_S
    res = main(seconds, sys.argv[2] if len(sys.argv) > 2 else "auto")
    for name, value in res.items():
        print(f"{name:36s} {value:10.3f}")
    print("targets: submit_latency_ms <= 50, ready_to_disk_s <= 3, polls_per_20s_job <= 15,")
    print("         sweep9_over_single <= 1.3, poll_posts_sweep9_over_single <= 1.2,")
    print("         cached_sweep9_rerun_requests == 0")
