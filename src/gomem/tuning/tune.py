"""tune: search GOGC / GOMEMLIMIT (and both) for the settings that keep the predicted peak under a
target with the least GC CPU.

Each candidate is one model replay (whatif.predict, sharing one reconstruction and one identity
replay). The grid: GOGC from 10 to 400; GOMEMLIMIT from the live heap plus non-heap memory up to
the target; GOGC=off with a limit; GOGC × limit pairs. A candidate is feasible when its
predicted peak memory (Sys − HeapReleased; RSS when the recording has RSS and it is larger) is
under the target and its GC CPU is under ``max_gc_cpu``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable

from ..timeline import Timeline
from ..units import MiB
from .whatif import Prediction, Settings, predict, prepare

GOGCS = (10, 25, 50, 75, 100, 150, 200, 300, 400)


@dataclass
class Candidate:
    settings: Settings
    prediction: Prediction
    peak_bytes: float
    gc_cpu_fraction: float
    feasible: bool
    why: str

    def to_dict(self) -> dict:
        return {"settings": self.settings.to_dict(), "label": self.settings.label(), "peak_bytes": self.peak_bytes,
                "gc_cpu_fraction": self.gc_cpu_fraction, "num_gc": self.prediction.figures.get("num_gc"),
                "peak_memory_bytes": self.prediction.figures.get("peak_memory_bytes"),
                "peak_rss_bytes": self.prediction.figures.get("peak_rss_bytes"),
                "feasible": self.feasible, "why": self.why, "notes": list(self.prediction.notes)}


def _peak(fig: dict) -> float:
    vals = [fig.get(k, math.nan) for k in ("peak_memory_bytes", "peak_rss_bytes")]
    vals = [v for v in vals if v is not None and math.isfinite(v)]
    if not vals:
        v = fig.get("peak_heap_bytes", math.nan)
        return v if v is not None else math.nan
    return max(vals)


def grid(target_bytes: int, live_bytes: float, non_heap_bytes: float) -> list[Settings]:
    out = [Settings(gogc=g) for g in GOGCS]
    floor = live_bytes + non_heap_bytes
    lims: list[int] = []
    if math.isfinite(floor) and floor < target_bytes:
        for f in (0.6, 0.75, 0.85, 0.92, 1.0):
            lim = int(floor + (target_bytes - floor) * f) // MiB * MiB
            if lim > floor * 1.05 and lim not in lims:
                lims.append(lim)
    else:
        lims.append(int(target_bytes) // MiB * MiB)
    for lim in lims:
        out.append(Settings(gogc=100, memory_limit_bytes=lim))
        out.append(Settings(gogc=None, memory_limit_bytes=lim))
    for g in (50, 200):
        for lim in lims[-2:]:
            out.append(Settings(gogc=g, memory_limit_bytes=lim))
    return out


def tune(tl: Timeline, target_bytes: int, max_gc_cpu: float | None = None, margin: float = 0.0,
         settings: Iterable[Settings] | None = None,
         progress: Callable[[int, int, Settings], None] | None = None) -> list[Candidate]:
    """All candidates, best first: feasible ones by GC CPU (then peak), then the others by peak.
    ``margin``: a feasible peak stays under target × (1 − margin) (the model's error)."""
    wl, identity, _ = prepare(tl)
    live = identity.get("max_live_bytes", math.nan)
    non_heap = max(identity.get("peak_memory_bytes", 0.0) - identity.get("peak_heap_bytes", 0.0), 0.0) \
        if math.isfinite(identity.get("peak_memory_bytes", math.nan)) else 0.0
    cands = list(settings) if settings is not None else grid(target_bytes, live, non_heap)
    out: list[Candidate] = []
    for i, s in enumerate(cands):
        if progress:
            progress(i, len(cands), s)
        p = predict(tl, s, workload=wl, identity=identity)
        peak = _peak(p.figures)
        cpu = p.figures.get("gc_cpu_fraction", math.nan)
        why = []
        if not (peak < target_bytes):
            why.append("peak over the target")
        elif not (peak < target_bytes * (1 - margin)):
            why.append(f"within {100 * margin:.0f}% of the target")
        if max_gc_cpu is not None and math.isfinite(cpu) and cpu > max_gc_cpu:
            why.append("GC CPU over the maximum")
        out.append(Candidate(p.settings, p, peak, cpu, not why, ", ".join(why) or "ok"))
    if progress:
        progress(len(cands), len(cands), None)  # type: ignore[arg-type]

    def key(c: Candidate):
        cpu = c.gc_cpu_fraction if math.isfinite(c.gc_cpu_fraction) else math.inf
        return (0, cpu, c.peak_bytes) if c.feasible else (1, c.peak_bytes, cpu)

    return sorted(out, key=key)
