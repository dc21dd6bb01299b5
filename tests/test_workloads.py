"""The workload API and loader: Go-like semantics, determinism, errors that name the line."""

import threading

import pytest

from gomem.errors import InputError, WorkloadError
from gomem.model import RuntimeConfig, simulate
from gomem.model.gofmt import sprintf, sprintln
from gomem.workloads import load, run, run_program

MiB = 1 << 20


def write(tmp_path, text, name="wl.py"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_loader_errors_name_file_and_line(tmp_path):
    with pytest.raises(InputError) as e:
        load(tmp_path / "missing.py")
    assert "missing.py" in str(e.value)
    p = write(tmp_path, "def main(go):\n    x = (\n")
    with pytest.raises(InputError) as e:
        load(p)
    assert e.value.path == str(p) and e.value.line is not None
    p = write(tmp_path, "x = 1\n")
    with pytest.raises(InputError, match="def main"):
        load(p)
    p = write(tmp_path, "def helper(go):\n    go.make('big')\n\ndef main(go):\n    go.sleep(1)\n    helper(go)\n")
    with pytest.raises(WorkloadError) as e:
        run(p)
    assert e.value.line == 2 and e.value.path == str(p) and "size_bytes" in str(e.value)
    # an error inside a goroutine is reported at its line too
    p = write(tmp_path, "def g(go):\n    go.sleep(0.5)\n    1 / 0\n\ndef main(go):\n    go.go(g)\n    go.sleep(2)\n")
    with pytest.raises(WorkloadError) as e:
        run(p)
    assert e.value.line == 3 and "ZeroDivisionError" in str(e.value)


def test_cli_reports_workload_error_without_traceback(tmp_path, capsys):
    from gomem.cli.main import main as cli_main

    p = write(tmp_path, "def main(go):\n    go.churn(-1, 10, 1)\n")
    rc = cli_main(["sim", str(p)])
    err = capsys.readouterr().err
    assert rc == 1 and f"{p}:2:" in err and "Traceback" not in err
    rc = cli_main(["sim", str(p), "--gogc", "lots"])
    assert rc == 2 and "GOGC" in capsys.readouterr().err
    rc = cli_main(["sim", str(p), "--go", "1.9"])
    assert rc == 2 and "1.15" in capsys.readouterr().err


def test_handles_live_while_referenced(tmp_path):
    def main(go):
        go.globals.keep = go.make(100 * MiB)
        tmp = go.make(50 * MiB)
        go.gc()
        m1 = go.read_mem_stats()
        del tmp  # the local goes away: garbage
        go.gc()
        m2 = go.read_mem_stats()
        go.globals.keep = None
        go.gc()
        m3 = go.read_mem_stats()
        go.printf("%d %d %d\n", m1.HeapAlloc // MiB, m2.HeapAlloc // MiB, m3.HeapAlloc // MiB)

    out = simulate(main).stdout.split()
    assert [int(x) for x in out] == [150, 100, 0]


def test_deterministic_with_goroutines():
    def worker(go, n):
        for i in range(3):
            go.churn(20 * MiB, 512 * (n + 1), 0.1)
            go.printf("w%d %d %.3f\n", n, i, go.now())
            go.sleep(0.05 * (n + 1))

    def main(go):
        for n in range(3):
            go.go(worker, n)
        go.sleep(1.0)
        go.printf("main %d\n", go.read_mem_stats().NumGC)

    runs = [simulate(main, RuntimeConfig(godebug="gctrace=1")) for _ in range(2)]
    assert runs[0].output == runs[1].output
    lines = runs[0].stdout.splitlines()
    assert len(lines) == 10 and lines[-1].startswith("main ")
    # goroutines interleave on the simulated clock
    times = [float(ln.split()[2]) for ln in lines[:-1]]
    assert times == sorted(times)
    assert {ln.split()[0] for ln in lines[:-1]} == {"w0", "w1", "w2"}
    assert threading.active_count() < 5  # goroutine threads end with the program


def test_parked_goroutines_count_in_stacks():
    def main(go):
        before = go.read_mem_stats().StackInuse
        gs = go.go(None, stack_bytes=8192, count=1000)
        mid = go.read_mem_stats().StackInuse
        gs.exit()
        after = go.read_mem_stats().StackInuse
        go.printf("%d %d %d %d\n", before, mid - before, after, go.num_goroutine())

    b, d, a, n = map(int, simulate(main).stdout.split())
    assert d == 1000 * 8192 and a == b and n == 1


def test_churn_is_aggregate_and_counts_objects():
    def main(go):
        n = go.churn(1 << 30, 64, 10.0)  # 10 GiB of 64-byte objects: 168 M objects
        m = go.read_mem_stats()
        go.printf("%d %d %d\n", n, m.Mallocs, m.TotalAlloc)

    import time
    t0 = time.perf_counter()
    n, mallocs, total = map(int, simulate(main).stdout.split())
    assert time.perf_counter() - t0 < 5  # aggregate, not one call per object
    # assists during marking slow the program a little: it allocates up to what it asked
    assert 0.95 * (10 * (1 << 30) // 64) <= n <= 10 * (1 << 30) // 64
    assert mallocs >= n and total >= n * 64


def test_build_live_holds_a_container_and_objects():
    def main(go):
        h = go.build_live(64 * MiB, 1024)
        m = go.read_mem_stats()
        go.printf("%d %d %d\n", len(h), h.count, m.HeapAlloc)

    size, count, alloc = map(int, simulate(main).stdout.split())
    assert size == 1024 and count == 65536
    # 64 MiB of objects plus the [][]byte of 24-byte slice headers
    assert 64 * MiB + 65536 * 24 <= alloc < 64 * MiB + 65536 * 24 + 2 * MiB


def test_getenv_and_printf():
    def main(go):
        go.printf("%v|%5d|%-4s|%q|%.2f|%x|%t|%v|%v\n", go.getenv("GODEBUG"), 42, "ab", "hi", 3.14159, 255, True,
                  None, [1, 2])
        go.println("a", 1, 2.5, True)

    res = simulate(main, RuntimeConfig(godebug="gctrace=1"))
    assert res.stdout == 'gctrace=1|   42|ab  |"hi"|3.14|ff|true|<nil>|[1 2]\na 1 2.5 true\n'


def test_gofmt_go_semantics():
    assert sprintf("%d", "x") == "%!d(string=x)"
    assert sprintf("%d %d", 1) == "1 %!d(MISSING)"
    assert sprintf("%v", 1e21) == "1e+21" and sprintf("%v", 0.5) == "0.5" and sprintf("%v", 3.0) == "3"
    assert sprintf("%4d MB", 63) == "  63 MB" and sprintf("%%") == "%"
    assert sprintln(1, "a") == "1 a\n"


def test_set_gc_percent_and_memory_limit_return_old_values():
    def main(go):
        a = go.set_gc_percent(50)
        b = go.set_gc_percent(None)
        c = go.set_memory_limit(512 * MiB)
        d = go.set_memory_limit(-1)
        go.printf("%d %d %d %d\n", a, b, c, d)

    assert simulate(main, RuntimeConfig(gogc=100)).stdout == f"100 50 {(1 << 63) - 1} {512 * MiB}\n"

    def old(go):
        go.set_memory_limit(1 << 30)

    with pytest.raises(AttributeError, match="1.19"):
        simulate(old, RuntimeConfig(go="1.15"))


def test_run_program_names_callable_errors_without_path():
    def main(go):
        raise KeyError("x")

    with pytest.raises(KeyError):
        run_program(main)
