"""Ready-made workload programs: the real-run corpus' Go workloads (``shared/corpus/gosrc/
main.go``) written against the model's API, so the model can be compared with those runs.

Each function is a ``main(go)``. ``CORPUS_LIMITS`` are the GOMEMLIMITs the corpus used.
"""

from __future__ import annotations

MiB = 1 << 20

#: run_corpus.py LIMITS: GOMEMLIMIT per workload
CORPUS_LIMITS = {"seed": 3072 * MiB, "steady": 500 * MiB, "batch": 900 * MiB, "spike": 2048 * MiB}


def _touch_one_byte(size: int) -> float:
    """``b[0] = 1`` on a fresh ``size``-byte object makes one 4 KiB page resident."""
    return min(1.0, 4096 / size)


def sampler(go):
    """main.go's sampler goroutine: every 50 ms runtime.ReadMemStats and a JSON line
    (json.Encoder: a few hundred bytes of small garbage). Its small spans land, first fit,
    at the lowest free addresses, which can split a freed large object's pages: in the real
    seed runs that happened in 5 of 15 (the heap grew by one more GiB); with this light
    sampler the model never splits them, with a heavier one (4 KiB a tick) always."""
    while True:
        go.make(320)
        go.make(64)
        go.sleep(0.05)


def with_sampler(fn):
    """``fn`` with main.go's sampler goroutine running beside it."""

    def main(go):
        go.go(sampler, stack_bytes=8192)
        fn(go)

    main.__name__ = fn.__name__
    main.__doc__ = fn.__doc__
    return main


def seed(go):
    """case "seed": a = make([]byte, 1024*MiB) ten times, 1 s apart (never written)."""
    for _ in range(10):
        go.globals.a = go.make(1024 * MiB, touch=False)
        go.sleep(1)


def steady(go):
    """case "steady": 300 MiB live in 1 KiB objects, then 400 MiB/s of 4 KiB garbage for 8 s."""
    go.globals.sink = go.build_live(300 * MiB, 1024, touch=True)
    go.churn(400 * MiB, 4096, 8.0)


def batch(go):
    """case "batch": four times: build 600 MiB of 512 B objects, churn, drop them, churn."""
    for _ in range(4):
        go.globals.sink = go.build_live(600 * MiB, 512)
        go.churn(100 * MiB, 4096, 0.5)
        go.globals.sink = None
        go.churn(50 * MiB, 4096, 1.5)


def spike(go):
    """case "spike": 50 MiB live, churn, a 1.5 GiB spike of 1 MiB objects (one byte written
    each) held for 1 s, then 8 s of churn."""
    go.globals.sink = go.build_live(50 * MiB, 1024)
    go.churn(100 * MiB, 4096, 2.0)
    big = go.build_live(1536 * MiB, 1 << 20, touch=_touch_one_byte(1 << 20))
    go.churn(100 * MiB, 4096, 1.0)
    del big
    go.churn(100 * MiB, 4096, 8.0)


#: the corpus programs as recorded: each with the sampler goroutine
CORPUS = {"seed": with_sampler(seed), "steady": with_sampler(steady), "batch": with_sampler(batch),
          "spike": with_sampler(spike)}
