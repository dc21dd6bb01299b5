// hold: builds a live set of MIB MiB (every page written, so it is resident) while making a
// little garbage, holds it (its RSS peak is a plateau, not a spike between two samples), then prints its own kernel high-water mark (VmHWM from
// /proc/self/status) and runtime.MemStats.NumGC on stdout, just before it exits.
// Usage: hold [MIB] [HOLD_MS]
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

var live [][]byte
var sink []byte

func main() {
	mib := 150
	holdMS := 400
	if len(os.Args) > 1 {
		mib, _ = strconv.Atoi(os.Args[1])
	}
	if len(os.Args) > 2 {
		holdMS, _ = strconv.Atoi(os.Args[2])
	}
	fmt.Fprintln(os.Stderr, "hold: start")
	for i := 0; i < mib; i++ {
		b := make([]byte, 1<<20)
		for j := 0; j < len(b); j += 4096 {
			b[j] = byte(i)
		}
		live = append(live, b)
		for k := 0; k < 4; k++ { // 128 KiB of garbage per live MiB (the growing heap makes the GCs)
			sink = make([]byte, 32<<10)
		}
		if i%20 == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	time.Sleep(time.Duration(holdMS) * time.Millisecond)
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	st, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			f := strings.Fields(l)
			kb, _ := strconv.Atoi(f[1])
			fmt.Printf("VmHWM %d\n", kb*1024)
		}
	}
	fmt.Printf("NumGC %d\n", m.NumGC)
	fmt.Fprintln(os.Stderr, "hold: done", len(live))
}
