"""gomem.traces.gctrace: the stateful gctrace stream parser."""

from __future__ import annotations

from gomem.traces.gctrace import GctraceParser, parse_gc_line

MiB = 1 << 20


def _feed_all(text: str) -> tuple[GctraceParser, list[dict]]:
    p = GctraceParser()
    out: list[dict] = []
    for i, line in enumerate(text.splitlines(keepends=True), 1):
        out += p.feed(line, i)
    out += p.finish()
    return p, out


def test_seed_gc_records_processes_and_split_line(shared_dir):
    text = (shared_dir / "reference" / "seed.txt").read_text()
    p, recs = _feed_all(text)
    gcs = [r for r in recs if r["kind"] == "gc"]
    assert len(gcs) == 19
    assert [r["process"] for r in gcs] == [0] * 8 + [1] + [2] * 4 + [3] * 6
    first = [r for r in gcs if r["process"] == 3][0]
    # "gc env: gctrace=1, sys: ..." + "1 @0.024s 0%: ... 1024->1024->1024 MB, 1025 MB goal, 8 P"
    assert first["num"] == 1 and first["t_s"] == 0.024
    assert first["heap_start_bytes"] == 1024 * MiB and first["heap_goal_bytes"] == 1025 * MiB
    assert first["heap_live_bytes"] == 1024 * MiB and first["procs"] == 8
    assert first["stacks_bytes"] is None and first["globals_bytes"] is None
    assert [r["num"] for r in gcs if r["process"] == 3] == [1, 2, 3, 4, 5, 6]
    assert p.go_version == "1.15"


def test_every_field_of_a_go127_line():
    line = ("gc 9 @1.554s 0%: 0.023+0.53+0.002 ms clock, 0.047+0.069/0.38/0.16+0.005 ms cpu, "
            "397->397->200 MB, 401 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)\n")
    r = parse_gc_line(line, seq=7)
    assert r == {
        "kind": "gc", "num": 9, "t_s": 1.554, "process": 0, "gc_cpu_percent": 0.0,
        "clock_sweep_term_ms": 0.023, "clock_mark_ms": 0.53, "clock_mark_term_ms": 0.002,
        "cpu_sweep_term_ms": 0.047, "cpu_assist_ms": 0.069, "cpu_background_ms": 0.38,
        "cpu_idle_ms": 0.16, "cpu_mark_term_ms": 0.005,
        "heap_start_bytes": 397 * MiB, "heap_end_bytes": 397 * MiB, "heap_live_bytes": 200 * MiB,
        "heap_goal_bytes": 401 * MiB, "stacks_bytes": 0, "globals_bytes": 0, "procs": 2,
        "forced": True, "seq": 7,
    }


def test_fast_path_takes_clean_chunks_and_equals_the_line_parser():
    import json

    from gomem.traces.gctrace import fast_json_chunk

    lines = [f"gc {n} @{n * 0.5:.3f}s {n % 7}%: 0.017+1.2+0.004 ms clock, 0.035+0.10/2.2/0+0.009 ms cpu, "
             f"{n}->{n + 1}->{n // 2} MB, {n + 2} MB goal, 0 MB stacks, 0 MB globals, 4 P" + (" (forced)" if n % 5 == 0 else "")
             for n in (1, 2, 3, 4, 5, 1, 2, 10, 11)]
    chunk = ("\n".join(lines) + "\n").encode()
    p = GctraceParser()
    out = fast_json_chunk(chunk, p, 10)
    assert out is not None
    slow_p = GctraceParser()
    slow = [r for i, line in enumerate(lines, 10) for r in slow_p.feed(line, i)]
    fast = [json.loads(x) for x in out.decode().splitlines()]
    assert fast == slow
    assert [r["process"] for r in fast] == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert (p.process, p.last_num) == (1, 11)
    # anything irregular goes to the line parser
    assert fast_json_chunk(chunk.replace(b"@2.500s", b"@2..500s"), GctraceParser(), 1) is None
    assert fast_json_chunk(chunk.replace(b"4 P\n", b"04 P\n", 1), GctraceParser(), 1) is None
    assert fast_json_chunk(chunk + b"hello\n", GctraceParser(), 1) is None
