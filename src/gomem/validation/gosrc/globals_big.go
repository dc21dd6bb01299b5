//go:build globals

package main

// A large pointer-holding global: 8 Mi pointers = 64 MiB of scannable globals
// (bss), which the Go 1.18+ pacer adds to the heap goal (mgcpacer.go, heapGoal:
// globalsScan). Only the binary built with -tags globals has it, so the other
// workloads' goals are not inflated by it.
var table [8 << 20]*[64]byte
