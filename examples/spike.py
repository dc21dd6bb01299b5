"""A spike, then idle: a small steady state, one 1 GiB burst of 64 KiB buffers held for 2 s,
then five idle minutes with a trickle of requests. The burst is garbage at once, but the heap
goal it left is ~2 GiB, so no GC collects it until the 2-minute periodic GC (forcegcperiod);
the background scavenger then returns the memory to the OS (Go 1.21+ after one more cycle:
chunks that were dense in the last cycle are skipped), HeapReleased rises and RSS falls; at the
end debug.FreeOSMemory returns the rest at once."""

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
