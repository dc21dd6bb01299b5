"""The main job (scripts/run.sh runs `gomem seed`): the seed's exact output, the verdict,
and the levers' predictions."""

import json

from click.testing import CliRunner

from gomem.cli.main import cli
from gomem.units import MiB


def test_seed_command_prints_the_seed_and_the_verdict():
    r = CliRunner().invoke(cli, ["seed"])
    assert r.exit_code == 0, r.output
    out = r.output
    assert "env: gctrace=1, sys: 4159 MB, alloc: 3072 MB, idel: 1087 MB, released:   63 MB, inuse: 3072 MB" in out
    assert "4096->4096->2048 MB, 4097 MB goal, 8 P" in out
    assert "not a memory leak" in out


def test_seed_levers_cut_the_peak():
    r = CliRunner().invoke(cli, ["seed", "--json"])
    assert r.exit_code == 0, r.output
    rows = {row["lever"]: row for row in json.loads(r.output)["levers"]}
    base = rows["GOGC=100 (as written)"]["peak_heap_bytes"]
    assert 4090 * MiB <= base <= 4110 * MiB
    # GOMEMLIMIT=3GiB holds the runtime's memory near 3 GiB (a soft limit: 2 GiB live plus a new
    # 1 GiB slice cannot fit with the runtime's overheads); dropping the old slice halves the peak
    assert 3000 * MiB <= rows["GOMEMLIMIT=3GiB"]["peak_memory_bytes"] <= 3072 * MiB * 1.01
    assert rows["a = nil before make"]["peak_heap_bytes"] <= base / 2 + 16 * MiB
