"""``gomem tune RUN --target SIZE``: the GOGC / GOMEMLIMIT settings that keep the predicted
peak under the target at the least GC CPU."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import UsageError
from ..timeline import json_default
from ..units import format_size
from ._input import load_run
from .whatif import parse_limit


@click.command("tune")
@click.argument("run", metavar="RUN")
@click.option("--target", required=True, metavar="SIZE", help="Peak memory to stay under (e.g. 3GiB).")
@click.option("--max-gc-cpu", type=float, metavar="F", help="Largest acceptable GC CPU fraction (e.g. 0.05).")
@click.option("--margin", type=float, default=0.05, show_default=True, metavar="F",
              help="Keep the predicted peak this fraction under the target (the prediction's error).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the best settings and every candidate.")
def command(run: str, target: str, max_gc_cpu: float | None, margin: float, as_json: bool) -> None:
    """Search GOGC, GOMEMLIMIT and both for RUN's workload: keep the predicted peak under
    --target with the least GC CPU."""
    from ..tuning.tune import tune

    tgt = parse_limit(target, "--target")
    if tgt is None or tgt is ...:
        raise UsageError("--target: expected a size such as 3GiB")
    if max_gc_cpu is not None and not (0 < max_gc_cpu <= 1):
        raise UsageError("--max-gc-cpu: expected a fraction between 0 and 1 (e.g. 0.05 for 5%)")
    if not (0 <= margin < 1):
        raise UsageError("--margin: expected a fraction between 0 and 1 (e.g. 0.05)")
    tl = load_run(run)
    con = Console(stderr=True, highlight=False)
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=con, transient=True, disable=as_json) as prog:
        task = prog.add_task("replaying the workload", total=None)

        def step(i: int, n: int, s) -> None:
            prog.update(task, total=n, completed=i,
                        description=f"replaying: {s.label()}" if s is not None else "done")

        cands = tune(tl, tgt, max_gc_cpu, margin=margin, progress=step)
    best = next((c for c in cands if c.feasible), None)
    if as_json:
        click.echo(json.dumps({"source": run, "target_bytes": tgt, "max_gc_cpu": max_gc_cpu, "margin": margin,
                               "best": best.to_dict() if best else None,
                               "recorded": cands[0].prediction.recorded if cands else {},
                               "fidelity": cands[0].prediction.to_dict()["fidelity"] if cands else {},
                               "candidates": [c.to_dict() for c in cands]}, indent=1, default=json_default))
        return
    out = Console(highlight=False, width=max(Console().width, 100))
    t = Table(title=f"settings for a peak under {format_size(tgt)}"
              + (f" and GC CPU under {100 * max_gc_cpu:.1f}%" if max_gc_cpu else ""), show_edge=False)
    for col, just in (("settings", "left"), ("peak", "right"), ("GC CPU", "right"), ("GCs", "right"), ("", "left")):
        t.add_column(col, justify=just, no_wrap=True)
    for c in cands:
        style = "bold green" if c is best else ("" if c.feasible else "dim")
        t.add_row(c.settings.label(), format_size(c.peak_bytes), f"{100 * c.gc_cpu_fraction:.2f}%",
                  f"{c.prediction.figures.get('num_gc', 0):.0f}", c.why, style=style)
    out.print(t)
    fid = cands[0].prediction.fidelity if cands else {}
    if fid.get("faithful") is False:
        out.print(f"[yellow]note:[/yellow] {cands[0].prediction.notes[0]}")
    if cands and cands[0].prediction.gc_cpu_rough_note:
        out.print(f"[yellow]note:[/yellow] {cands[0].prediction.gc_cpu_rough_note}")
    if best:
        out.print(f"best: [bold]{best.settings.label()}[/bold] → peak about {format_size(best.peak_bytes)}, "
                  f"GC CPU about {100 * best.gc_cpu_fraction:.2f}%")
    else:
        out.print("[bold red]no setting keeps the predicted peak under the target[/bold red]: the live heap plus "
                  "non-heap memory is too large; only holding less data helps (see `gomem explain`).")
