"""``gomem report RUN... [--html FILE] [--png FILE] [--svg FILE]``"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import InputError, UsageError

DEFAULT_HTML = "gomem-report.html"

WHATIF_KEYS = "gogc=N|off, memlimit=SIZE|off, gomaxprocs=N, go=1.21, madvdontneed=0|1, free_os_every=SECONDS"


def read_run(path: str):
    """A Timeline from anything gomem reads (run directory, trace file, corpus directory,
    saved Timeline)."""
    from ..timeline import Timeline

    p = Path(path)
    if path != "-" and not p.exists():
        raise InputError("no such file or directory", path=path)
    if p.suffix == ".npz" and p.is_file():
        try:
            return Timeline.load(p)
        except (ValueError, OSError, KeyError) as e:
            raise InputError(f"not a gomem Timeline (.npz): {e}", path=path) from e
    try:
        from ..traces import read
    except ImportError as e:  # pragma: no cover - traces is part of gomem
        raise InputError(f"cannot read traces: {e}", path=path) from e
    return read([path])


def labels_for(paths: list[str]) -> list[str]:
    """Short distinct labels: the paths less their common leading directories."""
    parts = [Path(os.path.abspath(p)).parts[1:] or (p,) for p in paths]  # less the root "/"
    if len(parts) == 1:
        tail = parts[0][-3:] if len(parts[0]) >= 3 else parts[0]
        return ["/".join(tail)]
    common = 0
    while all(len(x) > common + 1 for x in parts) and len({x[common] for x in parts}) == 1:
        common += 1
    return ["/".join(x[common:]) for x in parts]


def parse_whatif(spec: str):
    """``gogc=50,memlimit=3GiB`` -> gomem.tuning Settings."""
    from ..units import MAX_INT64, parse_size

    try:
        from ..tuning.whatif import Settings
    except ImportError as e:  # pragma: no cover
        raise UsageError(f"--whatif needs gomem.tuning: {e}") from e
    kw = {}
    for item in [s for s in spec.replace(" ", ",").split(",") if s]:
        if "=" not in item:
            raise UsageError(f"--whatif {spec!r}: expected key=value pairs ({WHATIF_KEYS})")
        k, v = (x.strip() for x in item.split("=", 1))
        k = k.lower()
        try:
            if k == "gogc":
                kw["gogc"] = None if v.lower() == "off" else int(v)
            elif k in ("memlimit", "gomemlimit", "memory_limit"):
                n = parse_size(v)
                kw["memory_limit_bytes"] = None if n >= MAX_INT64 else n
            elif k == "gomaxprocs":
                kw["gomaxprocs"] = int(v)
            elif k == "go":
                kw["go"] = v.removeprefix("go")
            elif k == "madvdontneed":
                kw["madvdontneed"] = v in ("1", "true", "on")
            elif k in ("free_os_every", "free_os_every_s"):
                kw["free_os_every_s"] = float(v.rstrip("s"))
            else:
                raise UsageError(f"--whatif {spec!r}: unknown setting {k!r} (expected {WHATIF_KEYS})")
        except ValueError as e:
            raise UsageError(f"--whatif {spec!r}: {k}={v!r}: {e}") from e
    if not kw:
        raise UsageError(f"--whatif {spec!r}: no settings given ({WHATIF_KEYS})")
    return Settings(**kw)


def _write(path: str, data: str | bytes) -> None:
    if path == "-":
        if isinstance(data, str):
            sys.stdout.write(data)
        else:
            sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        p = Path(path)
        if isinstance(data, str):
            p.write_text(data, encoding="utf-8")
        else:
            p.write_bytes(data)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from e
    click.echo(f"gomem: wrote {path} ({len(data if isinstance(data, bytes) else data.encode()) / 1024:.0f} KiB)", err=True)


@click.command(short_help="Charts of runs: self-contained HTML, PNG or SVG.")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.option("--html", "html_out", metavar="FILE", help=f"Write a self-contained HTML report ('-': stdout). "
              f"The default when no output is named: {DEFAULT_HTML}.")
@click.option("--png", "png_out", metavar="FILE", help="Write a PNG picture.")
@click.option("--svg", "svg_out", metavar="FILE", help="Write an SVG picture.")
@click.option("--json", "json_out", metavar="FILE", help="Write what the charts draw (series, peak, verdict, summary) as JSON ('-': stdout).")
@click.option("--label", "labels", multiple=True, metavar="TEXT", help="A label per RUN, in order (default: from the paths).")
@click.option("--title", help="The report's title.")
@click.option("--whatif", "whatifs", multiple=True, metavar="K=V,...",
              help=f"Overlay the first run's prediction under other settings ({WHATIF_KEYS}); repeatable.")
@click.option("--no-explain", is_flag=True, help="Leave out the verdict of gomem explain.")
def command(runs, html_out, png_out, svg_out, json_out, labels, title, whatifs, no_explain):
    """Draw RUN... (run directories, gctrace logs, MemStats text, corpus directories, saved
    Timelines) over time: live heap, heap goal, HeapSys, held, released, RSS, GOMEMLIMIT and the
    container's limit, GC cycles and GC CPU, the peak with its breakdown, and the verdict of
    gomem explain. Several runs, or a run and its --whatif predictions, are overlaid.

    \b
    Examples:
      gomem report runs/a --html a.html --png a.png
      gomem report runs/a runs/b --label before --label after
      gomem report runs/a --whatif gogc=50 --whatif memlimit=3GiB --png whatif.png"""
    from ..report import render_html, render_png, render_svg

    if labels and len(labels) != len(runs):
        raise UsageError(f"{len(labels)} --label for {len(runs)} runs: give one per RUN, in order")
    names = list(labels) if labels else labels_for(list(runs))
    pairs = [(read_run(r), name) for r, name in zip(runs, names)]
    for (tl, _), path in zip(pairs, runs):
        if not any(k in tl for k in ("gc", "memstats", "rss")):
            raise InputError("nothing to draw: no GC cycles, MemStats or RSS samples found", path=path)
    if whatifs:
        from ..tuning.whatif import predict

        base_tl, base_name = pairs[0]
        for spec in whatifs:
            s = parse_whatif(spec)
            pred = predict(base_tl, s)
            if pred.timeline is None:
                raise UsageError(f"--whatif {spec!r}: these are the recorded settings; nothing to predict")
            tl = pred.timeline
            tl.meta = {**tl.meta, "predicted": True, "whatif": pred.settings.label()}
            pairs.append((tl, f"whatif {pred.settings.label()}"))
    if not (html_out or png_out or svg_out or json_out):
        html_out = DEFAULT_HTML
    explain = not no_explain
    if title is None:
        title = f"gomem report: {', '.join(name for _, name in pairs)}"
    if json_out:
        import json

        from ..report import payload
        from ..timeline import json_default

        data = payload(pairs, title=title, explain=explain)
        _write(json_out, json.dumps(data, default=json_default, allow_nan=False, indent=1) + "\n")
    if html_out:
        _write(html_out, render_html(pairs, title=title, explain=explain))
    if png_out:
        _write(png_out, render_png(pairs, title=title, explain=explain))
    if svg_out:
        _write(svg_out, render_svg(pairs, title=title, explain=explain))
    return 0
