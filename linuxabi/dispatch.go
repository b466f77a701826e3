package linuxabi

import "github.com/mountkit/mountkit/vfs"

// Args are a system call's six argument registers (a0-a5 on riscv64; rdi,
// rsi, rdx, r10, r8, r9 on x86-64).
type Args [6]uint64

// Entry is one system call of a dispatch table.
type Entry struct {
	Name string
	Call func(p *Process, a *Args) int64
}

// Syscall dispatches system call nr with arguments a through Table and
// returns what the system call returns; ENOSYS for a number the table does
// not hold.
func (p *Process) Syscall(nr uint64, a Args) int64 {
	e, ok := Table[nr]
	if !ok {
		return -int64(vfs.ENOSYS)
	}
	return e.Call(p, &a)
}

// entries maps the system calls of this package to their implementations,
// by name; the architecture's number files give the numbers.
var entries = map[string]func(p *Process, a *Args) int64{
	"read":       func(p *Process, a *Args) int64 { return p.Read(int64(int32(a[0])), a[1], a[2]) },
	"write":      func(p *Process, a *Args) int64 { return p.Write(int64(int32(a[0])), a[1], a[2]) },
	"close":      func(p *Process, a *Args) int64 { return p.Close(int64(int32(a[0]))) },
	"lseek":      func(p *Process, a *Args) int64 { return p.Lseek(int64(int32(a[0])), int64(a[1]), uint64(uint32(a[2]))) },
	"ftruncate":  func(p *Process, a *Args) int64 { return p.Ftruncate(int64(int32(a[0])), int64(a[1])) },
	"getdents64": func(p *Process, a *Args) int64 { return p.Getdents64(int64(int32(a[0])), a[1], uint64(uint32(a[2]))) },
	"getcwd":     func(p *Process, a *Args) int64 { return p.Getcwd(a[0], a[1]) },
	"chdir":      func(p *Process, a *Args) int64 { return p.Chdir(a[0]) },
	"fchdir":     func(p *Process, a *Args) int64 { return p.Fchdir(int64(int32(a[0]))) },
	"chroot":     func(p *Process, a *Args) int64 { return p.Chroot(a[0]) },
	"openat": func(p *Process, a *Args) int64 {
		return p.Openat(int64(int32(a[0])), a[1], int64(int32(a[2])), uint64(uint32(a[3])))
	},
	"mkdirat": func(p *Process, a *Args) int64 { return p.Mkdirat(int64(int32(a[0])), a[1], uint64(uint32(a[2]))) },
	"mknodat": func(p *Process, a *Args) int64 {
		return p.Mknodat(int64(int32(a[0])), a[1], uint64(uint32(a[2])), uint64(uint32(a[3])))
	},
	"unlinkat":  func(p *Process, a *Args) int64 { return p.Unlinkat(int64(int32(a[0])), a[1], int64(int32(a[2]))) },
	"symlinkat": func(p *Process, a *Args) int64 { return p.Symlinkat(a[0], int64(int32(a[1])), a[2]) },
	"linkat": func(p *Process, a *Args) int64 {
		return p.Linkat(int64(int32(a[0])), a[1], int64(int32(a[2])), a[3], int64(int32(a[4])))
	},
	"renameat2": func(p *Process, a *Args) int64 {
		return p.Renameat2(int64(int32(a[0])), a[1], int64(int32(a[2])), a[3], uint64(uint32(a[4])))
	},
	"readlinkat": func(p *Process, a *Args) int64 {
		return p.Readlinkat(int64(int32(a[0])), a[1], a[2], int64(int32(a[3])))
	},
	"newfstatat": func(p *Process, a *Args) int64 {
		return p.Newfstatat(int64(int32(a[0])), a[1], a[2], int64(int32(a[3])))
	},
	"mount":      func(p *Process, a *Args) int64 { return p.Mount(a[0], a[1], a[2], a[3], a[4]) },
	"umount2":    func(p *Process, a *Args) int64 { return p.Umount2(a[0], int64(int32(a[1]))) },
	"pivot_root": func(p *Process, a *Args) int64 { return p.PivotRoot(a[0], a[1]) },
	"unshare":    func(p *Process, a *Args) int64 { return p.Unshare(uint64(uint32(a[0]))) },
}

// Table is the dispatch table of the architecture the package is built
// for, keyed by system-call number.
var Table = buildTable(numbers)

func buildTable(nums map[string]uint64) map[uint64]Entry {
	t := make(map[uint64]Entry, len(nums))
	for name, nr := range nums {
		t[nr] = Entry{Name: name, Call: entries[name]}
	}
	return t
}
