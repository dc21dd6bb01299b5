"""The seed's program (../shared/reference/seed-scenario.md): ten times, allocate 1 GiB into a
package-level slice while the previous one is still referenced, print MemStats, sleep 1 s.

    var a []byte
    for i := 0; i < 10; i++ {
        a = make([]byte, 1024*meg)
        runtime.ReadMemStats(&m)
        fmt.Printf("env: %v, sys: %4d MB, alloc: %4d MB, idel: %4d MB, released: %4d MB, inuse: %4d MB\n", ...)
        time.Sleep(1 * time.Second)
    }
"""

MEG = 1024 * 1024


def main(go):
    for i in range(10):
        go.globals.a = go.make(1024 * MEG, touch=False)  # make([]byte) of fresh memory: not written
        m = go.read_mem_stats()
        go.printf("env: %v, sys: %4d MB, alloc: %4d MB, idel: %4d MB, released: %4d MB, inuse: %4d MB\n",
                  go.getenv("GODEBUG"), m.HeapSys // MEG, m.HeapAlloc // MEG, m.HeapIdle // MEG,
                  m.HeapReleased // MEG, m.HeapInuse // MEG)
        go.sleep(1)
