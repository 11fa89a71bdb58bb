"""Run every lumakit benchmark and print all figures in one table.

    python benchmarks/run_all.py            # all of them
    python benchmarks/run_all.py import grid  # only those whose file name contains a word
    python benchmarks/run_all.py compose      # the comparison video vs ffmpeg hstack, report size
    python benchmarks/run_all.py clips        # real clips: 1,800-frame departure, 1080p sweep, 720p report

Each ``benchmarks/bench_*.py`` exposes ``main() -> dict[str, float]``; figures are measured in one run, on
this machine, and compared with each other (ratios), never with a fixed number of seconds elsewhere.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def main(words: list[str]) -> int:
    rows: list[tuple[str, str, str]] = []
    failed = 0
    for path in sorted(HERE.glob("bench_*.py")):
        if words and not any(w in path.stem for w in words):
            continue
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            figures = _load(path).main()
        except Exception as exc:  # one broken benchmark must not hide the others
            failed += 1
            rows.append((path.stem, "FAILED", f"{type(exc).__name__}: {exc}"))
            continue
        for name, value in figures.items():
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            rows.append((path.stem, name, shown))
        print(f"  {path.name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    width = max((len(r[1]) for r in rows), default=10)
    print(f"\n{'benchmark':<18} {'figure':<{width}}  value")
    print(f"{'-' * 18} {'-' * width}  {'-' * 12}")
    for bench, name, value in rows:
        print(f"{bench:<18} {name:<{width}}  {value}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
