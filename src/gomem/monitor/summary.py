"""What a run or a watch comes to: running aggregates over the records as they pass
(:class:`Tally`), the ``summary.json`` dict, and its rendering for the terminal."""

from __future__ import annotations

import signal as _signal
from typing import Any, Mapping

from ..units import format_size


def signal_name(signum: int | None) -> str | None:
    if signum is None:
        return None
    try:
        return _signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class Tally:
    """Peaks and counts over the records of one recording, kept as they arrive (no record
    is held in memory)."""

    def __init__(self) -> None:
        self.samples = 0
        self.peak_rss_bytes: int | None = None
        self.peak_rss_t_s: float | None = None
        self.last_rss_t_s: float | None = None
        self.hwm_bytes: int | None = None
        self.peak_pss_bytes: int | None = None
        self.peak_anon_bytes: int | None = None
        self.gc_lines = 0
        self.gc_by_process: dict[int, int] = {}  # gctrace lines per process run (go run: 2)
        self.child_signal: str | None = None  # "signal: killed" from go run / os/exec
        self.peak_heap_bytes: int | None = None  # from gctrace: max(heap_start, heap_end)
        self.peak_heap_goal_bytes: int | None = None
        self.gc_cpu_percent: float | None = None
        self.forced_gcs = 0
        self.memstats = 0
        self.ms_num_gc: int | None = None
        self.ms_peak_heap_alloc_bytes: int | None = None
        self.ms_peak_heap_sys_bytes: int | None = None
        self.ms_peak_heap_retained_bytes: int | None = None
        self.ms_gc_cpu_fraction: float | None = None
        self.fatal: str | None = None
        self.panic: str | None = None

    @staticmethod
    def _max(cur, v):
        if v is None:
            return cur
        return v if cur is None or v > cur else cur

    def observe(self, rec: Mapping[str, Any]) -> None:
        kind = rec.get("kind")
        if kind == "rss":
            self.samples += 1
            rss = rec.get("rss_bytes")
            if rss is not None and (self.peak_rss_bytes is None or rss > self.peak_rss_bytes):
                self.peak_rss_bytes = rss
                self.peak_rss_t_s = rec.get("t_s")
            self.last_rss_t_s = rec.get("t_s")
            self.hwm_bytes = self._max(self.hwm_bytes, rec.get("hwm_bytes"))
            self.peak_pss_bytes = self._max(self.peak_pss_bytes, rec.get("pss_bytes"))
            self.peak_anon_bytes = self._max(self.peak_anon_bytes, rec.get("anon_bytes"))
        elif kind == "gc":
            self.gc_lines += 1
            proc = rec.get("process") or 0
            self.gc_by_process[proc] = self.gc_by_process.get(proc, 0) + 1
            self.peak_heap_bytes = self._max(self.peak_heap_bytes, rec.get("heap_start_bytes"))
            self.peak_heap_bytes = self._max(self.peak_heap_bytes, rec.get("heap_end_bytes"))
            self.peak_heap_goal_bytes = self._max(self.peak_heap_goal_bytes, rec.get("heap_goal_bytes"))
            if rec.get("gc_cpu_percent") is not None:
                self.gc_cpu_percent = rec["gc_cpu_percent"]
            if rec.get("forced"):
                self.forced_gcs += 1
        elif kind == "memstats":
            self.memstats += 1
            if rec.get("num_gc") is not None:
                self.ms_num_gc = rec["num_gc"]
            self.ms_peak_heap_alloc_bytes = self._max(self.ms_peak_heap_alloc_bytes, rec.get("heap_alloc_bytes"))
            self.ms_peak_heap_sys_bytes = self._max(self.ms_peak_heap_sys_bytes, rec.get("heap_sys_bytes"))
            hs, hr = rec.get("heap_sys_bytes"), rec.get("heap_released_bytes")
            if hs is not None and hr is not None:
                self.ms_peak_heap_retained_bytes = self._max(self.ms_peak_heap_retained_bytes, hs - hr)
            if rec.get("gc_cpu_fraction") is not None:
                self.ms_gc_cpu_fraction = rec["gc_cpu_fraction"]
        elif kind == "event":
            if rec.get("name") == "fatal" and self.fatal is None:
                self.fatal = rec.get("text")
            if rec.get("name") == "panic" and self.panic is None:
                self.panic = rec.get("text")
            if rec.get("name") == "signal" and rec.get("value") is None and rec.get("text"):
                self.child_signal = rec.get("text")  # a line on stderr, not gomem's own event

    def summary(self, **end: Any) -> dict[str, Any]:
        """The summary.json dict; ``end`` adds how it ended (exit_code, signal, duration_s,
        memory_limit_bytes, oom_kill, out_dir, cmd, ...)."""
        if self.gc_lines:
            # the last process's GCs: with `go run` the go command's own come first
            num_gc = self.gc_by_process[max(self.gc_by_process)]
        elif self.ms_num_gc is not None:
            num_gc = self.ms_num_gc
        else:
            num_gc = 0 if end.get("gctrace_expected") else None
        gc_cpu = self.gc_cpu_percent
        if gc_cpu is None and self.ms_gc_cpu_fraction is not None:
            gc_cpu = 100.0 * self.ms_gc_cpu_fraction
        peak_heap = self.peak_heap_bytes if self.peak_heap_bytes is not None else self.ms_peak_heap_alloc_bytes
        s: dict[str, Any] = {
            "peak_rss_bytes": self.peak_rss_bytes,
            "peak_rss_t_s": self.peak_rss_t_s,
            "hwm_bytes": self.hwm_bytes,
            "peak_pss_bytes": self.peak_pss_bytes,
            "peak_anon_bytes": self.peak_anon_bytes,
            "peak_heap_bytes": peak_heap,
            "peak_heap_goal_bytes": self.peak_heap_goal_bytes,
            "peak_heap_sys_bytes": self.ms_peak_heap_sys_bytes,
            "peak_heap_retained_bytes": self.ms_peak_heap_retained_bytes,
            "num_gc": num_gc,
            "gctrace_lines": self.gc_lines,
            "gc_processes": len(self.gc_by_process),
            "child_signal": self.child_signal,
            "forced_gcs": self.forced_gcs,
            "gc_cpu_percent": gc_cpu,
            "samples": self.samples,
            "memstats_samples": self.memstats,
            "last_sample_t_s": self.last_rss_t_s,
            "go_fatal": self.fatal,
            "go_out_of_memory": bool(self.fatal and "out of memory" in self.fatal),
            "go_panic": self.panic,
        }
        end = dict(end)
        end.pop("gctrace_expected", None)
        s.update(end)
        s["signal_name"] = signal_name(s.get("signal"))
        s["ended"] = how_it_ended(s)
        return s


