"""``gomem run``: start a program, pass its output through, parse its gctrace, sample its
memory, record everything to a run directory without loss, and say how it ended.

The pieces, each testable alone:
- :func:`go_env` builds the child's environment (GODEBUG merged, GOGC, GOMEMLIMIT);
- :class:`StreamPump` (a thread) copies the child's stdout/stderr to ours unchanged and in
  order, saves the raw bytes, and hands each stderr line to the gctrace parser;
- :class:`~gomem.monitor.procfs.ProcSampler` reads /proc; :class:`~.loop.SamplingLoop` times it;
- :class:`~.recorder.Recorder` writes the run directory (the only writer);
- :func:`run` wires them together and forwards SIGINT/SIGTERM to the child.

Signals: when our stdin is a terminal the child stays in our process group (so it can read
the terminal), and a Ctrl-C from the terminal reaches it directly from the kernel: we do not
send a second SIGINT/SIGQUIT (a Go server that shuts down gracefully on the first would
take a second as "force quit"). SIGTERM and SIGHUP are always forwarded. Otherwise the child
gets its own process group and every one of those signals is forwarded to that group.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, Callable

import psutil

from ..errors import GomemError, UsageError
from ..traces.gctrace import GctraceParser  # imported here, not after the start: no delay then
from ..units import MAX_INT64, parse_size
from .cgroup import CgroupInfo
from .goversion import go_version_of
from .loop import SamplingLoop
from .procfs import ProcSampler
from .recorder import Recorder
from .summary import Tally

#: Environment variables of the Go runtime worth keeping in meta.json (never the whole
#: environment: it may hold secrets).
GO_ENV_KEYS = ("GOGC", "GOMEMLIMIT", "GODEBUG", "GOMAXPROCS", "GOTRACEBACK")


#: samples are parsed and recorded in batches this often (see _run_child)
BATCH_S = 0.25


class CommandNotFound(GomemError):
    exit_code = 127  # as a shell says "command not found"


class CommandNotExecutable(GomemError):
    exit_code = 126


# -- environment -------------------------------------------------------------------------------
def merge_godebug(*settings: str | None, gctrace: bool = True) -> str:
    """Merge comma-separated ``k=v`` GODEBUG settings, later ones winning, keeping the order
    of first appearance; ``gctrace=1`` is added unless a setting already asks for a gctrace
    (``gctrace=2`` is kept: it is a gctrace too)."""
    merged: dict[str, str] = {}
    for s in settings:
        for item in (s or "").split(","):
            item = item.strip()
            if not item:
                continue
            k, sep, v = item.partition("=")
            if not sep or not k:
                raise UsageError(f"GODEBUG setting {item!r} is not key=value (e.g. gctrace=1,madvdontneed=1)")
            merged.pop(k, None)
            merged[k] = v
    if gctrace:
        cur = merged.get("gctrace", "0")
        if not cur.isdigit() or int(cur) < 1:
            merged["gctrace"] = "1"
    return ",".join(f"{k}={v}" for k, v in merged.items())


def _parse_gogc(text: str | None) -> int | None | str:
    """``"off"`` -> None; a number -> int. Mirrors runtime/mgcpacer.go readGOGC (Go 1.19+):
    "off" disables, anything else is atoi'd (invalid -> 100)."""
    if text is None:
        return 100
    t = text.strip()
    if t == "off":
        return None
    try:
        return int(t)
    except ValueError:
        return 100


def go_env(base: dict[str, str], *, gogc: str | None = None, memlimit: str | None = None,
           godebug: str | None = None, gctrace: bool = True) -> dict[str, str]:
    """The child's environment: ``base`` plus GODEBUG (gctrace=1 merged into the user's),
    GOGC and GOMEMLIMIT from the options."""
    env = dict(base)
    env["GODEBUG"] = merge_godebug(base.get("GODEBUG"), godebug, gctrace=gctrace)
    if gogc is not None:
        g = str(gogc).strip().lower()
        if g != "off":
            try:
                if int(g) < 0:
                    raise ValueError
            except ValueError:
                raise UsageError(f"--gogc {gogc!r}: expected a non-negative integer or 'off'") from None
        env["GOGC"] = g
    if memlimit is not None:
        m = str(memlimit).strip()
        if m.lower() == "off":
            env["GOMEMLIMIT"] = "off"
        else:
            try:
                env["GOMEMLIMIT"] = str(parse_size(m))
            except ValueError as e:
                raise UsageError(f"--memlimit: {e}") from None
    return env


