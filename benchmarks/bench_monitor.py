#!/usr/bin/env python3
"""What sampling costs: gomem's own CPU time while it monitors a sleeping process.

Target: sampling at 100 Hz costs under 1% of one core (the verdict: the sleeping ``sleep``
row; the other rows show how it scales with the rate and with a big Go process, whose PSS
reads cost about 1 ms each and are held to 0.1% of a core).

The monitor runs in this process (``gomem.monitor.runner.run``, the code behind ``gomem run``)
so the CPU time measured (``time.process_time``: all of gomem's threads, user + system,
including the kernel's work for our /proc reads) is the sampling and recording alone, not
Python's start-up. Two children: ``sleep`` (tiny) and a Go program holding 200 MiB resident
(tests/goprogs/hold.go), where reading PSS from smaps_rollup costs about 1 ms a read. The last
rows run the whole CLI (``gomem run``) and count its start-up too (rusage of the child).

    .venv/bin/python benchmarks/bench_monitor.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import io
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from gomem import toolchains
from gomem.monitor.runner import RunConfig, run

REPO = Path(__file__).resolve().parents[1]
TARGET_PERCENT = 1.0


def build_hold(tmp: Path) -> Path:
    src = tmp / "hold"
    src.mkdir()
    (src / "go.mod").write_text("module prog\n\ngo 1.19\n")
    (src / "main.go").write_text((REPO / "tests/goprogs/hold.go").read_text())
    return toolchains.build(toolchains.require_go("1.27"), src, src / "hold")


def in_process(cmd: list[str], hz: float, out: Path) -> dict:
    sink = io.BytesIO()
    c0 = time.process_time()
    w0 = time.monotonic()
    res = run(RunConfig(cmd=cmd, out_dir=out, hz=hz, stdout=sink, stderr=sink, forward_signals=False))
    cpu = time.process_time() - c0
    wall = time.monotonic() - w0
    s = res.summary
    pss_reads = sum(1 for line in (out / "rss.csv").read_text().splitlines()[1:] if line.split(",")[2])
    return {"wall": wall, "cpu": cpu, "samples": s["samples"], "pss_reads": pss_reads,
            "peak": s["peak_rss_bytes"], "skipped": s["skipped_samples"]}


def whole_cli(cmd: list[str], hz: float, out: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.monotonic()
    subprocess.run([sys.executable, "-m", "gomem.cli.main", "run", "--quiet-gc", "--out", str(out),
                    "--hz", str(hz), "--", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.monotonic() - w0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    import json

    s = json.loads((out / "summary.json").read_text())
    return {"wall": wall, "cpu": cpu, "samples": s["samples"], "pss_reads": None, "peak": s["peak_rss_bytes"],
            "skipped": s["skipped_samples"]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()
    secs = a.seconds
    t = Table(title=f"gomem's own CPU while monitoring a sleeping process for {secs:g} s")
    for col in ("child", "how", "hz", "samples", "PSS reads", "skipped", "peak RSS MiB", "CPU s",
                "% of one core", "µs/sample"):
        t.add_column(col, justify="right" if col not in ("child", "how") else "left")
    verdict = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        hold = build_hold(tmp)
        in_process(["true"], 100, tmp / "warmup")  # imports are start-up, not sampling
        runs = [
            ("sleep", ["sleep", f"{secs:g}"], 100, in_process),
            ("sleep", ["sleep", f"{secs:g}"], 50, in_process),
            ("sleep", ["sleep", f"{secs:g}"], 200, in_process),
            ("go, 200 MiB held", [str(hold), "200", str(int(secs * 1000))], 100, in_process),
            ("sleep", ["sleep", f"{secs:g}"], 100, whole_cli),
        ]
        for i, (name, cmd, hz, how) in enumerate(runs):
            r = how(cmd, hz, tmp / f"run{i}")
            pct = 100.0 * r["cpu"] / r["wall"]
            per = 1e6 * r["cpu"] / max(1, r["samples"])
            label = "in process" if how is in_process else "whole CLI (with start-up)"
            t.add_row(name, label, f"{hz:g}", str(r["samples"]), "-" if r["pss_reads"] is None else str(r["pss_reads"]),
                      str(r["skipped"]), f"{r['peak'] / 2**20:.1f}", f"{r['cpu']:.3f}", f"{pct:.2f}", f"{per:.0f}")
            if how is in_process and hz == 100 and name == "sleep":
                verdict.append((name, pct))
    con = Console(width=150)
    con.print(t)
    ok = True
    for name, pct in verdict:
        good = pct < TARGET_PERCENT
        ok &= good
        con.print(f"100 Hz sampling of {name}: {pct:.2f}% of one core "
                  f"(target < {TARGET_PERCENT:g}%): {'PASS' if good else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
