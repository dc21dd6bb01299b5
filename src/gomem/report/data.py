"""What the charts show, computed once from a Timeline: the columns each chart plots, the
peak, the summary table and the verdict of ``explain``. The HTML report, the PNG/SVG plots and
the live dashboard all draw from this (pure: no I/O).

A *payload* is a JSON-able dict per run::

    {"label": ..., "meta": {...},
     "gc": {"t_s": [...], "t_end_s": [...], "num": [...], "heap_start_bytes": [...], ...},
     "memstats": {"t_s": [...], "heap_sys_bytes": [...], "held_bytes": [...], ...},
     "rss": {"t_s": [...], "rss_bytes": [...]},
     "event": {"t_s": [...], "name": [...], "text": [...]},
     "limits": {"memory_limit_bytes": int|None, "container_limit_bytes": int|None},
     "peak": {"metric": "rss_bytes", "what": "RSS", "bytes": ..., "t_s": ..., "breakdown": {...}},
     "explain": {...} | None, "summary": [[name, text], ...], "notes": [...]}

Missing values are ``None`` (JSON ``null``); rows without a time are left out of the charts
(and counted in ``notes``).
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..timeline import INT_MAX, INT_NA, Table, Timeline
from ..units import MAX_INT64, format_size

#: the columns of each kind the charts use (the payload carries only these)
CHART_COLUMNS: dict[str, list[str]] = {
    "gc": ["t_s", "num", "heap_start_bytes", "heap_end_bytes", "heap_live_bytes", "heap_goal_bytes",
           "gc_cpu_percent", "forced", "clock_sweep_term_ms", "clock_mark_ms", "clock_mark_term_ms"],
    "memstats": ["t_s", "heap_sys_bytes", "heap_alloc_bytes", "heap_idle_bytes", "heap_released_bytes",
                 "heap_inuse_bytes", "sys_bytes", "next_gc_bytes", "num_gc", "gc_cpu_fraction"],
    "rss": ["t_s", "rss_bytes"],
    "event": ["t_s", "name", "value", "text"],
}

#: the kinds the charts draw
KIND_NAMES: tuple[str, ...] = tuple(CHART_COLUMNS)

#: the lines of the memory chart: id, kind, column, legend label, colour, step alignment (uPlot
#: stepped paths: 1 holds a value until the next point, -1 draws it back to the previous one).
#: ``held_bytes`` is HeapSys - HeapReleased, what the heap holds from the OS (runtime/mstats.go,
#: doc of HeapReleased: "HeapIdle minus HeapReleased estimates the amount of memory that could
#: be returned to the OS, but is being retained by the runtime"). ``heap`` joins gctrace's heap at
#: GC start (heap0) to the marked heap (heap2) at mark termination: the GOGC sawtooth.
METRICS: list[dict[str, Any]] = [
    {"id": "heap", "kind": "gc", "column": "heap_start_bytes", "label": "heap (gctrace: at GC start → marked)", "color": "#7f7f7f", "width": 1.5,
     "overlay": {"width": 1, "alpha": 0.6}},
    {"id": "heap_live", "kind": "gc", "column": "heap_live_bytes", "label": "live heap (marked by GC)", "color": "#1f77b4", "step": 1, "width": 2,
     "overlay": {"width": 1.5, "dash": [6, 3]}},
    {"id": "heap_goal", "kind": "gc", "column": "heap_goal_bytes", "label": "heap goal", "color": "#2ca02c", "step": -1, "width": 1.5},
    {"id": "gc", "kind": "gc", "column": "heap_start_bytes", "label": "GC cycle (heap at start)", "color": "#555555",
     "overlay": {}},
    {"id": "heap_alloc", "kind": "memstats", "column": "heap_alloc_bytes", "label": "HeapAlloc", "color": "#17becf", "width": 1},
    {"id": "heap_sys", "kind": "memstats", "column": "heap_sys_bytes", "label": "HeapSys", "color": "#ff7f0e", "width": 3.5},
    {"id": "held", "kind": "memstats", "column": "held_bytes", "label": "held (HeapSys − HeapReleased)", "color": "#9467bd", "width": 1.5,
     "overlay": {"width": 2.5}},
    {"id": "released", "kind": "memstats", "column": "heap_released_bytes", "label": "released (HeapReleased)", "color": "#bcbd22", "width": 1.5},
    {"id": "rss", "kind": "rss", "column": "rss_bytes", "label": "RSS", "color": "#d62728", "width": 2,
     "overlay": {"width": 2, "dash": [10, 3, 2, 3]}},
    {"id": "memory_limit", "kind": "limits", "column": "memory_limit_bytes", "label": "memory limit (GOMEMLIMIT)", "color": "#000000", "dash": [6, 3], "width": 1.5,
     "overlay": {"width": 1.5, "dash": [2, 4]}},
    {"id": "container_limit", "kind": "limits", "column": "container_limit_bytes", "label": "container limit", "color": "#8c564b", "dash": [2, 2], "width": 2,
     "overlay": {"width": 2.5, "dash": [1, 2]}},
]

#: with several runs overlaid, a colour per run; each metric with an "overlay" style is drawn
#: in its run's colour, the others are left out (the single-run report shows them all)
RUN_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

#: beyond this many rows of one kind, the report keeps every bucket's min and max (peaks stay)
MAX_POINTS = 20000


def _nan_to_none(a: np.ndarray, digits: int | None = None) -> list[Any]:
    k = a.dtype.kind
    if k == "i":
        return [None if v == INT_NA else (None if v >= INT_MAX else int(v)) for v in a.tolist()]
    if k == "f":
        if digits is not None:
            a = np.round(a, digits)
        return [None if (v != v) else v for v in a.tolist()]
    if k == "b":
        return [bool(v) for v in a.tolist()]
    return [v if v != "" else None for v in a.tolist()]


def _decimate(t: np.ndarray, y: np.ndarray, max_points: int) -> np.ndarray:
    """Indices keeping, per bucket of rows, the first, the min and the max of ``y``."""
    n = len(t)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, max_points // 3)
    edges = np.linspace(0, n, buckets + 1).astype(int)
    keep: list[int] = []
    yy = np.where(np.isnan(y), -np.inf, y) if y.dtype.kind == "f" else y
    for a, b in zip(edges[:-1], edges[1:]):
        if b <= a:
            continue
        seg = yy[a:b]
        keep.extend((a, a + int(np.argmin(seg)), a + int(np.argmax(seg))))
    keep.append(n - 1)
    return np.unique(np.array(keep))


def kind_columns(kind: str, table: Table | None = None, records: Iterable[Mapping[str, Any]] | None = None,
                 max_points: int | None = None) -> dict[str, list[Any]]:
    """The chart columns of one kind, from a Table or from records (the live dashboard's
    chunks), with derived columns (``held_bytes``, ``t_end_s``, ``heap_bytes``). Rows without a
    time are left out."""
    if table is None:
        table = Timeline.from_records([{**r, "kind": kind} for r in (records or [])])[kind]
    if len(table) == 0:
        return {c: [] for c in _columns_of(kind)}
    ts = table["t_s"]
    rows = ~np.isnan(ts)
    sub = table.take(np.nonzero(rows)[0])
    order = np.argsort(sub["t_s"], kind="stable")
    sub = sub.take(order)
    if max_points is not None and len(sub) > max_points:
        main = {"rss": "rss_bytes", "memstats": "heap_sys_bytes", "gc": "heap_start_bytes"}.get(kind)
        if main:
            col = sub[main].astype(float)
            col[sub[main] == INT_NA] = np.nan
            sub = sub.take(_decimate(sub["t_s"], col, max_points))
    out: dict[str, list[Any]] = {}
    for c in CHART_COLUMNS.get(kind, ["t_s"]):
        out[c] = _nan_to_none(sub[c], 6 if c == "t_s" else None)
    if kind == "memstats":
        sys_b, rel = sub["heap_sys_bytes"], sub["heap_released_bytes"]
        ok = (sys_b != INT_NA) & (rel != INT_NA)
        held = np.where(ok, sys_b - np.where(ok, rel, 0), INT_NA)
        out["held_bytes"] = _nan_to_none(held)
    if kind == "gc":
        # the cycle starts at t_s (gctrace's "@#s", runtime/mgc.go gcStart) and its heap_live is
        # known at mark termination, t_s + the clock phases (runtime/mgc.go gcMarkTermination);
        # the end time is nudged past the start so both points stay distinct on the chart.
        dur_s = np.zeros(len(sub))
        for c in ("clock_sweep_term_ms", "clock_mark_ms", "clock_mark_term_ms"):
            v = sub[c]
            dur_s += np.where(np.isnan(v), 0.0, v) / 1000.0
        t_end = sub["t_s"] + np.maximum(dur_s, 1e-6)
        out["t_end_s"] = _nan_to_none(t_end, 6)
        # a 1 µs floor after rounding to 6 digits
        out["t_end_s"] = [max(e, s + 1e-6) if (e is not None and s is not None) else e
                          for e, s in zip(out["t_end_s"], out["t_s"])]
        out["t_end_s"] = [round(v, 6) if v is not None else None for v in out["t_end_s"]]
    return out


def _columns_of(kind: str) -> list[str]:
    cols = list(CHART_COLUMNS.get(kind, ["t_s"]))
    if kind == "memstats":
        cols.append("held_bytes")
    if kind == "gc":
        cols.append("t_end_s")
    return cols


def _valid_max(values: Sequence[Any]) -> tuple[int | None, float | None]:
    best = None
    for i, v in enumerate(values):
        if v is not None and (best is None or v > values[best]):
            best = i
    if best is None:
        return None, None
    return best, values[best]


def limits_of(tl: Timeline) -> dict[str, int | None]:
    """GOMEMLIMIT and the container's limit as the meta (or a memory_limit event) tell them."""
    meta = tl.meta or {}
    settings = meta.get("settings") or {}
    mem = settings.get("memory_limit_bytes")
    if mem is None and "event" in tl:
        ev = tl["event"]
        for name, value in zip(ev["name"].tolist(), ev["value"].tolist()):
            if name == "memory_limit" and value == value and value > 0:
                mem = int(value)
    if mem is not None and int(mem) >= MAX_INT64:
        mem = None  # math.MaxInt64 is Go's "no limit" (runtime/mgcpacer.go, setMemoryLimit)
    cont = meta.get("container_limit_bytes")
    return {"memory_limit_bytes": int(mem) if mem is not None else None,
            "container_limit_bytes": int(cont) if cont is not None else None}


