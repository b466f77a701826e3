//go:build !amd64 && !riscv64 && !arm64 && !loong64

package main

// sysFinitModule is unknown here: loading modules fails with ENOSYS.
const sysFinitModule = 0
