#!/usr/bin/env python3
"""Model vs real Go over every recorded real run: the project's corpus/ and ../shared/corpus.

    .venv/bin/python benchmarks/bench_validation.py [--record]

Prints `gomem validate`'s full table for the corpora (corpus/, its held-out variants
corpus/heldout/, and ../shared/corpus) (the command is the source of the
numbers), then a per-workload and per-setting pass rate, and the model's speed on these runs.
`--record` re-records the project's corpus first (about 20 minutes)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOMEM = [sys.executable, "-m", "gomem.cli.main"]


def main(argv: list[str]) -> int:
    corpora = [REPO / "corpus", REPO / "corpus" / "heldout", REPO.parent / "shared" / "corpus"]
    corpora = [c for c in corpora if c.is_dir()]
    args = [a for c in corpora for a in ("--corpus", str(c))]
    if "--record" in argv:
        subprocess.check_call([*GOMEM, "validate", "--record", "--corpus", str(REPO / "corpus"), "--json"],
                              stdout=subprocess.DEVNULL)
    print("$ gomem validate " + " ".join(args), flush=True)
    subprocess.call([*GOMEM, "validate", *args])
    t0 = time.perf_counter()
    data = json.loads(subprocess.check_output([*GOMEM, "validate", *args, "--json"]))
    wall = time.perf_counter() - t0
    rows = data["rows"]
    for key in ("workload", "setting", "go"):
        groups = defaultdict(list)
        for r in rows:
            groups[(r["corpus"], r[key])].append(r)
        print(f"\nby {key}: runs within all targets / runs (peak HeapSys ok, peak HeapSys-HeapReleased ok, NumGC ok, Released ok)")
        for (corpus, name), rs in sorted(groups.items()):
            ok = lambda k: sum(bool(r["within_target"].get(k)) for r in rs)
            print(f"  {corpus:8s} {name:12s} {sum(r['passed'] for r in rs):3d}/{len(rs):<3d}  "
                  f"({ok('peak_heap_sys')}, {ok('peak_heap_retained')}, {ok('num_gc')}, {ok('final_heap_released')})")
    sim = sum(r["sim_wall_s"] for r in rows)
    real = sum((r["real"].get("duration_s") or 0) for r in rows)
    print(f"\nsummary: {json.dumps(data['summary'])}")
    rep = data.get("repeat_rows", [])
    if rep:
        ok = lambda k: sum(bool(r["within_target"].get(k)) for r in rep)
        print(f"real vs real (corpus/repeat, the same run recorded twice): {sum(r['passed'] for r in rep)}/{len(rep)} "
              f"within all targets (peak HeapSys {ok('peak_heap_sys')}, peak HeapSys-HeapReleased {ok('peak_heap_retained')}, "
              f"NumGC {ok('num_gc')}, Released {ok('final_heap_released')})")
    print(f"model: {len(rows)} runs, {real:.0f} real seconds simulated in {sim:.1f} s "
          f"({real / sim if sim else float('nan'):.0f}x real time); whole command {wall:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
