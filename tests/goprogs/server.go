// server: a Go HTTP server on 127.0.0.1 (a free port, printed as "port N" on stdout) that
// exposes expvar (/debug/vars, the stdlib's MemStats) and /metrics: Prometheus text
// exposition of its runtime.MemStats with the go_memstats_* names of the Go Prometheus
// client, go_gc_duration_seconds_count (NumGC) and process_resident_memory_bytes (from
// /proc/self/statm). It keeps a 24 MiB live set and makes ~100 MiB/s of garbage, so it
// collects several times a second. Exits on SIGTERM or after LIFETIME seconds (default 20).
package main

import (
	_ "expvar"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var live [][]byte
var sink []byte

func metrics(w http.ResponseWriter, r *http.Request) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	g := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
	}
	c := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	fmt.Fprintf(w, "# HELP go_gc_duration_seconds A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles.\n# TYPE go_gc_duration_seconds summary\n")
	fmt.Fprintf(w, "go_gc_duration_seconds{quantile=\"0\"} 0\ngo_gc_duration_seconds_sum %g\ngo_gc_duration_seconds_count %d\n", float64(m.PauseTotalNs)/1e9, m.NumGC)
	g("go_goroutines", "Number of goroutines that currently exist.", uint64(runtime.NumGoroutine()))
	g("go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use.", m.Alloc)
	c("go_memstats_alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already.", m.TotalAlloc)
	g("go_memstats_buck_hash_sys_bytes", "Number of bytes used by the profiling bucket hash table.", m.BuckHashSys)
	c("go_memstats_frees_total", "Total number of heap objects frees.", m.Frees)
	g("go_memstats_gc_sys_bytes", "Number of bytes used for garbage collection system metadata.", m.GCSys)
	g("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use.", m.HeapAlloc)
	g("go_memstats_heap_idle_bytes", "Number of heap bytes waiting to be used.", m.HeapIdle)
	g("go_memstats_heap_inuse_bytes", "Number of heap bytes that are in use.", m.HeapInuse)
	g("go_memstats_heap_objects", "Number of currently allocated objects.", m.HeapObjects)
	g("go_memstats_heap_released_bytes", "Number of heap bytes released to OS.", m.HeapReleased)
	g("go_memstats_heap_sys_bytes", "Number of heap bytes obtained from system.", m.HeapSys)
	fmt.Fprintf(w, "# HELP go_memstats_last_gc_time_seconds Number of seconds since 1970 of last garbage collection.\n# TYPE go_memstats_last_gc_time_seconds gauge\ngo_memstats_last_gc_time_seconds %g\n", float64(m.LastGC)/1e9)
	c("go_memstats_mallocs_total", "Total number of heap objects allocated.", m.Mallocs)
	g("go_memstats_mcache_inuse_bytes", "Number of bytes in use by mcache structures.", m.MCacheInuse)
	g("go_memstats_mcache_sys_bytes", "Number of bytes used for mcache structures obtained from system.", m.MCacheSys)
	g("go_memstats_mspan_inuse_bytes", "Number of bytes in use by mspan structures.", m.MSpanInuse)
	g("go_memstats_mspan_sys_bytes", "Number of bytes used for mspan structures obtained from system.", m.MSpanSys)
	g("go_memstats_next_gc_bytes", "Number of heap bytes when next garbage collection will take place.", m.NextGC)
	g("go_memstats_other_sys_bytes", "Number of bytes used for other system allocations.", m.OtherSys)
	g("go_memstats_stack_inuse_bytes", "Number of bytes obtained from system for stack allocator in non-CGO environments.", m.StackInuse)
	g("go_memstats_stack_sys_bytes", "Number of bytes obtained from system for stack allocator.", m.StackSys)
	g("go_memstats_sys_bytes", "Number of bytes obtained from system.", m.Sys)
	statm, _ := os.ReadFile("/proc/self/statm")
	f := strings.Fields(string(statm))
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	g("process_resident_memory_bytes", "Resident memory size in bytes.", pages*uint64(os.Getpagesize()))
	fmt.Fprintf(w, "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.2f\n", float64(start.UnixNano())/1e9)
}

var start = time.Now()

func main() {
	lifetime := 20
	if len(os.Args) > 1 {
		lifetime, _ = strconv.Atoi(os.Args[1])
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	http.HandleFunc("/metrics", metrics)
	go http.Serve(ln, nil)
	for i := 0; i < 24; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		live = append(live, b)
	}
	fmt.Printf("port %d\n", ln.Addr().(*net.TCPAddr).Port)
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	end := time.After(time.Duration(lifetime) * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	for {
		select {
		case <-term:
			return
		case <-end:
			return
		case <-tick.C:
			for k := 0; k < 16; k++ { // 512 KiB per 5 ms = 100 MiB/s
				sink = make([]byte, 32<<10)
			}
		}
	}
}
