"""``gomem explain RUN``: is the peak a leak, GC headroom, idle memory, released memory or
non-heap memory — and what would lower it."""

from __future__ import annotations

import json
import math

import click
from rich.console import Console
from rich.table import Table

from ..analysis import explain as explain_timeline
from ..analysis.series import mb
from ..timeline import json_default
from ._input import load_run

PARTS = (("live_heap_bytes", "live heap"), ("gc_headroom_bytes", "GC headroom (goal − live)"),
         ("idle_held_bytes", "idle but held (HeapIdle − HeapReleased)"),
         ("released_in_rss_bytes", "released, still in RSS (MADV_FREE)"),
         ("non_heap_bytes", "non-heap (stacks, metadata, unexplained RSS)"))


@click.command("explain")
@click.argument("run", metavar="RUN")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (verdict, text, peak, levers, trend).")
@click.option("--process", type=int, default=None,
              help="Explain this process (1-based, in order of appearance) instead of the largest.")
def command(run: str, as_json: bool, process: int | None) -> None:
    """Explain the peak memory of RUN: a gctrace log, a MemStats dump, a `gomem run`
    directory or a saved Timeline."""
    tl = load_run(run)
    e = explain_timeline(tl, process=None if process is None else process - 1)
    if as_json:
        d = e.to_dict()
        d["source"] = run
        click.echo(json.dumps(d, indent=1, default=json_default))
        return
    con = Console(highlight=False)
    con.print(f"[bold]verdict: {e.verdict}[/bold]")
    click.echo(e.text)
    total = e.peak.get("total_bytes", math.nan)
    if math.isfinite(total) and total > 0:
        t = Table(title="the peak, part by part", show_edge=False)
        t.add_column("part")
        t.add_column("MB", justify="right")
        t.add_column("share", justify="right")
        for k, name in PARTS:
            v = e.peak.get(k, 0.0)
            t.add_row(name, mb(v).removesuffix(" MB"), f"{100 * v / total:.0f}%")
        t.add_row("[bold]total[/bold]", f"[bold]{mb(total).removesuffix(' MB')}[/bold]", "100%")
        con.print(t)
