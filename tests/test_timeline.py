import math

import numpy as np
from hypothesis import given, strategies as st

from gomem.timeline import INT_MAX, INT_NA, Timeline, TimelineBuilder


def sample_records():
    return [
        {"kind": "gc", "num": 1, "t_s": 0.024, "process": 0, "heap_start_bytes": 1 << 30,
         "heap_goal_bytes": 1025 << 20, "stacks_bytes": None, "forced": False, "gc_cpu_percent": 0.0},
        {"kind": "gc", "num": 2, "t_s": 1.049, "process": 0, "heap_start_bytes": 2 << 30,
         "heap_goal_bytes": 2**64 - 1, "stacks_bytes": 0, "forced": True, "gc_cpu_percent": 1.5},
        {"kind": "memstats", "seq": 3, "heap_sys_bytes": 1087 << 20, "idel": "x"},
        {"kind": "event", "t_s": 2.0, "name": "exit", "value": 0.0, "text": None},
    ]


def test_columns_and_missing_values():
    tl = Timeline.from_records(sample_records(), {"source": "test"})
    gc = tl["gc"]
    assert len(gc) == 2
    assert gc["stacks_bytes"][0] == INT_NA and gc["stacks_bytes"][1] == 0
    assert list(gc.valid("stacks_bytes")) == [False, True]
    assert gc["heap_goal_bytes"][1] == INT_MAX  # 2^64-1 clamps to "no goal"
    assert gc["forced"].dtype == bool
    # a known column the source lacks reads as all missing
    assert not tl["memstats"].valid("heap_alloc_bytes").any()
    assert math.isnan(tl["memstats"]["t_s"][0])
    # an unknown key becomes an extra column
    assert tl["memstats"]["idel"][0] == "x"
    # a kind with no records is an empty table
    assert len(tl["rss"]) == 0 and "rss" not in tl


def test_records_round_trip_through_columns():
    tl = Timeline.from_records(sample_records())
    recs = list(tl.records(["gc"]))
    assert recs[0]["stacks_bytes"] is None
    assert recs[1]["forced"] is True
    assert recs[0]["heap_goal_bytes"] == 1025 << 20


def test_save_load_is_lossless(tmp_path):
    tl = Timeline.from_records(sample_records(), {"source": "test", "settings": {"gogc": None}})
    back = Timeline.load(tl.save(tmp_path / "t.npz"))
    assert back == tl
    assert back.meta == {"source": "test", "settings": {"gogc": None}}


def test_merge_sorts_on_one_time_axis():
    a = Timeline.from_records([{"kind": "rss", "t_s": 0.0, "rss_bytes": 1}, {"kind": "rss", "t_s": 2.0, "rss_bytes": 3}])
    b = Timeline.from_records([{"kind": "rss", "t_s": 0.5, "rss_bytes": 2}])
    m = a.merge(b, offset_s=0.5)
    assert list(m["rss"]["rss_bytes"]) == [1, 2, 3]
    assert list(m["rss"]["t_s"]) == [0.0, 1.0, 2.0]


def test_select_process():
    tl = Timeline.from_records([{"kind": "gc", "num": 1, "process": p} for p in (0, 0, 1)])
    assert len(tl.select(1)["gc"]) == 1


@given(st.lists(st.fixed_dictionaries({
    "kind": st.sampled_from(["gc", "memstats", "rss"]),
    "t_s": st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    "heap_live_bytes": st.one_of(st.none(), st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1)),
    "label": st.one_of(st.none(), st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=8)),
}), max_size=30))
def test_property_save_load_round_trip(tmp_path_factory, records):
    tl = Timeline.from_records(records, {"n": len(records)})
    back = Timeline.load(tl.save(tmp_path_factory.mktemp("tl") / "x.npz"))
    assert back == tl
    assert list(back.records()) == list(tl.records())


def test_builder_rejects_kindless_record():
    b = TimelineBuilder()
    try:
        b.add({"t_s": 1})
    except ValueError as e:
        assert "kind" in str(e)
    else:
        raise AssertionError("no error")
