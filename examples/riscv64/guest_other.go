//go:build !linux

package main

import (
	"fmt"
	"os"
)

// guestMain is /init only on Linux.
func guestMain() {
	fmt.Println("/init needs Linux")
	os.Exit(1)
}
