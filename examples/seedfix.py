"""The seed's program with the fix: drop the old slice before allocating the new one
(`a = nil` before `a = make(...)`), so only one 1 GiB object is ever live and the heap peaks
near 2 GiB instead of 4 GiB."""

MEG = 1024 * 1024


def main(go):
    for i in range(10):
        go.globals.a = None  # a = nil: the old slice is garbage before the next make
        go.globals.a = go.make(1024 * MEG, touch=False)
        m = go.read_mem_stats()
        go.printf("env: %v, sys: %4d MB, alloc: %4d MB, idel: %4d MB, released: %4d MB, inuse: %4d MB\n",
                  go.getenv("GODEBUG"), m.HeapSys // MEG, m.HeapAlloc // MEG, m.HeapIdle // MEG,
                  m.HeapReleased // MEG, m.HeapInuse // MEG)
        go.sleep(1)
