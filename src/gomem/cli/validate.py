"""``gomem validate``: the model against real Go runs, side by side.

For every recorded real run (``corpus/go<ver>/<workload>/<setting>/``, by default the project's
``corpus/``; ``--corpus ../shared/corpus`` for the shared one, repeatable) it simulates the
mirror workload (gomem.validation.workloads) with the run's Go version, GOGC, GOMEMLIMIT and
GOMAXPROCS and prints peak HeapSys, peak HeapSys-HeapReleased, NumGC and final HeapReleased,
model vs real, with errors and pass/fail against issue 2's targets (heap 5%, NumGC 15%).
``--record`` first re-records the real runs with the installed toolchains.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ..errors import UsageError
from ..toolchains import REPO_ROOT, available
from ..units import MiB
from ..validation import compare
from ..validation.record import WORKLOADS, SETTINGS, record

DEFAULT_CORPUS = REPO_ROOT / "corpus"


def _split(values: tuple[str, ...]) -> list[str]:
    return [x.strip() for v in values for x in v.split(",") if x.strip()]


def _err_cell(err: float | None, ok: bool | None) -> str:
    if err is None:
        return "-"
    txt = "inf" if math.isinf(err) else f"{err * 100:+.1f}%"
    return f"[green]{txt}[/]" if ok else f"[red]{txt}[/]"


def render(rows: list[compare.Row], summary: dict, console: Console) -> None:
    t = Table(title="gomem validate: model vs real Go (MiB; Retained = HeapSys-HeapReleased; err = (model-real)/real)", show_lines=False,
              header_style="bold", pad_edge=False)
    for name, just in [("corpus", "left"), ("go", "left"), ("workload", "left"), ("setting", "left")]:
        t.add_column(name, justify=just, no_wrap=True)
    for label in ("HeapSys peak", "Retained peak", "NumGC", "Released end"):
        t.add_column(f"{label}\nreal", justify="right", no_wrap=True)
        t.add_column("model", justify="right", no_wrap=True)
        t.add_column("err", justify="right", no_wrap=True)
    t.add_column("ok", justify="center", no_wrap=True)
    prev = None
    for r in rows:
        group = (r.run.corpus, r.run.go, r.run.workload)
        if prev is not None and group != prev:
            t.add_section()
        prev = group
        cells = [r.run.corpus, r.run.go, r.run.workload, r.run.setting]
        for k in compare.METRICS:
            fmt = (lambda v: "-" if v is None else str(v)) if k == "num_gc" else compare.fmt_mib
            cells += [fmt(r.real[k]), fmt(r.model[k]) if r.model else "-",
                      _err_cell(r.errors.get(k), r.ok.get(k))]
        cells.append("[green]pass[/]" if r.passed else ("[red]FAIL[/]" if r.model else "[yellow]n/a[/]"))
        t.add_row(*cells)
    console.print(t)
    n, s = summary["runs"], summary["simulated"]
    console.print(
        f"[bold]{summary['all_within_target']} of {n} runs within all targets[/] ({s} simulated); "
        f"peak HeapSys within 5%: {summary['peak_heap_sys_within_target']}/{n}, "
        f"peak HeapSys-HeapReleased within 5%: {summary['peak_heap_retained_within_target']}/{n}, "
        f"NumGC within 15% (or ±1): {summary['num_gc_within_target']}/{n}, "
        f"final HeapReleased within 5% of peak HeapSys: {summary['final_heap_released_within_target']}/{n}"
        + (f"; median |heap error| {summary['median_abs_heap_error'] * 100:.1f}%" if "median_abs_heap_error" in summary else ""))
    misses = []
    for r in rows:
        for k in compare.METRICS:
            if r.model is not None and not r.ok.get(k) and k != "final_heap_released":
                misses.append((abs(r.errors[k]), r, k))
    if misses:
        misses.sort(key=lambda m: -m[0] if not math.isinf(m[0]) else -1e9)
        console.print("Largest misses (peaks and NumGC):")
        for err, r, k in misses[:10]:
            fmt = str if k == "num_gc" else (lambda v: f"{v / MiB:.0f} MiB")
            console.print(f"  {r.run.corpus}/{r.run.key}: {k} real {fmt(r.real[k])}, model {fmt(r.model[k])} "
                          f"({r.errors[k] * 100:+.0f}%)")
    problems = [r for r in rows if r.problem]
    if problems:
        console.print(f"[yellow]{len(problems)} runs not simulated:[/]")
        seen = set()
        for r in problems:
            if r.problem not in seen:
                seen.add(r.problem)
                console.print(f"  {r.run.key} ({r.run.corpus}): {r.problem}")


HELP = """Compare the model with real Go runs, side by side.

For every recorded real run (corpus/go<ver>/<workload>/<setting>/; by default the project's
corpus/, --corpus ../shared/corpus for the shared one, repeatable) simulate the same workload
(gomem.validation.workloads mirrors each Go program) with the run's Go version, GOGC,
GOMEMLIMIT and GOMAXPROCS, and print peak HeapSys, peak HeapSys-HeapReleased, NumGC and final
HeapReleased, model vs real, with errors and pass/fail against the targets: heap figures within
5%, NumGC within 15% (or one GC), final HeapReleased within 5% of the run's peak HeapSys.

