"""Prometheus text exposition of a Go process (client_golang's Go and process collectors):
pure functions, text in, records out. Parsing is prometheus_client's
(``prometheus_client.parser.text_string_to_metric_families``); this module only maps the
families to gomem's columns.

One scrape gives one ``memstats`` record (go_memstats_*, go_gc_duration_seconds, go_gc_*,
go_goroutines, go_threads) and one ``rss`` record (process_resident_memory_bytes). Several
scrapes appended to one file are told apart by a family's ``# HELP``/``# TYPE`` repeating.
"""

from __future__ import annotations

import math
import re
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

#: sample name -> memstats column (client_golang prometheus/go_collector.go, memstats metrics)
MEMSTATS = {
    "go_memstats_alloc_bytes": "heap_alloc_bytes",
    "go_memstats_alloc_bytes_total": "total_alloc_bytes",
    "go_memstats_sys_bytes": "sys_bytes",
    "go_memstats_lookups_total": "lookups",
    "go_memstats_mallocs_total": "mallocs",
    "go_memstats_frees_total": "frees",
    "go_memstats_heap_alloc_bytes": "heap_alloc_bytes",
    "go_memstats_heap_sys_bytes": "heap_sys_bytes",
    "go_memstats_heap_idle_bytes": "heap_idle_bytes",
    "go_memstats_heap_inuse_bytes": "heap_inuse_bytes",
    "go_memstats_heap_released_bytes": "heap_released_bytes",
    "go_memstats_heap_released_bytes_total": "heap_released_bytes",  # client_golang <= 0.8
    "go_memstats_heap_objects": "heap_objects",
    "go_memstats_stack_inuse_bytes": "stack_inuse_bytes",
    "go_memstats_stack_sys_bytes": "stack_sys_bytes",
    "go_memstats_mspan_inuse_bytes": "mspan_inuse_bytes",
    "go_memstats_mspan_sys_bytes": "mspan_sys_bytes",
    "go_memstats_mcache_inuse_bytes": "mcache_inuse_bytes",
    "go_memstats_mcache_sys_bytes": "mcache_sys_bytes",
    "go_memstats_buck_hash_sys_bytes": "buck_hash_sys_bytes",
    "go_memstats_gc_sys_bytes": "gc_sys_bytes",
    "go_memstats_other_sys_bytes": "other_sys_bytes",
    "go_memstats_next_gc_bytes": "next_gc_bytes",
    "go_memstats_gc_cpu_fraction": "gc_cpu_fraction",
    # runtime/metrics based (client_golang 1.12+)
    "go_gc_heap_goal_bytes": "next_gc_bytes",
    "go_gc_heap_live_bytes": "heap_live_bytes",
    "go_gc_heap_objects_objects": "heap_objects",
    "go_gc_gogc_percent": "gogc",
    "go_gc_gomemlimit_bytes": "memory_limit_bytes",
    "go_gc_cycles_total_gc_cycles_total": "num_gc",
    "go_gc_cycles_forced_gc_cycles_total": "num_forced_gc",
    "go_gc_stack_starting_size_bytes": "stack_starting_size_bytes",
    "go_goroutines": "goroutines",
    "go_threads": "threads",
}
FLOAT_COLS = {"gc_cpu_fraction"}
#: go_gc_duration_seconds quantile -> column
PAUSE_QUANTILES = {"0": "gc_pause_min_s", "0.25": "gc_pause_p25_s", "0.5": "gc_pause_p50_s",
                   "0.75": "gc_pause_p75_s", "1": "gc_pause_max_s"}
RSS = {"process_resident_memory_bytes": "rss_bytes", "process_virtual_memory_bytes": "vms_bytes"}

#: a sample line of the text format (name, optional labels, value, optional timestamp)
SAMPLE_RE = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]*(?:\{.*\})?[ \t]+\S+(?:[ \t]+-?\d+)?[ \t]*$")
HEADER_RE = re.compile(r"^#[ \t]+(?:HELP|TYPE)[ \t]+([A-Za-z_:][A-Za-z0-9_:]*)")
GO_VERSION_RE = re.compile(r"go(1\.\d+)")


