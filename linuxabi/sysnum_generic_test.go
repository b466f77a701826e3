//go:build linux && (riscv64 || arm64)

package linuxabi

import "syscall"

const sysNewfstatat = syscall.SYS_FSTATAT
