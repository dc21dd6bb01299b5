"""MemStats fields from one Prometheus text exposition of a Go program, for ``gomem watch``.

Parsing is prometheus_client's (``text_string_to_metric_families``); this only maps the
Go client's metric names (client_golang prometheus/go_collector.go, memstats metrics) to
gomem's memstats columns. When the traces layer offers a Prometheus parser for a whole
scrape, prefer it (see ``memstats_from_exposition``).
"""

from __future__ import annotations

from typing import Any

#: client_golang metric -> memstats column (runtime.MemStats field in the comment)
GO_METRICS = {
    "go_memstats_alloc_bytes": "heap_alloc_bytes",  # Alloc
    "go_memstats_alloc_bytes_total": "total_alloc_bytes",  # TotalAlloc
    "go_memstats_sys_bytes": "sys_bytes",  # Sys
    "go_memstats_mallocs_total": "mallocs",
    "go_memstats_frees_total": "frees",
    "go_memstats_heap_alloc_bytes": "heap_alloc_bytes",
    "go_memstats_heap_sys_bytes": "heap_sys_bytes",
    "go_memstats_heap_idle_bytes": "heap_idle_bytes",
    "go_memstats_heap_inuse_bytes": "heap_inuse_bytes",
    "go_memstats_heap_released_bytes": "heap_released_bytes",
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
}
EXTRA = ("process_resident_memory_bytes", "process_start_time_seconds", "go_goroutines")


def memstats_from_exposition(text: str) -> tuple[dict[str, Any], dict[str, float]]:
    """(memstats fields, other values) of one scrape. Raises ValueError on text that is not
    an exposition."""
    try:
        from ..traces import prometheus as _tp  # the traces layer's parser, when it exists

        fn = getattr(_tp, "memstats_fields", None)
    except ImportError:
        fn = None
    if fn is not None:
        return fn(text)
    from prometheus_client.parser import text_string_to_metric_families

    fields: dict[str, Any] = {}
    extra: dict[str, float] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            name = s.name
            if name in GO_METRICS and not s.labels:
                fields.setdefault(GO_METRICS[name], int(s.value))
            elif name == "go_memstats_last_gc_time_seconds":
                fields["last_gc_ns"] = int(s.value * 1e9)
            elif name == "go_gc_duration_seconds_count":
                fields["num_gc"] = int(s.value)  # one observation per completed cycle
            elif name == "go_gc_duration_seconds_sum":
                fields["pause_total_ns"] = int(round(s.value * 1e9))
            elif name in EXTRA and not s.labels:
                extra[name] = float(s.value)
    return fields, extra
