"""whatif: replay a recorded run through the model under other settings.

``predict(timeline, Settings(...)) -> Prediction``. The workload is reconstructed from the
recording (reconstruct.py), replayed through ``gomem.model.simulate`` twice: under the recorded
settings (the identity replay, which says how far the model is from this very recording) and
under the new ones. The figures come from the same code that reads recordings
(``gomem.analysis.peak_figures``), so predicted and recorded are the same quantities:

- ``peak_memory_bytes``: peak of Sys − HeapReleased (what GOMEMLIMIT limits, mgclimit.go);
- ``peak_heap_bytes``: peak of HeapSys − HeapReleased (heapRetained, mgcscavenge.go);
- ``peak_rss_bytes``; ``num_gc``; ``gc_cpu_fraction``.

GC CPU is calibrated: the model's mark cost per byte is generic, the recording's is this
program's (its gctrace ``ms cpu``). The prediction is the model's GC CPU under the new settings
times recorded/identity, i.e. the model supplies how the GC work changes with the settings,
the recording what one unit of it costs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..analysis import gc_series, main_process, peak_figures
from ..errors import UsageError
from ..timeline import Timeline
from ..units import MAX_INT64, MiB, format_size
from .reconstruct import Workload, reconstruct

FIGURES = ("peak_memory_bytes", "peak_heap_bytes", "peak_rss_bytes", "num_gc", "gc_cpu_fraction")
DEFAULT_GO = "1.27"


@dataclass(frozen=True)
class Settings:
    """Runtime settings to predict under. ``gogc=None`` is GOGC=off; fields left ``...``
    (``KEEP``) take the recording's value."""

    gogc: Any = ...
    memory_limit_bytes: Any = ...
    gomaxprocs: Any = ...
    go: Any = ...
    madvdontneed: Any = ...  # True/False/None (the version's default)
    free_os_every_s: float | None = None
    container_limit_bytes: int | None = None

    def resolved(self, wl: Workload) -> "Settings":
        rec = wl.settings
        lim = rec.get("memory_limit_bytes")
        if lim is not None and lim >= MAX_INT64 * 0.9:
            lim = None
        return Settings(
            gogc=rec.get("gogc", 100) if self.gogc is ... else self.gogc,
            memory_limit_bytes=lim if self.memory_limit_bytes is ... else self.memory_limit_bytes,
            gomaxprocs=(rec.get("gomaxprocs") or 2) if self.gomaxprocs is ... else self.gomaxprocs,
            go=(wl.go_version or DEFAULT_GO) if self.go is ... else self.go,
            madvdontneed=_madv_of(rec.get("godebug")) if self.madvdontneed is ... else self.madvdontneed,
            free_os_every_s=self.free_os_every_s,
            container_limit_bytes=self.container_limit_bytes,
        )

    def godebug(self) -> str:
        parts = ["gctrace=1"]
        if self.madvdontneed is True:
            parts.append("madvdontneed=1")
        elif self.madvdontneed is False:
            parts.append("madvdontneed=0")
        return ",".join(parts)

    def label(self) -> str:
        bits = []
        if self.gogc is not ...:
            bits.append(f"GOGC={'off' if self.gogc is None else self.gogc}")
        if self.memory_limit_bytes is not None and self.memory_limit_bytes is not ...:
            bits.append(f"GOMEMLIMIT={_size_label(self.memory_limit_bytes)}")
        if self.madvdontneed is True:
            bits.append("madvdontneed=1")
        if self.free_os_every_s:
            bits.append(f"FreeOSMemory every {self.free_os_every_s:g}s")
        return " ".join(bits) or "the recorded settings"

    def to_dict(self) -> dict:
        return {"gogc": self.gogc, "memory_limit_bytes": self.memory_limit_bytes, "gomaxprocs": self.gomaxprocs,
                "go": self.go, "madvdontneed": self.madvdontneed, "free_os_every_s": self.free_os_every_s,
                "container_limit_bytes": self.container_limit_bytes}


