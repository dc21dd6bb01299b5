// Workloads whose real memory behaviour gomem's model is validated against
// (gomem validate; src/gomem/validation/workloads.py mirrors each one for the model).
//
//	prog -w NAME [-scale F] [-time F]
//
// -scale multiplies every size, -time every duration (1 = the recorded corpus).
// Every 50 ms, and once at the end, a runtime.MemStats sample is printed on
// stdout as one JSON line; GODEBUG=gctrace=1 lines go to stderr as usual.
// Builds with Go 1.19 and later: no newer standard library APIs.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

const (
	KiB = 1 << 10
	MiB = 1 << 20
)

var (
	scale = 1.0 // sizes
	tscal = 1.0 // durations

	a    []byte   // the seed's package-level slice
	live [][]byte // a live set of small objects
	keep [][]byte // a second live set (grow, spike)
	out  sync.Mutex
	blob byte
)

type sample struct {
	T            float64 `json:"t"`
	HeapSys      uint64  `json:"heap_sys"`
	HeapAlloc    uint64  `json:"heap_alloc"`
	HeapIdle     uint64  `json:"heap_idle"`
	HeapReleased uint64  `json:"heap_released"`
	HeapInuse    uint64  `json:"heap_inuse"`
	Sys          uint64  `json:"sys"`
	NextGC       uint64  `json:"next_gc"`
	NumGC        uint32  `json:"num_gc"`
	NumForcedGC  uint32  `json:"num_forced_gc"`
	StackInuse   uint64  `json:"stack_inuse"`
	GCCPU        float64 `json:"gc_cpu_fraction"`
	PauseTotalNs uint64  `json:"pause_total_ns"`
	TotalAlloc   uint64  `json:"total_alloc"`
}

var start = time.Now()

func emit() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s := sample{time.Since(start).Seconds(), m.HeapSys, m.HeapAlloc, m.HeapIdle, m.HeapReleased,
		m.HeapInuse, m.Sys, m.NextGC, m.NumGC, m.NumForcedGC, m.StackInuse, m.GCCPUFraction,
		m.PauseTotalNs, m.TotalAlloc}
	b, _ := json.Marshal(s)
	out.Lock()
	os.Stdout.Write(append(b, '\n'))
	out.Unlock()
}

func sampler(stop, done chan struct{}) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			emit()
			close(done)
			return
		case <-t.C:
			emit()
		}
	}
}

func sz(mib float64) int          { return int(mib * scale * MiB) }
func dur(s float64) time.Duration { return time.Duration(s * tscal * float64(time.Second)) }
func sleep(s float64)             { time.Sleep(dur(s)) }

// churn allocates garbage objects of size bytes at rateMiB (scaled) per second for s
// (scaled) seconds, in 2 ms steps paced against the wall clock.
func churn(rateMiB float64, size int, s float64) {
	const step = 2 * time.Millisecond
	per := int(rateMiB * scale * MiB * step.Seconds())
	end := time.Now().Add(dur(s))
	next := time.Now()
	carry := 0
	for time.Now().Before(end) {
		carry += per
		for ; carry >= size; carry -= size {
			b := make([]byte, size)
			b[0] = 1
		}
		next = next.Add(step)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
	}
}

// build returns a live set of total bytes in objects of size bytes (and the
// slice of headers that holds them: 24 bytes an object, pointerful).
func build(total, size int) [][]byte {
	n := total / size
	s := make([][]byte, n)
	for i := range s {
		s[i] = make([]byte, size)
		s[i][0] = byte(i)
	}
	return s
}

// touch writes one byte per 4 KiB page so the memory is resident (RSS).
func touch(b []byte) {
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
}

// deep recurses n frames of ~0.5 KiB each, then parks on ch: its stack grows
// to the next power of two above n*0.5 KiB.
func deep(n int, ch chan struct{}, wg *sync.WaitGroup) byte {
	var buf [448]byte
	buf[n%448] = byte(n)
	if n == 0 {
		<-ch
		wg.Done()
		return buf[3]
	}
	return deep(n-1, ch, wg) + buf[(n*7)%448]
}

func main() {
	wl := flag.String("w", "seed", "workload: seed seedfix service batch spike goroutines grow freeos globals")
	flag.Float64Var(&scale, "scale", 1, "multiply every size")
	flag.Float64Var(&tscal, "time", 1, "multiply every duration")
	flag.Parse()
	stop, done := make(chan struct{}), make(chan struct{})
	emit()
	go sampler(stop, done)
	switch *wl {
	case "seed": // the seed: a = make(256 MiB) while the old slice is still reachable
		for i := 0; i < 10; i++ {
			a = make([]byte, sz(256))
			sleep(0.5)
		}
	case "seedfix": // the fix: drop the old slice first
		for i := 0; i < 10; i++ {
			a = nil
			a = make([]byte, sz(256))
			sleep(0.5)
		}
	case "service": // steady service: 200 MiB live of 512 B objects, 400 MiB/s of 1 KiB garbage
		live = build(sz(200), 512)
		churn(400, 1024, 6)
	case "batch": // sawtooth: build 300 MiB, work, drop, rest; four times
		for i := 0; i < 4; i++ {
			live = build(sz(300), 512)
			churn(100, 1024, 0.5)
			live = nil
			churn(50, 1024, 1)
		}
	case "spike": // small steady state, a 600 MiB spike of 1 MiB objects (resident), then idle
		live = build(sz(30), 1024)
		churn(100, 1024, 1.5)
		keep = build(sz(600), MiB)
		for _, b := range keep {
			touch(b)
		}
		churn(100, 1024, 0.5)
		keep = nil
		churn(10, 1024, 4)
	case "goroutines": // 20k goroutines with ~12 KiB deep stacks (16 KiB each) + churn
		n := int(20000 * scale)
		ch := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(n)
		for i := 0; i < n; i++ {
			go deep(24, ch, &wg)
		}
		churn(200, 1024, 3)
		close(ch)
		wg.Wait()
		churn(200, 1024, 2)
	case "grow": // leak-like: live grows 60 MiB/s for 6 s (to 360 MiB) with 200 MiB/s garbage
		per := sz(1.2)
		for i := 0; i < 300; i++ {
			keep = append(keep, build(per, 512)...)
			churn(200, 1024, 0.02)
		}
	case "freeos": // 100 MiB live, 300 MiB/s garbage, debug.FreeOSMemory() every second
		live = build(sz(100), 512)
		for i := 0; i < 5; i++ {
			churn(300, 1024, 1)
			debug.FreeOSMemory()
		}
	case "globals": // 64 MiB pointer-holding global array + 50 MiB live + 300 MiB/s garbage
		if len(table) < 8<<20 {
			fmt.Fprintln(os.Stderr, "the globals workload needs a binary built with -tags globals")
			os.Exit(2)
		}
		n := sz(50) / 64
		step := len(table) / n
		if step < 1 {
			step = 1
		}
		for i := 0; i < len(table) && n > 0; i += step {
			table[i] = new([64]byte)
			n--
		}
		churn(300, 1024, 5)
		blob = table[0][0]
	default:
		fmt.Fprintf(os.Stderr, "unknown workload %q\n", *wl)
		os.Exit(2)
	}
	close(stop)
	<-done
}
