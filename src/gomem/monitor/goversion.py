"""The Go version a binary was built with, read from its build info (what ``go version FILE``
prints), without running Go.

Since Go 1.18 the linker writes a ``.go.buildinfo`` blob: the 14-byte magic
``"\\xff Go buildinf:"``, a pointer-size byte, a flags byte (bit 2: strings inline), padding to
32 bytes, then the version and the module info as varint-length-prefixed strings
(cmd/go/internal/version and debug/buildinfo's readRawBuildInfo, Go 1.18+). Older binaries
keep pointers instead; for them we return None.
"""

from __future__ import annotations

import os
import re

MAGIC = b"\xff Go buildinf:"
FLAGS_VERSION_INL = 0x2
_CHUNK = 1 << 20
_MAX_SCAN = 512 << 20


def _uvarint(b: bytes, i: int) -> tuple[int, int]:
    x = s = 0
    while i < len(b):
        c = b[i]
        i += 1
        x |= (c & 0x7F) << s
        if c < 0x80:
            return x, i
        s += 7
    raise ValueError("truncated varint")


def go_version_of(path: str | os.PathLike) -> str | None:
    """``"1.27.3"`` for a Go 1.18+ binary, else None (not Go, not readable, older Go)."""
    try:
        f = open(path, "rb")
    except OSError:
        return None
    with f:
        if f.read(4) != b"\x7fELF":
            return None
        f.seek(0)
        offset = 0
        tail = b""
        while offset < _MAX_SCAN:
            chunk = f.read(_CHUNK)
            if not chunk:
                return None
            buf = tail + chunk
            i = buf.find(MAGIC)
            if i >= 0:
                blob = buf[i:i + 32 + 64]
                if len(blob) < 32 + 64:
                    blob += f.read(32 + 64 - len(blob))
                if blob[15] & FLAGS_VERSION_INL == 0:
                    return None
                try:
                    n, j = _uvarint(blob, 32)
                except ValueError:
                    return None
                v = blob[j:j + n].decode("ascii", "replace")
                m = re.match(r"go(\d+\.\d+(?:\.\d+)?)", v)
                return m.group(1) if m else None
            tail = buf[-len(MAGIC):]
            offset += len(chunk)
    return None