def how_it_ended(s: Mapping[str, Any]) -> str:
    parts = []
    if s.get("signal") is not None:
        parts.append(f"killed by {signal_name(s['signal'])}")
        if s.get("oom_kill"):
            parts.append("(the kernel's OOM killer: the cgroup's oom_kill count rose)")
    elif s.get("exit_code") is not None:
        parts.append(f"exit code {s['exit_code']}")
        if s.get("oom_kill"):
            parts.append("(the cgroup's oom_kill count rose during the run)")
    elif s.get("stopped"):
        parts.append(str(s["stopped"]))
    if s.get("child_signal"):
        parts.append(f"- its child was killed (signal: {s['child_signal']})")
    if s.get("go_out_of_memory"):
        parts.append("- Go: fatal error: runtime: out of memory")
    elif s.get("go_fatal"):
        parts.append(f"- Go: {s['go_fatal']}")
    elif s.get("go_panic"):
        parts.append(f"- Go: {s['go_panic']}")
    return " ".join(parts) or "unknown"


def render(s: Mapping[str, Any], title: str = "gomem run"):
    """A rich renderable of a summary dict."""
    from rich.table import Table

    t = Table(title=title, show_header=False, title_justify="left", box=None, pad_edge=False)
    t.add_column(style="bold")
    t.add_column()

    def size(k):
        return format_size(s.get(k)) if s.get(k) is not None else "-"

    t.add_row("ended", s.get("ended", "-"))
    rss = size("peak_rss_bytes")
    if s.get("peak_rss_t_s") is not None:
        rss += f"  at {s['peak_rss_t_s']:.2f} s"
    if s.get("hwm_bytes") is not None:
        rss += f"  (kernel high-water mark VmHWM {size('hwm_bytes')})"
    t.add_row("peak RSS", rss)
    if s.get("exit_maxrss_bytes"):
        what = "largest process of the tree" if s.get("tree") else "VmHWM at exit"
        t.add_row("kernel's peak", f"{size('exit_maxrss_bytes')}  ({what}, from wait4's ru_maxrss)")
    if s.get("peak_pss_bytes") is not None:
        t.add_row("peak PSS", size("peak_pss_bytes"))
    if s.get("peak_heap_bytes") is not None:
        src = "gctrace" if s.get("gctrace_lines") else "MemStats HeapAlloc"
        t.add_row("peak heap", f"{size('peak_heap_bytes')}  ({src})")
    if s.get("peak_heap_sys_bytes") is not None:
        t.add_row("peak HeapSys", size("peak_heap_sys_bytes"))
    t.add_row("GCs", "-" if s.get("num_gc") is None else str(s["num_gc"]))
    if s.get("gc_cpu_percent") is not None:
        t.add_row("GC CPU", f"{s['gc_cpu_percent']:.1f}% of available CPU since start")
    lim = s.get("memory_limit_bytes")
    if lim is not None:
        t.add_row("memory limit", format_size(lim) + " (cgroup)")
    elif s.get("mem_total_bytes"):
        t.add_row("memory limit", f"no cgroup limit (RAM {format_size(s['mem_total_bytes'])})")
    else:
        t.add_row("memory limit", "no cgroup limit")
    if s.get("gomemlimit_bytes") is not None:
        t.add_row("GOMEMLIMIT", format_size(s["gomemlimit_bytes"]))
    if s.get("duration_s") is not None:
        cpu = f", {s['child_cpu_s']:.2f} s CPU" if s.get("child_cpu_s") is not None else ""
        t.add_row("duration", f"{s['duration_s']:.2f} s{cpu}, {s.get('samples', 0)} samples")
    if s.get("out_dir"):
        t.add_row("recorded in", str(s["out_dir"]))
    return t