def find_peak(p: Mapping[str, Any]) -> dict[str, Any] | None:
    """The peak the charts mark: of RSS when there is RSS (what the OS sees), else of held heap
    memory, else of HeapSys, else of the heap at GC start in gctrace."""
    for kind, col, what in (("rss", "rss_bytes", "RSS"), ("memstats", "held_bytes", "held heap (HeapSys − HeapReleased)"),
                            ("memstats", "heap_sys_bytes", "HeapSys"), ("gc", "heap_start_bytes", "heap at GC start")):
        cols = p.get(kind) or {}
        i, v = _valid_max(cols.get(col) or [])
        if i is not None:
            return {"kind": kind, "metric": col, "what": what, "bytes": int(v), "t_s": cols["t_s"][i]}
    return None


#: how explain names the quantity its peak is of -> what the chart says
QUANTITIES = {"rss": "RSS", "rss_bytes": "RSS", "sys_minus_heap_released": "Sys − HeapReleased",
              "heap_sys": "HeapSys", "held": "held heap", "heap_sys_minus_released": "held heap",
              "gc_heap": "heap at GC start", "gctrace_heap": "gctrace heap"}


#: the parts explain breaks a peak into (they add up to it), and the parts of non_heap_bytes
#: (gomem.analysis.explain.breakdown)
PEAK_PARTS = ("live_heap_bytes", "gc_headroom_bytes", "idle_held_bytes", "released_in_rss_bytes", "non_heap_bytes")
NON_HEAP_PARTS = ("stacks_bytes", "globals_bytes", "runtime_other_bytes", "rss_unexplained_bytes")


