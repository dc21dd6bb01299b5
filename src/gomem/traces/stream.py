"""The line dispatcher: one stream of text lines (a log, a paste, a pipe) in, records out.

Every line is offered to the parsers the format allows, in this order: JSON documents being
gathered, a Prometheus exposition being gathered, the runtime's own lines (gctrace, scavtrace,
scvg, ``GC forced``, ``fatal error``), CSV (RSS samples), vmstat, JSON, MemStats text. What
none of them understands is counted (``unknown``, with a few ``examples``); with ``strict`` the
first such line raises :class:`~gomem.errors.InputError` naming the file, the line and what was
expected. A bad line never costs its neighbours: every parser resynchronises on the next line.
Pure: no file access (see :mod:`gomem.traces.reader`).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Iterable, Iterator

from ..errors import InputError
from .gctrace import GctraceParser, version_hint
from .jsondoc import records_from_json
from .memstats import MemStatsTextParser
from .prom import HEADER_RE, PromParser, is_sample_line
from .rsscsv import CsvParser
from .vmstat import VmstatParser

#: --format names -> the line parsers they enable
FORMATS: dict[str, frozenset[str]] = {
    "auto": frozenset({"gctrace", "prometheus", "csv", "vmstat", "json", "memstats"}),
    "gctrace": frozenset({"gctrace"}),
    "scavtrace": frozenset({"gctrace"}),
    "memstats": frozenset({"memstats"}),
    "json": frozenset({"json"}),
    "expvar": frozenset({"json"}),
    "prometheus": frozenset({"prometheus"}),
    "vmstat": frozenset({"vmstat"}),
    "csv": frozenset({"csv"}),
    "rss": frozenset({"csv"}),
}
EXPECTED = {
    "gctrace": "a gctrace line ('gc # @#s #%: #+#+# ms clock, #+#/#/#+# ms cpu, #->#-># MB, # MB goal, "
               "[# MB stacks, # MB globals, ]# P') or a scavtrace line ('scav # KiB work, ...')",
    "prometheus": "a Prometheus text exposition line ('# HELP', '# TYPE' or 'name{labels} value')",
    "csv": "a CSV header with rss_bytes (t_s,rss_bytes,...) or a row of numbers under it",
    "vmstat": "a vmstat header ('r b swpd free buff cache ...') or a row of integers under it",
    "json": "a JSON object (MemStats, expvar /debug/vars, or a gomem record)",
    "memstats": "MemStats fields ('name: N unit' pairs such as 'HeapSys: 4159 MB', at least two)",
}
JSON_MAX_LINES = 1_000_000
JSON_MAX_CHARS = 64 << 20
#: how a line inside a JSON document may start
_JSON_STARTS = frozenset('{}[]",:-0123456789tfnNI')
MAX_EXAMPLES = 5


def _depth(text: str) -> int:
    return text.count("{") + text.count("[") - text.count("}") - text.count("]")


class TextParser:
    """Parse a stream of lines. ``feed(line, lineno)`` -> records; ``finish()`` -> the rest."""

    def __init__(self, source: str = "-", format: str | None = None, strict: bool = False):
        fmt = format or "auto"
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r}: expected one of {', '.join(sorted(FORMATS))}", path=source)
        self.source = source
        self.format = fmt
        self.enabled = FORMATS[fmt]
        self.strict = strict
        self.gc = GctraceParser()
        self.mem = MemStatsTextParser()
        self.prom = PromParser()
        self.csv = CsvParser()
        self.vmstat = VmstatParser()
        self.unknown = 0
        self.examples: list[tuple[int | None, str]] = []
        self.formats: Counter[str] = Counter()
        self.meta: dict[str, Any] = {}
        self.lines = 0
        self._jbuf: list[tuple[int | None, str]] | None = None
        self._jdepth = 0
        self._jchars = 0

    # -- bookkeeping ------------------------------------------------------------------------
    @property
    def expected(self) -> str:
        if len(self.enabled) > 2:
            return ("a trace line: gctrace ('gc # @#s #%: ...'), scavtrace ('scav ...'), MemStats "
                    "('name: N unit' pairs), JSON, Prometheus, vmstat or RSS CSV (use --format to say which)")
        return "; or ".join(EXPECTED[p] for p in EXPECTED if p in self.enabled)

    def _unknown(self, lineno: int | None, text: str) -> None:
        if self.strict:
            shown = text if len(text) <= 80 else text[:77] + "..."
            raise InputError(f"line not understood: {shown!r}; expected {self.expected}", path=self.source,
                             line=lineno)
        self.unknown += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append((lineno, text[:120]))

    def idle(self) -> bool:
        """No parser holds lines back (a fast path may take over)."""
        return (self._jbuf is None and not self.prom.active and self.mem.pending_lines == 0
                and self.gc._frag is None)

    # -- feeding ----------------------------------------------------------------------------
    def feed(self, line: str | bytes, lineno: int | None = None) -> list[dict[str, Any]]:
        self.lines += 1
        if not isinstance(line, str):
            line = bytes(line).decode("utf-8", "replace")
        text = line.rstrip("\r\n")
        if "\x00" in text:
            text = text.replace("\x00", "")
        return self._dispatch(text, lineno)

    def _dispatch(self, text: str, lineno: int | None) -> list[dict[str, Any]]:
        en = self.enabled
        out: list[dict[str, Any]] = []
        if self._jbuf is not None:
            return self._json_more(text, lineno)
        stripped = text.strip()
        if not stripped:
            return self.mem.flush() if self.mem.pending_lines else out
        if self.prom.active:
            if self.prom.header_repeats(stripped):
                out += self._prom_flush()
            elif stripped.startswith("#") or is_sample_line(stripped):
                self.prom.add(stripped, lineno)
                return out
            else:
                out += self._prom_flush()
        if "prometheus" in en and stripped[0] == "#" and HEADER_RE.match(stripped):
            self.prom.add(stripped, lineno)
            return out
        if "gctrace" in en:
            recs = self.gc.feed(text, lineno)
            if self.gc.understood:
                for r in recs:
                    self.formats[_gc_format(r)] += 1
                if self.gc.go_version:
                    self.meta["go_version"] = self.gc.go_version
                return out + recs
        if "csv" in en and "," in text:
            recs = self.csv.feed(stripped, lineno)
            if self.csv.understood:
                if recs:
                    self.formats["rss-csv" if recs[0]["kind"] == "rss" else "csv"] += 1
                return out + recs
        if "vmstat" in en:
            recs = self.vmstat.feed(text, lineno)
            if self.vmstat.understood:
                if recs:
                    self.formats["vmstat"] += 1
                return out + recs
        if "json" in en and stripped[0] in "{[":
            got = self._json_start(stripped, lineno)
            if got is not None:
                return out + got
        if "memstats" in en:
            recs = self.mem.feed(text, lineno)
            if self.mem.understood:
                for r in recs:
                    r["process"] = self.gc.current_process
                    self.formats["memstats-text"] += 1
                return out + recs
            if recs:  # a gathered %+v dump ended before this line
                for r in recs:
                    r["process"] = self.gc.current_process
                    self.formats["memstats-text"] += 1
                out += recs
        if "prometheus" in en and (stripped.startswith(("go_", "process_")) or self.format == "prometheus") \
                and is_sample_line(stripped):
            self.prom.add(stripped, lineno)
            return out
        self._unknown(lineno, text)
        return out

    def _prom_flush(self) -> list[dict[str, Any]]:
        recs = self.prom.flush()
        for ln, text in self.prom.bad_lines:
            self._unknown(ln, text)
        self.prom.bad_lines = []
        if recs:
            self.formats["prometheus"] += 1
        self._merge_meta(self.prom.meta)
        return recs

    def _merge_meta(self, meta: dict[str, Any]) -> None:
        for k, v in meta.items():
            if k == "settings":
                self.meta.setdefault("settings", {}).update(v)
            else:
                self.meta[k] = v

    # -- JSON ---------------------------------------------------------------------------------
    def _json_records(self, obj: Any, lineno: int | None) -> list[dict[str, Any]] | None:
        recs, meta, fmt = records_from_json(obj, lineno)
        if fmt is None and not recs:
            return None
        self._merge_meta(meta)
        if fmt:
            self.formats[fmt] += 1
        return recs

    def _json_start(self, text: str, lineno: int | None) -> list[dict[str, Any]] | None:
        try:
            obj = json.loads(text)
        except ValueError:
            if _depth(text) > 0:
                self._jbuf = [(lineno, text)]
                self._jdepth = _depth(text)
                self._jchars = len(text)
                return []
            return None
        except RecursionError:
            return None
        return self._json_records(obj, lineno)

    def _json_more(self, text: str, lineno: int | None) -> list[dict[str, Any]]:
        assert self._jbuf is not None
        first = text.lstrip()[:1]
        if first and first not in _JSON_STARTS:
            # no line of a JSON document starts so (e.g. "gc 1 @..."): it was not one
            out = self._json_close(force_fail=True)
            return out + self._dispatch(text, lineno)
        self._jbuf.append((lineno, text))
        self._jdepth += _depth(text)
        self._jchars += len(text)
        if self._jdepth > 0 and len(self._jbuf) < JSON_MAX_LINES and self._jchars < JSON_MAX_CHARS:
            return []
        return self._json_close()

    def _json_close(self, force_fail: bool = False) -> list[dict[str, Any]]:
        buf, self._jbuf = self._jbuf or [], None
        if not buf:
            return []
        if not force_fail:
            try:
                obj = json.loads("\n".join(t for _, t in buf))
                recs = self._json_records(obj, buf[0][0])
                if recs is not None:
                    return recs
            except (ValueError, RecursionError):
                pass
        # not one JSON document after all: its first line is not understood, the others get
        # their own chance
        self._unknown(buf[0][0], buf[0][1])
        out: list[dict[str, Any]] = []
        for ln, t in buf[1:]:
            out += self._dispatch(t, ln)
        return out

    def finish(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        while self._jbuf is not None:
            out += self._json_close()
        if self.prom.active:
            out += self._prom_flush()
        for r in self.mem.flush():
            r["process"] = self.gc.current_process
            self.formats["memstats-text"] += 1
            out.append(r)
        out += self.gc.finish()
        if self.gc.go_version:
            self.meta["go_version"] = self.gc.go_version
        return out

    def iter(self, lines: Iterable[tuple[int, str]]) -> Iterator[dict[str, Any]]:
        for lineno, line in lines:
            yield from self.feed(line, lineno)
        yield from self.finish()

    # -- what was seen ------------------------------------------------------------------------
    def detected_meta(self) -> dict[str, Any]:
        meta = dict(self.meta)
        hint = version_hint(self.gc.versions)
        if hint:
            meta["go_version_hint"] = hint
        return meta


def _gc_format(rec: dict[str, Any]) -> str:
    if rec["kind"] == "gc":
        return "gctrace"
    if rec["kind"] == "scav":
        return "scvg" if rec.get("source") == "scvg" else "scavtrace"
    return "runtime"
