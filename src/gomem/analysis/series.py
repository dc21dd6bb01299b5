"""Series of one process pulled out of a Timeline, with missing values dropped.

Pure: no I/O. Every function takes a :class:`~gomem.timeline.Timeline` and returns NumPy
arrays or plain numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..timeline import INT_MAX, INT_NA, Table, Timeline
from ..units import MiB


def _f(col: np.ndarray) -> np.ndarray:
    """A column as float64 with missing values (INT_NA / NaN) as NaN and INT_MAX (no goal) as inf."""
    if col.dtype.kind == "i":
        out = col.astype(np.float64)
        out[col == INT_NA] = np.nan
        out[col == INT_MAX] = np.inf
        return out
    if col.dtype.kind == "b":
        return col.astype(np.float64)
    if col.dtype.kind == "f":
        return col.astype(np.float64)
    return np.full(len(col), np.nan)


def processes(tl: Timeline) -> list[int]:
    """The process indices present in the Timeline (0 when a table has no process column)."""
    seen: set[int] = set()
    for t in tl.tables.values():
        if len(t) == 0:
            continue
        if "process" in t:
            p = t["process"]
            seen.update(int(x) for x in p[p != INT_NA])
        else:
            seen.add(0)
    return sorted(seen) or [0]


def _max_heap(tl: Timeline, process: int, kinds: tuple[str, ...] = ("gc", "memstats", "rss")) -> float:
    best = 0.0
    for kind, cols in (("gc", ("heap_start_bytes", "heap_end_bytes", "heap_live_bytes")),
                       ("memstats", ("heap_sys_bytes", "heap_alloc_bytes", "heap_inuse_bytes")),
                       ("rss", ("rss_bytes",))):
        if kind not in kinds:
            continue
        t = table(tl, kind, process)
        for c in cols:
            if c in t and len(t):
                v = _f(t[c])
                v = v[np.isfinite(v)]
                if len(v):
                    best = max(best, float(v.max()))
    return best


def main_process(tl: Timeline) -> tuple[int, dict[int, float]]:
    """The process with the largest heap, and every process's largest heap (bytes).

    A gctrace log of ``go run`` holds the go tool's own GCs before the program's: the program
    the user cares about is the one whose heap is largest."""
    sizes = {p: _max_heap(tl, p) for p in processes(tl)}
    # GC cycles are the surest sign of which process a line belongs to: when some processes
    # have gctrace lines, choose among those, by their gctrace heap (printed MemStats of other
    # runs can land in the same text, as in the seed)
    gc_sizes = {p: _max_heap(tl, p, kinds=("gc",)) for p in sizes}
    pool = {p: v for p, v in gc_sizes.items() if v > 0} or sizes
    main = max(pool, key=lambda p: (pool[p], p))
    return main, (gc_sizes if pool is not sizes else sizes)


def table(tl: Timeline, kind: str, process: int | None) -> Table:
    """The rows of ``kind`` for one process (all rows if the table has no process column),
    ordered by time where there is one."""
    t = tl[kind]
    if process is not None and "process" in t and len(t):
        p = t["process"]
        mask = (p == process) | (p == INT_NA)
        t = t.take(np.nonzero(mask)[0])
    if "t_s" in t and len(t):
        ts = _f(t["t_s"])
        order = np.argsort(np.where(np.isnan(ts), np.inf, ts), kind="stable")
        t = t.take(order)
    return t


@dataclass
class GcSeries:
    """The gctrace cycles of one process, as float arrays (bytes, seconds, ms)."""

    num: np.ndarray
    t_s: np.ndarray
    heap_start: np.ndarray
    heap_end: np.ndarray
    heap_live: np.ndarray
    heap_goal: np.ndarray
    stacks: np.ndarray
    globals: np.ndarray
    forced: np.ndarray
    procs: np.ndarray
    cpu_ms: np.ndarray  # total GC CPU of each cycle (sum of the cpu_* phases)
    clock_ms: np.ndarray
    gc_cpu_percent: np.ndarray

    def __len__(self) -> int:
        return len(self.t_s)


def gc_series(tl: Timeline, process: int | None) -> GcSeries:
    t = table(tl, "gc", process)
    n = len(t)

    def col(name: str) -> np.ndarray:
        return _f(t[name]) if n and (name in t) else np.full(n, np.nan)

    cpu = np.zeros(n)
    any_cpu = np.zeros(n, dtype=bool)
    for c in ("cpu_sweep_term_ms", "cpu_assist_ms", "cpu_background_ms", "cpu_idle_ms", "cpu_mark_term_ms"):
        v = col(c)
        any_cpu |= np.isfinite(v)
        cpu += np.nan_to_num(v)
    cpu[~any_cpu] = np.nan
    clock = np.zeros(n)
    for c in ("clock_sweep_term_ms", "clock_mark_ms", "clock_mark_term_ms"):
        clock += np.nan_to_num(col(c))
    forced = t["forced"].astype(bool) if n and "forced" in t else np.zeros(n, dtype=bool)
    return GcSeries(num=col("num"), t_s=col("t_s"), heap_start=col("heap_start_bytes"),
                    heap_end=col("heap_end_bytes"), heap_live=col("heap_live_bytes"),
                    heap_goal=col("heap_goal_bytes"), stacks=col("stacks_bytes"),
                    globals=col("globals_bytes"), forced=forced, procs=col("procs"), cpu_ms=cpu,
                    clock_ms=clock, gc_cpu_percent=col("gc_cpu_percent"))


@dataclass
class MemSeries:
    """MemStats samples of one process (bytes; NaN where a field was not reported)."""

    t_s: np.ndarray
    heap_sys: np.ndarray
    heap_alloc: np.ndarray
    heap_idle: np.ndarray
    heap_released: np.ndarray
    heap_inuse: np.ndarray
    sys: np.ndarray
    next_gc: np.ndarray
    num_gc: np.ndarray
    num_forced_gc: np.ndarray
    stack_inuse: np.ndarray
    gc_cpu_fraction: np.ndarray

    def __len__(self) -> int:
        return len(self.t_s)

    @property
    def has_memory(self) -> bool:
        """Sys and HeapReleased are both known somewhere (the memory GOMEMLIMIT limits)."""
        return bool(np.isfinite(self.sys).any() and np.isfinite(self.heap_released).any())

    @property
    def held(self) -> np.ndarray:
        """Sys − HeapReleased: all memory the runtime holds from the OS (mgclimit.go's mappedReady)."""
        return self.sys - self.heap_released

    @property
    def heap_retained(self) -> np.ndarray:
        """HeapSys − HeapReleased (mgcscavenge.go heapRetained, 1.19+)."""
        return self.heap_sys - self.heap_released


def mem_series(tl: Timeline, process: int | None) -> MemSeries:
    t = table(tl, "memstats", process)
    n = len(t)

    def col(name: str) -> np.ndarray:
        return _f(t[name]) if n and (name in t) else np.full(n, np.nan)

    heap_idle = col("heap_idle_bytes")
    heap_sys = col("heap_sys_bytes")
    heap_inuse = col("heap_inuse_bytes")
    # HeapIdle = HeapSys − HeapInuse (mstats.go readmemstats_m): fill whichever one is missing
    heap_idle = np.where(np.isnan(heap_idle), heap_sys - heap_inuse, heap_idle)
    heap_inuse = np.where(np.isnan(heap_inuse), heap_sys - heap_idle, heap_inuse)
    return MemSeries(t_s=col("t_s"), heap_sys=heap_sys, heap_alloc=col("heap_alloc_bytes"),
                     heap_idle=heap_idle, heap_released=col("heap_released_bytes"),
                     heap_inuse=heap_inuse, sys=col("sys_bytes"), next_gc=col("next_gc_bytes"),
                     num_gc=col("num_gc"), num_forced_gc=col("num_forced_gc"),
                     stack_inuse=col("stack_inuse_bytes"), gc_cpu_fraction=col("gc_cpu_fraction"))


def rss_series(tl: Timeline, process: int | None) -> tuple[np.ndarray, np.ndarray]:
    t = table(tl, "rss", process)
    if not len(t) or "rss_bytes" not in t:
        return np.zeros(0), np.zeros(0)
    r = _f(t["rss_bytes"])
    ts = _f(t["t_s"]) if "t_s" in t else np.full(len(r), np.nan)
    ok = np.isfinite(r)
    return ts[ok], r[ok]


def nanmax(a: np.ndarray) -> float:
    a = a[np.isfinite(a)] if len(a) else a
    return float(a.max()) if len(a) else math.nan


def argmax_finite(a: np.ndarray) -> int | None:
    if not len(a) or not np.isfinite(a).any():
        return None
    return int(np.nanargmax(np.where(np.isfinite(a), a, -np.inf)))


def mb(n: float | None) -> str:
    """Bytes as gctrace writes them: whole MiB, called "MB"."""
    if n is None or not math.isfinite(n):
        return "?"
    return f"{n / MiB:.0f} MB"


def pct(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "?"
    return f"{100 * x:.1f}%" if x < 0.1 else f"{100 * x:.0f}%"
