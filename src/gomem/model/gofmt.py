"""Go's fmt verbs for workload output (fmt.Printf / Sprintf / Println), enough for the
programs workloads are: %v %+v %d %s %q %f %e %g %x %X %o %b %c %t %T %p %%, flags, width and
precision. Wrong types print as Go does: ``%!d(string=hi)``."""

from __future__ import annotations

import json
import math
import re

_VERB = re.compile(r"%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d+)?)?([a-zA-Z%])")


def go_value(v, plus: bool = False) -> str:
    """The %v form of a Python value as the Go value it stands for."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float_v(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray)):
        return "[" + " ".join(str(b) for b in v) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(go_value(x, plus) for x in v) + "]"
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: str(kv[0]))
        if plus:
            return "{" + " ".join(f"{k}:{go_value(x, plus)}" for k, x in items) + "}"
        return "map[" + " ".join(f"{go_value(k)}:{go_value(x)}" for k, x in items) + "]"
    return str(v)


def go_float_v(f: float) -> str:
    """strconv.FormatFloat(f, 'g', -1, 64) with %v's exponent threshold (21)."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "0" if math.copysign(1, f) > 0 else "-0"
    r = repr(f)
    mant, _, exp = r.partition("e")
    e = int(exp) if exp else None
    a = abs(f)
    if e is None:
        if a >= 1e21 or a < 1e-4:
            return _go_exp(f)
        return mant[:-2] if mant.endswith(".0") else mant
    if -4 <= e < 21:
        s = f"{f:.{max(0, 17)}f}".rstrip("0").rstrip(".")
        # shortest repr through Python's float formatting
        s2 = format(f, "f")
        return s if len(s) <= len(s2) else s2
    return _go_exp(f)


def _go_exp(f: float) -> str:
    r = repr(f)
    if "e" not in r:
        r = f"{f:e}"
        m, e = r.split("e")
        m = m.rstrip("0").rstrip(".")
    else:
        m, e = r.split("e")
        m = m[:-2] if m.endswith(".0") else m
    sign = "-" if int(e) < 0 else "+"
    return f"{m}e{sign}{abs(int(e)):02d}"


def _type_name(v) -> str:
    if v is None:
        return "<nil>"
    return {bool: "bool", int: "int", float: "float64", str: "string", bytes: "[]uint8",
            list: "[]interface {}", dict: "map[string]interface {}"}.get(type(v), type(v).__name__)


def sprintf(fmt: str, *args) -> str:
    out = []
    pos = 0
    argi = 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        flags, width, prec, verb = m.group(1), m.group(2), m.group(3), m.group(4)
        if verb == "%":
            out.append("%")
            continue
        if width == "*":
            width = str(args[argi]) if argi < len(args) else ""
            argi += 1
        if prec == "*":
            prec = str(args[argi]) if argi < len(args) else ""
            argi += 1
        if argi >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        a = args[argi]
        argi += 1
        out.append(_one(flags, width, prec, verb, a))
    out.append(fmt[pos:])
    if argi < len(args):
        extra = ", ".join(f"{_type_name(a)}={go_value(a)}" for a in args[argi:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _pad(s: str, flags: str, width: str | None) -> str:
    if not width:
        return s
    w = int(width)
    if "-" in flags:
        return s.ljust(w)
    if "0" in flags and s[:1] in "-+" and s[1:].replace(".", "").isdigit():
        return s[0] + s[1:].rjust(w - 1, "0")
    if "0" in flags and s.replace(".", "").isdigit():
        return s.rjust(w, "0")
    return s.rjust(w)


def _one(flags: str, width: str | None, prec: str | None, verb: str, a) -> str:
    pyflags = "".join(c for c in flags if c in "-+ 0#")
    spec = pyflags + (width or "") + (f".{prec}" if prec is not None else "")
    isint = isinstance(a, int) and not isinstance(a, bool)
    try:
        if verb == "v":
            return _pad(go_value(a, plus="+" in flags), flags, width)
        if verb == "T":
            return _pad(_type_name(a), flags, width)
        if verb == "t" and isinstance(a, bool):
            return _pad(go_value(a), flags, width)
        if verb in "dxXob" and isint:
            if verb == "b":
                return _pad(format(a, "b"), flags, width)
            return ("%" + spec + ("d" if verb == "d" else verb)) % a
        if verb == "c" and isint:
            return _pad(chr(a), flags, width)
        if verb in "feEgG" and isinstance(a, (int, float)) and not isinstance(a, bool):
            if verb in "gG" and prec is None:
                return _pad(go_float_v(float(a)), flags, width)
            return ("%" + spec + verb) % float(a)
        if verb == "s" and not isint:
            s = go_value(a)
            if prec is not None:
                s = s[: int(prec)]
            return _pad(s, flags, width)
        if verb == "q" and isinstance(a, str):
            return _pad(json.dumps(a, ensure_ascii=False), flags, width)
        if verb in "xX" and isinstance(a, str):
            h = a.encode().hex()
            return _pad(h.upper() if verb == "X" else h, flags, width)
    except (TypeError, ValueError):
        pass
    return f"%!{verb}({_type_name(a)}={go_value(a)})"


def sprintln(*args) -> str:
    return " ".join(go_value(a) for a in args) + "\n"


def sprint(*args) -> str:
    # fmt.Sprint adds spaces between operands when neither is a string
    out = []
    for i, a in enumerate(args):
        if i and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(go_value(a))
    return "".join(out)
