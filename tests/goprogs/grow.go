// grow: prints "ready", then grows a live set by 2 MiB every 10 ms up to 160 MiB and keeps
// making garbage until it is killed, a SIGTERM arrives (prints "terminating", exits 3), a
// SIGINT arrives (counts the SIGINTs that arrive within 300 ms, prints "sigint N", exits 4) or
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
	intr := make(chan os.Signal, 8)
	signal.Notify(intr, syscall.SIGINT)
	fmt.Println("ready", os.Getpid())
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	for {
		select {
		case <-term:
			fmt.Println("terminating")
			os.Exit(3)
		case <-intr:
			n := 1
			wait := time.After(300 * time.Millisecond)
		count:
			for {
				select {
				case <-intr:
					n++
				case <-wait:
					break count
				}
			}
			fmt.Println("sigint", n)
			os.Exit(4)
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
