"""Property tests: arbitrary input never raises anything but InputError (and that only with
strict), a valid line survives any garbage around it, and the gctrace fast path agrees with
the line parser on everything it accepts."""

from __future__ import annotations

import contextlib
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gomem.cli.main import main as gomem_main
from gomem.errors import InputError
from gomem.traces import iter_records, read
from gomem.traces.gctrace import GctraceParser, fast_json_chunk, parse_gc_line
from gomem.traces.reader import lines_of_chunk
from gomem.traces.stream import TextParser

MiB = 1 << 20
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# pieces of real formats, so that random input gets deep into the parsers
ATOMS = ["gc ", "gc 1 @0.1s 2%: ", "0.1+0.2+0.3 ms clock, ", "0.1+0.2/0.3/0.4+0.5 ms cpu, ", "4->5->2 MB, ",
         "5 MB goal, ", "0 MB stacks, 0 MB globals, ", "8 P", " (forced)", "scav ", "12 KiB work, ", "KiB total, ",
         "% util", "scvg1: ", "inuse: 3, idle: 4, sys: 7, released: 1, consumed: 6 (MB)", "sys: 5 MB ",
         "HeapSys:", "Alloc=", "{", "}", "[", "]", '"memstats":', '{"kind": "gc"', "# HELP go_x x\n",
         "# TYPE go_x gauge\n", "go_memstats_heap_sys_bytes ", "1e+06", "NaN", "t_s,rss_bytes\n", "1,2\n",
         "r b swpd free buff cache si so bi bo in cs us sy id wa st\n", "0 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n",
         "\n", "\r\n", "\x00", "\t", " ", "é", "\ufffd", "-1", "99999999999999999999999", ".", "..", "007"]
messy_text = st.lists(st.one_of(st.sampled_from(ATOMS), st.text(max_size=20)), max_size=40).map("".join)


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("fz") / "in.log"
    p.write_bytes(data)
    tl = read(p)  # never raises without strict
    assert tl.meta["unknown_lines"] >= 0
    try:
        read(p, strict=True)
    except InputError as e:
        assert e.path == str(p) and e.line is not None and e.line >= 1


@FUZZ
@given(messy_text, st.sampled_from([None, "gctrace", "memstats", "json", "prometheus", "vmstat", "csv"]))
def test_messy_text_never_raises(text, fmt):
    recs = list(iter_records(text.splitlines(keepends=True), format=fmt))
    for r in recs:
        assert isinstance(r["kind"], str)
        json.dumps(r)  # records are JSON-able
    try:
        list(iter_records(text.splitlines(keepends=True), format=fmt, strict=True))
    except InputError as e:
        assert e.line is not None and "expected" in str(e)


@FUZZ
@given(st.binary(max_size=600))
def test_cli_never_crashes(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("fz") / "in.log"
    p.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert gomem_main(["parse", "--json", str(p)]) == 0
        assert gomem_main(["parse", "--strict", str(p)]) in (0, 2)
    for line in out.getvalue().splitlines():
        if line.startswith("{"):
            json.loads(line)
    assert "internal error" not in err.getvalue() and "Traceback" not in err.getvalue()


def gc_line(num: int, t: float, pct: int, h: tuple[int, int, int, int], procs: int, forced: bool, modern: bool) -> str:
    tail = f"{h[3]} MB goal, " + ("0 MB stacks, 1 MB globals, " if modern else "") + f"{procs} P" + (" (forced)" if forced else "")
    return (f"gc {num} @{t:.3f}s {pct}%: 0.017+1.2+0.004 ms clock, 0.035+0.10/2.2/0+0.009 ms cpu, "
            f"{h[0]}->{h[1]}->{h[2]} MB, " + tail)


lines_st = st.builds(gc_line, st.integers(1, 10**6), st.floats(0, 1e5), st.integers(0, 100),
                     st.tuples(*[st.integers(0, 1 << 20)] * 4), st.integers(1, 512), st.booleans(), st.booleans())


@FUZZ
@given(st.lists(messy_text, max_size=4), lines_st, st.lists(messy_text, max_size=4), st.text(max_size=30))
def test_valid_line_in_garbage_is_found(before, line, after, prefix):
    want = parse_gc_line(line)
    for text in ("\n".join([*before, line, *after]) + "\n", prefix.replace("\n", " ").replace("\r", " ") + line + "\n"):
        gcs = [r for r in iter_records(text.splitlines(keepends=True)) if r["kind"] == "gc"]
        same = [r for r in gcs if all(r.get(k) == want[k] for k in
                                      ("num", "t_s", "heap_start_bytes", "heap_live_bytes", "heap_goal_bytes",
                                       "stacks_bytes", "procs", "forced"))]
        assert same, text


def _mutate(line: str, pos: int, ch: str) -> str:
    pos %= len(line) + 1
    return line[:pos] + ch + line[pos:]


@FUZZ
@given(st.lists(lines_st, min_size=1, max_size=30), st.lists(st.tuples(st.integers(0, 10**4), st.integers(0, 400),
                                                                        st.sampled_from(list("0.9 ,+/\n-")))))
def test_fast_path_agrees_with_line_parser(lines, mutations):
    lines = list(lines)
    for i, pos, ch in mutations:
        j = i % len(lines)
        lines[j] = _mutate(lines[j], pos, ch)
    chunk = ("\n".join(lines) + "\n").encode()
    p_fast = GctraceParser()
    out = fast_json_chunk(chunk, p_fast, 1)
    tp = TextParser("x", format="gctrace")
    slow = []
    for ln, line in lines_of_chunk(chunk, 1):
        slow += tp.feed(line, ln)
    slow += tp.finish()
    if out is None:
        return
    fast = [json.loads(x) for x in out.decode().splitlines()]
    assert tp.unknown == 0
    assert fast == slow
    assert (p_fast.process, p_fast.last_num) == (tp.gc.process, tp.gc.last_num)
