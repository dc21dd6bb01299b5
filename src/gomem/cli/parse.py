"""``gomem parse``: read traces (gctrace, scavtrace, MemStats, expvar, Prometheus, vmstat, RSS
CSVs, run directories, saved Timelines) and print records, a summary, or save a Timeline."""

from __future__ import annotations

import csv
import json
import math
import sys
from typing import IO, Any, Callable, Iterator

import click

from ..errors import InputError, UsageError
from ..timeline import COMMON, SCHEMAS, TimelineBuilder, json_default
from ..traces import ALL_FORMATS, Follow, Source
from ..traces.gctrace import CSV_COLUMNS, FastChunk, fast_chunk, fast_csv_chunk, fast_json_lines, plain_gc_line, \
    sub_chunks
from ..traces.reader import iter_chunks, lines_of_chunk, open_binary

_dumps = json.JSONEncoder(separators=(",", ":"), default=json_default, allow_nan=False).encode


def _clean(rec: dict[str, Any]) -> dict[str, Any]:
    for k, v in rec.items():
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            rec[k] = None
    return rec


def json_line(rec: dict[str, Any]) -> str:
    try:
        return _dumps(rec) + "\n"
    except ValueError:
        return _dumps(_clean(dict(rec))) + "\n"


class Summary:
    """Counts and peaks over a stream of records, in constant memory."""

    PEAKS = {
        "gc": ("heap_start_bytes", "heap_end_bytes", "heap_live_bytes", "heap_goal_bytes"),
        "memstats": ("heap_sys_bytes", "heap_alloc_bytes", "heap_inuse_bytes", "heap_idle_bytes",
                     "heap_released_bytes", "sys_bytes", "next_gc_bytes"),
        "rss": ("rss_bytes",),
        "scav": ("heap_released_bytes",),
        "vmstat": ("swpd_bytes",),
    }

    def __init__(self) -> None:
        self.count: dict[str, int] = {}
        self.processes: dict[str, set[int]] = {}
        self.peak: dict[tuple[str, str], int | float] = {}
        self.low: dict[tuple[str, str], int | float] = {}
        self.forced = 0
        self.last_t: dict[str, float] = {}

    def add(self, rec: dict[str, Any]) -> None:
        kind = rec.get("kind") or "?"
        self.count[kind] = self.count.get(kind, 0) + 1
        p = rec.get("process")
        if isinstance(p, int) and len(self.processes.setdefault(kind, set())) < 10_000:
            self.processes[kind].add(p)
        if kind == "gc" and rec.get("forced"):
            self.forced += 1
        t = rec.get("t_s")
        if isinstance(t, (int, float)) and t == t:
            self.last_t[kind] = max(self.last_t.get(kind, t), t)
        for col in self.PEAKS.get(kind, ()):
            v = rec.get(col)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v:
                key = (kind, col)
                if key not in self.peak or v > self.peak[key]:
                    self.peak[key] = v
        if kind == "memstats":
            sys_b, rel = rec.get("heap_sys_bytes"), rec.get("heap_released_bytes")
            if isinstance(sys_b, int) and isinstance(rel, int):
                key = ("memstats", "heap_retained_bytes")
                v = sys_b - rel
                if key not in self.peak or v > self.peak[key]:
                    self.peak[key] = v
        if kind == "vmstat":
            v = rec.get("free_bytes")
            if isinstance(v, int):
                key = ("vmstat", "free_bytes")
                if key not in self.low or v < self.low[key]:
                    self.low[key] = v

    def add_fast_gc(self, fc: FastChunk) -> None:
        """A chunk of gctrace lines taken whole (gomem.traces.gctrace.fast_chunk)."""
        self.count["gc"] = self.count.get("gc", 0) + fc.n
        procs = self.processes.setdefault("gc", set())
        if len(procs) < 10_000:
            procs.update(map(int, set(fc.procs)))
        self.forced += fc.forced.count("true")
        t = max(map(float, fc.times))
        self.last_t["gc"] = max(self.last_t.get("gc", t), t)
        for i, col in enumerate(self.PEAKS["gc"]):
            v = max(map(int, fc.heap_mib(i))) << 20
            if ("gc", col) not in self.peak or v > self.peak[("gc", col)]:
                self.peak[("gc", col)] = v

    def render(self, sources: list[Source], unknown: int, out: IO[str]) -> None:
        from rich.console import Console
        from rich.table import Table

        from ..units import format_size

        con = Console(file=out, highlight=False, soft_wrap=False, width=max(100, _term_width()))
        names = ", ".join(s.path for s in sources)
        formats: list[str] = []
        for s in sources:
            formats += [f for f in s.formats if f not in formats]
        t = Table(title=f"gomem parse: {names}", title_justify="left", show_edge=False)
        t.add_column("kind")
        t.add_column("records", justify="right")
        t.add_column("processes", justify="right")
        t.add_column("peaks / notes")
        for kind in sorted(self.count, key=lambda k: ["gc", "memstats", "rss", "scav", "vmstat", "event"].index(k)
                           if k in ("gc", "memstats", "rss", "scav", "vmstat", "event") else 99):
            notes = []
            for (k, col), v in self.peak.items():
                if k == kind:
                    short = col.removesuffix("_bytes")
                    notes.append(f"{short} \u2264 {format_size(v)}" if col.endswith("_bytes") else f"{short} \u2264 {v}")
            for (k, col), v in self.low.items():
                if k == kind:
                    notes.append(f"{col.removesuffix('_bytes')} \u2265 {format_size(v)}")
            if kind == "gc" and self.forced:
                notes.append(f"{self.forced} forced")
            if kind in self.last_t:
                notes.append(f"last t {self.last_t[kind]:.3f} s")
            procs = self.processes.get(kind)
            t.add_row(kind, str(self.count[kind]), str(len(procs)) if procs else "-", "; ".join(notes))
        if not self.count:
            t.add_row("(none)", "0", "-", "no records found")
        con.print(t)
        meta: dict[str, Any] = {}
        for s in sources:
            for k, v in s.meta.items():
                meta.setdefault(k, v)
        extra = [f"formats: {', '.join(formats) or '-'}"]
        if meta.get("go_version"):
            extra.append(f"Go {meta['go_version']}")
        if meta.get("go_version_hint"):
            extra.append(f"trace formats of Go {meta['go_version_hint']}")
        if meta.get("settings"):
            extra.append("settings " + ", ".join(f"{k}={v}" for k, v in meta["settings"].items()))
        extra.append(f"{unknown} lines not understood")
        con.print("  " + "; ".join(extra))


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # what is still buffered goes nowhere
    except (OSError, ValueError, AttributeError):
        pass