def peak_from_explain(pk: Mapping[str, Any]) -> dict[str, Any] | None:
    """The peak explain found (its time, total and breakdown), as the charts mark it."""
    t, total = pk.get("t_s"), pk.get("total_bytes")
    if t is None or total is None:
        return None
    q = str(pk.get("quantity") or "memory")

    def nonzero(keys: Sequence[str]) -> dict[str, float]:
        return {k: pk[k] for k in keys if isinstance(pk.get(k), (int, float)) and not isinstance(pk.get(k), bool)
                and pk[k]}

    return {"kind": "explain", "metric": q, "what": QUANTITIES.get(q, q.replace("_", " ")),
            "bytes": int(total), "t_s": float(t), "breakdown": nonzero(PEAK_PARTS),
            "non_heap_parts": nonzero(NON_HEAP_PARTS)}


def explain_run(tl: Timeline) -> tuple[dict[str, Any] | None, str | None]:
    """``gomem.analysis.explain`` of the run as a dict, or (None, why not)."""
    try:
        from ..analysis import explain  # type: ignore[attr-defined]
    except ImportError as e:  # the analysis package is not there (yet)
        return None, f"explain is not available: {e}"
    try:
        ex = explain(tl)
    except Exception as e:  # explain can refuse a timeline too thin to explain
        return None, f"explain: {e}"
    d = ex.to_dict() if hasattr(ex, "to_dict") else dict(vars(ex))
    d.setdefault("verdict", getattr(ex, "verdict", None))
    d.setdefault("text", getattr(ex, "text", None))
    return _jsonable(d), None


