"""gomem.traces: every memory trace a Go user has, read into records and the Timeline.

Formats (auto-detected per line, or forced with ``format``): gctrace (Go 1.5-1.27, and the
pre-1.5 ``gcN(P)`` line), scavtrace and the old ``scvg`` lines, MemStats printed as text or
``%+v``, MemStats JSON and expvar ``/debug/vars``, Prometheus text exposition, ``vmstat``,
RSS CSVs, gomem run directories and the shared corpus's, and saved Timelines (``.npz``).

>>> from gomem.traces import read, iter_records
>>> tl = read("run.log")                        # file, directory, .npz or "-"
>>> for rec in iter_records(open("run.log")):   # streaming, one dict per record
...     ...
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import InputError
from ..timeline import Timeline, TimelineBuilder
from .reader import Follow, iter_lines, kind_of_path, open_binary
from .rundir import RunDir
from .gctrace import version_hint
from .stream import FORMATS, TextParser

#: every --format name: the line formats plus whole-path ones
ALL_FORMATS = sorted([*FORMATS, "run", "timeline"])

__all__ = ["read", "iter_records", "Source", "ALL_FORMATS", "TextParser", "Follow"]


class Source:
    """The records of one path (a file, a directory, a saved Timeline, or ``-``), streamed.
    After :meth:`records` is exhausted: ``unknown`` (lines not understood), ``examples``
    (``(path, line, text)``), ``formats`` (names of the formats seen) and ``meta``."""

    def __init__(self, path: str | Path, format: str | None = None, strict: bool = False,
                 follow: Follow | None = None):
        self.path = str(path)
        if format is not None and format not in ALL_FORMATS:
            raise InputError(f"unknown format {format!r}: expected one of {', '.join(ALL_FORMATS)}", path=self.path)
        self.format = format
        self.strict = strict
        self.follow = follow
        self.kind = kind_of_path(self.path)
        if format == "timeline" and self.kind == "file":
            self.kind = "timeline"
        if format == "run" and self.kind != "dir":
            raise InputError("--format run expects a run directory", path=self.path)
        if self.kind == "dir" and format not in (None, "auto", "run"):
            raise InputError(f"is a directory; --format {format} reads files", path=self.path)
        self.unknown = 0
        self.examples: list[tuple[str, int | None, str]] = []
        self.formats: list[str] = []
        self.meta: dict[str, Any] = {"source": self.path}
        self.parser: TextParser | None = None
        self.timeline: Timeline | None = None

    def records(self) -> Iterator[dict[str, Any]]:
        if self.kind == "timeline":
            try:
                tl = Timeline.load(self.path)
            except Exception as e:  # zipfile, numpy and json errors of a damaged file
                raise InputError(f"not a saved gomem Timeline: {e}", path=self.path) from None
            self.timeline = tl
            self.meta = dict(tl.meta)
            self.formats.append("timeline")
            yield from tl.records()
            return
        if self.kind == "dir":
            rd = RunDir(self.path, strict=self.strict)
            yield from rd.records()
            self.meta = rd.meta
            self.formats = rd.formats
            self.unknown = rd.unknown
            self.examples = rd.examples
            return
        tp = self.text_parser()
        f = open_binary(self.path)
        try:
            yield from tp.iter(iter_lines(f, self.follow))
        finally:
            if f is not getattr(sys.stdin, "buffer", None):
                f.close()
        self.collect(tp)

    def text_parser(self) -> TextParser:
        if self.parser is None:
            self.parser = TextParser(self.path, format=self.format, strict=self.strict)
        return self.parser

    def collect(self, tp: TextParser) -> None:
        """Take over what a finished text parser learnt."""
        self.unknown = tp.unknown
        self.examples = [(self.path, ln, t) for ln, t in tp.examples]
        self.formats = sorted(tp.formats, key=lambda k: -tp.formats[k])
        self.meta.update(tp.detected_meta())


def iter_records(lines: Iterable[str], format: str | None = None, source: str = "-",
                 strict: bool = False, parser: TextParser | None = None) -> Iterator[dict[str, Any]]:
    """Records of a stream of text lines (e.g. an open text file), one dict per record, as
    they complete. Pass ``parser`` (a :class:`TextParser`) to read its counts afterwards."""
    tp = parser or TextParser(source, format=format, strict=strict)
    return tp.iter(enumerate(lines, 1))


def read(paths: str | Path | Iterable[str | Path], format: str | None = None, strict: bool = False) -> Timeline:
    """A Timeline of everything in ``paths`` (files, run directories, saved ``.npz``, ``-``).

    ``meta``: ``source`` (the path, or the list of paths), ``formats`` (detected),
    ``go_version`` when a source says it (``go1.19.1`` in a Prometheus ``go_info``, a run's
    meta, a ``go1.27`` directory, ``go version`` text), ``go_version_hint`` (what the gctrace
    and scavtrace formats imply, e.g. ``1.18-1.20``), ``settings`` when known, and
    ``unknown_lines`` / ``unknown_examples`` (``file:line: text``). Process indexes are per
    source (a gctrace log and an RSS CSV of the same run are both process 0).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    paths = [str(p) for p in paths]
    if not paths:
        raise InputError("no input: expected a file, a directory or -")
    if len(paths) == 1 and kind_of_path(paths[0]) == "timeline" and format in (None, "timeline"):
        src = Source(paths[0], format)
        for _ in src.records():
            pass
        assert src.timeline is not None
        return src.timeline
    b = TimelineBuilder()
    meta: dict[str, Any] = {"source": paths[0] if len(paths) == 1 else paths}
    formats: list[str] = []
    unknown = 0
    examples: list[str] = []
    for p in paths:
        src = Source(p, format=format, strict=strict)
        for rec in src.records():
            b.add(rec)
        unknown += src.unknown
        examples += [f"{path}:{ln}: {text}" for path, ln, text in src.examples]
        for f in src.formats:
            if f not in formats:
                formats.append(f)
        for k, v in src.meta.items():
            if k == "source":
                continue
            if k == "settings":
                meta.setdefault("settings", {}).update(v)
            elif k == "go_version_hint":
                old = meta.get("go_version_hint")
                meta["go_version_hint"] = version_hint([old, v]) if old else v
            else:
                meta.setdefault(k, v)
    meta["formats"] = formats
    meta["unknown_lines"] = unknown
    if examples:
        meta["unknown_examples"] = examples[:5]
    b.meta = meta
    return b.build()
