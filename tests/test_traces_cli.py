"""gomem parse: the command line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from gomem.cli.main import main
from gomem.timeline import Timeline

MiB = 1 << 20
GOMEM = [sys.executable, "-m", "gomem.cli.main"]
GC = ("gc {n} @{t:.3f}s 1%: 0.1+0.2+0.3 ms clock, 0.1+0.2/0.3/0.4+0.5 ms cpu, 4->5->{live} MB, 8 MB goal, "
      "0 MB stacks, 0 MB globals, 2 P")
GC_KEYS = {"kind", "num", "t_s", "process", "heap_start_bytes", "heap_end_bytes", "heap_live_bytes", "heap_goal_bytes",
           "stacks_bytes", "globals_bytes", "procs", "forced", "gc_cpu_percent", "clock_sweep_term_ms", "clock_mark_ms",
           "clock_mark_term_ms", "cpu_sweep_term_ms", "cpu_assist_ms", "cpu_background_ms", "cpu_idle_ms",
           "cpu_mark_term_ms", "seq"}


def run(args, capsys):
    rc = main(args)
    out, err = capsys.readouterr()
    return rc, out, err


def test_summary_of_the_seed(shared_dir, capsys):
    rc, out, err = run(["parse", str(shared_dir / "reference" / "seed.txt")], capsys)
    assert rc == 0
    rows = {line.split()[0]: line.split("│") for line in out.splitlines() if "│" in line and line.split()[0].isalpha()}
    assert rows["gc"][1].strip() == "19" and rows["gc"][2].strip() == "4"
    assert rows["memstats"][1].strip() == "47" and rows["vmstat"][1].strip() == "22"
    assert "heap_goal ≤" in out and "4.00 GiB" in out and "Go 1.15" in out
    assert "lines not understood" in err and "seed.txt:1: " in err


def test_json_lines_fields(shared_dir, capsys):
    rc, out, _ = run(["parse", "--json", str(shared_dir / "reference" / "seed.txt")], capsys)
    recs = [json.loads(x) for x in out.splitlines()]
    gc = [r for r in recs if r["kind"] == "gc"]
    ms = [r for r in recs if r["kind"] == "memstats"]
    assert rc == 0 and len(gc) == 19 and len(ms) == 47
    assert set(gc[0]) == GC_KEYS and gc[0]["stacks_bytes"] is None and gc[0]["globals_bytes"] is None
    assert {"heap_sys_bytes", "heap_alloc_bytes", "heap_idle_bytes", "heap_released_bytes", "heap_inuse_bytes"} <= set(ms[0])
    rc, out, _ = run(["parse", "--json", "--kind", "rss",
                      str(shared_dir / "corpus" / "go1.21" / "seed" / "base")], capsys)
    rss = [json.loads(x) for x in out.splitlines()]
    assert rc == 0 and len(rss) > 100 and set(rss[0]) == {"kind", "t_s", "process", "seq", "rss_bytes"}


def test_csv_and_save(tmp_path, shared_dir, capsys):
    rc, out, _ = run(["parse", "--csv", str(shared_dir / "reference" / "seed.txt")], capsys)
    lines = out.splitlines()
    assert rc == 0 and lines[0].startswith("kind,t_s,process,seq,num,") and len(lines) == 20
    rc, out, _ = run(["parse", "--csv", "--kind", "memstats", str(shared_dir / "reference" / "seed.txt")], capsys)
    assert len(out.splitlines()) == 48
    # gomem reads its own CSV back
    p = tmp_path / "gc.csv"
    rc, out, _ = run(["parse", "--csv", str(shared_dir / "reference" / "seed.txt")], capsys)
    p.write_text(out)
    rc, out2, _ = run(["parse", "--json", str(p)], capsys)
    back = [json.loads(x) for x in out2.splitlines()]
    assert len(back) == 19 and back[9]["heap_goal_bytes"] == 5 * MiB and back[9]["process"] == 2
    npz = tmp_path / "seed.npz"
    rc, out, err = run(["parse", "--save", str(npz), str(shared_dir / "reference" / "seed.txt")], capsys)
    assert rc == 0 and "saved" in err
    tl = Timeline.load(npz)
    assert len(tl["gc"]) == 19 and len(tl["memstats"]) == 47 and tl.meta["go_version"] == "1.15"


def test_strict_and_usage_errors(tmp_path, capsys):
    p = tmp_path / "x.log"
    p.write_text(GC.format(n=1, t=0.1, live=2) + "\nnot a trace\n")
    rc, out, err = run(["parse", "--strict", str(p)], capsys)
    assert rc == 2 and f"{p}:2: line not understood: 'not a trace'; expected" in err
    assert "Traceback" not in err
    rc, _, err = run(["parse", "--json", "--csv", str(p)], capsys)
    assert rc == 2 and "choose one" in err
    rc, _, err = run(["parse", str(tmp_path / "nope.log")], capsys)
    assert rc == 2 and "no such file" in err


def test_stdin():
    text = GC.format(n=1, t=0.5, live=3) + "\nscav 0 KiB work (bg), 0 KiB work (eager), 64 KiB now, 90% util\n"
    r = subprocess.run([*GOMEM, "parse", "--json", "-"], input=text, capture_output=True, text=True, timeout=60)
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    assert r.returncode == 0 and [x["kind"] for x in recs] == ["gc", "scav"]
    assert recs[0]["heap_live_bytes"] == 3 * MiB and recs[1]["heap_released_bytes"] == 64 << 10


def test_follow_a_growing_file(tmp_path):
    p = tmp_path / "grow.log"
    p.write_text(GC.format(n=1, t=0.1, live=1) + "\n")
    proc = subprocess.Popen([*GOMEM, "parse", "--follow", "--json", "--idle-timeout", "3", str(p)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(proc.stdout.readline())
        assert first["num"] == 1
        with open(p, "a") as f:
            line = GC.format(n=2, t=0.2, live=2) + "\n"
            f.write(line[:40])  # a writer caught mid-line
            f.flush()
            time.sleep(0.5)
            f.write(line[40:])
            f.flush()
        second = json.loads(proc.stdout.readline())
        assert second["num"] == 2 and second["heap_live_bytes"] == 2 * MiB
        rc = proc.wait(timeout=30)  # stops after 3 s without new data
        assert rc == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_big_log_streams_in_chunks(tmp_path, capsys):
    """A log larger than the reader's chunks: every record, in order, through the fast path and
    the line parser alike (one odd line in the middle)."""
    lines = [GC.format(n=i, t=i * 0.01, live=i % 50) for i in range(1, 30001)]
    lines[15000] = "some other output"
    p = tmp_path / "big.log"
    p.write_text("\n".join(lines) + "\n")
    rc, out, err = run(["parse", "--json", str(p)], capsys)
    nums = [json.loads(x)["num"] for x in out.splitlines()]
    assert rc == 0 and nums == [i for i in range(1, 30001) if i != 15001]
    assert "1 line not understood" in err and "big.log:15001:" in err


def test_reader_going_away_is_not_an_error(tmp_path):
    p = tmp_path / "many.log"
    p.write_text("".join(GC.format(n=i, t=i * 0.01, live=1) + "\n" for i in range(1, 200001)))
    proc = subprocess.Popen([*GOMEM, "parse", "--json", str(p)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert json.loads(proc.stdout.readline())["num"] == 1
    proc.stdout.close()  # like `| head -1`
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""
    proc.stderr.close()


def test_follow_of_a_pipe_ends_with_the_pipe():
    r = subprocess.run([*GOMEM, "parse", "--follow", "--json", "-"], input=GC.format(n=1, t=0.1, live=1) + "\n",
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and json.loads(r.stdout)["num"] == 1


def test_summary_is_the_same_whole_chunks_or_line_by_line(tmp_path, capsys):
    lines = [GC.format(n=i % 7000 + 1, t=(i % 7000) * 0.01, live=(i * 37) % 300) + (" (forced)" if i % 9 == 0 else "")
             for i in range(20000)]
    p = tmp_path / "big.log"
    p.write_text("\n".join(lines) + "\n")
    rc, fast, _ = run(["parse", str(p)], capsys)  # chunks taken whole
    rc2, slow, err = run(["parse", "--save", str(tmp_path / "x.npz"), str(p)], capsys)  # records, one by one
    assert rc == rc2 == 0 and "saved 20000 records" in err
    assert fast == slow
    assert "20000" in fast and "2223 forced" in fast
    gc_row = [line for line in fast.splitlines() if line.startswith(" gc ")][0]
    assert gc_row.split("│")[2].strip() == "3"  # numbering restarts twice: three processes


def test_csv_whole_chunks_and_line_by_line_agree(tmp_path, capsys):
    import csv
    import io

    from gomem.timeline import SCHEMAS
    from gomem.traces.gctrace import CSV_COLUMNS

    assert CSV_COLUMNS == ("kind", *SCHEMAS["gc"])  # else the fast CSV path is off
    lines = [GC.format(n=i, t=i * 0.01, live=i % 97) for i in range(1, 20001)]
    lines[12000] = lines[12000].replace("0 MB stacks, 0 MB globals, ", "")  # a Go 1.17 line: that chunk goes slow
    p = tmp_path / "big.log"
    p.write_text("\n".join(lines) + "\n")
    rc, out, _ = run(["parse", "--csv", str(p)], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    rc2, out2, _ = run(["parse", "--json", str(p)], capsys)
    recs = [json.loads(x) for x in out2.splitlines()]
    assert rc == rc2 == 0 and len(rows) == len(recs) == 20000
    for row, rec in zip(rows, recs):
        for k in CSV_COLUMNS[1:]:
            want = rec[k]
            got = row[k]
            if want is None:
                assert got == ""
            elif isinstance(want, bool):
                assert got == ("true" if want else "false")
            else:
                assert float(got) == want, (k, got, want)
    assert rows[12000]["stacks_bytes"] == "" and rows[11999]["stacks_bytes"] == "0"
