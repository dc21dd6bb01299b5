"""A service: 500 MiB of long-lived small objects (a cache of 256-byte pointerful entries),
then 60 s of request traffic making 1 GiB/s of small garbage (512-byte buffers). Prints a
MemStats line every 10 simulated seconds."""

MiB = 1 << 20
GiB = 1 << 30


def main(go):
    go.globals.cache = go.build_live(500 * MiB, 256, pointers=True)
    start = go.now()
    for _ in range(6):
        go.churn(1 * GiB, 512, 10.0)  # request handlers' temporaries
        m = go.read_mem_stats()
        go.printf("t=%5.1fs heap_alloc=%4d MiB heap_sys=%4d MiB released=%3d MiB next_gc=%4d MiB num_gc=%d\n",
                  go.now() - start, m.HeapAlloc // MiB, m.HeapSys // MiB, m.HeapReleased // MiB,
                  m.NextGC // MiB, m.NumGC)
