// oom: allocates 1 MiB objects (touching one byte each) until the runtime cannot get more
// memory; run it under `ulimit -v` to see Go's "fatal error: ... out of memory".
package main

import "fmt"

var live [][]byte

func main() {
	for i := 0; i < 8000; i++ {
		b := make([]byte, 1<<20)
		b[0] = 1
		live = append(live, b)
	}
	fmt.Println(len(live))
}
