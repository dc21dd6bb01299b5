"""Resident memory of a process (or a process tree) from /proc.

Per sample we read ``/proc/PID/status`` once (a few microseconds, the kernel keeps these as
counters): ``VmRSS`` (rss_bytes), ``RssAnon`` (anon_bytes) and ``VmHWM`` (hwm_bytes, the
kernel's own high-water mark of RSS). ``/proc/PID/smaps_rollup`` gives ``Pss`` (pss_bytes), but
the kernel walks every page table to produce it (about 1 ms per 300 MiB resident, measured),
so it is read only as often as keeps its cost under ``pss_budget`` of one core (0.5%): a
sample without a fresh PSS reading has pss_bytes None. Unreadable files (another user's
process, no smaps_rollup before Linux 4.14) give None, never an error.

The process tree (``tree=True``) comes from psutil, refreshed every ``tree_refresh_s``; RSS,
PSS and anon are summed over it (PSS is the one that sums without double counting shared
pages); hwm_bytes is then None (the tree has no single high-water mark).

``proc_root`` is where /proc is (psutil's ``PROCFS_PATH`` idea), so tests can point it at a
fake tree.
"""

from __future__ import annotations

import os
import time
from typing import Callable

import psutil

KB = 1024


def read_status(path: str) -> dict[str, int] | None:
    """VmRSS, RssAnon, VmHWM of one /proc/PID/status, in bytes; None when the process is
    gone or a zombie (a zombie's status has no Vm lines)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    except OSError:
        return None
    out: dict[str, int] = {}
    for line in data.split(b"\n"):
        if line[:2] == b"Vm" or line[:3] == b"Rss":
            key, _, rest = line.partition(b":")
            if key in (b"VmRSS", b"RssAnon", b"VmHWM"):
                try:
                    out[key.decode()] = int(rest.split()[0]) * KB
                except (ValueError, IndexError):
                    pass
    return out if "VmRSS" in out else None


def read_smaps_rollup_pss(path: str) -> int | None:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    for line in data.split(b"\n"):
        if line.startswith(b"Pss:"):
            try:
                return int(line.split()[1]) * KB
            except (ValueError, IndexError):
                return None
    return None


def psutil_descendants(pid: int) -> list[int]:
    try:
        return [c.pid for c in psutil.Process(pid).children(recursive=True)]
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return []


class ProcSampler:
    """``sample(t_s)`` -> an ``rss`` record for ``pid`` (and, with ``tree``, its
    descendants), or None when the process is gone."""

    def __init__(self, pid: int, *, tree: bool = False, proc_root: str = "/proc",
                 pss: bool = True, pss_budget: float = 0.005, pss_min_interval_s: float = 0.05,
                 tree_refresh_s: float = 0.5,
                 descendants: Callable[[int], list[int]] = psutil_descendants,
                 clock: Callable[[], float] = time.monotonic):
        self.pid = pid
        self.tree = tree
        self.proc_root = proc_root.rstrip("/") or "/"
        self.pss = pss
        self.pss_budget = pss_budget
        self.pss_min_interval_s = pss_min_interval_s
        self.tree_refresh_s = tree_refresh_s
        self.descendants = descendants
        self.clock = clock
        self._next_pss = 0.0
        self._pss_readable = True
        self._pids = [pid]
        self._next_tree = 0.0
        self.last_hwm_bytes: int | None = None

    def _path(self, pid: int, name: str) -> str:
        return f"{self.proc_root}/{pid}/{name}"

    def sample(self, t_s: float) -> dict | None:
        now = self.clock()
        if self.tree and now >= self._next_tree:
            self._pids = [self.pid] + self.descendants(self.pid)
            self._next_tree = now + self.tree_refresh_s
        rss = anon = 0
        hwm = None
        seen = False
        any_anon = False
        for p in self._pids:
            st = read_status(self._path(p, "status"))
            if st is None:
                if p == self.pid and not self.tree:
                    return None
                continue
            seen = True
            rss += st["VmRSS"]
            if "RssAnon" in st:
                anon += st["RssAnon"]
                any_anon = True
            if p == self.pid and not self.tree:
                hwm = st.get("VmHWM")
        if not seen:
            return None
        if hwm is not None:
            self.last_hwm_bytes = hwm
        pss = None
        if self.pss and self._pss_readable and now >= self._next_pss:
            pss = self._read_pss()
            cost = self.clock() - now
            # keep smaps_rollup's page-table walk under pss_budget of one core
            self._next_pss = now + max(self.pss_min_interval_s, cost / self.pss_budget)
        return {"kind": "rss", "t_s": t_s, "rss_bytes": rss, "pss_bytes": pss,
                "anon_bytes": anon if any_anon else None, "hwm_bytes": hwm}

    def _read_pss(self) -> int | None:
        total = 0
        got = False
        for p in self._pids:
            v = read_smaps_rollup_pss(self._path(p, "smaps_rollup"))
            if v is not None:
                total += v
                got = True
        if not got and len(self._pids) == 1 and not os.path.exists(self._path(self.pid, "smaps_rollup")):
            self._pss_readable = False  # kernel without smaps_rollup: stop trying
        return total if got else None
