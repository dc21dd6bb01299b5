"""The Go-like API workload programs are written against (the ``go`` object), goroutine
scheduling, and :func:`simulate`.

A workload is ``def main(go): ...``. Everything is deterministic: the clock is simulated,
goroutines run one at a time in a fixed order (earliest wake-up first, then creation order).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Callable

from ..timeline import Timeline, TimelineBuilder
from . import gofmt
from .profiles import Profile, profile_for
from .runtime import LARGE_ALLOC_S, AllocSpec, Goroutines, Handle, Runtime

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
CHURN_SLICE_S = 0.005  # with other goroutines runnable, bulk work yields every 5 ms
BUILD_S_PER_OBJ = 350e-9
BUILD_BYTES_PER_S = 4 * GiB


@dataclass
class RuntimeConfig:
    """The settings of one simulated run: Go version and the runtime's knobs.

    ``gogc=None`` means GOGC=off; ``memory_limit_bytes=None`` means no limit (MaxInt64);
    ``godebug`` is GODEBUG's text (``gctrace=1,madvdontneed=1``); ``env`` is the rest of the
    program's environment (os.Getenv). ``sample_interval_s`` sets how often the Timeline gets
    a memstats/rss sample besides every GC and every change the program makes;
    ``globals_bytes`` overrides the scannable globals of the program."""

    go: str = "1.27"
    gogc: int | None = 100
    memory_limit_bytes: int | None = None
    gomaxprocs: int = 2
    godebug: str = ""
    env: dict[str, str] = field(default_factory=dict)
    sample_interval_s: float = 0.05
    globals_bytes: int | None = None
    max_sim_s: float = 30 * 24 * 3600.0

    def settings(self) -> dict[str, Any]:
        return {"gogc": self.gogc, "memory_limit_bytes": self.memory_limit_bytes, "gomaxprocs": self.gomaxprocs,
                "godebug": self.godebug}


@dataclass
class SimResult:
    """What a simulated run produced. ``output`` keeps stdout and stderr interleaved in order
    as ``(stream, text)`` pairs; ``summary`` has peak figures and final counters."""

    timeline: Timeline
    stdout: str
    stderr: str
    output: list[tuple[str, str]]
    meta: dict[str, Any]
    summary: dict[str, Any]
    mem_stats: dict[str, Any]


class GoExit(BaseException):
    """Unwinds a goroutine when the program ends (main returned)."""


def parse_godebug(text: str) -> dict[str, str]:
    out = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        k, _, v = part.partition("=")
        out[k.strip()] = v.strip()
    return out


class MemStats(SimpleNamespace):
    """runtime.MemStats: fields named as Go names them (``m.HeapSys``)."""

    def __getitem__(self, k):
        return getattr(self, k)


class _G:
    __slots__ = ("id", "fn", "args", "wake", "thread", "event", "done", "stack", "error")

    def __init__(self, gid, fn, args, wake, stack):
        self.id = gid
        self.fn = fn
        self.args = args
        self.wake = wake
        self.thread = None
        self.event = threading.Event()
        self.done = False
        self.stack = stack
        self.error = None


class _Scheduler:
    """Runs goroutines one at a time on the simulated clock (deterministic)."""

    def __init__(self, go: "Go"):
        self.go = go
        self.rt = go._rt
        self.main = _G(0, None, (), 0.0, None)
        self.main.thread = threading.current_thread()  # main runs on the caller's thread
        self.current = self.main
        self.gs: list[_G] = []
        self.next_id = 1
        self.ended = False

    def others_waiting(self) -> float:
        """Earliest wake-up of another goroutine (inf if none)."""
        t = float("inf")
        for g in self.gs:
            if not g.done and g is not self.current and g.wake < t:
                t = g.wake
        if self.current is not self.main and not self.main.done and self.main.wake < t:
            t = self.main.wake
        return t

    def spawn(self, fn, args, stack) -> _G:
        g = _G(self.next_id, fn, args, self.rt.now, stack)
        self.next_id += 1
        self.gs.append(g)
        return g

    def _pick(self) -> _G | None:
        best = None
        for g in [self.main] + self.gs:
            if g.done:
                continue
            if best is None or (g.wake, g.id) < (best.wake, best.id):
                best = g
        return best

    def sleep_until(self, t: float) -> None:
        me = self.current
        me.wake = max(t, self.rt.now)
        self._run_next(me)

    def yield_(self) -> None:
        self.sleep_until(self.rt.now)

    def _run_next(self, me: _G | None) -> None:
        """Hand the CPU to the goroutine that wakes first; return when ``me`` runs again."""
        while True:
            nxt = self._pick()
            if nxt is None:
                return
            if nxt.wake > self.rt.now:
                self.rt.advance(nxt.wake - self.rt.now)
            if nxt is me:
                return
            self.current = nxt
            if nxt.thread is None:
                nxt.thread = threading.Thread(target=self._body, args=(nxt,), daemon=True)
                nxt.thread.start()
            else:
                nxt.event.set()
            if me is None:
                return
            me.event.wait()
            me.event.clear()
            if self.ended and me is not self.main:
                raise GoExit()
            if self.current is me:
                return

    def _body(self, g: _G) -> None:
        try:
            if not self.ended:
                g.fn(self.go, *g.args)
        except GoExit:
            pass
        except BaseException as e:  # reported to main
            g.error = e
            self.main.error = self.main.error or e
        finally:
            g.done = True
            if g.stack is not None:
                g.stack.exit()
        if self.ended:
            return
        if g.error is not None:
            # a panic in a goroutine ends the program: wake main to raise it
            self.current = self.main
            self.main.wake = self.rt.now
            self.main.event.set()
            return
        self._run_next(None)
        nxt = self.current
        if nxt is self.main or (nxt.done is False and nxt.thread is not None):
            pass

    def finish(self) -> None:
        """main returned: the program ends; other goroutines are abandoned."""
        self.ended = True
        for g in self.gs:
            if not g.done and g.thread is not None:
                g.event.set()
        for g in self.gs:
            if g.thread is not None:
                g.thread.join(timeout=5)


class Go:
    """The Go-like API a workload's ``main(go)`` receives. Sizes are bytes, times seconds."""

    KiB, MiB, GiB = KiB, MiB, GiB

    def __init__(self, rt: Runtime, cfg: RuntimeConfig, env: dict[str, str]):
        self._rt = rt
        self._cfg = cfg
        self._env = dict(env)
        self._sched = _Scheduler(self)
        #: package-level variables: attributes hold handles (or anything)
        self.globals = SimpleNamespace()
        self.version = rt.p.version
        self.gomaxprocs = rt.procs

    # -- time ---------------------------------------------------------------------------------
    def now(self) -> float:
        """Seconds since the program started (time.Since(start).Seconds())."""
        return self._rt.now

    def sleep(self, seconds: float) -> None:
        """time.Sleep: the goroutine blocks; the runtime (GC, scavenger) runs on."""
        self._check_error()
        self._sched.sleep_until(self._rt.now + max(0.0, float(seconds)))

    # -- allocation -----------------------------------------------------------------------
    def make(self, size_bytes: int, pointers: bool = False, touch: bool | float = True, count: int = 1) -> Handle:
        """``make([]byte, size_bytes)`` / ``new(T)``: one object (or ``count`` objects of that
        size held together) the program keeps while it holds the handle. ``touch`` is the
        fraction of the bytes the program writes (fresh memory is resident only where
        written); ``pointers`` marks objects the GC must scan."""
        self._check_error()
        size = _nonneg_int(size_bytes, "size_bytes")
        count = _nonneg_int(count, "count")
        return self._rt.make(AllocSpec(size, bool(pointers), _touch(touch)), count)

    def drop(self, *handles: Handle) -> None:
        """Forget handles (like setting the variables to nil)."""
        for h in handles:
            if isinstance(h, Handle):
                self._rt.drop(h)

    def churn(self, rate_bytes_per_s: float, size_bytes: int, duration_s: float, pointers: bool = False,
              touch: bool | float = True) -> int:
        """Allocate garbage: objects of ``size_bytes`` at ``rate_bytes_per_s`` for
        ``duration_s``, each dropped at once (a request handler's temporaries). Returns the
        number of objects allocated (fewer than asked when GC assists slow the program)."""
        self._check_error()
        rate = float(rate_bytes_per_s)
        if rate < 0:
            raise ValueError(f"churn: rate_bytes_per_s must be >= 0, got {rate_bytes_per_s!r}")
        size = _nonneg_int(size_bytes, "size_bytes") or 1
        spec = AllocSpec(size, bool(pointers), _touch(touch))
        return self._bulk(float(duration_s), spec, rate, None, None, None)

    def build_live(self, total_bytes: int, size_bytes: int, pointers: bool = False,
                   touch: bool | float = True) -> Handle:
        """Build a live set as fast as the program can: ``total_bytes/size_bytes`` objects
        held from one slice (``[][]byte`` / ``[]*T``, itself a pointerful object of 24 or 8
        bytes per element). Returns the handle; drop it to free the set."""
        self._check_error()
        total = _nonneg_int(total_bytes, "total_bytes")
        size = _nonneg_int(size_bytes, "size_bytes") or 1
        n = total // size
        spec = AllocSpec(size, bool(pointers), _touch(touch))
        rt = self._rt
        hdr = 8 if pointers else 24
        container = rt.make(AllocSpec(max(n * hdr, 8), True, 1.0), 1) if n else None
        pieces: list = []
        if n:
            self._bulk(None, spec, _build_rate(spec), pieces, n, 1.0)
        h = Handle(rt, pieces, size, n)
        if container is not None:
            h.pieces.extend(container.pieces)
            container.alive = False  # ownership moves into h
        return h

    def _bulk(self, duration_s, spec, rate, hold, total_objs, busy) -> int:
        rt = self._rt
        sched = self._sched
        done = 0
        t_end = rt.now + duration_s if duration_s is not None else None
        while True:
            self._check_error()
            if total_objs is not None and done >= total_objs:
                break
            if t_end is not None and rt.now >= t_end - 1e-12:
                break
            other = sched.others_waiting()
            step = None if t_end is None else t_end - rt.now
            if other != float("inf"):
                slice_end = max(other, rt.now + CHURN_SLICE_S)
                step = slice_end - rt.now if step is None else min(step, slice_end - rt.now)
            left = None if total_objs is None else total_objs - done
            done += rt.advance(step, spec, rate, hold, left, busy=busy)
            if other != float("inf") and rt.now >= other - 1e-12:
                sched.yield_()
        return done

    # -- runtime and debug packages -------------------------------------------------------
    def gc(self) -> None:
        """runtime.GC()."""
        self._check_error()
        self._rt.gc()

    def free_os_memory(self) -> None:
        """debug.FreeOSMemory()."""
        self._check_error()
        self._rt.free_os_memory()

    def set_gc_percent(self, percent: int | None) -> int:
        """debug.SetGCPercent(percent); None or a negative value turns the GC off. Returns
        the previous setting."""
        return self._rt.set_gc_percent(-1 if percent is None else int(percent))

    def set_memory_limit(self, limit_bytes: int) -> int:
        """debug.SetMemoryLimit(limit) (Go 1.19+); negative only reads it. Returns the
        previous limit."""
        return self._rt.set_memory_limit(int(limit_bytes))

    def read_mem_stats(self) -> MemStats:
        """runtime.ReadMemStats."""
        self._check_error()
        m = MemStats(**self._rt.mem_stats())
        self._rt._sample(force=True)
        return m

    def num_goroutine(self) -> int:
        return self._rt.goroutines

    # -- goroutines -----------------------------------------------------------------------
    def go(self, fn: Callable | None = None, *args, stack_bytes: int = 8 * KiB, count: int = 1,
           used_bytes: int | None = None) -> Goroutines:
        """``go fn(args...)``: start a goroutine (``fn(go, *args)``) with a stack of
        ``stack_bytes``. With ``fn=None``, start ``count`` goroutines that park at once (a
        server's idle connections): their stacks stay until ``.exit()`` on the returned
        value. The GC scans ``used_bytes`` of each stack (default: a quarter)."""
        self._check_error()
        count = _nonneg_int(count, "count")
        used = stack_bytes // 4 if used_bytes is None else _nonneg_int(used_bytes, "used_bytes")
        if fn is None:
            return self._rt.new_goroutines(count, _nonneg_int(stack_bytes, "stack_bytes"), used)
        if not callable(fn):
            raise TypeError(f"go: fn must be a function, got {type(fn).__name__}")
        last = None
        for _ in range(count):
            stack = self._rt.new_goroutines(1, _nonneg_int(stack_bytes, "stack_bytes"), used)
            self._sched.spawn(fn, args, stack)
            last = stack
        return last

    def gosched(self) -> None:
        """runtime.Gosched: let other runnable goroutines run."""
        self._sched.yield_()

    # -- os and fmt -----------------------------------------------------------------------
    def getenv(self, key: str) -> str:
        """os.Getenv."""
        return self._env.get(str(key), "")

    def printf(self, fmt: str, *args) -> None:
        """fmt.Printf to stdout (Go's verbs: %v %d %4d %s %q %f %x ...)."""
        self._write("stdout", gofmt.sprintf(str(fmt), *args))

    def sprintf(self, fmt: str, *args) -> str:
        return gofmt.sprintf(str(fmt), *args)

    def println(self, *args) -> None:
        """fmt.Println to stdout."""
        self._write("stdout", gofmt.sprintln(*args))

    def print(self, *args) -> None:
        """fmt.Print to stdout."""
        self._write("stdout", gofmt.sprint(*args))

    def eprintf(self, fmt: str, *args) -> None:
        """fmt.Fprintf(os.Stderr, ...)."""
        self._write("stderr", gofmt.sprintf(str(fmt), *args))

    def _write(self, stream: str, text: str) -> None:
        self._rt.out.append((stream, text))

    def _check_error(self) -> None:
        err = self._sched.main.error
        if err is not None and self._sched.current is self._sched.main:
            self._sched.main.error = None
            raise err
        if self._rt.now > self._cfg.max_sim_s:
            raise RuntimeError(f"the workload ran past {self._cfg.max_sim_s:g} simulated seconds (max_sim_s)")


