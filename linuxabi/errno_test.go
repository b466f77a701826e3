package linuxabi

import (
	"strings"
	"testing"

	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
	"github.com/stretchr/testify/require"
)

// tree is the world every errno case starts from: /d a directory holding
// the file f ("hello"), /l a symbolic link to d, /mnt an empty directory,
// and four descriptors.
type tree struct {
	*env
	rd, wr, dir, path int64 // /d/f O_RDONLY, /d/f O_WRONLY, /d O_DIRECTORY, /d/f O_PATH
}

func newTree(t testing.TB) *tree { return makeTree(t, newEnv(t)) }

func makeTree(t testing.TB, e *env) *tree {
	e.ok("mkdirat", atFDCWD, e.str("/d"), 0o755)
	e.ok("mkdirat", atFDCWD, e.str("/mnt"), 0o755)
	e.ok("symlinkat", e.str("d"), atFDCWD, e.str("/l"))
	w := e.ok("openat", atFDCWD, e.str("/d/f"), vfs.O_WRONLY|vfs.O_CREAT, 0o644)
	require.Equal(t, int64(5), e.ok("write", fd(w), e.str("hello"), 5))
	return &tree{
		env:  e,
		rd:   e.ok("openat", atFDCWD, e.str("/d/f"), vfs.O_RDONLY, 0),
		wr:   w,
		dir:  e.ok("openat", atFDCWD, e.str("/d"), vfs.O_RDONLY|vfs.O_DIRECTORY, 0),
		path: e.ok("openat", atFDCWD, e.str("/d/f"), vfs.O_PATH, 0),
	}
}

var (
	longName    = strings.Repeat("a", PathMax)     // no room for the NUL: too long
	longestPath = strings.Repeat("a/", 2047) + "a" // 4095 bytes: fits
)

// errnoCase is one system call on a fresh tree and what it must return:
// "ok" or an errno name.
type errnoCase struct {
	name string
	call string
	args func(t *tree) []uint64
	want string
}

// libraryOnly are the cases where Linux answers otherwise because the
// library does not support the case, and why.
var libraryOnly = map[string]string{
	"openat/O_TMPFILE":      "O_TMPFILE is not supported (mount.FsContext.Open)",
	"linkat/follow":         "AT_SYMLINK_FOLLOW is not supported",
	"unshare/CLONE_NEWUSER": "user namespaces are not modelled",
}

func args(a ...uint64) []uint64 { return a }

