"""Byte sizes as Go writes and reads them."""

from __future__ import annotations

import re

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30
TiB = 1 << 40

MAX_INT64 = (1 << 63) - 1

_SUFFIX = {"": 1, "B": 1, "KIB": KiB, "MIB": MiB, "GIB": GiB, "TIB": TiB,
           "K": KiB, "M": MiB, "G": GiB, "T": TiB, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


def parse_size(text: str) -> int:
    """Parse a byte count: a plain integer, or one with a suffix B, KiB, MiB, GiB, TiB as
    GOMEMLIMIT takes them (runtime/mgcpacer.go, parseByteCount), case-insensitively; the
    shorthand K/M/G/T (binary) and decimal KB/MB/GB/TB are accepted too. ``off`` means no
    limit (MaxInt64). Raises ValueError naming what was expected."""
    s = str(text).strip()
    if s.lower() in ("off", "max", "none", ""):
        return MAX_INT64
    m = _SIZE_RE.match(s)
    if not m or m.group(2).upper() not in _SUFFIX:
        raise ValueError(f"{text!r} is not a size: expected bytes, or a number with B, KiB, MiB, GiB or TiB (e.g. 3GiB)")
    value = float(m.group(1)) * _SUFFIX[m.group(2).upper()]
    return int(value)


def format_size(n: float | int | None, unit: str = "auto") -> str:
    """Human size with binary units: ``format_size(3 << 30) == '3.00 GiB'``."""
    if n is None:
        return "-"
    n = float(n)
    if n >= MAX_INT64 * 0.9:
        return "unlimited"
    for name, div in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if unit == name or (unit == "auto" and abs(n) >= div):
            return f"{n / div:.2f} {name}"
    return f"{n:.0f} B"
