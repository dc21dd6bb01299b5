"""``gomem sim WORKLOAD.py``: run a workload program on the model of a Go runtime. The
workload's output goes to stdout, the runtime's (gctrace, scavtrace) to stderr, as a real Go
program's would. GOGC, GOMEMLIMIT, GODEBUG and GOMAXPROCS in the environment are the defaults
of the matching options, as the Go runtime reads them."""

from __future__ import annotations

import json
import os
import sys

import click

from ..errors import UsageError
from ._options import parse_gogc, parse_limit


@click.command("sim")
@click.argument("workload", type=click.Path(dir_okay=False))
@click.option("--go", "go_version", default=None, metavar="VERSION",
              help="Go version to model: 1.15 .. 1.27 (default 1.27).")
@click.option("--gogc", default=None, metavar="N|off", help="GOGC (default: $GOGC or 100).")
@click.option("--memlimit", default=None, metavar="SIZE",
              help="GOMEMLIMIT, e.g. 3GiB (default: $GOMEMLIMIT or none; Go 1.19+).")
@click.option("--godebug", default=None, metavar="LIST",
              help="GODEBUG, e.g. gctrace=1,madvdontneed=1,scavtrace=1 (default: $GODEBUG).")
@click.option("--gomaxprocs", default=None, type=int, metavar="N", help="GOMAXPROCS (default: $GOMAXPROCS or 2).")
@click.option("--timeline", "timeline_path", default=None, type=click.Path(dir_okay=False),
              help="Save the run's Timeline (.npz) here.")
@click.option("--summary", is_flag=True, help="Print peak figures (JSON) on stderr at the end.")
def command(workload, go_version, gogc, memlimit, godebug, gomaxprocs, timeline_path, summary):
    """Simulate WORKLOAD.py (a file defining `def main(go):`) on the model of a Go runtime."""
    from ..model import RuntimeConfig
    from ..model.profiles import profile_for
    from ..workloads import load, run_program

    env = os.environ
    go_version = go_version or "1.27"
    try:
        prof = profile_for(go_version)
    except ValueError as e:
        raise UsageError(f"--go: {e}") from None
    gogc_v = parse_gogc(gogc if gogc is not None else env.get("GOGC", "100") or "100")
    lim_text = memlimit if memlimit is not None else env.get("GOMEMLIMIT")
    lim_v = parse_limit(lim_text) if lim_text else None
    godebug_v = godebug if godebug is not None else env.get("GODEBUG", "")
    if gomaxprocs is None:
        try:
            gomaxprocs = int(env.get("GOMAXPROCS", "2") or "2")
        except ValueError:
            raise UsageError(f"GOMAXPROCS {env.get('GOMAXPROCS')!r}: expected a positive integer") from None
    if gomaxprocs < 1:
        raise UsageError(f"--gomaxprocs {gomaxprocs}: expected a positive integer")
    if prof.note:
        click.echo(f"gomem: {prof.note}", err=True)
    if lim_v is not None and not prof.memory_limit:
        click.echo(f"gomem: Go {prof.version} has no memory limit (GOMEMLIMIT came in Go 1.19): ignored", err=True)
    prog_env = {"GODEBUG": godebug_v}
    if gogc is not None or "GOGC" in env:
        prog_env["GOGC"] = gogc if gogc is not None else env["GOGC"]
    if lim_text:
        prog_env["GOMEMLIMIT"] = lim_text
    cfg = RuntimeConfig(go=go_version, gogc=gogc_v, memory_limit_bytes=lim_v, gomaxprocs=gomaxprocs,
                        godebug=godebug_v, env=prog_env)
    program = load(workload)
    res = run_program(program, cfg, path=workload)
    out, err = sys.stdout, sys.stderr
    for stream, text in res.output:
        f = out if stream == "stdout" else err
        f.write(text)
        f.flush()
    if timeline_path:
        res.timeline.meta["cmd"] = ["gomem", "sim", workload]
        res.timeline.save(timeline_path)
    if summary:
        click.echo(json.dumps(res.summary, indent=1), err=True)
    return 0