var errnoCases = []errnoCase{
	// mount
	{"mount/null target", "mount", func(t *tree) []uint64 { return args(t.str("none"), 0, t.str("tmpfs"), 0, 0) }, "EFAULT"},
	{"mount/bad target", "mount", func(t *tree) []uint64 { return args(t.str("none"), badAddr, t.str("tmpfs"), 0, 0) }, "EFAULT"},
	{"mount/bad source", "mount", func(t *tree) []uint64 { return args(badAddr, t.str("/mnt"), t.str("tmpfs"), 0, 0) }, "EFAULT"},
	{"mount/bad type", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str("/mnt"), badAddr, 0, 0) }, "EFAULT"},
	{"mount/type into unmapped", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str("/mnt"), edgeString, 0, 0) }, "EFAULT"},
	{"mount/bad data", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str("/mnt"), t.str("tmpfs"), 0, badAddr) }, "EFAULT"},
	{"mount/data at a page's end", "mount", func(t *tree) []uint64 {
		return args(t.str("none"), t.str("/mnt"), t.str("tmpfs"), 0, edgeBase+PageSize-8) // "aaaaaaaa", then unmapped
	}, "EINVAL"},
	{"mount/source 4096 bytes", "mount", func(t *tree) []uint64 { return args(t.str(longName), t.str("/mnt"), t.str("tmpfs"), 0, 0) }, "EINVAL"},
	{"mount/type 4096 bytes", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str("/mnt"), t.str(longName), 0, 0) }, "EINVAL"},
	{"mount/type before source", "mount", func(t *tree) []uint64 { return args(badAddr, t.str("/mnt"), t.str(longName), 0, 0) }, "EINVAL"},
	{"mount/source before data", "mount", func(t *tree) []uint64 { return args(t.str(longName), t.str("/mnt"), t.str("tmpfs"), 0, badAddr) }, "EINVAL"},
	{"mount/data before target", "mount", func(t *tree) []uint64 { return args(t.str("none"), badAddr, t.str("tmpfs"), 0, badAddr) }, "EFAULT"},
	{"mount/target 4096 bytes", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str(longName), t.str("tmpfs"), 0, 0) }, "ENAMETOOLONG"},
	{"mount/empty target", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str(""), t.str("tmpfs"), 0, 0) }, "ENOENT"},
	{"mount/null type", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str("/mnt"), 0, 0, 0) }, "EINVAL"},
	{"mount/unknown type", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str("/mnt"), t.str("nosuchfs"), 0, 0) }, "ENODEV"},
	{"mount/MS_NOUSER", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str("/mnt"), t.str("tmpfs"), 1<<31, 0) }, "EINVAL"},
	{"mount/bind null source", "mount", func(t *tree) []uint64 { return args(0, t.str("/mnt"), 0, mount.MS_BIND, 0) }, "EINVAL"},
	{"mount/tmpfs", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str("/mnt"), t.str("tmpfs"), 0, t.str("size=1m")) }, "ok"},
	{"mount/magic", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str("/mnt"), t.str("tmpfs"), 0xC0ED0000, 0) }, "ok"},
	{"mount/bad option", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str("/mnt"), t.str("tmpfs"), 0, t.str("bogus=1")) }, "EINVAL"},
	{"mount/read-only data", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str("/mnt"), t.str("tmpfs"), 0, roBase) }, "ok"},
	{"mount/bind", "mount", func(t *tree) []uint64 { return args(t.str("/d"), t.str("/mnt"), 0, mount.MS_BIND, 0) }, "ok"},

	// umount2
	{"umount2/bad flags", "umount2", func(t *tree) []uint64 { return args(badAddr, 0x10) }, "EINVAL"},
	{"umount2/bad pointer", "umount2", func(t *tree) []uint64 { return args(badAddr, 0) }, "EFAULT"},
	{"umount2/null", "umount2", func(t *tree) []uint64 { return args(0, 0) }, "EFAULT"},
	{"umount2/long", "umount2", func(t *tree) []uint64 { return args(t.str(longName), 0) }, "ENAMETOOLONG"},
	{"umount2/empty", "umount2", func(t *tree) []uint64 { return args(t.str(""), 0) }, "ENOENT"},
	{"umount2/not a mount", "umount2", func(t *tree) []uint64 { return args(t.str("/d"), 0) }, "EINVAL"},
	{"umount2/expire and force", "umount2", func(t *tree) []uint64 { return args(t.str("/d"), mount.MNT_EXPIRE|mount.MNT_FORCE) }, "EINVAL"},

	// pivot_root
	{"pivot_root/bad new", "pivot_root", func(t *tree) []uint64 { return args(badAddr, t.str("/d")) }, "EFAULT"},
	{"pivot_root/bad old", "pivot_root", func(t *tree) []uint64 { return args(t.str("/mnt"), badAddr) }, "EFAULT"},
	{"pivot_root/missing new before bad old", "pivot_root", func(t *tree) []uint64 { return args(t.str("/nope"), badAddr) }, "ENOENT"},
	{"pivot_root/file new before bad old", "pivot_root", func(t *tree) []uint64 { return args(t.str("/d/f"), badAddr) }, "ENOTDIR"},
	{"pivot_root/long old", "pivot_root", func(t *tree) []uint64 { return args(t.str("/mnt"), t.str(longName)) }, "ENAMETOOLONG"},
	{"pivot_root/onto itself", "pivot_root", func(t *tree) []uint64 { return args(t.str("/mnt"), t.str("/mnt")) }, "EBUSY"},

	// chroot, chdir, fchdir
	{"chroot/bad", "chroot", func(t *tree) []uint64 { return args(badAddr) }, "EFAULT"},
	{"chroot/null", "chroot", func(t *tree) []uint64 { return args(0) }, "EFAULT"},
	{"chroot/long", "chroot", func(t *tree) []uint64 { return args(t.str(longName)) }, "ENAMETOOLONG"},
	{"chroot/empty", "chroot", func(t *tree) []uint64 { return args(t.str("")) }, "ENOENT"},
	{"chroot/file", "chroot", func(t *tree) []uint64 { return args(t.str("/d/f")) }, "ENOTDIR"},
	{"chroot/dir", "chroot", func(t *tree) []uint64 { return args(t.str("/d")) }, "ok"},
	{"chdir/bad", "chdir", func(t *tree) []uint64 { return args(badAddr) }, "EFAULT"},
	{"chdir/into unmapped", "chdir", func(t *tree) []uint64 { return args(edgeString) }, "EFAULT"},
	{"chdir/long", "chdir", func(t *tree) []uint64 { return args(t.str(longName)) }, "ENAMETOOLONG"},
	{"chdir/4095 bytes", "chdir", func(t *tree) []uint64 { return args(t.str(longestPath)) }, "ENOENT"},
	{"chdir/empty", "chdir", func(t *tree) []uint64 { return args(t.str("")) }, "ENOENT"},
	{"chdir/symlink", "chdir", func(t *tree) []uint64 { return args(t.str("/l")) }, "ok"},
	{"fchdir/bad fd", "fchdir", func(t *tree) []uint64 { return args(fd(badFD)) }, "EBADF"},
	{"fchdir/negative fd", "fchdir", func(t *tree) []uint64 { return args(fd(-1)) }, "EBADF"},
	{"fchdir/file", "fchdir", func(t *tree) []uint64 { return args(fd(t.rd)) }, "ENOTDIR"},
	{"fchdir/dir", "fchdir", func(t *tree) []uint64 { return args(fd(t.dir)) }, "ok"},

	// getcwd
	{"getcwd/bad buf", "getcwd", func(t *tree) []uint64 { return args(badAddr, 100) }, "EFAULT"},
	{"getcwd/read-only buf", "getcwd", func(t *tree) []uint64 { return args(roBase, 100) }, "EFAULT"},
	{"getcwd/size 0", "getcwd", func(t *tree) []uint64 { return args(0, 0) }, "ERANGE"},
	{"getcwd/size 1", "getcwd", func(t *tree) []uint64 { return args(t.buf(8), 1) }, "ERANGE"}, // "/" and its NUL
	{"getcwd/size 2", "getcwd", func(t *tree) []uint64 { return args(t.buf(8), 2) }, "ok"},

	// openat
	{"openat/bad path", "openat", func(t *tree) []uint64 { return args(atFDCWD, badAddr, 0, 0) }, "EFAULT"},
	{"openat/null path", "openat", func(t *tree) []uint64 { return args(atFDCWD, 0, 0, 0) }, "EFAULT"},
	{"openat/long", "openat", func(t *tree) []uint64 { return args(atFDCWD, t.str(longName), 0, 0) }, "ENAMETOOLONG"},
	{"openat/empty", "openat", func(t *tree) []uint64 { return args(atFDCWD, t.str(""), 0, 0) }, "ENOENT"},
	{"openat/bad dirfd", "openat", func(t *tree) []uint64 { return args(fd(badFD), t.str("f"), 0, 0) }, "EBADF"},
	{"openat/bad dirfd, bad path", "openat", func(t *tree) []uint64 { return args(fd(badFD), badAddr, 0, 0) }, "EFAULT"},
	{"openat/bad dirfd, absolute", "openat", func(t *tree) []uint64 { return args(fd(badFD), t.str("/d/f"), 0, 0) }, "ok"},
	{"openat/file dirfd", "openat", func(t *tree) []uint64 { return args(fd(t.rd), t.str("f"), 0, 0) }, "ENOTDIR"},
	{"openat/dirfd", "openat", func(t *tree) []uint64 { return args(fd(t.dir), t.str("f"), 0, 0) }, "ok"},
	{"openat/O_DIRECTORY on a file", "openat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d/f"), vfs.O_DIRECTORY, 0) }, "ENOTDIR"},
	{"openat/O_NOFOLLOW on a link", "openat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/l"), vfs.O_NOFOLLOW, 0) }, "ELOOP"},
	{"openat/O_EXCL existing", "openat", func(t *tree) []uint64 {
		return args(atFDCWD, t.str("/d/f"), vfs.O_CREAT|vfs.O_EXCL|vfs.O_WRONLY, 0o644)
	}, "EEXIST"},
	{"openat/write a directory", "openat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d"), vfs.O_WRONLY, 0) }, "EISDIR"},
	{"openat/O_TMPFILE", "openat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d"), vfs.O_TMPFILE|vfs.O_RDWR, 0o600) }, "EOPNOTSUPP"},

	// close
	{"close/bad fd", "close", func(t *tree) []uint64 { return args(fd(badFD)) }, "EBADF"},
	{"close/negative", "close", func(t *tree) []uint64 { return args(fd(-1)) }, "EBADF"},
	{"close/unsigned -1", "close", func(t *tree) []uint64 { return args(0xffffffff) }, "EBADF"},
	{"close/high bits ignored", "close", func(t *tree) []uint64 { return args(1<<40 | uint64(t.rd)) }, "ok"}, // fd is an unsigned int
	{"close/ok", "close", func(t *tree) []uint64 { return args(fd(t.rd)) }, "ok"},

	// mkdirat, mknodat
	{"mkdirat/bad path", "mkdirat", func(t *tree) []uint64 { return args(atFDCWD, badAddr, 0o755) }, "EFAULT"},
	{"mkdirat/long", "mkdirat", func(t *tree) []uint64 { return args(atFDCWD, t.str(longName), 0o755) }, "ENAMETOOLONG"},
	{"mkdirat/empty", "mkdirat", func(t *tree) []uint64 { return args(atFDCWD, t.str(""), 0o755) }, "ENOENT"},
	{"mkdirat/bad dirfd", "mkdirat", func(t *tree) []uint64 { return args(fd(badFD), t.str("x"), 0o755) }, "EBADF"},
	{"mkdirat/file dirfd", "mkdirat", func(t *tree) []uint64 { return args(fd(t.rd), t.str("x"), 0o755) }, "ENOTDIR"},
	{"mkdirat/exists", "mkdirat", func(t *tree) []uint64 { return args(fd(t.dir), t.str("f"), 0o755) }, "EEXIST"},
	{"mkdirat/ok", "mkdirat", func(t *tree) []uint64 { return args(fd(t.dir), t.str("sub"), 0o755) }, "ok"},
	{"mknodat/bad path", "mknodat", func(t *tree) []uint64 { return args(atFDCWD, badAddr, sIFIFO|0o644, 0) }, "EFAULT"},
	{"mknodat/long", "mknodat", func(t *tree) []uint64 { return args(atFDCWD, t.str(longName), sIFIFO|0o644, 0) }, "ENAMETOOLONG"},
	{"mknodat/bad dirfd", "mknodat", func(t *tree) []uint64 { return args(fd(badFD), t.str("p"), sIFIFO|0o644, 0) }, "EBADF"},
	{"mknodat/bad type", "mknodat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/p"), 0o070000|0o644, 0) }, "EINVAL"},
	{"mknodat/dir type", "mknodat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/p"), sIFDIR|0o755, 0) }, "EPERM"},
	{"mknodat/bad type before bad path", "mknodat", func(t *tree) []uint64 { return args(atFDCWD, badAddr, 0o070000|0o644, 0) }, "EINVAL"},
	{"mknodat/dir type before bad path", "mknodat", func(t *tree) []uint64 { return args(atFDCWD, badAddr, sIFDIR|0o755, 0) }, "EPERM"},
	{"mknodat/fifo", "mknodat", func(t *tree) []uint64 { return args(fd(t.dir), t.str("p"), sIFIFO|0o644, 0) }, "ok"},
	{"mknodat/null device", "mknodat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/null"), sIFCHR|0o666, 0x103) }, "ok"},

	// unlinkat
	{"unlinkat/bad flags", "unlinkat", func(t *tree) []uint64 { return args(atFDCWD, badAddr, 0x1) }, "EINVAL"},
	{"unlinkat/bad path", "unlinkat", func(t *tree) []uint64 { return args(atFDCWD, badAddr, 0) }, "EFAULT"},
	{"unlinkat/long", "unlinkat", func(t *tree) []uint64 { return args(atFDCWD, t.str(longName), 0) }, "ENAMETOOLONG"},
	{"unlinkat/empty", "unlinkat", func(t *tree) []uint64 { return args(atFDCWD, t.str(""), 0) }, "ENOENT"},
	{"unlinkat/bad dirfd", "unlinkat", func(t *tree) []uint64 { return args(fd(badFD), t.str("f"), 0) }, "EBADF"},
	{"unlinkat/dir", "unlinkat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/mnt"), 0) }, "EISDIR"},
	{"unlinkat/rmdir a file", "unlinkat", func(t *tree) []uint64 { return args(fd(t.dir), t.str("f"), AT_REMOVEDIR) }, "ENOTDIR"},
	{"unlinkat/rmdir non-empty", "unlinkat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d"), AT_REMOVEDIR) }, "ENOTEMPTY"},
	{"unlinkat/rmdir", "unlinkat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/mnt"), AT_REMOVEDIR) }, "ok"},
	{"unlinkat/file", "unlinkat", func(t *tree) []uint64 { return args(fd(t.dir), t.str("f"), 0) }, "ok"},

	// symlinkat
	{"symlinkat/bad target", "symlinkat", func(t *tree) []uint64 { return args(badAddr, atFDCWD, t.str("/s")) }, "EFAULT"},
	{"symlinkat/empty target", "symlinkat", func(t *tree) []uint64 { return args(t.str(""), atFDCWD, t.str("/s")) }, "ENOENT"},
	{"symlinkat/long target", "symlinkat", func(t *tree) []uint64 { return args(t.str(longName), atFDCWD, t.str("/s")) }, "ENAMETOOLONG"},
	{"symlinkat/bad path", "symlinkat", func(t *tree) []uint64 { return args(t.str("x"), atFDCWD, badAddr) }, "EFAULT"},
	{"symlinkat/bad dirfd", "symlinkat", func(t *tree) []uint64 { return args(t.str("x"), fd(badFD), t.str("s")) }, "EBADF"},
	{"symlinkat/exists", "symlinkat", func(t *tree) []uint64 { return args(t.str("x"), atFDCWD, t.str("/l")) }, "EEXIST"},
	{"symlinkat/ok", "symlinkat", func(t *tree) []uint64 { return args(t.str("x"), fd(t.dir), t.str("s")) }, "ok"},

	// linkat
	{"linkat/bad flags", "linkat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d/f"), atFDCWD, t.str("/g"), 0x1) }, "EINVAL"},
	{"linkat/follow", "linkat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d/f"), atFDCWD, t.str("/g"), AT_SYMLINK_FOLLOW) }, "EOPNOTSUPP"},
	{"linkat/bad old", "linkat", func(t *tree) []uint64 { return args(atFDCWD, badAddr, atFDCWD, t.str("/g"), 0) }, "EFAULT"},
	{"linkat/bad new", "linkat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d/f"), atFDCWD, badAddr, 0) }, "EFAULT"},
	{"linkat/long new", "linkat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d/f"), atFDCWD, t.str(longName), 0) }, "ENAMETOOLONG"},
	{"linkat/empty old", "linkat", func(t *tree) []uint64 { return args(atFDCWD, t.str(""), atFDCWD, t.str("/g"), 0) }, "ENOENT"},
	{"linkat/bad olddirfd", "linkat", func(t *tree) []uint64 { return args(fd(badFD), t.str("f"), atFDCWD, t.str("/g"), 0) }, "EBADF"},
	{"linkat/bad newdirfd", "linkat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d/f"), fd(badFD), t.str("g"), 0) }, "EBADF"},
	{"linkat/directory", "linkat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d"), atFDCWD, t.str("/g"), 0) }, "EPERM"},
	{"linkat/two dirfds", "linkat", func(t *tree) []uint64 {
		return args(fd(t.dir), t.str("f"), fd(t.ok("openat", atFDCWD, t.str("/mnt"), vfs.O_PATH, 0)), t.str("g"), 0)
	}, "ok"},

	// renameat2
	{"renameat2/bad old", "renameat2", func(t *tree) []uint64 { return args(atFDCWD, badAddr, atFDCWD, t.str("/g"), 0) }, "EFAULT"},
	{"renameat2/bad new", "renameat2", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d/f"), atFDCWD, badAddr, 0) }, "EFAULT"},
	{"renameat2/long old", "renameat2", func(t *tree) []uint64 { return args(atFDCWD, t.str(longName), atFDCWD, t.str("/g"), 0) }, "ENAMETOOLONG"},
	{"renameat2/bad flags", "renameat2", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d/f"), atFDCWD, t.str("/g"), 0x80) }, "EINVAL"},
	{"renameat2/noreplace and exchange", "renameat2", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d/f"), atFDCWD, t.str("/g"), 3) }, "EINVAL"},
	{"renameat2/bad flags before bad paths", "renameat2", func(t *tree) []uint64 { return args(atFDCWD, badAddr, atFDCWD, badAddr, 0x80) }, "EINVAL"},
	{"renameat2/whiteout and exchange", "renameat2", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d/f"), atFDCWD, t.str("/g"), 6) }, "EINVAL"},
	{"renameat2/noreplace existing", "renameat2", func(t *tree) []uint64 {
		return args(atFDCWD, t.str("/d"), atFDCWD, t.str("/mnt"), vfs.RENAME_NOREPLACE)
	}, "EEXIST"},
	{"renameat2/bad dirfd", "renameat2", func(t *tree) []uint64 { return args(fd(badFD), t.str("f"), atFDCWD, t.str("/g"), 0) }, "EBADF"},
	{"renameat2/two dirfds", "renameat2", func(t *tree) []uint64 {
		return args(fd(t.dir), t.str("f"), fd(t.ok("openat", atFDCWD, t.str("/mnt"), vfs.O_RDONLY, 0)), t.str("g"), 0)
	}, "ok"},

	// readlinkat
	{"readlinkat/bufsiz 0", "readlinkat", func(t *tree) []uint64 { return args(atFDCWD, badAddr, t.buf(8), 0) }, "EINVAL"},
	{"readlinkat/bufsiz negative", "readlinkat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/l"), t.buf(8), fd(-1)) }, "EINVAL"},
	{"readlinkat/bad path", "readlinkat", func(t *tree) []uint64 { return args(atFDCWD, badAddr, t.buf(8), 8) }, "EFAULT"},
	{"readlinkat/long", "readlinkat", func(t *tree) []uint64 { return args(atFDCWD, t.str(longName), t.buf(8), 8) }, "ENAMETOOLONG"},
	{"readlinkat/empty", "readlinkat", func(t *tree) []uint64 { return args(atFDCWD, t.str(""), t.buf(8), 8) }, "ENOENT"},
	{"readlinkat/empty on a file fd", "readlinkat", func(t *tree) []uint64 { return args(fd(t.path), t.str(""), t.buf(8), 8) }, "ENOENT"},
	{"readlinkat/empty on a bad fd", "readlinkat", func(t *tree) []uint64 { return args(fd(badFD), t.str(""), t.buf(8), 8) }, "EBADF"},
	{"readlinkat/not a link", "readlinkat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d"), t.buf(8), 8) }, "EINVAL"},
	{"readlinkat/bad buf", "readlinkat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/l"), badAddr, 8) }, "EFAULT"},
	{"readlinkat/bad dirfd", "readlinkat", func(t *tree) []uint64 { return args(fd(badFD), t.str("l"), t.buf(8), 8) }, "EBADF"},

	// newfstatat
	{"newfstatat/bad path", "newfstatat", func(t *tree) []uint64 { return args(atFDCWD, badAddr, t.buf(StatSize), 0) }, "EFAULT"},
	{"newfstatat/null path", "newfstatat", func(t *tree) []uint64 { return args(atFDCWD, 0, t.buf(StatSize), 0) }, "EFAULT"},
	{"newfstatat/long", "newfstatat", func(t *tree) []uint64 { return args(atFDCWD, t.str(longName), t.buf(StatSize), 0) }, "ENAMETOOLONG"},
	{"newfstatat/empty", "newfstatat", func(t *tree) []uint64 { return args(atFDCWD, t.str(""), t.buf(StatSize), 0) }, "ENOENT"},
	{"newfstatat/bad flags", "newfstatat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d"), t.buf(StatSize), 0x1) }, "EINVAL"},
	{"newfstatat/bad flags, bad path", "newfstatat", func(t *tree) []uint64 { return args(atFDCWD, badAddr, t.buf(StatSize), 0x1) }, "EINVAL"},
	{"newfstatat/bad statbuf", "newfstatat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d"), badAddr, 0) }, "EFAULT"},
	{"newfstatat/statbuf at a page's end", "newfstatat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/d"), edgeBase+PageSize-8, 0) }, "EFAULT"},
	{"newfstatat/bad dirfd", "newfstatat", func(t *tree) []uint64 { return args(fd(badFD), t.str("f"), t.buf(StatSize), 0) }, "EBADF"},
	{"newfstatat/empty path, bad fd", "newfstatat", func(t *tree) []uint64 { return args(fd(badFD), t.str(""), t.buf(StatSize), AT_EMPTY_PATH) }, "EBADF"},
	{"newfstatat/null path, bad negative fd", "newfstatat", func(t *tree) []uint64 { return args(fd(-5), 0, t.buf(StatSize), AT_EMPTY_PATH) }, "EBADF"},
	{"newfstatat/empty path, O_PATH fd", "newfstatat", func(t *tree) []uint64 { return args(fd(t.path), t.str(""), t.buf(StatSize), AT_EMPTY_PATH) }, "ok"},
	{"newfstatat/null path, AT_FDCWD", "newfstatat", func(t *tree) []uint64 { return args(atFDCWD, 0, t.buf(StatSize), AT_EMPTY_PATH) }, "ok"},
	{"newfstatat/missing", "newfstatat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/nope"), t.buf(StatSize), 0) }, "ENOENT"},

	// getdents64
	{"getdents64/bad fd", "getdents64", func(t *tree) []uint64 { return args(fd(badFD), t.buf(256), 256) }, "EBADF"},
	{"getdents64/O_PATH", "getdents64", func(t *tree) []uint64 {
		return args(fd(t.ok("openat", atFDCWD, t.str("/d"), vfs.O_PATH, 0)), t.buf(256), 256)
	}, "EBADF"},
	{"getdents64/file", "getdents64", func(t *tree) []uint64 { return args(fd(t.rd), t.buf(256), 256) }, "ENOTDIR"},
	{"getdents64/too small", "getdents64", func(t *tree) []uint64 { return args(fd(t.dir), t.buf(256), 16) }, "EINVAL"},
	{"getdents64/bad buf", "getdents64", func(t *tree) []uint64 { return args(fd(t.dir), badAddr, 256) }, "EFAULT"},
	{"getdents64/wrapping buf", "getdents64", func(t *tree) []uint64 { return args(fd(t.dir), ^uint64(0)-8, 256) }, "EFAULT"},

	// read, write
	{"read/bad fd", "read", func(t *tree) []uint64 { return args(fd(badFD), t.buf(8), 8) }, "EBADF"},
	{"read/write-only fd", "read", func(t *tree) []uint64 { return args(fd(t.wr), t.buf(8), 8) }, "EBADF"},
	{"read/O_PATH fd", "read", func(t *tree) []uint64 { return args(fd(t.path), t.buf(8), 8) }, "EBADF"},
	{"read/directory", "read", func(t *tree) []uint64 { return args(fd(t.dir), t.buf(8), 8) }, "EISDIR"},
	{"read/bad buf", "read", func(t *tree) []uint64 { return args(fd(t.rd), badAddr, 8) }, "EFAULT"},
	{"read/read-only buf", "read", func(t *tree) []uint64 { return args(fd(t.rd), roBase, 8) }, "EFAULT"},
	{"read/wrapping buf", "read", func(t *tree) []uint64 { return args(fd(t.rd), ^uint64(0)-4, 8) }, "EFAULT"},
	{"write/bad fd", "write", func(t *tree) []uint64 { return args(fd(badFD), t.str("x"), 1) }, "EBADF"},
	{"write/read-only fd", "write", func(t *tree) []uint64 { return args(fd(t.rd), badAddr, 1) }, "EBADF"},
	{"write/O_PATH fd", "write", func(t *tree) []uint64 { return args(fd(t.path), t.str("x"), 1) }, "EBADF"},
	{"write/bad buf", "write", func(t *tree) []uint64 { return args(fd(t.wr), badAddr, 1) }, "EFAULT"},
	{"write/zero bytes from a bad buf", "write", func(t *tree) []uint64 { return args(fd(t.wr), badAddr, 0) }, "ok"},

	// lseek, ftruncate
	{"lseek/bad fd", "lseek", func(t *tree) []uint64 { return args(fd(badFD), 0, 0) }, "EBADF"},
	{"lseek/bad whence", "lseek", func(t *tree) []uint64 { return args(fd(t.rd), 0, 5) }, "EINVAL"},
	{"lseek/negative", "lseek", func(t *tree) []uint64 { return args(fd(t.rd), fd(-1), 0) }, "EINVAL"},
	{"lseek/O_PATH", "lseek", func(t *tree) []uint64 { return args(fd(t.path), 0, 0) }, "EBADF"},
	{"lseek/fifo", "lseek", func(t *tree) []uint64 {
		t.ok("mknodat", atFDCWD, t.str("/p"), sIFIFO|0o644, 0)
		return args(fd(t.ok("openat", atFDCWD, t.str("/p"), vfs.O_RDONLY|vfs.O_NONBLOCK, 0)), 0, 0)
	}, "ESPIPE"},
	{"ftruncate/bad fd", "ftruncate", func(t *tree) []uint64 { return args(fd(badFD), 0) }, "EBADF"},
	{"ftruncate/bad fd, negative length", "ftruncate", func(t *tree) []uint64 { return args(fd(badFD), fd(-1)) }, "EINVAL"},
	{"ftruncate/O_PATH", "ftruncate", func(t *tree) []uint64 { return args(fd(t.path), 0) }, "EBADF"},
	{"ftruncate/negative", "ftruncate", func(t *tree) []uint64 { return args(fd(t.wr), fd(-1)) }, "EINVAL"},
	{"ftruncate/read-only fd", "ftruncate", func(t *tree) []uint64 { return args(fd(t.rd), 0) }, "EINVAL"},
	{"ftruncate/directory", "ftruncate", func(t *tree) []uint64 { return args(fd(t.dir), 0) }, "EINVAL"},
	{"ftruncate/ok", "ftruncate", func(t *tree) []uint64 { return args(fd(t.wr), 100) }, "ok"},

	// unshare
	{"unshare/unknown bit", "unshare", func(t *tree) []uint64 { return args(0x1) }, "EINVAL"},
	{"unshare/CLONE_NEWUSER", "unshare", func(t *tree) []uint64 { return args(cloneNewUser) }, "EOPNOTSUPP"},
	{"unshare/CLONE_NEWNS with an unknown bit", "unshare", func(t *tree) []uint64 { return args(CLONE_NEWNS | 0x1) }, "EINVAL"},
	{"unshare/nothing", "unshare", func(t *tree) []uint64 { return args(0) }, "ok"},
	{"unshare/CLONE_FS", "unshare", func(t *tree) []uint64 { return args(CLONE_FS | CLONE_FILES) }, "ok"},
	{"unshare/CLONE_NEWNS", "unshare", func(t *tree) []uint64 { return args(CLONE_NEWNS) }, "ok"},
}