def _term_width() -> int:
    import shutil

    return shutil.get_terminal_size((120, 24)).columns


def _report_unknown(sources: list[Source]) -> None:
    total = sum(s.unknown for s in sources)
    if not total:
        return
    examples = [ex for s in sources for ex in s.examples][:5]
    click.echo(f"gomem parse: {total} line{'s' if total != 1 else ''} not understood, e.g.:", err=True)
    for path, ln, text in examples:
        shown = text if len(text) <= 100 else text[:97] + "..."
        click.echo(f"  {path}:{ln}: {shown}", err=True)


def _fast_records(src: Source, take_chunk: Callable[[bytes, Any, int], int],
                  kinds: set[str] | None) -> Iterator[dict[str, Any]]:
    """Records of one file, where ``take_chunk(chunk, gctrace_parser, first_lineno)`` may take
    a whole chunk of plain gctrace lines, one record a line (returning the number of lines it
    took, or 0 to leave the chunk to the line parser); yields only the records of the lines it left.

    A chunk the fast path does not take whole (a noise line, a split line, another format)
    is cut into runs: runs of plain gctrace lines go to ``take_chunk`` again whenever the line
    parser holds nothing back (``TextParser.idle``); every other line, and any run it refuses,
    goes through the line parser in order, so the records are the line parser's."""
    tp = src.text_parser()
    f = open_binary(src.path)
    lineno = 1
    allow = kinds is None or "gc" in kinds
    try:
        for chunk in iter_chunks(f):
            if allow and tp.idle():
                taken = take_chunk(chunk, tp.gc, lineno)
                if taken:  # (the line count comes from take_chunk: no extra pass over the chunk)
                    tp.formats["gctrace"] += taken
                    tp.lines += taken
                    lineno += taken
                    continue
            nlines = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
            if allow:  # piece by piece, and the pieces the fast path refuses line by line
                ln = lineno
                for piece in sub_chunks(chunk):
                    k = piece.count(b"\n") + (0 if piece.endswith(b"\n") else 1)
                    if tp.idle() and piece.endswith(b"\n") and take_chunk(piece, tp.gc, ln):
                        tp.formats["gctrace"] += k
                        tp.lines += k
                    else:
                        yield from _runs(piece, tp, take_chunk, ln)
                    ln += k
            else:
                for ln, line in lines_of_chunk(chunk, lineno):
                    yield from tp.feed(line, ln)
            lineno += nlines
        yield from tp.finish()
    finally:
        if f is not sys.stdin.buffer:
            f.close()
    src.collect(tp)


