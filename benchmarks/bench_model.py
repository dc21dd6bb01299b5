#!/usr/bin/env python3
"""Model speed: simulated seconds per wall-clock second for the examples and the corpus
workloads (target for examples/service.py: >= 30x real time), and peak Python memory.

    .venv/bin/python benchmarks/bench_model.py
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from gomem.model import RuntimeConfig, simulate  # noqa: E402
from gomem.workloads import load  # noqa: E402
from gomem.workloads.library import CORPUS  # noqa: E402

TARGET = 30.0


def measure(main, cfg, repeat=3):
    best = float("inf")
    res = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = simulate(main, cfg)
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    simulate(main, cfg)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return res, best, peak


def main() -> int:
    rows = []
    cases = [(f"examples/{n}.py", load(ROOT / "examples" / f"{n}.py"), v)
             for n in ("service", "seed", "batch", "spike", "goroutines") for v in ("1.27", "1.15")]
    cases += [(f"corpus {n}", fn, "1.27") for n, fn in CORPUS.items()]
    ok = True
    for name, fn, v in cases:
        cfg = RuntimeConfig(go=v, gomaxprocs=2, godebug="gctrace=1")
        res, wall, peak = measure(fn, cfg)
        speed = res.summary["duration_s"] / wall
        target = TARGET if name == "examples/service.py" else None
        if target and speed < target:
            ok = False
        rows.append((name, v, res.summary["duration_s"], wall, speed, res.summary["num_gc"], peak, target))
    t = Table(title="gomem model speed (best of 3)")
    for c in ("workload", "go", "simulated s", "wall s", "sim s / wall s", "GCs", "py peak MiB", "target"):
        t.add_column(c, justify="right" if c not in ("workload",) else "left")
    for name, v, sim, wall, speed, ngc, peak, target in rows:
        t.add_row(name, v, f"{sim:.1f}", f"{wall:.3f}", f"{speed:,.0f}x", str(ngc), f"{peak / 2**20:.1f}",
                  (f">= {target:.0f}x " + ("ok" if speed >= target else "MISSED")) if target else "")
    Console(width=130).print(t)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