def _size_label(n: int) -> str:
    for unit, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if n % unit == 0:
            return f"{n // unit}{name}"
    return str(n)


def _version(v: Any) -> tuple[int, int]:
    try:
        major, minor = (int(x) for x in str(v).removeprefix("go").split(".")[:2])
        return major, minor
    except ValueError:
        return (1, 99)


def _madv_of(godebug: Any) -> bool | None:
    s = str(godebug or "")
    if "madvdontneed=1" in s:
        return True
    if "madvdontneed=0" in s:
        return False
    return None


@dataclass
class Prediction:
    settings: Settings
    figures: dict[str, float]  # predicted (GC CPU calibrated)
    recorded: dict[str, float]  # the recording's own figures
    identity: dict[str, float]  # the model's replay under the recorded settings
    model: dict[str, float]  # the model under the new settings, uncalibrated
    risk: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    workload: dict[str, Any] = field(default_factory=dict)
    timeline: Timeline | None = None  # the model's timeline under the new settings
    #: when the recording does not show what the program kept after its last cycle
    #: (Workload.unobserved_tail): when that cycle was, what it marked, the usual live heap
    unobserved_tail: dict[str, Any] | None = None
    #: the note saying the GC CPU calibration was clamped (the figures are rough), if it was
    gc_cpu_rough_note: str | None = None

    @property
    def fidelity(self) -> dict[str, Any]:
        """How far the replay under the recording's own settings is from the recording: the
        relative error of the peak (memory held, else heap in use) and of NumGC, and whether
        both are within IDENTITY_PEAK_TOLERANCE / IDENTITY_GC_TOLERANCE."""
        return identity_fidelity(self.recorded, self.identity)

    def to_dict(self) -> dict:
        def clean(d: dict) -> dict:
            return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}

        out: dict[str, Any] = clean(self.figures)
        out["settings"] = self.settings.to_dict()
        out["recorded"] = clean(self.recorded)
        out["identity"] = clean(self.identity)
        out["model_uncalibrated"] = clean(self.model)
        out["risk"] = self.risk
        out["fidelity"] = clean(self.fidelity)
        out["notes"] = list(self.notes)
        out["workload"] = self.workload
        if self.unobserved_tail is not None:
            out["unobserved_tail"] = dict(self.unobserved_tail)
        return out


def figures_of(tl: Timeline) -> dict[str, float]:
    """The five figures of a Timeline (recorded or simulated), by the same code."""
    f = peak_figures(tl)
    return {"peak_memory_bytes": f["peak_memory_bytes"], "peak_heap_bytes": f["peak_heap_bytes"],
            "peak_rss_bytes": f["peak_rss_bytes"], "num_gc": float(f["num_gc"]),
            "gc_cpu_fraction": f["gc_cpu_fraction"], "peak_heap_alloc_bytes": f["peak_heap_alloc_bytes"],
            "max_live_bytes": f["max_live_bytes"], "duration_s": f["duration_s"]}


def simulate_workload(wl: Workload, s: Settings) -> Timeline:
    """Run the workload through the model under resolved settings."""
    from ..model import RuntimeConfig, simulate  # the model lands in its own package

    if s.gogc is not None and (not isinstance(s.gogc, (int, float)) or s.gogc < 0):
        raise UsageError(f"GOGC {s.gogc!r}: expected a non-negative integer or off")
    cfg = RuntimeConfig(go=str(s.go), gogc=None if s.gogc is None else int(s.gogc),
                        memory_limit_bytes=s.memory_limit_bytes, gomaxprocs=int(s.gomaxprocs or 2),
                        godebug=s.godebug(),
                        globals_bytes=int(wl.globals_bytes) if wl.globals_bytes >= MiB else None)
    res = simulate(wl.program(free_os_every_s=s.free_os_every_s), cfg)
    return res.timeline