\b
  gomem validate                                  # the project's corpus, every run
  gomem validate --go 1.27 --workload service     # a selection
  gomem validate --corpus ../shared/corpus        # the shared corpus
  gomem validate --record --go 1.27               # re-record with the real toolchain first
"""


@click.command("validate", help=HELP)
@click.option("--go", "gos", multiple=True, help="Go versions, comma-separated (default: all recorded).")
@click.option("--workload", "workloads", multiple=True, help="Workloads, comma-separated (default: all).")
@click.option("--setting", "settings", multiple=True,
              help=f"Settings, comma-separated: {', '.join(SETTINGS)} (default: all).")
@click.option("--corpus", "corpora", multiple=True, type=click.Path(path_type=Path),
              help="A corpus directory of real runs (repeatable). Default: the project's corpus/.")
@click.option("--record", "do_record", is_flag=True,
              help="Re-record the real runs (installed toolchains) into the first --corpus before comparing.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: rows, summary, targets.")
def command(gos, workloads, settings, corpora, do_record, as_json):
    gos, workloads, settings = _split(gos), _split(workloads), _split(settings)
    corpora = list(corpora) or [DEFAULT_CORPUS]
    err = Console(stderr=True)
    if do_record:
        target = corpora[0]
        if (target / "run_corpus.py").exists():
            raise UsageError(f"{target} is the shared corpus: --record writes the project's corpus layout; "
                             "give a different --corpus")
        rec_gos = gos or list(available())
        if not rec_gos:
            raise UsageError("no Go toolchain is installed: run scripts/setup.sh --full")
        rec_wls = [w for w in workloads if w in WORKLOADS] or None
        n_runs = sum(len([s for s in (settings or WORKLOADS[w].settings) if s in WORKLOADS[w].settings])
                     for w in (rec_wls or [w for w in WORKLOADS if w != "seed1g"])) * len(rec_gos)
        with Progress(console=err, transient=True) as prog:
            task = prog.add_task("recording real runs", total=n_runs)
            record(target, rec_gos, rec_wls, settings or None,
                   progress=lambda sm: prog.update(task, advance=1, description=f"{sm['go_full_version']} {sm['workload']} {sm['setting']}"))
    runs = []
    for c in corpora:
        runs += compare.find_runs(c, gos or None, workloads or None, settings or None)
    if not runs:
        raise UsageError(f"no recorded runs match in {', '.join(map(str, corpora))} "
                         "(expected go<version>/<workload>/<setting>/ with summary.json and memstats.jsonl; "
                         "--record records them)")
    rows = []
    with Progress(console=err, transient=True, disable=not err.is_terminal) as prog:
        task = prog.add_task("simulating", total=len(runs))
        for run in runs:
            prog.update(task, description=f"simulating {run.key}")
            rows.append(compare.compare_run(run))
            prog.advance(task)
    summary = compare.summarize(rows)
    repeats = [rr for c in corpora for rr in compare.repeat_rows(c, gos or None, workloads or None, settings or None)]
    if as_json:
        click.echo(json.dumps({"rows": [r.to_dict() for r in rows], "summary": summary,
                               "repeat_rows": [r.to_dict() for r in repeats],
                               "targets": {"heap": compare.HEAP_TARGET, "num_gc": compare.NUM_GC_TARGET,
                                           "num_gc_abs_tolerance": 1,
                                           "final_heap_released": "5% of real peak HeapSys"}}, indent=1))
        return 0
    width = shutil.get_terminal_size((180, 40)).columns if sys.stdout.isatty() else 180
    console = Console(width=max(width, 150), highlight=False)
    render(rows, summary, console)
    if repeats:
        render_repeats(repeats, console)
    return 0


def render_repeats(repeats: list, console: Console) -> None:
    t = Table(title="The real runtime against itself: the same run recorded again (MiB; err = (again-first)/first)",
              header_style="bold", pad_edge=False)
    for name in ("go", "workload", "setting"):
        t.add_column(name, no_wrap=True)
    for label in ("HeapSys peak", "Retained peak", "NumGC", "Released end"):
        t.add_column(f"{label}\nfirst", justify="right", no_wrap=True)
        t.add_column("again", justify="right", no_wrap=True)
        t.add_column("err", justify="right", no_wrap=True)
    for r in repeats:
        cells = [r.first.go, r.first.workload, r.first.setting]
        for k in compare.METRICS:
            fmt = str if k == "num_gc" else compare.fmt_mib
            cells += [fmt(r.real[k]), fmt(r.real_again[k]), _err_cell(r.errors[k], r.ok[k])]
        t.add_row(*cells)
    console.print(t)
    n = len(repeats)
    console.print(f"[bold]Go matches itself within the same targets in {sum(r.passed for r in repeats)} of {n} "
                  f"repeated runs[/] (NumGC: {sum(bool(r.ok['num_gc']) for r in repeats)}/{n}, peak HeapSys: "
                  f"{sum(bool(r.ok['peak_heap_sys']) for r in repeats)}/{n}): where the runtime varies this much "
                  "from run to run, no model can be held closer.")
