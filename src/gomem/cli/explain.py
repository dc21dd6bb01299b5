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
@click.option("--predict", "with_model", is_flag=True,
              help="Also replay the recording through the model under each lever's settings (as `gomem whatif`).")
def command(run: str, as_json: bool, process: int | None, with_model: bool) -> None:
    """Explain the peak memory of RUN: a gctrace log, a MemStats dump, a `gomem run`
    directory or a saved Timeline."""
    tl = load_run(run)
    e = explain_timeline(tl, process=None if process is None else process - 1)
    modelled = lever_predictions(tl, e) if with_model else {}
    if as_json:
        d = e.to_dict()
        d["source"] = run
        for lv in d["levers"]:
            if lv["setting"] in modelled:
                lv["model"] = modelled[lv["setting"]]
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
    if with_model:
        if "error" in modelled:
            con.print(f"[dim]the levers were not replayed: {modelled['error']}[/dim]")
            return
        t = Table(title="the levers, replayed through the model (gomem whatif)", show_edge=False)
        for c, j in (("lever", "left"), ("formula peak", "right"), ("model: peak memory", "right"),
                     ("model: GC cycles", "right"), ("model: GC CPU", "right")):
            t.add_column(c, justify=j, no_wrap=(j == "left"))
        for lv in e.levers:
            m = modelled.get(lv.setting)
            if not m:
                continue
            peak = m.get("peak_memory_bytes")
            if peak is None or not math.isfinite(peak):
                peak = m.get("peak_heap_bytes")
            t.add_row(lv.setting, mb(lv.peak_bytes) if lv.peak_bytes is not None else "-", mb(peak),
                      f"{m.get('num_gc', math.nan):.0f}", f"{100 * m.get('gc_cpu_fraction', math.nan):.2f}%")
        con.print(t)


def _lever_settings(setting: str):
    """The runtime settings a lever's text names (GOGC=N, GOMEMLIMIT=SIZE, GODEBUG=madvdontneed=1)."""
    from ..tuning.whatif import Settings
    from ..units import parse_size

    kw = {}
    for word in setting.split():
        k, _, v = word.partition("=")
        if k == "GOGC":
            kw["gogc"] = None if v == "off" else int(v)
        elif k == "GOMEMLIMIT":
            kw["memory_limit_bytes"] = parse_size(v)
        elif k == "GODEBUG" and "madvdontneed=1" in v:
            kw["madvdontneed"] = True
    return Settings(**kw) if kw else None


def lever_predictions(tl, e) -> dict:
    """``setting -> predicted figures`` for the levers that are runtime settings."""
    from ..errors import GomemError
    from ..tuning.whatif import predict, prepare

    try:
        wl, ident, _ = prepare(tl)
    except GomemError as err:
        return {"error": str(err)}
    out = {}
    for lv in e.levers:
        s = _lever_settings(lv.setting)
        if s is None:
            continue
        p = predict(tl, s, workload=wl, identity=ident)
        out[lv.setting] = {k: p.figures.get(k) for k in ("peak_memory_bytes", "peak_heap_bytes", "peak_rss_bytes",
                                                          "num_gc", "gc_cpu_fraction")}
    return out