def risk_of(fig: dict[str, float], container_limit_bytes: int | None) -> dict[str, Any]:
    """The risk of exceeding a container's memory limit (the cgroup OOM-kills at it): RSS is what
    the cgroup counts; without an RSS figure the memory the runtime holds stands for it."""
    if not container_limit_bytes:
        return {}
    peak = fig.get("peak_rss_bytes")
    if peak is None or not math.isfinite(peak):
        peak = fig.get("peak_memory_bytes", math.nan)
    if not math.isfinite(peak):
        return {"container_limit_bytes": container_limit_bytes, "level": "unknown"}
    ratio = peak / container_limit_bytes
    level = "exceeds" if ratio >= 1.0 else "high" if ratio >= 0.9 else "medium" if ratio >= 0.75 else "low"
    return {"container_limit_bytes": container_limit_bytes, "peak_bytes": peak, "fraction_of_limit": ratio,
            "margin_bytes": container_limit_bytes - peak, "level": level}


def _model_live_excess(tl: Timeline, sim: Timeline) -> float:
    """How much more live heap the model marks than the recording, at the recorded cycles'
    times (median over the cycles after the first fifth of the run)."""
    rec, mod = gc_series(tl, main_process(tl)[0]), gc_series(sim, None)
    ok_r = np.isfinite(rec.t_s) & np.isfinite(rec.heap_live)
    ok_m = np.isfinite(mod.t_s) & np.isfinite(mod.heap_live)
    if ok_r.sum() < 3 or ok_m.sum() < 3:
        return 0.0
    rt, rl = rec.t_s[ok_r], rec.heap_live[ok_r]
    mt, ml = mod.t_s[ok_m], mod.heap_live[ok_m]
    keep = rt >= rt[0] + 0.2 * (rt[-1] - rt[0])
    ex = np.interp(rt[keep], mt, ml) - rl[keep]
    return float(np.median(ex)) if len(ex) else 0.0


#: an identity replay farther than this from the recording (peak; NumGC) makes whatif say
#: that the workload was not reconstructed faithfully
IDENTITY_PEAK_TOLERANCE = 0.10
IDENTITY_GC_TOLERANCE = 0.25
#: the GC CPU calibration factor is kept within this (and its inverse); beyond it whatif calls
#: the GC CPU figures rough. Clamped or not, GC CPU within 50% of the real runs in 110 of the
#: 183 corpus cases (bench_accuracy.py with the held-out corpus); the seed1g recording's factor
#: was 701 (one slow mark), and its predictions 50x the real runs' GC CPU unclamped
CALIBRATION_ROUGH = 4.0
#: a predicted peak this far above GOMEMLIMIT makes whatif say the limit is exceeded
LIMIT_EXCEEDED_MARGIN = 0.02


def identity_fidelity(rec: dict, ident: dict) -> dict[str, Any]:
    """Relative errors of the identity replay against the recording (see Prediction.fidelity)."""
    def rel(k: str) -> float:
        r, i = rec.get(k, math.nan), ident.get(k, math.nan)
        return (i - r) / r if math.isfinite(r) and math.isfinite(i) and r > 0 else math.nan

    peak = rel("peak_memory_bytes")
    if not math.isfinite(peak):
        peak = rel("peak_heap_alloc_bytes")
    gc = rel("num_gc")
    known = [abs(peak) <= IDENTITY_PEAK_TOLERANCE if math.isfinite(peak) else None,
             abs(gc) <= IDENTITY_GC_TOLERANCE if math.isfinite(gc) else None]
    known = [k for k in known if k is not None]
    return {"peak_error": peak, "num_gc_error": gc, "faithful": all(known) if known else None}