func TestErrnos(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range errnoCases {
		seen[c.call] = true
		t.Run(c.name, func(t *testing.T) {
			tr := newTree(t)
			require.Equal(t, c.want, errName(tr.sys(c.call, c.args(tr)...)))
		})
	}
	for name := range entries {
		require.True(t, seen[name], "no errno case for %s", name)
	}
}

// Without CAP_SYS_ADMIN the mount calls are EPERM, after the strings are
// read.
func TestErrnosUnprivileged(t *testing.T) {
	for _, c := range []errnoCase{
		{"mount", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str("/mnt"), t.str("tmpfs"), 0, 0) }, "EPERM"},
		{"mount/bad type first", "mount", func(t *tree) []uint64 { return args(t.str("none"), t.str("/mnt"), badAddr, 0, 0) }, "EFAULT"},
		{"umount2", "umount2", func(t *tree) []uint64 { return args(t.str("/"), 0) }, "EPERM"},
		{"pivot_root", "pivot_root", func(t *tree) []uint64 { return args(t.str("/mnt"), t.str("/mnt")) }, "EPERM"},
		{"chroot", "chroot", func(t *tree) []uint64 { return args(t.str("/d")) }, "EPERM"},
		{"unshare", "unshare", func(t *tree) []uint64 { return args(CLONE_NEWNS) }, "EPERM"},
		{"mknodat/device", "mknodat", func(t *tree) []uint64 { return args(atFDCWD, t.str("/null"), sIFCHR|0o666, 0x103) }, "EPERM"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := newTree(t)
			tr.p.Context().SetCred(vfs.Cred{UID: 0, GID: 0})
			require.Equal(t, c.want, errName(tr.sys(c.call, c.args(tr)...)))
		})
	}
}

// Descriptors are the lowest free ones, and the table is bounded.
func TestDescriptorTable(t *testing.T) {
	e := newTree(t)
	path := e.str("/d/f")
	require.Equal(t, int64(4), e.ok("openat", atFDCWD, path, 0, 0))
	e.ok("close", fd(1))
	require.Equal(t, int64(1), e.ok("openat", atFDCWD, path, 0, 0))
	for i := 5; i < NOFILE; i++ {
		require.Equal(t, int64(i), e.ok("openat", atFDCWD, path, 0, 0))
	}
	require.Equal(t, "EMFILE", errName(e.sys("openat", atFDCWD, path, 0, 0)))
	require.Equal(t, "EFAULT", errName(e.sys("openat", atFDCWD, badAddr, 0, 0)), "the path is read before the table is full")
	require.Equal(t, "EMFILE", errName(e.sys("openat", atFDCWD, e.str("/nope"), 0, 0)), "a full table before the lookup")
	e.ok("close", fd(700))
	require.Equal(t, int64(700), e.ok("openat", atFDCWD, path, vfs.O_CLOEXEC, 0))
	require.Equal(t, "EBADF", errName(e.sys("close", fd(NOFILE))))
}
