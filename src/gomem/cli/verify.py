"""``gomem verify RUN [settings] -- CMD...``: predict RUN's workload under the settings, run the
real program with them (through the monitor's runner, as ``gomem run`` does) and print predicted
vs measured side by side."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..errors import UsageError
from ..timeline import json_default
from ..units import format_size
from ._input import load_run
from .whatif import fmt, settings_from_options, settings_options

ROWS = (("peak_rss_bytes", "peak RSS"), ("peak_heap_alloc_bytes", "peak heap in use (gctrace heap0/heap1)"),
        ("peak_memory_bytes", "peak memory (Sys − HeapReleased)"), ("num_gc", "GC cycles"),
        ("gc_cpu_fraction", "GC CPU"))


def _err(pred: float, meas: float) -> float:
    if pred is None or meas is None or not (math.isfinite(pred) and math.isfinite(meas)) or meas == 0:
        return math.nan
    return (pred - meas) / meas


@click.command("verify", context_settings={"ignore_unknown_options": False})
@click.argument("run", metavar="RUN")
@settings_options
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Run directory for the real run "
              "(default: a new temporary directory).")
@click.option("--show-output", is_flag=True, help="Pass the program's stdout/stderr through.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: predicted, measured, errors.")
@click.argument("cmd", nargs=-1, required=True, metavar="-- CMD...")
def command(run, gogc, memlimit, madvdontneed, free_os_every, gomaxprocs, go, container_limit, out_dir,
            show_output, as_json, cmd) -> None:
    """Predict RUN under the settings, then run CMD with them and compare."""
    from ..monitor.runner import RunConfig
    from ..monitor.runner import run as run_program
    from ..traces import read
    from ..tuning.whatif import figures_of, predict

    if free_os_every is not None:
        raise UsageError("--free-os-every changes the program, not its settings: it cannot be verified by a run")
    s = settings_from_options(gogc, memlimit, madvdontneed, None, gomaxprocs, go, container_limit)
    tl = load_run(run)
    pred = predict(tl, s)
    rs = pred.settings
    godebug = "madvdontneed=1" if rs.madvdontneed is True else None
    env = dict(os.environ)
    if rs.gomaxprocs:
        env["GOMAXPROCS"] = str(rs.gomaxprocs)
    out = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="gomem-verify-"))
    sink = None if show_output else open(os.devnull, "wb")
    try:
        res = run_program(RunConfig(cmd=list(cmd), out_dir=out, gogc="off" if rs.gogc is None else str(rs.gogc),
                                    memlimit=None if rs.memory_limit_bytes is None else str(rs.memory_limit_bytes),
                                    godebug=godebug, quiet_gc=not show_output, stdout=sink, stderr=sink, env=env))
    finally:
        if sink is not None:
            sink.close()
    measured = figures_of(read([str(res.out_dir)]))
    if not math.isfinite(measured.get("peak_rss_bytes", math.nan)) and res.summary.get("peak_rss_bytes"):
        measured["peak_rss_bytes"] = float(res.summary["peak_rss_bytes"])
    rows = {k: {"predicted": pred.figures.get(k), "measured": measured.get(k),
                "error": _err(pred.figures.get(k), measured.get(k))} for k, _ in ROWS}
    if as_json:
        click.echo(json.dumps({"source": run, "cmd": list(cmd), "settings": rs.to_dict(), "run_dir": str(res.out_dir),
                               "exit_status": res.exit_status, "rows": rows, "predicted": pred.to_dict(),
                               "measured": measured}, indent=1, default=lambda o: None if isinstance(o, float)
                              else json_default(o)).replace("NaN", "null"))
        return
    con = Console(highlight=False, width=max(Console().width, 110))
    t = Table(title=f"verify {rs.label()}: {' '.join(cmd)}", show_edge=False)
    t.add_column("", no_wrap=True)
    t.add_column("predicted", justify="right")
    t.add_column("measured", justify="right")
    t.add_column("error", justify="right")
    for k, name in ROWS:
        r = rows[k]
        e = r["error"]
        t.add_row(name, fmt(k, r["predicted"]), fmt(k, r["measured"]),
                  "-" if not math.isfinite(e) else f"{100 * e:+.0f}%")
    con.print(t)
    con.print(f"run directory: {res.out_dir}   exit status: {res.exit_status}")
    if pred.risk:
        con.print(f"container limit {format_size(pred.risk['container_limit_bytes'])}: predicted risk "
                  f"{pred.risk.get('level')}")
