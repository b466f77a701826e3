//go:build linux

package main

import (
	"syscall"
	"unsafe"
)

// moduleInitCompressedFile is finit_module's MODULE_INIT_COMPRESSED_FILE:
// the kernel decompresses the module.
const moduleInitCompressedFile = 4

// finitModule is finit_module(fd, "", flags).
func finitModule(fd uintptr, flags uintptr) error {
	if sysFinitModule == 0 {
		return syscall.ENOSYS
	}
	empty := []byte{0}
	_, _, e := syscall.Syscall(sysFinitModule, fd, uintptr(unsafe.Pointer(&empty[0])), flags)
	if e != 0 {
		return e
	}
	return nil
}
