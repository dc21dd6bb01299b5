"""The simulated Go runtime: heap objects in span runs, the GC pacer and cycle, the memory limit
and the CPU limiter, the scavenger, MemStats, gctrace and RSS.

Pure: no I/O. Everything the runtime would print is collected in ``Runtime.out``.

Objects are kept in aggregate. A :class:`Run` is a contiguous run of spans of one span class
(size class x pointers) or of equal large objects, with object counts: allocated (not yet
swept), reachable (held by live handles) and marked (in the running cycle). Bulk allocation
(churn, build_live) moves counts and runs the clock analytically from event to event
(trigger, mark end, periodic GC, samples), never one Python call per object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .heap import CHUNK_PAGES, PAGE, PageHeap
from .profiles import Profile
from .sizeclasses import MAX_SMALL_SIZE, TINY_SIZE

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
U64MAX = (1 << 64) - 1
MAXINT64 = (1 << 63) - 1
INF = float("inf")

# runtime/mgc.go (1.15) and runtime/mgcpacer.go (1.18+)
DEFAULT_HEAP_MINIMUM = 4 << 20  # defaultHeapMinimum
SWEEP_MIN_HEAP_DISTANCE = 1 << 20  # sweepMinHeapDistance
MIN_RUNWAY = 64 << 10  # heapGoalInternal: minRunway
TRIGGER_RATIO_DEN, MIN_TRIGGER_RATIO_NUM, MAX_TRIGGER_RATIO_NUM = 64, 45, 61
GC_BACKGROUND_UTILIZATION = 0.25  # gcBackgroundUtilization
GC_GOAL_UTILIZATION_115 = 0.30  # 1.15 gcGoalUtilization
GC_GOAL_UTILIZATION = 0.25  # 1.18+ gcGoalUtilization == gcBackgroundUtilization
TRIGGER_GAIN_115 = 0.5  # 1.15 triggerGain
FORCEGC_PERIOD_S = 120.0  # runtime/proc.go: forcegcperiod = 2 minutes
RETAIN_EXTRA_PERCENT = 10  # runtime/mgcscavenge.go: retainExtraPercent
REDUCE_EXTRA_PERCENT = 5  # runtime/mgcscavenge.go: reduceExtraPercent
PHYS_PAGE = 4096
FIXED_STACK = 2048  # runtime/stack.go fixedStack on linux (_StackMin)
STACK_GUARD = 928  # runtime/stack.go stackGuard on linux/amd64 (stackNosplit 800 + 128)
LIMITER_CAPACITY_PER_PROC_S = 1.0  # runtime/mgclimit.go: capacityPerProc = 1e9 ns

# A 2-core linux/amd64 machine like the one the corpus was recorded on. These are costs, not
# runtime rules: they set timing fields and the mutator/GC race, not the heap formulas.
ALLOC_S_PER_OBJ = 25e-9  # mallocgc fast path + a write
LARGE_ALLOC_S = 20e-6
CHURN_S_PER_OBJ = 100e-9  # CPU of a loop that allocates, writes and drops an object
SWEEP_S_PER_SPAN = 0.5e-6  # sweepone: one span (runtime/mgcsweep.go mspan.sweep)  # a large object: mheap.alloc under the heap lock, span setup
FAULT_BYTES_PER_S = 1.5 * GiB  # first touch (page fault + zeroing) of non-resident memory
ZERO_BYTES_PER_S = 4 * GiB  # memclr of resident memory
MARK_SCAN_BYTES_PER_S = 3.0e9  # scanning pointerful heap, per CPU
MARK_GLOBALS_BYTES_PER_S = 2.0e9  # markrootBlock over .data/.bss (project corpus "globals": 64 MiB of mostly-nil pointers + 820k objects marked in 30-85 ms of mark CPU, ~45 ms typical)
MARK_S_PER_OBJ = 15e-9  # greyobject/scanobject per marked object, per CPU
IDLE_MARK_EFFICIENCY = 0.8
CONSMARK_MAX5_NOISE = 1.3
MARK_FIXED_S = 60e-6  # root marking, per cycle
STW_SWEEP_TERM_S = 25e-6
STW_MARK_TERM_S = 20e-6
SCAV_BYTES_PER_CPU_S = 16 * GiB  # madvise of free pages (1.17+: 64 KiB quanta); corpus: ~300 MiB/s at 2 P
SCAV_BYTES_PER_CPU_S_115 = 2 * GiB  # 1.15: one physical page per critical section
SCAV_CPU_FRACTION = 0.01  # scavengePercent = 1
# 1.19+ scavenger (runtime/mgcscavenge.go): minScavWorkTime, startingScavSleepRatio and the
# sleepController piController{kp: 0.3375, ti: 3.2e6, tt: 1e9, min: 0.001, max: 1000}
MIN_SCAV_WORK_S = 1e-3
START_SCAV_SLEEP_RATIO = 0.001
SCAV_PI = (0.3375, 3.2e6, 1e9, 0.001, 1000.0)
# madvise(MADV_DONTNEED) cost: resident pages (zap + free) vs pages never touched. Calibrated
# on the corpus (validate, 291 runs): 12-32 GiB/s give the same fit; the goroutines runs release
# 25-90 MiB of freed stacks per GC wake-up (a >= 1 ms burst each), a spike under a limit ~3 GiB/s
SCAV_RES_BYTES_PER_S = 16 * GiB
SCAV_NONRES_BYTES_PER_S = 96 * GiB
SYSMAP_S_PER_BYTE = 1e-3 / GiB  # mmap/sysMap of new heap memory
RUNTIME_INIT_S = 0.4e-3  # schedinit .. main.main
BINARY_RSS_BYTES = 2 * MiB  # text and data of a small Go binary
MSPAN_BYTES = 160  # sizeof(mspan), fixalloc'ed from 16 KiB persistentalloc chunks
G_STRUCT_BYTES = 440  # unsafe.Sizeof(runtime.g) on linux/amd64 (1.19-1.27: 400-450 B)
GCBITS_BYTES_PER_SPAN = 24  # gcBits arenas: alloc+mark bits, three generations


@dataclass(frozen=True)
class AllocSpec:
    """What one allocation site allocates: ``size`` bytes per object."""

    size: int
    pointers: bool = False
    touch: float = 1.0  # fraction of each object's bytes the program writes


class Run:
    """A contiguous run of spans of one span class (or equal large objects)."""

    __slots__ = ("key", "elem", "sp", "per", "start", "nspans", "nalloc", "nlive", "nmark", "ptr", "res",
                 "touch", "large", "pinned")

    def __init__(self, key, elem, sp, per, start, nspans, ptr, res, touch, large):
        self.key = key
        self.elem = elem  # bytes per object slot (size class, or npages*8 KiB for large)
        self.sp = sp  # pages per span
        self.per = per  # objects per span
        self.start = start
        self.nspans = nspans
        self.nalloc = 0  # objects allocated and not swept free
        self.nlive = 0  # objects reachable from live handles
        self.nmark = 0  # objects marked in the running cycle (reachable at start + black)
        self.ptr = ptr
        self.res = res  # resident pages
        self.touch = touch
        self.large = large
        self.pinned = False  # the runtime's own partly used spans: never trimmed by the sweep

    @property
    def cap(self) -> int:
        return self.nspans * self.per

    @property
    def npages(self) -> int:
        return self.nspans * self.sp


class Handle:
    """Objects the program holds (a Go pointer or slice): live until dropped, reassigned
    or garbage collected by Python (its refcount reaching zero)."""

    __slots__ = ("_rt", "pieces", "size", "count", "alive", "__weakref__")

    def __init__(self, rt: "Runtime", pieces: list, size: int, count: int):
        self._rt = rt
        self.pieces = pieces  # [(Run, count)]
        self.size = size
        self.count = count
        self.alive = True

    def __len__(self) -> int:
        return self.size

    @property
    def nbytes(self) -> int:
        return self.size * self.count

    def __repr__(self) -> str:
        return f"<handle {self.count} x {self.size} B{'' if self.alive else ' dropped'}>"

    def __del__(self):
        if self.alive and self._rt is not None:
            self.alive = False
            self._rt._pending.append(self.pieces)


class Goroutines:
    """Goroutines' stacks (parked goroutines, or the stack of a running one)."""

    __slots__ = ("_rt", "count", "stack_bytes", "used_bytes", "alive", "pieces", "__weakref__")

    def __init__(self, rt, count, stack_bytes, used_bytes):
        self._rt = rt
        self.pieces: list = []
        self.count = count
        self.stack_bytes = stack_bytes
        self.used_bytes = used_bytes
        self.alive = True

    def exit(self) -> None:
        if self.alive:
            self.alive = False
            self._rt._free_stacks(self)


@dataclass
class Cycle:
    """The running GC cycle."""

    num: int
    start_s: float
    forced: bool
    kind: str  # heap, time, forced
    heap0: int
    triggered: int
    goal_at_start: int
    work_cpu_s: float  # mark work left (CPU seconds)
    work_total_cpu_s: float
    scan_heap_bytes: int
    scan_stack_bytes: int
    scan_globals_bytes: int
    marked_objs: int
    expected_scan: int = 0
    assist_s: float = 0.0
    bg_s: float = 0.0  # dedicated + fractional workers
    idle_s: float = 0.0
    mark_start_s: float = 0.0
    limiter_on: bool = False
    scan_goroutines: int = 0  # goroutines whose stacks this cycle scans (allgs at mark start)
    dead_stacks: list | None = None  # free G list stacks markrootFreeGStacks frees this cycle


