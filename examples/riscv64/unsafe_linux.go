//go:build linux

package main

import (
	"syscall"
	"unsafe"
)

// finitModule is finit_module(fd, "", 0).
func finitModule(fd uintptr) error {
	if sysFinitModule == 0 {
		return syscall.ENOSYS
	}
	empty := []byte{0}
	_, _, e := syscall.Syscall(sysFinitModule, fd, uintptr(unsafe.Pointer(&empty[0])), 0)
	if e != 0 {
		return e
	}
	return nil
}
