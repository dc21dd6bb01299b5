// grow: prints "ready", then grows a live set by 2 MiB every 10 ms up to 160 MiB and keeps
// making garbage until it is killed, a SIGTERM arrives (prints "terminating", exits 3) or
// 20 s have passed (exits 0).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

var live [][]byte
var sink []byte

func main() {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	fmt.Println("ready", os.Getpid())
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	for {
		select {
		case <-term:
			fmt.Println("terminating")
			os.Exit(3)
		case <-deadline:
			return
		case <-tick.C:
			if len(live) < 80 {
				b := make([]byte, 2<<20)
				for j := 0; j < len(b); j += 4096 {
					b[j] = 1
				}
				live = append(live, b)
			}
			for k := 0; k < 32; k++ {
				sink = make([]byte, 64<<10)
			}
		}
	}
}