def _identity_error(rec: dict, ident: dict, keys: tuple[str, ...] = ("peak_memory_bytes", "num_gc")) -> float:
    """How far an identity replay is from the recording: relative errors of the peak memory
    (or heap) and of NumGC, summed."""
    err = 0.0
    for k in keys:
        r, i = rec.get(k, math.nan), ident.get(k, math.nan)
        if k == "peak_memory_bytes" and not math.isfinite(r):
            r, i = rec.get("peak_heap_alloc_bytes", math.nan), ident.get("peak_heap_alloc_bytes", math.nan)
        if math.isfinite(r) and math.isfinite(i) and r > 0:
            err += abs(i - r) / r
    return err


def prepare(tl: Timeline, workload: Workload | None = None) -> tuple[Workload, dict[str, float], Timeline]:
    """The workload to replay and its identity replay (figures and Timeline).

    The model marks as live what the replay holds plus the objects allocated while it marks
    (allocate-black, mgcmark.go gcmarknewobject); the recorded live heap already includes the
    latter, so replaying it as held data counts it twice. When the identity replay marks more
    than the recording (by ≥ 1 MiB and 5%), the replay holds that much less, if that brings the
    identity replay's peak and GC count together closer to the recording's without taking its
    peak farther (by more than a point)."""
    wl = workload or reconstruct(tl)
    base = Settings().resolved(wl)
    sim = simulate_workload(wl, base)
    if wl.large_object_bytes is None and wl.live_offset_bytes == 0.0 and workload is None:
        ex = _model_live_excess(tl, sim)
        level = peak_figures(tl).get("max_live_bytes", math.nan)
        if ex >= max(MiB, 0.05 * (level if math.isfinite(level) else 0.0)):
            wl2 = replace(wl, live_offset_bytes=ex,
                          notes=wl.notes + [f"live heap replayed {ex / MiB:.0f} MiB lower: the model marks that "
                                            "much floating garbage on top of it"])
            sim2 = simulate_workload(wl2, base)
            rec = figures_of(tl)
            f1, f2 = figures_of(sim), figures_of(sim2)
            peak_ok = _identity_error(rec, f2, ("peak_memory_bytes",)) <= \
                _identity_error(rec, f1, ("peak_memory_bytes",)) + 0.01
            if _identity_error(rec, f2) < _identity_error(rec, f1) and peak_ok:
                wl, sim = wl2, sim2
    return wl, figures_of(sim), sim


