"""Many goroutines: 10,000 parked connections with 8 KiB stacks and a 4 KiB buffer each,
and four workers that churn garbage. Stacks are not heap: they show in StackInuse, and the
GC's goal counts the stacks it scans (Go 1.18+)."""

MiB = 1 << 20
KiB = 1 << 10


def worker(go, n):
    for _ in range(5):
        go.churn(50 * MiB, 2048, 0.2)
        go.sleep(0.3)


def main(go):
    conns = go.go(None, stack_bytes=8 * KiB, count=10_000)  # parked in conn.Read
    go.globals.buffers = go.build_live(10_000 * 4 * KiB, 4 * KiB)
    for n in range(4):
        go.go(worker, n, stack_bytes=16 * KiB)
    go.sleep(3)
    m = go.read_mem_stats()
    go.printf("goroutines=%d stack_inuse=%d MiB heap_alloc=%d MiB next_gc=%d MiB num_gc=%d\n",
              go.num_goroutine(), m.StackInuse // MiB, m.HeapAlloc // MiB, m.NextGC // MiB, m.NumGC)
    conns.exit()
    go.globals.buffers = None
    go.gc()
    m = go.read_mem_stats()
    go.printf("after close: goroutines=%d stack_inuse=%d MiB heap_alloc=%d MiB num_gc=%d forced=%d\n",
              go.num_goroutine(), m.StackInuse // MiB, m.HeapAlloc // MiB, m.NumGC, m.NumForcedGC)
