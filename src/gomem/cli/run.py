"""``gomem run [options] -- CMD ARGS...``"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import UsageError


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
               short_help="Run a real program and record its memory (RSS, gctrace) without loss.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Run directory to record into (default: a new ./gomem-runs/<time>-<cmd>/).")
@click.option("--hz", type=float, default=50.0, show_default=True, help="Memory samples per second.")
@click.option("--tree", is_flag=True, help="Sum RSS/PSS over the process and all its descendants (automatic for `go run`).")
@click.option("--gogc", metavar="N|off", help="Run with GOGC=N.")
@click.option("--memlimit", metavar="SIZE", help="Run with GOMEMLIMIT=SIZE (e.g. 512MiB, off).")
@click.option("--godebug", metavar="K=V,...", help="More GODEBUG settings (gctrace=1 is always added).")
@click.option("--quiet-gc", is_flag=True, help="Keep gctrace lines off the terminal (still recorded).")
@click.option("--dashboard", is_flag=True, help="Serve a live dashboard of the run while it runs.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Dashboard address.")
@click.option("--port", type=int, default=0, show_default=True, help="Dashboard port (0: any free one).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout instead of a table on stderr.")
@click.argument("cmd", nargs=-1, type=click.UNPROCESSED, required=True)
def command(out_dir, hz, tree, gogc, memlimit, godebug, quiet_gc, dashboard, host, port, as_json, cmd):
    """Run CMD with GODEBUG=gctrace=1, pass its output through, sample its memory at --hz and
    record everything (stdout.log, stderr.log, rss.csv, gc.jsonl, events.jsonl, summary.json)
    so that nothing is lost even if it, or gomem, is killed. Exits with CMD's exit status
    (128+signal when it was killed).

    \b
    Example:  gomem run --out runs/a --gogc 50 -- ./server -flag
    Read back: gomem parse runs/a"""
    from ..monitor.runner import RunConfig, run
    from ..monitor.summary import render

    cmd = list(cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        raise UsageError("no command to run: gomem run [options] -- CMD ARGS...")
    dash = Dashboard(dashboard, host, port)
    cfg = RunConfig(cmd=cmd, out_dir=out_dir, hz=hz, tree=tree, gogc=gogc, memlimit=memlimit,
                    godebug=godebug, quiet_gc=quiet_gc)
    try:
        result = run(cfg, on_start=dash.start)
    finally:
        dash.close()
    _print_summary(result.summary, as_json, render, "gomem run")
    return result.exit_status


class Dashboard:
    """``--dashboard``: serve the live dashboard of the run directory while it is recorded
    (``gomem.web.serve(run_dir, host=..., port=..., live=True)``, imported only then)."""

    def __init__(self, enabled: bool, host: str, port: int):
        self.enabled, self.host, self.port = enabled, host, port
        self.server = None

    def start(self, run_dir: Path) -> None:
        if not self.enabled:
            return
        from .. import web

        serve = getattr(web, "serve", None)
        if serve is None:
            raise UsageError("--dashboard: this gomem has no live dashboard (gomem.web.serve)")
        self.server = serve(run_dir, host=self.host, port=self.port, live=True)
        click.echo(f"gomem: dashboard at {self.server.url}", err=True)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None


def _print_summary(summary, as_json, render, title):
    if as_json:
        import json

        from ..timeline import json_default

        click.echo(json.dumps(summary, indent=1, default=json_default))
        return
    from rich.console import Console

    Console(file=sys.stderr, stderr=True).print(render(summary, title=title))
