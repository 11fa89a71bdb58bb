"""Import time of ``lumakit`` and of the client (fresh interpreter each time, best of N).

python benchmarks/bench_import.py          # target: import lumakit < 0.3 s
"""

from __future__ import annotations

import subprocess
import sys

N = 7
STATEMENTS = {
    "import_lumakit_s": "import lumakit",
    "import_lumakit_client_s": "import lumakit.client",
    "python_startup_s": "pass",
}


def _once(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def main() -> dict[str, float]:
    """Best-of-N seconds for each import, measured inside a fresh interpreter."""
    return {name: min(_once(stmt) for _ in range(N)) for name, stmt in STATEMENTS.items()}


if __name__ == "__main__":
    res = main()
    for name, value in res.items():
        print(f"{name:26s} {value * 1000:8.1f} ms")
    print(f"target: import lumakit < 300 ms -> {'OK' if res['import_lumakit_s'] < 0.3 else 'OVER'}")
