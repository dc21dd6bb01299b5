"""gomem.analysis: the leak test, the peak breakdown and the verdicts, on Timelines built from
records (synthetic shapes) and on the seed's real gctrace."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from gomem.analysis import explain, live_trend
from gomem.timeline import Timeline
from gomem.traces.gctrace import GctraceParser
from gomem.units import MiB


def gc_rec(num, t, h0, h1, live, goal, stacks=0, globals_=0, process=0, cpu_ms=0.5):
    return {"kind": "gc", "num": num, "t_s": t, "process": process, "gc_cpu_percent": 1.0,
            "clock_sweep_term_ms": 0.02, "clock_mark_ms": 1.0, "clock_mark_term_ms": 0.02,
            "cpu_sweep_term_ms": 0.04, "cpu_assist_ms": 0.0, "cpu_background_ms": cpu_ms, "cpu_idle_ms": 0.0,
            "cpu_mark_term_ms": 0.04, "heap_start_bytes": int(h0), "heap_end_bytes": int(h1),
            "heap_live_bytes": int(live), "heap_goal_bytes": int(goal), "stacks_bytes": int(stacks),
            "globals_bytes": int(globals_), "procs": 2, "forced": False}


def ms_rec(t, heap_sys, heap_inuse, heap_released, sys, heap_alloc=None, num_gc=1, stack_inuse=0):
    return {"kind": "memstats", "t_s": t, "process": 0, "heap_sys_bytes": int(heap_sys),
            "heap_inuse_bytes": int(heap_inuse), "heap_idle_bytes": int(heap_sys - heap_inuse),
            "heap_released_bytes": int(heap_released), "sys_bytes": int(sys),
            "heap_alloc_bytes": int(heap_alloc if heap_alloc is not None else heap_inuse), "num_gc": num_gc,
            "stack_inuse_bytes": int(stack_inuse)}


def paced_cycles(lives, dt=1.0, gogc=100, stacks=0):
    """gctrace records of a GOGC-paced heap whose live heap follows ``lives`` (bytes)."""
    recs, prev = [], lives[0]
    for i, live in enumerate(lives):
        goal = prev + prev * gogc / 100
        recs.append(gc_rec(i + 1, 0.5 + i * dt, goal - 4 * MiB, goal, live, goal, stacks=stacks))
        prev = live
    return recs


def seed_timeline(shared_dir) -> Timeline:
    p = GctraceParser()
    recs = []
    for i, line in enumerate((shared_dir / "reference" / "seed.txt").read_text().splitlines(), 1):
        recs += p.feed(line, i)
    recs += p.finish()
    return Timeline.from_records(recs)


def test_seed_is_not_a_leak_and_says_why(shared_dir):
    e = explain(seed_timeline(shared_dir))
    assert e.verdict == "gc_headroom"
    assert not e.trend.is_leak
    text = e.text
    assert "not a memory leak" in text
    assert "live heap after GC stays at 2048 MB" in text
    assert "GOGC=100" in text and "4096 MB" in text and "4097 MB" in text
    # four processes in the log (the go tool's GCs first): the program's is the fourth
    assert "4 processes" in text and "process 4" in text
    assert e.figures["process"] == 3
    assert e.peak["live_heap_bytes"] == 2048 * MiB
    assert e.peak["gc_headroom_bytes"] == 2048 * MiB
    # the seed's own lever: drop the old reference before reallocating halves the peak
    drop = [lv for lv in e.levers if lv.name == "drop_reference"]
    assert drop and drop[0].peak_bytes == pytest.approx(2048 * MiB, rel=0.01)
    assert e.figures["replacement"]["object_bytes"] == 1024 * MiB
    gogc50 = [lv for lv in e.levers if lv.setting == "GOGC=50"][0]
    assert gogc50.peak_bytes == pytest.approx(3072 * MiB, rel=0.01)
    lim = [lv for lv in e.levers if lv.name == "memory_limit"][0]
    assert lim.setting == "GOMEMLIMIT=3GiB"
    d = json.loads(json.dumps(e.to_dict()))
    assert d["verdict"] == "gc_headroom" and d["peak"]["live_heap_bytes"] == 2048 * MiB


def test_growing_live_heap_is_a_leak_with_its_rate():
    rng = np.random.default_rng(1)
    t = np.arange(30) * 0.5
    lives = 100 * MiB + 10 * MiB * t + rng.normal(0, 2 * MiB, len(t))
    recs = paced_cycles(list(lives), dt=0.5)
    e = explain(Timeline.from_records(recs))
    assert e.verdict == "leak"
    assert e.trend.is_leak and e.trend.confidence > 0.99
    assert e.trend.rate_bytes_per_s == pytest.approx(10 * MiB, rel=0.15)
    assert e.trend.rate_bytes_per_cycle == pytest.approx(5 * MiB, rel=0.15)
    assert "memory leak" in e.text and "MiB/s" in e.text
    assert any(lv.name == "fix_leak" for lv in e.levers)


def test_noisy_flat_and_sawtooth_live_heaps_are_not_leaks():
    rng = np.random.default_rng(2)
    flat = 300 * MiB + rng.normal(0, 8 * MiB, 40)
    assert not live_trend(np.arange(40.0), flat).is_leak
    saw = np.tile([50, 200, 400, 600], 8) * MiB
    tr = live_trend(np.arange(len(saw), dtype=float), saw.astype(float))
    assert not tr.is_leak
    # a short run cannot show a trend
    assert not live_trend(np.arange(3.0), np.array([1, 2, 3]) * 100.0 * MiB).is_leak


def test_warmup_is_excluded_from_the_leak_test():
    # the program builds 500 MiB of state in the first cycles, then holds it
    lives = [20, 120, 250, 400, 500] + [500] * 20
    tr = live_trend(np.arange(len(lives), dtype=float), np.array(lives, dtype=float) * MiB)
    assert not tr.is_leak
    assert tr.warmup_cycles >= 4


def test_idle_but_held_memory_after_a_spike():
    # a spike to 1 GiB in use, then back to 100 MiB; the pages stay held (not scavenged)
    recs = paced_cycles([100 * MiB] * 8)
    for i in range(40):
        t = i * 0.25
        inuse = 1024 * MiB if 3 <= t < 4 else 100 * MiB
        recs.append(ms_rec(t, 1100 * MiB, inuse, 20 * MiB, 1130 * MiB))
    # the peak held appears long after the spike ended
    recs.append(ms_rec(12.0, 1300 * MiB, 100 * MiB, 20 * MiB, 1330 * MiB))
    e = explain(Timeline.from_records(recs))
    assert e.verdict == "idle_held"
    p = e.peak
    assert p["total_bytes"] == 1310 * MiB
    assert p["idle_held_bytes"] > 1000 * MiB
    parts = p["live_heap_bytes"] + p["gc_headroom_bytes"] + p["idle_held_bytes"] + p["non_heap_bytes"]
    assert parts == pytest.approx(p["total_bytes"])
    assert any(lv.name == "free_os_memory" for lv in e.levers)


def test_released_memory_still_in_rss_under_madv_free():
    recs = paced_cycles([100 * MiB] * 8)
    for i in range(20):
        t = i * 0.5
        recs.append(ms_rec(t, 1100 * MiB, 200 * MiB, 880 * MiB, 1130 * MiB))
        recs.append({"kind": "rss", "t_s": t, "process": 0, "rss_bytes": 1100 * MiB})
    e = explain(Timeline.from_records(recs, meta={"go_version": "1.15", "settings": {"gogc": 100}}))
    assert e.verdict == "released_in_rss"
    assert e.peak["released_in_rss_bytes"] == pytest.approx(1100 * MiB - 250 * MiB)
    assert any(lv.name == "madvdontneed" for lv in e.levers)
    # with MADV_DONTNEED the same excess is not released memory: it is RSS the runtime does not explain
    e2 = explain(Timeline.from_records(recs, meta={"go_version": "1.27", "settings": {"gogc": 100}}))
    assert e2.verdict == "non_heap" and e2.peak["released_in_rss_bytes"] == 0


def test_goroutine_stacks_make_a_non_heap_peak():
    recs = paced_cycles([40 * MiB] * 10, stacks=300 * MiB)
    for i in range(20):
        recs.append(ms_rec(i * 0.5, 90 * MiB, 80 * MiB, 10 * MiB, 90 * MiB + 420 * MiB, stack_inuse=400 * MiB))
    e = explain(Timeline.from_records(recs))
    assert e.verdict == "non_heap"
    assert e.peak["stacks_bytes"] == 400 * MiB
    assert "stacks 400 MB" in e.text


def test_a_peak_of_live_data_is_steady():
    recs = paced_cycles([500 * MiB] * 10, gogc=10)
    for i in range(20):
        recs.append(ms_rec(i * 0.5, 560 * MiB, 545 * MiB, 10 * MiB, 570 * MiB))
    e = explain(Timeline.from_records(recs))
    assert e.verdict == "steady"
    assert e.figures["settings"]["gogc"] == 10


def test_memory_limit_seen_in_the_goals():
    # GOGC=100, but the goal is held near 2.9 GiB: gctrace alone shows a memory limit at work
    recs = [gc_rec(1, 0.0, 1024 * MiB, 1024 * MiB, 1024 * MiB, 1024 * MiB),
            gc_rec(2, 1.0, 2048 * MiB, 2048 * MiB, 2048 * MiB, 2048 * MiB)]
    recs += [gc_rec(3 + i, 2.0 + i, 3072 * MiB, 3072 * MiB, 2048 * MiB, 2964 * MiB) for i in range(6)]
    e = explain(Timeline.from_records(recs))
    assert e.figures["settings"]["gogc"] == 100
    assert "memory limit" in e.text and "2964 MB" in e.text


def test_empty_timeline_gives_an_answer_not_a_crash():
    e = explain(Timeline())
    assert e.verdict == "steady"
    assert math.isnan(e.peak["total_bytes"])


# -- real runs (the project's corpus, Go 1.27) ---------------------------------------------

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "go1.27"


def corpus_run(workload: str) -> Timeline:
    from gomem.traces import read

    return read([str(CORPUS / workload / "base")])


def test_real_growing_live_heap_is_a_leak():
    e = explain(corpus_run("grow"))  # live grows 60 MiB/s to 360 MiB over 6 s
    assert e.verdict == "leak"
    assert 30 * MiB < e.trend.rate_bytes_per_s < 90 * MiB
    assert not any(lv.name == "gogc_off_memory_limit" for lv in e.levers)


def test_real_goroutine_stacks_are_non_heap_and_enter_the_goal():
    e = explain(corpus_run("goroutines"))  # 20k goroutines, 16 KiB stacks
    assert e.verdict == "non_heap"
    assert e.peak["stacks_bytes"] > 250 * MiB
    assert "goal counts the roots too" in e.text


def test_real_seed_and_its_fix():
    e = explain(corpus_run("seed"))  # a = make(256 MiB) with the old slice still referenced
    assert e.verdict == "gc_headroom"
    drop = [lv for lv in e.levers if lv.name == "drop_reference"]
    assert drop and e.figures["replacement"]["object_bytes"] == 256 * MiB
    assert drop[0].peak_bytes == pytest.approx(e.peak["total_bytes"] / 2, rel=0.05)
    fixed = explain(corpus_run("seedfix"))  # a = nil first: nothing to drop
    assert not any(lv.name == "drop_reference" for lv in fixed.levers)
    assert fixed.peak["total_bytes"] == pytest.approx(e.peak["total_bytes"] / 2, rel=0.05)


# -- properties -------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gomem.analysis import VERDICTS  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 2000), st.integers(0, 2000), st.integers(0, 500), st.integers(0, 300)),
                min_size=1, max_size=30),
       st.lists(st.integers(1, 3000), min_size=0, max_size=20), st.booleans(), st.integers(0, 800),
       st.sampled_from(["1.15", "1.27"]))
def test_any_recording_gets_a_verdict_whose_parts_add_up(samples, lives, with_rss, extra_rss, go_version):
    recs = paced_cycles([v * MiB for v in lives]) if lives else []
    for i, (inuse, idle, released, other) in enumerate(samples):
        heap_sys = (inuse + idle) * MiB
        rel = min(released, idle) * MiB  # HeapReleased is part of HeapIdle
        recs.append(ms_rec(i * 0.1, heap_sys, inuse * MiB, rel, heap_sys + other * MiB))
        if with_rss:
            recs.append({"kind": "rss", "t_s": i * 0.1, "process": 0,
                         "rss_bytes": (inuse + other + extra_rss * (i % 2)) * MiB})
    e = explain(Timeline.from_records(recs, meta={"go_version": go_version}))
    assert e.verdict in VERDICTS
    p = e.peak
    parts = (p["live_heap_bytes"] + p["gc_headroom_bytes"] + p["idle_held_bytes"] + p["released_in_rss_bytes"]
             + p["non_heap_bytes"])
    assert parts == pytest.approx(p["total_bytes"], rel=1e-9, abs=1.0)
    assert min(p["live_heap_bytes"], p["gc_headroom_bytes"], p["idle_held_bytes"], p["non_heap_bytes"]) >= 0
    json.dumps(e.to_dict())


def test_a_run_long_after_a_last_cycle_that_marked_a_spike_is_flagged():
    # 30 MiB live for eight cycles, a last cycle marking a 600 MiB spike at 4.5 s, then 5 s of
    # samples with no cycle: whether the spike was kept is not in the recording
    recs = paced_cycles([30 * MiB] * 8, dt=0.5)
    recs.append(gc_rec(9, 4.5, 60 * MiB, 640 * MiB, 630 * MiB, 61 * MiB))
    for i in range(20):
        t = 4.6 + i * 0.25
        recs.append(ms_rec(t, 1300 * MiB, 700 * MiB + i * 20 * MiB, 0, 1320 * MiB, num_gc=9))
    e = explain(Timeline.from_records(recs))
    tail = e.to_dict()["unobserved_tail"]
    assert tail["last_gc_s"] == 4.5 and tail["live_bytes"] == 630 * MiB
    assert tail["typical_live_bytes"] == 30 * MiB and tail["end_s"] == pytest.approx(9.35)
    assert "whether the program still held that memory at the peak is not in the recording" in e.text
    # the same run with a cycle near its end that marked the spike again: nothing to flag
    recs.append(gc_rec(10, 9.3, 1290 * MiB, 1290 * MiB, 630 * MiB, 1260 * MiB))
    e = explain(Timeline.from_records(recs))
    assert e.to_dict()["unobserved_tail"] is None and "not in the recording" not in e.text
