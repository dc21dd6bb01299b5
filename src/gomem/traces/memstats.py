"""``runtime.MemStats`` as programs print it: pure functions, text or JSON in, records (kind
``memstats``) out.

* Text: any sequence of ``name: N [unit]`` (or ``name=N``, ``name:N(bytes)``) pairs whose names
  are MemStats fields, in Go's spelling (``HeapSys``), snake_case (``heap_sys``) or the short
  names programs print (``sys``, ``alloc``, ``idle``, ``released``, ``inuse``) and their typos
  (the seed's ``idel``). A line is a record when it names at least two fields
  (:data:`MIN_FIELDS`).
* ``fmt.Printf("%+v", m)`` dumps: ``{Alloc:1 TotalAlloc:2 ... PauseNs:[...] BySize:[...]}``, on
  one line or re-wrapped one field per line (:class:`MemStatsTextParser` gathers those).
* JSON: ``encoding/json`` of ``runtime.MemStats`` (Go field names), expvar's ``/debug/vars``
  (a ``memstats`` object), and snake_case keys with or without units (``heap_sys``, as in the
  shared corpus's ``memstats.jsonl``, or ``heap_sys_bytes``).

Units: ``B``/``bytes`` (the default), ``KB``/``KiB``, ``MB``/``MiB``, ``GB``/``GiB``. Programs
that print "MB" divide by 1024*1024 (the seed: ``m.HeapSys/meg`` with ``meg = 1024*1024``), so
KB/MB/GB are read as binary units and the floored value is stored as ``value << 20``.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

#: Go's MemStats field name -> gomem column (runtime/mstats.go, type MemStats)
GO_FIELDS: dict[str, str] = {
    "Alloc": "heap_alloc_bytes",  # "Alloc is bytes of allocated heap objects. This is the same as HeapAlloc"
    "TotalAlloc": "total_alloc_bytes",
    "Sys": "sys_bytes",
    "Lookups": "lookups",
    "Mallocs": "mallocs",
    "Frees": "frees",
    "HeapAlloc": "heap_alloc_bytes",
    "HeapSys": "heap_sys_bytes",
    "HeapIdle": "heap_idle_bytes",
    "HeapInuse": "heap_inuse_bytes",
    "HeapReleased": "heap_released_bytes",
    "HeapObjects": "heap_objects",
    "StackInuse": "stack_inuse_bytes",
    "StackSys": "stack_sys_bytes",
    "MSpanInuse": "mspan_inuse_bytes",
    "MSpanSys": "mspan_sys_bytes",
    "MCacheInuse": "mcache_inuse_bytes",
    "MCacheSys": "mcache_sys_bytes",
    "BuckHashSys": "buck_hash_sys_bytes",
    "GCSys": "gc_sys_bytes",
    "OtherSys": "other_sys_bytes",
    "NextGC": "next_gc_bytes",
    "LastGC": "last_gc_ns",
    "PauseTotalNs": "pause_total_ns",
    "NumGC": "num_gc",
    "NumForcedGC": "num_forced_gc",
    "GCCPUFraction": "gc_cpu_fraction",
    "EnableGC": "enable_gc",
    "DebugGC": "debug_gc",
}

#: normalised name (lower case, no ``_``/``-``/space) -> column
ALIASES: dict[str, str] = {k.lower(): v for k, v in GO_FIELDS.items()}
ALIASES.update({
    # the column names themselves, and their unit-less forms (the corpus's memstats.jsonl)
    **{v.replace("_", ""): v for v in GO_FIELDS.values()},
    **{v.replace("_", "").removesuffix("bytes"): v for v in GO_FIELDS.values() if v.endswith("_bytes")},
    **{v.replace("_", "").removesuffix("ns"): v for v in GO_FIELDS.values() if v.endswith("_ns")},
    # short names programs print, and typos seen in the wild
    "idle": "heap_idle_bytes", "idel": "heap_idle_bytes", "heapidel": "heap_idle_bytes",
    "inuse": "heap_inuse_bytes", "released": "heap_released_bytes", "objects": "heap_objects",
    "totalalloc": "total_alloc_bytes", "totalallocated": "total_alloc_bytes",
    "numgcs": "num_gc", "gcs": "num_gc", "gccount": "num_gc",
    "gccpu": "gc_cpu_fraction",
})
ALIASES.pop("alloc", None)
ALIASES["alloc"] = "heap_alloc_bytes"
# "sys" alone is Sys, except beside the heap's short names (the seed prints HeapSys as "sys")
ALIASES["sys"] = "sys_bytes"
_HEAP_SHORT = {"idle", "idel", "inuse", "released"}

#: columns that are counts, fractions or flags rather than byte sizes
NOT_BYTES = {"lookups", "mallocs", "frees", "heap_objects", "num_gc", "num_forced_gc", "gc_cpu_fraction",
             "enable_gc", "debug_gc", "last_gc_ns", "pause_total_ns"}
#: a text line is a memstats record when it names at least this many fields
MIN_FIELDS = 2

_UNITS = {"": 1, "b": 1, "byte": 1, "bytes": 1, "kb": 1 << 10, "kib": 1 << 10, "k": 1 << 10,
          "mb": 1 << 20, "mib": 1 << 20, "m": 1 << 20, "gb": 1 << 30, "gib": 1 << 30, "g": 1 << 30}

PAIR_RE = re.compile(
    r"(?<![A-Za-z0-9_])([A-Za-z][A-Za-z0-9_]*)[ \t]*[:=][ \t]*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false)"
    r"(?:[ \t]*\(?(bytes|byte|[KkMmGg]i?[Bb]|B)\b\)?)?"
)
_BRACKETS_RE = re.compile(r"\[[^\[\]]*\]")
#: Go's log package prefix: 2019/04/06 17:37:52[.123456]
LOGTIME_RE = re.compile(r"^(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?")


def _norm(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _value(col: str, raw: str, unit: str | None) -> Any:
    if raw in ("true", "false"):
        return raw == "true"
    if col == "gc_cpu_fraction":
        return float(raw)
    mult = _UNITS.get((unit or "").lower(), 1) if col not in NOT_BYTES else 1
    if "." in raw or "e" in raw or "E" in raw:
        return int(float(raw) * mult)
    return int(raw) * mult


def fields_from_text(text: str) -> dict[str, Any]:
    """The MemStats fields named in ``text`` (columns -> values). Arrays (``PauseNs:[...]``,
    ``BySize:[{Size:..}]``) are skipped. Unknown names are ignored."""
    if "[" in text:
        prev = None
        while prev != text:
            prev, text = text, _BRACKETS_RE.sub(" ", text)
    found: list[tuple[str, str, str | None]] = []
    shorts = False
    for m in PAIR_RE.finditer(text):
        key = _norm(m[1])
        col = ALIASES.get(key)
        if col is None:
            continue
        if key in _HEAP_SHORT:
            shorts = True
        found.append((key, m[2], m[3]))
    out: dict[str, Any] = {}
    for key, raw, unit in found:
        col = ALIASES[key]
        if key == "sys" and shorts:
            col = "heap_sys_bytes"  # the seed: "sys: %4d MB" of m.HeapSys beside idle/released/inuse
        if col in out:
            continue
        try:
            out[col] = _value(col, raw, unit)
        except (ValueError, OverflowError):
            continue
    return out


def record(fields: Mapping[str, Any], seq: int | None = None, t_s: float | None = None,
           process: int | None = 0) -> dict[str, Any]:
    rec: dict[str, Any] = {"kind": "memstats", "t_s": t_s, "process": process, "seq": seq}
    rec.update(fields)
    return rec


def parse_memstats_text(text: str, seq: int | None = None) -> dict[str, Any] | None:
    """A memstats record from one line of text, or None (fewer than :data:`MIN_FIELDS`)."""
    if ":" not in text and "=" not in text:
        return None
    f = fields_from_text(text)
    if len(f) < MIN_FIELDS:
        return None
    return record(f, seq)


def fields_from_json(obj: Mapping[str, Any]) -> dict[str, Any]:
    """MemStats fields of a JSON object: Go names (encoding/json of runtime.MemStats), snake
    case with or without units. Values are bytes (JSON MemStats are never scaled)."""
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if not isinstance(k, str):
            continue
        col = GO_FIELDS.get(k) or ALIASES.get(_norm(k))
        if col is None or isinstance(v, (list, dict)) or v is None:
            continue
        if isinstance(v, bool):
            out.setdefault(col, v)
            continue
        if not isinstance(v, (int, float)):
            try:
                v = float(v) if col == "gc_cpu_fraction" else int(v)
            except (TypeError, ValueError):
                continue
        elif col != "gc_cpu_fraction":
            if v != v or v in (float("inf"), float("-inf")):
                continue
            v = int(v)
        out.setdefault(col, v)
    return out


class MemStatsTextParser:
    """Stateful: gathers a ``%+v`` MemStats dump re-wrapped one field per line (consecutive
    lines each naming one Go MemStats field) into one record. ``feed`` returns a record, or
    None when the line is not (yet) one; ``understood`` says whether the line was consumed."""

    def __init__(self) -> None:
        self._acc: dict[str, Any] = {}
        self._acc_seq: int | None = None
        self._acc_lines: list[int | None] = []
        self._acc_names: set[str] = set()
        self.understood = False
        self.t0: float | None = None

    def _logtime(self, text: str) -> float | None:
        m = LOGTIME_RE.match(text)
        if not m:
            return None
        import calendar
        try:
            t = calendar.timegm((int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6]), 0, 0, 0))
        except (ValueError, OverflowError):
            return None
        t += float(m[7]) if m[7] else 0.0
        if self.t0 is None:
            self.t0 = t
        return t - self.t0

    def feed(self, text: str, seq: int | None) -> list[dict[str, Any]]:
        self.understood = False
        if ":" not in text and "=" not in text:
            return self.flush()
        f = fields_from_text(text)
        out: list[dict[str, Any]] = []
        name = _single_go_field(text) if len(f) <= 1 else None
        if name:
            # one field of a %+v dump re-wrapped one field per line (arrays count too)
            if name in self._acc_names:
                out += self.flush()
            self._acc_names.add(name)
            if f:
                col, v = next(iter(f.items()))
                if not self._acc:
                    self._acc_seq = seq
                self._acc.setdefault(col, v)
            self._acc_lines.append(seq)
            self.understood = True
            return out
        out += self.flush()
        if len(f) >= MIN_FIELDS:
            out.append(record(f, seq, self._logtime(text)))
            self.understood = True
        return out

    def flush(self) -> list[dict[str, Any]]:
        if not self._acc:
            return []
        f, self._acc = self._acc, {}
        self._acc_lines = []
        self._acc_names = set()
        if len(f) >= MIN_FIELDS:
            return [record(f, self._acc_seq)]
        return []

    @property
    def pending_lines(self) -> int:
        return len(self._acc_lines)


_SINGLE_RE = re.compile(r"^[\s/#*{]*(?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\S* )?(?:[A-Za-z ]*: )?[\s{]*"
                        r"(" + "|".join(sorted([*GO_FIELDS, "PauseNs", "PauseEnd", "BySize"], key=len, reverse=True)) + r"):")


def _single_go_field(text: str) -> str | None:
    m = _SINGLE_RE.match(text)
    return m[1] if m else None
