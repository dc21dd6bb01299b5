"""Must show 1 and 2: the seed's program on the model of Go 1.15 and Go 1.27, through the CLI."""

import re
import subprocess
import sys
from pathlib import Path

from gomem.cli.main import main as cli_main

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "examples" / "seed.py"

SEED_115_STDOUT = """\
env: gctrace=1, sys: 1087 MB, alloc: 1024 MB, idel:   63 MB, released:   63 MB, inuse: 1024 MB
env: gctrace=1, sys: 2111 MB, alloc: 2048 MB, idel:   63 MB, released:   63 MB, inuse: 2048 MB
env: gctrace=1, sys: 3135 MB, alloc: 3072 MB, idel:   63 MB, released:   63 MB, inuse: 3072 MB
env: gctrace=1, sys: 4159 MB, alloc: 4096 MB, idel:   63 MB, released:   63 MB, inuse: 4096 MB
env: gctrace=1, sys: 4159 MB, alloc: 3072 MB, idel: 1087 MB, released:   63 MB, inuse: 3072 MB
env: gctrace=1, sys: 4159 MB, alloc: 4096 MB, idel:   63 MB, released:   63 MB, inuse: 4096 MB
env: gctrace=1, sys: 4159 MB, alloc: 3072 MB, idel: 1087 MB, released:   63 MB, inuse: 3072 MB
env: gctrace=1, sys: 4159 MB, alloc: 4096 MB, idel:   63 MB, released:   63 MB, inuse: 4096 MB
env: gctrace=1, sys: 4159 MB, alloc: 3072 MB, idel: 1087 MB, released:   63 MB, inuse: 3072 MB
env: gctrace=1, sys: 4159 MB, alloc: 4096 MB, idel:   63 MB, released:   63 MB, inuse: 4096 MB
"""

GC_115 = re.compile(r"^gc (\d+) @(\d+\.\d{3})s (\d+)%: [0-9.]+\+[0-9.]+\+[0-9.]+ ms clock, "
                    r"[0-9.]+\+[0-9.]+/[0-9.]+/[0-9.]+\+[0-9.]+ ms cpu, (\d+->\d+->\d+ MB, \d+ MB goal, \d+ P)$")
GC_118 = re.compile(r"^gc (\d+) @(\d+\.\d{3})s (\d+)%: [0-9.]+\+[0-9.]+\+[0-9.]+ ms clock, "
                    r"[0-9.]+\+[0-9.]+/[0-9.]+/[0-9.]+\+[0-9.]+ ms cpu, "
                    r"(\d+->\d+->\d+ MB, \d+ MB goal, \d+ MB stacks, \d+ MB globals, \d+ P)$")


def run_cli(args, capsys):
    rc = cli_main(["sim", str(SEED), *args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_must_show_1_seed_on_go115(capsys):
    rc, out, err = run_cli(["--go", "1.15", "--gomaxprocs", "8", "--godebug", "gctrace=1"], capsys)
    assert rc == 0
    assert out == SEED_115_STDOUT
    lines = err.splitlines()
    tails = []
    for ln in lines:
        m = GC_115.match(ln)
        assert m, ln
        tails.append(m.group(4))
    # the seed's six gctrace lines of the program (deterministic parts exactly)
    assert tails == ["1024->1024->1024 MB, 1025 MB goal, 8 P", "2048->2048->2048 MB, 2049 MB goal, 8 P"] + \
        ["4096->4096->2048 MB, 4097 MB goal, 8 P"] * 4
    times = [float(GC_115.match(ln).group(2)) for ln in lines]
    assert times == sorted(times) and times[0] < 0.1 and 9 < times[-1] < 20  # plausible clock


def test_must_show_2_seed_on_go127_matches_real_run(capsys, shared_dir):
    rc, out, err = run_cli(["--go", "1.27", "--gomaxprocs", "2", "--godebug", "gctrace=1"], capsys)
    assert rc == 0
    sys_mb = [int(re.search(r"sys: +(\d+) MB", ln).group(1)) for ln in out.splitlines()]
    rel_mb = {int(re.search(r"released: +(\d+) MB", ln).group(1)) for ln in out.splitlines()}
    assert sys_mb == [1027, 2051, 3075] + [4099] * 7
    assert rel_mb == {3}
    tails = [GC_118.match(ln).group(4) for ln in err.splitlines()]
    # the real Go 1.27.3 run of the same program (corpus, seed/base)
    real = (shared_dir / "corpus" / "go1.27" / "seed" / "base" / "gctrace.log").read_text().splitlines()
    real_tails = [GC_118.match(ln).group(4) for ln in real if ln.startswith("gc ")]
    assert tails == real_tails
    assert tails[-1] == "4096->4096->2048 MB, 4096 MB goal, 0 MB stacks, 0 MB globals, 2 P"


def test_seed_on_go119_and_121_match_real_gctrace(shared_dir):
    from gomem.model import RuntimeConfig
    from gomem.workloads import run

    for v in ("1.19", "1.21"):
        res = run(SEED, RuntimeConfig(go=v, gomaxprocs=2, godebug="gctrace=1"))
        tails = [GC_118.match(ln).group(4) for ln in res.stderr.splitlines()]
        real = (shared_dir / "corpus" / f"go{v}" / "seed" / "base" / "gctrace.log").read_text().splitlines()
        assert tails == [GC_118.match(ln).group(4) for ln in real if ln.startswith("gc ")], v


def test_cli_runs_as_a_process():
    p = subprocess.run([sys.executable, "-m", "gomem.cli.main", "sim", str(SEED), "--go", "1.27"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert len(p.stdout.splitlines()) == 10 and p.stdout.startswith("env: , sys: 1027 MB")
    assert p.stderr == ""  # no gctrace without GODEBUG=gctrace=1


def test_seed_earlier_variant_on_go115_matches_seed_txt(capsys, shared_dir):
    """seed.txt's first output (1.6 GB objects: HeapSys 1599, 3135, 4671, 6207 MB), all ten
    lines exactly: 1.15's whole-arena growth, first fit and the pacer together."""
    rc = cli_main(["sim", str(REPO / "examples" / "seedvariant.py"), "--go", "1.15", "--gomaxprocs", "8"])
    out = capsys.readouterr().out
    assert rc == 0
    real = [ln for ln in (shared_dir / "reference" / "seed.txt").read_text().splitlines() if ln.startswith("sys: ")]
    assert len(real) == 10
    assert out.splitlines() == real
