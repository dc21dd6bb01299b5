"""``gomem watch TARGET``: record a program gomem did not start.

TARGET is
- a PID: RSS, PSS, anon and VmHWM from /proc at ``hz`` (as ``gomem run`` samples), the cgroup
  limit that applies to it; ``t_s`` counts from the process's start (/proc/PID/stat, to the
  10 ms tick);
- an expvar URL (``http://host:port/debug/vars``): the ``memstats`` object (the whole
  runtime.MemStats) every poll, parsed by the traces layer (gomem.traces.memstats); ``t_s``
  counts from the start of the watch (expvar does not say when the process started) unless
  the process is local (below);
- a Prometheus URL (``.../metrics``): parsed by prometheus_client, mapped by
  gomem.traces.prom: the ``go_memstats_*`` families of the Go client become a memstats record
  and ``process_resident_memory_bytes`` an rss record; ``t_s`` counts from
  ``process_start_time_seconds`` when the endpoint has it.

When a URL is on this machine (127.0.0.1, localhost, ::1) and psutil can see which process
listens on its port, that process's RSS/PSS/VmHWM are sampled at each poll as well, its cgroup
limit recorded, and ``t_s`` counts from its start (so MemStats line up with its gctrace).

Stops on Ctrl-C/SIGTERM, after ``duration_s``, when the PID exits, or when the endpoint has
failed for ``gone_after_s``. Records to the same run-directory layout as ``gomem run``.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import psutil

from ..errors import InputError, UsageError
from ..traces import memstats as _memstats
from .cgroup import CgroupInfo
from .goversion import go_version_of
from .loop import SamplingLoop
from .procfs import ProcSampler, process_start_unix_s
from .recorder import Recorder
from .runner import mem_total_bytes, new_run_dir
from .summary import Tally


# -- sources -----------------------------------------------------------------------------------
class PidSource:
    kind = "pid"

    def __init__(self, pid: int, *, tree: bool = False, proc_root: str = "/proc"):
        try:
            self.proc = psutil.Process(pid)
            create = self.proc.create_time()
        except psutil.NoSuchProcess:
            raise UsageError(f"no process with PID {pid}") from None
        except psutil.AccessDenied:
            raise UsageError(f"not allowed to read process {pid}") from None
        self.pid = pid
        # t_s is seconds since the process started (to 10 ms; psutil's create_time is whole seconds)
        self.t0_unix_s = process_start_unix_s(pid, proc_root) or create
        self.sampler = ProcSampler(pid, tree=tree, proc_root=proc_root)
        self.gone = False
        try:
            self.cmd = self.proc.cmdline()
        except psutil.Error:
            self.cmd = []

    def t_s(self, now_unix: float) -> float:
        return now_unix - self.t0_unix_s

    def poll(self, now_unix: float) -> list[dict]:
        r = self.sampler.sample(self.t_s(now_unix))
        if r is None:
            self.gone = True
            return []
        return [r]

    def describe(self) -> dict:
        return {"pid": self.pid, "cmd": self.cmd, **_go_version_of_pid(self.pid)}


class HttpSource:
    """Polls a URL; ``parse(body, t_s)`` turns its body into records."""

    def __init__(self, url: str, *, timeout_s: float = 2.0):
        self.url = url
        self.timeout_s = timeout_s
        self.t0_unix_s: float | None = None
        self.cmd: list[str] = []
        self.failing_since: float | None = None
        self.last_error: str | None = None
        self.errors = 0
        self.gone = False
        self.polls = 0
        # the local process serving the URL, when there is one: its RSS is sampled at each
        # poll too, and t_s counts from its start
        self.pid: int | None = None
        self.local: ProcSampler | None = None
        self.t_s_origin = "watch start"

    def attach_local(self, pid: int, proc_root: str = "/proc") -> None:
        try:
            create = psutil.Process(pid).create_time()
        except psutil.Error:
            return
        self.pid = pid
        self.local = ProcSampler(pid, proc_root=proc_root)
        self.t0_unix_s = process_start_unix_s(pid, proc_root) or create
        self.t_s_origin = "process start"

    def fetch(self) -> bytes:
        req = urllib.request.Request(self.url, headers={"User-Agent": "gomem-watch",
                                                        "Accept": self.accept})
        with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
            return resp.read()

    def t_s(self, now_unix: float) -> float:
        return now_unix - (self.t0_unix_s if self.t0_unix_s is not None else now_unix)

    def poll(self, now_unix: float) -> list[dict]:
        try:
            body = self.fetch()
        except (urllib.error.URLError, OSError, ValueError) as e:
            self.errors += 1
            self.last_error = str(getattr(e, "reason", None) or e)
            if self.failing_since is None:
                self.failing_since = now_unix
            return []
        self.failing_since = None
        self.polls += 1
        recs = self.parse(body, now_unix)
        if self.local is not None:
            r = self.local.sample(self.t_s(now_unix))
            if r is not None:
                # /proc says more than process_resident_memory_bytes: keep ours
                recs = [x for x in recs if x.get("kind") != "rss"] + [r]
        return recs

    def describe(self) -> dict:
        return {"url": self.url, "cmd": self.cmd, "pid": self.pid, **_go_version_of_pid(self.pid)}


def _go_version_of_pid(pid: int | None) -> dict:
    """go_version ("1.27") and go_version_full of a running process's executable."""
    if pid is None:
        return {}
    try:
        exe = psutil.Process(pid).exe()
    except psutil.Error:
        return {}
    full = go_version_of(exe) if exe else None
    return {"go_version": ".".join(full.split(".")[:2]) if full else None, "go_version_full": full}


