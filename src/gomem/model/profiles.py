"""Version profiles: what differs between the Go runtimes the model claims.

Every switch names the Go source behind it. Versions 1.15..1.27 are accepted; a version without
its own profile maps to the nearest one at or below it (1.16-1.18 -> 1.15 or 1.19 by the
feature that matters most, see ``profile_for``), and the result says so in ``note``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .sizeclasses import SIZECLASSES_115, SIZECLASSES_119, SizeClasses

MiB = 1 << 20
KiB = 1 << 10


@dataclass(frozen=True)
class Profile:
    version: str  # the profile's own version, e.g. "1.27"
    requested: str  # what the user asked for
    note: str  # "" or why another profile was used
    #: "1.15": the h_t trigger-ratio controller (runtime/mgc.go gcSetTriggerRatio, endCycle);
    #: "1.18": the redesigned pacer (runtime/mgcpacer.go commit/heapGoalInternal/trigger)
    pacer: str
    #: cons/mark estimator: "pi" (1.18-1.20 piController kp=0.9 ti=4 tt=1000) or
    #: "max5" (1.21+: max of current and 4 last, mgcpacer.go endCycle)
    consmark: str
    #: 1.19 startCycle sets c.triggered = the trigger; 1.21+ sets it to heapLive
    triggered_is_live: bool
    #: Go 1.15 growth (whole 64 MiB arenas into HeapSys) vs 1.17+ (4 MiB chunks)
    arena_steps: bool
    memory_limit: bool  # GOMEMLIMIT / debug.SetMemoryLimit exist (1.19+)
    #: memoryLimitHeapGoal headroom: 1.19 "1MiB"; 1.21+ "3pct" (max(goal*3/100, 1 MiB))
    limit_headroom: str
    #: 1.19-1.21 gcPaceScavenger computes L*(100-5) instead of L*(1-5/100) (golang/go#62449)
    scav_limit_bug: bool
    #: 1.21+ scavenger index: the background scavenger skips chunks that were dense
    #: (>= 96.875% in use) in the current or previous GC cycle (mgcscavenge.go)
    scav_density: bool
    madvdontneed_default: bool  # runtime1.go parsedebugvars: 1 on Linux since 1.16
    #: background scavenger budget: fraction of *total* GOMAXPROCS CPU (1.17+) or of one CPU
    scav_whole_procs: bool
    #: gctrace "stacks" field: 1.19 prints maxStackScan (allocated), 1.21+ lastStackScan
    gctrace_stacks_globals: bool
    gctrace_allocated_stacks: bool
    #: Go 1.22+ malloc header: pointerful objects > 512 B carry 8 bytes (mallocgc)
    malloc_header: bool
    #: Go 1.26+ Green Tea GC: 128 B of inline mark bits in spans of 16..512-byte objects
    #: (runtime/mgcmark_greenteagc.go gcUsesSpanInlineMarkBits; mheap.go initSpan)
    inline_mark_bits: bool
    sizeclasses: SizeClasses
    #: non-heap memory (Sys - HeapSys - StackSys): base bytes and bytes per 64 MiB heap arena
    #: (heap bitmap: 2 MiB/arena up to 1.20, 1 MiB + 128 KiB in 1.21, none in 1.22+; heapArena
    #: struct ~75 KiB). Calibrated on the corpus' seed runs (MemStats.Sys).
    nonheap_base_bytes: int
    nonheap_per_arena_bytes: int
    #: 1.19+ GODEBUG adaptivestackstart=1 by default (runtime1.go parsedebugvars): new goroutines
    #: start with the average scanned stack size (stack.go gcComputeStartingStackSize), and an
    #: exiting goroutine whose stack has that size keeps it on the free G list (proc.go gfput)
    #: until the next GC frees it (mgcmark.go markrootFreeGStacks)
    adaptive_stack_start: bool
    stack_init_bytes: int  # StackInuse of a fresh program (corpus: 256 KiB 1.19, 288 KiB 1.21+)
    globals_bytes: int  # scannable .data+.bss of a small program (globalsScan)


_BASE = dict(
    requested="", note="", pacer="1.18", consmark="max5", triggered_is_live=True, arena_steps=False,
    memory_limit=True, limit_headroom="3pct", scav_limit_bug=False, scav_density=True, madvdontneed_default=True,
    scav_whole_procs=True, gctrace_stacks_globals=True, gctrace_allocated_stacks=False, malloc_header=True,
    inline_mark_bits=True,
    sizeclasses=SIZECLASSES_119, nonheap_base_bytes=3_512_403, nonheap_per_arena_bytes=76_645,
    stack_init_bytes=288 * KiB, globals_bytes=160 * KiB, adaptive_stack_start=True,
)

PROFILES: dict[str, Profile] = {
    "1.15": Profile(version="1.15", **{**_BASE, **dict(
        pacer="1.15", consmark="none", scav_density=False, triggered_is_live=True, arena_steps=True, memory_limit=False,
        limit_headroom="none", madvdontneed_default=False, scav_whole_procs=False,
        gctrace_stacks_globals=False, malloc_header=False, inline_mark_bits=False, sizeclasses=SIZECLASSES_115,
        adaptive_stack_start=False,
        nonheap_base_bytes=6_638_080, nonheap_per_arena_bytes=2_167_312, stack_init_bytes=288 * KiB,
        globals_bytes=160 * KiB)}),
    "1.19": Profile(version="1.19", **{**_BASE, **dict(
        consmark="pi", triggered_is_live=False, scav_density=False, limit_headroom="1MiB", scav_limit_bug=True,
        gctrace_allocated_stacks=True, malloc_header=False, inline_mark_bits=False,
        nonheap_base_bytes=6_638_080, nonheap_per_arena_bytes=2_167_312, stack_init_bytes=256 * KiB)}),
    "1.21": Profile(version="1.21", **{**_BASE, **dict(
        scav_limit_bug=True, malloc_header=False, inline_mark_bits=False,
        nonheap_base_bytes=2_061_312, nonheap_per_arena_bytes=1_140_752)}),
    "1.27": Profile(version="1.27", **_BASE),
}

MIN_MINOR, MAX_MINOR = 15, 27


def parse_version(text: str) -> tuple[int, int]:
    s = str(text).strip().lower().removeprefix("go")
    parts = s.split(".")
    try:
        major, minor = int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        raise ValueError(f"{text!r} is not a Go version: expected e.g. 1.27 or go1.21.13") from None
    return major, minor


def profile_for(version: str) -> Profile:
    """The profile for a Go version ``1.15``..``1.27`` (patch releases allowed). Versions
    without a profile of their own use the nearest one, and say so in ``note``: 1.16 uses
    1.15 (same pacer; note 1.16 switched to MADV_DONTNEED, which is applied), 1.17-1.20 use
    1.19, 1.22-1.26 use 1.27 (the limit-scavenger fix and allocation headers of 1.22)."""
    major, minor = parse_version(version)
    if major != 1 or not (MIN_MINOR <= minor <= MAX_MINOR):
        raise ValueError(f"Go {version} is outside the versions the model knows: 1.{MIN_MINOR} to 1.{MAX_MINOR}")
    key = f"1.{minor}"
    if key in PROFILES:
        return replace(PROFILES[key], requested=str(version))
    if minor == 16:
        p = replace(PROFILES["1.15"], madvdontneed_default=True, sizeclasses=SIZECLASSES_119)
        base = "1.15"
    elif minor <= 20:
        p, base = PROFILES["1.19"], "1.19"
    else:
        # 1.22-1.25: no Green Tea GC by default (it became the default in 1.26)
        p, base = PROFILES["1.27"], "1.27"
        if minor < 26:
            p = replace(p, inline_mark_bits=False)
    return replace(p, requested=str(version), note=f"Go {key} has no profile of its own: modelled as Go {base}")
