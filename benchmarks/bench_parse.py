#!/usr/bin/env python3
"""gomem parse speed and memory.

1. 1M gctrace lines (Go 1.27 format, varied values, 1 in 20 forced) to JSON Lines with
   ``gomem parse --json``, against a bare Python ``for line in f: pass`` over the same file
   (target: within 20x; CPU time, so that other load on the machine counts less), the same
   with other output among the lines (the fast path takes the runs between), and the same
   lines through the general line parser (what --save and mixed formats take).
2. A multi-GB gctrace stream generated on the fly and piped into ``gomem parse --json -``:
   peak RSS of the gomem process (target: bounded, independent of the stream's size).

    .venv/bin/python benchmarks/bench_parse.py [--lines N] [--gib G]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from gomem.cli.main import main as gomem_main  # noqa: E402
from gomem.traces import iter_records  # noqa: E402


def gc_lines(n: int, seed: int = 1, start: int = 1):
    rnd = random.Random(seed)
    t = 0.0
    live = 200
    for i in range(start, start + n):
        t += rnd.random() * 0.05
        live = max(16, live + rnd.randint(-20, 20))
        goal = live * 2
        h0 = goal - rnd.randint(0, 8)
        h1 = h0 + rnd.randint(0, 6)
        pct = rnd.randint(0, 9)
        clock = f"{rnd.randint(10, 99) / 1000:.3f}+{rnd.randint(10, 99) / 10:.1f}+{rnd.randint(1, 99) / 1000:.3f}"
        cpu = (f"{rnd.randint(10, 99) / 1000:.3f}+{rnd.randint(0, 99) / 100:.2f}/{rnd.randint(10, 99) / 10:.1f}/"
               f"{rnd.randint(1, 99) / 100:.2f}+{rnd.randint(1, 99) / 1000:.3f}")
        forced = " (forced)" if i % 20 == 0 else ""
        yield (f"gc {i} @{t:.3f}s {pct}%: {clock} ms clock, {cpu} ms cpu, {h0}->{h1}->{live} MB, {goal} MB goal, "
               f"0 MB stacks, 0 MB globals, 2 P{forced}\n")


def best_of(k: int, fn) -> float:
    """Best CPU time (time.process_time) of k runs: single-threaded work measured apart from
    what other processes on the machine do to the wall clock."""
    best = float("inf")
    for _ in range(k):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def bench_speed(n: int, tmp: Path) -> list[tuple[str, str, str]]:
    path = tmp / "gctrace.log"
    with open(path, "w") as f:
        f.writelines(gc_lines(n))
    size = path.stat().st_size

    # the same lines with other output among them (1 line in 1000), as a program's stderr has
    mixed = tmp / "mixed.log"
    with open(path) as f, open(mixed, "w") as out:
        for i, line in enumerate(f):
            if i % 1000 == 999:
                out.write("some other output 42\n")
            out.write(line)

    def parse_json_mixed() -> None:
        with open(os.devnull, "w") as out, contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(open(os.devnull, "w")):
            rc = gomem_main(["parse", "--json", str(mixed)])
        assert rc == 0

    def bare() -> None:
        with open(path) as f:
            for _line in f:
                pass

    def parse_json() -> None:
        with open(os.devnull, "w") as out, contextlib.redirect_stdout(out):
            rc = gomem_main(["parse", "--json", str(path)])
        assert rc == 0

    def parse_csv() -> None:
        with open(os.devnull, "w") as out, contextlib.redirect_stdout(out):
            rc = gomem_main(["parse", "--csv", str(path)])
        assert rc == 0

    def parse_summary() -> None:
        with open(os.devnull, "w") as out, contextlib.redirect_stdout(out):
            rc = gomem_main(["parse", str(path)])
        assert rc == 0

    def line_parser() -> None:
        with open(path) as f:
            for _rec in iter_records(f):
                pass

    t_bare = best_of(3, bare)
    t_json = best_of(3, parse_json)
    t_mixed = best_of(2, parse_json_mixed)
    t_csv = best_of(2, parse_csv)
    t_sum = best_of(2, parse_summary)
    t_lines = best_of(1, line_parser)
    # the output is right: spot-check the first and last records
    out = subprocess.run([sys.executable, "-m", "gomem.cli.main", "parse", "--json", str(path)],
                         capture_output=True, text=True, cwd=REPO)
    lines = out.stdout.splitlines()
    assert len(lines) == n and lines[0].startswith('{"kind":"gc","num":1,') and f'"num":{n},' in lines[-1]
    return [
        (f"bare `for line in f` ({n:,} lines, {size / 2**20:.0f} MiB)", f"{t_bare:.3f} s CPU", "1.0x"),
        ("gomem parse --json (gctrace fast path)", f"{t_json:.3f} s CPU", f"{t_json / t_bare:.1f}x  (target <= 20x)"),
        ("  the same with 1 other line in 1000 (fast path by runs)", f"{t_mixed:.3f} s CPU",
         f"{t_mixed / t_bare:.1f}x"),
        ("gomem parse --csv (same fast path)", f"{t_csv:.3f} s CPU", f"{t_csv / t_bare:.1f}x"),
        ("gomem parse (summary table; same fast path)", f"{t_sum:.3f} s CPU", f"{t_sum / t_bare:.1f}x"),
        ("iter_records (the line parser: mixed logs, --save, read())", f"{t_lines:.3f} s CPU", f"{t_lines / t_bare:.1f}x"),
        ("  per line", f"{t_json / n * 1e6:.2f} us (fast path)", f"{t_lines / n * 1e6:.2f} us (line parser)"),
    ]


GENERATOR = r"""
import sys
sys.path.insert(0, {src!r})
from bench_parse import gc_lines
# 50,000 varied lines, renumbered block after block so GC numbers keep increasing
tails = [line.split(" ", 2)[2] for line in gc_lines(50000)]
target = int({nbytes})
out = sys.stdout.buffer
written = 0
start = 1
while written < target:
    block = "".join([f"gc {{n}} {{tail}}" for n, tail in zip(range(start, start + len(tails)), tails)]).encode()
    out.write(block)
    written += len(block)
    start += len(tails)
