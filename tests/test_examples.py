"""The examples run as tests against their golden output (SimPy style): each
``examples/<name>.py`` under the options below must print exactly ``examples/<name>.out``
(stdout and the runtime's stderr interleaved, as ``gomem sim ... 2>&1`` shows them).

Regenerate after an intended model change with ``GOMEM_UPDATE_GOLDEN=1 pytest tests/test_examples.py``
and review the diff."""

import os
import re
from pathlib import Path

import pytest

from gomem.cli.main import main as cli_main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

CASES = {
    "seed": ["--go", "1.15", "--gomaxprocs", "8", "--godebug", "gctrace=1"],
    "seedfix": ["--go", "1.27", "--gomaxprocs", "2", "--godebug", "gctrace=1"],
    "seedvariant": ["--go", "1.15", "--gomaxprocs", "8", "--godebug", "gctrace=1"],
    "service": ["--go", "1.27", "--gomaxprocs", "2", "--godebug", "gctrace=1"],
    "batch": ["--go", "1.21", "--gomaxprocs", "2", "--godebug", "gctrace=1"],
    "spike": ["--go", "1.27", "--gomaxprocs", "2", "--godebug", "gctrace=1,scavtrace=1"],
    "goroutines": ["--go", "1.19", "--gomaxprocs", "4", "--godebug", "gctrace=1"],
}


def run_example(name, capfd):
    rc = cli_main(["sim", str(EXAMPLES / f"{name}.py"), *CASES[name]])
    out, err = capfd.readouterr()
    assert rc == 0, err
    return out, err


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_matches_golden(name, capfd, monkeypatch):
    monkeypatch.delenv("GODEBUG", raising=False)
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    from gomem.model import RuntimeConfig
    from gomem.workloads import run

    args = CASES[name]
    opts = dict(zip(args[::2], args[1::2]))
    res = run(EXAMPLES / f"{name}.py", RuntimeConfig(go=opts["--go"], gomaxprocs=int(opts["--gomaxprocs"]),
                                                    godebug=opts["--godebug"], env={"GODEBUG": opts["--godebug"]}))
    combined = "".join(t for _, t in res.output)
    golden = EXAMPLES / f"{name}.out"
    if os.environ.get("GOMEM_UPDATE_GOLDEN"):
        golden.write_text(combined)
    assert combined == golden.read_text()
    # and the CLI prints the same, split into stdout and stderr
    out, err = run_example(name, capfd)
    assert out == res.stdout and err == res.stderr
    assert out  # every example prints something of its own


def test_examples_show_what_they_claim():
    """The behaviour each example is there to show, from its golden output."""
    seedfix = (EXAMPLES / "seedfix.out").read_text()
    sys_mb = [int(m) for m in re.findall(r"sys: +(\d+) MB", seedfix)]
    assert max(sys_mb) < 2100  # dropping the old slice first halves the seed's 4 GiB peak
    spike = (EXAMPLES / "spike.out").read_text()
    rel = [int(m) for m in re.findall(r"released= *(\d+) MiB", spike)]
    assert rel[0] < 10 and rel[-1] > 1000  # the burst's memory goes back to the OS
    assert "(forced)" in spike  # FreeOSMemory's forced GC and scavenge
    service = (EXAMPLES / "service.out").read_text()
    assert len(re.findall(r"^t=", service, re.M)) == 6
    gor = (EXAMPLES / "goroutines.out").read_text()
    m = re.search(r"goroutines=(\d+) stack_inuse=(\d+) MiB", gor)
    assert int(m.group(1)) == 10001 and int(m.group(2)) >= 78