def _runs(chunk: bytes, tp: Any, take_chunk: Callable[[bytes, Any, int], int],
          first_lineno: int) -> Iterator[dict[str, Any]]:
    """The records of a chunk not taken whole: runs of plain gctrace lines (see
    :func:`gomem.traces.gctrace.plain_gc_line`) to ``take_chunk``, the rest line by line."""
    lines = chunk.split(b"\n")
    if chunk.endswith(b"\n"):
        lines.pop()
    plain = [plain_gc_line(raw) for raw in lines]
    n = len(lines)
    i = 0
    while i < n:
        if plain[i] and tp.idle():
            j = i + 1
            while j < n and plain[j]:
                j += 1
            if j - i >= 2 and take_chunk(b"\n".join(lines[i:j]) + b"\n", tp.gc, first_lineno + i):
                tp.formats["gctrace"] += j - i
                tp.lines += j - i
                i = j
                continue
            if j - i >= 2:  # refused: the whole run line by line (no retry of its tail)
                for k in range(i, j):
                    yield from tp.feed(lines[k].decode("utf-8", "replace"), first_lineno + k)
                i = j
                continue
        yield from tp.feed(lines[i].decode("utf-8", "replace"), first_lineno + i)
        i += 1


@click.command("parse")
@click.argument("paths", nargs=-1, required=True, metavar="FILE|DIR|- ...")
@click.option("--format", "fmt", type=click.Choice(ALL_FORMATS), default=None,
              help="Read every input as this format (default: detect per line/file).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON Lines, one record per line.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV of one kind (see --kind).")
@click.option("--save", "save", type=click.Path(dir_okay=False), default=None,
              help="Save a Timeline (.npz) of all records.")
@click.option("--kind", "kinds", multiple=True,
              help="Only records of this kind (gc, memstats, rss, scav, vmstat, event); "
                   "--csv prints one kind (default gc).")
@click.option("--strict", is_flag=True, help="Stop at the first line not understood (file:line, what was expected).")
@click.option("--follow", "-f", is_flag=True, help="Keep reading a growing file (until Ctrl-C).")
@click.option("--idle-timeout", type=float, default=None, metavar="SECONDS",
              help="With --follow: stop after this long without new data.")