def _nonneg_int(v, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"{name} must be a number of bytes, got {type(v).__name__} {v!r}")
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {v!r}")
    return int(v)


def _touch(t) -> float:
    if isinstance(t, bool):
        return 1.0 if t else 0.0
    t = float(t)
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"touch must be True/False or a fraction 0..1, got {t!r}")
    return t


def _build_rate(spec: AllocSpec) -> float:
    """How fast a loop of ``out[i] = make(...); out[i][0] = x`` allocates (bytes/s): ~350 ns
    per small object (allocation, write barrier, first touch of its share of fresh pages)
    plus ~4 GiB/s for the bytes written; large objects pay the heap lock and span setup.
    Calibrated on the corpus (1.27: 1 KiB objects ~1.8 GB/s, 512 B objects ~1.1 GB/s).
    The corpus' first builds run faster than that (gctrace: 512 B objects into fresh memory at
    ~1.9 GB/s on Go 1.21/1.27, 1.0-1.3 GB/s on 1.19; the globals workload's unwritten
    ``new([64]byte)`` at ~0.65 GB/s), but refitting the loop to them (90 ns an object +
    2.8 GB/s) made gomem whatif worse (benchmarks/bench_accuracy.py: peaks within 10% 136/159
    instead of 142, NumGC 126 instead of 131): the replay's pacing was tuned with this loop."""
    per_obj = BUILD_S_PER_OBJ + spec.size * max(spec.touch, 0.0) / BUILD_BYTES_PER_S
    if spec.size > 32 * KiB:
        per_obj += LARGE_ALLOC_S  # mcache.allocLarge: mheap lock, page search, span setup
    return spec.size / per_obj


