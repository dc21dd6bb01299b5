"""Entry point of the ``gomem`` command. Commands live one per module in this package and are
imported only when run, so ``gomem --help`` stays fast and one broken command cannot take the
others down. Errors become messages and exit codes here, and only here."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

import click

from ..errors import GomemError

#: command name -> (module, one-line help). The order is the order of ``gomem --help``.
COMMANDS = {
    "seed": ("seed", "Run the seed scenario end to end: simulate, explain, predict."),
    "sim": ("sim", "Simulate a workload program on the model of a Go runtime."),
    "parse": ("parse", "Read gctrace, scavtrace, MemStats, expvar, Prometheus, vmstat, RSS into records."),
    "run": ("run", "Run a real program and record its memory (RSS, gctrace) without loss."),
    "watch": ("watch", "Watch a running process, expvar or Prometheus endpoint."),
    "explain": ("explain", "Explain a run's peak: leak, GC headroom, idle or released memory."),
    "whatif": ("whatif", "Replay a recorded run under other settings and predict its peak."),
    "tune": ("tune", "Search GOGC/GOMEMLIMIT for a memory target at the least GC CPU."),
    "verify": ("verify", "Run the real program with settings; predicted vs measured."),
    "report": ("report", "Charts of runs: self-contained HTML, PNG or SVG."),
    "dashboard": ("dashboard", "A live dashboard of a recording or a running program."),
    "validate": ("validate", "Compare the model with real Go runs, side by side."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n, (mod, _) in COMMANDS.items() if importlib.util.find_spec(f"gomem.cli.{mod}") is not None]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        mod_name, short = COMMANDS[name]
        try:
            mod = importlib.import_module(f"gomem.cli.{mod_name}")
        except ModuleNotFoundError as e:
            if e.name == f"gomem.cli.{mod_name}":
                return None
            raise
        cmd = mod.command
        cmd.short_help = cmd.short_help or short
        return cmd


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="gomem")
def cli() -> None:
    """gomem: see, explain, predict and cut the peak memory of Go programs."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return (and, from the console script, exit with) the exit code."""
    try:
        rv = cli.main(args=argv, prog_name="gomem", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except click.exceptions.Exit as e:
        return e.exit_code
    except GomemError as e:
        click.echo(f"gomem: error: {e}", err=True)
        return e.exit_code
    except KeyboardInterrupt:
        click.echo("gomem: interrupted", err=True)
        return 130
    except BrokenPipeError:
        # the reader went away (gomem parse ... | head): not an error
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except Exception as e:  # a bug in gomem, not the user's mistake
        if os.environ.get("GOMEM_DEBUG"):
            raise
        click.echo(f"gomem: internal error: {type(e).__name__}: {e}\n"
                   "(set GOMEM_DEBUG=1 for the traceback, and please report it)", err=True)
        return 70


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