def settings_of(env: dict[str, str]) -> dict[str, Any]:
    """The Go settings the child runs with (meta ``settings``)."""
    ml = env.get("GOMEMLIMIT")
    limit = None
    if ml and ml.strip().lower() != "off":
        try:
            v = parse_size(ml)
            limit = None if v >= MAX_INT64 else v
        except ValueError:
            limit = None
    try:
        procs = int(env["GOMAXPROCS"]) if env.get("GOMAXPROCS") else len(os.sched_getaffinity(0))
    except (ValueError, AttributeError):
        procs = os.cpu_count() or 1
    return {"gogc": _parse_gogc(env.get("GOGC")), "memory_limit_bytes": limit,
            "gomaxprocs": procs, "godebug": env.get("GODEBUG", "")}


def mem_total_bytes() -> int | None:
    """The machine's RAM (what bounds a program when no cgroup limit does)."""
    try:
        return int(psutil.virtual_memory().total)
    except (psutil.Error, OSError):
        return None


def is_go_run(cmd: list[str]) -> bool:
    return len(cmd) >= 2 and os.path.basename(cmd[0]) == "go" and cmd[1] == "run"


def resolve_command(cmd: list[str], env: dict[str, str]) -> str:
    if not cmd:
        raise UsageError("no command to run: gomem run [options] -- CMD ARGS...")
    exe = cmd[0]
    if os.sep in exe:
        if not os.path.exists(exe):
            raise CommandNotFound(f"command not found: {exe}")
        if os.path.isdir(exe) or not os.access(exe, os.X_OK):
            raise CommandNotExecutable(f"{exe} is not an executable file")
        return exe
    found = shutil.which(exe, path=env.get("PATH", os.defpath))
    if found is None:
        raise CommandNotFound(f"command not found: {exe} (not in PATH)")
    return found


