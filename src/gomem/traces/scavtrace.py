"""``GODEBUG=scavtrace=1`` lines and the old scavenger's ``scvg`` lines: pure functions, text in,
records (kind ``scav``) out.

Formats, from the runtime's ``printScavTrace`` (runtime/mgcscavenge.go) of each version:

=========  =====================================================================================
1.14       ``scav <KiB> KiB work, <KiB> KiB total, <u>% util``
1.15-1.16  ``scav <gen> <KiB> KiB work, <KiB> KiB total, <u>% util``  (``scavengeStartGen``)
1.17-1.20  ``scav <KiB> KiB work, <KiB> KiB total, <u>% util`` [`` (forced)`` | `` [controller reset]``]
1.21-1.27  ``scav <KiB> KiB work (bg), <KiB> KiB work (eager), <KiB> KiB now, <u>% util`` [...]
=========  =====================================================================================

``work`` is what was released since the previous line (1.21+: background and eager parts),
``total``/``now`` is ``heapReleased>>10`` and ``util`` is ``heapInUse*100/heapRetained``
(go1.27 runtime/mgcscavenge.go, printScavTrace). KiB values are floored (``>>10``): stored as
``value<<10`` bytes.

The old scavenger (runtime/mheap.go ``mHeap_Scavenge``/``scavengeAll`` up to 1.12, and the
1.13-1.14 ``scvg:`` variant printed under ``gctrace=1``):

* ``scvgN: inuse: I, idle: D, sys: S, released: R, consumed: C (MB)`` (``scvg-1`` for a
  forced one, ``scvg:`` without a number in 1.13+), values ``>>20``;
* ``scvgN: K MB released`` (1.13+: ``scvg: K KB released``).
"""

from __future__ import annotations

import re
from typing import Any

_NUM = r"(\d+)"

SCAV_RE = re.compile(
    r"scav (?:(?P<gen>\d+) )?(?P<work>\d+) KiB work, (?P<total>\d+) KiB total, (?P<util>\d+)% util"
    r"(?P<tail> \(forced\)| \[controller reset\])?"
)
SCAV121_RE = re.compile(
    r"scav (?P<bg>\d+) KiB work \(bg\), (?P<eager>\d+) KiB work \(eager\), (?P<now>\d+) KiB now, "
    r"(?P<util>\d+)% util(?P<tail> \(forced\)| \[controller reset\])?"
)
SCVG_SUMMARY_RE = re.compile(
    r"scvg(?P<n>-?\d+)?: inuse: (?P<inuse>\d+), idle: (?P<idle>\d+), sys: (?P<sys>\d+), "
    r"released: (?P<released>\d+), consumed: (?P<consumed>\d+)(?: \((?P<unit>[KMG]B)\))?"
)
SCVG_RELEASED_RE = re.compile(r"scvg(?P<n>-?\d+)?: (?P<released>\d+) (?P<unit>[KMG]B) released")

_UNIT_SHIFT = {"KB": 10, "MB": 20, "GB": 30, None: 20}


def parse_scav(text: str, seq: int | None = None) -> tuple[dict[str, Any], str] | None:
    """One scavtrace record found in ``text`` and the Go version range its format implies,
    or None."""
    if "scav" not in text:
        return None
    m = SCAV121_RE.search(text)
    if m:
        bg = int(m["bg"]) << 10
        eager = int(m["eager"]) << 10
        rec = {"kind": "scav", "t_s": None, "process": None, "seq": seq,
               "released_bytes": bg + eager, "released_bg_bytes": bg, "released_eager_bytes": eager,
               "heap_released_bytes": int(m["now"]) << 10, "util_percent": float(m["util"]),
               "forced": m["tail"] == " (forced)", "controller_reset": m["tail"] == " [controller reset]"}
        return rec, "1.21+"
    m = SCAV_RE.search(text)
    if m:
        rec = {"kind": "scav", "t_s": None, "process": None, "seq": seq,
               "released_bytes": int(m["work"]) << 10, "released_bg_bytes": None, "released_eager_bytes": None,
               "heap_released_bytes": int(m["total"]) << 10, "util_percent": float(m["util"]),
               "forced": m["tail"] == " (forced)", "controller_reset": m["tail"] == " [controller reset]"}
        if m["gen"] is not None:
            rec["gen"] = int(m["gen"])
            version = "1.15-1.16"
        elif m["tail"]:
            version = "1.17-1.20"
        else:
            version = "1.14-1.20"
        return rec, version
    return None


def parse_scvg(text: str, seq: int | None = None) -> tuple[dict[str, Any], str] | None:
    """One old-scavenger ``scvg`` record in ``text`` and its Go version range, or None."""
    if "scvg" not in text:
        return None
    m = SCVG_SUMMARY_RE.search(text)
    if m:
        shift = _UNIT_SHIFT[m["unit"]] if m["unit"] else 20
        rec = {"kind": "scav", "t_s": None, "process": None, "seq": seq, "source": "scvg",
               "heap_inuse_bytes": int(m["inuse"]) << shift, "heap_idle_bytes": int(m["idle"]) << shift,
               "heap_sys_bytes": int(m["sys"]) << shift, "heap_released_bytes": int(m["released"]) << shift,
               "consumed_bytes": int(m["consumed"]) << shift, "forced": m["n"] == "-1"}
        return rec, ("1.13-1.14" if m["n"] is None else "<=1.12")
    m = SCVG_RELEASED_RE.search(text)
    if m:
        rec = {"kind": "scav", "t_s": None, "process": None, "seq": seq, "source": "scvg",
               "released_bytes": int(m["released"]) << _UNIT_SHIFT[m["unit"]], "forced": m["n"] == "-1"}
        return rec, ("1.13-1.14" if m["n"] is None else "<=1.12")
    return None
