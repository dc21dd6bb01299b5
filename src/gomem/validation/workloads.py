"""The validation workloads for the model: each mirrors, statement for statement, a workload of
``gosrc/main.go`` (``-w NAME -scale S -time T``) or of the shared corpus's ``gosrc/main.go``,
against the Go-like workload API (DEVELOPERS.md, "workloads"). ``program(name, scale, time_scale)``
returns the ``main(go)`` callable that ``gomem.model.simulate`` runs.

Sizes as Go allocates them: ``build(total, size)`` in Go makes a ``[][]byte`` of n headers
(24 bytes each, pointerful) and n objects of ``size`` bytes, so the mirror allocates both.
"""

from __future__ import annotations

from functools import partial
from typing import Callable

from ..units import MiB

SLICE_HEADER_BYTES = 24  # unsafe.Sizeof([]byte{}) on amd64


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
        """main.go: ``name = build(total, size)``: headers + objects, held in a global."""
        n = total // size
        g = self.go.globals
        hdr = self.go.make(n * SLICE_HEADER_BYTES, pointers=True)
        objs = self.go.build_live(n * size, size)
        # the old set stays reachable until the assignment, as in Go
        setattr(g, name + "_hdr", hdr)
        setattr(g, name, objs)

    def drop(self, name: str) -> None:
        setattr(self.go.globals, name, None)
        setattr(self.go.globals, name + "_hdr", None)


def seed(go, scale=1.0, time_scale=1.0, fix=False):
    e = _Env(go, scale, time_scale)
    for _ in range(10):
        if fix:
            go.globals.a = None
        go.globals.a = go.make(e.sz(256))
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
    e.build("keep", e.sz(600), MiB)
    e.churn(100, 1024, 0.5)
    e.drop("keep")
    e.churn(10, 1024, 4)


def goroutines(go, scale=1.0, time_scale=1.0):
    e = _Env(go, scale, time_scale)
    n = int(20000 * scale)
    # main.go: deep(24, ...) parks with 24 frames of ~0.5 KiB: its stack grows to 16 KiB
    gs = [go.go(None, stack_bytes=16 * 1024) for _ in range(n)]
    e.churn(200, 1024, 3)
    for g in gs:
        go.exit(g)
    e.churn(200, 1024, 2)


def grow(go, scale=1.0, time_scale=1.0):
    e = _Env(go, scale, time_scale)
    per = e.sz(1.2)
    n_per = per // 512
    cap = 0
    length = 0
    held = []
    for _ in range(300):
        tmp = go.make(n_per * SLICE_HEADER_BYTES, pointers=True)  # build's own header slice
        held.append(go.build_live(n_per * 512, 512))
        go.drop(tmp)
        length += n_per
        if length > cap:  # append: a new, larger backing array; the old one is garbage
            cap = max(length, 2 * cap)
            go.globals.keep_hdr = go.make(cap * SLICE_HEADER_BYTES, pointers=True)
        go.globals.keep = held
        e.churn(200, 1024, 0.02)


def freeos(go, scale=1.0, time_scale=1.0):
    e = _Env(go, scale, time_scale)
    e.build("live", e.sz(100), 512)
    for _ in range(5):
        e.churn(300, 1024, 1)
        go.free_os_memory()


def globals_(go, scale=1.0, time_scale=1.0):
    e = _Env(go, scale, time_scale)
    go.declare_global("table", (8 << 20) * 8, pointers=True)  # var table [8 << 20]*[64]byte
    go.globals.table_objs = go.build_live((e.sz(50) // 64) * 64, 64)
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
    return main


# The shared corpus (../shared/corpus/gosrc/main.go): churn there allocates ceil(per/chunk)
# objects of chunk bytes every 2 ms; buildLive makes headers + objects like ours.

def _shared_seed(go):
    for _ in range(10):
        go.globals.a = go.make(1024 * MiB)
        go.sleep(1.0)


def _shared_steady(go):
    e = _Env(go, 1.0, 1.0)
    e.build("sink", 300 * MiB, 1024)
    e.churn(400, 4096, 8)


def _shared_batch(go):
    e = _Env(go, 1.0, 1.0)
    for _ in range(4):
        e.build("sink", 600 * MiB, 512)
        e.churn(100, 4096, 0.5)
        e.drop("sink")
        e.churn(50, 4096, 1.5)


def _shared_spike(go):
    e = _Env(go, 1.0, 1.0)
    e.build("sink", 50 * MiB, 1024)
    e.churn(100, 4096, 2)
    e.build("big", 1536 * MiB, MiB)
    e.churn(100, 4096, 1)
    e.drop("big")
    e.churn(100, 4096, 8)


SHARED: dict[str, Callable] = {"seed": _shared_seed, "steady": _shared_steady, "batch": _shared_batch,
                               "spike": _shared_spike}


def shared_program(name: str) -> Callable:
    return SHARED[name]