def command(paths: tuple[str, ...], fmt: str | None, as_json: bool, as_csv: bool, save: str | None,
            kinds: tuple[str, ...], strict: bool, follow: bool, idle_timeout: float | None) -> int:
    """Read traces into records: gctrace (Go 1.5-1.27), scavtrace/scvg, MemStats text, MemStats
    JSON and expvar, Prometheus metrics, vmstat, RSS CSVs, gomem run directories and saved
    Timelines. Without --json/--csv prints a summary table; lines not understood are
    summarised on stderr."""
    if as_json and as_csv:
        raise UsageError("--json and --csv do not go together: choose one")
    if (as_json or as_csv) and save:
        raise UsageError("--save writes a Timeline; it does not go with --json or --csv")
    if idle_timeout is not None and not follow:
        raise UsageError("--idle-timeout goes with --follow")
    if follow and len(paths) != 1:
        raise UsageError("--follow reads one file")
    kind_set = set(kinds) or None
    if as_csv:
        if kinds and len(kinds) > 1:
            raise UsageError("--csv prints one kind: give one --kind")
        kind_set = {kinds[0] if kinds else "gc"}
    follow_cfg = Follow(idle_timeout_s=idle_timeout) if follow else None
    sources = [Source(p, format=fmt, strict=strict, follow=follow_cfg) for p in paths]
    if follow and sources[0].kind not in ("file", "stdin"):
        raise UsageError("--follow reads a file or -")

    out = sys.stdout
    binary_out = getattr(out, "buffer", None)
    summary = Summary() if not (as_json or as_csv) else None
    builder = TimelineBuilder() if save else None
    csv_writer = None
    csv_cols: list[str] | None = None
    interrupted = False

    def csv_header(kind: str, rec: dict[str, Any] | None) -> None:
        nonlocal csv_writer, csv_cols
        csv_cols = ["kind", *(SCHEMAS.get(kind) or {**COMMON, **{k: None for k in (rec or {}) if k != "kind"}})]
        csv_writer = csv.writer(out, lineterminator="\n")
        csv_writer.writerow(csv_cols)

    def emit_csv(rec: dict[str, Any]) -> None:
        if csv_writer is None:
            csv_header(rec["kind"], rec)
        assert csv_writer is not None and csv_cols is not None
        csv_writer.writerow(["" if (v := rec.get(c)) is None or (isinstance(v, float) and v != v) else
                             ("true" if v is True else "false" if v is False else v) for c in csv_cols])

    def write_bytes(b: bytes) -> None:
        if binary_out is not None:
            out.flush()
            binary_out.write(b)
        else:
            out.write(b.decode())

    # take_chunk functions: the number of lines taken (0: left to the line parser)
    def json_chunk(chunk: bytes, parser: Any, lineno: int) -> int:
        got = fast_json_lines(chunk, parser, lineno)
        if got is None:
            return 0
        pieces, n = got
        if binary_out is not None:
            out.flush()
            binary_out.writelines(pieces)
        else:
            out.write(b"".join(pieces).decode())
        return n

    def summary_chunk(chunk: bytes, parser: Any, lineno: int) -> int:
        if summary is None:
            return 0
        fc = fast_chunk(chunk, parser, lineno)
        if fc is None:
            return 0
        summary.add_fast_gc(fc)
        return fc.n

    def csv_chunk(chunk: bytes, parser: Any, lineno: int) -> int:
        out_bytes = fast_csv_chunk(chunk, parser, lineno)
        if out_bytes is None:
            return 0
        if csv_writer is None:
            csv_header("gc", None)
        write_bytes(out_bytes)
        return chunk.count(b"\n")

    take = (json_chunk if as_json else csv_chunk if as_csv and kind_set == {"gc"} and CSV_COLUMNS == ("kind", *SCHEMAS["gc"])
            else summary_chunk if (summary is not None and builder is None) else None)
    try:
        for src in sources:
            fast = (take is not None and not follow and src.kind in ("file", "stdin")
                    and (fmt in (None, "auto", "gctrace")))
            recs = _fast_records(src, take, kind_set) if fast else src.records()  # type: ignore[arg-type]
            for rec in recs:
                if kind_set is not None and rec.get("kind") not in kind_set:
                    continue
                if as_json:
                    out.write(json_line(rec))
                elif as_csv:
                    emit_csv(rec)
                else:
                    if summary is not None:
                        summary.add(rec)
                    if builder is not None:
                        builder.add(rec)
                if follow:
                    out.flush()
    except KeyboardInterrupt:
        if not follow:
            raise
        interrupted = True
    except BrokenPipeError:
        # the reader went away (gomem parse ... | head): stop quietly, as cat would
        _silence_stdout()
        return 0
    try:
        out.flush()
    except BrokenPipeError:
        _silence_stdout()
        return 0
    _report_unknown(sources)
    if builder is not None:
        meta: dict[str, Any] = {"source": sources[0].path if len(sources) == 1 else [s.path for s in sources]}
        formats: list[str] = []
        for s in sources:
            formats += [f for f in s.formats if f not in formats]
            for k, v in s.meta.items():
                if k != "source":
                    meta.setdefault(k, v)
        meta["formats"] = formats
        meta["unknown_lines"] = sum(s.unknown for s in sources)
        builder.meta = meta
        tl = builder.build()
        try:
            tl.save(save)  # type: ignore[arg-type]
        except OSError as e:
            raise InputError(f"cannot write: {e}", path=save) from None
        click.echo(f"gomem parse: saved {len(tl)} records ({', '.join(f'{k} {len(t)}' for k, t in tl.tables.items())}) "
                   f"to {save}", err=True)
    if summary is not None:
        summary.render(sources, sum(s.unknown for s in sources), out)
    return 130 if interrupted else 0


__all__ = ["command", "json_line", "Summary"]
