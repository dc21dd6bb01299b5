"""``vmstat`` output (procps): pure parsing, text in, records (kind ``vmstat``) out.

The header line names the columns (``r b swpd free buff cache si so bi bo in cs us sy id wa st``,
or ``inact active`` with ``-a``); each following row of integers is one sample. Memory columns
are in KiB unless ``-S`` says otherwise (procps vmstat: ``-S k|K|m|M`` = 1000, 1024,
1000000, 1048576 bytes; ``-S MB`` reads as ``M``), so a ``vmstat ... -S M`` command seen in the
same text sets the unit. Samples are ``interval`` seconds apart (``vmstat 1``: 1 s), ``t_s``
counting from the first row.
"""

from __future__ import annotations

import re
from typing import Any

COLUMNS = {
    "r": "procs_running", "b": "procs_blocked",
    "swpd": "swpd_bytes", "free": "free_bytes", "buff": "buff_bytes", "cache": "cache_bytes",
    "inact": "inactive_bytes", "active": "active_bytes",
    "si": "swap_in_bytes_per_s", "so": "swap_out_bytes_per_s",
    "bi": "blocks_in_per_s", "bo": "blocks_out_per_s", "in": "interrupts_per_s", "cs": "context_switches_per_s",
    "us": "cpu_user_percent", "sy": "cpu_system_percent", "id": "cpu_idle_percent",
    "wa": "cpu_iowait_percent", "st": "cpu_steal_percent", "gu": "cpu_guest_percent",
}
SIZED = {"swpd", "free", "buff", "cache", "inact", "active", "si", "so"}
UNITS = {"k": 1000, "K": 1024, "m": 1000_000, "M": 1 << 20}
COMMAND_RE = re.compile(r"vmstat(?P<args>(?:[ \t]+-?[A-Za-z0-9]+)*)")
BANNER_RE = re.compile(r"^\s*procs\s+-+\s*memory")


class VmstatParser:
    def __init__(self) -> None:
        self.columns: list[str] | None = None
        self.unit = 1024
        self.interval_s: float | None = None
        self.rows = 0
        self.understood = False

    def note_command(self, text: str) -> None:
        """A ``vmstat [interval] [-S unit]`` command line: remember its unit and interval."""
        m = COMMAND_RE.search(text)
        if not m:
            return
        args = m["args"].split()
        for i, a in enumerate(args):
            if a.isdigit() and self.interval_s is None:
                self.interval_s = float(a)
            if a.startswith("-S"):
                u = a[2:] or (args[i + 1] if i + 1 < len(args) else "")
                if u[:1] in UNITS:
                    self.unit = UNITS[u[:1]]

    def feed(self, text: str, seq: int | None) -> list[dict[str, Any]]:
        self.understood = False
        if "vmstat" in text:
            self.note_command(text)
        if BANNER_RE.match(text):
            self.understood = True
            return []
        toks = text.split()
        if "swpd" in toks and "free" in toks and toks[:2] == ["r", "b"]:
            self.columns = toks
            self.rows = 0
            self.understood = True
            return []
        if self.columns is None or len(toks) != len(self.columns) or not all(t.isdigit() for t in toks):
            return []
        rec: dict[str, Any] = {"kind": "vmstat", "t_s": self.rows * (self.interval_s or 1.0) if self.interval_s else None,
                               "process": None, "seq": seq}
        for name, tok in zip(self.columns, toks):
            col = COLUMNS.get(name, name)
            v = int(tok)
            rec[col] = v * self.unit if name in SIZED else v
        self.rows += 1
        self.understood = True
        return [rec]
