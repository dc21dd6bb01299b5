"""``gomem watch TARGET``"""

from __future__ import annotations

from pathlib import Path

import click


@click.command(short_help="Watch a running process, expvar or Prometheus endpoint.")
@click.argument("target")
@click.option("--hz", type=float, default=None,
              help="Samples per second (default: 50 for a PID, 4 for an endpoint: each expvar/"
                   "metrics poll makes the program stop the world to read its MemStats).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Run directory to record into (default: a new ./gomem-runs/<time>-watch-*/).")
@click.option("--duration", "duration_s", type=float, default=None, help="Stop after this many seconds.")
@click.option("--tree", is_flag=True, help="With a PID: sum over the process and its descendants.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@click.option("--dashboard", is_flag=True, help="Serve a live dashboard of the recording while it runs.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Dashboard address.")
@click.option("--port", type=int, default=0, show_default=True, help="Dashboard port (0: any free one).")
def command(target, hz, out_dir, duration_s, tree, as_json, dashboard, host, port):
    """Record the memory of a program gomem did not start. TARGET is a PID (RSS, PSS, VmHWM,
    cgroup limit), an expvar URL (http://HOST:PORT/debug/vars: the whole MemStats every poll)
    or a Prometheus URL (http://HOST:PORT/metrics). Stops on Ctrl-C, after --duration, or when
    the process exits. Read back with: gomem parse DIR"""
    from ..monitor.summary import render
    from ..monitor.watch import WatchConfig, watch
    from .run import Dashboard, _print_summary

    dash = Dashboard(dashboard, host, port)

    def on_start(run_dir):
        click.echo(f"gomem: watching {target}, recording to {run_dir} (Ctrl-C to stop)", err=True)
        dash.start(run_dir)

    try:
        result = watch(WatchConfig(target=target, out_dir=out_dir, hz=hz, duration_s=duration_s, tree=tree),
                       on_start=on_start)
    finally:
        dash.close()
    _print_summary(result.summary, as_json, render, "gomem watch")
    return 0
