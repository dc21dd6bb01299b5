#!/usr/bin/env python3
"""Run every benchmark (benchmarks/bench_*.py) and print their tables.

    .venv/bin/python benchmarks/run.py            # all
    .venv/bin/python benchmarks/run.py model parse  # those whose name contains a word

Each bench_*.py is a standalone script printing its own table; this runner runs them one at a
time (so they do not disturb each other's timings) and prints a closing summary."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    benches = sorted(HERE.glob("bench_*.py"))
    if argv:
        benches = [b for b in benches if any(w in b.stem for w in argv)]
    results = []
    for b in benches:
        print(f"\n=== {b.stem} " + "=" * max(0, 60 - len(b.stem)), flush=True)
        t0 = time.monotonic()
        rc = subprocess.call([sys.executable, str(b)])
        results.append((b.stem, rc, time.monotonic() - t0))
    print("\n=== summary")
    for name, rc, dt in results:
        print(f"{name:30s} {'ok' if rc == 0 else f'FAILED ({rc})':12s} {dt:7.1f} s")
    return 0 if all(rc == 0 for _, rc, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