def is_sample_line(text: str) -> bool:
    return SAMPLE_RE.match(text) is not None


def records_from_families(families, seq: int | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Records and meta (``go_version``, ``settings``) of one scrape's metric families."""
    mem: dict[str, Any] = {}
    rss: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    unix_s = None
    for fam in families:
        for s in fam.samples:
            name, value = s.name, s.value
            if s.timestamp is not None and unix_s is None:
                try:
                    unix_s = float(s.timestamp)
                except (TypeError, ValueError):
                    pass
            if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
                continue
            col = MEMSTATS.get(name)
            if col is not None:
                mem.setdefault(col, float(value) if col in FLOAT_COLS else int(value))
            elif name == "go_gc_duration_seconds":
                q = s.labels.get("quantile")
                if q in PAUSE_QUANTILES:
                    mem[PAUSE_QUANTILES[q]] = float(value)
            elif name == "go_gc_duration_seconds_count":
                mem.setdefault("num_gc", int(value))
            elif name == "go_gc_duration_seconds_sum":
                mem["pause_total_ns"] = int(round(value * 1e9))
            elif name == "go_memstats_last_gc_time_seconds":
                mem["last_gc_ns"] = int(round(value * 1e9))
            elif name in RSS:
                rss[RSS[name]] = int(value)
            elif name == "go_info":
                m = GO_VERSION_RE.search(s.labels.get("version", ""))
                if m:
                    meta["go_version"] = m[1]
    if "gogc" in mem:
        meta.setdefault("settings", {})["gogc"] = mem["gogc"] if mem["gogc"] >= 0 else None
    if "memory_limit_bytes" in mem:
        meta.setdefault("settings", {})["memory_limit_bytes"] = mem["memory_limit_bytes"]
    # a sample's timestamp is wall-clock time, not time since the process started: kept apart
    stamp = {"unix_s": unix_s} if unix_s is not None else {}
    out = []
    if mem:
        out.append({"kind": "memstats", "t_s": None, "process": 0, "seq": seq, **stamp, **mem})
    if rss:
        out.append({"kind": "rss", "t_s": None, "process": 0, "seq": seq, **stamp, **rss})
    return out, meta


def parse_exposition(text: str, seq: int | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Records of one scrape. Raises ValueError (prometheus_client's) on a malformed text."""
    return records_from_families(list(text_string_to_metric_families(text)), seq)


class PromParser:
    """Gathers exposition lines; ``flush`` parses what was gathered (one scrape). A scrape the
    library rejects is parsed again sample by sample, so one bad line costs only itself;
    ``bad_lines`` lists those (line numbers)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.linenos: list[int | None] = []
        self.names: set[str] = set()
        self.meta: dict[str, Any] = {}
        self.bad_lines: list[tuple[int | None, str]] = []

    @property
    def active(self) -> bool:
        return bool(self.lines)

    def header_repeats(self, text: str) -> bool:
        m = HEADER_RE.match(text)
        return bool(m) and (m[1], text.split()[1]) in self.names

    def add(self, text: str, lineno: int | None) -> None:
        m = HEADER_RE.match(text)
        if m:
            self.names.add((m[1], text.split()[1]))
        self.lines.append(text)
        self.linenos.append(lineno)

    def flush(self) -> list[dict[str, Any]]:
        if not self.lines:
            return []
        lines, linenos = self.lines, self.linenos
        self.lines, self.linenos, self.names = [], [], set()
        seq = linenos[0]
        try:
            recs, meta = parse_exposition("\n".join(lines) + "\n", seq)
        except Exception:
            # salvage: every sample on its own (its family's TYPE line is lost, the value is not)
            fams = []
            for text, ln in zip(lines, linenos):
                if text.startswith("#"):
                    continue
                try:
                    fams += list(text_string_to_metric_families(text + "\n"))
                except Exception:
                    self.bad_lines.append((ln, text))
            recs, meta = records_from_families(fams, seq)
        for k, v in meta.items():
            if k == "settings":
                self.meta.setdefault("settings", {}).update(v)
            else:
                self.meta[k] = v
        return recs
