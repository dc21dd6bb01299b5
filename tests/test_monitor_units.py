"""gomem.monitor's parts on their own: environment, cgroups (fake trees and this machine's),
/proc sampling (a fake /proc root and this process), the sampling loop on a fake clock, the
recorder's layout and flushing, summaries. Real Go runs are in test_monitor_run.py."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from gomem.errors import UsageError
from gomem.monitor.cgroup import CgroupInfo
from gomem.monitor.loop import SamplingLoop
from gomem.monitor.procfs import ProcSampler, proc_descendants, psutil_descendants, read_status
from gomem.monitor.recorder import RSS_COLUMNS, Recorder
from gomem.monitor.runner import (CommandNotFound, go_env, merge_godebug, resolve_command,
                                  settings_of)
from gomem.monitor.summary import Tally

GOMEM = [sys.executable, "-m", "gomem.cli.main"]


# -- environment -------------------------------------------------------------------------------
def test_godebug_merges_gctrace_into_the_users_settings():
    assert merge_godebug("madvdontneed=1", "scavtrace=1") == "madvdontneed=1,scavtrace=1,gctrace=1"
    assert merge_godebug(None, None) == "gctrace=1"
    # later settings win; a gctrace the user asked for is kept, gctrace=0 is not
    assert merge_godebug("gctrace=2,x=1", "x=2") == "gctrace=2,x=2"
    assert merge_godebug("gctrace=0", None) == "gctrace=1"
    with pytest.raises(UsageError, match="key=value"):
        merge_godebug("nonsense", None)


def test_go_env_passes_gogc_and_memlimit():
    env = go_env({"PATH": "/bin", "GODEBUG": "madvdontneed=1"}, gogc="off", memlimit="512MiB", godebug="x=1")
    assert env["GOGC"] == "off" and env["GOMEMLIMIT"] == str(512 << 20)
    assert env["GODEBUG"] == "madvdontneed=1,x=1,gctrace=1" and env["PATH"] == "/bin"
    s = settings_of({**env, "GOMAXPROCS": "3"})
    assert s == {"gogc": None, "memory_limit_bytes": 512 << 20, "gomaxprocs": 3,
                 "godebug": "madvdontneed=1,x=1,gctrace=1"}
    assert settings_of({"GOGC": "50"})["gogc"] == 50 and settings_of({})["gogc"] == 100
    with pytest.raises(UsageError, match="--memlimit"):
        go_env({}, memlimit="lots")
    with pytest.raises(UsageError, match="--gogc"):
        go_env({}, gogc="-5")


def test_resolve_command_not_found():
    with pytest.raises(CommandNotFound) as e:
        resolve_command(["gomem-no-such-command-xyz"], {"PATH": "/usr/bin:/bin"})
    assert e.value.exit_code == 127
    assert resolve_command(["sh"], {"PATH": "/usr/bin:/bin"}).endswith("/sh")


def test_cli_run_of_a_missing_command_exits_127_without_traceback(tmp_path):
    r = subprocess.run([*GOMEM, "run", "--out", str(tmp_path / "r"), "--", "gomem-no-such-command-xyz", "a"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 127
    assert "command not found: gomem-no-such-command-xyz" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "r").exists()  # nothing recorded for a run that never started


# -- cgroups -----------------------------------------------------------------------------------
def _write(p: Path, text: str) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def test_cgroup_v2_limit_is_the_smallest_on_the_way_up(tmp_path):
    _write(tmp_path / "proc/42/cgroup", "0::/system.slice/app.service\n")
    _write(tmp_path / "proc/42/mountinfo",
           "24 1 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n")
    cg = tmp_path / "sys/fs/cgroup"
    _write(cg / "system.slice/app.service/memory.max", "max\n")
    _write(cg / "system.slice/memory.max", "1073741824\n")
    _write(cg / "system.slice/app.service/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    info = CgroupInfo.of(42, root=tmp_path)
    assert [d.version for d in info.dirs] == [2]
    assert info.memory_limit_bytes() == 1 << 30
    assert info.oom_kills() == 1
    # a tighter limit deeper down wins
    _write(cg / "system.slice/app.service/memory.max", "268435456\n")
    assert info.memory_limit_bytes() == 256 << 20
    # the OOM killer strikes: the count rises
    _write(cg / "system.slice/app.service/memory.events", "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\n")
    assert info.oom_kills() == 2


def test_cgroup_v1_hybrid_and_namespaced_mounts(tmp_path):
    # v1 memory controller (as on this machine), a v2 hierarchy beside it without memory
    _write(tmp_path / "proc/7/cgroup", "4:memory:/process_api/abc\n1:cpu:/\n0::/\n")
    _write(tmp_path / "proc/7/mountinfo",
           "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
           "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n")
    mem = tmp_path / "sys/fs/cgroup/memory"
    _write(mem / "process_api/abc/memory.limit_in_bytes", "9223372036854771712\n")  # none
    _write(mem / "process_api/memory.limit_in_bytes", "536870912\n")
    _write(mem / "memory.limit_in_bytes", "9223372036854771712\n")
    _write(mem / "process_api/abc/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n")
    (tmp_path / "sys/fs/cgroup/unified").mkdir(parents=True)
    info = CgroupInfo.of(7, root=tmp_path)
    assert info.memory_limit_bytes() == 512 << 20
    assert info.oom_kills() == 0
    # inside a cgroup namespace the mount's root is the cgroup itself
    _write(tmp_path / "proc/8/cgroup", "0::/\n")
    _write(tmp_path / "proc/8/mountinfo", "30 25 0:26 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
    _write(tmp_path / "sys/fs/cgroup/memory.max", "2147483648\n")
    assert CgroupInfo.of(8, root=tmp_path).memory_limit_bytes() == 2 << 30
    # no cgroup file at all: no dirs, no limit, no error
    assert CgroupInfo.of(9, root=tmp_path).memory_limit_bytes() is None


def test_cgroup_of_this_machine_agrees_with_its_files():
    info = CgroupInfo.of("self")
    assert info.dirs, "this Linux process should be in a memory cgroup"
    for d in info.dirs:
        assert d.path.is_dir()
    limit = info.memory_limit_bytes()
    assert limit is None or limit > 0
    d = info.dirs[0]
    leaf = d.path / ("memory.max" if d.version == 2 else "memory.limit_in_bytes")
    raw = leaf.read_text().strip()
    if raw != "max" and int(raw) < (1 << 62):
        assert limit is not None and limit <= int(raw)


# -- /proc -------------------------------------------------------------------------------------
STATUS = """Name:\tprog
State:\tS (sleeping)
VmPeak:\t  900000 kB
VmHWM:\t  409600 kB
VmRSS:\t  204800 kB
RssAnon:\t  200000 kB
RssFile:\t    4800 kB
"""


def test_proc_sampler_on_a_fake_proc_root(tmp_path):
    _write(tmp_path / "100/status", STATUS)
    _write(tmp_path / "100/smaps_rollup", "55-77 ---p 00000000 00:00 0 [rollup]\nRss: 204800 kB\nPss: 150000 kB\n")
    _write(tmp_path / "101/status", STATUS.replace("204800", "1000").replace("200000", "900"))
    now = [0.0]
    s = ProcSampler(100, proc_root=str(tmp_path), clock=lambda: now[0])
    r = s.sample(1.5)
    assert r == {"kind": "rss", "t_s": 1.5, "rss_bytes": 204800 * 1024, "pss_bytes": 150000 * 1024,
                 "anon_bytes": 200000 * 1024, "hwm_bytes": 409600 * 1024}
    # PSS (a page-table walk) is rate limited: not again 100 ms later, again 200 ms later
    now[0] = 0.1
    assert s.sample(1.6)["pss_bytes"] is None
    now[0] = 0.2
    assert s.sample(1.7)["pss_bytes"] == 150000 * 1024
    # the tree: RSS and anon summed, no single high-water mark
    t = ProcSampler(100, tree=True, proc_root=str(tmp_path), clock=lambda: now[0], descendants=lambda pid: [101])
    r = t.sample(2.0)
    assert r["rss_bytes"] == (204800 + 1000) * 1024 and r["anon_bytes"] == (200000 + 900) * 1024
    assert r["hwm_bytes"] is None
    # a zombie has no Vm lines; a vanished process no directory: both end the sampling
    _write(tmp_path / "100/status", "Name:\tprog\nState:\tZ (zombie)\n")
    assert s.sample(3.0) is None
    assert ProcSampler(555, proc_root=str(tmp_path)).sample(0.0) is None


def test_proc_sampler_reads_this_process():
    p = psutil.Process()
    ballast = bytearray(64 << 20)  # 64 MiB, written so it is resident
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    r = ProcSampler(os.getpid()).sample(0.0)
    rss = p.memory_info().rss
    assert abs(r["rss_bytes"] - rss) < 4 << 20
    assert r["hwm_bytes"] >= r["rss_bytes"] >= 64 << 20
    assert r["anon_bytes"] >= 64 << 20
    assert r["pss_bytes"] is not None and r["pss_bytes"] >= 60 << 20
    st = read_status(f"/proc/{os.getpid()}/status")
    assert set(st) == {"VmRSS", "RssAnon", "VmHWM"}
    del ballast


# -- the loop ----------------------------------------------------------------------------------
class FakeClock:
    def __init__(self):
        self.t = 100.0
        self.sleeps = []

    def __call__(self):
        return self.t

    def sleep(self, s):
        assert s >= 0
        self.sleeps.append(s)
        self.t += s


def test_sampling_loop_keeps_a_fixed_schedule_on_a_fake_clock():
    clk = FakeClock()
    ticks = []
    loop = SamplingLoop(10, clock=clk, sleep=clk.sleep)
    stats = loop.run(lambda now: ticks.append(round(now - 100.0, 9)) or True, until=101.0)
    assert ticks == [round(0.1 * k, 9) for k in range(10)]
    assert stats.ticks == 10 and stats.skipped == 0


def test_sampling_loop_skips_late_slots_instead_of_bursting():
    clk = FakeClock()
    ticks = []

    def slow(now):
        ticks.append(round(now - 100.0, 9))
        clk.t += 0.25  # a tick that takes 2.5 intervals
        return len(ticks) < 4

    stats = SamplingLoop(10, clock=clk, sleep=clk.sleep).run(slow)
    assert ticks == [0.0, 0.3, 0.6, 0.9]
    assert stats.skipped == 6
    # stop() and idle(): idle runs after every tick and during long sleeps
    clk2 = FakeClock()
    idles = []
    n = []
    SamplingLoop(0.5, clock=clk2, sleep=clk2.sleep, max_sleep_s=0.25).run(
        lambda now: n.append(now) or True, idle=lambda: idles.append(clk2.t), stop=lambda: len(n) >= 2)
    assert len(n) == 2 and max(clk2.sleeps) <= 0.25 and len(idles) >= 8


# -- the recorder ------------------------------------------------------------------------------
def test_recorder_layout_and_flush_interval(tmp_path):
    clk = FakeClock()
    out = tmp_path / "run"
    rec = Recorder(out, {"cmd": ["x"], "start_unix_s": 1.0}, flush_interval_s=0.5, clock=clk)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["meta.json", "stdout.log", "stderr.log", "rss.csv", "gc.jsonl", "memstats.jsonl", "events.jsonl"])
    meta = json.loads((out / "meta.json").read_text())
    assert meta["format"] == "gomem-run" and meta["version"] == 1 and meta["cmd"] == ["x"]
    rec.record({"kind": "rss", "t_s": 0.02, "rss_bytes": 4096, "pss_bytes": None, "anon_bytes": 10, "hwm_bytes": 4096})
    rec.record({"kind": "gc", "num": 1, "t_s": 0.01, "heap_live_bytes": 4 << 20})
    rec.stderr(b"gc 1 @0.01s ...\n")
    # not yet flushed: another reader sees only the header
    assert (out / "rss.csv").read_text() == ",".join(RSS_COLUMNS) + "\n"
    assert (out / "gc.jsonl").read_bytes() == b""
    clk.t += 0.5
    rec.maybe_flush()
    rows = list(csv.DictReader((out / "rss.csv").open()))
    assert rows == [{"t_s": "0.020000", "rss_bytes": "4096", "pss_bytes": "", "anon_bytes": "10", "hwm_bytes": "4096"}]
    assert json.loads((out / "gc.jsonl").read_text())["heap_live_bytes"] == 4 << 20
    assert (out / "stderr.log").read_bytes() == b"gc 1 @0.01s ...\n"
    # a write after the interval flushes by itself
    clk.t += 0.6
    rec.event("exit", 1.0, value=0)
    assert json.loads((out / "events.jsonl").read_text())["name"] == "exit"
    rec.close({"peak_rss_bytes": 4096, "num_gc": 1})
    assert json.loads((out / "summary.json").read_text()) == {"peak_rss_bytes": 4096, "num_gc": 1}
    with pytest.raises(UsageError, match="already exists"):
        Recorder(out, {})


# -- summaries ---------------------------------------------------------------------------------
def test_tally_summary_says_how_it_ended():
    t = Tally()
    for i, rss in enumerate([10, 30, 20]):
        t.observe({"kind": "rss", "t_s": i * 0.1, "rss_bytes": rss << 20, "hwm_bytes": 30 << 20})
    t.observe({"kind": "gc", "heap_start_bytes": 8 << 20, "heap_end_bytes": 9 << 20, "gc_cpu_percent": 3.0})
    t.observe({"kind": "event", "name": "fatal", "text": "runtime: out of memory"})
    s = t.summary(exit_code=None, signal=9, oom_kill=True, duration_s=1.0, memory_limit_bytes=None)
    assert s["peak_rss_bytes"] == 30 << 20 and s["peak_rss_t_s"] == 0.1
    assert s["num_gc"] == 1 and s["peak_heap_bytes"] == 9 << 20 and s["gc_cpu_percent"] == 3.0
    assert s["signal_name"] == "SIGKILL" and s["go_out_of_memory"] is True
    assert "killed by SIGKILL" in s["ended"] and "OOM killer" in s["ended"] and "out of memory" in s["ended"]
    assert Tally().summary(exit_code=0, signal=None)["ended"] == "exit code 0"


def test_descendants_from_the_kernels_children_lists_match_psutil():
    p = subprocess.Popen(["sh", "-c", "sleep 5 & (sleep 5 & wait) & wait"])
    try:
        import time

        want = []
        for _ in range(100):  # until the shells have forked
            want = sorted(psutil_descendants(p.pid))
            if len(want) == 3:
                break
            time.sleep(0.02)
        assert len(want) == 3  # sleep, the subshell and its sleep
        got = proc_descendants(p.pid)
        if os.path.exists(f"/proc/{p.pid}/task/{p.pid}/children"):
            assert sorted(got) == want
        else:  # a kernel without CONFIG_PROC_CHILDREN: None, and the sampler falls back to psutil
            assert got is None
    finally:
        p.kill()
        for c in psutil.Process(p.pid).children(recursive=True) if psutil.pid_exists(p.pid) else []:
            c.kill()
        p.wait()


def test_process_start_time_to_the_tick():
    import time

    from gomem.monitor.procfs import process_start_unix_s

    before = time.time()
    p = subprocess.Popen(["sleep", "2"])
    after = time.time()
    try:
        t = process_start_unix_s(p.pid)
        # the kernel's start time has 10 ms ticks (psutil's create_time can be a second off)
        assert before - 0.02 <= t <= after + 0.02, (before, t, after)
    finally:
        p.kill()
        p.wait()
    assert process_start_unix_s(p.pid) is None  # reaped: no such process


def test_run_reports_an_oom_kill_when_the_cgroup_count_rises(tmp_path):
    """The kernel's part played by a shell: it bumps the (fake) cgroup's oom_kill count and
    SIGKILLs itself, as the OOM killer would."""
    from gomem.monitor.runner import RunConfig, run

    root = tmp_path / "root"
    _write(root / "proc/self/cgroup", "0::/app\n")
    _write(root / "proc/self/mountinfo", "24 1 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
    events = root / "sys/fs/cgroup/app/memory.events"
    _write(events, "oom 0\noom_kill 0\n")
    _write(root / "sys/fs/cgroup/app/memory.max", "104857600\n")
    import io

    res = run(RunConfig(cmd=["sh", "-c", f"printf 'oom 1\\noom_kill 1\\n' > {events}; kill -9 $$"],
                        out_dir=tmp_path / "r", cgroup_root=str(root), stdout=io.BytesIO(),
                        stderr=io.BytesIO(), forward_signals=False))
    s = res.summary
    assert res.exit_status == 137 and s["signal"] == 9 and s["oom_kill"] is True
    assert s["memory_limit_bytes"] == 100 << 20
    assert "OOM killer" in s["ended"]
    names = [json.loads(x)["name"] for x in (tmp_path / "r/events.jsonl").read_text().splitlines()]
    assert names == ["start", "memory_limit", "oom_kill", "signal", "exit"]