def predict(tl: Timeline, settings: Settings, workload: Workload | None = None,
            identity: dict[str, float] | None = None) -> Prediction:
    """Predict the figures of the recorded program under ``settings``."""
    if workload is None or identity is None:
        workload, identity, _ = prepare(tl, workload)
    wl = workload
    s = settings.resolved(wl)
    if s.memory_limit_bytes is not None and s.memory_limit_bytes <= 0:
        raise UsageError("--memlimit must be positive")
    recorded = figures_of(tl)
    base = Settings().resolved(wl)
    sim_tl = simulate_workload(wl, s) if s != base else None
    model = figures_of(sim_tl) if sim_tl is not None else dict(identity)
    fig = dict(model)
    notes = list(wl.notes)
    rc, ic = recorded.get("gc_cpu_fraction", math.nan), identity.get("gc_cpu_fraction", math.nan)
    kc, rough = 1.0, None
    if all(math.isfinite(x) for x in (rc, ic, model["gc_cpu_fraction"])) and ic > 0:
        k = rc / ic
        kc = min(max(k, 1 / CALIBRATION_ROUGH), CALIBRATION_ROUGH)
        fig["gc_cpu_fraction"] = model["gc_cpu_fraction"] * kc
        note = f"GC CPU calibrated on the recording: ×{kc:.2f} of the model's mark cost"
        if kc != k:
            # GCCPUFraction counts the mark workers' wall time and the pauses × GOMAXPROCS
            # (mgc.go, mstats.go cpuStats): one mark whose worker the OS preempted, or a
            # loaded machine, moves it far from the marking work the heap needs
            note += (f" (the recording says ×{k:.2f}: its GC CPU is mostly not marking work — pauses, mark "
                     "workers waiting on a loaded machine — so take the GC CPU figures as rough)")
            rough = note
        notes.append(note)
    if not math.isfinite(recorded.get("peak_rss_bytes", math.nan)) or not math.isfinite(
            recorded.get("peak_memory_bytes", math.nan)):
        notes.append("the recording has no MemStats/RSS: compare the heap figures")
    if s.memory_limit_bytes is not None and _version(s.go) < (1, 19):
        notes.insert(0, f"Go {s.go} has no GOMEMLIMIT (it came in Go 1.19): the limit changes nothing here; "
                        "add --go 1.27 to see what it would do after an upgrade")
    if not wl.go_version and settings.go is ...:
        notes.insert(0, f"the recording does not say which Go it ran: modelled as Go {s.go} (--go to change)")
    fid = identity_fidelity(recorded, identity)
    if fid["faithful"] is False:
        parts = [f"{fid['peak_error']:+.0%} in its peak" if math.isfinite(fid["peak_error"]) else "",
                 f"{fid['num_gc_error']:+.0%} in GC cycles" if math.isfinite(fid["num_gc_error"]) else ""]
        notes.insert(0, "the replay under the recording's own settings is " + " and ".join(p for p in parts if p)
                     + " off the recording: the workload was not reconstructed faithfully, so take the prediction "
                       "as a rough guide")
    lim, peak = s.memory_limit_bytes, fig.get("peak_memory_bytes", math.nan)
    if lim is not None and math.isfinite(peak) and peak > lim * (1 + LIMIT_EXCEEDED_MARGIN) \
            and _version(s.go) >= (1, 19):
        live = fig.get("max_live_bytes", math.nan)
        head = f"the predicted peak, {format_size(peak)}, is above GOMEMLIMIT={_size_label(lim)}: "
        if math.isfinite(live) and live >= 0.95 * lim:
            notes.insert(0, head + f"the live heap alone reaches {format_size(live)}, so the heap goal falls to the "
                                   "live heap (mgcpacer.go memoryLimitHeapGoal) and the GC runs back to back "
                                   f"({fig.get('num_gc', math.nan):.0f} cycles predicted); the runtime goes over the "
                                   "limit rather than fail, and the GC CPU limiter (mgclimit.go) keeps the GC "
                                   "to about half the CPU at most")
        else:
            live_txt = f" on top of the live heap ({format_size(live)})" if math.isfinite(live) and live > 0 else ""
            notes.insert(0, head + f"the limit is soft, and what the program allocates between cycles{live_txt} "
                                   "goes over it before a cycle brings the heap back (a large allocation at once "
                                   "does)")
    tail = None
    if wl.unobserved_tail and wl.large_object_bytes is None:
        u = tail = dict(wl.unobserved_tail)
        notes.append(f"the recording's last GC cycle, at {u['last_gc_s']:.2f} s, marked {format_size(u['live_bytes'])} "
                     f"live (the run's usual live heap: {format_size(u['typical_live_bytes'])}), and the run went on "
                     f"for {u['end_s'] - u['last_gc_s']:.1f} s without another: whether and when the program let that "
                     "memory go is not in the recording. The replay lets it go halfway through that time (as any "
                     "drop it cannot date); if the program kept it, settings that collect sooner (lower GOGC, a "
                     "limit) run fewer cycles than predicted, and more if it let go sooner. A recording that ends "
                     "with a GC (runtime.GC() before exit) or runs longer shows it")
    risk = risk_of(fig, s.container_limit_bytes)
    return Prediction(settings=s, figures=fig, recorded=recorded, identity=identity, model=model, risk=risk,
                      notes=notes, workload=wl.to_dict(), timeline=sim_tl, unobserved_tail=tail,
                      gc_cpu_rough_note=rough)


def with_settings(s: Settings, **kw: Any) -> Settings:
    return replace(s, **kw)
