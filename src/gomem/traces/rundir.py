"""Recorded runs on disk: a ``gomem run --out DIR`` directory (DEVELOPERS.md "run
directories") and the shared corpus's run directories (``gctrace.log``, ``memstats.jsonl``,
``rss.csv``, ``summary.json``). Directory in, records and meta out.

Nothing is counted twice and nothing is lost: gc records come from ``gc.jsonl`` when it has
any, and from the child's stderr (``stderr.log`` / ``gctrace.log``) only the GCs ``gc.jsonl``
lacks (same process and number) and the scavtrace lines; events come from ``events.jsonl``
when there is one, else from stderr. The child's own output
(stderr/stdout) is not gomem's input format, so its unknown lines are not counted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError
from ..units import parse_size
from .reader import iter_lines, open_binary, read_text
from .gctrace import version_hint
from .stream import TextParser

RUN_FILES = ("meta.json", "gc.jsonl", "stderr.log", "gctrace.log", "memstats.jsonl", "rss.csv", "events.jsonl",
             "summary.json", "stdout.log")
_GO_DIR_RE = re.compile(r"^go(1\.\d+)(?:\.\d+)?$")


def is_run_dir(path: Path) -> bool:
    return path.is_dir() and any((path / n).is_file() for n in RUN_FILES)


def _load_json(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except ValueError as e:
        raise InputError(f"not valid JSON: {e}", path=str(path)) from None


def settings_from_env(env: dict[str, Any]) -> dict[str, Any]:
    """gomem settings from a child's environment (GOGC, GOMEMLIMIT, GODEBUG, GOMAXPROCS)."""
    s: dict[str, Any] = {}
    if "GOGC" in env:
        v = str(env["GOGC"]).strip().lower()
        s["gogc"] = None if v == "off" else int(v) if v.lstrip("-").isdigit() else 100
    else:
        s["gogc"] = 100
    if "GOMEMLIMIT" in env:
        try:
            lim = parse_size(str(env["GOMEMLIMIT"]))
            s["memory_limit_bytes"] = None if lim >= (1 << 63) - 1 else lim
        except ValueError:
            s["memory_limit_bytes"] = None
    else:
        s["memory_limit_bytes"] = None
    if "GODEBUG" in env:
        s["godebug"] = str(env["GODEBUG"])
    if "GOMAXPROCS" in env and str(env["GOMAXPROCS"]).isdigit():
        s["gomaxprocs"] = int(env["GOMAXPROCS"])
    return s


class RunDir:
    """Records of one run directory; ``meta`` is filled as files are read."""

    def __init__(self, path: str | Path, strict: bool = False):
        self.path = Path(path)
        if not is_run_dir(self.path):
            raise InputError("not a run directory: expected some of " + ", ".join(RUN_FILES), path=str(path))
        self.strict = strict
        self.meta: dict[str, Any] = {"source": str(path)}
        self.formats: list[str] = []
        self.unknown = 0
        self.examples: list[tuple[str, int | None, str]] = []
        self._read_meta()

    def _read_meta(self) -> None:
        p = self.path
        for part in reversed(p.resolve().parts):
            m = _GO_DIR_RE.match(part)
            if m:
                self.meta["go_version"] = m[1]
                break
        if (p / "meta.json").is_file():
            meta = _load_json(p / "meta.json")
            if isinstance(meta, dict):
                self.formats.append("gomem-run")
                for k in ("cmd", "start_unix_s", "go_version"):
                    if k in meta:
                        self.meta[k] = meta[k]
                if isinstance(meta.get("settings"), dict):
                    self.meta["settings"] = dict(meta["settings"])
                elif isinstance(meta.get("env"), dict):
                    self.meta["settings"] = settings_from_env(meta["env"])
                if "memory_limit_bytes" in meta:
                    self.meta.setdefault("settings", {}).setdefault("memory_limit_bytes", meta["memory_limit_bytes"])
                if meta.get("container_limit_bytes") is not None:
                    self.meta["container_limit_bytes"] = meta["container_limit_bytes"]
        if (p / "summary.json").is_file():
            summ = _load_json(p / "summary.json")
            if isinstance(summ, dict):
                self.meta["summary"] = summ
                if isinstance(summ.get("env"), dict) and "settings" not in self.meta:
                    self.meta["settings"] = settings_from_env(summ["env"])
                    self.formats.append("corpus-run")
                if isinstance(summ.get("go_version"), str):
                    self.meta["go_version"] = summ["go_version"]

    def _file(self, name: str, *, kinds: set[str] | None = None, count_unknown: bool = True,
              format: str | None = None) -> Iterator[dict[str, Any]]:
        path = self.path / name
        tp = TextParser(str(path), format=format, strict=self.strict and count_unknown)
        with open_binary(path) as f:
            for rec in tp.iter(iter_lines(f)):
                if kinds is None or rec.get("kind") in kinds:
                    yield rec
        if count_unknown:
            self.unknown += tp.unknown
            self.examples += [(str(path), ln, t) for ln, t in tp.examples]
        for k, v in tp.detected_meta().items():
            if k == "go_version_hint":
                old = self.meta.get("go_version_hint")
                self.meta["go_version_hint"] = version_hint([old, v]) if old else v
            elif k == "settings":
                self.meta.setdefault("settings", {}).update(v)
            else:
                self.meta.setdefault(k, v)
        for fmt in tp.formats:
            if fmt not in self.formats:
                self.formats.append(fmt)

    def records(self) -> Iterator[dict[str, Any]]:
        p = self.path
        have_gc = (p / "gc.jsonl").is_file() and (p / "gc.jsonl").stat().st_size > 0
        stderr = "stderr.log" if (p / "stderr.log").is_file() else "gctrace.log" if (p / "gctrace.log").is_file() else None
        if have_gc:
            seen: set[tuple[Any, Any]] = set()
            for rec in self._file("gc.jsonl", format="json"):
                if rec.get("kind") == "gc":
                    seen.add((rec.get("process"), rec.get("num")))
                yield rec
            if stderr:
                # scavtrace lines, and any GC the recorder did not get to write (it stopped early)
                for rec in self._file(stderr, kinds={"gc", "scav"}, count_unknown=False, format="gctrace"):
                    if rec["kind"] != "gc" or (rec.get("process"), rec.get("num")) not in seen:
                        yield rec
        elif stderr:
            # the child's stderr: runtime lines; events only when events.jsonl does not have them
            kinds = {"gc", "scav"} if (p / "events.jsonl").is_file() else {"gc", "scav", "event"}
            yield from self._file(stderr, kinds=kinds, count_unknown=False, format="gctrace")
        if (p / "stdout.log").is_file():
            yield from self._file("stdout.log", kinds={"memstats"}, count_unknown=False, format="memstats")
        if (p / "memstats.jsonl").is_file():
            yield from self._file("memstats.jsonl", format="json")
        if (p / "rss.csv").is_file():
            yield from self._file("rss.csv", format="csv")
        if (p / "events.jsonl").is_file():
            yield from self._file("events.jsonl", format="json")
