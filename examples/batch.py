"""A batch job: a sawtooth. Five times: load 400 MiB of records (128-byte pointerful
structs), process them (some garbage), drop them, rest 2 s. Prints the heap at each peak
and each trough."""

MiB = 1 << 20


def main(go):
    for i in range(5):
        go.globals.records = go.build_live(400 * MiB, 128, pointers=True)
        go.churn(200 * MiB, 1024, 1.0)  # processing
        m = go.read_mem_stats()
        go.printf("batch %d loaded:  heap_alloc=%4d MiB heap_sys=%4d MiB retained=%4d MiB\n", i,
                  m.HeapAlloc // MiB, m.HeapSys // MiB, (m.HeapSys - m.HeapReleased) // MiB)
        go.globals.records = None
        go.sleep(2)
        m = go.read_mem_stats()
        go.printf("batch %d dropped: heap_alloc=%4d MiB heap_sys=%4d MiB retained=%4d MiB\n", i,
                  m.HeapAlloc // MiB, m.HeapSys // MiB, (m.HeapSys - m.HeapReleased) // MiB)
