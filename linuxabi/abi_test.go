package linuxabi

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/mountkit/mountkit/vfs"
	"github.com/stretchr/testify/require"
)

func TestReadWriteSeek(t *testing.T) {
	e := newTree(t)
	b := e.buf(16)
	require.Equal(t, int64(5), e.ok("read", fd(e.rd), b, 16))
	require.Equal(t, "hello", string(e.bytes(b, 5)))
	require.Equal(t, int64(0), e.ok("read", fd(e.rd), b, 16), "end of file")
	require.Equal(t, int64(1), e.ok("lseek", fd(e.rd), 1, io.SeekStart))
	require.Equal(t, int64(2), e.ok("read", fd(e.rd), b, 2))
	require.Equal(t, "el", string(e.bytes(b, 2)))
	require.Equal(t, int64(5), e.ok("lseek", fd(e.rd), 0, io.SeekEnd))
	require.Equal(t, int64(0), e.ok("read", fd(e.rd), badAddr, 0), "zero bytes touch no memory")

	// A write that runs into unmapped memory writes what was mapped.
	require.Equal(t, int64(10), e.ok("write", fd(e.wr), edgeBase+PageSize-10, 100))
	require.Equal(t, int64(0), e.ok("lseek", fd(e.rd), 0, io.SeekStart))
	require.Equal(t, int64(15), e.ok("read", fd(e.rd), b, 16))
	require.Equal(t, "helloaaaaaaaaaa", string(e.bytes(b, 15)))

	// A read into a buffer that ends early copies what fits, and the
	// offset moves by that much only.
	e.ok("lseek", fd(e.rd), 0, io.SeekStart)
	require.Equal(t, int64(4), e.ok("read", fd(e.rd), edgeBase+PageSize-4, 10))
	require.Equal(t, int64(4), e.ok("lseek", fd(e.rd), 0, io.SeekCurrent))
}