def local_pid_of(url: str) -> int | None:
    """The PID listening on a URL's port when the URL is on this machine (loopback), else
    None (also when the system does not let us see it)."""
    u = urllib.parse.urlparse(url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    port = u.port or (443 if u.scheme == "https" else 80)
    try:
        conns = psutil.net_connections(kind="tcp")
    except (psutil.Error, OSError):
        return None
    for c in conns:
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid:
            return c.pid
    return None


class ExpvarSource(HttpSource):
    kind = "expvar"
    accept = "application/json"

    def parse(self, body: bytes, now_unix: float) -> list[dict]:
        try:
            doc = json.loads(body)
        except ValueError as e:
            raise InputError(f"expected expvar JSON (/debug/vars), got something else: {e}", path=self.url) from None
        ms = doc.get("memstats") if isinstance(doc, dict) else None
        if not isinstance(ms, dict):
            raise InputError("expected expvar JSON with a \"memstats\" object (import _ \"expvar\")", path=self.url)
        if isinstance(doc.get("cmdline"), list):
            self.cmd = [str(x) for x in doc["cmdline"]]
        if self.t0_unix_s is None:
            self.t0_unix_s = now_unix  # no process start time in expvar: the watch's start
        fields = _memstats.fields_from_json(ms)
        return [_memstats.record(fields, seq=self.polls, t_s=self.t_s(now_unix))]


class PrometheusSource(HttpSource):
    kind = "prometheus"
    accept = "text/plain;version=0.0.4"

    def parse(self, body: bytes, now_unix: float) -> list[dict]:
        # parsed once by prometheus_client, mapped to gomem's columns by the traces layer
        from prometheus_client.parser import text_string_to_metric_families

        from ..traces.prom import records_from_families

        try:
            fams = list(text_string_to_metric_families(body.decode("utf-8", "replace")))
        except Exception as e:  # prometheus_client raises ValueError, and worse on odd text
            raise InputError(f"expected Prometheus text exposition: {e}", path=self.url) from None
        recs, _meta = records_from_families(fams, self.polls)
        if not recs:
            raise InputError("no go_memstats_* or process_resident_memory_bytes metrics "
                             "(is this a Go program's /metrics?)", path=self.url)
        if self.t0_unix_s is None:
            self.t_s_origin = "process start"
            start = next((s.value for f in fams for s in f.samples
                          if s.name == "process_start_time_seconds" and not s.labels), None)
            if not start:
                self.t_s_origin = "watch start"
            self.t0_unix_s = float(start) if start else now_unix
        t = self.t_s(now_unix)
        for r in recs:
            r["t_s"] = t
        return recs


def make_source(target: str, *, tree: bool = False, proc_root: str = "/proc", timeout_s: float = 2.0):
    src = _make_source(target, tree=tree, proc_root=proc_root, timeout_s=timeout_s)
    if src.kind != "pid":
        pid = local_pid_of(src.url)
        if pid is not None:
            src.attach_local(pid, proc_root)
    return src


def _make_source(target: str, *, tree: bool = False, proc_root: str = "/proc", timeout_s: float = 2.0):
    t = target.strip()
    if t.isdigit():
        return PidSource(int(t), tree=tree, proc_root=proc_root)
    u = urllib.parse.urlparse(t if "://" in t else "http://" + t)
    if u.scheme not in ("http", "https") or not u.netloc:
        raise UsageError(f"watch target {target!r}: expected a PID, an expvar URL "
                         "(http://HOST:PORT/debug/vars) or a Prometheus URL (http://HOST:PORT/metrics)")
    url = urllib.parse.urlunparse(u)
    path = u.path.rstrip("/")
    if path.endswith("/metrics"):
        return PrometheusSource(url, timeout_s=timeout_s)
    if path.endswith("/debug/vars"):
        return ExpvarSource(url, timeout_s=timeout_s)
    # anything else: look at what it serves
    probe = ExpvarSource(url, timeout_s=timeout_s)
    try:
        body = probe.fetch()
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise UsageError(f"cannot reach {url}: {getattr(e, 'reason', None) or e}") from None
    if body.lstrip()[:1] == b"{":
        return probe
    return PrometheusSource(url, timeout_s=timeout_s)


# -- the watch ---------------------------------------------------------------------------------
@dataclass
class WatchConfig:
    target: str
    out_dir: Path | None = None
    hz: float | None = None  # default: 50 for a PID, 4 for an endpoint
    duration_s: float | None = None
    tree: bool = False
    proc_root: str = "/proc"
    cgroup_root: str = "/"
    flush_interval_s: float = 0.5
    gone_after_s: float = 3.0
    timeout_s: float = 2.0
    handle_signals: bool = True


@dataclass
class WatchResult:
    summary: dict[str, Any]
    out_dir: Path
    loop_stats: Any = None


def default_watch_dir(source, base: str | os.PathLike = "gomem-runs") -> Path:
    name = f"watch-{source.pid}" if source.kind == "pid" else f"watch-{source.kind}"
    return new_run_dir(name, base)


def watch(cfg: WatchConfig, *, on_start: Callable[[Path], None] | None = None,
          stop: threading.Event | None = None, clock: Callable[[], float] = time.monotonic,
          wall: Callable[[], float] = time.time) -> WatchResult:
    source = make_source(cfg.target, tree=cfg.tree, proc_root=cfg.proc_root, timeout_s=cfg.timeout_s)
    hz = cfg.hz if cfg.hz is not None else (50.0 if source.kind == "pid" else 4.0)
    if not (0 < hz <= 1000):
        raise UsageError(f"--hz {hz}: expected a rate between 0 and 1000 samples per second")
    if cfg.duration_s is not None and cfg.duration_s <= 0:
        raise UsageError(f"--duration {cfg.duration_s}: expected a positive number of seconds")
    stop = stop or threading.Event()

    # the first poll, before anything is written: a wrong URL is an error, not an empty run
    start_unix = wall()
    first = source.poll(start_unix)
    if source.kind != "pid" and source.polls == 0:
        raise UsageError(f"cannot reach {source.url}: {source.last_error}")
    if source.kind == "pid" and source.gone:
        raise UsageError(f"process {source.pid} has exited")

    cg = CgroupInfo.of(source.pid, root=cfg.cgroup_root) if source.pid is not None else CgroupInfo()
    limit = cg.memory_limit_bytes()
    oom_before = cg.oom_kills()
    out_dir = Path(cfg.out_dir) if cfg.out_dir is not None else default_watch_dir(source)
    meta = {"source": "gomem watch", "target": cfg.target, "target_kind": source.kind,
            **source.describe(), "start_unix_s": start_unix, "hz": hz, "tree": cfg.tree,
            "t0_unix_s": source.t0_unix_s,
            "t_s_origin": "process start" if source.kind == "pid" else source.t_s_origin,
            "memory_limit_bytes": limit, "container_limit_bytes": limit, "cgroup": cg.to_dict(),
            "mem_total_bytes": mem_total_bytes() if source.pid is not None else None,
            "settings": {}}
    rec = Recorder(out_dir, meta, flush_interval_s=cfg.flush_interval_s, clock=clock)
    tally = Tally()
    if on_start is not None:
        on_start(rec.dir)
    rec.event("watch_start", source.t_s(start_unix), text=cfg.target)
    if limit is not None:
        rec.event("memory_limit", source.t_s(start_unix), value=limit, text="cgroup")
    for r in first:
        rec.record(r)
        tally.observe(r)

    why = {"stopped": None}
    old: dict[int, Any] = {}
    if cfg.handle_signals and threading.current_thread() is threading.main_thread():
        def on_signal(signum, frame):
            why["stopped"] = "stopped by " + signal.Signals(signum).name
            stop.set()

        for s in (signal.SIGINT, signal.SIGTERM):
            old[s] = signal.signal(s, on_signal)

    t_start = clock()

    def tick(now: float) -> bool:
        now_unix = start_unix + (now - t_start)
        try:
            recs = source.poll(now_unix)
        except InputError as e:
            rec.event("poll_error", source.t_s(now_unix), text=str(e))
            recs = []
        for r in recs:
            rec.record(r)
            tally.observe(r)
        if source.gone:
            why["stopped"] = f"process {source.pid} exited"
            return False
        fs = getattr(source, "failing_since", None)
        if fs is not None and now_unix - fs >= cfg.gone_after_s:
            why["stopped"] = f"endpoint unreachable for {cfg.gone_after_s:g} s ({source.last_error})"
            return False
        return True

    loop = SamplingLoop(hz, clock=clock, sleep=stop.wait)
    until = t_start + cfg.duration_s if cfg.duration_s is not None else None
    try:
        loop.run(tick, stop=stop.is_set, idle=rec.maybe_flush, until=until, delay_first=True)
    finally:
        if source.kind == "pid":
            source.sampler.close()
        elif source.local is not None:
            source.local.close()
        for s, h in old.items():
            signal.signal(s, h)
    if why["stopped"] is None:
        why["stopped"] = "duration reached" if until is not None and clock() >= until else "stopped"
    duration = clock() - t_start
    end_t_s = source.t_s(start_unix + duration)
    oom_after = cg.oom_kills()
    oom = oom_before is not None and oom_after is not None and oom_after > oom_before
    if oom:
        rec.event("oom_kill", end_t_s, value=oom_after - oom_before, text="cgroup oom_kill count rose")
    rec.event("watch_end", end_t_s, text=why["stopped"])
    summary = tally.summary(
        exit_code=None, signal=None, stopped=why["stopped"], duration_s=round(duration, 6),
        memory_limit_bytes=limit, oom_kill=oom, target=cfg.target, target_kind=source.kind,
        out_dir=str(rec.dir), start_unix_s=start_unix, hz=hz, poll_errors=getattr(source, "errors", 0),
        skipped_samples=loop.stats.skipped, mem_total_bytes=meta["mem_total_bytes"], **source.describe(),
    )
    rec.close(summary)
    return WatchResult(summary, rec.dir, loop.stats)
