"""gomem.traces: every input format, the seed, the shared corpus and the real-world files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gomem.errors import InputError
from gomem.timeline import Timeline
from gomem.traces import iter_records, read
from gomem.traces.gctrace import GctraceParser, parse_gc_line, version_hint

FIX = Path(__file__).resolve().parent / "fixtures" / "traces"
KiB, MiB = 1 << 10, 1 << 20


def recs_of(text: str, **kw) -> list[dict]:
    return list(iter_records(text.splitlines(keepends=True), **kw))


# -- the seed ------------------------------------------------------------------------------------
def test_seed_must_show(shared_dir):
    tl = read(shared_dir / "reference" / "seed.txt")
    gc = tl["gc"]
    assert len(gc) == 19
    assert sorted(set(gc["process"].tolist())) == [0, 1, 2, 3]
    assert [int((gc["process"] == p).sum()) for p in range(4)] == [8, 1, 4, 6]
    split = [r for r in tl["gc"].records() if r["process"] == 3][0]
    assert (split["num"], split["heap_start_bytes"], split["heap_goal_bytes"]) == (1, 1024 * MiB, 1025 * MiB)
    ms = list(tl["memstats"].records())
    # 10 + 10 + 7 + 10 lines of the three earlier runs, 10 interleaved with the gctrace run
    assert len(ms) == 47
    assert all(set(r) >= {"heap_sys_bytes", "heap_alloc_bytes", "heap_idle_bytes", "heap_released_bytes",
                          "heap_inuse_bytes"} for r in ms)
    assert any(r["heap_sys_bytes"] == 4159 * MiB and r["heap_idle_bytes"] == 1087 * MiB for r in ms)
    assert max(r["heap_sys_bytes"] for r in ms) == 6207 * MiB
    # the line that carried the split gctrace's first half is a MemStats record too
    assert ms[37]["heap_sys_bytes"] == 1087 * MiB and ms[37]["seq"] == split["seq"]
    assert len(tl["vmstat"]) == 22
    vm = list(tl["vmstat"].records())
    assert vm[0]["free_bytes"] == 6369 * MiB and vm[10]["swpd_bytes"] == 1323 * MiB and vm[3]["t_s"] == 3.0
    assert [r["name"] for r in tl["event"].records()] == ["signal"]
    assert tl.meta["go_version"] == "1.15" and tl.meta["go_version_hint"] == "1.7-1.17"
    assert tl.meta["unknown_lines"] > 0 and tl.meta["unknown_examples"][0].endswith("降低峰值。")


# -- gctrace of every version ------------------------------------------------------------------
def test_historical_formats():
    recs = recs_of((FIX / "historical.txt").read_text())
    gc = [r for r in recs if r["kind"] == "gc"]
    assert [r["num"] for r in gc] == [7, 1, 2, 3, 4]
    old, g15, g17, g18, g126 = gc
    assert (old["procs"], old["heap_start_bytes"], old["heap_end_bytes"], old["t_s"]) == (4, 6 * MiB, 3 * MiB, None)
    # 1.5-1.6: sweep termination, scan, install write barrier, mark, mark termination
    assert (g15["clock_sweep_term_ms"], g15["clock_scan_ms"], g15["clock_install_wb_ms"], g15["clock_mark_ms"],
            g15["clock_mark_term_ms"]) == (0.11, 1.9, 0.062, 2.4, 0.35)
    assert (g15["cpu_sweep_term_ms"], g15["cpu_scan_ms"], g15["cpu_install_wb_ms"], g15["cpu_assist_ms"],
            g15["cpu_background_ms"], g15["cpu_idle_ms"], g15["cpu_mark_term_ms"]) == (0.44, 1.9, 0, 0.81, 2.2, 0.05, 1.4)
    assert (g15["heap_goal_bytes"], g15["stacks_bytes"], g15["globals_bytes"]) == (4 * MiB, None, None)
    assert g17["forced"] and g17["t_s"] == 1.707 and g17["clock_mark_ms"] == 12 and g17["cpu_idle_ms"] == 45
    assert (g18["stacks_bytes"], g18["globals_bytes"], g18["t_s"]) == (1 * MiB, 2 * MiB, 2.5)
    assert g126["goroutine_leak_check"] and g126["heap_live_bytes"] == 120 * MiB and not g126["forced"]
    assert [r["process"] for r in gc] == [0, 1, 1, 1, 1]
    scav = [r for r in recs if r["kind"] == "scav"]
    assert [r["heap_released_bytes"] for r in scav[:6]] == [4120 * KiB, 5144 * KiB, 6000 * KiB, 9072 * KiB,
                                                           10000 * KiB, 20480 * KiB]
    assert scav[1]["gen"] == 2 and scav[2]["controller_reset"] and scav[3]["forced"] and scav[5]["forced"]
    assert (scav[4]["released_bg_bytes"], scav[4]["released_eager_bytes"], scav[4]["released_bytes"]) == (
        512 * KiB, 256 * KiB, 768 * KiB)
    assert scav[0]["util_percent"] == 91
    scvg = scav[6:]
    assert (scvg[0]["heap_inuse_bytes"], scvg[0]["heap_idle_bytes"], scvg[0]["heap_sys_bytes"],
            scvg[0]["heap_released_bytes"], scvg[0]["consumed_bytes"]) == (12 * MiB, 4 * MiB, 16 * MiB, 2 * MiB, 14 * MiB)
    assert [r.get("released_bytes") for r in scvg[1:4]] == [2 * MiB, 7 * MiB, 8 * KiB]
    assert scvg[2]["forced"] and not scvg[1]["forced"]
    events = [(r["name"], r["text"]) for r in recs if r["kind"] == "event"]
    assert events == [("periodic_gc", "GC forced"), ("fatal", "runtime: out of memory")]


@pytest.mark.parametrize("versions,hint", [
    ({"1.17-1.20", "1.18+"}, "1.18-1.20"), ({"1.18+", "1.21+"}, "1.21+"), ({"1.7-1.17", "<=1.12"}, "1.7-1.12"),
    ({"1.5-1.6"}, "1.5-1.6"), ({"1.5-1.6", "1.18+"}, "1.18+|1.5-1.6"), (set(), None)])
def test_version_hint(versions, hint):
    assert version_hint(versions) == hint


def test_split_line_recovered_wherever_the_other_writer_cut_in():
    full = ("gc 12 @3.096s 0%: 0.023+0.56+0.017 ms clock, 0.18+0.13/0.20/0.17+0.13 ms cpu, "
            "4096->4096->2048 MB, 4097 MB goal, 8 P")
    want = parse_gc_line(full)
    other = "env: gctrace=1, sys: 4159 MB, alloc: 3072 MB, idel: 1087 MB"
    for cut in range(3, len(full) - 3, 7):
        p = GctraceParser()
        assert p.feed("gc 11 @1.0s 0%: 0.1+0.1+0.1 ms clock, 0.1+0.1/0.1/0.1+0.1 ms cpu, 1->1->1 MB, 4 MB goal, 8 P", 1)
        assert p.feed(full[:cut] + other + "\n", 2) == []
        got = p.feed(full[cut:] + "\n", 3)
        assert len(got) == 1, cut
        assert {k: v for k, v in got[0].items() if k not in ("seq", "process")} == \
               {k: v for k, v in want.items() if k not in ("seq", "process")}
        assert got[0]["seq"] == 2 and got[0]["process"] == 0


def test_processes_and_glued_lines():
    text = ("gc 1 @0.001s 1%: 0.1+0.2+0.3 ms clock, 0.1+0.2/0.3/0.4+0.5 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 8 P\n"
            "gc 2 @0.002s 1%: 0.1+0.2+0.3 ms clock, 0.1+0.2/0.3/0.4+0.5 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 8 P\n"
            "BenchmarkX-12    \tgc 1 @0.003s 1%: 0.1+0.2+0.3 ms clock, 0.1+0.2/0.3/0.4+0.5 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 8 P (forced)\n"
            "gc 7 @0.2s 1%: 0.1+0.2+0.3 ms clock, 0.1+0.2/0.3/0.4+0.5 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 8 P\n"
            "gc 3 @0.3s 1%: 0.1+0.2+0.3 ms clock, 0.1+0.2/0.3/0.4+0.5 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 8 P\n")
    gc = recs_of(text)
    assert [(r["num"], r["process"], r["forced"]) for r in gc] == [(1, 0, False), (2, 0, False), (1, 1, True),
                                                                  (7, 1, False), (3, 2, False)]


# -- MemStats text, JSON, expvar ---------------------------------------------------------------
def test_memstats_text_names_units_and_aliases():
    r = recs_of("HeapSys = 12 MiB\tHeapAlloc = 3.5 MiB  NumGC = 7 GCCPUFraction: 0.25\n")[0]
    assert (r["heap_sys_bytes"], r["heap_alloc_bytes"], r["num_gc"], r["gc_cpu_fraction"]) == (
        12 * MiB, int(3.5 * MiB), 7, 0.25)
    r = recs_of("alloc: 10 KB, sys: 20 KB\n")[0]  # no heap short names: Sys is Sys
    assert r["sys_bytes"] == 20 * KiB and "heap_sys_bytes" not in r
    r = recs_of("2019/04/06 17:37:52 Alloc:49328(bytes) HeapIdle:66494464(bytes) HeapReleased:0(bytes)\n")[0]
    assert (r["heap_alloc_bytes"], r["heap_idle_bytes"], r["heap_released_bytes"], r["t_s"]) == (49328, 66494464, 0, 0.0)
    assert recs_of("sys: 3 MB\n") == []  # one field is not a record


def test_memstats_plusv_on_one_line_and_rewrapped():
    line = ("{Alloc:257 TotalAlloc:331 Sys:1354 Lookups:0 Mallocs:16 Frees:6 HeapAlloc:257 HeapSys:3768 HeapIdle:2973 "
            "HeapInuse:794 HeapReleased:2752 HeapObjects:9 PauseNs:[18 0 0] PauseEnd:[1 0] NumGC:1 NumForcedGC:1 "
            "GCCPUFraction:0.01 EnableGC:true DebugGC:false BySize:[{Size:0 Mallocs:0 Frees:0} {Size:8 Mallocs:83 Frees:37}]}")
    one = recs_of(line + "\n")
    assert len(one) == 1
    r = one[0]
    assert (r["heap_sys_bytes"], r["mallocs"], r["frees"], r["num_gc"], r["enable_gc"]) == (3768, 16, 6, 1, True)
    wrapped = "\t// Example output: {\n" + "".join(
        f"\t// {m}\n" for m in re.findall(r"[A-Za-z]+:(?:\[[^\]]*\]|\S+)", line.strip("{}").replace("}]", "]")))
    two = recs_of(wrapped)
    assert len(two) == 1 and two[0]["heap_sys_bytes"] == 3768 and two[0]["mallocs"] == 16 and two[0]["seq"] == 2


def test_memstats_json_expvar_and_corpus_jsonl(tmp_path):
    ms = {"Alloc": 1, "TotalAlloc": 2, "Sys": 3, "HeapSys": 4, "HeapIdle": 5, "HeapReleased": 6, "NumGC": 7,
          "PauseNs": [1, 2], "BySize": [{"Size": 8}], "GCCPUFraction": 0.5, "EnableGC": True}
    pretty = json.dumps({"cmdline": ["./srv", "-x"], "memstats": ms, "other": {"a": [1, {"b": 2}]}}, indent=2)
    p = tmp_path / "vars.json"
    p.write_text(pretty + "\n" + json.dumps(ms) + "\n")
    tl = read(p)
    recs = list(tl["memstats"].records())
    assert len(recs) == 2 and recs[0]["heap_sys_bytes"] == 4 and recs[1]["num_gc"] == 7
    assert recs[0]["gc_cpu_fraction"] == 0.5 and tl.meta["cmd"] == ["./srv", "-x"]
    assert set(tl.meta["formats"]) == {"expvar", "memstats-json"} and tl.meta["unknown_lines"] == 0
    r = recs_of('{"t":0.05,"heap_sys":1077641216,"heap_alloc":10,"num_gc":1,"stack_inuse":294912}\n')[0]
    assert (r["t_s"], r["heap_sys_bytes"], r["stack_inuse_bytes"], r["num_gc"]) == (0.05, 1077641216, 294912, 1)


def test_broken_json_costs_only_its_first_line():
    text = '{"memstats": {"HeapSys": 1,\nsys: 5 MB alloc: 4 MB idle: 1 MB\n}\n{"HeapSys": 2, "HeapAlloc": 1}\n'
    recs = recs_of(text)
    assert [r["heap_sys_bytes"] for r in recs] == [5 * MiB, 2]


# -- Prometheus, vmstat, CSV -----------------------------------------------------------------
PROM = """# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 1.5e-05
go_gc_duration_seconds{quantile="1"} 0.002
go_gc_duration_seconds_sum 0.25
go_gc_duration_seconds_count 12
# HELP go_info Information about the Go environment.
# TYPE go_info gauge
go_info{version="go1.21.4"} 1
# HELP go_memstats_heap_sys_bytes Number of heap bytes obtained from system.
# TYPE go_memstats_heap_sys_bytes gauge
go_memstats_heap_sys_bytes %s
# TYPE go_memstats_heap_released_bytes gauge
go_memstats_heap_released_bytes 1.6384e+06
# TYPE go_gc_gogc_percent gauge
go_gc_gogc_percent 75
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 2.5e+07
"""


def test_prometheus_scrapes(tmp_path):
    p = tmp_path / "metrics.txt"
    p.write_text(PROM % "3.2e+07" + PROM % "4.8e+07")
    tl = read(p)
    ms = list(tl["memstats"].records())
    assert [r["heap_sys_bytes"] for r in ms] == [32_000_000, 48_000_000]
    assert (ms[0]["num_gc"], ms[0]["pause_total_ns"], ms[0]["gc_pause_max_s"], ms[0]["gogc"]) == (12, 250_000_000, 0.002, 75)
    assert [r["rss_bytes"] for r in tl["rss"].records()] == [25_000_000, 25_000_000]
    assert tl.meta["go_version"] == "1.21" and tl.meta["settings"]["gogc"] == 75


def test_prometheus_bad_line_costs_only_itself(tmp_path):
    p = tmp_path / "m.txt"
    p.write_text((PROM % "3.2e+07").replace("go_memstats_heap_released_bytes 1.6384e+06",
                                             "go_memstats_heap_released_bytes {{{ oops"))
    tl = read(p)
    r = list(tl["memstats"].records())[0]
    assert r["heap_sys_bytes"] == 32_000_000 and "heap_released_bytes" not in tl["memstats"].columns
    assert tl.meta["unknown_lines"] == 1


def test_vmstat_units_and_csv():
    text = ("$ vmstat 2\nprocs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----\n"
            " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st\n"
            " 1  0      0 100000   2000  30000    0    0     1     2   30   40  1  1 98  0  0\n"
            " 2  0      8  90000   2000  30000    0    0     1     2   30   40  1  1 98  0  0\n")
    vm = recs_of(text)
    assert [r["free_bytes"] for r in vm] == [100000 * KiB, 90000 * KiB] and vm[1]["t_s"] == 2.0
    assert vm[0]["cpu_idle_percent"] == 98 and vm[1]["swpd_bytes"] == 8 * KiB
    rss = recs_of("t_s,rss_bytes,pss_bytes\n0.5,1000,900\n1.0,2000,\nnot,a,row\n")
    assert [(r["t_s"], r["rss_bytes"], r["pss_bytes"]) for r in rss] == [(0.5, 1000, 900), (1.0, 2000, None)]
    assert recs_of("t,rss_bytes\n0.25,4096\n")[0]["rss_bytes"] == 4096


# -- directories, timelines, the corpus ---------------------------------------------------------
def test_gomem_run_directory_counts_nothing_twice(tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    gcline = "gc 1 @0.5s 1%: 0.1+0.2+0.3 ms clock, 0.1+0.2/0.3/0.4+0.5 ms cpu, 4->4->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P"
    (d / "meta.json").write_text(json.dumps({"format": "gomem-run", "version": 1, "cmd": ["./prog"], "env": {},
                                             "settings": {"gogc": 50, "memory_limit_bytes": None},
                                             "start_unix_s": 1.0, "memory_limit_bytes": None}))
    (d / "stderr.log").write_text(f"hello\n{gcline}\nscav 8 KiB work, 16 KiB total, 50% util\nfatal error: boom\n")
    (d / "stdout.log").write_text("HeapSys: 5 MB HeapAlloc: 4 MB\nprogram output\n")
    (d / "rss.csv").write_text("t_s,rss_bytes,pss_bytes,anon_bytes,hwm_bytes\n0.1,100,90,80,100\n0.2,200,190,180,200\n")
    (d / "events.jsonl").write_text('{"kind": "event", "t_s": 0.0, "name": "start"}\n'
                                    '{"kind": "event", "t_s": 0.9, "name": "fatal", "text": "boom"}\n')
    (d / "summary.json").write_text(json.dumps({"peak_rss_bytes": 200, "num_gc": 1}))
    tl = read(d)
    assert len(tl["gc"]) == 1 and len(tl["scav"]) == 1 and len(tl["rss"]) == 2 and len(tl["memstats"]) == 1
    assert [r["name"] for r in tl["event"].records()] == ["start", "fatal"]  # not the stderr copy
    assert tl.meta["settings"]["gogc"] == 50 and tl.meta["summary"]["num_gc"] == 1
    assert tl.meta["unknown_lines"] == 0  # the child's own output is not counted
    # gc.jsonl, when present, is the gc source: stderr adds only the GCs it lacks
    (d / "gc.jsonl").write_text(json.dumps({**parse_gc_line(gcline, 2), "heap_goal_bytes": 6 * MiB}) + "\n")
    (d / "stderr.log").write_text(f"{gcline}\n{gcline.replace('gc 1 ', 'gc 2 ')}\n")
    tl = read(d)
    assert [(r["num"], r["heap_goal_bytes"]) for r in tl["gc"].records()] == [(1, 6 * MiB), (2, 5 * MiB)]


def test_corpus_run_dirs(shared_dir):
    for go in ("go1.19", "go1.21", "go1.27"):
        d = shared_dir / "corpus" / go / "steady" / "limit"
        tl = read(d)
        summ = json.loads((d / "summary.json").read_text())
        assert len(tl["gc"]) == summ["num_gc"] > 0
        assert tl.meta["go_version"] == go[2:]
        assert tl.meta["settings"]["memory_limit_bytes"] == 500 * MiB and tl.meta["settings"]["gogc"] == 100
        assert int(tl["rss"]["rss_bytes"].max()) == summ["peak_rss_sampled"]
        assert int(tl["memstats"]["heap_sys_bytes"].max()) == summ["peak_heap_sys"]
        assert int(tl["memstats"]["heap_alloc_bytes"].max()) == summ["peak_heap_alloc"]
        assert tl.meta["unknown_lines"] == 0
    off = read(shared_dir / "corpus" / "go1.27" / "seed" / "offlimit")
    assert off.meta["settings"]["gogc"] is None and off.meta["settings"]["memory_limit_bytes"] == 3072 * MiB


def test_saved_timeline_round_trip(tmp_path, shared_dir):
    tl = read(shared_dir / "reference" / "seed.txt")
    p = tl.save(tmp_path / "seed.npz")
    back = read(p)
    assert back == tl and isinstance(back, Timeline)
    both = read([shared_dir / "reference" / "seed.txt", p])
    assert len(both["gc"]) == 38 and both.meta["source"][1] == str(p)


# -- errors -------------------------------------------------------------------------------------
def test_strict_names_file_line_and_expectation(tmp_path):
    p = tmp_path / "log.txt"
    p.write_text("gc 1 @0.5s 1%: 0.1+0.2+0.3 ms clock, 0.1+0.2/0.3/0.4+0.5 ms cpu, 4->4->2 MB, 5 MB goal, 2 P\n"
                 "what is this\n")
    with pytest.raises(InputError) as e:
        read(p, format="gctrace", strict=True)
    assert e.value.path == str(p) and e.value.line == 2 and "expected a gctrace line" in str(e.value)
    assert len(read(p, format="gctrace")["gc"]) == 1
    with pytest.raises(InputError, match="no such file"):
        read(tmp_path / "missing.log")
    with pytest.raises(InputError, match="unknown format"):
        read(p, format="xml")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not a run directory"):
        read(tmp_path / "empty")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(InputError, match="Timeline"):
        read(bad)


# -- the real-world files -----------------------------------------------------------------------
# wild file -> (kind, count) it must yield, from INDEX.md's counts and the files themselves
WILD = {
    "gctrace_go1.2_cuixin-go-experiment-goroutine-leak.txt": {"gc": 42, "scav": 20},
    "gctrace_go1.2_cuixin-go-experiment-http-c200.txt": {"gc": 1, "scav": 1},
    "gctrace_go1.2_cuixin-go-experiment-http-c4000.txt": {"gc": 1, "scav": 2},
    "gctrace_go1.5_gcvis-examples-go15_stderr.txt": {"gc": 130},
    "gctrace_go1.5_ardanlabs-gotraining-memory_trace-2015.txt": {"gc": 4},
    "gctrace_go1.8-1.9_ardanlabs-gotraining-godebug-pacer.txt": {"gc": 1},
    "gctrace_go1.8-1.9_ardanlabs-gotraining-godebug-8P.txt": {"gc": 5},
    "gctrace_go1.12-era_liyork-gopiano-mem1doc-run.txt": {"gc": 28, "event": 7},
    "gctrace_go1.12-era_liyork-gopiano-mem1doc-scvg-summary.txt": {"gc": 7, "scav": 7, "event": 7},
    "gctrace_go1.13plus_domyson-gc-md-gcforced.txt": {"gc": 1, "scav": 2, "event": 1},
    "gctrace_go1.14_go-questions-memgc-gc-txt.txt": {"gc": 6, "scav": 12},
    "gctrace_go1.18_felixge-dump-readme-bench.txt": {"gc": 95},
    "gctrace_go1.18_felixge-dump-gctrace-raw.txt": {"gc": 67},
    "gctrace_go1.18_felixge-dump-maxprocs1-raw.txt": {"gc": 49},
    "expvar_divan-expvarmon-expvars-json.json": {"memstats": 1},
    "expvar_datadog-trace-agent-info-okay.json": {"memstats": 1},
    "expvar_telegraf-influxdb-influx_return-influxd0.9.json": {"memstats": 1},
    "expvar_telegraf-influxdb-cloud1-influxd1.11.5.json": {"memstats": 1},
    "prom_prometheus-textparse-testdata-2017.txt": {"memstats": 1},
    "prom_up1-golang-metric-prometheus-go1.13.txt": {"memstats": 1},
    "prom_parvinshi-cncamp-httpserver-go1.19.1.txt": {"memstats": 1},
    "prom_pwrstat-exporter-sample-go1.19.3.txt": {"memstats": 1, "rss": 1},
    "prom_prometheus-textparse-alltypes-237mfs-go1.23.4.txt": {"memstats": 1, "rss": 1},
    "memstats_efficientgo-examples-mem_test-plusv-split.txt": {"memstats": 1},
    "memstats_heapspurs-readme-heapdump-record-plusv.txt": {"memstats": 1},
    "memstats_liyork-gopiano-mem2dock-custom-lines.txt": {"memstats": 11},
}


def test_every_wild_file_is_listed(shared_dir):
    files = {p.name for p in (shared_dir / "wild").iterdir() if p.name != "INDEX.md"}
    assert files == set(WILD)


@pytest.mark.parametrize("name", sorted(WILD))
def test_wild_file(shared_dir, name):
    path = shared_dir / "wild" / name
    tl = read(path)
    assert {k: len(tl[k]) for k in tl.kinds} == WILD[name]
    for r in tl["gc"].records():
        assert r["num"] > 0 and r["procs"] > 0 and r["heap_start_bytes"] >= 0
        assert r["heap_live_bytes"] is None or r["heap_live_bytes"] <= 64 << 30
    if "memstats" in tl:
        ms = next(tl["memstats"].records())
        assert ms.get("heap_alloc_bytes") or ms.get("heap_sys_bytes")
        if ms.get("heap_sys_bytes") is not None and ms.get("heap_idle_bytes") is not None and ms.get("heap_inuse_bytes"):
            assert ms["heap_sys_bytes"] == ms["heap_idle_bytes"] + ms["heap_inuse_bytes"]  # runtime/mstats.go
    if name.startswith("prom_") and "go1." in name:
        assert tl.meta["go_version"] == re.search(r"go(1\.\d+)", name)[1]
    if name.startswith("gctrace_go1.18"):
        assert tl.meta["go_version_hint"] == "1.18+"
        assert all(r["stacks_bytes"] is not None for r in tl["gc"].records())
    if name.startswith("gctrace_go1.5"):
        assert tl.meta["go_version_hint"] == "1.5-1.6"