func TestReadLarge(t *testing.T) {
	e := newEnv(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320000 bytes: several chunks
	w := e.ok("openat", atFDCWD, e.str("/big"), vfs.O_RDWR|vfs.O_CREAT, 0o600)
	src := e.put(data)
	require.Equal(t, int64(len(data)), e.ok("write", fd(w), src, uint64(len(data))))
	e.ok("lseek", fd(w), 0, io.SeekStart)
	dst := e.buf(len(data) + 100)
	require.Equal(t, int64(len(data)), e.ok("read", fd(w), dst, uint64(len(data)+100)))
	require.Equal(t, data, e.bytes(dst, len(data)))
	require.Equal(t, int64(len(data)), e.ok("ftruncate", fd(w), 0)+int64(len(data)))
}

func TestGetcwd(t *testing.T) {
	e := newTree(t)
	e.ok("chdir", e.str("/l"))
	b := e.buf(64)
	require.Equal(t, int64(3), e.ok("getcwd", b, 64))
	require.Equal(t, "/d\x00", string(e.bytes(b, 3)))
	require.Equal(t, "ERANGE", errName(e.sys("getcwd", b, 2)))
	require.Equal(t, int64(3), e.ok("getcwd", b, 3))
	e.ok("chdir", e.str(".."))
	e.ok("unlinkat", atFDCWD, e.str("/mnt"), AT_REMOVEDIR)
	e.ok("openat", atFDCWD, e.str("/x"), vfs.O_CREAT|vfs.O_WRONLY, 0o600)
	e.ok("mkdirat", atFDCWD, e.str("/gone"), 0o755)
	e.ok("chdir", e.str("/gone"))
	e.ok("unlinkat", atFDCWD, e.str("/gone"), AT_REMOVEDIR)
	require.Equal(t, "ENOENT", errName(e.sys("getcwd", b, 64)), "removed working directory")
}

func TestStatLayout(t *testing.T) {
	e := newTree(t)
	b := e.buf(StatSize + 8)
	e.ok("newfstatat", atFDCWD, e.str("/d/f"), b, 0)
	st, err := e.p.Context().Stat("/d/f")
	require.NoError(t, err)
	got := e.bytes(b, StatSize)
	require.Equal(t, encodeStat(&st), got)
	require.Equal(t, st.Dev, le.Uint64(got[0:]))
	require.Equal(t, st.Ino, le.Uint64(got[8:]))
	var mode, size uint64
	if StatSize == 144 { // x86-64
		mode, size = uint64(le.Uint32(got[24:])), le.Uint64(got[48:])
		require.Equal(t, uint64(1), le.Uint64(got[16:]), "nlink")
	} else {
		mode, size = uint64(le.Uint32(got[16:])), le.Uint64(got[48:])
		require.Equal(t, uint32(1), le.Uint32(got[20:]), "nlink")
	}
	require.Equal(t, uint64(vfs.ModeRegular|0o644), mode)
	require.Equal(t, uint64(5), size)
	require.Equal(t, uint64(st.Mtime.Sec), le.Uint64(got[88:]))
	require.Equal(t, make([]byte, 8), e.bytes(b+StatSize, 8), "nothing written past the struct")

	// AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, a directory descriptor.
	e.ok("newfstatat", atFDCWD, e.str("/l"), b, AT_SYMLINK_NOFOLLOW)
	lst, err := e.p.Context().Lstat("/l")
	require.NoError(t, err)
	require.Equal(t, encodeStat(&lst), e.bytes(b, StatSize))
	e.ok("newfstatat", fd(e.path), e.str(""), b, AT_EMPTY_PATH)
	require.Equal(t, encodeStat(&st), e.bytes(b, StatSize))
	e.ok("newfstatat", fd(e.dir), e.str("f"), b, 0)
	require.Equal(t, encodeStat(&st), e.bytes(b, StatSize))
}

// dirents decodes linux_dirent64 records.
func dirents(t *testing.T, b []byte) (names []string, types []byte, offs []uint64) {
	for len(b) > 0 {
		reclen := int(le.Uint16(b[16:]))
		require.Zero(t, reclen%8)
		require.GreaterOrEqual(t, len(b), reclen)
		name := b[19:reclen]
		names = append(names, string(name[:bytes.IndexByte(name, 0)]))
		types = append(types, b[18])
		offs = append(offs, le.Uint64(b[8:]))
		b = b[reclen:]
	}
	return
}

func TestGetdents64(t *testing.T) {
	e := newTree(t)
	for _, n := range []string{"b", "c", strings.Repeat("x", 200)} {
		e.ok("mkdirat", fd(e.dir), e.str(n), 0o755)
	}
	b := e.buf(4096)
	n := e.ok("getdents64", fd(e.dir), b, 4096)
	names, types, _ := dirents(t, e.bytes(b, int(n)))
	require.Equal(t, []string{".", "..", "f", "b", "c", strings.Repeat("x", 200)}, names)
	require.Equal(t, []byte{4, 4, 8, 4, 4, 4}, types)
	require.Equal(t, int64(0), e.ok("getdents64", fd(e.dir), b, 4096), "end")

	// A small buffer takes what fits; the rest comes next time.
	e.ok("lseek", fd(e.dir), 0, io.SeekStart)
	var all []string
	for {
		n := e.ok("getdents64", fd(e.dir), b, 48)
		if n == 0 {
			break
		}
		got, _, _ := dirents(t, e.bytes(b, int(n)))
		all = append(all, got...)
		if len(all) == 5 {
			require.Equal(t, "EINVAL", errName(e.sys("getdents64", fd(e.dir), b, 48)), "the long name never fits")
			n = e.ok("getdents64", fd(e.dir), b, 4096)
			got, _, _ = dirents(t, e.bytes(b, int(n)))
			all = append(all, got...)
		}
	}
	require.Equal(t, names, all)

	// The offsets resume where they say.
	e.ok("lseek", fd(e.dir), 0, io.SeekStart)
	n = e.ok("getdents64", fd(e.dir), b, 4096)
	_, _, offs := dirents(t, e.bytes(b, int(n)))
	e.ok("lseek", fd(e.dir), int64ToReg(int64(offs[2])), io.SeekStart)
	n = e.ok("getdents64", fd(e.dir), b, 4096)
	rest, _, _ := dirents(t, e.bytes(b, int(n)))
	require.Equal(t, names[3:], rest)

	// A buffer that ends inside the second record returns the first.
	e.ok("lseek", fd(e.dir), 0, io.SeekStart)
	require.Equal(t, int64(24), e.ok("getdents64", fd(e.dir), edgeBase+PageSize-30, 4096))
	n = e.ok("getdents64", fd(e.dir), b, 4096)
	rest, _, _ = dirents(t, e.bytes(b, int(n)))
	require.Equal(t, names[1:], rest)
}

func int64ToReg(v int64) uint64 { return uint64(v) }

func TestReadlinkat(t *testing.T) {
	e := newTree(t)
	e.ok("symlinkat", e.str("a/long/target"), atFDCWD, e.str("/t"))
	b := e.buf(32)
	require.Equal(t, int64(13), e.ok("readlinkat", atFDCWD, e.str("/t"), b, 32))
	require.Equal(t, "a/long/target\x00", string(e.bytes(b, 14)), "no NUL is written")
	require.Equal(t, int64(4), e.ok("readlinkat", atFDCWD, e.str("/t"), b+100, 4))
	require.Equal(t, "a/lo", string(e.bytes(b+100, 4)))
	require.Equal(t, int64(1), e.ok("readlinkat", fd(e.ok("openat", atFDCWD, e.str("/"), vfs.O_PATH, 0)), e.str("l"), b, 32))
}

func TestAtCalls(t *testing.T) {
	e := newTree(t)
	mnt := e.ok("openat", atFDCWD, e.str("/mnt"), vfs.O_PATH|vfs.O_DIRECTORY, 0)
	e.ok("mkdirat", fd(mnt), e.str("sub"), 0o700)
	e.ok("linkat", fd(e.dir), e.str("f"), fd(mnt), e.str("sub/g"))
	e.ok("renameat2", fd(mnt), e.str("sub/g"), fd(e.dir), e.str("h"))
	e.ok("symlinkat", e.str("../d/h"), fd(mnt), e.str("s"))
	b := e.buf(8)
	r := e.ok("openat", fd(mnt), e.str("s"), vfs.O_RDONLY, 0)
	require.Equal(t, int64(5), e.ok("read", fd(r), b, 8))
	require.Equal(t, "hello", string(e.bytes(b, 5)))
	st := e.buf(StatSize)
	e.ok("newfstatat", fd(r), 0, st, AT_EMPTY_PATH)
	s, err := e.p.Context().Stat("/d/f")
	require.NoError(t, err)
	require.Equal(t, uint64(2), uint64(s.Nlink), "f and h: g was renamed to h")
	e.ok("unlinkat", fd(e.dir), e.str("h"), 0)
	e.ok("unlinkat", fd(mnt), e.str("sub"), AT_REMOVEDIR)
	require.Equal(t, "ENOENT", errName(e.sys("newfstatat", fd(mnt), e.str("sub"), st, 0)))
}

func TestMountCalls(t *testing.T) {
	e := newTree(t)
	e.ok("mount", e.str("none"), e.str("/mnt"), e.str("tmpfs"), 0x2|0x4, e.str("size=1m,mode=700"))
	e.ok("mount", e.str("/d"), e.str("/mnt"), 0, 0x1000, 0) // MS_BIND on top
	info := e.p.Context().MountInfo()
	require.Contains(t, info, " /mnt rw,nosuid,nodev,relatime ")
	require.Contains(t, info, "/d /mnt rw")
	e.ok("umount2", e.str("/mnt"), 0)
	e.ok("umount2", e.str("/mnt"), 2) // MNT_DETACH
	require.NotContains(t, e.p.Context().MountInfo(), "/mnt")
	e.ok("unshare", CLONE_NEWNS)
	e.ok("mount", e.str("none"), e.str("/mnt"), e.str("tmpfs"), 0, 0)
	e.ok("mkdirat", atFDCWD, e.str("/mnt/old"), 0o755)
	e.ok("chdir", e.str("/mnt"))
	e.ok("mount", e.str("/"), e.str("/"), 0, 1<<18|1<<14, 0) // MS_PRIVATE|MS_REC
	e.ok("pivot_root", e.str("."), e.str("old"))
	e.ok("umount2", e.str("/old"), 2)
	require.Equal(t, 1, strings.Count(e.p.Context().MountInfo(), "\n"))
	e.ok("chroot", e.str("/old"))
}

func TestSyscallNumbers(t *testing.T) {
	require.Len(t, entries, 23)
	if len(numbers) == 0 {
		t.Skip("no system-call table on this architecture")
	}
	require.Len(t, numbers, len(entries))
	seen := map[uint64]string{}
	for name, nr := range numbers {
		require.NotNil(t, entries[name], name)
		require.Empty(t, seen[nr], "%s and %s share %d", name, seen[nr], nr)
		seen[nr] = name
		require.Equal(t, name, Table[nr].Name)
	}
	for nr, want := range sysNumbers() {
		require.Equal(t, want, Table[nr].Name, "syscall.SYS_* %d", nr)
	}
	require.Equal(t, "ENOSYS", errName(newEnv(t).p.Syscall(100000, Args{})))
}

func TestMemory(t *testing.T) {
	var m Memory
	require.Equal(t, vfs.EINVAL, m.Map(0, make([]byte, 8)))
	require.Equal(t, vfs.EINVAL, m.Map(8, nil))
	require.Equal(t, vfs.EINVAL, m.Map(^uint64(0)-3, make([]byte, 8)))
	require.NoError(t, m.Map(100, make([]byte, 10)))
	require.NoError(t, m.Map(110, make([]byte, 10)))
	require.Equal(t, vfs.EINVAL, m.Map(95, make([]byte, 6)))
	require.Equal(t, vfs.EINVAL, m.Map(119, make([]byte, 6)))
	n, err := m.WriteAt([]byte("0123456789abcdefghij!"), 100)
	require.Equal(t, 20, n, "two adjacent regions")
	require.Equal(t, vfs.EFAULT, err)
	b := make([]byte, 20)
	n, err = m.ReadAt(b, 100)
	require.NoError(t, err)
	require.Equal(t, "0123456789abcdefghij", string(b[:n]))
	n, err = m.ReadAt(b, 99)
	require.Equal(t, 0, n)
	require.Equal(t, vfs.EFAULT, err)
}
