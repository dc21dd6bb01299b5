"""RSS sample CSVs (``t,rss_bytes``, ``t_s,rss_bytes,pss_bytes,...`` as ``gomem run`` writes
them) and gomem's own ``parse --csv`` output (a ``kind`` column): text in, records out."""

from __future__ import annotations

import re
from typing import Any

TIME_NAMES = {"t": "t_s", "t_s": "t_s", "time": "t_s", "time_s": "t_s", "seconds": "t_s", "elapsed_s": "t_s"}
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _num(tok: str) -> Any:
    tok = tok.strip()
    if tok == "" or tok.lower() in ("nan", "null", "none"):
        return None
    if tok in ("true", "True"):
        return True
    if tok in ("false", "False"):
        return False
    try:
        return int(tok)
    except ValueError:
        return float(tok)


class CsvParser:
    def __init__(self) -> None:
        self.columns: list[str] | None = None
        self.kind = "rss"
        self.understood = False

    def header(self, text: str) -> bool:
        if "," not in text:
            return False
        names = [n.strip() for n in text.split(",")]
        if not all(NAME_RE.match(n) for n in names):
            return False
        if "kind" in names:
            self.columns, self.kind = names, None
            return True
        if not any(n in ("rss_bytes", "rss") for n in names):
            return False
        self.columns = [TIME_NAMES.get(n, "rss_bytes" if n == "rss" else n) for n in names]
        self.kind = "rss"
        return True

    def feed(self, text: str, seq: int | None) -> list[dict[str, Any]]:
        self.understood = False
        if self.header(text):
            self.understood = True
            return []
        if self.columns is None or "," not in text:
            return []
        toks = text.split(",")
        if len(toks) != len(self.columns):
            return []
        rec: dict[str, Any] = {}
        for name, tok in zip(self.columns, toks):
            if name == "kind":
                if not NAME_RE.match(tok.strip()):
                    return []
                rec["kind"] = tok.strip()
                continue
            try:
                v = _num(tok)
            except ValueError:
                if self.kind is not None:
                    return []
                v = tok.strip()  # a text column of gomem's own CSV (event names)
            if self.kind is not None and name.endswith("_bytes") and isinstance(v, float) and v == int(v):
                v = int(v)
            rec[name] = v
        if self.kind is not None:
            if rec.get("rss_bytes") is None:
                return []
            rec = {"kind": self.kind, "t_s": rec.pop("t_s", None), "process": rec.pop("process", 0), "seq": seq, **rec}
        else:
            rec.setdefault("seq", seq)
        self.understood = True
        return [rec]
