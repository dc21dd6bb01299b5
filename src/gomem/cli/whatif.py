"""``gomem whatif RUN [settings]``: replay a recorded run through the model under other
settings; predicted figures beside the recorded ones."""

from __future__ import annotations

import json
import math
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ..errors import UsageError
from ..timeline import json_default
from ..units import format_size
from ._input import load_run
from ._options import parse_gogc as _parse_gogc, parse_limit as _parse_limit


def parse_gogc(text: str | None) -> Any:
    """``off`` → None (GOGC=off), an integer ≥ 0 → that integer; ``...`` when not given."""
    return ... if text is None else _parse_gogc(text, "--gogc")


def parse_limit(text: str | None, opt: str) -> Any:
    """A size for ``opt``; ``...`` when not given."""
    return ... if text is None else _parse_limit(text, opt)


def settings_from_options(gogc: str | None, memlimit: str | None, madvdontneed: bool, free_os_every: float | None,
                          gomaxprocs: int | None, go: str | None, container_limit: str | None):
    from ..tuning.whatif import Settings

    cl = parse_limit(container_limit, "--container-limit")
    if free_os_every is not None and free_os_every <= 0:
        raise UsageError("--free-os-every: expected a positive number of seconds")
    if gomaxprocs is not None and gomaxprocs < 1:
        raise UsageError("--gomaxprocs: expected at least 1")
    return Settings(gogc=parse_gogc(gogc), memory_limit_bytes=parse_limit(memlimit, "--memlimit"),
                    gomaxprocs=... if gomaxprocs is None else gomaxprocs,
                    go=... if go is None else go.removeprefix("go"),
                    madvdontneed=True if madvdontneed else ..., free_os_every_s=free_os_every,
                    container_limit_bytes=None if cl is ... else cl)


def settings_options(f):
    for opt in reversed([
        click.option("--gogc", metavar="N|off", help="GOGC to predict under."),
        click.option("--memlimit", metavar="SIZE", help="GOMEMLIMIT to predict under (bytes, or KiB/MiB/GiB/TiB; off)."),
        click.option("--madvdontneed", is_flag=True, help="GODEBUG=madvdontneed=1 (RSS drops as soon as memory is released)."),
        click.option("--free-os-every", type=float, metavar="S", help="Call debug.FreeOSMemory() every S seconds."),
        click.option("--gomaxprocs", type=int, metavar="N", help="GOMAXPROCS."),
        click.option("--go", "go", metavar="VERSION", help="Go version of the model (1.15, 1.19, 1.21, 1.27...)."),
        click.option("--container-limit", metavar="SIZE", help="A container (cgroup) memory limit: the risk of reaching it."),
    ]):
        f = opt(f)
    return f


ROWS = (("peak_memory_bytes", "peak memory (Sys − HeapReleased)"), ("peak_heap_bytes", "peak heap (HeapSys − HeapReleased)"),
        ("peak_heap_alloc_bytes", "peak heap in use (HeapAlloc, gctrace)"),
        ("peak_rss_bytes", "peak RSS"), ("num_gc", "GC cycles"), ("gc_cpu_fraction", "GC CPU"))


def fmt(key: str, v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "-"
    if key == "num_gc":
        return f"{v:.0f}"
    if key == "gc_cpu_fraction":
        return f"{100 * v:.2f}%"
    return format_size(v)


def render(con: Console, pred, title: str) -> None:
    t = Table(title=title, show_edge=False)
    t.add_column("", no_wrap=True)
    t.add_column("recorded", justify="right")
    t.add_column("model, same settings", justify="right")
    t.add_column(f"predicted: {pred.settings.label()}", justify="right", style="bold")
    for k, name in ROWS:
        t.add_row(name, fmt(k, pred.recorded.get(k)), fmt(k, pred.identity.get(k)), fmt(k, pred.figures.get(k)))
    con.print(t)
    if pred.risk:
        r = pred.risk
        if r.get("level") == "unknown":
            con.print(f"container limit {format_size(r['container_limit_bytes'])}: risk unknown")
        else:
            con.print(f"container limit {format_size(r['container_limit_bytes'])}: predicted peak is "
                      f"{100 * r['fraction_of_limit']:.0f}% of it (margin {format_size(r['margin_bytes'])}) → "
                      f"risk [bold]{r['level']}[/bold]")
    for n in pred.notes:
        con.print(f"[dim]note: {n}[/dim]")


@click.command("whatif")
@click.argument("run", metavar="RUN")
@settings_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def command(run: str, gogc, memlimit, madvdontneed, free_os_every, gomaxprocs, go, container_limit, as_json) -> None:
    """Predict RUN's peak memory, GC count and GC CPU under other settings (the recording's
    workload, replayed through the model)."""
    from ..tuning.whatif import predict

    s = settings_from_options(gogc, memlimit, madvdontneed, free_os_every, gomaxprocs, go, container_limit)
    tl = load_run(run)
    pred = predict(tl, s)
    if as_json:
        d = pred.to_dict()
        d["source"] = run
        click.echo(json.dumps(d, indent=1, default=json_default))
        return
    render(Console(highlight=False, width=max(Console().width, 110)), pred, f"what if: {run} (model of Go {pred.settings.go})")
