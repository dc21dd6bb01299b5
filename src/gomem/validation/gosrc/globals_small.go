//go:build !globals

package main

var table [1]*[64]byte
