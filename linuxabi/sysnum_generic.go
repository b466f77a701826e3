//go:build riscv64 || arm64 || loong64

package linuxabi

// numbers are the generic system-call numbers (include/uapi/asm-generic/
// unistd.h), which riscv64 uses.
var numbers = map[string]uint64{
	"getcwd":     17,
	"mknodat":    33,
	"mkdirat":    34,
	"unlinkat":   35,
	"symlinkat":  36,
	"linkat":     37,
	"umount2":    39,
	"mount":      40,
	"pivot_root": 41,
	"ftruncate":  46,
	"chdir":      49,
	"fchdir":     50,
	"chroot":     51,
	"openat":     56,
	"close":      57,
	"getdents64": 61,
	"lseek":      62,
	"read":       63,
	"write":      64,
	"readlinkat": 78,
	"newfstatat": 79,
	"unshare":    97,
	"renameat2":  276,
}
