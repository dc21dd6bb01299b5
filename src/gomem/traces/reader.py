"""The one place the traces layer opens files: paths (files, ``.gz``, ``-`` for stdin) to lines
or chunks of bytes, in bounded memory, optionally following a growing file."""

from __future__ import annotations

import gzip
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from ..errors import InputError

#: longer lines are cut here (the rest, up to the newline, is skipped): bounded memory
MAX_LINE = 1 << 20
CHUNK = 1 << 20


@dataclass
class Follow:
    """Keep reading at end of file: poll every ``poll_s``; stop after ``idle_timeout_s`` seconds
    without new data (None: until interrupted)."""

    poll_s: float = 0.2
    idle_timeout_s: float | None = None


def open_binary(path: str | Path) -> BinaryIO:
    """A binary file object for ``path`` (``-``: stdin; ``*.gz``: decompressed)."""
    p = str(path)
    if p == "-":
        return sys.stdin.buffer
    try:
        if p.endswith(".gz"):
            f = gzip.open(p, "rb")
            f.peek(1)  # type: ignore[attr-defined]
            return f  # type: ignore[return-value]
        return open(p, "rb")
    except FileNotFoundError:
        raise InputError("no such file", path=p) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", path=p) from None
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise InputError(f"cannot read: {e}", path=p) from None


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def iter_lines(f: BinaryIO, follow: Follow | None = None) -> Iterator[tuple[int, str]]:
    """``(lineno, line)`` pairs (1-based, text decoded as UTF-8 with replacement). Lines longer
    than :data:`MAX_LINE` bytes are cut there. With ``follow``, waits for more at end of file;
    an unterminated last line is held until its newline arrives (or the end)."""
    lineno = 0
    partial = b""
    skipping = False
    last_data = time.monotonic()
    readline = f.readline
    if follow is not None:
        try:
            if not f.seekable():  # a pipe: its end of file is the writer's end, nothing follows
                follow = None
        except (AttributeError, ValueError, OSError):
            follow = None
    while True:
        try:
            raw = readline(MAX_LINE)
        except OSError as e:
            raise InputError(f"read error: {e}", path=getattr(f, "name", "-")) from None
        if not raw:
            if follow is None:
                break
            if follow.idle_timeout_s is not None and time.monotonic() - last_data > follow.idle_timeout_s:
                break
            time.sleep(follow.poll_s)
            continue
        last_data = time.monotonic()
        if partial:
            raw, partial = partial + raw, b""
        if raw.endswith(b"\n"):
            if skipping:  # the end of an over-long line
                skipping = False
                continue
            lineno += 1
            yield lineno, _decode(raw)
            continue
        if len(raw) >= MAX_LINE:  # an over-long line: keep its start, skip the rest
            if not skipping:
                lineno += 1
                yield lineno, _decode(raw[:MAX_LINE])
            skipping = True
            continue
        if follow is not None:  # the writer has not finished the line yet
            partial = raw
            continue
        if not skipping:
            lineno += 1
            yield lineno, _decode(raw)
    if partial and not skipping:
        yield lineno + 1, _decode(partial)


def iter_chunks(f: BinaryIO) -> Iterator[bytes]:
    """Chunks of about :data:`CHUNK` bytes, each ending at a newline (except perhaps the
    last). A line longer than :data:`MAX_LINE` is cut to that length."""
    rest = b""
    skipping = False
    while True:
        data = f.read(CHUNK)
        if not data:
            break
        if skipping:
            nl = data.find(b"\n")
            if nl < 0:
                continue
            data = data[nl + 1:]
            skipping = False
        cut = data.rfind(b"\n")
        if cut >= 0:  # as below (rest holds no newline), with one copy of the data, not two
            chunk = b"".join((rest, memoryview(data)[:cut + 1])) if cut + 1 < len(data) or rest else data
            rest = data[cut + 1:]
            yield chunk
            if len(rest) >= MAX_LINE:
                yield rest[:MAX_LINE] + b"\n"
                rest = b""
                skipping = True
            continue
        buf = rest + data if rest else data
        cut = buf.rfind(b"\n")
        if cut < 0:
            if len(buf) >= MAX_LINE:
                yield buf[:MAX_LINE] + b"\n"
                rest = b""
                skipping = True
            else:
                rest = buf
            continue
        rest = buf[cut + 1:]
        yield buf[:cut + 1]
        if len(rest) >= MAX_LINE:
            yield rest[:MAX_LINE] + b"\n"
            rest = b""
            skipping = True
    if rest:
        yield rest


def lines_of_chunk(chunk: bytes, first_lineno: int) -> Iterator[tuple[int, str]]:
    """The lines of one chunk (as :func:`iter_chunks` yields them), numbered from ``first_lineno``."""
    parts = chunk.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    for i, raw in enumerate(parts):
        yield first_lineno + i, _decode(raw)


def read_text(path: str | Path, limit: int = 256 << 20) -> str:
    """A whole (small) file as text: JSON documents, meta.json, summary.json."""
    with open_binary(path) as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"too large to read whole (over {limit} bytes)", path=str(path))
    return _decode(data)


def kind_of_path(path: str | Path) -> str:
    """``stdin``, ``dir``, ``timeline`` (a saved .npz) or ``file``; InputError when missing."""
    p = str(path)
    if p == "-":
        return "stdin"
    if os.path.isdir(p):
        return "dir"
    if not os.path.exists(p):
        raise InputError("no such file or directory", path=p)
    if p.endswith(".npz"):
        return "timeline"
    return "file"


__all__ = ["Follow", "open_binary", "iter_lines", "iter_chunks", "lines_of_chunk", "read_text", "kind_of_path",
           "MAX_LINE", "CHUNK"]
