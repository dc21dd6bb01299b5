"""gomem.report (payload, HTML, PNG/SVG) and `gomem report`, without a browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from gomem.cli.main import main
from gomem.report import payload, render_html, render_png, render_svg
from gomem.report.data import kind_columns
from gomem.timeline import Timeline
from gomem.units import GiB, MiB

SEED_RUN = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "go1.27" / "seed" / "base"


def read_corpus(d: Path) -> Timeline:
    from gomem.traces import read

    return read([str(d)])


def small_timeline(limit: int | None = 96 * MiB) -> Timeline:
    """A made-up run: a live heap of 20 MiB growing by 1 MiB per cycle, GOGC=100."""
    recs = []
    for i in range(10):
        live = (20 + i) * MiB
        recs.append({"kind": "gc", "num": i + 1, "t_s": 0.5 * i + 0.1, "heap_start_bytes": 2 * live,
                     "heap_end_bytes": 2 * live + MiB, "heap_live_bytes": live, "heap_goal_bytes": 2 * live,
                     "gc_cpu_percent": 1.0 + i / 10, "clock_mark_ms": 2.0})
    for j in range(50):
        sys_b = (60 + j // 5) * MiB
        recs.append({"kind": "memstats", "t_s": 0.1 * j, "heap_sys_bytes": sys_b, "heap_released_bytes": 4 * MiB,
                     "heap_alloc_bytes": (20 + j % 10) * MiB, "gc_cpu_fraction": 0.01})
    for j in range(200):
        recs.append({"kind": "rss", "t_s": 0.025 * j, "rss_bytes": (50 + j // 10) * MiB})
    recs.append({"kind": "rss", "rss_bytes": 1})  # no time: not charted
    recs.append({"kind": "event", "t_s": 5.0, "name": "exit", "text": "exit status 0"})
    meta = {"source": "test", "go_version": "1.27",
            "settings": {"gogc": 100, "memory_limit_bytes": limit, "gomaxprocs": 2, "godebug": "gctrace=1"},
            "container_limit_bytes": 128 * MiB}
    return Timeline.from_records(recs, meta)


def test_payload_holds_every_timed_sample_and_derived_columns():
    tl = small_timeline()
    p = payload([(tl, "small")], explain=False)
    run = p["runs"][0]
    assert len(run["gc"]["t_s"]) == 10
    assert len(run["memstats"]["t_s"]) == 50
    assert len(run["rss"]["t_s"]) == 200  # the sample without a time is left out ...
    assert any("no time" in n for n in run["notes"])  # ... and said so
    # held = HeapSys - HeapReleased, row by row
    ms = tl["memstats"]
    assert run["memstats"]["held_bytes"] == (ms["heap_sys_bytes"] - ms["heap_released_bytes"]).tolist()
    # a GC's marked heap is placed after its clock phases
    assert run["gc"]["t_end_s"][0] == pytest.approx(0.1 + 0.002)
    assert run["limits"] == {"memory_limit_bytes": 96 * MiB, "container_limit_bytes": 128 * MiB}
    # the peak: of RSS (there is RSS), its largest sample
    assert run["peak"]["bytes"] == int(tl["rss"]["rss_bytes"].max())
    assert run["peak"]["what"] == "RSS"
    rows = dict(run["summary"])
    assert rows["GC cycles"] == "10"
    assert rows["max live heap (marked)"] == "29.00 MiB"
    assert rows["memory limit (GOMEMLIMIT)"] == "96.00 MiB"
    json.dumps(p, allow_nan=False)  # JSON-able, no NaN


def test_memory_limit_off_is_no_line():
    tl = small_timeline(limit=(1 << 63) - 1)  # math.MaxInt64: Go's "no limit"
    run = payload([(tl, "x")], explain=False)["runs"][0]
    assert run["limits"]["memory_limit_bytes"] is None


def test_decimation_keeps_the_peak():
    n = 100_000
    rng = np.random.default_rng(1)
    rss = (100 * MiB + rng.integers(0, MiB, n)).astype(np.int64)
    rss[77_777] = 3 * GiB
    tl = Timeline.from_records({"kind": "rss", "t_s": i * 0.001, "rss_bytes": int(v)} for i, v in enumerate(rss))
    cols = kind_columns("rss", tl["rss"], max_points=3000)
    assert len(cols["t_s"]) <= 3002
    assert max(cols["rss_bytes"]) == 3 * GiB
    assert min(cols["rss_bytes"]) == int(rss.min())


def test_html_is_self_contained_and_holds_the_data():
    tl = small_timeline()
    html = render_html([(tl, "small </script><script>alert(1)</script>")], explain=False)
    # nothing to fetch: no external scripts, styles, images or frames
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html, re.I)
    assert "default-src 'none'" in html
    assert "uPlot" in html and "GomemCharts" in html
    # the label cannot close the script element it sits in
    assert "</script><script>alert(1)" not in html
    m = re.search(r'<script id="gomem-data" type="application/json">(.*?)</script>', html, re.S)
    data = json.loads(m.group(1))
    assert data["runs"][0]["label"] == "small </script><script>alert(1)</script>"
    assert data["runs"][0]["rss"]["rss_bytes"] == tl["rss"]["rss_bytes"][:200].tolist()
    assert "&lt;/script&gt;" in html  # escaped in the side panel


def test_png_and_svg():
    tl = small_timeline()
    png = render_png([(tl, "a"), (tl, "b")], explain=False)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    svg = render_svg([(tl, "a")], explain=False)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "HeapSys" in svg and "RSS" in svg  # the legend


def test_seed_report_shows_the_sawtooth_and_the_4gib_peak():
    """The seed's real run (Go 1.27): the live heap stays 2 GiB, the heap reaches the GOGC=100
    goal of twice that before each GC (the 2x-live sawtooth), and the peak is 4 GiB."""
    tl = read_corpus(SEED_RUN)
    run = payload([(tl, "seed")])["runs"][0]
    gc = run["gc"]
    steady = [(h0, h2) for h0, h2 in zip(gc["heap_start_bytes"], gc["heap_live_bytes"])][2:]
    assert steady and all(h2 == 2 * GiB and h0 == 4 * GiB for h0, h2 in steady)
    assert max(gc["heap_goal_bytes"]) == 4 * GiB
    assert run["peak"]["bytes"] == pytest.approx(4 * GiB, rel=0.01)
    assert run["explain"]["verdict"] in ("gc_headroom", "idle_held")
    assert run["peak"]["breakdown"]["live_heap_bytes"] == 2 * GiB
    # the parts drawn as "peak = a + b + ..." add up to the peak
    assert sum(run["peak"]["breakdown"].values()) == pytest.approx(run["peak"]["bytes"], abs=1)
    png = render_png([(tl, "seed")])
    assert png[:4] == b"\x89PNG"


def test_cli_report_writes_html_png_svg(tmp_path):
    runs = tmp_path / "a.npz"
    small_timeline().save(runs)
    out = tmp_path / "r"
    rc = main(["report", str(runs), str(runs), "--label", "before", "--label", "after",
               "--html", f"{out}.html", "--png", f"{out}.png", "--svg", f"{out}.svg", "--title", "two runs"])
    assert rc == 0
    html = (tmp_path / "r.html").read_text()
    data = json.loads(re.search(r'<script id="gomem-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert [r["label"] for r in data["runs"]] == ["before", "after"]
    assert data["title"] == "two runs"
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "r.svg").read_text()
    assert main(["report", str(runs), "--json", f"{out}.json"]) == 0
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["title"].startswith("gomem report: ") and data["title"].endswith("/a.npz")
    assert len(data["runs"][0]["rss"]["rss_bytes"]) == 200 and data["runs"][0]["explain"]["verdict"]


def test_cli_report_errors_are_messages(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope"), "--html", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "no such file" in err and "Traceback" not in err
    p = tmp_path / "a.npz"
    small_timeline().save(p)
    assert main(["report", str(p), "--label", "a", "--label", "b"]) == 2
    assert "one per RUN" in capsys.readouterr().err
    assert main(["report", str(p), "--whatif", "gogc"]) == 2
    assert "key=value" in capsys.readouterr().err
    assert main(["report", str(p), "--whatif", "colour=blue"]) == 2
    assert "unknown setting" in capsys.readouterr().err


def test_cli_report_overlays_whatif_predictions(tmp_path):
    out = tmp_path / "w.html"
    assert main(["report", str(SEED_RUN), "--whatif", "gogc=50", "--whatif", "memlimit=3GiB",
                 "--html", str(out), "--no-explain"]) == 0
    html = out.read_text()
    data = json.loads(re.search(r'<script id="gomem-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    labels = [r["label"] for r in data["runs"]]
    assert labels[0].endswith("seed/base") and labels[1:] == ["whatif GOGC=50", "whatif GOGC=100 GOMEMLIMIT=3GiB"]
    rec, g50, lim = data["runs"]
    assert g50["meta"]["predicted"] is True and g50["meta"]["whatif"] == "GOGC=50"
    # the same program: the live heap is still 2 GiB; GOGC=50 lowers the heap goal to 1.5x live
    assert max(rec["gc"]["heap_live_bytes"]) == 2 * GiB
    assert max(g50["gc"]["heap_live_bytes"]) == pytest.approx(2 * GiB, rel=0.01)
    assert max(g50["gc"]["heap_goal_bytes"]) < max(rec["gc"]["heap_goal_bytes"])
    assert lim["limits"]["memory_limit_bytes"] == 3 * GiB
    assert max(h for h in lim["memstats"]["held_bytes"] if h is not None) <= 3 * GiB * 1.02