def _jsonable(o: Any) -> Any:
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating, float)):
        f = float(o)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(o, np.bool_):
        return bool(o)
    if o is None or isinstance(o, (str, int, bool)):
        return o
    if hasattr(o, "to_dict"):
        return _jsonable(o.to_dict())
    return str(o)


def _fmt_setting(settings: Mapping[str, Any], limits: Mapping[str, Any]) -> str:
    parts = []
    if "gogc" in settings:
        parts.append(f"GOGC={'off' if settings['gogc'] is None else settings['gogc']}")
    if limits.get("memory_limit_bytes") is not None:
        parts.append(f"GOMEMLIMIT={format_size(limits['memory_limit_bytes'])}")
    if settings.get("gomaxprocs"):
        parts.append(f"GOMAXPROCS={settings['gomaxprocs']}")
    if settings.get("godebug"):
        parts.append(f"GODEBUG={settings['godebug']}")
    return " ".join(parts) or "-"


def summary_rows(p: Mapping[str, Any]) -> list[list[str]]:
    """The summary table of one run: name, value (as text)."""
    meta = p.get("meta") or {}
    rows: list[list[str]] = []
    if meta.get("go_version"):
        rows.append(["Go", str(meta["go_version"])])
    rows.append(["settings", _fmt_setting(meta.get("settings") or {}, p.get("limits") or {})])
    ts = [t for k in ("gc", "memstats", "rss") for t in (p.get(k) or {}).get("t_s", []) if t is not None]
    if ts:
        rows.append(["duration", f"{max(ts) - min(0.0, min(ts)):.2f} s"])
    gc = p.get("gc") or {}
    if gc.get("t_s"):
        forced = sum(1 for f in gc.get("forced", []) if f)
        rows.append(["GC cycles", f"{len(gc['t_s'])}" + (f" ({forced} forced)" if forced else "")])
        cpu = [v for v in gc.get("gc_cpu_percent", []) if v is not None]
        if cpu:
            rows.append(["GC CPU (gctrace, since start)", f"{cpu[-1]:g} %"])
    for kind, col, name in (("rss", "rss_bytes", "peak RSS"), ("memstats", "heap_sys_bytes", "peak HeapSys"),
                            ("memstats", "held_bytes", "peak held (HeapSys − HeapReleased)"),
                            ("memstats", "heap_alloc_bytes", "peak HeapAlloc (sampled)"),
                            ("gc", "heap_start_bytes", "peak heap at GC start"),
                            ("gc", "heap_live_bytes", "max live heap (marked)"),
                            ("gc", "heap_goal_bytes", "max heap goal")):
        _, v = _valid_max((p.get(kind) or {}).get(col) or [])
        if v is not None:
            rows.append([name, format_size(v)])
    lim = p.get("limits") or {}
    if lim.get("memory_limit_bytes") is not None:
        rows.append(["memory limit (GOMEMLIMIT)", format_size(lim["memory_limit_bytes"])])
    if lim.get("container_limit_bytes") is not None:
        rows.append(["container limit", format_size(lim["container_limit_bytes"])])
    return rows


