//go:build linux && !amd64 && !arm64 && !riscv64 && !loong64

package script

// sysSetns is unknown on this architecture; Fork fails with ENOSYS.
const sysSetns = 0
