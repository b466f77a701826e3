package linuxabi

// numbers are the x86-64 system-call numbers (arch/x86/entry/syscalls/
// syscall_64.tbl).
var numbers = map[string]uint64{
	"read":       0,
	"write":      1,
	"close":      3,
	"lseek":      8,
	"ftruncate":  77,
	"getcwd":     79,
	"chdir":      80,
	"fchdir":     81,
	"pivot_root": 155,
	"chroot":     161,
	"mount":      165,
	"umount2":    166,
	"getdents64": 217,
	"openat":     257,
	"mkdirat":    258,
	"mknodat":    259,
	"newfstatat": 262,
	"unlinkat":   263,
	"linkat":     265,
	"symlinkat":  266,
	"readlinkat": 267,
	"unshare":    272,
	"renameat2":  316,
}
