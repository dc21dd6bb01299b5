"""Option values every command reads the same way: GOGC and sizes (GOMEMLIMIT, targets)."""

from __future__ import annotations

from ..errors import UsageError
from ..units import MAX_INT64, parse_size


def parse_gogc(text: str, opt: str = "GOGC") -> int | None:
    """runtime/mgcpacer.go readGOGC: ``off`` -> None (off), an integer -> it, negative -> off."""
    t = text.strip().lower()
    if t == "off":
        return None
    try:
        n = int(t)
    except ValueError:
        raise UsageError(f"{opt} {text!r}: expected a non-negative integer or off") from None
    return None if n < 0 else n


def parse_limit(text: str, opt: str = "GOMEMLIMIT") -> int | None:
    """A positive size (bytes, or with KiB/MiB/GiB/TiB as GOMEMLIMIT takes them); ``off`` -> None."""
    try:
        n = parse_size(text)
    except ValueError as e:
        raise UsageError(f"{opt}: {e}") from None
    if n <= 0:
        raise UsageError(f"{opt} {text!r}: expected a positive size (e.g. 3GiB) or off")
    return None if n >= MAX_INT64 else n
