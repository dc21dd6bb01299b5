"""Must show 5: property tests (hypothesis). Random programs on random versions and settings;
the heap's invariants hold at every recorded step, the goal is monotone in GOGC, and the goal
never exceeds the memory-limit goal when a limit is set."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gomem.model import RuntimeConfig, profile_for, simulate
from gomem.model.runtime import DEFAULT_HEAP_MINIMUM, U64MAX, Runtime

KiB, MiB = 1 << 10, 1 << 20

size = st.one_of(st.integers(1, 32 * KiB), st.integers(32 * KiB + 1, 8 * MiB))
op = st.one_of(
    st.tuples(st.just("make"), size, st.integers(1, 50), st.booleans()),
    st.tuples(st.just("live"), st.integers(1, 64 * MiB), st.integers(8, 64 * KiB), st.booleans()),
    st.tuples(st.just("drop"), st.integers(0, 7)),
    st.tuples(st.just("churn"), st.integers(1 * MiB, 400 * MiB), st.integers(8, 256 * KiB),
              st.floats(0.001, 0.5)),
    st.tuples(st.just("sleep"), st.floats(0.0, 200.0)),
    st.tuples(st.just("gc")),
    st.tuples(st.just("free")),
    st.tuples(st.just("gogc"), st.one_of(st.none(), st.integers(0, 400))),
    st.tuples(st.just("limit"), st.integers(32 * MiB, 1024 * MiB)),
)


def program_of(ops):
    def main(go):
        held = []
        for o in ops:
            k = o[0]
            if k == "make":
                held.append(go.make(o[1], pointers=o[3], count=o[2]))
            elif k == "live":
                held.append(go.build_live(o[1], o[2], pointers=o[3]))
            elif k == "drop" and held:
                held.pop(o[1] % len(held))
            elif k == "churn":
                go.churn(o[1], o[2], o[3])
            elif k == "sleep":
                go.sleep(o[1])
            elif k == "gc":
                go.gc()
            elif k == "free":
                go.free_os_memory()
            elif k == "gogc":
                go.set_gc_percent(o[1])
            elif k == "limit" and go.version != "1.15":
                go.set_memory_limit(o[1])
            m = go.read_mem_stats()
            assert m.HeapSys == m.HeapInuse + m.HeapIdle
            assert 0 <= m.HeapReleased <= m.HeapIdle
            assert m.HeapAlloc <= m.HeapInuse
    return main


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=1, max_size=12), version=st.sampled_from(["1.15", "1.19", "1.21", "1.27"]),
       gogc=st.one_of(st.none(), st.integers(10, 300)), procs=st.integers(1, 8))
def test_heap_invariants_at_every_step(ops, version, gogc, procs):
    res = simulate(program_of(ops), RuntimeConfig(go=version, gogc=gogc, gomaxprocs=procs, sample_interval_s=0.5))
    ms = res.timeline["memstats"]
    assert len(ms) > 0
    sys_, inuse, idle, rel = (ms["heap_sys_bytes"], ms["heap_inuse_bytes"], ms["heap_idle_bytes"],
                              ms["heap_released_bytes"])
    assert (sys_ == inuse + idle).all()
    assert (rel <= idle).all() and (rel >= 0).all()
    assert (ms["heap_alloc_bytes"] <= inuse).all()
    assert (sys_[1:] >= sys_[:-1]).all()  # the heap never unmaps
    # NumGC counts up; the gc records are numbered 1..NumGC
    assert list(res.timeline["gc"]["num"]) == list(range(1, res.summary["num_gc"] + 1))
    assert res.mem_stats["NumForcedGC"] <= res.mem_stats["NumGC"]


@settings(max_examples=60, deadline=None)
@given(marked=st.integers(0, 8 << 30), stacks=st.integers(0, 64 * MiB), globals_=st.integers(0, 4 * MiB),
       g1=st.integers(0, 1000), g2=st.integers(0, 1000), version=st.sampled_from(["1.15", "1.19", "1.21", "1.27"]))
def test_goal_monotone_in_gogc(marked, stacks, globals_, g1, g2, version):
    lo, hi = sorted((g1, g2))
    goals = []
    for g in (lo, hi, -1):
        rt = Runtime(profile_for(version), g, None, 2, {})
        rt.heap_marked = marked
        rt.heap_live = marked
        rt.stack_scan = stacks
        rt.last_stack_scan = stacks  # the goal uses the last cycle's scanned stacks (lastStackScan)
        rt.globals_scan = globals_
        rt.set_gc_percent(g)
        goals.append(rt.heap_goal())
    assert goals[0] <= goals[1] <= goals[2]
    if version != "1.15":
        # Go 1.18+: goal = max(H_m + (H_m + S + G) * GOGC/100, 4 MiB * GOGC/100)
        assert goals[1] >= max(marked + (marked + stacks + globals_) * hi // 100, DEFAULT_HEAP_MINIMUM * hi // 100)
    assert goals[2] >= (U64MAX if version == "1.15" else 8 * 10**18)  # GOGC=off: no goal


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(live=st.integers(8 * MiB, 200 * MiB), limit_extra=st.integers(16 * MiB, 400 * MiB),
       gogc=st.one_of(st.none(), st.integers(50, 400)), version=st.sampled_from(["1.19", "1.21", "1.27"]),
       size=st.sampled_from([64, 1024, 4096, 64 * KiB]))
def test_goal_never_above_the_limit_goal(live, limit_extra, gogc, version, size):
    # reachable: the live objects, their [][]byte, the runtime's overheads (up to 1.19's
    # 2 MiB heap bitmap per 64 MiB arena) fit below it with room to spare
    limit = int(1.1 * (live + live // size * 24)) + limit_extra + 32 * MiB

    def main(go):
        go.globals.live = go.build_live(live, size)
        go.churn(300 * MiB, 2048, 1.0)

    res = simulate(main, RuntimeConfig(go=version, gogc=gogc, memory_limit_bytes=limit, sample_interval_s=0.02))
    ms = res.timeline["memstats"]
    assert (ms["heap_goal_bytes"] <= ms["memory_limit_goal_bytes"]).all()
    assert (ms["memory_limit_goal_bytes"] <= limit).all()
    # and what the runtime holds stays near the limit: it is soft (marking takes time while
    # the program allocates), but reachable, so the GC brings it back
    held = ms["sys_bytes"] - ms["heap_released_bytes"]
    assert held.max() <= limit * 1.10
    assert held[-1] <= limit * 1.02