def _meta_view(meta: Mapping[str, Any]) -> dict[str, Any]:
    keep = ("source", "go_version", "settings", "container_limit_bytes", "cmd", "predicted", "whatif")
    return _jsonable({k: meta[k] for k in keep if k in meta})


def run_payload(tl: Timeline, label: str, *, explain: bool = True, max_points: int | None = MAX_POINTS) -> dict[str, Any]:
    """Everything the charts of one run need (see the module doc)."""
    p: dict[str, Any] = {"label": label, "meta": _meta_view(tl.meta or {})}
    notes: list[str] = []
    for kind in CHART_COLUMNS:
        t = tl[kind]
        p[kind] = kind_columns(kind, t, max_points=max_points)
        untimed = int(np.isnan(t["t_s"]).sum()) if len(t) else 0
        if untimed:
            notes.append(f"{untimed} {kind} record(s) have no time and are not charted")
        if len(t) and max_points is not None and len(p[kind]["t_s"]) < len(t) - untimed:
            notes.append(f"{kind}: {len(t) - untimed} samples drawn as {len(p[kind]['t_s'])} (min/max per bucket)")
    p["limits"] = limits_of(tl)
    p["peak"] = find_peak(p)
    p["explain"] = None
    if explain:
        ex, why = explain_run(tl)
        p["explain"] = ex
        if why:
            notes.append(why)
        if ex and isinstance(ex.get("peak"), dict):
            p["peak"] = peak_from_explain(ex["peak"]) or p["peak"]
    p["summary"] = summary_rows(p)
    p["notes"] = notes
    return p


def split_processes(tl: Timeline, label: str) -> list[tuple[Timeline, str]]:
    """One (timeline, label) per process run the timeline holds."""
    procs: set[int] = set()
    for t in tl.tables.values():
        if len(t) and "process" in t.columns:
            procs.update(int(v) for v in np.unique(t["process"]) if v != INT_NA)
    if len(procs) <= 1:
        return [(tl, label)]
    return [(tl.select(pr), f"{label} [process {pr}]") for pr in sorted(procs)]


def payload(runs: Sequence[tuple[Timeline, str]], *, title: str | None = None, explain: bool = True,
            max_points: int | None = MAX_POINTS) -> dict[str, Any]:
    """The payload of a report: ``{"title": ..., "runs": [run_payload, ...]}``."""
    out = []
    for tl, label in runs:
        for sub, lab in split_processes(tl, label):
            out.append(run_payload(sub, lab, explain=explain, max_points=max_points))
    return {"format": "gomem-report", "version": 1, "title": title or "gomem report", "metrics": METRICS,
            "run_colors": RUN_COLORS, "runs": out}
