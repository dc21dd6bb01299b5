"""``gomem run`` on real Go programs (tests/goprogs, built with the project's toolchains):
peak RSS against the kernel's VmHWM, GC counts against gctrace, nothing lost when the child or
gomem is SIGKILLed, signals, exit statuses, output passed through unchanged."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gomem.monitor.runner import RunConfig, run
from gomem.traces import read

pytestmark = pytest.mark.realgo

GOPROGS = Path(__file__).resolve().parent / "goprogs"
GOMEM = [sys.executable, "-m", "gomem.cli.main"]
GC_LINE = re.compile(rb"^gc \d+ @", re.M)


@pytest.fixture(scope="module")
def prog(build_go):
    def get(name: str, minor: str = "1.27") -> str:
        return str(build_go((GOPROGS / f"{name}.go").read_text(), minor))
    return get


def rss_rows(d: Path) -> list[dict]:
    with open(d / "rss.csv") as f:
        return [{k: (float(v) if v else None) for k, v in row.items()} for row in csv.DictReader(f)]


def gomem_run(args, **kw):
    return subprocess.run([*GOMEM, "run", *args], capture_output=True, timeout=120, **kw)


@pytest.mark.parametrize("minor", ["1.27", "1.21", "1.19"])
def test_peak_rss_matches_vmhwm_and_gc_count_matches_gctrace(prog, tmp_path, minor):
    out = tmp_path / "run"
    r = gomem_run(["--out", str(out), "--hz", "50", "--", prog("hold", minor), "150", "600"])
    assert r.returncode == 0, r.stderr.decode()
    s = json.loads((out / "summary.json").read_text())
    stdout = (out / "stdout.log").read_text()
    vmhwm = int(re.search(r"VmHWM (\d+)", stdout)[1])  # the program's own, just before exit
    numgc = int(re.search(r"NumGC (\d+)", stdout)[1])
    assert vmhwm > 150 << 20
    assert abs(s["peak_rss_bytes"] - vmhwm) <= 0.03 * vmhwm, (s["peak_rss_bytes"], vmhwm)
    # and the kernel's own high-water mark, as last sampled, is the program's
    assert abs(s["hwm_bytes"] - vmhwm) <= 0.01 * vmhwm, (s["hwm_bytes"], vmhwm)
    # the kernel's peak at exit (wait4's ru_maxrss): the program's last word on it
    assert abs(s["exit_maxrss_bytes"] - vmhwm) <= 0.01 * vmhwm, (s["exit_maxrss_bytes"], vmhwm)
    assert s["child_cpu_s"] > 0
    stderr = (out / "stderr.log").read_bytes()
    lines = len(GC_LINE.findall(stderr))
    assert lines == numgc > 0
    assert s["num_gc"] == lines
    gcs = [json.loads(x) for x in (out / "gc.jsonl").read_text().splitlines()]
    assert [g["num"] for g in gcs if g["kind"] == "gc"] == list(range(1, numgc + 1))
    assert s["exit_code"] == 0 and s["signal"] is None and s["duration_s"] > 0.4
    assert "memory_limit_bytes" in s
    meta = json.loads((out / "meta.json").read_text())
    assert meta["go_version"] == minor
    assert meta["env"]["GODEBUG"] == "gctrace=1"
    # the samples are every ~20 ms from start to end
    rows = rss_rows(out)
    assert len(rows) >= 0.7 * 50 * s["duration_s"], (len(rows), s["duration_s"])
    assert max(r["rss_bytes"] for r in rows) == s["peak_rss_bytes"]


def test_200hz_works(prog, tmp_path):
    out = tmp_path / "run"
    r = gomem_run(["--out", str(out), "--hz", "200", "--quiet-gc", "--", prog("hold"), "100", "600"])
    assert r.returncode == 0, r.stderr.decode()
    rows = rss_rows(out)
    s = json.loads((out / "summary.json").read_text())
    ts = [r["t_s"] for r in rows]
    gaps = sorted(b - a for a, b in zip(ts, ts[1:]))
    assert len(rows) >= 0.6 * 200 * s["duration_s"], (len(rows), s["duration_s"])
    assert 0.004 <= gaps[len(gaps) // 2] <= 0.006  # median interval 5 ms


def test_output_passes_through_unchanged_and_quiet_gc_hides_gctrace(prog, tmp_path):
    r = gomem_run(["--out", str(tmp_path / "a"), "--", prog("hold"), "40", "0"])
    assert r.returncode == 0
    assert r.stdout == (tmp_path / "a/stdout.log").read_bytes()
    raw_err = (tmp_path / "a/stderr.log").read_bytes()
    assert r.stderr.startswith(raw_err)  # the child's stderr byte for byte, then the summary
    assert raw_err.startswith(b"hold: start\n") and b"hold: done 40\n" in raw_err
    assert GC_LINE.search(raw_err)
    q = gomem_run(["--out", str(tmp_path / "b"), "--quiet-gc", "--", prog("hold"), "40", "0"])
    assert q.returncode == 0
    assert not GC_LINE.search(q.stderr)
    assert b"hold: start\n" in q.stderr and b"hold: done 40\n" in q.stderr
    assert GC_LINE.search((tmp_path / "b/stderr.log").read_bytes())  # still recorded


def test_settings_reach_the_child_environment(tmp_path):
    out = tmp_path / "run"
    r = subprocess.run([*GOMEM, "run", "--out", str(out), "--gogc", "50", "--memlimit", "256MiB",
                        "--godebug", "madvdontneed=1", "--", "sh", "-c", 'echo "$GOGC $GOMEMLIMIT $GODEBUG"'],
                       capture_output=True, timeout=60, env={**os.environ, "GODEBUG": "asyncpreemptoff=1"})
    assert r.returncode == 0
    assert (out / "stdout.log").read_text() == f"50 {256 << 20} asyncpreemptoff=1,madvdontneed=1,gctrace=1\n"
    s = json.loads((out / "summary.json").read_text())
    assert s["gogc"] == 50 and s["gomemlimit_bytes"] == 256 << 20


def _start_grow(prog, out: Path, hz: int = 50):
    p = subprocess.Popen([*GOMEM, "run", "--out", str(out), "--hz", str(hz), "--quiet-gc", "--", prog("grow")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline().decode()  # the child's "ready PID", passed through
    m = re.match(r"ready (\d+)", line)
    assert m, (line, p.stderr.read() if p.poll() is not None else "")
    return p, int(m[1])


def test_child_sigkilled_midrun(prog, tmp_path):
    out = tmp_path / "run"
    p, child = _start_grow(prog, out)
    time.sleep(1.2)
    t_kill = time.time()
    os.kill(child, signal.SIGKILL)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 137, err.decode()
    s = json.loads((out / "summary.json").read_text())
    assert s["signal"] == 9 and s["exit_code"] is None and s["signal_name"] == "SIGKILL"
    assert "killed by SIGKILL" in s["ended"]
    meta = json.loads((out / "meta.json").read_text())
    kill_t_s = t_kill - meta["start_unix_s"]
    rows = rss_rows(out)
    ts = [r["t_s"] for r in rows]
    # every sample up to the kill: no gaps, the last within a few intervals of it
    assert ts[-1] >= kill_t_s - 0.1, (ts[-1], kill_t_s)
    assert max(b - a for a, b in zip(ts, ts[1:])) < 0.25
    assert len(rows) >= 0.7 * 50 * kill_t_s
    assert rows[-1]["rss_bytes"] > 100 << 20  # it had grown
    events = [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines()]
    assert [e["value"] for e in events if e["name"] == "signal"] == [9]


def test_gomem_sigkilled_keeps_all_but_the_last_second(prog, tmp_path):
    out = tmp_path / "run"
    p, child = _start_grow(prog, out)
    try:
        time.sleep(2.5)
        t_kill = time.time()
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=10)
    finally:
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not (out / "summary.json").exists()
    meta = json.loads((out / "meta.json").read_text())
    kill_t_s = t_kill - meta["start_unix_s"]
    rows = rss_rows(out)
    assert rows[-1]["t_s"] >= kill_t_s - 1.0, (rows[-1]["t_s"], kill_t_s)
    assert len(rows) >= 0.7 * 50 * (kill_t_s - 1.0)
    # gctrace and the raw stderr were kept as well, up to about the same moment
    gcs = [json.loads(x) for x in (out / "gc.jsonl").read_text().splitlines()]
    assert gcs and gcs[-1]["t_s"] >= kill_t_s - 1.5
    assert len(GC_LINE.findall((out / "stderr.log").read_bytes())) >= len(gcs)
    tl = read(out)  # what was flushed reads back as a Timeline
    assert len(tl["rss"]) == len(rows) and len(tl["gc"]) == len(gcs)


def test_sigterm_and_sigint_go_to_the_child(prog, tmp_path):
    p, child = _start_grow(prog, tmp_path / "a")
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)  # to gomem: grow catches it, prints "terminating", exits 3
    rest, _ = p.communicate(timeout=30)
    assert p.returncode == 3 and b"terminating" in rest
    s = json.loads((tmp_path / "a/summary.json").read_text())
    assert s["exit_code"] == 3 and s["signal"] is None
    p, child = _start_grow(prog, tmp_path / "b")
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)  # grow counts the SIGINTs it gets: exactly one
    rest, _ = p.communicate(timeout=30)
    assert p.returncode == 4 and b"sigint 1\n" in rest
    events = [json.loads(x) for x in (tmp_path / "b/events.jsonl").read_text().splitlines()]
    assert [e["text"] for e in events if e["name"] == "forwarded_signal"] == ["SIGINT"]


def test_ctrl_c_on_a_terminal_reaches_the_child_once(prog, tmp_path):
    """On a terminal the child shares gomem's process group: the kernel delivers Ctrl-C to
    both, and gomem must not send a second SIGINT."""
    import pty

    binary = prog("grow")
    out = tmp_path / "run"
    pid, fd = pty.fork()
    if pid == 0:  # the child: gomem on a new terminal (a session leader with a pty)
        try:
            os.execv(sys.executable, [*GOMEM, "run", "--out", str(out), "--quiet-gc", "--", binary])
        finally:
            os._exit(99)
    buf = b""

    def read_until(pattern: bytes, timeout: float = 30.0) -> bytes:
        nonlocal buf
        import select

        end = time.monotonic() + timeout
        while pattern not in buf and time.monotonic() < end:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
        return buf

    try:
        assert b"ready" in read_until(b"ready")
        time.sleep(0.3)
        os.write(fd, b"\x03")  # Ctrl-C: the terminal sends SIGINT to its foreground group
        assert b"sigint 1" in read_until(b"recorded in"), buf.decode(errors="replace")
        _, status = os.waitpid(pid, 0)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 4
    assert json.loads((out / "summary.json").read_text())["exit_code"] == 4


def test_go_out_of_memory_is_reported(prog, tmp_path):
    out = tmp_path / "run"
    r = gomem_run(["--out", str(out), "--quiet-gc", "--", "sh", "-c", f"ulimit -v 1000000; exec {prog('oom')}"])
    assert r.returncode == 2  # Go's exit status after a fatal error
    s = json.loads((out / "summary.json").read_text())
    assert s["go_out_of_memory"] is True and "out of memory" in s["go_fatal"]
    assert "out of memory" in s["ended"]
    assert b"out of memory" in r.stderr


def test_tree_sums_the_descendants(prog, tmp_path):
    cmd = ["--", "sh", "-c", f"{prog('hold')} 120 300; true"]
    r = gomem_run(["--out", str(tmp_path / "tree"), "--tree", "--quiet-gc", *cmd])
    assert r.returncode == 0
    alone = gomem_run(["--out", str(tmp_path / "sh"), "--quiet-gc", *cmd])
    assert alone.returncode == 0
    tree = json.loads((tmp_path / "tree/summary.json").read_text())
    sh = json.loads((tmp_path / "sh/summary.json").read_text())
    assert tree["peak_rss_bytes"] > 120 << 20
    assert sh["peak_rss_bytes"] < 20 << 20  # the shell alone
    assert tree["num_gc"] > 0  # the grandchild's gctrace came through the shell's stderr


def test_run_in_process_api(prog, tmp_path):
    """The runner as a library: output to our own buffers, summary returned."""
    import io

    out, err = io.BytesIO(), io.BytesIO()
    res = run(RunConfig(cmd=[prog("hold"), "30", "0"], out_dir=tmp_path / "r", hz=100,
                        stdout=out, stderr=err, forward_signals=False))
    assert res.exit_status == 0 and res.summary["num_gc"] == len(GC_LINE.findall(err.getvalue()))
    assert b"NumGC" in out.getvalue()
    assert res.summary["samples"] == len(rss_rows(tmp_path / "r"))
    # the traces layer reads the run directory back (gomem parse DIR)
    tl = read(tmp_path / "r")
    assert len(tl["gc"]) == res.summary["num_gc"] and len(tl["rss"]) == res.summary["samples"]
    assert int(tl["rss"]["rss_bytes"].max()) == res.summary["peak_rss_bytes"]
    assert tl.meta["go_version"] == "1.27" and tl.meta["settings"]["gogc"] == 100


def test_dashboard_serves_while_the_child_runs(prog, tmp_path):
    import urllib.request

    p = subprocess.Popen([*GOMEM, "run", "--dashboard", "--port", "0", "--quiet-gc", "--out", str(tmp_path / "r"),
                          "--", prog("grow")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = None
        for _ in range(20):
            line = p.stderr.readline().decode()
            m = re.search(r"dashboard at (http://127\.0\.0\.1:\d+/\S*)", line)
            if m:
                url = m[1]
                break
        assert url, "gomem printed the dashboard's URL"
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.status == 200 and b"<html" in resp.read().lower()
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=30)
    assert p.returncode == 3  # grow's answer to SIGTERM, forwarded
    assert json.loads((tmp_path / "r/summary.json").read_text())["exit_code"] == 3


def test_go_run_is_watched_as_a_tree_and_its_childs_death_reported(go127, tmp_path):
    """The seed's way: `go run .`. The go command runs the program as its child (so gomem
    samples the tree), traces its own GCs first (so num_gc counts the program's), and says
    "signal: killed" when the program is killed (the OOM killer's way)."""
    from gomem import toolchains

    src = tmp_path / "src"
    src.mkdir()
    (src / "go.mod").write_text("module prog\n\ngo 1.19\n")
    (src / "main.go").write_text((GOPROGS / "grow.go").read_text())
    env = {**toolchains.go_env(go127), "PATH": f"{go127.parent}:{os.environ['PATH']}"}
    out = tmp_path / "run"
    p = subprocess.Popen([*GOMEM, "run", "--out", str(out), "--quiet-gc", "--", "go", "run", "."], cwd=src,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline().decode()
    assert line.startswith("ready "), (line, p.stderr.read() if p.poll() is not None else "")
    time.sleep(1.2)
    os.kill(int(line.split()[1]), signal.SIGKILL)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 1, err.decode()  # go run's exit status when its child was killed
    assert b"sampling the process tree" in err
    s = json.loads((out / "summary.json").read_text())
    assert s["tree"] is True and s["exit_code"] == 1
    assert s["child_signal"] == "killed" and "its child was killed" in s["ended"]
    assert s["peak_rss_bytes"] > 100 << 20  # the program's live set, through the tree
    stderr = (out / "stderr.log").read_bytes()
    last_run = stderr[stderr.rfind(b"gc 1 @"):]
    assert s["num_gc"] == len(GC_LINE.findall(last_run)) > 0
