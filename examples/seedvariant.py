"""The earlier variant of the seed's program (seed.txt's first output): ten times
`a = make([]byte, 1600*1000*1000)` (1.6 GB, not 1 GiB) with the old slice still referenced.
On Go 1.15 it printed HeapSys 1599, 3135, 4671, then 6207 MB: each 1.6 GB object needs a new
1528 MiB growth (4 MiB chunks), which sysAlloc maps in whole 64 MiB arenas (1536 MiB)."""

MEG = 1024 * 1024


def main(go):
    for i in range(10):
        go.globals.a = go.make(1600 * 1000 * 1000, touch=False)
        m = go.read_mem_stats()
        go.printf("sys: %d MB alloc: %d MB idel: %d MB released: %d MB inuse: %d MB\n",
                  m.HeapSys // MEG, m.HeapAlloc // MEG, m.HeapIdle // MEG, m.HeapReleased // MEG,
                  m.HeapInuse // MEG)
        go.sleep(1)
