//go:build linux && (amd64 || riscv64 || arm64)

package linuxabi

import "syscall"

// sysNumbers are the numbers package syscall knows, for a cross-check.
func sysNumbers() map[uint64]string {
	return map[uint64]string{
		syscall.SYS_READ: "read", syscall.SYS_WRITE: "write", syscall.SYS_CLOSE: "close",
		syscall.SYS_LSEEK: "lseek", syscall.SYS_FTRUNCATE: "ftruncate", syscall.SYS_GETCWD: "getcwd",
		syscall.SYS_CHDIR: "chdir", syscall.SYS_FCHDIR: "fchdir", syscall.SYS_CHROOT: "chroot",
		syscall.SYS_PIVOT_ROOT: "pivot_root", syscall.SYS_MOUNT: "mount", syscall.SYS_UMOUNT2: "umount2",
		syscall.SYS_GETDENTS64: "getdents64", syscall.SYS_OPENAT: "openat", syscall.SYS_MKDIRAT: "mkdirat",
		syscall.SYS_MKNODAT: "mknodat", syscall.SYS_UNLINKAT: "unlinkat", syscall.SYS_LINKAT: "linkat",
		syscall.SYS_SYMLINKAT: "symlinkat", syscall.SYS_READLINKAT: "readlinkat", syscall.SYS_UNSHARE: "unshare",
		sysNewfstatat: "newfstatat",
	}
}
