"""gomem validate over the project's corpus of real runs, and its error handling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gomem.cli.main import main as gomem_main
from gomem.errors import InputError
from gomem.units import MiB
from gomem.validation import compare, workloads
from gomem.validation.record import WORKLOADS, SETTINGS, _thin

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


def recorded_runs(corpus: Path) -> list[Path]:
    return sorted(p.parent for p in corpus.glob("go1.*/*/*/summary.json"))


def test_corpus_covers_every_workload_setting_and_version():
    runs = {tuple(p.relative_to(CORPUS).parts) for p in recorded_runs(CORPUS)}
    for go in ("go1.19", "go1.21", "go1.27"):
        for name, wl in WORKLOADS.items():
            for s in wl.settings:
                assert (go, name, s) in runs, f"corpus lacks {go}/{name}/{s}"
    # every run finished and its summary agrees with its own samples
    for d in recorded_runs(CORPUS):
        sm = json.loads((d / "summary.json").read_text())
        assert sm["exit"] == 0, d
        ms = compare.read_memstats(d / "memstats.jsonl")
        assert sm["peak_heap_sys"] == max(m["heap_sys"] for m in ms)
        assert sm["num_gc"] == ms[-1]["num_gc"]
        assert (d / "gctrace.log").read_text().count("gc ") >= 1
        rss = (d / "rss.csv").read_text().splitlines()
        assert rss[0] == "t,rss_bytes" and len(rss) > 5


def test_validate_json_has_a_row_for_every_recorded_run(capsys):
    rc = gomem_main(["validate", "--corpus", str(CORPUS), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    dirs = recorded_runs(CORPUS)
    assert len(out["rows"]) == len(dirs)
    assert {Path(r["path"]).resolve() for r in out["rows"]} == {d.resolve() for d in dirs}
    for row in out["rows"]:
        d = Path(row["path"])
        sm = json.loads((d / "summary.json").read_text())
        assert row["real"]["peak_heap_sys"] == sm["peak_heap_sys"]
        assert row["real"]["peak_heap_retained"] == sm["peak_heap_retained"]
        assert row["real"]["num_gc"] == sm["num_gc"]
        assert row["gogc"] == sm["settings"]["gogc"]
        assert row["memory_limit_bytes"] == sm["settings"]["memory_limit_bytes"]
        # every run is simulated: a row without model figures says why
        assert row["model"] is not None, f"{d}: {row['problem']}"
        for k in compare.METRICS:
            assert row["within_target"][k] in (True, False)
    s = out["summary"]
    assert s["runs"] == len(dirs) and s["simulated"] == len(dirs)
    # the repeated real runs (corpus/repeat/) are paired with their first recording
    again = sorted(p.parent for p in (CORPUS / "repeat").glob("go1.*/*/*/summary.json"))
    assert len(again) >= 9 and len(out["repeat_rows"]) == len(again)
    for rr in out["repeat_rows"]:
        assert Path(rr["path_again"]).relative_to(CORPUS / "repeat").parts == Path(rr["path"]).relative_to(CORPUS).parts
    assert s["all_within_target"] == sum(r["passed"] for r in out["rows"])


def test_validate_table_over_the_shared_corpus(capsys, shared_dir):
    rc = gomem_main(["validate", "--corpus", str(shared_dir / "corpus"), "--go", "1.27", "--workload", "steady,batch"])
    text = capsys.readouterr().out
    assert rc == 0
    rows = [l for l in text.splitlines() if l.startswith("│shared")]
    assert len(rows) == 10  # 2 workloads x 5 settings, one row each
    assert sum("steady" in l for l in rows) == 5 and sum("batch" in l for l in rows) == 5
    assert "runs within all targets" in text


def test_judging_against_the_targets():
    # heap figures: 5% of the real value
    assert compare.judge("peak_heap_sys", 104 * MiB, 100 * MiB, 100 * MiB)[1]
    assert not compare.judge("peak_heap_sys", 106 * MiB, 100 * MiB, 100 * MiB)[1]
    err, ok = compare.judge("peak_heap_retained", 90 * MiB, 100 * MiB, 100 * MiB)
    assert err == pytest.approx(-0.10) and not ok
    # NumGC: 15%, or one GC for small counts
    assert compare.judge("num_gc", 23, 20, 0)[1] and not compare.judge("num_gc", 24, 20, 0)[1]
    assert compare.judge("num_gc", 5, 4, 0)[1] and not compare.judge("num_gc", 6, 4, 0)[1]
    # final HeapReleased: against 5% of the peak HeapSys
    assert compare.judge("final_heap_released", 20 * MiB, 3 * MiB, 400 * MiB)[1]
    assert not compare.judge("final_heap_released", 30 * MiB, 3 * MiB, 400 * MiB)[1]


def test_every_workload_has_a_model_mirror():
    for wl in WORKLOADS.values():
        assert callable(workloads.program(wl.program, wl.scale, wl.time_scale))
    for name in ("seed", "steady", "batch", "spike"):
        assert callable(workloads.shared_program(name))
    # limits are below the base peak (the recorded 1.27 run), so `limit` bites
    for name, wl in WORKLOADS.items():
        base = CORPUS / "go1.27" / name / "base" / "summary.json"
        assert wl.memory_limit_bytes < json.loads(base.read_text())["peak_heap_retained"] * 1.05, name
    assert set(SETTINGS) == {"base", "gogc50", "gogc200", "limit", "offlimit"}


def test_rss_thinning_keeps_the_peak_and_the_ends():
    samples = [(i * 0.005, 100 * MiB + (i % 7) * 1000) for i in range(1000)]
    samples[537] = (537 * 0.005, 300 * MiB)
    kept = _thin(samples)
    assert kept[0] == samples[0] and kept[-1] == samples[-1]
    assert (537 * 0.005, 300 * MiB) in kept
    assert len(kept) < 100
    assert max(t2 - t1 for (t1, _), (t2, _) in zip(kept, kept[1:])) <= 0.1 + 0.005 + 1e-9  # one sampling interval past the gap


def test_broken_memstats_line_is_an_input_error_naming_file_and_line(tmp_path):
    p = tmp_path / "memstats.jsonl"
    p.write_text('{"t":0.05,"heap_sys":1,"heap_released":0,"num_gc":0}\n{"t":0.1,"heap_sys":\n')
    with pytest.raises(InputError) as e:
        compare.read_memstats(p)
    assert e.value.path == str(p) and e.value.line == 2
    p.write_text('{"t":0.05,"heap_sys":1}\n')
    with pytest.raises(InputError, match="lacks 'heap_released'"):
        compare.read_memstats(p)


def test_validate_errors_are_messages_not_tracebacks(tmp_path, capsys):
    assert gomem_main(["validate", "--corpus", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "not a corpus directory" in err and "Traceback" not in err
    (tmp_path / "go1.27" / "seed" / "base").mkdir(parents=True)
    (tmp_path / "go1.27" / "seed" / "base" / "summary.json").write_text("{not json")
    (tmp_path / "go1.27" / "seed" / "base" / "memstats.jsonl").write_text("")
    assert gomem_main(["validate", "--corpus", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "summary.json:1:" in err and "expected a JSON object" in err
    assert gomem_main(["validate", "--corpus", str(tmp_path), "--workload", "nothing"]) == 2
    assert "no recorded runs match" in capsys.readouterr().err


def test_validate_one_run_directory(capsys):
    rc = gomem_main(["validate", "--corpus", str(CORPUS / "go1.21" / "spike" / "limit"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    [row] = out["rows"]
    assert (row["go"], row["workload"], row["setting"]) == ("1.21", "spike", "limit")
    assert row["memory_limit_bytes"] == 680 * MiB and row["gogc"] == 100


def test_validate_the_held_out_runs(capsys):
    heldout = CORPUS / "heldout"
    dirs = sorted(p.parent for p in heldout.glob("go1.*/*/*/summary.json"))
    assert len(dirs) >= 45
    rc = gomem_main(["validate", "--corpus", str(heldout), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and len(out["rows"]) == len(dirs)
    for row in out["rows"]:
        assert row["corpus"] == "heldout" and row["model"] is not None, row["problem"]
        sm = json.loads((Path(row["path"]) / "summary.json").read_text())
        assert "-scale" in sm["argv"] and sm["argv"][sm["argv"].index("-scale") + 1] == "0.6"