def simulate(program: Callable[[Go], Any], cfg: RuntimeConfig | None = None, name: str = "workload") -> SimResult:
    """Run ``program(go)`` on the model of the Go runtime ``cfg.go``.

    Raises what the program raises (the workloads package turns that into a WorkloadError
    naming the workload's file and line)."""
    cfg = cfg or RuntimeConfig()
    prof: Profile = profile_for(cfg.go)
    godebug = parse_godebug(cfg.godebug)
    rt = Runtime(prof, cfg.gogc, cfg.memory_limit_bytes, cfg.gomaxprocs, godebug, cfg.sample_interval_s,
                 cfg.globals_bytes)
    env = dict(cfg.env)
    if cfg.godebug:
        env.setdefault("GODEBUG", cfg.godebug)
    go = Go(rt, cfg, env)
    try:
        program(go)
        go._check_error()
    finally:
        go._sched.finish()
    rt.finish()
    return _result(rt, cfg, prof, name)


def _result(rt: Runtime, cfg: RuntimeConfig, prof: Profile, name: str) -> SimResult:
    meta = {"source": "model", "workload": name, "go_version": prof.version, "go_requested": str(cfg.go),
            "settings": cfg.settings(), "madvdontneed": not rt.madv_free}
    if prof.note:
        meta["profile_note"] = prof.note
    if cfg.memory_limit_bytes is not None and not prof.memory_limit:
        meta["warning"] = f"Go {prof.version} has no memory limit: GOMEMLIMIT ignored"
    b = TimelineBuilder(meta)
    for r in rt.records:
        rec = dict(r)
        rec.setdefault("process", 0)
        b.add(rec)
    # a stable order per kind (records are appended in time order already)
    tl = b.build()
    ms = [r for r in rt.records if r["kind"] == "memstats"]
    rss = [r["rss_bytes"] for r in rt.records if r["kind"] == "rss"]
    summary = {
        "duration_s": rt.now,
        "num_gc": rt.num_gc,
        "num_forced_gc": rt.num_forced_gc,
        "peak_heap_sys_bytes": max((m["heap_sys_bytes"] for m in ms), default=0),
        "peak_heap_retained_bytes": max((m["heap_sys_bytes"] - m["heap_released_bytes"] for m in ms), default=0),
        "peak_heap_alloc_bytes": max((m["heap_alloc_bytes"] for m in ms), default=0),
        "peak_heap_inuse_bytes": max((m["heap_inuse_bytes"] for m in ms), default=0),
        "peak_sys_bytes": max((m["sys_bytes"] for m in ms), default=0),
        "peak_rss_bytes": max(rss, default=0),
        "final_heap_released_bytes": rt.heap_released,
        "final_rss_bytes": rss[-1] if rss else 0,
        "gc_cpu_fraction": rt.mem_stats()["GCCPUFraction"],
        "limiter_last_enabled_cycle": rt.limiter_last_enabled_cycle,
    }
    stdout = "".join(t for s, t in rt.out if s == "stdout")
    stderr = "".join(t for s, t in rt.out if s == "stderr")
    return SimResult(tl, stdout, stderr, list(rt.out), meta, summary, rt.mem_stats())
