"""What the dashboard shows: the records of one run, growing while it runs.

:class:`Recording` holds records by kind (append-only) and a version that bumps with every new
batch; readers wait on it. A :class:`RunDirTail` follows a run directory as ``gomem run``
writes it (DEVELOPERS.md, "run directories": whole lines are appended and flushed at least
every second; meta.json and summary.json are replaced atomically), reading only what is new.
A static source (a trace file, a corpus directory, a saved Timeline) is read once through
``gomem.traces.read``.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from ..timeline import Timeline

KINDS = ("gc", "memstats", "rss", "event")


class Recording:
    """Records of one run by kind, appended by a producer, read by many clients."""

    def __init__(self, meta: Mapping[str, Any] | None = None):
        self.meta: dict[str, Any] = dict(meta or {})
        self.records: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
        self.other: list[dict[str, Any]] = []  # kinds the charts do not draw (scav, ...)
        self.problems: list[str] = []  # what could not be read, shown in the page's notes
        self.version = 0
        self.done = False
        self.cond = threading.Condition()

    def add(self, records: Iterable[Mapping[str, Any]], meta: Mapping[str, Any] | None = None,
            done: bool = False) -> None:
        with self.cond:
            changed = False
            for r in records:
                kind = r.get("kind")
                (self.records[kind] if kind in self.records else self.other).append(dict(r))
                changed = True
            if meta is not None and dict(meta) != self.meta:
                self.meta = dict(meta)
                changed = True
            if done and not self.done:
                self.done = True
                changed = True
            if changed:
                self.version += 1
                self.cond.notify_all()

    def counts(self) -> dict[str, int]:
        with self.cond:
            return {k: len(v) for k, v in self.records.items()}

    def since(self, cursor: Mapping[str, int]) -> dict[str, list[dict[str, Any]]]:
        """The records after ``cursor`` (counts by kind)."""
        with self.cond:
            return {k: v[int(cursor.get(k, 0)):] for k, v in self.records.items()}

    def wait(self, version: int, timeout_s: float) -> int:
        """Block until the version differs from ``version`` (or the timeout); the new version."""
        with self.cond:
            if self.version == version and not self.done:
                self.cond.wait(timeout_s)
            return self.version

    def timeline(self) -> Timeline:
        with self.cond:
            recs = [r for k in KINDS for r in self.records[k]] + list(self.other)
            meta = dict(self.meta)
        return Timeline.from_records(recs, meta)


def _meta_from_run(meta: Mapping[str, Any], run_dir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"source": str(run_dir)}
    # settings.memory_limit_bytes is GOMEMLIMIT; container_limit_bytes the cgroup's limit
    for k in ("cmd", "settings", "go_version", "container_limit_bytes"):
        if meta.get(k) is not None:
            out[k] = meta[k]
    return out


def _num(text: str) -> int | float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


class _LineTail:
    """New whole lines of a growing file (a partial last line waits for its newline)."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.partial = b""
        self.lineno = 0

    def read(self) -> list[tuple[int, str]]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        if not data:
            return []
        self.offset += len(data)
        data = self.partial + data
        lines = data.split(b"\n")
        self.partial = lines.pop()
        out = []
        for raw in lines:
            self.lineno += 1
            out.append((self.lineno, raw.decode("utf-8", "replace").rstrip("\r")))
        return out


class RunDirTail:
    """Follows a run directory into a :class:`Recording` (``poll()`` reads what is new)."""

    def __init__(self, run_dir: str | Path, recording: Recording):
        self.dir = Path(run_dir)
        self.rec = recording
        self.tails = {name: _LineTail(self.dir / name) for name in ("gc.jsonl", "memstats.jsonl", "events.jsonl", "rss.csv")}
        self.rss_header: list[str] | None = None
        self.meta_mtime: float | None = None
        self.meta: dict[str, Any] = {}

    def _read_meta(self) -> dict[str, Any] | None:
        p = self.dir / "meta.json"
        try:
            mtime = p.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        if mtime == self.meta_mtime:
            return None
        try:
            meta = json.loads(p.read_text())
        except (OSError, ValueError):
            return None  # being replaced: read it next time
        self.meta_mtime = mtime
        self.meta = meta
        return _meta_from_run(meta, self.dir)

    def poll(self) -> int:
        """Read what is new; the number of new records. Marks the recording done once
        summary.json exists (the run has ended) and everything before it is read."""
        ended = (self.dir / "summary.json").exists()  # checked first: nothing is written after it
        records: list[dict[str, Any]] = []
        for name in ("gc.jsonl", "memstats.jsonl", "events.jsonl"):
            default_kind = {"gc.jsonl": "gc", "memstats.jsonl": "memstats", "events.jsonl": "event"}[name]
            for lineno, line in self.tails[name].read():
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                except ValueError:
                    self.rec.problems.append(f"{self.dir / name}:{lineno}: not a JSON record")
                    continue
                if isinstance(r, dict):
                    r.setdefault("kind", default_kind)
                    records.append(r)
        for lineno, line in self.tails["rss.csv"].read():
            if not line.strip():
                continue
            if self.rss_header is None:
                self.rss_header = [h.strip() for h in next(csv.reader(io.StringIO(line)))]
                continue
            cells = next(csv.reader(io.StringIO(line)))
            r = {"kind": "rss"}
            for h, c in zip(self.rss_header, cells):
                r[h] = _num(c)
            if r.get("t_s") is not None:
                records.append(r)
        meta = self._read_meta()
        self.rec.add(records, meta=meta if meta is not None else None, done=ended)
        return len(records)


def is_run_dir(path: str | Path) -> bool:
    p = Path(path)
    return p.is_dir() and (p / "meta.json").is_file()


class Poller:
    """Calls ``poll`` every ``interval_s`` in a daemon thread until stopped or done."""

    def __init__(self, poll: Callable[[], Any], recording: Recording, interval_s: float = 0.25):
        self.poll = poll
        self.rec = recording
        self.interval_s = interval_s
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="gomem-dashboard-tail", daemon=True)

    def start(self) -> "Poller":
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.poll()
            except Exception as e:  # keep serving what there is; say so in the page's notes
                self.rec.problems.append(f"reading the run: {type(e).__name__}: {e}")
            if self.rec.done:
                return
            self.stop_event.wait(self.interval_s)

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout=2)
