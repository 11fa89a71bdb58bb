"""The local server under large and many uploads: peak memory per upload, and 1,000 uploads in one array.

python benchmarks/bench_local_server.py     # targets: 3 concurrent large uploads peak like 1; 1,000 uploads
                                            # in one array cost per upload what 10 do (the index written once)

The server runs as ``python -m lumakit.local`` in its own process; its peak resident memory (``VmHWM``,
Linux) is read after the uploads. Figures are ratios within this run.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

BODY_MB = 48  # size of one large upload body; over the server's LARGE_BODY (16 MB)


class Server:
    """``python -m lumakit.local`` on a free port, with its own data folder."""

    def __init__(self) -> None:
        self.data = tempfile.mkdtemp(prefix="lumakit-bench-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lumakit.local", "--port", str(self.port), "--data-dir", self.data],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.proc.stdout.readline()  # its banner: it is listening

    def peak_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM (Linux only)")

    def post(self, tasks: list[dict[str, str]]) -> bytes:
        body = json.dumps(tasks).encode()
        head = (
            f"POST /v1 HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAuthorization: Bearer x\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", self.port), timeout=600) as c:
            c.sendall(head + body)
            out = b""
            while chunk := c.recv(1 << 16):
                out += chunk
        if b" 200 " not in out.split(b"\r\n", 1)[0]:
            raise RuntimeError(out[:300].decode(errors="replace"))
        return out

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.data, ignore_errors=True)


def upload(media: str) -> dict[str, str]:
    return {"taskType": "mediaStorage", "taskUUID": str(uuid.uuid4()), "operation": "upload", "media": media}


def large_media() -> str:
    raw = b"\x00\x00\x00\x18ftypmp42" + os.urandom(BODY_MB * (1 << 20) * 3 // 4 - 12)  # an "mp4" to sniff
    return base64.b64encode(raw).decode()


def peak_for(concurrent: int, media: str) -> float:
    """Peak resident MB of a fresh server above its idle size, for ``concurrent`` large uploads at once."""
    server = Server()
    try:
        idle = server.peak_mb()
        threads = [threading.Thread(target=server.post, args=([upload(media)],)) for _ in range(concurrent)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return server.peak_mb() - idle
    finally:
        server.close()


def seconds_per_upload(n: int) -> float:
    server = Server()
    try:
        tasks = [upload(base64.b64encode(b"\x89PNG\r\n\x1a\n" + str(i).encode()).decode()) for i in range(n)]
        start = time.perf_counter()
        server.post(tasks)
        return (time.perf_counter() - start) / n
    finally:
        server.close()


def main() -> dict[str, float]:
    media = large_media()
    one, three = peak_for(1, media), peak_for(3, media)
    few, many = seconds_per_upload(10), seconds_per_upload(1000)
    return {
        "upload_peak_mb_per_body_mb": one / BODY_MB,
        "three_concurrent_peak_vs_one": three / one,
        "per_upload_1000_vs_10": many / few,
        "array_of_1000_uploads_s": many * 1000,
    }


if __name__ == "__main__":
    res = main()
    for name, value in res.items():
        print(f"{name:32s} {value:8.2f}")
    ok = res["three_concurrent_peak_vs_one"] < 1.5 and res["per_upload_1000_vs_10"] < 3
    print("PASS" if ok else "FAIL", "(3 concurrent large uploads < 1.5x one; 1,000 per upload < 3x 10)")
