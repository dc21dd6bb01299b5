"""The gctrace fast path of ``gomem parse --json`` writes, byte for byte, what the line parser's
records give through ``json_line``: on a mixed multi-version, multi-process log bigger than a
read chunk, and on random lines with every kind of number text Go prints (and some it does not)."""

from __future__ import annotations

import contextlib
import io
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gomem.cli.main import main as gomem_main
from gomem.cli.parse import json_line
from gomem.traces.gctrace import GctraceParser, fast_json_chunk
from gomem.traces.reader import lines_of_chunk
from gomem.traces.stream import TextParser


def slow_json(data: bytes, fmt: str | None = None) -> str:
    """The line parser alone, fed as the file reader feeds it."""
    tp = TextParser("x", format=fmt)
    out = []
    for ln, line in lines_of_chunk(data, 1):
        out += [json_line(r) for r in tp.feed(line, ln)]
    out += [json_line(r) for r in tp.finish()]
    return "".join(out)


def cli_json(path) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        assert gomem_main(["parse", "--json", str(path)]) == 0
    return buf.getvalue()


def ms(rnd: random.Random) -> str:
    """A phase time as runtime fmtNSAsMS prints it (go1.27 runtime/mgc.go): whole ms from 10 ms,
    else two significant digits with at most three decimals ("0", "0.010", "1.0", "12")."""
    ns = rnd.choice([0, rnd.randint(1, 999), rnd.randint(1000, 10**7), rnd.randint(10**7, 10**9)])
    if ns >= 10**7:
        return str(ns // 10**6)
    x, dec = ns // 1000, 3
    if x == 0:
        return "0"
    while x >= 100:
        x //= 10
        dec -= 1
    s = str(x).rjust(dec + 1, "0")
    return s[:-dec] + "." + s[-dec:] if dec else s


def gc_line(rnd: random.Random, num: int, t_ms: int, fmt: str) -> str:
    h0 = rnd.randint(0, 5000)
    h1, h2, goal = h0 + rnd.randint(0, 9), rnd.randint(0, h0 + 1), h0 + rnd.randint(0, 50)
    clock = "+".join(ms(rnd) for _ in range(3))
    cpu = f"{ms(rnd)}+{ms(rnd)}/{ms(rnd)}/{ms(rnd)}+{ms(rnd)}"
    extra = "" if fmt == "1.15" else f"{rnd.choice([0, 0, 1, 3])} MB stacks, {rnd.choice([0, 1])} MB globals, "
    forced = " (forced)" if rnd.random() < 0.05 else ""
    leak = " (checking for goroutine leaks)" if fmt == "1.27" and rnd.random() < 0.01 else ""
    # itoaDiv(t, 3): milliseconds with three decimals
    return (f"gc {num} @{t_ms // 1000}.{t_ms % 1000:03d}s {rnd.randint(0, 100)}%{leak}: {clock} ms clock, {cpu} ms cpu, "
            f"{h0}->{h1}->{h2} MB, {goal} MB goal, {extra}{rnd.choice([2, 2, 8])} P{forced}")


NOISE = ["some program output", "gc env: gctrace=1, sys: 1087 MB, alloc: 1024 MB, idel: 63 MB, released: 63 MB",
         "scav 12 KiB work (bg), 0 KiB now, 99% util", "HeapSys: 4159 MB HeapIdle: 1087 MB", "", "GC forced",
         "gc 5 @0.1s 1%: garbage", "gc 7 @0.0100s 02%: 0.1+0.2+0.3 ms clock, 0.1+0.2/0.3/0.4+0.5 ms cpu, "
         "04->5->2 MB, 8 MB goal, 0 MB stacks, 0 MB globals, 2 P", "{\"HeapSys\": 12,", "\"HeapIdle\": 3}"]


def mixed_log(rnd: random.Random, shared_dir, fixtures) -> bytes:
    parts = [(shared_dir / "reference" / "seed.txt").read_text()]
    for v in ("1.19", "1.21", "1.27"):
        parts.append((fixtures / f"go{v}.stderr").read_text())
    parts.append((fixtures / "historical.txt").read_text())
    lines: list[str] = []
    for block in range(12):  # processes of each format, some long, some short
        fmt = ["1.27", "1.19", "1.15"][block % 3]
        t_ms = 0
        for num in range(1, rnd.choice([3, 40, 2500, 9000]) + 1):
            t_ms += rnd.randint(0, 3000)
            lines.append(gc_line(rnd, num, t_ms, fmt))
            r = rnd.random()
            if r < 0.002:
                lines.append(rnd.choice(NOISE))
            elif r < 0.003:  # a line split by another writer, as in the seed
                full = gc_line(rnd, num + 1, t_ms, fmt)
                lines[-1:] = [lines[-1], "gc another writer: " + "x" * rnd.randint(0, 20), full[3:]]
                num += 1
            elif r < 0.0035:
                lines.append(lines[-1] + "\r")  # CRLF
    parts.append("\n".join(lines) + "\n")
    return "".join(p if p.endswith("\n") else p + "\n" for p in parts).encode()


def test_cli_json_equals_the_line_parser_on_a_mixed_log(tmp_path, shared_dir):
    fixtures = __import__("pathlib").Path(__file__).resolve().parent / "fixtures" / "traces"
    data = mixed_log(random.Random(7), shared_dir, fixtures)
    assert len(data) > 1 << 20  # more than one read chunk: the fast path and its fallbacks both run
    p = tmp_path / "mixed.log"
    p.write_bytes(data)
    want = slow_json(data)
    got = cli_json(p)
    assert got == want
    # the log really has what it claims: several processes and formats, forced and split lines
    assert '"process":20,' in got and '"stacks_bytes":null' in got and '"forced":true' in got
    assert '"goroutine_leak_check":true' in got
    # without the trailing newline, too
    p.write_bytes(data.rstrip(b"\n"))
    assert cli_json(p) == want


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
number = st.one_of(st.sampled_from(["0", "1", "10", "12", "007", "0.0", "0.10", "0.010", "1.000", "5.5", "0.0001",
                                    "0.00001", "123456789012345.5", "9" * 20, "9" * 400, "1" + "0" * 20]),
                   st.integers(0, 10**6).map(str), st.floats(0, 1e6).map(lambda f: f"{f:.3f}"))


@FUZZ
@given(st.lists(st.tuples(st.integers(1, 50), number, st.lists(number, min_size=8, max_size=8),
                          st.lists(number, min_size=4, max_size=4), st.booleans(), st.booleans()),
                min_size=1, max_size=40), st.integers(1, 10**6))
def test_fast_json_chunk_is_byte_identical(rows, first_lineno):
    lines = []
    for num, t, f, h, modern, forced in rows:
        extra = f"{h[0]} MB stacks, {h[1]} MB globals, " if modern else ""
        lines.append(f"gc {num} @{t}s {h[2]}%: {f[0]}+{f[1]}+{f[2]} ms clock, {f[3]}+{f[4]}/{f[5]}/{f[6]}+{f[7]} ms cpu, "
                     f"{h[3]}->{h[0]}->{h[1]} MB, {h[2]} MB goal, {extra}{h[3]} P" + (" (forced)" if forced else ""))
    data = ("\n".join(lines) + "\n").encode()
    p_fast = GctraceParser()
    out = fast_json_chunk(data, p_fast, first_lineno)
    if out is None:
        return
    tp = TextParser("x", format="gctrace")
    slow = [json_line(r) for ln, line in lines_of_chunk(data, first_lineno) for r in tp.feed(line, ln)]
    assert tp.unknown == 0
    assert out.decode() == "".join(slow)
    assert (p_fast.process, p_fast.last_num) == (tp.gc.process, tp.gc.last_num)
