"""The Timeline: gomem's one central value.

A Timeline is what the model, the trace parsers and the monitor produce, and what analysis,
reports and the dashboard consume. It is columnar: one :class:`Table` per record *kind*
(``gc``, ``memstats``, ``rss``, ``scav``, ``event``, ...), each a set of equal-length NumPy
columns, plus ``meta``, a JSON-able dict (Go version, settings, sources).

Records are plain dicts with a ``"kind"`` key, the same dicts ``gomem parse --json`` prints.
Column names use Go's own words and carry their unit (``heap_live_bytes``, ``t_s``).

Missing values: float columns hold NaN, integer columns hold :data:`INT_NA` (the smallest
int64), string columns hold ``""``. In records, all of these are ``None``.
Integers beyond int64 (Go 1.15's ``next_gc`` of 2^64-1 under GOGC=off) are clamped to
:data:`INT_MAX`, which every consumer reads as "no goal".

Save/load (``.npz`` holding every column plus the meta as JSON) round-trips exactly.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import numpy as np

INT_NA = int(np.iinfo(np.int64).min)
INT_MAX = int(np.iinfo(np.int64).max)

FLOAT = "f8"
INT = "i8"
STR = "U"
BOOL = "?"

#: Known columns of each kind and their dtype. Records may carry further keys: they become
#: extra columns whose dtype is inferred from the values. Every kind has ``t_s`` (seconds since
#: the observed process started, NaN where the source has no clock), ``process`` (0-based
#: index of the process run within the source) and ``seq`` (order within the source, e.g. the
#: line number).
COMMON = {"t_s": FLOAT, "process": INT, "seq": INT}

SCHEMAS: dict[str, dict[str, str]] = {
    # one completed GC cycle, as a gctrace line reports it
    "gc": {
        **COMMON,
        "num": INT,
        "gc_cpu_percent": FLOAT,
        "clock_sweep_term_ms": FLOAT,
        "clock_mark_ms": FLOAT,
        "clock_mark_term_ms": FLOAT,
        "cpu_sweep_term_ms": FLOAT,
        "cpu_assist_ms": FLOAT,
        "cpu_background_ms": FLOAT,
        "cpu_idle_ms": FLOAT,
        "cpu_mark_term_ms": FLOAT,
        "heap_start_bytes": INT,  # heap0: heap_live when the cycle started (~ the trigger)
        "heap_end_bytes": INT,  # heap1: heap_live at mark termination
        "heap_live_bytes": INT,  # heap2: bytes marked live (the new heap_marked)
        "heap_goal_bytes": INT,
        "stacks_bytes": INT,  # Go 1.18+
        "globals_bytes": INT,  # Go 1.18+
        "procs": INT,
        "forced": BOOL,
    },
    # a runtime.MemStats snapshot (any subset of fields)
    "memstats": {
        **COMMON,
        "heap_sys_bytes": INT,
        "heap_alloc_bytes": INT,
        "heap_idle_bytes": INT,
        "heap_released_bytes": INT,
        "heap_inuse_bytes": INT,
        "heap_objects": INT,
        "sys_bytes": INT,
        "total_alloc_bytes": INT,
        "next_gc_bytes": INT,
        "num_gc": INT,
        "num_forced_gc": INT,
        "stack_inuse_bytes": INT,
        "stack_sys_bytes": INT,
        "mspan_sys_bytes": INT,
        "mcache_sys_bytes": INT,
        "gc_sys_bytes": INT,
        "other_sys_bytes": INT,
        "buck_hash_sys_bytes": INT,
        "mallocs": INT,
        "frees": INT,
        "pause_total_ns": INT,
        "last_gc_ns": INT,
        "gc_cpu_fraction": FLOAT,
    },
    # resident memory of the process (or tree), from /proc or a CSV
    "rss": {**COMMON, "rss_bytes": INT, "pss_bytes": INT, "anon_bytes": INT, "hwm_bytes": INT},
    # one GODEBUG=scavtrace=1 line
    "scav": {
        **COMMON,
        "released_bytes": INT,  # work since the last line (bg + eager)
        "released_bg_bytes": INT,
        "released_eager_bytes": INT,
        "heap_released_bytes": INT,  # "total"/"now"
        "util_percent": FLOAT,
        "forced": BOOL,
    },
    # something that happened: exit, signal, oom_kill, fatal, memory_limit, free_os_memory ...
    "event": {**COMMON, "name": STR, "value": FLOAT, "text": STR},
}

_NA_BY_DTYPE = {"f": math.nan, "i": INT_NA, "U": "", "b": False}


def _dtype_kind(dtype: str) -> str:
    return np.dtype(dtype if dtype != STR else "U1").kind


def _infer_dtype(values: list[Any]) -> str:
    seen = [v for v in values if v is not None]
    if not seen:
        return FLOAT
    if all(isinstance(v, bool) for v in seen):
        return BOOL
    if all(isinstance(v, int) and not isinstance(v, bool) for v in seen):
        return INT
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in seen):
        return FLOAT
    return STR


def _to_array(values: list[Any], dtype: str) -> np.ndarray:
    kind = _dtype_kind(dtype)
    if kind == "i":
        out = np.empty(len(values), dtype=np.int64)
        for i, v in enumerate(values):
            if v is None:
                out[i] = INT_NA
            else:
                v = int(v)
                out[i] = INT_MAX if v > INT_MAX else v
        return out
    if kind == "f":
        return np.array([math.nan if v is None else float(v) for v in values], dtype=np.float64)
    if kind == "b":
        return np.array([bool(v) for v in values], dtype=bool)
    return np.array(["" if v is None else str(v) for v in values], dtype=str)


def _scalar(arr: np.ndarray, i: int) -> Any:
    v = arr[i]
    k = arr.dtype.kind
    if k == "i":
        v = int(v)
        return None if v == INT_NA else v
    if k == "f":
        v = float(v)
        return None if math.isnan(v) else v
    if k == "b":
        return bool(v)
    v = str(v)
    return v if v != "" else None


class Table:
    """Equal-length columns of one record kind. Immutable by convention."""

    def __init__(self, kind: str, columns: Mapping[str, np.ndarray]):
        self.kind = kind
        self.columns: dict[str, np.ndarray] = dict(columns)
        lengths = {len(c) for c in self.columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"table {kind!r}: columns of different lengths {sorted(lengths)}")

    def __len__(self) -> int:
        for c in self.columns.values():
            return len(c)
        return 0

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> np.ndarray:
        """A column. A known column the table lacks comes back all-missing."""
        if name in self.columns:
            return self.columns[name]
        dtype = SCHEMAS.get(self.kind, {}).get(name)
        if dtype is None:
            raise KeyError(f"{self.kind} has no column {name!r}")
        return _to_array([None] * len(self), dtype)

    def get(self, name: str, default: Any = None) -> Any:
        return self.columns.get(name, default)

    def valid(self, name: str) -> np.ndarray:
        """Boolean mask of the rows where column ``name`` has a value."""
        col = self[name]
        k = col.dtype.kind
        if k == "i":
            return col != INT_NA
        if k == "f":
            return ~np.isnan(col)
        if k == "U":
            return col != ""
        return np.ones(len(col), dtype=bool)

    def records(self) -> Iterator[dict[str, Any]]:
        names = list(self.columns)
        cols = [self.columns[n] for n in names]
        for i in range(len(self)):
            rec: dict[str, Any] = {"kind": self.kind}
            for n, c in zip(names, cols):
                rec[n] = _scalar(c, i)
            yield rec

    def take(self, index: np.ndarray) -> "Table":
        return Table(self.kind, {n: c[index] for n, c in self.columns.items()})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table) or other.kind != self.kind:
            return NotImplemented
        if set(self.columns) != set(other.columns):
            return False
        return all(
            self.columns[n].dtype == other.columns[n].dtype
            and np.array_equal(self.columns[n], other.columns[n], equal_nan=self.columns[n].dtype.kind == "f")
            for n in self.columns
        )

    def __repr__(self) -> str:
        return f"Table({self.kind!r}, rows={len(self)}, columns={list(self.columns)})"


@dataclass
class Timeline:
    """GC cycles, memory samples and events of one or more runs, on one time axis."""

    tables: dict[str, Table] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]], meta: Mapping[str, Any] | None = None) -> "Timeline":
        b = TimelineBuilder(meta)
        for r in records:
            b.add(r)
        return b.build()

    # -- access --------------------------------------------------------------------------
    def __getitem__(self, kind: str) -> Table:
        """The table of ``kind``; an empty table when there is none."""
        t = self.tables.get(kind)
        if t is None:
            schema = SCHEMAS.get(kind, COMMON)
            t = Table(kind, {n: _to_array([], d) for n, d in schema.items()})
        return t

    def __contains__(self, kind: str) -> bool:
        return kind in self.tables and len(self.tables[kind]) > 0

    @property
    def kinds(self) -> list[str]:
        return [k for k, t in self.tables.items() if len(t)]

    def records(self, kinds: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
        """All records, kind by kind (each kind in its stored order)."""
        for k in kinds or list(self.tables):
            if k in self.tables:
                yield from self.tables[k].records()

    def __len__(self) -> int:
        return sum(len(t) for t in self.tables.values())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timeline):
            return NotImplemented
        mine = {k: t for k, t in self.tables.items() if len(t)}
        theirs = {k: t for k, t in other.tables.items() if len(t)}
        return self.meta == other.meta and mine.keys() == theirs.keys() and all(mine[k] == theirs[k] for k in mine)

    # -- transforms (pure: return new Timelines) ------------------------------------------
    def merge(self, other: "Timeline", offset_s: float = 0.0) -> "Timeline":
        """Both timelines' records on one time axis (``other`` shifted by ``offset_s``),
        each kind sorted by ``t_s`` (stable; rows without a time keep their order at the end)."""
        recs: list[dict[str, Any]] = list(self.records())
        for r in other.records():
            if offset_s and r.get("t_s") is not None:
                r["t_s"] = r["t_s"] + offset_s
            recs.append(r)
        meta = dict(self.meta)
        meta.setdefault("merged", []).append(other.meta)
        tl = Timeline.from_records(recs, meta)
        return tl.sorted()

    def sorted(self) -> "Timeline":
        out = {}
        for k, t in self.tables.items():
            ts = t["t_s"]
            order = np.argsort(np.where(np.isnan(ts), np.inf, ts), kind="stable")
            out[k] = t.take(order)
        return Timeline(out, dict(self.meta))

    def select(self, process: int) -> "Timeline":
        """Only the records of one process run."""
        return Timeline({k: t.take(t["process"] == process) for k, t in self.tables.items()}, dict(self.meta))

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write an ``.npz`` file that :meth:`load` reads back equal to this Timeline."""
        path = Path(path)
        arrays: dict[str, np.ndarray] = {}
        layout = {}
        for k, t in self.tables.items():
            layout[k] = list(t.columns)
            for n, c in t.columns.items():
                arrays[f"{k}/{n}"] = c
        header = {"format": "gomem-timeline", "version": 1, "meta": self.meta, "layout": layout}
        arrays["__header__"] = np.array(json.dumps(header))
        with open(path, "wb") as f:
            np.savez_compressed(f, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Timeline":
        path = Path(path)
        with np.load(path, allow_pickle=False) as z:
            if "__header__" not in z.files:
                raise ValueError(f"{path}: not a gomem Timeline (no header)")
            header = json.loads(str(z["__header__"]))
            if header.get("format") != "gomem-timeline":
                raise ValueError(f"{path}: not a gomem Timeline")
            tables = {k: Table(k, {n: z[f"{k}/{n}"] for n in names}) for k, names in header["layout"].items()}
        return cls(tables, header.get("meta", {}))

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={len(t)}" for k, t in self.tables.items())
        return f"Timeline({parts})"


class TimelineBuilder:
    """Collects records (dicts with a ``kind``) and builds a :class:`Timeline`."""

    def __init__(self, meta: Mapping[str, Any] | None = None):
        self.meta: dict[str, Any] = dict(meta or {})
        self._rows: dict[str, list[Mapping[str, Any]]] = {}

    def add(self, record: Mapping[str, Any]) -> None:
        kind = record.get("kind")
        if not kind:
            raise ValueError(f"record without a kind: {record!r}")
        self._rows.setdefault(kind, []).append(record)

    def extend(self, records: Iterable[Mapping[str, Any]]) -> None:
        for r in records:
            self.add(r)

    def __len__(self) -> int:
        return sum(len(v) for v in self._rows.values())

    def build(self) -> Timeline:
        tables = {}
        for kind, rows in self._rows.items():
            schema = SCHEMAS.get(kind, COMMON)
            names: dict[str, None] = {}
            for r in rows:
                for n in r:
                    if n != "kind":
                        names.setdefault(n, None)
            cols = {}
            for n in names:
                values = [r.get(n) for r in rows]
                cols[n] = _to_array(values, schema.get(n) or _infer_dtype(values))
            tables[kind] = Table(kind, cols)
        return Timeline(tables, dict(self.meta))


def json_default(o: Any) -> Any:
    """``json.dumps(default=...)`` for NumPy scalars."""
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if math.isnan(o) else float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