class Runtime:
    """One simulated Go process."""

    def __init__(self, profile: Profile, gogc: int | None, memory_limit_bytes: int | None, gomaxprocs: int,
                 godebug: dict[str, str], sample_interval_s: float = 0.05, globals_bytes: int | None = None):
        self.p = profile
        self.procs = max(1, int(gomaxprocs))
        self.godebug = godebug
        self.gctrace = _int(godebug.get("gctrace", "0")) > 0
        self.scavtrace = _int(godebug.get("scavtrace", "0")) > 0
        md = godebug.get("madvdontneed")
        self.madv_free = (not profile.madvdontneed_default) if md is None else (_int(md) == 0)
        self.sample_interval_s = sample_interval_s
        self.now = 0.0
        self.out: list[tuple[str, str]] = []
        self.records: list[dict[str, Any]] = []
        self._pending: list = []
        self.gcpercent = -1 if gogc is None or gogc < 0 else int(gogc)
        self.memory_limit = MAXINT64 if memory_limit_bytes is None else int(memory_limit_bytes)
        if not profile.memory_limit:
            self.memory_limit = MAXINT64
        self.globals_scan = profile.globals_bytes if globals_bytes is None else int(globals_bytes)

        # heap
        self.heap = PageHeap(arena_steps=profile.arena_steps)
        self.runs: list[Run] = []
        self.inuse_pages = 0  # pages of in-use spans (HeapInuse / 8 KiB)
        self.nspans_total = 0
        self.max_nspans = 0
        self.partial: dict[tuple, list[Run]] = {}  # span class -> runs with free slots
        self.heap_alloc = 0  # HeapAlloc: bytes of allocated, unswept objects
        self.total_alloc = 0
        self.mallocs = 0
        self.frees = 0
        self.heap_live = 0  # gcController.heapLive / memstats.heap_live
        self.heap_marked = 0  # heapMarked / memstats.heap_marked
        self.heap_scan_live = 0  # scannable bytes reachable (for the next cycle's scan work)
        self.last_heap_scan = 0
        self.stack_pages = 0
        self.stack_scan = 0
        # gcController.lastStackScan (1.18+ runtime/mgcpacer.go): the stack bytes the last cycle
        # scanned (stackScanWork, stored at mark termination in resetLive), used by the heap goal
        # and the runway until the next cycle ends: goroutines that start or exit between GCs
        # change the goal only at the next mark termination
        self.last_stack_scan = 0
        # runtime/stack.go startingStackSize (fixedStack = 2 KiB on linux until a GC measures the
        # average stack: gcComputeStartingStackSize) and the stacks of exited goroutines kept on
        # the free G list (proc.go gfput) until the next GC (mgcmark.go markrootFreeGStacks)
        self.starting_stack_bytes = FIXED_STACK
        self._dead_stacks: list = []
        self.stack_alloc = 0
        self.max_stack_scan = 0
        self.goroutines = 1
        self.max_goroutines = 4  # main, sysmon's and the runtime's goroutines at start
        self._runtime_pieces: list = []  # objects the runtime itself keeps (g structs)

        # GC state
        self.num_gc = 0
        self.num_forced_gc = 0
        self.cycle: Cycle | None = None
        self.cycles_started = 0
        self.last_gc_end_s = 0.0
        self.last_gc_unix_ns = 0
        self.pause_total_ns = 0
        self.gc_cpu_s = 0.0  # GC CPU for GCCPUFraction (1.21+: without idle marking)
        self.gc_cpu_s_all = 0.0
        self.triggered = U64MAX
        self.last_heap_goal = 0
        self.last_heap_inuse = 0
        self.sweep_dist_min_trigger = 0
        self.pct_goal = U64MAX
        self.heap_minimum = DEFAULT_HEAP_MINIMUM
        self.runway = 0
        self.cons_mark = 0.0
        self.last_cons_mark = [0.0, 0.0, 0.0, 0.0]
        self.pi_err_integral = 0.0
        # 1.15 pacer
        self.trigger_ratio = 7 / 8.0
        self.next_gc = 0
        self.gc_trigger = 0
        # limiter (runtime/mgclimit.go)
        self.limiter_fill = 0.0
        self.limiter_enabled = False
        self.limiter_last_enabled_cycle = 0
        # scavenger
        self.scav_gc_goal = U64MAX  # scavenge.gcPercentGoal (1.15: mheap_.scavengeGoal)
        self.scav_limit_goal = U64MAX  # scavenge.memoryLimitGoal
        self.scav_bg_since = 0
        self.scav_eager_since = 0
        self.scav_total_bg = 0
        self.scav_total_eager = 0
        # 1.19+ bgscavenge (runtime/mgcscavenge.go): parked until woken (scavenger.wake at GC
        # start, finishsweep_m; sysmon after sweeping ends, scavenger.ready), then run() works
        # >= minScavWorkTime and sleep()s worked/sleepRatio, sleepRatio from a PI controller
        # aiming at scavengePercent of GOMAXPROCS. GC wakes cut the sleeps short, so a heap
        # with much to release gives it back in bursts at every GC.
        self.scav_next_run_s = INF  # parked
        self.scav_sleep_start_s = None  # sleeping since (None: parked for lack of work)
        self.scav_worked_s = 0.0
        self.scav_sleep_ratio = START_SCAV_SLEEP_RATIO
        self.scav_err_integral = 0.0
        self.lazy_free_pages = 0
        # RSS of the allocation being faulted in (make): bytes, from, until
        self._fault_bytes = 0
        self._fault_from_s = self._fault_until_s = 0.0
        # mutator
        self.mutator_busy = 0.0  # CPUs the mutator uses right now
        self.next_sample_s = 0.0
        self.last_sample_key = None
        self.peak_rss = 0
        self._faulted = 0
        self.sweep_until_s = 0.0  # background sweeping of the last cycle ends
        self._alloc_k = 1.0
        self._assist_used = 0.0
        self._scav_did_work = True  # try the scavenger (and sample) until it finds nothing to do
        self._assist_rate = 0.0
        self._zeroed_res = 0
        self.grown_bytes = 0  # heap growth not yet paid for in mutator time (sysMap)

        self._init_process()
        self.now = RUNTIME_INIT_S
        self.next_sample_s = self.now

    # ------------------------------------------------------------------------------------
    # start-up
    def _init_process(self) -> None:
        p = self.p
        # the first heap growth (mallocinit/first mallocgc): one 4 MiB chunk (1.19+) or one
        # 64 MiB arena mapped whole (1.15)
        self.heap.grow(CHUNK_PAGES)
        # g0/main/system goroutine stacks: stack spans come from the page heap
        # (runtime/stack.go stackalloc -> mheap.allocManual), counted in StackInuse, not HeapSys
        self._alloc_stack_pages(p.stack_init_bytes // PAGE)
        self.stack_scan = 3 * KiB
        self.max_stack_scan = p.stack_init_bytes
        # runtime and package init objects: ~65 KiB in ~35 partially used one-page spans
        # (corpus 1.27 seed: HeapInuse - HeapAlloc ~ 215 KiB at start)
        spec = AllocSpec(size=128, pointers=True)
        self._alloc_objects(spec, 520, live=True, handle_pieces=[], count_stats=True, reserve_spans=35)
        for r in self.runs:
            r.pinned = True  # objects of many size classes in reality: these spans stay in use
        # some init garbage freed by an early sweep: 8 free, unscavenged pages
        pcs = self.heap.place(1, 8)
        for start, k, scav, res, dirty in pcs:
            self.heap.free(start, k, k)
        self.heap_live = self.heap_alloc
        # gcinit / setGCPercent / commit
        if p.pacer == "1.15":
            # runtime/mgc.go gcinit: triggerRatio = 7/8; heap_marked = heapminimum/(1+7/8);
            # then setGCPercent(readgogc()) -> heapminimum = defaultHeapMinimum*GOGC/100 and
            # gcSetTriggerRatio(triggerRatio)
            self.heap_marked = int(DEFAULT_HEAP_MINIMUM / (1 + self.trigger_ratio))
            self._set_gc_percent_raw(self.gcpercent)
            self._commit_115(sweep_done=True)
        else:
            # runtime/mgcpacer.go gcControllerState.init: triggered = ^0; setGCPercent; commit(true)
            self.heap_marked = 0
            self._set_gc_percent_raw(self.gcpercent)
            self._commit(sweep_done=True)
        self._sample(force=True)

    # ------------------------------------------------------------------------------------
    # accounting
    @property
    def heap_sys(self) -> int:
        return (self.heap.mapped - self.stack_pages) * PAGE

    @property
    def heap_idle(self) -> int:
        return self.heap.free_pages * PAGE

    @property
    def heap_released(self) -> int:
        return self.heap.released_pages * PAGE

    @property
    def heap_inuse(self) -> int:
        """Bytes in in-use spans (mheap_.pages in use by mSpanInUse spans)."""
        return self.inuse_pages * PAGE

    @property
    def heap_free(self) -> int:
        return self.heap_idle - self.heap_released

    def _nonheap_sys(self) -> tuple[int, int, int, int, int]:
        """(MSpanSys, MCacheSys, BuckHashSys, GCSys, OtherSys). Heap metadata grows with the
        heap arenas (runtime/mheap.go sysAlloc: heapArena, and the heap bitmap up to 1.21)."""
        # mspan structs come from a fixalloc that never returns memory: MSpanSys is the
        # high-water mark of spans (runtime/mheap.go h.spanalloc)
        nspans = self.max_nspans + 64
        mspan = -(-nspans * MSPAN_BYTES // (16 * KiB)) * 16 * KiB
        mcache = 16 * KiB
        buck = 4 * KiB
        other = 1 * MiB
        # the base is a fresh program's non-heap memory: its share of mspans is a fresh
        # program's (64 spans), so the spans made since add to it, not eat into it
        mspan0 = -(-64 * MSPAN_BYTES // (16 * KiB)) * 16 * KiB
        gcsys = max(0, self.p.nonheap_base_bytes - mspan0 - mcache - buck - other) \
            + self.p.nonheap_per_arena_bytes * self.heap.arenas
        # gcBits arenas: alloc and mark bitmaps, 8 B per 64 objects and span, three cycles'
        # generations (runtime/mheap.go newMarkBits). (GC work buffers come from heap pages.)
        gcsys += nspans * GCBITS_BYTES_PER_SPAN
        return mspan, mcache, buck, gcsys, other

    @property
    def stack_inuse(self) -> int:
        return self.stack_pages * PAGE

    def sys(self) -> int:
        return self.heap_sys + self.stack_inuse + sum(self._nonheap_sys())

    def mapped_ready(self) -> int:
        """gcController.mappedReady = Sys - HeapReleased (runtime/mstats.go)."""
        return self.sys() - self.heap_released

    def rss(self) -> int:
        """Resident memory: resident heap pages (touched in-use pages, dirty free pages, and
        MADV_FREE'd pages not yet reclaimed), stacks, most runtime metadata, the binary."""
        heap_res = sum(r.res for r in self.runs) + self.heap.free_res_pages
        meta = sum(self._nonheap_sys())
        # metadata: heapArena structs and bitmaps are touched as the arena fills; count 90%
        rss = heap_res * PAGE + self.stack_inuse + int(meta * 0.9) + BINARY_RSS_BYTES
        if self.now < self._fault_until_s:
            # a large allocation being zeroed/written: its pages fault in as memclr (or the
            # program) walks them, at FAULT_BYTES_PER_S, not all at once
            left = (self._fault_until_s - self.now) / max(self._fault_until_s - self._fault_from_s, 1e-12)
            rss -= int(self._fault_bytes * min(1.0, left))
        return rss

    # ------------------------------------------------------------------------------------
    # pacer
    def _set_gc_percent_raw(self, pct: int) -> int:
        old = self.gcpercent
        pct = -1 if pct is None or pct < 0 else int(pct)
        self.gcpercent = pct
        # 1.15 setGCPercent: heapminimum = defaultHeapMinimum * gcpercent / 100
        # 1.18+ setGCPercent: c.heapMinimum = defaultHeapMinimum * uint64(in) / 100 (in=-1 ->
        # huge in uint64; unused since the goal is ^0 then)
        self.heap_minimum = DEFAULT_HEAP_MINIMUM * max(pct, 0) // 100 if pct >= 0 else 0
        return old

    def _commit(self, sweep_done: bool) -> None:
        """runtime/mgcpacer.go gcControllerState.commit (1.18+)."""
        self.sweep_dist_min_trigger = 0 if sweep_done else self.heap_live + SWEEP_MIN_HEAP_DISTANCE
        goal = U64MAX
        if self.gcpercent >= 0:
            goal = self.heap_marked + (self.heap_marked + self.last_stack_scan + self.globals_scan) * self.gcpercent // 100
            goal = max(goal, self.heap_minimum)
        self.pct_goal = goal
        # runway = consMark*(1-gcGoalUtilization)/gcGoalUtilization*(lastHeapScan+lastStackScan+globalsScan)
        runway = self.cons_mark * (1 - GC_GOAL_UTILIZATION) / GC_GOAL_UTILIZATION \
            * (self.last_heap_scan + self.last_stack_scan + self.globals_scan)
        # c.runway.Store(uint64(...)): Go 1.19's PI-controlled consMark can go negative (it
        # overshoots from cycle to cycle), and a negative float64 converted to uint64 on amd64
        # wraps around to nearly 2^64 (CVTTSD2SQ, then the bits as unsigned): trigger() then
        # finds runway > goal and takes the lowest trigger (measured: uint64(-516.3*3*275800)
        # = 18446744073282364997 with Go 1.19 and 1.27)
        self.runway = int(runway) if runway >= 0 else U64MAX + 1 + int(runway)

    def _commit_115(self, sweep_done: bool) -> None:
        """runtime/mgc.go gcSetTriggerRatio (Go 1.15)."""
        hm = self.heap_marked
        tr = self.trigger_ratio
        goal = U64MAX
        if self.gcpercent >= 0:
            goal = hm + hm * self.gcpercent // 100
            scaling = self.gcpercent / 100
            tr = min(tr, 0.95 * scaling)  # maxTriggerRatio
            tr = max(tr, 0.6 * scaling)  # minTriggerRatio, scaled by GOGC since 1.15 (#37927)
        elif tr < 0:
            tr = 0
        self.trigger_ratio = tr
        trigger = U64MAX
        if self.gcpercent >= 0:
            trigger = int(hm * (1 + tr))
            min_trigger = self.heap_minimum
            if not sweep_done:
                min_trigger = max(min_trigger, self.heap_live + SWEEP_MIN_HEAP_DISTANCE)
            trigger = max(trigger, min_trigger)
            goal = max(goal, trigger)
        self.next_gc = goal
        self.gc_trigger = trigger

    def memory_limit_heap_goal(self) -> int:
        """runtime/mgcpacer.go memoryLimitHeapGoal (1.19: 1 MiB headroom; 1.21+: 3%)."""
        if not self.p.memory_limit:
            return U64MAX
        mapped_ready = self.mapped_ready()
        heap_free = self.heap_free
        heap_alloc = self.heap_alloc
        nonheap = mapped_ready - heap_free - heap_alloc
        L = self.memory_limit
        overage = max(mapped_ready - L, 0)
        if nonheap + overage >= L:
            return self.heap_marked
        goal = L - (nonheap + overage)
        if self.p.limit_headroom == "1MiB":
            headroom = 1 << 20  # memoryLimitHeapGoalHeadroom (1.19)
        else:
            headroom = max(goal // 100 * 3, 1 << 20)  # memoryLimitHeapGoalHeadroomPercent = 3
        if goal < headroom or goal - headroom < headroom:
            goal = headroom
        else:
            goal -= headroom
        return max(goal, self.heap_marked)

    def heap_goal_internal(self) -> tuple[int, int]:
        """runtime/mgcpacer.go heapGoalInternal (1.18+)."""
        goal = self.pct_goal
        # without a limit the limit goal is ~MaxInt64: it only matters under GOGC=off
        if self.memory_limit < MAXINT64 or goal >= 1 << 62:
            lim = self.memory_limit_heap_goal()
            if lim < goal:
                return lim, 0
        min_trigger = self.sweep_dist_min_trigger
        goal = max(goal, min_trigger)
        if self.triggered != U64MAX and goal < self.triggered + MIN_RUNWAY:
            goal = self.triggered + MIN_RUNWAY
        return goal, min_trigger

    def heap_goal(self) -> int:
        if self.p.pacer == "1.15":
            return self.next_gc
        return self.heap_goal_internal()[0]

    def trigger(self) -> int:
        """The heap trigger: 1.15 memstats.gc_trigger; 1.18+ gcControllerState.trigger."""
        if self.p.pacer == "1.15":
            return self.gc_trigger
        goal, min_trigger = self.heap_goal_internal()
        hm = self.heap_marked
        if hm >= goal:
            return goal
        min_trigger = max(min_trigger, hm)
        lower = (goal - hm) // TRIGGER_RATIO_DEN * MIN_TRIGGER_RATIO_NUM + hm
        min_trigger = max(min_trigger, lower)
        max_trigger = (goal - hm) // TRIGGER_RATIO_DEN * MAX_TRIGGER_RATIO_NUM + hm
        if goal > DEFAULT_HEAP_MINIMUM and goal - DEFAULT_HEAP_MINIMUM > max_trigger:
            max_trigger = goal - DEFAULT_HEAP_MINIMUM
        max_trigger = max(max_trigger, min_trigger)
        runway = self.runway
        trig = min_trigger if runway > goal else goal - runway
        return min(max(trig, min_trigger), max_trigger)

    # ------------------------------------------------------------------------------------
    # allocation
    def _span_class(self, spec: AllocSpec) -> tuple:
        """(key, elem, span_pages, objs_per_span, large). runtime/malloc.go mallocgc."""
        size = max(int(spec.size), 0)
        sc = self.p.sizeclasses
        if not spec.pointers and 0 < size < TINY_SIZE:
            # tiny allocator: noscan objects < 16 B share 16-byte blocks (size class 2)
            cls, elem, sp = sc.size_class(TINY_SIZE)
            per_block = max(1, TINY_SIZE // size)
            return (("tiny", per_block), elem / per_block, sp, sc.objects_per_span(cls) * per_block, False)
        if spec.pointers and self.p.malloc_header and size > 512:
            size += 8  # Go 1.22+ mallocgc: mallocHeaderSize for pointerful objects > 512 B
        if size <= MAX_SMALL_SIZE:
            cls, elem, sp = sc.size_class(max(size, 1))
            # objects per span (runtime/mheap.go initSpan): Go 1.22+ keeps the pointer bitmap
            # of small pointerful objects (<= 512 B, heapBitsInSpan) at the end of the span, and
            # the Green Tea GC (1.26+) reserves 128 B of inline mark bits in spans of 16..512 B
            # objects (gcUsesSpanInlineMarkBits): 15 objects of 512 B in 8 KiB, not 16
            nbytes = sp * PAGE
            reserve = 0
            if elem <= 512:
                if self.p.inline_mark_bits and elem >= 16:
                    reserve += 128
                if self.p.malloc_header and spec.pointers:
                    reserve += nbytes // 64
            return ((cls, spec.pointers), elem, sp, (nbytes - reserve) // elem, False)
        npages = -(-size // PAGE)
        return (("large", npages, spec.pointers), npages * PAGE, npages, 1, True)

    def _alloc_objects(self, spec: AllocSpec, n: int, live: bool, handle_pieces: list | None,
                       count_stats: bool = True, reserve_spans: int = 0) -> tuple[int, int]:
        """Allocate ``n`` objects: free slots of swept spans first (mcentral partial spans),
        then new spans from the page heap. Returns (heap bytes allocated, bytes faulted in)."""
        key, elem, sp, per, large = self._span_class(spec)
        left = n
        marking = self.cycle is not None
        touched_new = 0
        runs_used: list[tuple[Run, int]] = []
        if not large:
            plist = self.partial.get(key)
            while left > 0 and plist:
                r = plist[-1]
                k = min(left, r.cap - r.nalloc)
                if k > 0:
                    runs_used.append((r, k))
                    left -= k
                if r.cap - r.nalloc - k <= 0:
                    plist.pop()
                if k > 0:
                    r.nalloc += k
        if left > 0 or reserve_spans:
            nspans = max(-(-left // per), reserve_spans)
            for run in self._new_runs(key, elem, sp, per, nspans, spec, large):
                k = min(left, run.nspans * run.per - run.nalloc)
                run.nalloc += k
                left -= k
                if k:
                    runs_used.append((run, k))
                if run.nalloc < run.cap and not large:
                    self.partial.setdefault(key, []).append(run)
                touched_new += self._faulted
                self._faulted = 0
        for r, k in runs_used:
            if live:
                r.nlive += k
                if handle_pieces is not None:
                    handle_pieces.append((r, k))
            if marking:
                r.nmark += k  # allocated black during marking (runtime/malloc.go gcmarknewobject)
        nbytes = int(n * elem)
        self.heap_alloc += nbytes
        self.heap_live += nbytes
        if count_stats:
            self.total_alloc += nbytes
            self.mallocs += n
        if live and spec.pointers:
            self.heap_scan_live += nbytes
        return nbytes, touched_new

    def _new_runs(self, key, elem, sp, per, nspans, spec: AllocSpec, large: bool) -> list[Run]:
        """mheap.alloc of ``nspans`` spans of ``sp`` pages: first fit, growing the heap (and
        scavenging on growth / for the memory limit) when the free pages do not suffice."""
        heap = self.heap
        self._faulted = 0
        pieces = heap.place(sp, nspans)
        got = sum(k for _, k, *_ in pieces)
        growth = 0
        while got < nspans:
            left = nspans - got
            retained_before = self.heap_sys - self.heap_released
            if sp >= CHUNK_PAGES:
                g = heap.grow(sp)
            else:
                g = heap.grow(max(1, left * sp - heap.tail_free()))
            growth += g
            self.grown_bytes += g
            self._scavenge_on_growth(g, retained_before)
            more = heap.place(sp, left)
            pieces += more
            got += sum(k for _, k, *_ in more)
        runs = []
        scav_total = 0
        for start, k, scav, res, dirty in pieces:
            npg = k * sp
            scav_total += scav
            if large:
                # mallocgc large: zeroed if the pages may be dirty (needzero); fresh pages are
                # resident only where the program writes
                resident = dirty + int((npg - dirty) * spec.touch)
            else:
                # small objects: allocations in dirty spans are zeroed, and a page with any
                # written object is resident
                resident = npg if spec.touch > 0 else dirty
            resident = min(npg, max(resident, res))
            self._faulted += resident - min(res, resident)
            self._zeroed_res += min(res, dirty)
            self.inuse_pages += npg
            self.nspans_total += k
            last = self.runs[-1] if self.runs else None
            if (not large and last is not None and last.key == key and last.start + last.nspans * sp == start
                    and last.touch == spec.touch):
                # contiguous with the last run of this span class: one run (fewer records)
                last.nspans += k
                last.res += resident
                if not runs or runs[-1] is not last:
                    runs.append(last)
                continue
            run = Run(key, elem, sp, per, start, k, spec.pointers, resident, spec.touch, large)
            self.runs.append(run)
            runs.append(run)
        if self.nspans_total > self.max_nspans:
            self.max_nspans = self.nspans_total
        if self.p.memory_limit and self.memory_limit < MAXINT64:
            self._scavenge_for_limit(scav_total * PAGE)
        return runs

    def _scavenge_on_growth(self, growth: int, retained: int) -> None:
        """Scavenge what the heap growth will soon use: 1.15 mheap.grow; 1.19+ allocSpan
        (``retained+growth > gcPercentGoal`` -> scavenge min(growth, overage))."""
        if growth <= 0:
            return
        goal = self.scav_gc_goal
        if goal == U64MAX:
            return
        if retained + growth > goal:
            todo = min(growth, retained + growth - goal)
            self._scavenge(todo, eager=True)

    def _scavenge_for_limit(self, scav_bytes: int) -> None:
        """runtime/mheap.go allocSpan (1.19+): if mappedReady + scav > memoryLimit and the CPU
        limiter is off, scavenge the excess now."""
        if self.memory_limit >= MAXINT64 or self.limiter_enabled:
            return
        inuse = self.mapped_ready()
        if inuse > self.memory_limit:
            self._scavenge(inuse - self.memory_limit, eager=True)

    def _scavenge(self, nbytes: int, eager: bool, max_gen: int | None = None) -> int:
        pages = -(-int(nbytes) // PAGE)
        done, dropped = self.heap.scavenge(pages, self.madv_free, max_gen)
        b = done * PAGE
        if eager:
            self.scav_eager_since += b
            self.scav_total_eager += b
        else:
            self.scav_bg_since += b
            self.scav_total_bg += b
        return b

    def _alloc_stack_pages(self, npages: int) -> list[tuple[int, int]]:
        """Stack spans come from the page heap (runtime/stack.go stackalloc ->
        mheap.allocManual) and count in StackInuse, not HeapSys."""
        if npages <= 0:
            return []
        pcs = self.heap.place(1, npages)
        got = sum(k for _, k, *_ in pcs)
        while got < npages:
            self.heap.grow(npages - got)
            more = self.heap.place(1, npages - got)
            pcs += more
            got += sum(k for _, k, *_ in more)
        self.stack_pages += npages
        return [(start, k) for start, k, *_ in pcs]

    def _free_stacks(self, g: "Goroutines") -> None:
        """Stacks of exited goroutines go back to the heap as free, resident pages
        (runtime/stack.go stackfree -> mheap.freeManual) -- at once when their size differs from
        startingStackSize (proc.go gfput), else at the next GC: gfput keeps the stack on the
        free G list, markrootFreeGStacks frees it during the mark and freeStackSpans returns the
        stack spans to the heap at mark termination (1.19+, adaptivestackstart=1)."""
        if self.p.adaptive_stack_start and g.stack_bytes == self.starting_stack_bytes:
            self._dead_stacks.extend(g.pieces)
        else:
            self._release_stack_pieces(g.pieces)
        g.pieces = []
        self.stack_scan -= g.count * g.used_bytes
        self.stack_alloc -= g.count * g.stack_bytes
        self.goroutines -= g.count
        self._sample(force=True)

    def _release_stack_pieces(self, pieces: list) -> None:
        for start, k in pieces:
            self.heap.free(start, k, k, self.num_gc)
            self.stack_pages -= k

    def new_goroutines(self, count: int, stack_bytes: int, used_bytes: int) -> "Goroutines":
        """``count`` goroutines with stacks of ``stack_bytes`` (rounded up to a power of two,
        at least 2 KiB: runtime/stack.go _StackMin/stackalloc) of which ``used_bytes`` are in
        use (scanned by the GC)."""
        stack_bytes = max(2048, 1 << max(0, (int(stack_bytes) - 1).bit_length()))
        total = count * stack_bytes
        pieces = self._alloc_stack_pages(-(-total // PAGE))
        self.stack_scan += count * used_bytes
        self.stack_alloc += total
        self.max_stack_scan = max(self.max_stack_scan, self.stack_alloc)
        self.goroutines += count
        if self.goroutines > self.max_goroutines:
            # runtime/proc.go newproc1 -> malg: a new g struct (~440 B, pointerful) from the
            # heap when the free list (gFree) has none; g's are never freed (allgs)
            new = self.goroutines - self.max_goroutines
            self.max_goroutines = self.goroutines
            self._alloc_objects(AllocSpec(G_STRUCT_BYTES, True), new, live=True, handle_pieces=self._runtime_pieces)
        g = Goroutines(self, count, stack_bytes, used_bytes)
        g.pieces = pieces
        self._sample(force=True)
        return g

    # ------------------------------------------------------------------------------------
    # handles
    def _process_drops(self) -> None:
        while self._pending:
            pieces = self._pending.pop()
            for r, k in pieces:
                r.nlive -= k
                if r.ptr:
                    self.heap_scan_live -= int(k * r.elem)

    def drop(self, h: Handle) -> None:
        if h.alive:
            h.alive = False
            self._pending.append(h.pieces)
        self._process_drops()

    def make(self, spec: AllocSpec, count: int = 1) -> Handle:
        """Allocate ``count`` objects the program keeps (make/new), then pay the mutator's
        cost (zeroing, first touch) and check the GC trigger as mallocgc does."""
        self._process_drops()
        pieces: list = []
        if spec.size == 0 or count == 0:
            return Handle(self, pieces, spec.size, count)  # mallocgc(0) returns &zerobase
        nbytes, touched = self._alloc_objects(spec, count, live=True, handle_pieces=pieces)
        h = Handle(self, pieces, spec.size, count)
        # mallocgc: the span is allocated, zeroed if it may be dirty (memclrNoHeapPointers;
        # faulting in non-resident pages) and only then is the GC trigger tested
        cost = (count * ALLOC_S_PER_OBJ + touched * PAGE / FAULT_BYTES_PER_S + self.grown_bytes * SYSMAP_S_PER_BYTE
                + self._zeroed_res * PAGE / ZERO_BYTES_PER_S)
        self.grown_bytes = 0
        self._zeroed_res = 0
        if touched * PAGE >= 8 * MiB and cost > 0:
            # mallocgc of a large object: memclrNoHeapPointers (needzero spans) or the program's
            # writes fault its pages in over ``cost``; RSS follows (corpus seed rss.csv: a
            # reused 1 GiB span becomes resident over ~1 s)
            self._fault_bytes, self._fault_from_s, self._fault_until_s = touched * PAGE, self.now, self.now + cost
            self._sample(force=True)
        if cost > 0:
            self.advance(cost, busy=1.0)
            if self._fault_bytes:
                self._fault_bytes = 0
                self._sample(force=True)
        self._maybe_start_gc_heap()
        return h

    # ------------------------------------------------------------------------------------
    # the clock
    def advance(self, duration_s: float, spec: AllocSpec | None = None, rate_bytes_per_s: float = 0.0,
                hold: list | None = None, total_objs: int | None = None, busy: float | None = None) -> int:
        """Run the clock for ``duration_s`` (or until ``total_objs`` objects are allocated)
        while the mutator allocates ``spec`` objects at ``rate_bytes_per_s`` (requested bytes).
        Objects go into ``hold`` (live) when given, else they are garbage at once.
        Returns the number of objects allocated."""
        t_end = self.now + duration_s if duration_s is not None else INF
        objs_per_s = 0.0
        if spec is not None and rate_bytes_per_s > 0:
            objs_per_s = rate_bytes_per_s / max(spec.size, 1)
        if busy is None:
            busy = min(1.0, objs_per_s * CHURN_S_PER_OBJ) if objs_per_s else 0.0
        self.mutator_busy = busy
        elem = self._span_class(spec)[1] if spec is not None else 0
        done = 0
        carry = 0.0
        guard = 0
        while True:
            self._process_drops()
            if total_objs is not None and done >= total_objs:
                break
            if self.now >= t_end - 1e-12:
                break
            guard += 1
            dt = t_end - self.now
            cyc = self.cycle
            factor = 1.0
            self._assist_rate = 0.0
            self._alloc_k = 1.0
            if cyc is not None:
                if objs_per_s:
                    factor, self._assist_rate, cap = self._assist(objs_per_s * elem)
                    self._alloc_k = factor
                    dt = min(dt, cap)
                dt = min(dt, self._mark_remaining_s())
            else:
                if self.gcpercent >= 0 and self.last_gc_end_s >= 0:
                    dt = min(dt, max(0.0, self.last_gc_end_s + FORCEGC_PERIOD_S - self.now))
            if cyc is not None or objs_per_s or self._scav_did_work or self.now < self._fault_until_s:
                # samples while something changes; an idle program is not sampled tick by tick
                dt = min(dt, max(self.next_sample_s - self.now, 0.0))
            if self.scav_next_run_s < INF:
                dt = min(dt, max(self.scav_next_run_s - self.now, 0.0))
            rate_objs = objs_per_s * factor
            if rate_objs > 0 and cyc is None:
                room = self.trigger() - self.heap_live
                if room <= 0:
                    if self.now < self.sweep_until_s - 1e-12:
                        # gcStart first finishes the last cycle's sweep (finishsweep_m)
                        dt = min(dt, self.sweep_until_s - self.now)
                    else:
                        self._start_gc("heap")
                        continue
                else:
                    dt = min(dt, room / (rate_objs * elem))
            if rate_objs > 0 and total_objs is not None:
                dt = min(dt, (total_objs - done - carry) / rate_objs)
            dt = max(dt, 0.0)
            # allocate
            if rate_objs > 0:
                want = carry + rate_objs * dt
                n = int(want)
                if cyc is None and dt > 0 and self.heap_live + (n + 1) * elem >= self.trigger() >= self.heap_live + n * elem:
                    n += 1  # the allocation that crosses the trigger
                if total_objs is not None:
                    n = min(n, total_objs - done)
                carry = max(0.0, want - n)
                if n > 0:
                    pieces = [] if hold is not None else None
                    self._alloc_objects(spec, n, live=hold is not None, handle_pieces=pieces)
                    if hold is not None:
                        hold.extend(pieces)
                    done += n
                    # a paced loop's zeroing and heap growth are part of its rate (the program's
                    # allocation rate as measured): not left for the next make() to pay
                    self._zeroed_res = 0
                    self.grown_bytes = 0
            self._background(dt, cyc)
            self.now += dt
            if self.cycle is not None and self._mark_remaining_s() <= 1e-12:
                self._finish_gc()
            elif self.cycle is None:
                if rate_objs > 0 and self.heap_live >= self.trigger() and self.now >= self.sweep_until_s - 1e-12:
                    self._start_gc("heap")
                elif self.gcpercent >= 0 and self.now >= self.last_gc_end_s + FORCEGC_PERIOD_S - 1e-9:
                    self._start_gc("time")
            if self.now >= self.next_sample_s - 1e-12:
                self._sample()
            if guard > 10_000_000:
                raise RuntimeError("simulation did not progress")
        self.mutator_busy = 0.0
        return done

    def _fractional_goal(self) -> float:
        """runtime/mgcpacer.go startCycle: dedicated workers = round(0.25*GOMAXPROCS),
        dropped by one when that is off by more than 30%; the rest runs as a fractional
        worker on every P, fractionalUtilizationGoal of each P's time."""
        goal = GC_BACKGROUND_UTILIZATION * self.procs
        dedicated = int(goal + 0.5)
        if goal > 0 and abs(dedicated / goal - 1) > 0.3:
            if dedicated > goal:
                dedicated -= 1
        frac = max(0.0, goal - dedicated) / self.procs
        return frac

    def _mark_rate_cpus(self) -> float:
        """CPUs marking in the background: the 25% workers (dedicated/fractional,
        mgcpacer.go startCycle) plus idle Ps running idle-priority workers."""
        bg = GC_BACKGROUND_UTILIZATION * self.procs
        idle = max(0.0, self.procs - bg - self.mutator_busy * self._alloc_k)
        # idle-priority workers run on at most GOMAXPROCS-1 Ps and do not scale perfectly
        # (measured, 2 Ps: ~1.3 CPUs of marking with an idle program, ~1.15 with a busy one)
        return bg + IDLE_MARK_EFFICIENCY * min(idle, max(self.procs - 1, 0))

    def _mark_remaining_s(self) -> float:
        cyc = self.cycle
        return cyc.work_cpu_s / self._mark_rate_cpus() if cyc else INF

    def _assist(self, alloc_bytes_per_s: float) -> tuple[float, float, float]:
        """Mutator assists (runtime/mgcmark.go gcAssistAlloc, paced by mgcpacer.go revise).
        In scan-work units W (bytes scanned):

            expected = lastHeapScan + lastStackScan + globalsScan
            if work > expected: goal = min(extrapolated goal, (1+GOGC/100)*goal); expected = maxScanWork
            if heapLive > goal: goal = 1.1*goal (maxOvershoot); expected = maxScanWork
            assistWorkPerByte = max(expected - work, 1000) / max(goal - heapLive, 1)

        Background workers' credit pays first; the allocating goroutine does the rest, which
        slows its allocation once it has no spare CPU. The CPU limiter turns assists off.
        Returns (allocation-rate factor, assist CPUs, step cap)."""
        cyc = self.cycle
        if cyc is None or self.limiter_enabled or alloc_bytes_per_s <= 0:
            return 1.0, 0.0, INF
        goal = self.heap_goal()
        if goal >= U64MAX:
            return 1.0, 0.0, INF
        w_total = max(cyc.scan_heap_bytes + cyc.scan_stack_bytes + cyc.scan_globals_bytes, 1)
        c_total = max(cyc.work_total_cpu_s, 1e-12)
        w_per_cpu = w_total / c_total
        work = (c_total - cyc.work_cpu_s) * w_per_cpu
        expected = cyc.expected_scan
        max_scan = w_total
        live = self.heap_live
        if work > expected and expected > 0:
            ext = int((goal - cyc.triggered) / expected * max_scan) + cyc.triggered
            hard = int((1.0 + max(self.gcpercent, 0) / 100.0) * goal)
            goal = min(ext, hard)
            expected = max_scan
        if live > goal:
            goal = int(goal * 1.1)
            expected = max_scan
        runway = max(goal - live, 1)
        awpb_w = max(expected - work, 1000) / runway
        bg = self._mark_rate_cpus()
        debt = alloc_bytes_per_s * awpb_w / w_per_cpu  # CPUs of mark work the allocation needs
        m = self.mutator_busy
        cap = max(runway / alloc_bytes_per_s / 4, 20e-6)
        # Assists do mark work on the allocating goroutine's own time: CPU that would
        # otherwise have run idle-priority mark workers, so they do not speed the mark up
        # beyond the Ps' capacity; they change who pays (GC CPU, the CPU limiter) and stall
        # the allocation. An assist that finds no work parks (gcParkAssist) and uses no CPU:
        # the assist's share of the cycle's CPU is capped in _background.
        if debt <= bg:
            return 1.0, 0.0, cap
        if m + (debt - bg) <= 1.0:
            return 1.0, debt - bg, cap
        k = min(1.0, max(0.0, 1.0 / (m + debt - bg)))
        return k, max(0.0, 1.0 - m * k), cap

    def _background(self, dt: float, cyc: Cycle | None) -> None:
        """Mark progress, the CPU limiter and the background scavenger over ``dt``."""
        if dt <= 0:
            if self.scav_next_run_s <= self.now + 1e-12:
                self._bg_scavenge(0.0)
            return
        if cyc is not None:
            cpus = self._mark_rate_cpus()
            bg = GC_BACKGROUND_UTILIZATION * self.procs * dt
            # assists replace idle marking; they cannot exceed the work the cycle has left
            assist = min(self._assist_rate * dt, max(0.0, cpus * dt - bg),
                         cyc.work_cpu_s * (self._assist_rate / max(cpus, 1e-9)))
            self._assist_used = assist / dt
            idle = max(0.0, cpus * dt - bg - assist)
            cyc.bg_s += bg
            cyc.idle_s += idle
            cyc.assist_s += assist
            cyc.work_cpu_s = max(0.0, cyc.work_cpu_s - cpus * dt)
        # the GC CPU limiter (runtime/mgclimit.go): fill += gcTime - mutatorTime, capacity
        # GOMAXPROCS x 1 s; enabled while full. Idle time is not counted.
        if self.p.memory_limit:
            total = self.procs * dt
            gc_t = (GC_BACKGROUND_UTILIZATION * self.procs + self._assist_used) * dt if cyc is not None else 0.0
            mut = self.mutator_busy * self._alloc_k * dt
            # idle time (idle Ps and idle-priority mark work) is not counted
            idle = max(0.0, total - gc_t - mut)
            total -= idle
            self.limiter_fill = min(self.procs * LIMITER_CAPACITY_PER_PROC_S,
                                    max(0.0, self.limiter_fill + gc_t - (total - gc_t)))
            was = self.limiter_enabled
            self.limiter_enabled = self.limiter_fill >= self.procs * LIMITER_CAPACITY_PER_PROC_S - 1e-9
            if self.limiter_enabled and not was:
                self.limiter_last_enabled_cycle = self.num_gc + 1
                self._event("gc_cpu_limiter", 1.0, "GC CPU limiter enabled")
        # background scavenger (runtime/mgcscavenge.go bgscavenge): 1% of the CPUs while the
        # retained heap is above the goal (or mappedReady above the 1.22+ limit goal)
        self._bg_scavenge(dt)

    def _scav_wake(self, t: float) -> None:
        """scavenger.wake (GC start: finishsweep_m; sweep done: ready -> sysmon): a parked
        or sleeping scavenger runs at ``t``."""
        if self.p.scav_whole_procs and t < self.scav_next_run_s:
            self.scav_next_run_s = max(t, self.now)

    def _scav_excess(self) -> int:
        """Bytes above the scavenger's goals: the retained heap above the GOGC-derived goal,
        or mappedReady above the memory-limit goal (mgcscavenge.go scavengerState.shouldStop)."""
        excess = 0
        retained = self.heap_sys - self.heap_released
        if self.scav_gc_goal != U64MAX and retained > self.scav_gc_goal:
            excess = retained - self.scav_gc_goal
        if self.scav_limit_goal != U64MAX:
            mr = self.mapped_ready()
            if mr > self.scav_limit_goal:
                excess = max(excess, mr - self.scav_limit_goal)
        return excess

    def _scav_run(self, t: float) -> None:
        """One turn of runtime/mgcscavenge.go bgscavenge at ``t``: the end of sleep() (the
        controller update), run(), then sleep() or park()."""
        if self.scav_sleep_start_s is not None:
            # sleep(): cpuFraction = worked / ((slept + worked) * gomaxprocs) -> piController.next
            slept = max(0.0, t - self.scav_sleep_start_s)
            w = self.scav_worked_s
            period_ns = (slept + w) * 1e9
            cpu_frac = w / ((slept + w) * self.procs)
            kp, ti, tt, lo, hi = SCAV_PI
            err = SCAV_CPU_FRACTION - cpu_frac
            raw = kp * err + self.scav_err_integral
            out = min(hi, max(lo, raw))
            self.scav_err_integral += (kp * period_ns / ti) * err + (period_ns / tt) * (out - raw)
            self.scav_sleep_ratio = out
            self.scav_sleep_start_s = None
        # run(): 64 KiB quanta until worked >= minScavWorkTime or shouldStop (retained at the goals)
        excess = self._scav_excess()
        released = 0
        worked = 0.0
        max_gen = self.num_gc - 1 if self.p.scav_density else None
        while worked < MIN_SCAV_WORK_S and excess - released >= PHYS_PAGE:
            chunk = min(excess - released, 4 * MiB)
            pages = -(-chunk // PAGE)
            done, dropped = self.heap.scavenge(pages, self.madv_free, max_gen)
            if done <= 0:
                break
            b, d = done * PAGE, dropped * PAGE
            released += b
            worked += d / SCAV_RES_BYTES_PER_S + (b - d) / SCAV_NONRES_BYTES_PER_S
        self.scav_bg_since += released
        self.scav_total_bg += released
        self._scav_did_work = released > 0
        if released == 0:
            self.scav_next_run_s = INF  # park() until the next wake
            return
        w = max(worked, MIN_SCAV_WORK_S)
        self.scav_worked_s = w
        self.scav_sleep_start_s = t + worked
        self.scav_next_run_s = t + worked + w / self.scav_sleep_ratio

    def _bg_scavenge(self, dt: float) -> None:
        if self.p.scav_whole_procs:
            self._scav_did_work = False
            if self.scav_next_run_s <= self.now + dt + 1e-12:
                self._scav_run(max(self.scav_next_run_s, self.now))
            return
        self._scav_did_work = False
        free_unscav = self.heap.unscavenged_free() * PAGE
        if free_unscav <= 0:
            return
        excess = self._scav_excess()
        if excess < PHYS_PAGE:
            return
        if self.p.scav_whole_procs:
            rate = SCAV_BYTES_PER_CPU_S * SCAV_CPU_FRACTION * self.procs
        else:
            rate = SCAV_BYTES_PER_CPU_S_115 * SCAV_CPU_FRACTION
        todo = min(excess, int(rate * dt), free_unscav)
        if todo >= PAGE:
            # 1.21+: chunks that were >= 96.875% in use in the current or previous GC cycle
            # are skipped by the background scavenger (scavChunkHiOccFrac)
            done = self._scavenge(todo, eager=False, max_gen=self.num_gc - 1 if self.p.scav_density else None)
            self._scav_did_work = done > 0

    def _pace_scavenger(self) -> None:
        """runtime/mgcscavenge.go gcPaceScavenger (1.15: mheap_.scavengeGoal)."""
        L = self.memory_limit
        if self.p.memory_limit and L < MAXINT64:
            if self.p.scav_limit_bug:
                # 1.19-1.21: uint64(float64(memoryLimit) * (100.0 - reduceExtraPercent)) = 95*L,
                # so the limit goal never applies (golang/go#62449, fixed in 1.22)
                lim_goal = int(float(L) * (100.0 - REDUCE_EXTRA_PERCENT))
            else:
                lim_goal = int(float(L) * (1 - REDUCE_EXTRA_PERCENT / 100.0))
            self.scav_limit_goal = U64MAX if self.mapped_ready() <= lim_goal else lim_goal
        else:
            self.scav_limit_goal = U64MAX
        # heapGoal() includes the memory-limit goal: with GOGC=off and a limit this goal is
        # finite too (the name "gcPercentGoal" notwithstanding)
        goal, last = self.heap_goal(), self.last_heap_goal
        if last == 0 or goal >= U64MAX:
            self.scav_gc_goal = U64MAX
            return
        g = int(self.last_heap_inuse * (goal / last))
        g += g // (100 // RETAIN_EXTRA_PERCENT)
        g = (g + PHYS_PAGE - 1) // PHYS_PAGE * PHYS_PAGE
        retained = self.heap_sys - self.heap_released
        if retained <= g or retained - g < PHYS_PAGE:
            self.scav_gc_goal = g  # nothing to do now, but eager scavenging uses the goal
        else:
            self.scav_gc_goal = g

    # ------------------------------------------------------------------------------------
    # GC cycle
    def _maybe_start_gc_heap(self) -> None:
        if self.cycle is None and self.heap_live >= self.trigger():
            if self.now < self.sweep_until_s:
                self.advance(self.sweep_until_s - self.now)  # the sweep gcStart must finish
            if self.cycle is None:
                self._start_gc("heap")

    def _start_gc(self, kind: str) -> None:
        """runtime/mgc.go gcStart + gcControllerState.startCycle."""
        self._process_drops()
        self.cycles_started += 1
        self._scav_wake(self.now)  # gcStart -> finishsweep_m -> scavenger.wake()
        num = self.num_gc + 1
        heap0 = self.heap_live
        if self.p.pacer == "1.15":
            # startCycle: next_gc = max(next_gc, heap_live + 1 MiB); work.heapGoal = next_gc
            if self.next_gc < self.heap_live + SWEEP_MIN_HEAP_DISTANCE:
                self.next_gc = self.heap_live + SWEEP_MIN_HEAP_DISTANCE
            triggered = self.gc_trigger
            goal_at_start = self.next_gc
        else:
            # 1.19: c.triggered = the heap trigger; 1.21+: c.triggered = heapLive
            triggered = self.heap_live if self.p.triggered_is_live else self.trigger()
            goal_at_start = self.heap_goal()
        self.triggered = triggered
        # the mark snapshot: everything reachable now is marked (the hybrid write barrier keeps
        # objects dropped during marking), plus what is allocated black during marking
        marked_objs = 0
        scan_heap = 0
        for r in self.runs:
            r.nmark = r.nlive
            marked_objs += r.nlive
            if r.ptr:
                scan_heap += int(r.nlive * r.elem)
        scan_stack = self.stack_scan
        work = (MARK_FIXED_S + marked_objs * MARK_S_PER_OBJ
                + (scan_heap + scan_stack) / MARK_SCAN_BYTES_PER_S + self.globals_scan / MARK_GLOBALS_BYTES_PER_S)
        self.cycle = Cycle(num=num, start_s=self.now, forced=(kind == "forced"), kind=kind, heap0=heap0,
                           triggered=triggered, goal_at_start=goal_at_start, work_cpu_s=work,
                           work_total_cpu_s=work, scan_heap_bytes=scan_heap, scan_stack_bytes=scan_stack,
                           scan_globals_bytes=self.globals_scan, marked_objs=marked_objs,
                           expected_scan=self.last_heap_scan + self.last_stack_scan + self.globals_scan,
                           mark_start_s=self.now + STW_SWEEP_TERM_S, scan_goroutines=self.goroutines,
                           dead_stacks=self._dead_stacks)
        self._dead_stacks = []
        # sweep termination STW
        self.now += STW_SWEEP_TERM_S

    def _finish_gc(self) -> None:
        """runtime/mgc.go gcMarkDone -> gcMarkTermination: endCycle, heap_marked, commit,
        sweep (here at once), gctrace line, scavenger pacing."""
        cyc = self.cycle
        assert cyc is not None
        self._process_drops()
        p = self.p
        mark_end = self.now
        self.now += STW_MARK_TERM_S
        heap1 = self.heap_live
        marked = 0
        scan_marked = 0
        for r in self.runs:
            b = int(r.nmark * r.elem)
            marked += b
            if r.ptr:
                scan_marked += b
        dur = max(mark_end - cyc.mark_start_s, 1e-9)
        # -- endCycle
        if p.pacer == "1.15":
            self._end_cycle_115(cyc, heap1, dur)
        else:
            # lastHeapGoal = heapGoal() at the start of endCycle (printed by gctrace)
            self.last_heap_goal = self.heap_goal()
            self._end_cycle(cyc, heap1, dur)
        self.last_heap_inuse = self.heap_inuse  # memstats.lastHeapInUse (before sweeping)
        stw_ns = int((STW_SWEEP_TERM_S + STW_MARK_TERM_S) * 1e9)
        self.pause_total_ns += stw_ns
        gc_cpu = (STW_SWEEP_TERM_S + STW_MARK_TERM_S) * self.procs + cyc.assist_s + cyc.bg_s
        self.gc_cpu_s += gc_cpu + (cyc.idle_s if p.version == "1.15" or p.version == "1.19" else 0.0)
        self.gc_cpu_s_all += gc_cpu + cyc.idle_s
        # -- heap_marked, heapLive reset (gcControllerState.resetLive / 1.15 gcMark)
        # lastStackScan = stackScanWork (resetLive): markroot scans the goroutines of allgs as of
        # gcMarkRootPrepare (mark start); those started during the mark are not scanned
        self.last_stack_scan = min(cyc.scan_stack_bytes, self.stack_scan)
        if p.adaptive_stack_start:
            # runtime/stack.go gcComputeStartingStackSize: avg scanned stack + stackGuard, a
            # power of two, at least fixedStack
            n = min(cyc.scan_goroutines, self.goroutines)
            if n > 0:
                avg = max(FIXED_STACK, self.last_stack_scan // n + STACK_GUARD)
                self.starting_stack_bytes = 1 << (avg - 1).bit_length()
            else:
                self.starting_stack_bytes = FIXED_STACK
        self.heap_marked = marked
        self.heap_live = marked
        self.last_heap_scan = scan_marked
        self.num_gc += 1
        if cyc.forced:
            self.num_forced_gc += 1
        # -- freeStackSpans (gcMarkTermination): stacks markrootFreeGStacks freed in this mark
        if cyc.dead_stacks:
            self._release_stack_pieces(cyc.dead_stacks)
        # -- sweep: unmarked objects are freed; empty spans go back to the heap
        self._sweep()
        self.heap.coalesce(self.num_gc - 1)
        self.cycle = None
        self.triggered = U64MAX
        # -- commit (sweep not done at mark termination)
        if p.pacer == "1.15":
            self._commit_115(sweep_done=False)
        else:
            self._commit(sweep_done=False)
        self.last_gc_end_s = self.now
        self._scav_did_work = True
        # the background sweeper (runtime/mgcsweep.go bgsweep) on the Ps the mutator leaves
        self.sweep_until_s = self.now + self.nspans_total * SWEEP_S_PER_SPAN  # one bgsweep goroutine
        self._pace_scavenger()
        self._scav_wake(self.sweep_until_s)  # sweepone: sweeping done -> scavenger.ready()
        if self.p.memory_limit and self.memory_limit < MAXINT64:
            # the first span the heap hands out after the sweep (every mcache was flushed for
            # the sweep; the GC's workbufs, the program's next small objects) runs allocSpan's
            # memory-limit check (runtime/mheap.go allocSpan: mappedReady + scav > memoryLimit
            # -> scavenge the excess, forced, ignoring the background scavenger's density rule)
            self._scavenge_for_limit(0)
        # -- outputs
        heap_goal_printed = cyc.goal_at_start if p.pacer == "1.15" else self.last_heap_goal
        stacks_printed = self.max_stack_scan if p.gctrace_allocated_stacks else self.last_stack_scan
        clock = (STW_SWEEP_TERM_S, mark_end - cyc.mark_start_s, STW_MARK_TERM_S)
        cpu = (STW_SWEEP_TERM_S * self.procs, cyc.assist_s, cyc.bg_s, cyc.idle_s, STW_MARK_TERM_S * self.procs)
        elapsed = max(self.now, 1e-9)
        frac = self.gc_cpu_s / (elapsed * self.procs)
        self.gc_cpu_fraction = frac
        rec = {"kind": "gc", "t_s": cyc.start_s, "num": self.num_gc, "gc_cpu_percent": float(int(frac * 100)),
               "clock_sweep_term_ms": clock[0] * 1e3, "clock_mark_ms": clock[1] * 1e3,
               "clock_mark_term_ms": clock[2] * 1e3, "cpu_sweep_term_ms": cpu[0] * 1e3,
               "cpu_assist_ms": cpu[1] * 1e3, "cpu_background_ms": cpu[2] * 1e3, "cpu_idle_ms": cpu[3] * 1e3,
               "cpu_mark_term_ms": cpu[4] * 1e3, "heap_start_bytes": cyc.heap0, "heap_end_bytes": heap1,
               "heap_live_bytes": marked, "heap_goal_bytes": heap_goal_printed, "procs": self.procs,
               "forced": cyc.forced}
        if p.gctrace_stacks_globals:
            rec["stacks_bytes"] = stacks_printed
            rec["globals_bytes"] = self.globals_scan
        self.records.append(rec)
        if self.gctrace:
            self.out.append(("stderr", _gctrace_line(p, self.num_gc, cyc.start_s, int(frac * 100), clock, cpu,
                                                     cyc.heap0, heap1, marked, heap_goal_printed,
                                                     stacks_printed, self.globals_scan, self.procs, cyc.forced)))
        self._scav_line(forced=False)
        self._sample(force=True)

    def _end_cycle(self, cyc: Cycle, heap1: int, dur: float) -> None:
        """runtime/mgcpacer.go endCycle (1.18+): the cons/mark estimate."""
        procs = self.procs
        util = GC_BACKGROUND_UTILIZATION + cyc.assist_s / (dur * procs)
        if heap1 <= cyc.triggered:
            return  # "Shouldn't happen, but let's be very safe"
        idle_util = cyc.idle_s / (dur * procs)
        scan_work = cyc.scan_heap_bytes + cyc.scan_stack_bytes + cyc.scan_globals_bytes
        if scan_work <= 0 or util >= 1:
            return
        current = ((heap1 - cyc.triggered) * (util + idle_util)) / (scan_work * (1 - util))
        if self.p.consmark == "pi":
            # 1.19: consMark, ok = consMarkController.next(consMark, currentConsMark, 1.0);
            # piController{kp: 0.9, ti: 4.0, tt: 1000, min: -1000, max: 1000}
            kp, ti, tt = 0.9, 4.0, 1000.0
            raw = kp * (current - self.cons_mark) + self.pi_err_integral
            out = min(max(raw, -1000.0), 1000.0)
            self.pi_err_integral += (kp * 1.0 / ti) * (current - self.cons_mark) + (1.0 / tt) * (out - raw)
            self.cons_mark = out
        else:
            # 1.21+: consMark = max(currentConsMark, lastConsMark[0..3]); shift history
            # The model's cycles are noise-free; real cons/mark samples vary by ~+-20% from
            # cycle to cycle and the max over five sits ~1.3x above their mean (measured with
            # gcpacertrace on the project's service workload: mean ~0.37, used 0.45-0.68).
            current *= CONSMARK_MAX5_NOISE
            cm = current
            for v in self.last_cons_mark:
                cm = max(cm, v)
            self.last_cons_mark = [current] + self.last_cons_mark[:3]
            self.cons_mark = cm

    def _end_cycle_115(self, cyc: Cycle, heap1: int, dur: float) -> None:
        """runtime/mgc.go gcControllerState.endCycle (1.15): the trigger ratio feedback.
        Skipped for user-forced cycles."""
        if cyc.forced:
            return
        hm = max(self.heap_marked, 1)
        goal_growth = (self.next_gc - hm) / hm  # gcEffectiveGrowthRatio
        actual_growth = heap1 / hm - 1
        util = GC_BACKGROUND_UTILIZATION + cyc.assist_s / (dur * self.procs)
        err = goal_growth - self.trigger_ratio - util / GC_GOAL_UTILIZATION_115 * (actual_growth - self.trigger_ratio)
        self.trigger_ratio = self.trigger_ratio + TRIGGER_GAIN_115 * err

    def _sweep(self) -> None:
        """runtime/mgcsweep.go: objects not marked are freed; a span with no objects left
        goes back to the page heap (mheap.freeSpan); spans with free slots are reused.
        Live objects are taken to be packed at the front of their run."""
        keep = []
        heap = self.heap
        freed_bytes = 0
        freed_objs = 0
        self.partial = {}
        for r in self.runs:
            dead = r.nalloc - r.nmark
            if dead:
                freed_objs += dead
                freed_bytes += int(dead * r.elem)
                r.nalloc = r.nmark
            r.nmark = 0
            if r.nalloc <= 0:
                heap.free(r.start, r.npages, r.res, self.num_gc)
                self.inuse_pages -= r.npages
                self.nspans_total -= r.nspans
                continue
            need = -(-r.nalloc // r.per)
            if need < r.nspans and not r.pinned:
                fp = (r.nspans - need) * r.sp
                fres = r.res * fp // r.npages
                heap.free(r.start + need * r.sp, fp, fres, self.num_gc)
                r.res -= fres
                self.inuse_pages -= fp
                self.nspans_total -= r.nspans - need
                r.nspans = need
            keep.append(r)
            if not r.large and r.nalloc < r.cap:
                self.partial.setdefault(r.key, []).append(r)
        self.runs = keep
        self.heap_alloc -= freed_bytes
        self.frees += freed_objs
        if self.heap_alloc < 0:
            self.heap_alloc = 0

    def gc(self, forced: bool = True) -> None:
        """runtime.GC: finish a running cycle, run a full forced one, and wait for it (and its
        sweep) to complete."""
        self._process_drops()
        if self.cycle is not None:
            self.advance(self._mark_remaining_s() + 1e-9)
        self._start_gc("forced")
        self.advance(self._mark_remaining_s() + 1e-9)
        if self.cycle is not None:
            self._finish_gc()

    def free_os_memory(self) -> None:
        """runtime/debug.FreeOSMemory (runtime_debug_freeOSMemory): GC(), then
        mheap_.scavengeAll(): release every free page whatever the goals."""
        self.gc()
        before = self.heap_released
        self._scavenge(self.heap.unscavenged_free() * PAGE, eager=False)
        self._event("free_os_memory", float(self.heap_released - before), "debug.FreeOSMemory")
        self._scav_line(forced=True)
        self._sample(force=True)

    def set_gc_percent(self, pct: int | None) -> int:
        """runtime/debug.SetGCPercent: returns the old value; recomputes the goal at once."""
        old = self._set_gc_percent_raw(-1 if pct is None else pct)
        if self.p.pacer == "1.15":
            self._commit_115(sweep_done=True)
        else:
            self._commit(sweep_done=self.cycle is None)
        self._pace_scavenger()
        self._event("set_gc_percent", float(self.gcpercent), f"debug.SetGCPercent({self.gcpercent})")
        self._sample(force=True)
        return old

    def set_memory_limit(self, limit: int) -> int:
        """runtime/debug.SetMemoryLimit (1.19+): returns the old limit; n < 0 only queries."""
        old = self.memory_limit
        if not self.p.memory_limit:
            raise AttributeError(f"debug.SetMemoryLimit does not exist in Go {self.p.version} (added in Go 1.19)")
        if limit >= 0:
            self.memory_limit = min(int(limit), MAXINT64)
            self._commit(sweep_done=self.cycle is None)
            self._pace_scavenger()
            self._event("set_memory_limit", float(self.memory_limit), f"debug.SetMemoryLimit({self.memory_limit})")
            self._sample(force=True)
        return old

    # ------------------------------------------------------------------------------------
    # outputs
    def _scav_line(self, forced: bool) -> None:
        bg, eager = self.scav_bg_since, self.scav_eager_since
        self.scav_bg_since = self.scav_eager_since = 0
        retained = self.heap_sys - self.heap_released
        util = self.heap_inuse * 100 // retained if retained else 0
        self.records.append({"kind": "scav", "t_s": self.now, "released_bytes": bg + eager,
                             "released_bg_bytes": bg, "released_eager_bytes": eager,
                             "heap_released_bytes": self.heap_released, "util_percent": float(util),
                             "forced": forced})
        if self.scavtrace:
            v = self.p.version
            rel = self.heap_released >> 10
            tail = " (forced)" if forced else ""
            if v == "1.15":
                line = f"scav {self.num_gc} {(bg + eager) >> 10} KiB work, {rel} KiB total, {util}% util{tail}"
            elif v == "1.19":
                line = f"scav {(bg + eager) >> 10} KiB work, {rel} KiB total, {util}% util{tail}"
            else:
                line = f"scav {bg >> 10} KiB work (bg), {eager >> 10} KiB work (eager), {rel} KiB now, {util}% util{tail}"
            self.out.append(("stderr", line + "\n"))

    def _event(self, name: str, value: float, text: str) -> None:
        self.records.append({"kind": "event", "t_s": self.now, "name": name, "value": value, "text": text})

    def mem_stats(self) -> dict[str, Any]:
        """runtime.ReadMemStats (runtime/mstats.go readmemstats_m), Go's field names."""
        self._process_drops()
        mspan, mcache, buck, gcsys, other = self._nonheap_sys()
        heap_sys = self.heap_sys
        next_gc = self.heap_goal()
        elapsed = max(self.now, 1e-9)
        frac = self.gc_cpu_s / (elapsed * self.procs)
        nspans = self.nspans_total
        return {
            "Alloc": self.heap_alloc, "TotalAlloc": self.total_alloc,
            "Sys": heap_sys + self.stack_inuse + mspan + mcache + buck + gcsys + other,
            "Lookups": 0, "Mallocs": self.mallocs, "Frees": self.frees,
            "HeapAlloc": self.heap_alloc, "HeapSys": heap_sys, "HeapIdle": self.heap_idle,
            "HeapInuse": self.heap_inuse, "HeapReleased": self.heap_released,
            "HeapObjects": self.mallocs - self.frees,
            "StackInuse": self.stack_inuse, "StackSys": self.stack_inuse,
            "MSpanInuse": min(mspan, (nspans + 64) * MSPAN_BYTES), "MSpanSys": mspan,
            "MCacheInuse": 1200 * self.procs, "MCacheSys": mcache, "BuckHashSys": buck,
            "GCSys": gcsys, "OtherSys": other, "NextGC": min(next_gc, U64MAX),
            "LastGC": self.last_gc_unix_ns, "PauseTotalNs": self.pause_total_ns,
            "NumGC": self.num_gc, "NumForcedGC": self.num_forced_gc, "GCCPUFraction": frac,
            "EnableGC": True, "DebugGC": False,
        }

    def _sample(self, force: bool = False) -> None:
        """A memstats + rss record for the Timeline (at every change worth seeing, and every
        ``sample_interval_s``)."""
        if self.sample_interval_s > 0:
            while self.next_sample_s <= self.now + 1e-12:
                self.next_sample_s += self.sample_interval_s
        else:
            self.next_sample_s = INF
        key = (self.heap_alloc, self.heap.mapped, self.heap.free_pages, self.heap.released_pages, self.num_gc,
               self.stack_pages)
        if not force and key == self.last_sample_key and not (self._fault_from_s < self.now < self._fault_until_s):
            return
        self.last_sample_key = key
        m = self.mem_stats()
        self.records.append({
            "kind": "memstats", "t_s": self.now, "heap_sys_bytes": m["HeapSys"], "heap_alloc_bytes": m["HeapAlloc"],
            "heap_idle_bytes": m["HeapIdle"], "heap_released_bytes": m["HeapReleased"],
            "heap_inuse_bytes": m["HeapInuse"], "heap_objects": m["HeapObjects"], "sys_bytes": m["Sys"],
            "total_alloc_bytes": m["TotalAlloc"], "next_gc_bytes": m["NextGC"], "num_gc": m["NumGC"],
            "num_forced_gc": m["NumForcedGC"], "stack_inuse_bytes": m["StackInuse"],
            "stack_sys_bytes": m["StackSys"], "mspan_sys_bytes": m["MSpanSys"], "mcache_sys_bytes": m["MCacheSys"],
            "gc_sys_bytes": m["GCSys"], "other_sys_bytes": m["OtherSys"], "buck_hash_sys_bytes": m["BuckHashSys"],
            "mallocs": m["Mallocs"], "frees": m["Frees"], "pause_total_ns": m["PauseTotalNs"],
            "gc_cpu_fraction": m["GCCPUFraction"], "heap_live_bytes": self.heap_live,
            "heap_goal_bytes": min(self.heap_goal(), U64MAX), "trigger_bytes": min(self.trigger(), U64MAX),
            "memory_limit_goal_bytes": min(self.memory_limit_heap_goal(), U64MAX),
            "heap_marked_bytes": self.heap_marked,
        })
        rss = self.rss()
        self.peak_rss = max(self.peak_rss, rss)
        self.records.append({"kind": "rss", "t_s": self.now, "rss_bytes": rss, "hwm_bytes": self.peak_rss})

    def finish(self) -> None:
        self._process_drops()
        if self.cycle is not None:
            self.advance(self._mark_remaining_s() + 1e-9)
        self._sample(force=True)
        self._event("exit", 0.0, "exit status 0")


def _int(s: str) -> int:
    try:
        return int(str(s).strip())
    except ValueError:
        return 0


def _itoa_div(val: int, dec: int) -> str:
    """runtime/mgc.go itoaDiv: val / 10^dec with ``dec`` decimals."""
    s = str(val)
    if dec == 0:
        return s
    s = s.rjust(dec + 1, "0")
    return s[:-dec] + "." + s[-dec:]


def fmt_ns_as_ms(ns: int) -> str:
    """runtime/mgc.go fmtNSAsMS: whole ms at or above 10 ms, else two significant digits."""
    if ns >= 10_000_000:
        return _itoa_div(ns // 1_000_000, 0)
    x = ns // 1000
    if x == 0:
        return "0"
    dec = 3
    while x >= 100:
        x //= 10
        dec -= 1
    return _itoa_div(x, dec)


def _gctrace_line(p: Profile, num: int, start_s: float, pct: int, clock, cpu, heap0: int, heap1: int,
                  heap2: int, goal: int, stacks: int, globals_: int, procs: int, forced: bool) -> str:
    """runtime/mgc.go gcMarkTermination's gctrace print, in each version's format."""
    at = _itoa_div(int(start_s * 1e9) // 1_000_000, 3)
    clk = "+".join(fmt_ns_as_ms(int(round(c * 1e9))) for c in clock)
    c = [fmt_ns_as_ms(int(round(x * 1e9))) for x in cpu]
    cpu_s = f"{c[0]}+{c[1]}/{c[2]}/{c[3]}+{c[4]}"
    goal = min(goal, U64MAX)
    line = (f"gc {num} @{at}s {pct}%: {clk} ms clock, {cpu_s} ms cpu, "
            f"{heap0 >> 20}->{heap1 >> 20}->{heap2 >> 20} MB, {goal >> 20} MB goal, ")
    if p.gctrace_stacks_globals:
        line += f"{stacks >> 20} MB stacks, {globals_ >> 20} MB globals, "
    line += f"{procs} P"
    if forced:
        line += " (forced)"
    return line + "\n"
