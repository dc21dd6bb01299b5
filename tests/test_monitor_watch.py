"""``gomem watch`` against a real Go HTTP server (tests/goprogs/server.go, stdlib only, on
127.0.0.1): expvar's MemStats and the server's own Prometheus exposition, checked against the
gctrace the same server wrote; a PID watch that ends when the process exits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from gomem.errors import UsageError
from gomem.monitor.watch import WatchConfig, watch
from gomem.traces.gctrace import GctraceParser

pytestmark = pytest.mark.realgo

GOPROGS = Path(__file__).resolve().parent / "goprogs"
MiB = 1 << 20


@pytest.fixture()
def server(build_go, tmp_path):
    """A running server.go with GODEBUG=gctrace=1: (port, pid, stop() -> gc records)."""
    binary = build_go((GOPROGS / "server.go").read_text())
    err = open(tmp_path / "server.stderr", "wb")
    env = {**os.environ, "GODEBUG": "gctrace=1"}
    p = subprocess.Popen([str(binary), "30"], stdout=subprocess.PIPE, stderr=err, env=env)
    line = p.stdout.readline().decode()
    assert line.startswith("port "), line
    port = int(line.split()[1])

    def stop():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
        err.close()
        parser = GctraceParser()
        recs = []
        for i, line in enumerate((tmp_path / "server.stderr").read_text().splitlines(), 1):
            recs += [r for r in parser.feed(line, i) if r["kind"] == "gc"]
        return recs

    yield port, p.pid, stop
    if p.poll() is None:
        p.kill()
        p.wait()
    err.close()


def jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def check_against_gctrace(ms: list[dict], gcs: list[dict]) -> int:
    """MemStats snapshots agree with the gctrace lines of the same process. Returns how many
    snapshots were checked against a completed cycle."""
    by_num = {g["num"]: g for g in gcs}
    nums = [m["num_gc"] for m in ms]
    assert nums == sorted(nums), "NumGC never goes back"
    assert nums[-1] <= len(gcs), "no MemStats NumGC beyond the gctrace lines written"
    assert nums[-1] - nums[0] >= 3, "the server collected during the watch"
    checked = 0
    for m in ms:
        n = m["num_gc"]
        if n not in by_num:
            continue
        g = by_num[n]
        # gctrace sizes are floored MiB (runtime/mgc.go gcMarkTermination prints work.heap*>>20).
        # After cycle n, HeapAlloc holds at least what n marked live (heap_live_bytes) and at
        # most the heap at the end of the next cycle's marking (NumGC counts at mark termination).
        upper = max(g["heap_end_bytes"], by_num.get(n + 1, g)["heap_end_bytes"]) + 2 * MiB
        assert g["heap_live_bytes"] - MiB <= m["heap_alloc_bytes"] <= upper, (m, g)
        # NextGC after cycle n is the goal the next cycle prints (runtime/mgcpacer.go heapGoal)
        if n + 1 in by_num:
            assert abs(m["next_gc_bytes"] - by_num[n + 1]["heap_goal_bytes"]) <= MiB, (m, by_num[n + 1])
        checked += 1
    return checked


def test_watch_expvar_memstats_agree_with_gctrace(server, tmp_path):
    port, pid, stop = server
    res = watch(WatchConfig(target=f"http://127.0.0.1:{port}/debug/vars", out_dir=tmp_path / "w",
                            hz=20, duration_s=2.0, handle_signals=False))
    gcs = stop()
    ms = jsonl(tmp_path / "w/memstats.jsonl")
    assert len(ms) >= 0.7 * 20 * 2.0
    # the whole MemStats, every poll
    for key in ("heap_alloc_bytes", "heap_sys_bytes", "heap_idle_bytes", "heap_released_bytes",
                "heap_inuse_bytes", "sys_bytes", "next_gc_bytes", "num_gc", "pause_total_ns", "gc_cpu_fraction"):
        assert all(m.get(key) is not None for m in ms), key
    checked = check_against_gctrace(ms, gcs)
    assert checked >= 0.7 * len(ms)
    ts = [m["t_s"] for m in ms]
    assert ts == sorted(ts) and ts[-1] >= 1.8
    s = res.summary
    assert s["num_gc"] == ms[-1]["num_gc"] and s["stopped"] == "duration reached"
    meta = json.loads((tmp_path / "w/meta.json").read_text())
    assert meta["target_kind"] == "expvar" and meta["cmd"][1] == "30"
    # the server is on this machine: gomem found its PID, sampled its RSS at each poll and
    # counts t_s from its start, so MemStats line up with gctrace's clock (@t since start)
    assert meta["pid"] == pid and meta["t_s_origin"] == "process start" and meta["go_version"] == "1.27"
    rows = (tmp_path / "w/rss.csv").read_text().splitlines()[1:]
    assert len(rows) == len(ms) and s["hwm_bytes"] >= s["peak_rss_bytes"] > 24 * MiB
    by_num = {g["num"]: g for g in gcs}
    for m in ms:
        n = m["num_gc"]
        if n in by_num:  # GC n ended before the snapshot, GC n+1 had not
            assert by_num[n]["t_s"] <= m["t_s"] + 0.05, (m["t_s"], by_num[n]["t_s"])
        if n + 1 in by_num:
            assert by_num[n + 1]["t_s"] >= m["t_s"] - 0.05 - 0.02, (m["t_s"], by_num[n + 1]["t_s"])


def test_watch_prometheus_exposition_of_a_go_process(server, tmp_path):
    port, pid, stop = server
    res = watch(WatchConfig(target=f"http://127.0.0.1:{port}/metrics", out_dir=tmp_path / "w",
                            hz=20, duration_s=2.0, handle_signals=False))
    gcs = stop()
    ms = jsonl(tmp_path / "w/memstats.jsonl")
    assert len(ms) >= 0.7 * 20 * 2.0
    checked = check_against_gctrace(ms, gcs)
    assert checked >= 0.7 * len(ms)
    # process_resident_memory_bytes became rss samples; t_s counts from process_start_time_seconds
    rows = (tmp_path / "w/rss.csv").read_text().splitlines()[1:]
    assert len(rows) == len(ms)
    rss = [int(r.split(",")[1]) for r in rows]
    assert min(rss) > 24 * MiB  # the live set is resident
    assert res.summary["peak_rss_bytes"] == max(rss)
    assert res.summary["target_kind"] == "prometheus"
    meta = json.loads((tmp_path / "w/meta.json").read_text())
    assert meta["t_s_origin"] == "process start" and 0 < ms[0]["t_s"] < 30


def test_watch_pid_until_it_exits_and_bad_targets(server, tmp_path):
    port, pid, stop = server
    threading.Timer(1.0, lambda: os.kill(pid, signal.SIGTERM)).start()
    res = watch(WatchConfig(target=str(pid), out_dir=tmp_path / "w", hz=50, duration_s=20, handle_signals=False))
    stop()
    s = res.summary
    assert s["stopped"] == f"process {pid} exited"
    assert s["duration_s"] < 5
    assert s["peak_rss_bytes"] > 24 * MiB and s["hwm_bytes"] >= s["peak_rss_bytes"]
    assert s["samples"] >= 0.7 * 50 * 1.0
    with pytest.raises(UsageError, match="no process"):
        watch(WatchConfig(target=str(pid), out_dir=tmp_path / "x", handle_signals=False))
    with pytest.raises(UsageError, match="cannot reach"):
        watch(WatchConfig(target=f"http://127.0.0.1:{port}/debug/vars", out_dir=tmp_path / "y",
                          handle_signals=False, timeout_s=1))
    with pytest.raises(UsageError, match="expected a PID"):
        watch(WatchConfig(target="ftp://x", out_dir=tmp_path / "z", handle_signals=False))
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_cli_watch(server, tmp_path):
    port, pid, stop = server
    r = subprocess.run([sys.executable, "-m", "gomem.cli.main", "watch", f"127.0.0.1:{port}/debug/vars",
                        "--out", str(tmp_path / "w"), "--duration", "1", "--hz", "5", "--json", "--dashboard"],
                       capture_output=True, text=True, timeout=60)
    stop()
    assert r.returncode == 0, r.stderr
    assert "gomem: dashboard at http://127.0.0.1:" in r.stderr
    s = json.loads(r.stdout)
    assert s["target_kind"] == "expvar" and s["memstats_samples"] >= 4
    assert s == json.loads((tmp_path / "w/summary.json").read_text())


def test_cli_watch_stops_on_ctrl_c(server, tmp_path):
    port, pid, stop = server
    p = subprocess.Popen([sys.executable, "-m", "gomem.cli.main", "watch", str(pid), "--out", str(tmp_path / "w"),
                          "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert b"watching" in p.stderr.readline()
    threading.Event().wait(1.0)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    stop()
    assert p.returncode == 0, err.decode()
    s = json.loads(out)
    assert s["stopped"] == "stopped by SIGINT" and s["samples"] >= 20 and s["target_kind"] == "pid"


def test_watch_prometheus_text_recorded_from_client_golang(shared_dir, tmp_path):
    """Real exposition text of a Go service (client_golang's Go and process collectors, from
    the brief's collection of traces) served by a local Python http.server."""
    import http.server

    text = (shared_dir / "wild/prom_pwrstat-exporter-sample-go1.19.3.txt").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        res = watch(WatchConfig(target=f"http://127.0.0.1:{srv.server_address[1]}/metrics", out_dir=tmp_path / "w",
                                hz=10, duration_s=0.5, handle_signals=False))
    finally:
        srv.shutdown()
        srv.server_close()
    want = {}
    for line in text.decode().splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#"):
            want[parts[0]] = float(parts[1])
    ms = jsonl(tmp_path / "w/memstats.jsonl")
    assert len(ms) >= 3
    assert all(m["heap_alloc_bytes"] == int(want["go_memstats_heap_alloc_bytes"]) for m in ms)
    assert ms[0]["num_gc"] == int(want["go_gc_duration_seconds_count"])
    assert ms[0]["next_gc_bytes"] == int(want["go_memstats_next_gc_bytes"])
    assert res.summary["num_gc"] == int(want["go_gc_duration_seconds_count"])