"""


def bench_stream(gib: float) -> list[tuple[str, str, str]]:
    nbytes = int(gib * 2**30)
    gen = subprocess.Popen([sys.executable, "-c", GENERATOR.format(src=str(Path(__file__).parent), nbytes=nbytes)],
                           stdout=subprocess.PIPE)
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        parser = subprocess.Popen([sys.executable, "-m", "gomem.cli.main", "parse", "--json", "-"],
                                  stdin=gen.stdout, stdout=devnull, cwd=REPO)
        gen.stdout.close()
        peak = 0
        try:
            import psutil

            ps = psutil.Process(parser.pid)
            while parser.poll() is None:
                try:
                    peak = max(peak, ps.memory_info().rss)
                except psutil.Error:
                    break
                time.sleep(0.05)
        except ImportError:
            pass
        parser.wait()
    gen.wait()
    dt = time.perf_counter() - t0
    return [
        (f"stream of {gib:g} GiB gctrace through a pipe into `gomem parse --json -`", f"{dt:.1f} s wall",
         f"{nbytes / dt / 2**20:.0f} MiB/s"),
        ("  peak RSS of gomem (sampled every 50 ms)", f"{peak / 2**20:.0f} MiB", f"exit {parser.returncode}"),
    ]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--gib", type=float, default=2.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        rows = bench_speed(args.lines, Path(d))
    rows += bench_stream(args.gib)
    from rich.console import Console
    from rich.table import Table

    t = Table(title="gomem parse", title_justify="left")
    t.add_column("what")
    t.add_column("measured", justify="right")
    t.add_column("ratio / note")
    for r in rows:
        t.add_row(*r)
    Console(width=120).print(t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
