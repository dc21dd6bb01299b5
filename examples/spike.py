"""A spike, then idle: a small steady state, one 1 GiB burst of 64 KiB buffers held for 2 s,
then five idle minutes with a trickle of requests. The background scavenger returns the
burst's memory to the OS over time (HeapReleased rises, RSS falls); at the end
debug.FreeOSMemory returns the rest at once."""

MiB = 1 << 20


def report(go, label):
    m = go.read_mem_stats()
    go.printf("%-14s heap_alloc=%4d MiB heap_sys=%4d MiB idle=%4d MiB released=%4d MiB\n", label,
              m.HeapAlloc // MiB, m.HeapSys // MiB, m.HeapIdle // MiB, m.HeapReleased // MiB)


def main(go):
    go.globals.state = go.build_live(50 * MiB, 1024)
    go.churn(20 * MiB, 4096, 2.0)
    burst = go.build_live(1024 * MiB, 64 << 10)
    report(go, "burst")
    go.churn(20 * MiB, 4096, 2.0)
    del burst
    go.churn(20 * MiB, 4096, 1.0)
    report(go, "after burst")
    for minute in range(1, 6):
        go.churn(1 * MiB, 4096, 60.0)  # idle: a trickle
        report(go, f"idle {minute} min")
    go.free_os_memory()
    report(go, "FreeOSMemory")
