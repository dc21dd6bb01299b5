"""JSON in, records out: gomem's own records (``parse --json`` lines, a run directory's
``*.jsonl``), ``encoding/json`` of ``runtime.MemStats``, expvar's ``/debug/vars`` document
(its ``memstats`` object) and snake_case MemStats samples (the shared corpus's
``memstats.jsonl``: ``{"t": s, "heap_sys": B, ...}``)."""

from __future__ import annotations

import json
import math
from typing import Any

from .memstats import MIN_FIELDS, fields_from_json

_SCALARS = (str, int, float, bool, type(None))
TIME_KEYS = ("t_s", "t")


def _clean(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def records_from_json(obj: Any, seq: int | None = None) -> tuple[list[dict[str, Any]], dict[str, Any], str | None]:
    """(records, meta, format name) of one JSON value; format None when it is no trace."""
    if isinstance(obj, list):
        out: list[dict[str, Any]] = []
        meta: dict[str, Any] = {}
        fmt = None
        for item in obj:
            r, m, f = records_from_json(item, seq)
            out += r
            meta.update(m)
            fmt = fmt or f
        return out, meta, fmt
    if not isinstance(obj, dict):
        return [], {}, None
    kind = obj.get("kind")
    if isinstance(kind, str) and kind:
        rec = {k: _clean(v) for k, v in obj.items() if isinstance(k, str) and isinstance(v, _SCALARS)}
        if "seq" not in rec:
            rec["seq"] = seq
        return [rec], {}, "jsonl"
    meta = {}
    t_s = None
    for k in TIME_KEYS:
        v = obj.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            t_s = _clean(float(v))
            break
    if isinstance(obj.get("memstats"), dict):  # expvar /debug/vars
        fields = fields_from_json(obj["memstats"])
        if isinstance(obj.get("cmdline"), list):
            meta["cmd"] = [str(c) for c in obj["cmdline"]]
        if not fields:
            return [], meta, None
        return [{"kind": "memstats", "t_s": t_s, "process": 0, "seq": seq, **fields}], meta, "expvar"
    fields = fields_from_json(obj)
    if len(fields) >= MIN_FIELDS:
        fmt = "memstats-json" if any(k[:1].isupper() for k in obj) else "memstats-jsonl"
        return [{"kind": "memstats", "t_s": t_s, "process": obj.get("process", 0) if isinstance(obj.get("process"), int) else 0,
                 "seq": seq, **fields}], meta, fmt
    return [], meta, None


def loads(text: str) -> Any:
    """json.loads that maps NaN/Infinity to None-able floats without raising on them."""
    return json.loads(text)