def new_run_dir(name: str, base: str | os.PathLike = "gomem-runs") -> Path:
    """A fresh ``base/<timestamp>-<name>[-N]`` path (not created)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    p = Path(base) / f"{stamp}-{name}"
    n = 2
    while p.exists():
        p = Path(base) / f"{stamp}-{name}-{n}"
        n += 1
    return p


def default_out_dir(cmd: list[str], base: str | os.PathLike = "gomem-runs") -> Path:
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(cmd[0]).name)[:40] if cmd else "run"
    return new_run_dir(name, base)


# -- streams -----------------------------------------------------------------------------------
class StreamPump(threading.Thread):
    """Copies the child's stdout and stderr pipes to ``out``/``err`` as the bytes arrive
    (one thread, one select loop: the two streams keep the order in which the kernel hands
    them over), saves them raw, and passes each complete stderr line to ``on_line``, which
    returns True to keep the line off the terminal (``--quiet-gc``)."""

    def __init__(self, stdout_fd: int, stderr_fd: int, out: BinaryIO, err: BinaryIO,
                 recorder: Recorder, on_line: Callable[[bytes], bool], *, hide_lines: bool = False):
        super().__init__(name="gomem-pump", daemon=True)
        self.fds = {stdout_fd: "stdout", stderr_fd: "stderr"}
        self.out, self.err = out, err
        self.recorder = recorder
        self.on_line = on_line
        self.hide_lines = hide_lines
        self._partial = b""
        self._halt = threading.Event()
        self._broken: set[str] = set()

    def stop(self) -> None:
        self._halt.set()

    def _emit(self, name: str, data: bytes) -> None:
        if name in self._broken or not data:
            return
        f = self.out if name == "stdout" else self.err
        try:
            f.write(data)
            f.flush()
        except (BrokenPipeError, ValueError, OSError):
            self._broken.add(name)  # our reader went away; keep recording

    def _on_stderr(self, data: bytes) -> None:
        self.recorder.stderr(data)
        if not self.hide_lines:
            self._emit("stderr", data)
        buf = self._partial + data
        lines = buf.split(b"\n")
        self._partial = lines.pop()
        shown = []
        for line in lines:
            hide = self.on_line(line)
            if self.hide_lines and not hide:
                shown.append(line + b"\n")
        if shown:
            self._emit("stderr", b"".join(shown))

    def _finish(self) -> None:
        if self._partial:
            hide = self.on_line(self._partial)
            if self.hide_lines and not hide:
                self._emit("stderr", self._partial)
            self._partial = b""

    def run(self) -> None:
        sel = selectors.DefaultSelector()
        for fd in self.fds:
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        open_fds = set(self.fds)
        try:
            while open_fds and not self._halt.is_set():
                for key, _ in sel.select(timeout=0.5):
                    fd = key.fd
                    try:
                        data = os.read(fd, 65536)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        sel.unregister(fd)
                        open_fds.discard(fd)
                        continue
                    if self.fds[fd] == "stdout":
                        self.recorder.stdout(data)
                        self._emit("stdout", data)
                    else:
                        self._on_stderr(data)
            # stopped with data still buffered in the pipes: take what is there
            for fd in list(open_fds):
                while True:
                    try:
                        data = os.read(fd, 65536)
                    except OSError:
                        break
                    if not data:
                        break
                    if self.fds[fd] == "stdout":
                        self.recorder.stdout(data)
                        self._emit("stdout", data)
                    else:
                        self._on_stderr(data)
        finally:
            self._finish()
            sel.close()


#: what the stderr parser yields that goes to gc.jsonl / events.jsonl; scav (scavtrace) records
#: are read back from stderr.log by gomem.traces (its run-directory reader takes them from there)
RECORDED_KINDS = ("gc", "event")


class StderrLines:
    """Turns the child's stderr lines into records: gctrace, scavtrace and Go's
    ``fatal error:`` lines (via the traces layer's GctraceParser), ``panic:`` lines as events."""

    def __init__(self, recorder: Recorder, tally: Tally, clock_t_s: Callable[[], float]):
        self.parser = GctraceParser()
        self.recorder = recorder
        self.tally = tally
        self.clock_t_s = clock_t_s
        self.lineno = 0
        self.lock = threading.Lock()

    def _record(self, rec: dict, now: float | None = None) -> None:
        if rec.get("t_s") is None:
            rec = {**rec, "t_s": now if now is not None else self.clock_t_s()}
        self.recorder.record(rec)
        self.tally.observe(rec)

    def __call__(self, raw: bytes) -> bool:
        """Handle one line; True if it is a gctrace line (hidden with --quiet-gc)."""
        with self.lock:
            self.lineno += 1
            line = raw.decode("utf-8", "replace").rstrip("\r")
            now = self.clock_t_s()
            is_gc = False
            try:
                recs = self.parser.feed(line, self.lineno)
            except GomemError:
                recs = []  # a line that looks like gctrace but is not: the program's own output
            for rec in recs:
                if rec.get("kind") == "gc":
                    is_gc = True
                if rec.get("kind") in RECORDED_KINDS:
                    self._record(rec, now)
            # Go's "fatal error: ..." lines come from the parser as events named "fatal"
            if line.startswith("panic: "):
                self._record({"kind": "event", "t_s": now, "name": "panic", "value": None, "text": line.strip()})
            return is_gc

    def finish(self) -> None:
        with self.lock:
            try:
                recs = self.parser.finish() or []
            except GomemError:
                recs = []
            for rec in recs:
                if rec.get("kind") in RECORDED_KINDS:
                    self._record(rec)


# -- the run -----------------------------------------------------------------------------------
@dataclass
class RunConfig:
    cmd: list[str]
    out_dir: Path | None = None
    hz: float = 50.0
    tree: bool = False
    gogc: str | None = None
    memlimit: str | None = None
    godebug: str | None = None
    quiet_gc: bool = False
    proc_root: str = "/proc"
    cgroup_root: str = "/"
    flush_interval_s: float = 0.5
    stdout: BinaryIO | None = None  # default: our stdout/stderr
    stderr: BinaryIO | None = None
    env: dict[str, str] | None = None  # default: os.environ
    forward_signals: bool = True


@dataclass
class RunResult:
    summary: dict[str, Any]
    exit_status: int  # what gomem exits with: the child's code, or 128+signal
    out_dir: Path
    loop_stats: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def _forwarded_signals(same_group: bool) -> list[int]:
    sigs = [signal.SIGTERM, signal.SIGHUP]
    if not same_group:
        sigs += [signal.SIGINT, signal.SIGQUIT]
    return sigs


def run(cfg: RunConfig, *, on_start: Callable[[Path], None] | None = None,
        clock: Callable[[], float] = time.monotonic) -> RunResult:
    if not (0 < cfg.hz <= 1000):
        raise UsageError(f"--hz {cfg.hz}: expected a rate between 0 and 1000 samples per second")
    if not cfg.tree and is_go_run(cfg.cmd):
        # `go run` builds, then runs the program as its child: the memory to watch is the tree's
        cfg = replace(cfg, tree=True)
        (cfg.stderr or sys.stderr.buffer).write(b"gomem: `go run` runs the program as its child: "
                                                b"sampling the process tree (--tree)\n")
    base_env = dict(os.environ if cfg.env is None else cfg.env)
    env = go_env(base_env, gogc=cfg.gogc, memlimit=cfg.memlimit, godebug=cfg.godebug)
    exe = resolve_command(list(cfg.cmd), env)
    out_dir = Path(cfg.out_dir) if cfg.out_dir is not None else default_out_dir(cfg.cmd)
    out = cfg.stdout or sys.stdout.buffer
    err = cfg.stderr or sys.stderr.buffer

    cg = CgroupInfo.of("self", root=cfg.cgroup_root)
    limit = cg.memory_limit_bytes()
    oom_before = cg.oom_kills()
    settings = settings_of(env)
    go_version = go_version_of(exe)
    meta = {
        "cmd": list(cfg.cmd), "executable": os.path.abspath(exe),
        "env": {k: env[k] for k in GO_ENV_KEYS if k in env},
        "settings": settings, "go_version": _minor(go_version), "go_version_full": go_version,
        "memory_limit_bytes": limit, "container_limit_bytes": limit, "mem_total_bytes": mem_total_bytes(),
        "cgroup": cg.to_dict(), "hz": cfg.hz, "tree": cfg.tree,
        "start_unix_s": None, "pid": None, "source": "gomem run",
    }
    rec = Recorder(out_dir, meta, flush_interval_s=cfg.flush_interval_s, clock=clock)
    tally = Tally()

    stdin_tty = False
    try:
        stdin_tty = os.isatty(0)
    except OSError:
        pass
    same_group = stdin_tty

    # signals: forward to the child (see the module docstring). Installed before anything
    # else can take time (the dashboard, the start), so a signal that comes early is kept and
    # delivered as soon as the child exists.
    state: dict[str, Any] = {"child": None, "pending": [], "t0": clock()}
    old_handlers: dict[int, Any] = {}

    def deliver(signum: int) -> None:
        child = state["child"]
        if child is None:
            state["pending"].append(signum)
            return
        if state.get("exited"):
            return
        try:
            if same_group:
                os.kill(child.pid, signum)
            else:
                os.killpg(child.pid, signum)
        except ProcessLookupError:
            return
        rec.event("forwarded_signal", clock() - state["t0"], value=signum, text=signal.Signals(signum).name)

    if cfg.forward_signals and threading.current_thread() is threading.main_thread():
        def forward(signum, frame):
            deliver(signum)

        def ignore_tty_signal(signum, frame):
            pass  # the terminal sent it to the child too

        for sig_ in _forwarded_signals(same_group):
            old_handlers[sig_] = signal.signal(sig_, forward)
        if same_group:
            for sig_ in (signal.SIGINT, signal.SIGQUIT):
                old_handlers[sig_] = signal.signal(sig_, ignore_tty_signal)
    try:
        return _run_child(cfg, exe, env, rec, tally, meta, settings, limit, cg, oom_before, out, err,
                          same_group, state, deliver, on_start, clock)
    finally:
        for sig_, h in old_handlers.items():
            signal.signal(sig_, h)


def _run_child(cfg, exe, env, rec, tally, meta, settings, limit, cg, oom_before, out, err,
               same_group, state, deliver, on_start, clock) -> RunResult:
    if on_start is not None:
        try:
            on_start(rec.dir)
        except BaseException:
            rec.close()
            raise
    # everything that takes time is made before the start, so the first sample is immediate
    t0_box = [clock()]
    lines = StderrLines(rec, tally, lambda: clock() - t0_box[0])
    t0 = t0_box[0] = clock()
    start_unix = time.time()
    try:
        child = subprocess.Popen([exe, *cfg.cmd[1:]], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, process_group=None if same_group else 0)
    except OSError as e:
        rec.close()
        if isinstance(e, FileNotFoundError):
            raise CommandNotFound(f"command not found: {cfg.cmd[0]}") from None
        if isinstance(e, PermissionError):
            raise CommandNotExecutable(f"{cfg.cmd[0]}: permission denied") from None
        raise UsageError(f"cannot start {cfg.cmd[0]}: {e.strerror or e}") from None
    state["t0"] = t0
    sampler = ProcSampler(child.pid, tree=cfg.tree, proc_root=cfg.proc_root, clock=clock)

    # Each tick only reads (sample_raw); the samples are parsed, recorded and tallied in
    # batches every BATCH_S (warm caches: half the CPU a sample costs at 100 Hz), and the
    # recorder flushes every flush_interval_s: a sample reaches the disk within
    # BATCH_S + flush_interval_s (0.75 s).
    pending: list = []

    def drain() -> None:
        for raw in pending:
            r = sampler.cook(raw)
            if r is not None:
                rec.record(r)
                tally.observe(r)
        pending.clear()
        rec.maybe_flush()

    def tick(now: float) -> bool:
        raw = sampler.sample_raw(now - t0)
        if raw is None:
            return False  # exited (a zombie or reaped): nothing more to sample
        pending.append(raw)
        return True

    tick(clock())  # the first sample at once; the bookkeeping below takes a few ms
    rec.update_meta(start_unix_s=start_unix, pid=child.pid)
    rec.event("start", 0.0, value=child.pid, text=" ".join(cfg.cmd))
    if limit is not None:
        rec.event("memory_limit", 0.0, value=limit, text="cgroup")
    pump = StreamPump(child.stdout.fileno(), child.stderr.fileno(), out, err, rec, lines,
                      hide_lines=cfg.quiet_gc)
    pump.start()

    exited = threading.Event()
    exit_at: list[float] = []

    usage: list = []

    def waiter():
        # wait4 rather than Popen.wait: the kernel's rusage of the child comes with its exit
        # status, and ru_maxrss is its high-water mark of RSS at the very end (KiB on Linux;
        # for a tree, the largest single process among the child and its reaped descendants)
        try:
            _, status, ru = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            usage.append(ru)
        except ChildProcessError:
            child.wait()
        exit_at.append(clock())
        state["exited"] = True
        exited.set()

    threading.Thread(target=waiter, name="gomem-wait", daemon=True).start()
    state["child"] = child
    for signum in state["pending"]:
        deliver(signum)
    state["pending"].clear()

    # time.sleep costs less CPU per wake-up than Event.wait (measured: ~26 vs ~36 µs); the
    # loop still notices the exit within one interval (or max_sleep_s) through stop()
    loop = SamplingLoop(cfg.hz, clock=clock)
    try:
        loop.run(tick, stop=exited.is_set, idle=drain, delay_first=True, idle_every_s=BATCH_S)
        exited.wait()
    finally:
        drain()
        sampler.close()

    end = exit_at[0] if exit_at else clock()
    pump.join(timeout=2.0)  # a grandchild may hold the pipes open: do not wait for it
    if pump.is_alive():
        pump.stop()
        pump.join(timeout=1.0)
    lines.finish()
    duration = end - t0
    rc = child.returncode
    ru = usage[0] if usage else None
    exit_code, sig = (None, -rc) if rc < 0 else (rc, None)
    oom_after = cg.oom_kills()
    oom = oom_before is not None and oom_after is not None and oom_after > oom_before
    if oom:
        rec.event("oom_kill", duration, value=oom_after - oom_before, text="cgroup oom_kill count rose")
    if sig is not None:
        rec.event("signal", duration, value=sig, text=signal.Signals(sig).name if sig in signal.valid_signals() else None)
    rec.event("exit", duration, value=rc if rc >= 0 else 128 + sig, text=None)
    summary = tally.summary(
        exit_code=exit_code, signal=sig, duration_s=round(duration, 6), memory_limit_bytes=limit,
        gomemlimit_bytes=settings["memory_limit_bytes"], gogc=settings["gogc"],
        oom_kill=oom, oom_kill_count=(oom_after - oom_before) if oom else 0,
        pid=child.pid, cmd=list(cfg.cmd), out_dir=str(rec.dir), start_unix_s=start_unix,
        go_version=meta["go_version"], go_version_full=meta["go_version_full"], hz=cfg.hz,
        tree=cfg.tree, skipped_samples=loop.stats.skipped, mem_total_bytes=meta["mem_total_bytes"],
        exit_maxrss_bytes=ru.ru_maxrss * 1024 if ru is not None else None,
        child_cpu_s=round(ru.ru_utime + ru.ru_stime, 6) if ru is not None else None,
        gctrace_expected=meta["go_version"] is not None,  # a non-Go program: num_gc None, not 0
    )
    rec.close(summary)
    status = exit_code if sig is None else 128 + sig
    return RunResult(summary, status, rec.dir, loop.stats)


def _minor(v: str | None) -> str | None:
    return ".".join(v.split(".")[:2]) if v else None
