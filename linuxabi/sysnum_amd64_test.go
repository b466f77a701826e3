//go:build linux

package linuxabi

import "syscall"

const sysNewfstatat = syscall.SYS_NEWFSTATAT
