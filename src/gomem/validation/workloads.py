"""The validation workloads for the model: each mirrors, statement for statement, a workload of
``gosrc/main.go`` (``-w NAME -scale S -time T``) or of the shared corpus's ``gosrc/main.go``,
against the Go-like workload API (DEVELOPERS.md, "workloads"). ``program(name, scale, time_scale)``
returns the ``main(go)`` callable that ``gomem.model.simulate`` runs.
Sizes as Go allocates them: ``build(total, size)`` in Go makes a ``[][]byte`` of n headers
(24 bytes each, pointerful) and n objects of ``size`` bytes; ``go.build_live`` does both.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from ..model import Handle
from ..workloads.library import CORPUS
from ..units import MiB



class _Env:
    def __init__(self, go, scale: float, time_scale: float):
        self.go, self.scale, self.tscale = go, scale, time_scale

    def sz(self, mib: float) -> int:  # main.go: sz
        return int(mib * self.scale * MiB)

    def dur(self, s: float) -> float:  # main.go: dur
        return s * self.tscale

    def churn(self, rate_mib: float, size: int, s: float) -> None:  # main.go: churn
        self.go.churn(rate_mib * self.scale * MiB, size, self.dur(s))

    def build(self, name: str, total: int, size: int) -> None:
        """main.go: ``name = build(total, size)``; build_live makes the objects and their
        ``[][]byte`` (24 bytes an element). The old set stays reachable until the assignment."""
        setattr(self.go.globals, name, self.go.build_live(total, size))

    def drop(self, name: str) -> None:
        setattr(self.go.globals, name, None)


def seed(go, scale=1.0, time_scale=1.0, fix=False):
    e = _Env(go, scale, time_scale)
    for _ in range(10):
        if fix:
            go.globals.a = None
        go.globals.a = go.make(e.sz(256), touch=False)  # the seed never writes the slice
        go.sleep(e.dur(0.5))


def service(go, scale=1.0, time_scale=1.0):
    e = _Env(go, scale, time_scale)
    e.build("live", e.sz(200), 512)
    e.churn(400, 1024, 6)


def batch(go, scale=1.0, time_scale=1.0):
    e = _Env(go, scale, time_scale)
    for _ in range(4):
        e.build("live", e.sz(300), 512)
        e.churn(100, 1024, 0.5)
        e.drop("live")
        e.churn(50, 1024, 1)


def spike(go, scale=1.0, time_scale=1.0):
    e = _Env(go, scale, time_scale)
    e.build("live", e.sz(30), 1024)
    e.churn(100, 1024, 1.5)
    e.build("keep", e.sz(600), MiB)  # main.go touches every page of the spike
    e.churn(100, 1024, 0.5)
    e.drop("keep")
    e.churn(10, 1024, 4)


SPAWN_S_PER_GOROUTINE = 7e-6
SUDOG_BYTES = 96


def goroutines(go, scale=1.0, time_scale=1.0):
    e = _Env(go, scale, time_scale)
    n = int(20000 * scale)
    # main.go: deep(24, ...) parks 24 frames of ~0.5 KiB deep (~12 KiB used): the stack
    # grows 8 -> 16 KiB (runtime/stack.go, newstack doubles it)
    # Spawning is not instant: each new goroutine recurses and copies its stack three times
    # (2 -> 4 -> 8 -> 16 KiB), ~7 us each on the recording machine (corpus go1.27 goroutines
    # gogc200: the first GC @0.074s saw 151 of 312 MB of stacks), so the first GC cycles
    # start mid-spawn; spawn in 40 batches over that time.
    batches, gs = 40, []
    for i in range(batches):
        k = n * (i + 1) // batches - n * i // batches
        gs.append(go.go(None, stack_bytes=16 * 1024, count=k, used_bytes=12 * 1024))
        # each parks in <-ch on a sudog from the heap (runtime/chan.go chanrecv ->
        # acquireSudog -> new(sudog): 88 bytes, size class 96, pointerful)
        gs.append(go.make(SUDOG_BYTES, pointers=True, count=k))
        go.sleep(k * SPAWN_S_PER_GOROUTINE)
    e.churn(200, 1024, 3)
    for g in gs:
        if isinstance(g, Handle):
            go.drop(g)
        else:
            g.exit()
    e.churn(200, 1024, 2)


def grow(go, scale=1.0, time_scale=1.0):
    e = _Env(go, scale, time_scale)
    per = e.sz(1.2)
    # main.go appends each new set's headers to one growing slice; keeping each set's own
    # container holds the same 24 bytes an object
    held = []
    for _ in range(300):
        held.append(go.build_live(per, 512))
        e.churn(200, 1024, 0.02)
    go.globals.keep = held


def freeos(go, scale=1.0, time_scale=1.0):
    e = _Env(go, scale, time_scale)
    e.build("live", e.sz(100), 512)
    for _ in range(5):
        e.churn(300, 1024, 1)
        go.free_os_memory()


#: main.go's globals_big.go: var table [8 << 20]*[64]byte, scanned by the GC (globalsScan)
TABLE_BYTES = (8 << 20) * 8


def globals_(go, scale=1.0, time_scale=1.0):
    e = _Env(go, scale, time_scale)
    n = e.sz(50) // 64
    go.globals.table_objs = go.make(64, count=n)  # table[i] = new([64]byte), n of them
    e.churn(300, 1024, 5)


PROGRAMS: dict[str, Callable] = {
    "seed": seed, "seedfix": partial(seed, fix=True), "service": service, "batch": batch,
    "spike": spike, "goroutines": goroutines, "grow": grow, "freeos": freeos, "globals": globals_,
}


def program(name: str, scale: float = 1.0, time_scale: float = 1.0) -> Callable:
    """``main(go)`` of the validation workload ``name`` (KeyError if there is none)."""
    fn = PROGRAMS[name]

    def main(go):
        fn(go, scale=scale, time_scale=time_scale)

    main.__name__ = f"validation_{name}"
    # scannable globals beyond a small program's (RuntimeConfig.globals_bytes adds them)
    main.extra_globals_bytes = TABLE_BYTES if name == "globals" else 0
    return main


def shared_program(name: str) -> Callable:
    """``main(go)`` mirroring the shared corpus' program (../shared/corpus/gosrc/main.go): the
    model's own mirrors, sampler goroutine included (gomem.workloads.library.CORPUS)."""
    return CORPUS[name]
