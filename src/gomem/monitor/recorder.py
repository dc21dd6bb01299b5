"""The run directory writer: the monitor's one output seam.

Layout (DEVELOPERS.md, "run directories"; ``gomem.traces.read(DIR)`` reads it back)::

    meta.json  stdout.log  stderr.log  rss.csv  gc.jsonl  memstats.jsonl  events.jsonl
    summary.json (at the end)

Every file but meta.json and summary.json is append-only. Writes go to Python's buffers and
are flushed to the kernel at least every ``flush_interval_s`` (default 0.5 s, so a SIGKILL of
gomem loses at most that much: the kernel keeps what was flushed even when the writer dies).
meta.json and summary.json are written whole and atomically (temp file + rename).

Thread-safe: the stream pump and the sampler write from different threads.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import UsageError
from ..timeline import json_default

RSS_COLUMNS = ("t_s", "rss_bytes", "pss_bytes", "anon_bytes", "hwm_bytes")
FILES = ("stdout.log", "stderr.log", "rss.csv", "gc.jsonl", "memstats.jsonl", "events.jsonl")
FORMAT = {"format": "gomem-run", "version": 1}


def write_json_atomic(path: Path, obj: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, default=json_default, allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)


def _clean(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


class Recorder:
    """Writes one run directory. ``out_dir`` must not exist or be empty."""

    def __init__(self, out_dir: str | os.PathLike, meta: Mapping[str, Any], *,
                 flush_interval_s: float = 0.5, clock: Callable[[], float] = time.monotonic):
        self.dir = Path(out_dir)
        if self.dir.exists() and (not self.dir.is_dir() or any(self.dir.iterdir())):
            raise UsageError(f"{self.dir} already exists and is not an empty directory; "
                             "choose another --out")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(f"cannot create the run directory {self.dir}: {e.strerror or e}") from e
        self.meta = {**FORMAT, **meta}
        write_json_atomic(self.dir / "meta.json", self.meta)
        # reentrant: a signal handler (forwarded_signal event) may write while the main thread
        # holds the lock
        self._lock = threading.RLock()
        self._files = {name: open(self.dir / name, "ab") for name in FILES}
        self._files["rss.csv"].write((",".join(RSS_COLUMNS) + "\n").encode())
        self.flush_interval_s = flush_interval_s
        self.clock = clock
        self._last_flush = clock()
        self.counts = {"rss": 0, "gc": 0, "memstats": 0, "event": 0}
        self.closed = False
        self.flush()

    # -- metadata ---------------------------------------------------------------------------
    def update_meta(self, **kv: Any) -> None:
        with self._lock:
            self.meta.update(kv)
            write_json_atomic(self.dir / "meta.json", self.meta)

    # -- streams ----------------------------------------------------------------------------
    def stdout(self, data: bytes) -> None:
        self._write("stdout.log", data)

    def stderr(self, data: bytes) -> None:
        self._write("stderr.log", data)

    # -- records ----------------------------------------------------------------------------
    def record(self, rec: Mapping[str, Any]) -> None:
        """Append one record (kind rss, gc, memstats, event, scav...) to its file."""
        kind = rec.get("kind")
        if kind == "rss":
            row = ",".join("" if rec.get(c) is None else _fmt(rec.get(c)) for c in RSS_COLUMNS)
            self._write("rss.csv", (row + "\n").encode(), kind)
            return
        name = {"gc": "gc.jsonl", "memstats": "memstats.jsonl", "event": "events.jsonl"}.get(kind)
        if name is None:
            # scav records stay in stderr.log (gomem.traces reads them from there)
            raise ValueError(f"a run directory has no file for records of kind {kind!r}")
        line = json.dumps({k: _clean(v) for k, v in rec.items()}, default=json_default,
                          separators=(",", ":"))
        self._write(name, (line + "\n").encode(), kind)

    def event(self, name: str, t_s: float | None, value: float | None = None, text: str | None = None) -> dict:
        rec = {"kind": "event", "t_s": t_s, "name": name, "value": value, "text": text}
        self.record(rec)
        return rec

    def _write(self, name: str, data: bytes, kind: str | None = None) -> None:
        with self._lock:
            if self.closed:
                return
            self._files[name].write(data)
            if kind is not None:
                self.counts[kind] = self.counts.get(kind, 0) + 1
            now = self.clock()
            if now - self._last_flush >= self.flush_interval_s:
                self._flush_locked(now)

    # -- durability -------------------------------------------------------------------------
    def maybe_flush(self) -> None:
        """Flush if the last flush is ``flush_interval_s`` old (call it from a timer/loop)."""
        with self._lock:
            now = self.clock()
            if not self.closed and now - self._last_flush >= self.flush_interval_s:
                self._flush_locked(now)

    def flush(self) -> None:
        with self._lock:
            if not self.closed:
                self._flush_locked(self.clock())

    def _flush_locked(self, now: float) -> None:
        for f in self._files.values():
            f.flush()
        self._last_flush = now

    def close(self, summary: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            if self.closed:
                return
            for f in self._files.values():
                f.flush()
                f.close()
            self.closed = True
        if summary is not None:
            write_json_atomic(self.dir / "summary.json", dict(summary))


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6f}"
    return str(v)
