"""``gomem dashboard [RUN | --run -- CMD ARGS...] [--host H] [--port P]``"""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..errors import UsageError


def _wait(server, linger_s: float | None) -> None:
    """Serve until Ctrl-C (or ``linger_s`` seconds)."""
    deadline = None if linger_s is None else time.monotonic() + linger_s
    try:
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
               short_help="A live dashboard of a recording or a running program.")
@click.option("--run", "run_cmd", is_flag=True, help="Run the command after -- under the monitor (like gomem run) and show it live.")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1; any other address is reachable "
              "by others: a warning is printed).")
@click.option("--port", type=int, default=0, show_default=True, help="Port (0: any free one).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="With --run: the run directory to record into (default: ./gomem-runs/<time>-<cmd>/).")
@click.option("--gogc", metavar="N|off", help="With --run: GOGC for the program.")
@click.option("--memlimit", metavar="SIZE", help="With --run: GOMEMLIMIT for the program.")
@click.option("--godebug", metavar="K=V,...", help="With --run: more GODEBUG settings (gctrace=1 is always added).")
@click.option("--hz", type=float, default=50.0, show_default=True, help="With --run: memory samples per second.")
@click.option("--tree", is_flag=True, help="With --run: sum RSS over the process and its descendants.")
@click.option("--quiet-gc", is_flag=True, help="With --run: keep gctrace lines off the terminal (still recorded).")
@click.option("--linger", type=float, default=None, metavar="SECONDS",
              help="Stop serving this long after the start (RUN) or after the program ended (--run); default: until Ctrl-C.")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(run_cmd, host, port, out_dir, gogc, memlimit, godebug, hz, tree, quiet_gc, linger, args):
    """Serve a live page of RUN (a run directory, followed while gomem run writes it; or any
    recording gomem reads), or of a program it starts with --run: memory and GC over the whole
    run, updated as samples arrive, the verdict of gomem explain, and the recording to download.

    \b
    Examples:
      gomem dashboard runs/a
      gomem dashboard --run -- ./server -flag
      gomem dashboard --host 0.0.0.0 --port 8080 runs/a     # reachable from other machines"""
    from ..web import serve

    args = list(args)
    if args and args[0] == "--":
        args = args[1:]
    bind = host if host is not None else "127.0.0.1"
    if not run_cmd:
        if len(args) != 1:
            raise UsageError("expected one RUN (a run directory or recording), or --run -- CMD ARGS...")
        if any(v is not None for v in (out_dir, gogc, memlimit, godebug)) or tree or quiet_gc:
            raise UsageError("--out, --gogc, --memlimit, --godebug, --tree and --quiet-gc go with --run")
        server = serve(args[0], host=bind, port=port, live=True)
        click.echo(f"gomem: dashboard of {args[0]} at {server.url} (Ctrl-C to stop)", err=True)
        _wait(server, linger)
        return 0

    if not args:
        raise UsageError("no command to run: gomem dashboard --run -- CMD ARGS...")
    from ..monitor.runner import RunConfig, run

    server = None

    def on_start(run_dir: Path) -> None:
        nonlocal server
        server = serve(run_dir, host=bind, port=port, live=True)
        click.echo(f"gomem: dashboard at {server.url} (recording into {run_dir})", err=True)

    cfg = RunConfig(cmd=args, out_dir=out_dir, hz=hz, tree=tree, gogc=gogc, memlimit=memlimit, godebug=godebug,
                    quiet_gc=quiet_gc)
    try:
        result = run(cfg, on_start=on_start)
    except BaseException:
        if server is not None:
            server.close()
        raise
    click.echo(f"gomem: the program ended (exit status {result.exit_status}); the dashboard stays at "
               f"{server.url if server else '-'}" + (" (Ctrl-C to stop)" if linger is None else f" for {linger:g} s"),
               err=True)
    if server is not None:
        _wait(server, linger)
    return result.exit_status
