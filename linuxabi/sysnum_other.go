//go:build !amd64 && !riscv64 && !arm64 && !loong64

package linuxabi

// numbers is empty where this package does not know the system-call
// numbers: every call through Syscall is ENOSYS (the methods still work).
var numbers = map[string]uint64{}
