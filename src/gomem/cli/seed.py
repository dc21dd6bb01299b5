"""``gomem seed``: the scenario that started gomem, end to end (the main job of scripts/run.sh).

A Go 1.15 program keeps two 1 GiB slices live while it replaces one, peaks at 4 GiB and gets
OOM-killed when two copies run on an 8 GB box (../shared/reference/seed-scenario.md). This
command reproduces its output on the model, explains it, and shows what each lever would do."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..analysis import explain
from ..errors import InputError
from ..model import RuntimeConfig
from ..timeline import Timeline, json_default
from ..toolchains import REPO_ROOT
from ..units import GiB, MiB
from ..workloads import run as run_workload

EXAMPLES = REPO_ROOT / "examples"
SEED_TEXT = REPO_ROOT.parent / "shared" / "reference" / "seed.txt"

#: (label, workload file, GOGC, GOMEMLIMIT)
LEVERS = (
    ("GOGC=100 (as written)", "seed.py", 100, None),
    ("GOGC=50", "seed.py", 50, None),
    ("GOMEMLIMIT=3GiB", "seed.py", 100, 3 * GiB),
    ("GOGC=off+GOMEMLIMIT=3GiB", "seed.py", None, 3 * GiB),
    ("a = nil before make", "seedfix.py", 100, None),
)


def _peak_memory(tl: Timeline) -> int:
    """Peak of Sys − HeapReleased: what the runtime holds from the OS (what GOMEMLIMIT limits)."""
    ms = tl["memstats"]
    ok = ms.valid("sys_bytes") & ms.valid("heap_released_bytes")
    if not ok.any():
        return 0
    return int((ms["sys_bytes"][ok] - ms["heap_released_bytes"][ok]).max())


def _workload(name: str) -> Path:
    p = EXAMPLES / name
    if not p.is_file():
        raise InputError("the seed's example workload is missing (run from a gomem checkout)", path=str(p))
    return p


@click.command("seed")
@click.option("--go", "go_version", default="1.27", show_default=True,
              help="Go version for the comparison of levers.")
@click.option("--json", "as_json", is_flag=True, help="The levers' predictions as one JSON object.")
def command(go_version: str, as_json: bool) -> int:
    """Run the seed scenario: the seed's program on Go 1.15 (its exact output), the verdict,
    and what GOGC, GOMEMLIMIT and dropping the old slice would do to the peak."""
    con = Console(highlight=False)
    rows = []
    for label, wl, gogc, limit in LEVERS:
        cfg = RuntimeConfig(go=go_version, gogc=gogc, memory_limit_bytes=limit, gomaxprocs=2)
        res = run_workload(_workload(wl), cfg)
        rows.append({
            "lever": label, "go": go_version, "gogc": gogc, "memory_limit_bytes": limit,
            "peak_heap_bytes": res.summary["peak_heap_retained_bytes"],
            "peak_memory_bytes": _peak_memory(res.timeline),
            "peak_rss_bytes": res.summary["peak_rss_bytes"],
            "num_gc": res.summary["num_gc"],
            "gc_cpu_fraction": res.summary["gc_cpu_fraction"],
        })
    if as_json:
        click.echo(json.dumps({"levers": rows}, indent=1, default=json_default))
        return 0

    con.rule("[bold]1. The seed's program on Go 1.15.5, 8 P, GODEBUG=gctrace=1 (simulated)")
    cfg = RuntimeConfig(go="1.15", gogc=100, gomaxprocs=8, godebug="gctrace=1", env={"GODEBUG": "gctrace=1"})
    res = run_workload(_workload("seed.py"), cfg)
    for _stream, text in res.output:
        sys.stdout.write(text)
    sys.stdout.flush()

    con.rule("[bold]2. Is it a leak?")
    if SEED_TEXT.is_file():
        from ..traces import read
        tl = read([str(SEED_TEXT)])
        con.print(f"(explaining the real output in {SEED_TEXT})")
    else:
        tl = res.timeline
        con.print("(explaining the simulated run)")
    click.echo(explain(tl).text)

    con.rule(f"[bold]3. What would cut the peak (Go {go_version}, 2 P, model)")
    t = Table(show_edge=False)
    for col, justify in (("setting", "left"), ("heap MiB", "right"), ("memory MiB", "right"),
                         ("RSS MiB", "right"), ("GCs", "right"), ("GC CPU", "right")):
        t.add_column(col, justify=justify, no_wrap=True)
    for r in rows:
        t.add_row(r["lever"], f"{r['peak_heap_bytes'] / MiB:.0f}", f"{r['peak_memory_bytes'] / MiB:.0f}",
                  f"{r['peak_rss_bytes'] / MiB:.0f}", str(r["num_gc"]), f"{100 * r['gc_cpu_fraction']:.2f}%")
    con.print(t)
    con.print("peaks: heap = HeapSys − HeapReleased; memory = Sys − HeapReleased (what GOMEMLIMIT limits); "
              "RSS counts only pages the program wrote.\nNext: record a real program with "
              "`gomem run -- ./prog`, then `gomem explain DIR`, `gomem whatif DIR --memlimit 3GiB`, `gomem report DIR`.")
    return 0
