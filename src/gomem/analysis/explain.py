"""Explain a run's peak memory: leak, GC headroom, idle memory, released memory, non-heap.

``explain(timeline) -> Explanation``. Pure: it reads a Timeline, returns numbers and text.

The quantities and the runtime code behind them (Go 1.19–1.27, runtime/mstats.go
``readmemstats_m`` unless noted):

- live heap: the bytes marked by the last GC (gctrace ``heap2``; ``heapMarked`` in mgcpacer.go).
- GC headroom: what the pacer lets the heap grow to above the live heap before the next cycle
  ends: HeapInuse − live at the peak. Its ceiling is the goal
  ``heapMarked + (heapMarked + stacks + globals)·GOGC/100`` (mgcpacer.go ``commit``), lowered
  by GOMEMLIMIT (``memoryLimitHeapGoal``).
- idle but held: HeapIdle − HeapReleased, free heap pages the scavenger has not returned yet
  (mgcscavenge.go).
- released but still in RSS: HeapReleased pages that the kernel still counts as resident,
  because they were returned with MADV_FREE (the default of Go 1.12–1.15, or
  GODEBUG=madvdontneed=0; mem_linux.go ``sysUnusedOS``).
- non-heap: Sys − HeapSys (stacks, GC metadata, mspans, other) and resident memory the runtime
  does not account for at all (globals in .data/.bss, the binary, cgo).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..timeline import Timeline
from ..units import GiB, MiB
from .series import (GcSeries, MemSeries, argmax_finite, gc_series, main_process, mb, mem_series, pct,
                     rss_series)
from .trend import Trend, live_trend

VERDICTS = ("leak", "gc_headroom", "idle_held", "released_in_rss", "non_heap", "steady")
#: The peak counts as "steady" (nothing to blame but the live data) when no other part reaches
#: this fraction of it.
STEADY_FRACTION = 0.15


@dataclass
class Lever:
    """One change that would lower the peak, with its expected effect."""

    name: str  # gogc | memory_limit | free_os_memory | madvdontneed | drop_reference | fix_leak | ...
    setting: str  # what to set or do, e.g. "GOGC=50"
    peak_bytes: float | None  # expected peak of the same quantity as Explanation.peak["total_bytes"]
    peak_change_bytes: float | None
    gc_cpu_fraction: float | None  # expected GC CPU fraction (None: unknown)
    note: str

    def to_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}


@dataclass
class Explanation:
    verdict: str
    text: str
    peak: dict[str, float]  # the peak broken down, bytes
    levers: list[Lever]
    trend: Trend
    figures: dict[str, Any] = field(default_factory=dict)  # peaks, settings, process choice ...

    def to_dict(self) -> dict:
        def clean(v: Any) -> Any:
            if isinstance(v, float):
                return None if not math.isfinite(v) else v
            if isinstance(v, (np.floating, np.integer)):
                return clean(v.item())
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [clean(x) for x in v]
            return v

        return clean({"verdict": self.verdict, "text": self.text, "peak": self.peak,
                      "levers": [lv.to_dict() for lv in self.levers], "trend": self.trend.to_dict(),
                      **self.figures})


# ---------------------------------------------------------------------------------------------
# figures


def infer_gogc(gc: GcSeries) -> float | None:
    """GOGC from the goals gctrace printed: goal = live + (live + stacks + globals)·GOGC/100
    (mgcpacer.go ``commit``, 1.18+; without stacks and globals in 1.15's ``gcSetTriggerRatio``).
    The goal printed on cycle n is the one cycle n ran against, computed from cycle n−1's live
    heap. Cycles with a live heap under 4 MiB (heapMinimum) are ignored."""
    if len(gc) < 2:
        return None
    live_prev = gc.heap_live[:-1]
    goal = gc.heap_goal[1:]
    roots = np.nan_to_num(gc.stacks[:-1]) + np.nan_to_num(gc.globals[:-1])
    ok = np.isfinite(live_prev) & np.isfinite(goal) & (live_prev >= 16 * MiB)
    if not ok.any():
        return None
    ratio = (goal[ok] - live_prev[ok]) / (live_prev[ok] + roots[ok]) * 100
    # a memory limit can only lower the goal (mgcpacer.go heapGoalInternal): the highest ratio
    # is the one GOGC set
    # (the goal printed can sit a little above the formula: the sweep distance and the running
    # cycle's minimum runway raise it): the median of the ratios near the top
    top = float(np.max(ratio))
    g = float(np.median(ratio[ratio >= 0.9 * top]))
    if not math.isfinite(g) or g <= 0:
        return None
    # gctrace rounds to MiB: snap to a round number when close
    for r in (25, 50, 75, 100, 150, 200, 300, 400, 500, 800, 1000):
        if abs(g - r) <= max(3.0, 0.05 * r):
            return float(r)
    return round(g)


def limited_goal(gc: GcSeries, gogc: float | None) -> float | None:
    """The goal gctrace printed when it is clearly below what GOGC gives (≥ 3% under
    live + (live+stacks+globals)·GOGC/100 of the previous cycle): a memory limit held it
    (mgcpacer.go memoryLimitHeapGoal). Returns the median such goal, or None."""
    if gogc is None or len(gc) < 2:
        return None
    live_prev = gc.heap_live[:-1]
    roots = np.nan_to_num(gc.stacks[:-1]) + np.nan_to_num(gc.globals[:-1])
    goal = gc.heap_goal[1:]
    want = live_prev + (live_prev + roots) * gogc / 100
    ok = np.isfinite(goal) & np.isfinite(want) & (live_prev >= 16 * MiB) & (goal < 0.97 * want)
    if ok.sum() < 1:
        return None
    return float(np.median(goal[ok]))


def gc_cpu_fraction(gc: GcSeries, mem: MemSeries) -> float:
    """GC CPU over the run: MemStats.GCCPUFraction when reported, else the gctrace cycles' CPU
    (the ``ms cpu`` phases, mgc.go ``gcMarkTermination``) over wall time × GOMAXPROCS, else the
    last gctrace ``#%`` (which is floored to whole percent)."""
    f = mem.gc_cpu_fraction[np.isfinite(mem.gc_cpu_fraction)] if len(mem) else np.zeros(0)
    if len(f):
        return float(f[-1])
    if len(gc) and np.isfinite(gc.cpu_ms).any() and np.isfinite(gc.t_s).any():
        procs = float(np.nanmedian(gc.procs)) if np.isfinite(gc.procs).any() else 1.0
        t_end = float(np.nanmax(gc.t_s)) + float(np.nan_to_num(gc.clock_ms[-1])) / 1000
        if t_end > 0:
            return float(np.nansum(gc.cpu_ms)) / 1000 / (t_end * procs)
    p = gc.gc_cpu_percent[np.isfinite(gc.gc_cpu_percent)] if len(gc) else np.zeros(0)
    return float(p[-1]) / 100 if len(p) else math.nan


def _live_at(gc: GcSeries, mem: MemSeries, t: float) -> float:
    """The live heap in force at time t: heap2 of the last GC that ended before t."""
    if len(gc) and np.isfinite(gc.heap_live).any():
        ends = gc.t_s + np.nan_to_num(gc.clock_ms) / 1000
        ok = np.isfinite(gc.heap_live) & (ends <= t + 1e-3) if math.isfinite(t) else np.isfinite(gc.heap_live)
        if ok.any():
            return float(gc.heap_live[np.nonzero(ok)[0][-1]])
        return float(gc.heap_live[np.isfinite(gc.heap_live)][0])
    if len(mem) and np.isfinite(mem.heap_alloc).any():
        # no gctrace: the lowest HeapAlloc seen right after a GC completed is an upper bound
        ng = mem.num_gc
        after = np.nonzero(np.isfinite(ng[1:]) & (np.diff(ng) > 0))[0] + 1
        before_t = after[mem.t_s[after] <= t] if math.isfinite(t) else after
        if len(before_t):
            return float(mem.heap_alloc[before_t[-1]])
        return float(np.nanmin(mem.heap_alloc))
    return math.nan


def _nearest(ts: np.ndarray, vs: np.ndarray, t: float, within_s: float = 0.5) -> float:
    if not len(ts) or not math.isfinite(t) or not np.isfinite(ts).any():
        return math.nan
    i = int(np.nanargmin(np.abs(ts - t)))
    return float(vs[i]) if abs(ts[i] - t) <= within_s else math.nan


def peak_figures(tl: Timeline, process: int | None = None) -> dict[str, Any]:
    """The peaks of one process (default: the main one) and when they happened."""
    if process is None:
        process, _ = main_process(tl)
    gc, mem = gc_series(tl, process), mem_series(tl, process)
    rss_t, rss = rss_series(tl, process)
    out: dict[str, Any] = {"process": process}

    def peak(name: str, values: np.ndarray, ts: np.ndarray) -> None:
        i = argmax_finite(values)
        out[f"{name}_bytes"] = float(values[i]) if i is not None else math.nan
        out[f"{name}_t_s"] = float(ts[i]) if i is not None and len(ts) else math.nan

    gc_heap = np.fmax(gc.heap_start, gc.heap_end) if len(gc) else np.zeros(0)
    peak("peak_gc_heap", gc_heap, gc.t_s)
    peak("peak_heap_alloc", mem.heap_alloc, mem.t_s)
    # HeapAlloc sampled every so often misses the heap at a cycle's start, which gctrace has
    # (heap0 is heapLive as the cycle starts): the larger of the two
    if not out["peak_heap_alloc_bytes"] >= out["peak_gc_heap_bytes"] and math.isfinite(out["peak_gc_heap_bytes"]):
        out["peak_heap_alloc_bytes"], out["peak_heap_alloc_t_s"] = out["peak_gc_heap_bytes"], out["peak_gc_heap_t_s"]
    peak("peak_heap", mem.heap_retained, mem.t_s)  # HeapSys − HeapReleased
    peak("peak_memory", mem.held, mem.t_s)  # Sys − HeapReleased
    peak("peak_rss", rss, rss_t)
    peak("max_live", gc.heap_live, gc.t_s)
    finite_goal = np.where(np.isfinite(gc.heap_goal) & (gc.heap_goal < 2 ** 62), gc.heap_goal, np.nan)
    peak("peak_goal", finite_goal, gc.t_s)
    out["num_gc"] = int(len(gc)) if len(gc) else (int(np.nanmax(mem.num_gc)) if np.isfinite(mem.num_gc).any() else 0)
    if len(gc):
        out["num_forced_gc"] = int(np.sum(gc.forced))
    elif np.isfinite(mem.num_forced_gc).any():
        out["num_forced_gc"] = int(np.nanmax(mem.num_forced_gc))
    else:
        out["num_forced_gc"] = 0
    out["gc_cpu_fraction"] = gc_cpu_fraction(gc, mem)
    ends = [float(np.nanmax(a)) for a in (gc.t_s, mem.t_s, rss_t) if len(a) and np.isfinite(a).any()]
    out["duration_s"] = max(ends) if ends else math.nan
    return out


def breakdown(tl: Timeline, process: int | None = None, madv_free: bool | None = None) -> dict[str, float]:
    """The peak broken into parts that add up to it (bytes), at the moment of the peak.

    The peak is that of the most complete quantity the recording has: RSS when it exceeds the
    runtime's own figure, else Sys − HeapReleased (MemStats), else the gctrace heap.
    ``madv_free``: whether released memory may stay in RSS (Go ≤ 1.15 or madvdontneed=0);
    None guesses from the Timeline's meta."""
    if process is None:
        process, _ = main_process(tl)
    gc, mem = gc_series(tl, process), mem_series(tl, process)
    rss_t, rss = rss_series(tl, process)
    if madv_free is None:
        madv_free = _madv_free(tl.meta)
    out = {k: 0.0 for k in ("live_heap_bytes", "gc_headroom_bytes", "idle_held_bytes", "released_in_rss_bytes",
                            "non_heap_bytes", "stacks_bytes", "globals_bytes", "runtime_other_bytes",
                            "rss_unexplained_bytes")}
    if mem.has_memory and np.isfinite(mem.heap_inuse).any():
        held = mem.held
        i = argmax_finite(held)
        # the held memory stays at its peak after it (the heap never unmaps): take, among the
        # samples within 1% of the peak, the one with the most heap in use, where the peak was made
        near = np.nonzero(np.isfinite(held) & (held >= held[i] * 0.99))[0]
        if len(near) and np.isfinite(mem.heap_inuse[near]).any():
            i = int(near[np.nanargmax(np.where(np.isfinite(mem.heap_inuse[near]), mem.heap_inuse[near], -1))])
        t = float(mem.t_s[i])
        r = _nearest(rss_t, rss, t)
        j = argmax_finite(rss) if len(rss) else None
        if j is not None and rss[j] > held[i] * 1.02:
            # RSS is the larger peak: break it down where it happened
            t = float(rss_t[j])
            dist = np.abs(mem.t_s - t)
            if np.isfinite(dist).any():
                i = int(np.nanargmin(dist))
            r = float(rss[j])
        live = min(_live_at(gc, mem, t), float(mem.heap_inuse[i]))
        if not math.isfinite(live):
            live = float(mem.heap_alloc[i])
        out["live_heap_bytes"] = live
        retained = float(mem.heap_retained[i])
        inuse = float(mem.heap_inuse[i])
        if len(gc):
            # samples miss the instant before a GC: the heap in use peaked at gctrace's heap0/heap1,
            # and the pages the GC then freed stay held (HeapIdle) because of that peak
            upto = np.isfinite(gc.t_s) & (gc.t_s <= t + 0.1)
            gh = np.fmax(gc.heap_start, gc.heap_end)[upto]
            if len(gh) and np.isfinite(gh).any():
                inuse = max(inuse, min(float(np.nanmax(gh)), retained))
        out["gc_headroom_bytes"] = max(inuse - live, 0.0)
        out["idle_held_bytes"] = max(retained - max(inuse, live), 0.0)
        stacks = float(mem.stack_inuse[i]) if math.isfinite(mem.stack_inuse[i]) else 0.0
        non_heap_rt = max(float(mem.sys[i] - mem.heap_sys[i]), 0.0)
        out["stacks_bytes"] = stacks
        out["runtime_other_bytes"] = max(non_heap_rt - stacks, 0.0)
        total = float(held[i])
        if math.isfinite(r):
            excess = r - total
            if excess > 0:
                released = float(mem.heap_released[i]) if math.isfinite(mem.heap_released[i]) else 0.0
                out["released_in_rss_bytes"] = min(excess, released) if madv_free else 0.0
                out["rss_unexplained_bytes"] = excess - out["released_in_rss_bytes"]
                total = r
        g = _gc_globals(gc, t)
        out["globals_bytes"] = min(g, out["rss_unexplained_bytes"]) if math.isfinite(r) else 0.0
        out["non_heap_bytes"] = non_heap_rt + out["rss_unexplained_bytes"]
        out["total_bytes"] = total
        out["t_s"] = t
        out["quantity"] = "rss" if total == r and math.isfinite(r) else "sys_minus_heap_released"
    elif len(gc):
        heap = np.fmax(gc.heap_start, gc.heap_end)
        i = argmax_finite(heap)
        if i is None:
            out["total_bytes"] = math.nan
            return out
        t = float(gc.t_s[i])
        live = float(gc.heap_live[i - 1]) if i > 0 and math.isfinite(gc.heap_live[i - 1]) else float(gc.heap_live[i])
        live = min(live, float(heap[i]))
        out["live_heap_bytes"] = live
        out["gc_headroom_bytes"] = float(heap[i]) - live
        out["stacks_bytes"] = float(np.nan_to_num(gc.stacks[i]))
        out["globals_bytes"] = float(np.nan_to_num(gc.globals[i]))
        out["non_heap_bytes"] = out["stacks_bytes"] + out["globals_bytes"]
        total = float(heap[i]) + out["non_heap_bytes"]
        r = _nearest(rss_t, rss, t)
        if math.isfinite(r) and r > total:
            out["rss_unexplained_bytes"] = r - total
            out["non_heap_bytes"] += r - total
            total = r
        out["total_bytes"] = total
        out["t_s"] = t
        out["quantity"] = "gctrace_heap"
    elif len(rss):
        j = argmax_finite(rss)
        out["rss_unexplained_bytes"] = out["non_heap_bytes"] = float(rss[j])
        out["total_bytes"] = float(rss[j])
        out["t_s"] = float(rss_t[j])
        out["quantity"] = "rss"
    else:
        out["total_bytes"] = math.nan
        out["quantity"] = "none"
    return out


def _gc_globals(gc: GcSeries, t: float) -> float:
    if not len(gc) or not np.isfinite(gc.globals).any():
        return 0.0
    return float(np.nanmax(gc.globals))


def _madv_free(meta: dict) -> bool:
    godebug = str((meta.get("settings") or {}).get("godebug") or "")
    if "madvdontneed=0" in godebug:
        return True
    if "madvdontneed=1" in godebug:
        return False
    v = str(meta.get("go_version") or "")
    try:
        major, minor = (int(x) for x in v.removeprefix("go").split(".")[:2])
        return (major, minor) < (1, 16) and (major, minor) >= (1, 12)
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# large objects replacing equal ones (the seed's pattern)


@dataclass
class Replacement:
    object_bytes: float
    live_bytes: float
    copies_live: int  # how many such objects are live at once after GC


def detect_replacement(gc: GcSeries, mem: MemSeries, warmup: int, min_copies: int = 2) -> Replacement | None:
    """The live heap is made of a few large objects of one size S, and each allocation between
    cycles is a whole number of them while the live heap stays flat: the program allocates a
    new object while the one it replaces is still referenced (``a = make(...)`` with ``a``
    live), so two are live at the moment of the GC. Detected from gctrace alone: the heap
    grows between cycles by multiples of S (heap0 − previous heap2), and the live heap is a
    multiple ≥ 2 of S. MemStats, when present, must agree: HeapAlloc jumps by S at once."""
    n = len(gc)
    if n < 3:
        return None
    live = gc.heap_live[warmup:]
    live = live[np.isfinite(live)]
    if len(live) < 2:
        return None
    level = float(np.median(live))
    if level < 8 * MiB or (np.max(live) - np.min(live)) > 0.05 * level:
        return None
    d = gc.heap_start[1:] - gc.heap_live[:-1]
    d = d[np.isfinite(d) & (d > 0)]
    if not len(d):
        return None
    tol = max(1.5 * MiB, 0.02 * level)
    for k in (1, 2, 3, 4):
        s = float(np.min(d)) / k
        if s < max(4 * MiB, level / 8):
            break
        mult = d / s
        if np.all(np.abs(mult - np.round(mult)) * s <= tol):
            copies = level / s
            if abs(copies - round(copies)) * s <= tol:
                if round(copies) < min_copies:
                    return None  # the object size is found, and fewer are live than asked
                if len(mem) and np.isfinite(mem.heap_alloc).sum() > 2:
                    jumps = np.diff(mem.heap_alloc)
                    jumps = jumps[np.isfinite(jumps) & (jumps > s / 2)]
                    if len(jumps) and not np.any(np.abs(jumps / s - np.round(jumps / s)) * s <= tol):
                        continue
                return Replacement(object_bytes=s, live_bytes=level, copies_live=int(round(copies)))
    return None


# ---------------------------------------------------------------------------------------------


#: a recording does not show what the program kept after its last cycle when the run went on
#: for at least this long (and this share of the run) after it and that cycle marked this many
#: times the run's median live heap (+8 MiB)
UNOBSERVED_TAIL_MIN_S = 1.0
UNOBSERVED_TAIL_MIN_SHARE = 0.2
UNOBSERVED_TAIL_LIVE_FACTOR = 1.5


def unobserved_tail(gc: GcSeries, end_s: float) -> dict[str, float] | None:
    """When the run went on long after a last cycle that marked far above its usual live heap
    (a spike or a batch in flight at the end): that cycle's time and marked heap, the run's
    median live heap and its end. Nothing in a recording says whether the program kept that
    memory after the cycle: only a later cycle would have marked it (or not)."""
    ok = np.isfinite(gc.t_s) & np.isfinite(gc.heap_live) if len(gc) else np.zeros(0, dtype=bool)
    if not ok.any() or not math.isfinite(end_s):
        return None
    t, live = gc.t_s[ok], gc.heap_live[ok]
    last_t, last_live, typical = float(t[-1]), float(live[-1]), float(np.median(live))
    if (end_s - last_t >= max(UNOBSERVED_TAIL_MIN_S, UNOBSERVED_TAIL_MIN_SHARE * end_s)
            and last_live >= UNOBSERVED_TAIL_LIVE_FACTOR * typical + 8 * MiB):
        return {"last_gc_s": last_t, "end_s": float(end_s), "live_bytes": last_live, "typical_live_bytes": typical}
    return None


def _settings(tl: Timeline, gc: GcSeries) -> dict[str, Any]:
    s = dict(tl.meta.get("settings") or {})
    known = "gogc" in s
    gogc = s.get("gogc", 100)
    inferred = infer_gogc(gc)
    lim = s.get("memory_limit_bytes")
    if lim is not None and lim >= 2 ** 62:
        lim = None
    return {"gogc": gogc, "gogc_known": known, "gogc_inferred": inferred, "memory_limit_bytes": lim,
            "go_version": tl.meta.get("go_version")}


def _round_up(n: float, unit: int) -> float:
    return math.ceil(n / unit) * unit


def explain(tl: Timeline, process: int | None = None) -> Explanation:
    """The verdict on a run's peak, its parts, and the levers that would lower it."""
    procs_sizes: dict[int, float]
    chosen, procs_sizes = main_process(tl)
    if process is None:
        process = chosen
    gc, mem = gc_series(tl, process), mem_series(tl, process)
    figs = peak_figures(tl, process)
    parts = breakdown(tl, process)
    trend = live_trend(gc.t_s, gc.heap_live) if len(gc) else _trend_from_memstats(mem)
    st = _settings(tl, gc)
    gogc = st["gogc"]
    if not st["gogc_known"] and st["gogc_inferred"] is not None:
        gogc = st["gogc_inferred"]
    lim = st["memory_limit_bytes"]
    total = parts.get("total_bytes", math.nan)
    live = parts["live_heap_bytes"]
    headroom = parts["gc_headroom_bytes"]
    idle = parts["idle_held_bytes"]
    rel_rss = parts["released_in_rss_bytes"]
    non_heap = parts["non_heap_bytes"]
    cpu = figs["gc_cpu_fraction"]
    repl = detect_replacement(gc, mem, trend.warmup_cycles) if not trend.is_leak else None

    # -- verdict ---------------------------------------------------------------------------
    extras = {"gc_headroom": headroom, "idle_held": idle, "released_in_rss": rel_rss, "non_heap": non_heap}
    if trend.is_leak:
        verdict = "leak"
    else:
        verdict = max(extras, key=lambda k: extras[k])
        if not math.isfinite(total) or total <= 0 or extras[verdict] < STEADY_FRACTION * total:
            verdict = "steady"

    # -- text ------------------------------------------------------------------------------
    lines: list[str] = []
    if len(procs_sizes) > 1:
        others = [f"{mb(v)}" for p, v in sorted(procs_sizes.items()) if p != process]
        lines.append(f"The input holds {len(procs_sizes)} processes (the GC numbering restarts: e.g. `go run` "
                     f"builds first, and the go tool's own GCs come before the program's). Explaining process "
                     f"{process + 1}, the one with the largest heap ({mb(procs_sizes[process])}); the others "
                     f"peaked at {', '.join(others)}.")
    gogc_txt = "off" if gogc is None else f"{gogc:g}"
    gogc_src = "" if st["gogc_known"] else (" (inferred from the goals gctrace printed)" if st["gogc_inferred"]
                                           else " (the default; the recording does not say)")
    peak_heap_gc = np.nanmax([figs.get("peak_gc_heap_bytes", math.nan), figs.get("peak_heap_alloc_bytes", math.nan),
                              -1.0])
    if verdict == "leak":
        lines.append(
            f"This looks like a memory leak: the live heap after each GC grows from {mb(trend.start_live_bytes)} "
            f"to {mb(trend.end_live_bytes)} over {trend.t1_s - trend.t0_s:.1f} s "
            f"({trend.rate_bytes_per_s / MiB:.2f} MiB/s, {trend.rate_bytes_per_cycle / MiB:.2f} MiB per GC cycle; "
            f"confidence {trend.confidence:.0%}, noise ±{mb(trend.noise_bytes)}). The live heap is what the program "
            f"still references; GOGC and GOMEMLIMIT only govern the headroom above it, so they can delay the peak, "
            f"not stop its growth: find what keeps the memory (a heap profile, `go tool pprof -inuse_space`, "
            f"taken twice some time apart, shows what grows).")
    else:
        lv = gc.heap_live[trend.warmup_cycles:] if len(gc) else np.zeros(0)
        lv = lv[np.isfinite(lv)]
        if not len(lv) and trend.n_cycles < 3:
            flat = None
        elif not len(lv):
            flat = "does not grow"
        elif np.max(lv) - np.min(lv) > 0.25 * max(float(np.median(lv)), 1.0):
            flat = f"varies between {mb(np.min(lv))} and {mb(np.max(lv))} but does not trend up"
        else:
            flat = f"stays at {mb(np.median(lv))}"
        if trend.n_cycles and trend.n_cycles < 5:
            flat += f" (only {trend.n_cycles} cycles after the warm-up, so this is a weak test)"
        if flat is None:
            lead = ("Too few samples to tell whether the live heap grows (record GODEBUG=gctrace=1 or several "
                    "MemStats samples over time: `gomem run` or `gomem watch`)")
        else:
            lead = "This is not a memory leak: the live heap after GC " + flat
        if len(gc) and math.isfinite(figs.get("peak_goal_bytes", math.nan)):
            lg = limited_goal(gc, gogc)
            if lg is not None:
                lead += (f"; the heap goal, {mb(lg)}, is below what GOGC={gogc_txt}{gogc_src} would give, so a "
                         "memory limit " + (f"(GOMEMLIMIT={mb(lim)}) " if lim else "(GOMEMLIMIT) ")
                         + f"holds it, and the heap reached {mb(peak_heap_gc)}.")
            elif gogc is not None:
                goal_txt = max(figs["peak_goal_bytes"], live * (1 + gogc / 100) if math.isfinite(live) else 0.0)
                lead += (f", and GOGC={gogc_txt}{gogc_src} lets the heap reach {mb(peak_heap_gc)} (goal "
                         f"{mb(goal_txt)} = live + {gogc_txt}% of it) before the next GC runs.")
            else:
                lead += f", and with GOGC=off the heap grew to {mb(peak_heap_gc)} before a GC ran."
        else:
            lead += "."
        lines.append(lead)
    q = parts.get("quantity")
    qname = {"rss": "resident memory (RSS)", "sys_minus_heap_released": "memory held from the OS "
             "(Sys − HeapReleased, what GOMEMLIMIT limits)", "gctrace_heap": "heap (gctrace)"}.get(q, "memory")
    bits = [f"{mb(live)} live heap", f"{mb(headroom)} GC headroom (garbage and new objects above the live heap)"]
    if idle >= MiB:
        bits.append(f"{mb(idle)} idle but held (free heap pages not yet returned to the OS)")
    if rel_rss >= MiB:
        bits.append(f"{mb(rel_rss)} released but still in RSS (MADV_FREE)")
    if non_heap >= MiB or q == "gctrace_heap":
        nh = []
        if parts["stacks_bytes"] >= MiB:
            nh.append(f"stacks {mb(parts['stacks_bytes'])}")
        if parts["globals_bytes"] >= MiB:
            nh.append(f"globals {mb(parts['globals_bytes'])}")
        if parts["runtime_other_bytes"] >= MiB:
            nh.append(f"runtime metadata {mb(parts['runtime_other_bytes'])}")
        if parts["rss_unexplained_bytes"] - parts["globals_bytes"] >= MiB:
            nh.append(f"RSS not explained by the runtime {mb(parts['rss_unexplained_bytes'] - parts['globals_bytes'])}")
        if q == "gctrace_heap" and not np.isfinite(gc.stacks).any() and non_heap < MiB:
            bits.append("memory outside the heap not reported (gctrace before Go 1.18 prints no stacks or globals)")
        else:
            bits.append(f"{mb(non_heap)} outside the heap" + (f" ({', '.join(nh)})" if nh else ""))
    when = f" at {parts['t_s']:.1f} s" if math.isfinite(parts.get("t_s", math.nan)) else ""
    lines.append(f"The peak of {qname}, {mb(total)}{when}, is " + ", ".join(bits) + ".")
    ends = [float(np.nanmax(x)) for x in (mem.t_s, gc.t_s) if len(x) and np.isfinite(x).any()]
    tail = unobserved_tail(gc, max(ends)) if ends else None
    if tail and parts.get("t_s", math.nan) > tail["last_gc_s"] + UNOBSERVED_TAIL_MIN_S:
        lines.append(f"Its live heap is what the last GC cycle, at {tail['last_gc_s']:.2f} s, marked "
                     f"({mb(tail['live_bytes'])}, where the run's usual live heap is {mb(tail['typical_live_bytes'])}); "
                     f"the run went on for {tail['end_s'] - tail['last_gc_s']:.1f} s without another, so whether the "
                     "program still held that memory at the peak is not in the recording (a runtime.GC() before "
                     "exit, or a longer recording, would show it).")
    if len(gc) and np.isfinite(gc.stacks).any():  # what the pacer counts (scanned, 1.21+)
        roots = float(np.nanmax(np.nan_to_num(gc.stacks) + np.nan_to_num(gc.globals)))
    else:
        roots = parts["stacks_bytes"]
    if len(gc) and gogc and roots >= max(live, 8 * MiB) and headroom > 0:
        lines.append(f"The goal counts the roots too: goal = live + (live + stacks + globals) × GOGC/100 "
                     f"(Go 1.18+, mgcpacer.go), so {mb(roots)} of goroutine stacks and globals (as gctrace reports them) buy "
                     f"{mb(roots * gogc / 100)} of headroom on top of a {mb(live)} live heap.")
    prss, pmem = figs.get("peak_rss_bytes", math.nan), figs.get("peak_memory_bytes", math.nan)
    if math.isfinite(prss) and math.isfinite(pmem) and prss < 0.8 * pmem:
        lines.append(f"RSS peaked at {mb(prss)}, under the {mb(pmem)} the runtime held: the program never wrote part "
                     "of what it allocated, and fresh pages only become resident when written (the runtime does "
                     "not zero fresh memory, mheap.go allocNeedsZero). A container counts RSS; GOMEMLIMIT counts "
                     "the held memory.")
    if repl is not None:
        lines.append(
            f"The live heap is {repl.copies_live} objects of {mb(repl.object_bytes)}: each new "
            f"{mb(repl.object_bytes)} object is allocated while the one it replaces is still referenced "
            f"(e.g. `a = make([]byte, n)` with the old `a` live), so the GC finds both live and the live heap "
            f"doubles at each allocation.")
    if verdict == "idle_held":
        lines.append("Most of the excess is free heap memory the runtime keeps: the background scavenger returns "
                     "it over minutes (it keeps about 10% over the heap goal, mgcscavenge.go); "
                     "debug.FreeOSMemory() returns it at once.")
    elif verdict == "released_in_rss":
        lines.append("The runtime has released that memory, but with MADV_FREE the kernel only takes it back under "
                     "memory pressure, so RSS still counts it: GODEBUG=madvdontneed=1 makes RSS drop at once.")
    elif verdict == "non_heap":
        lines.append("Most of the peak is outside the Go heap, where GOGC and GOMEMLIMIT have little grip "
                     "(GOMEMLIMIT counts stacks and runtime metadata, not globals or cgo memory).")
    elif verdict == "steady":
        lines.append("The peak is mostly the live data itself: settings cannot lower it much; holding less "
                     "data can.")
    if math.isfinite(cpu):
        lines.append(f"GC CPU: {pct(cpu) if cpu >= 0.001 else 'under 0.1%'} of the available CPU over the run, "
                     f"{figs['num_gc']} GC cycles"
                     + (f" ({figs['num_forced_gc']} forced)" if figs.get("num_forced_gc") else "") + ".")

    # -- levers ----------------------------------------------------------------------------
    levers = _levers(verdict, total, live, headroom, idle, rel_rss, non_heap, gogc, lim, cpu, repl, parts, trend,
                     limited=limited_goal(gc, gogc) is not None)
    if levers:
        lines.append("What would lower the peak:")
        for lv in levers:
            eff = ""
            if lv.peak_bytes is not None and math.isfinite(lv.peak_bytes):
                eff = f" → peak about {mb(lv.peak_bytes)}"
                if lv.gc_cpu_fraction is not None and math.isfinite(lv.gc_cpu_fraction) and math.isfinite(cpu):
                    if max(lv.gc_cpu_fraction, cpu) < 0.001:
                        eff += ", GC CPU negligible either way"
                    else:
                        eff += f", GC CPU about {pct(lv.gc_cpu_fraction)} (now {pct(cpu)})"
            lines.append(f"  - {lv.setting}{eff}: {lv.note}")

    figures = {"process": process, "processes": {str(p): v for p, v in procs_sizes.items()},
               "settings": {"gogc": gogc, "gogc_known": st["gogc_known"], "memory_limit_bytes": lim,
                            "go_version": st["go_version"]},
               "peaks": {k: v for k, v in figs.items() if k != "process"},
               "replacement": asdict(repl) if repl else None, "unobserved_tail": tail}
    return Explanation(verdict=verdict, text="\n".join(lines), peak=parts, levers=levers, trend=trend,
                       figures=figures)


def _trend_from_memstats(mem: MemSeries) -> Trend:
    """Without gctrace: the HeapAlloc right after each GC stands for the live heap."""
    if not len(mem) or not np.isfinite(mem.num_gc).any():
        return live_trend(np.zeros(0), np.zeros(0))
    ng = mem.num_gc
    after = np.nonzero(np.isfinite(ng[1:]) & (np.diff(ng) > 0))[0] + 1
    return live_trend(mem.t_s[after], mem.heap_alloc[after])


def _levers(verdict: str, total: float, live: float, headroom: float, idle: float, rel_rss: float,
            non_heap: float, gogc: float | None, lim: float | None, cpu: float, repl: Replacement | None,
            parts: dict, trend: Trend, limited: bool = False) -> list[Lever]:
    """Formula estimates (the model gives better ones: `gomem whatif`). The peak scales with the
    headroom; the GC's CPU with the number of cycles, i.e. inversely with the headroom, since each
    cycle marks the same live heap (mgcpacer.go: the goal is live·(1+GOGC/100))."""
    out: list[Lever] = []
    if not math.isfinite(total) or total <= 0:
        return out
    base = total - headroom
    if repl is not None:
        new_live = repl.live_bytes - repl.object_bytes
        g = (gogc if gogc is not None else 100) / 100
        new_heap = max(new_live * (1 + g), new_live + repl.object_bytes)
        new_peak = total - (live + headroom + idle) + new_heap
        out.append(Lever("drop_reference", "drop the old reference before reallocating (a = nil before make)",
                         new_peak, new_peak - total, cpu,
                         f"the live heap falls to {mb(new_live)}, so the heap peaks near {mb(new_heap)}; "
                         "no GC CPU cost (usually less)."))
    if verdict == "leak":
        out.append(Lever("fix_leak", "find and release what keeps growing", None, None, None,
                         f"at {trend.rate_bytes_per_s / MiB:.2f} MiB/s the live heap alone will keep raising the "
                         "peak; GOMEMLIMIT makes the GC run harder as it nears the limit, then it is exceeded."))
    def granular(peak2: float) -> float:
        """With a heap of large objects of size S the heap moves in steps of S: the allocation that
        crosses the trigger completes before the GC can free anything (malloc.go mallocgc ->
        gcStart), so the heap in use peaks at live + a whole number (≥ 1) of objects."""
        if repl is None:
            return peak2
        s = repl.object_bytes
        heap2 = peak2 - base + live  # the heap in use at the new peak
        steps = max(1, math.ceil((heap2 - live) / s - 1e-6))
        return base - live + live + steps * s

    last_peak = math.inf
    if headroom > 0.05 * total and gogc is not None and gogc > 0:
        for g2 in (gogc / 2, gogc / 4) if gogc >= 50 else (gogc / 2,):
            g2 = max(10.0, round(g2))
            peak2 = base + headroom * g2 / gogc
            if limited:  # the limit, not GOGC, sets the headroom now: GOGC only helps below it
                peak2 = min(total, base + live * g2 / 100)
            peak2 = granular(peak2)
            if peak2 >= min(last_peak, total * 0.99):
                break  # a lower GOGC would not lower the peak any further
            last_peak = peak2
            cpu2 = cpu * gogc / g2 if math.isfinite(cpu) else math.nan
            out.append(Lever("gogc", f"GOGC={g2:g}", peak2, peak2 - total, cpu2,
                             f"the headroom above the live heap shrinks to {g2:g}% of it; about {gogc / g2:.0f}× "
                             "as many GC cycles."))
            if g2 <= 25:
                break
    if headroom > 0.05 * total and live > 0:
        # a limit that halves the headroom, on a 64 MiB grid, kept ≥ 25% above live + non-heap
        grid = 64 * MiB if total > GiB / 2 else 16 * MiB
        target = round((base + headroom / 2) / grid) * grid
        floor = (live + non_heap) * 1.25
        target = max(target, _round_up(floor, 16 * MiB))
        # the heap steps by whole objects: the allocation that crosses the limit's goal completes
        peak_lim = max(target, granular(target)) if repl is not None else target
        if peak_lim < total * 0.97 and (lim is None or target < lim):
            head2 = max(target - base, 1.0)
            cpu2 = cpu * headroom / head2 if math.isfinite(cpu) else math.nan
            setting = "GOMEMLIMIT=" + (f"{target / GiB:g}GiB" if target % GiB == 0 else f"{int(target // MiB)}MiB")
            out.append(Lever("memory_limit", setting, peak_lim, peak_lim - total, cpu2,
                             "the GC runs when the memory held nears the limit instead of at the GOGC goal; keep it "
                             "well above the live heap plus non-heap memory, or the GC runs back to back (GC CPU is "
                             "then capped at about 50% and the limit is exceeded)."))
            if verdict != "leak":
                out.append(Lever("gogc_off_memory_limit", f"GOGC=off {setting}", peak_lim, peak_lim - total,
                               cpu * headroom / max(target - base, 1.0) if math.isfinite(cpu) else math.nan,
                               "no GC until the limit: the fewest cycles for this peak, but no safety margin if the "
                               "live heap grows."))
    if idle >= 0.05 * total:
        out.append(Lever("free_os_memory", "debug.FreeOSMemory() after the burst (or periodically)",
                         total - idle, -idle, cpu,
                         f"returns the {mb(idle)} of idle heap to the OS at once (a forced GC plus a full scavenge)."))
    if rel_rss >= 0.05 * total:
        out.append(Lever("madvdontneed", "GODEBUG=madvdontneed=1", total - rel_rss, -rel_rss, cpu,
                         "released pages leave RSS at once (MADV_DONTNEED instead of MADV_FREE)."))
    if verdict == "non_heap":
        st = parts.get("stacks_bytes", 0.0)
        if st >= 0.1 * total:
            out.append(Lever("goroutines", "fewer or shallower goroutines", total - st / 2, -st / 2, cpu,
                             f"goroutine stacks hold {mb(st)}; stacks are not in the heap goal's headroom."))
    return out
