package memfs

import (
	"bytes"
	"sync"
	"testing"
	"unsafe"

	"github.com/mountkit/mountkit/vfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testT is what the helpers need of a *testing.T or a *rapid.T.
type testT interface {
	Helper()
	Errorf(format string, args ...any)
	FailNow()
	Cleanup(func())
}

// setClock replaces vfs.Now and returns a function restoring it.
func setClock(now func() vfs.Timespec) func() {
	old := vfs.Now
	vfs.Now = now
	return func() { vfs.Now = old }
}

func newFS(t testT, data string) *FS {
	t.Helper()
	o, err := linuxHost.ParseOptions(data)
	require.NoError(t, err)
	return New(o)
}

var reg = vfs.CreateOpts{Mode: 0o644}
var dir = vfs.CreateOpts{Mode: 0o755}

func attr(t testT, ino vfs.Inode) vfs.Attr {
	t.Helper()
	a, err := ino.Getattr()
	require.NoError(t, err)
	return a
}

func open(t testT, ino vfs.Inode, flags int) vfs.File {
	t.Helper()
	f, err := ino.Open(flags)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func names(t testT, d vfs.Inode, cookie uint64) []vfs.DirEntry {
	t.Helper()
	f := open(t, d, vfs.O_RDONLY)
	var out []vfs.DirEntry
	require.NoError(t, f.ReadDir(cookie, func(e vfs.DirEntry) bool {
		out = append(out, e)
		return true
	}))
	return out
}

// TestRootLinux checks what stat and statfs report for a fresh tmpfs, as
// recorded on Linux 6.18: "1777 0 0 1 2 40 0" (mode uid gid ino nlink size
// blocks) and, with nr_inodes=10, files=10 ffree=9.
func TestRootLinux(t *testing.T) {
	fsys := newFS(t, "")
	a := attr(t, fsys.Root())
	assert.Equal(t, vfs.ModeDir|0o1777, a.Mode)
	assert.Equal(t, uint64(1), a.Ino)
	assert.Equal(t, uint32(2), a.Nlink)
	assert.Equal(t, int64(40), a.Size)
	assert.Equal(t, int64(0), a.Blocks)
	assert.Equal(t, int32(4096), a.Blksize)
	st, err := fsys.Statfs()
	require.NoError(t, err)
	assert.Equal(t, vfs.Statfs{Type: 0x01021994, Bsize: 4096, Blocks: 3085510, Bfree: 3085510, Bavail: 3085510,
		Files: 3085510, Ffree: 3085509, Namelen: 255, Frsize: 4096}, st)
	assert.Equal(t, "", fsys.Options())

	fsys = newFS(t, "nr_inodes=10,size=0")
	st, _ = fsys.Statfs()
	assert.Equal(t, uint64(10), st.Files)
	assert.Equal(t, uint64(9), st.Ffree)
	assert.Equal(t, uint64(0), st.Blocks)
	assert.Equal(t, "size=0k,nr_inodes=10", fsys.Options())

	fsys = New(Options{Inodes: 1, Mode: 0o755})
	st, _ = fsys.Statfs()
	assert.Equal(t, uint64(0), st.Ffree)
	_, err = fsys.Root().Create("f", reg)
	assert.Equal(t, vfs.ENOSPC, err)
}

// TestLimitsLinux replays a session recorded on Linux with size=8k,
// nr_inodes=4: pwrite of 12288 bytes at 100 wrote 8092, st_size 8192,
// st_blocks 16; a further write failed ENOSPC; truncate to 1 TiB worked.
// Then, on a fresh mount: one byte at 5000 gave st_blocks 8; with f and d
// created ffree was 1, a hard link took it, mkdir failed ENOSPC and so did
// an xattr; after unlinking the link, user.a of 1000 bytes did not fit
// (40+1000+6 > 1024) and user.b of 10 bytes did.
func TestLimitsLinux(t *testing.T) {
	fsys := newFS(t, "size=8k,nr_inodes=4")
	root := fsys.Root()
	f, err := root.Create("f", reg)
	require.NoError(t, err)
	fd := open(t, f, vfs.O_RDWR)
	n, err := fd.WriteAt(bytes.Repeat([]byte("x"), 12288), 100)
	assert.NoError(t, err)
	assert.Equal(t, 8092, n)
	a := attr(t, f)
	assert.Equal(t, int64(8192), a.Size)
	assert.Equal(t, int64(16), a.Blocks)
	_, err = fd.WriteAt([]byte("y"), 20000)
	assert.Equal(t, vfs.ENOSPC, err)
	require.NoError(t, f.Setattr(&vfs.SetAttr{Mask: vfs.SetSize, Size: 1 << 40}))
	assert.Equal(t, int64(1<<40), attr(t, f).Size)

	fsys = newFS(t, "size=8k,nr_inodes=4")
	root = fsys.Root()
	f, err = root.Create("f", reg)
	require.NoError(t, err)
	fd = open(t, f, vfs.O_RDWR)
	_, err = fd.WriteAt([]byte("x"), 5000)
	require.NoError(t, err)
	a = attr(t, f)
	assert.Equal(t, int64(5001), a.Size)
	assert.Equal(t, int64(8), a.Blocks)
	_, err = root.Mkdir("d", dir)
	require.NoError(t, err)
	assert.Equal(t, int64(80), attr(t, root).Size)
	assert.Equal(t, uint32(3), attr(t, root).Nlink)
	st, _ := fsys.Statfs()
	assert.Equal(t, uint64(1), st.Ffree)
	assert.Equal(t, uint64(1), st.Bfree)
	require.NoError(t, root.Link("g", f))
	st, _ = fsys.Statfs()
	assert.Equal(t, uint64(0), st.Ffree)
	_, err = root.Mkdir("e", dir)
	assert.Equal(t, vfs.ENOSPC, err)
	assert.Equal(t, vfs.ENOSPC, f.Setxattr("user.a", make([]byte, 10), 0))
	require.NoError(t, root.Unlink("g"))
	assert.Equal(t, vfs.ENOSPC, f.Setxattr("user.a", make([]byte, 1000), 0))
	assert.NoError(t, f.Setxattr("user.b", make([]byte, 10), 0))
	st, _ = fsys.Statfs()
	assert.Equal(t, uint64(0), st.Ffree)
	require.NoError(t, f.Removexattr("user.b"))
	st, _ = fsys.Statfs()
	assert.Equal(t, uint64(1), st.Ffree)
}

// TestSymlinkLinux: Linux reported st_size 200/127/126 and st_blocks
// 8/0/0 for targets of 200, 127 and 126 bytes, and inode numbers 1..8 in
// creation order.
func TestSymlinkLinux(t *testing.T) {
	fsys := newFS(t, "")
	root := fsys.Root()
	for _, tc := range []struct {
		n      int
		blocks int64
	}{{200, 8}, {127, 0}, {126, 0}} {
		target := string(bytes.Repeat([]byte("x"), tc.n))
		l, err := root.Symlink(target[:3]+string(rune('a'+tc.n%26)), target, reg)
		require.NoError(t, err)
		a := attr(t, l)
		assert.Equal(t, vfs.ModeSymlink|0o777, a.Mode)
		assert.Equal(t, int64(tc.n), a.Size)
		assert.Equal(t, tc.blocks, a.Blocks)
		got, err := l.Readlink()
		require.NoError(t, err)
		assert.Equal(t, target, got)
	}
	_, err := root.Symlink("big", string(make([]byte, 4096)), reg)
	assert.Equal(t, vfs.ENAMETOOLONG, err)
	_, err = root.Symlink("empty", "", reg)
	assert.Equal(t, vfs.ENOENT, err)

	small := newFS(t, "size=4k")
	_, err = small.Root().Symlink("a", string(bytes.Repeat([]byte("y"), 200)), reg)
	require.NoError(t, err)
	_, err = small.Root().Symlink("b", string(bytes.Repeat([]byte("y"), 200)), reg)
	assert.Equal(t, vfs.ENOSPC, err)
	_, err = small.Root().Lookup("b")
	assert.Equal(t, vfs.ENOENT, err)
}

func TestInodeNumbers(t *testing.T) {
	fsys := newFS(t, "")
	root := fsys.Root()
	var inos []uint64
	for _, name := range []string{"a", "b", "c"} {
		c, err := root.Create(name, reg)
		require.NoError(t, err)
		inos = append(inos, attr(t, c).Ino)
	}
	assert.Equal(t, []uint64{2, 3, 4}, inos)

	fsys.nextIno = 1<<32 - 1
	c, err := root.Create("d", reg)
	require.NoError(t, err)
	assert.Equal(t, uint64(1<<32-1), attr(t, c).Ino)
	c, err = root.Create("e", reg)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), attr(t, c).Ino, "inode32 wraps")

	fsys = newFS(t, "inode64")
	fsys.nextIno = 1 << 32
	c, err = fsys.Root().Create("f", reg)
	require.NoError(t, err)
	assert.Equal(t, uint64(1<<32+1), attr(t, c).Ino, "is_zero_ino skips low 32 bits zero")
}

func TestSparseFile(t *testing.T) {
	fsys := newFS(t, "")
	f, err := fsys.Root().Create("f", reg)
	require.NoError(t, err)
	fd := open(t, f, vfs.O_RDWR)
	_, err = fd.WriteAt([]byte("hello"), 1<<40)
	require.NoError(t, err)
	a := attr(t, f)
	assert.Equal(t, int64(1<<40+5), a.Size)
	assert.Equal(t, int64(8), a.Blocks)
	buf := make([]byte, 10)
	n, err := fd.ReadAt(buf, 1<<40-5)
	require.NoError(t, err)
	assert.Equal(t, 10, n)
	assert.Equal(t, []byte("\x00\x00\x00\x00\x00hello"), buf)
	n, err = fd.ReadAt(buf, 1<<40+5)
	assert.NoError(t, err)
	assert.Equal(t, 0, n)

	require.NoError(t, f.Setattr(&vfs.SetAttr{Mask: vfs.SetSize, Size: 1<<40 + 2}))
	assert.Equal(t, int64(8), attr(t, f).Blocks)
	require.NoError(t, f.Setattr(&vfs.SetAttr{Mask: vfs.SetSize, Size: 1<<40 + 5}))
	n, err = fd.ReadAt(buf[:5], 1<<40)
	require.NoError(t, err)
	assert.Equal(t, []byte("he\x00\x00\x00"), buf[:n], "a truncated tail reads as zeros")
	require.NoError(t, f.Setattr(&vfs.SetAttr{Mask: vfs.SetSize, Size: 0}))
	assert.Equal(t, int64(0), attr(t, f).Blocks)
	assert.Equal(t, uint64(0), fsys.usedBlocks)

	// As Linux's rw_verify_area: an end past 2^63-1 is EINVAL, so that
	// EFBIG (pos >= MAX_LFS_FILESIZE) cannot happen on 64-bit machines.
	_, err = fd.WriteAt([]byte("x"), maxFileSize)
	assert.Equal(t, vfs.EINVAL, err)
	n, err = fd.WriteAt([]byte("x"), maxFileSize-1)
	assert.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, int64(maxFileSize), attr(t, f).Size)
	_, err = fd.WriteAt([]byte("x"), -1)
	assert.Equal(t, vfs.EINVAL, err)
	_, err = fd.ReadAt(buf, maxFileSize-4)
	assert.Equal(t, vfs.EINVAL, err)
	assert.Equal(t, vfs.EISDIR, fsys.Root().Setattr(&vfs.SetAttr{Mask: vfs.SetSize}))
	assert.Equal(t, vfs.EINVAL, f.Setattr(&vfs.SetAttr{Mask: vfs.SetSize, Size: -1}))
}

func TestOpenModes(t *testing.T) {
	fsys := newFS(t, "")
	root := fsys.Root()
	f, err := root.Create("f", reg)
	require.NoError(t, err)
	ro := open(t, f, vfs.O_RDONLY)
	_, err = ro.WriteAt([]byte("x"), 0)
	assert.Equal(t, vfs.EBADF, err)
	wo := open(t, f, vfs.O_WRONLY|vfs.O_APPEND)
	_, err = wo.ReadAt(make([]byte, 1), 0)
	assert.Equal(t, vfs.EBADF, err)
	_, err = wo.WriteAt([]byte("ab"), 100)
	require.NoError(t, err)
	_, err = wo.WriteAt([]byte("cd"), 0)
	require.NoError(t, err)
	buf := make([]byte, 8)
	n, _ := ro.ReadAt(buf, 0)
	assert.Equal(t, "abcd", string(buf[:n]), "O_APPEND writes at the end")

	_, err = root.Open(vfs.O_RDWR)
	assert.Equal(t, vfs.EISDIR, err)
	d := open(t, root, vfs.O_RDONLY|vfs.O_DIRECTORY)
	_, err = d.ReadAt(buf, 0)
	assert.Equal(t, vfs.EISDIR, err)
	_, err = f.Open(vfs.O_RDONLY | vfs.O_DIRECTORY)
	assert.Equal(t, vfs.ENOTDIR, err)
	assert.Equal(t, vfs.ENOTDIR, ro.ReadDir(0, func(vfs.DirEntry) bool { return true }))

	l, _ := root.Symlink("l", "f", reg)
	_, err = l.Open(vfs.O_RDONLY)
	assert.Equal(t, vfs.ELOOP, err)
	p := open(t, l, vfs.O_PATH)
	_, err = p.ReadAt(buf, 0)
	assert.Equal(t, vfs.EBADF, err)
	sock, _ := root.Mknod("s", vfs.CreateOpts{Mode: vfs.ModeSocket | 0o600})
	_, err = sock.Open(vfs.O_RDWR)
	assert.Equal(t, vfs.ENXIO, err)
	fifo, _ := root.Mknod("p", vfs.CreateOpts{Mode: vfs.ModeFIFO | 0o600})
	pf := open(t, fifo, vfs.O_RDWR)
	n, err = pf.ReadAt(buf, 0)
	assert.Equal(t, 0, n)
	assert.NoError(t, err)
	_, err = pf.WriteAt(buf, 0)
	assert.Equal(t, vfs.EPIPE, err)
	dev, _ := root.Mknod("null", vfs.CreateOpts{Mode: vfs.ModeCharDevice | 0o666, Rdev: vfs.Mkdev(1, 3)})
	assert.Equal(t, vfs.Mkdev(1, 3), attr(t, dev).Rdev)
	df := open(t, dev, vfs.O_RDWR)
	_, err = df.ReadAt(buf, 0)
	assert.Equal(t, vfs.ENXIO, err)

	c, err := f.Open(vfs.O_RDONLY)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	assert.Equal(t, vfs.EBADF, c.Close())
}

func TestDirOps(t *testing.T) {
	fsys := newFS(t, "")
	root := fsys.Root()
	a, err := root.Mkdir("a", dir)
	require.NoError(t, err)
	_, err = root.Mkdir("a", dir)
	assert.Equal(t, vfs.EEXIST, err)
	_, err = root.Create("a", reg)
	assert.Equal(t, vfs.EEXIST, err)
	_, err = root.Create(string(make([]byte, 256)), reg)
	assert.Equal(t, vfs.ENAMETOOLONG, err)
	f, err := a.Create("f", reg)
	require.NoError(t, err)
	_, err = f.Create("x", reg)
	assert.Equal(t, vfs.ENOTDIR, err)
	_, err = f.Lookup("x")
	assert.Equal(t, vfs.ENOTDIR, err)
	_, err = root.Mknod("d", vfs.CreateOpts{Mode: vfs.ModeDir | 0o755})
	assert.Equal(t, vfs.EPERM, err)
	m, err := root.Mknod("m", vfs.CreateOpts{Mode: 0o600})
	require.NoError(t, err)
	assert.Equal(t, vfs.ModeRegular|0o600, attr(t, m).Mode)
	_, err = f.Readlink()
	assert.Equal(t, vfs.EINVAL, err)

	assert.Equal(t, uint32(3), attr(t, root).Nlink)
	assert.Equal(t, vfs.ENOTEMPTY, root.Rmdir("a"))
	assert.Equal(t, vfs.EISDIR, root.Unlink("a"))
	assert.Equal(t, vfs.ENOTDIR, a.Rmdir("f"))
	assert.Equal(t, vfs.ENOENT, a.Unlink("nope"))

	require.NoError(t, root.Link("hard", f))
	assert.Equal(t, uint32(2), attr(t, f).Nlink)
	assert.Equal(t, vfs.EPERM, root.Link("al", a))
	assert.Equal(t, vfs.EEXIST, root.Link("hard", f))
	other := newFS(t, "")
	assert.Equal(t, vfs.EXDEV, other.Root().Link("x", f))
	require.NoError(t, a.Unlink("f"))
	require.NoError(t, root.Unlink("hard"))
	assert.Equal(t, uint32(0), attr(t, f).Nlink)
	assert.Equal(t, vfs.ENOENT, root.Link("again", f))

	ad := open(t, a, vfs.O_RDONLY)
	require.NoError(t, root.Rmdir("a"))
	assert.Equal(t, uint32(0), attr(t, a).Nlink)
	assert.Equal(t, uint32(2), attr(t, root).Nlink)
	_, err = a.Create("late", reg)
	assert.Equal(t, vfs.ENOENT, err)
	assert.Equal(t, vfs.ENOENT, ad.ReadDir(0, func(vfs.DirEntry) bool { return true }))
}

func TestReadDirCookies(t *testing.T) {
	fsys := newFS(t, "")
	root := fsys.Root()
	for _, n := range []string{"a", "b", "c", "d"} {
		_, err := root.Create(n, reg)
		require.NoError(t, err)
	}
	es := names(t, root, 0)
	require.Len(t, es, 4)
	assert.Equal(t, "a", es[0].Name)
	assert.Equal(t, uint64(3), es[0].Next, "first entry has cookie 2")
	assert.Equal(t, uint64(2), es[0].Ino)
	assert.Equal(t, vfs.ModeRegular, es[0].Type)
	cookieC := es[2].Next - 1

	require.NoError(t, root.Unlink("b"))
	_, err := root.Create("e", reg)
	require.NoError(t, err)
	es = names(t, root, cookieC)
	require.Len(t, es, 3)
	assert.Equal(t, []string{"c", "d", "e"}, []string{es[0].Name, es[1].Name, es[2].Name})
	assert.Equal(t, cookieC+1, es[0].Next)

	require.NoError(t, root.Rename("a", root, "d", vfs.RENAME_EXCHANGE))
	es = names(t, root, 0)
	assert.Equal(t, []string{"a", "c", "d", "e"}, []string{es[0].Name, es[1].Name, es[2].Name, es[3].Name})
	assert.Equal(t, uint64(5), es[0].Ino, "exchange keeps names in place, swaps inodes")

	// Stop early and resume.
	f := open(t, root, vfs.O_RDONLY)
	var first vfs.DirEntry
	require.NoError(t, f.ReadDir(0, func(e vfs.DirEntry) bool { first = e; return false }))
	var rest []string
	require.NoError(t, f.ReadDir(first.Next, func(e vfs.DirEntry) bool { rest = append(rest, e.Name); return true }))
	assert.Equal(t, []string{"c", "d", "e"}, rest)

	// Many removals compact the list without changing cookies.
	for i := range 100 {
		_, err := root.Create("x"+string(rune('A'+i%26))+string(rune('a'+i/26)), reg)
		require.NoError(t, err)
	}
	before := names(t, root, 0)
	for _, e := range before[:90] {
		require.NoError(t, root.Unlink(e.Name))
	}
	after := names(t, root, 0)
	assert.Equal(t, before[90:], after)
}

func TestRename(t *testing.T) {
	fsys := newFS(t, "")
	root := fsys.Root()
	a, _ := root.Mkdir("a", dir)
	b, _ := root.Mkdir("b", dir)
	sub, _ := a.Mkdir("sub", dir)
	f, _ := a.Create("f", reg)
	assert.Equal(t, uint32(3), attr(t, a).Nlink)

	defer setClock(func() vfs.Timespec { return vfs.Timespec{Sec: 100} })()
	require.NoError(t, a.Rename("sub", b, "sub2", 0))
	assert.Equal(t, uint32(2), attr(t, a).Nlink)
	assert.Equal(t, uint32(3), attr(t, b).Nlink)
	for _, n := range []vfs.Inode{a, b, sub} {
		assert.Equal(t, int64(100), attr(t, n).Ctime.Sec)
	}
	assert.Equal(t, int64(100), attr(t, a).Mtime.Sec)
	assert.Equal(t, int64(60), attr(t, a).Size, "a lost one entry")
	assert.Equal(t, int64(60), attr(t, b).Size)

	assert.Equal(t, vfs.EINVAL, root.Rename("b", b, "x", 0), "into itself")
	_, _ = b.Create("g", reg)
	assert.Equal(t, vfs.EEXIST, b.Rename("g", b, "sub2", vfs.RENAME_NOREPLACE))
	assert.Equal(t, vfs.ENOTDIR, b.Rename("sub2", b, "g", 0))
	assert.Equal(t, vfs.EISDIR, b.Rename("g", b, "sub2", 0))
	assert.Equal(t, vfs.ENOENT, b.Rename("nope", b, "x", 0))
	assert.Equal(t, vfs.ENOENT, b.Rename("g", b, "x", vfs.RENAME_EXCHANGE))
	assert.Equal(t, vfs.EINVAL, b.Rename("g", b, "x", vfs.RENAME_EXCHANGE|vfs.RENAME_NOREPLACE))
	assert.Equal(t, vfs.EXDEV, b.Rename("g", newFS(t, "").Root(), "x", 0))
	_, _ = root.Mkdir("full", dir)
	full, _ := root.Lookup("full")
	_, _ = full.Create("x", reg)
	assert.Equal(t, vfs.ENOTEMPTY, b.Rename("sub2", root, "full", 0))

	// Replace an empty directory.
	_, _ = root.Mkdir("empty", dir)
	require.NoError(t, b.Rename("sub2", root, "empty", 0))
	assert.Equal(t, uint32(2), attr(t, b).Nlink)
	assert.Equal(t, uint32(6), attr(t, root).Nlink) // a, b, full, empty(=sub)

	// Replace a file; the replaced inode loses its name.
	g, _ := b.Lookup("g")
	require.NoError(t, a.Rename("f", b, "g", 0))
	assert.Equal(t, uint32(0), attr(t, g).Nlink)
	got, _ := b.Lookup("g")
	assert.Same(t, f.(*node), got.(*node))

	// Whiteout.
	require.NoError(t, b.Rename("g", a, "w", vfs.RENAME_WHITEOUT))
	wo, err := b.Lookup("g")
	require.NoError(t, err)
	wa := attr(t, wo)
	assert.Equal(t, vfs.ModeCharDevice, wa.Mode)
	assert.Equal(t, uint64(0), wa.Rdev)

	// Exchange a directory and a file across directories.
	require.NoError(t, root.Rename("empty", a, "w", vfs.RENAME_EXCHANGE))
	assert.Equal(t, uint32(5), attr(t, root).Nlink)
	assert.Equal(t, uint32(3), attr(t, a).Nlink)
	// Same inode under two names: nothing happens.
	require.NoError(t, root.Link("h1", f))
	require.NoError(t, root.Link("h2", f))
	require.NoError(t, root.Rename("h1", root, "h2", 0))
	_, err = root.Lookup("h1")
	assert.NoError(t, err)
}

func TestXattr(t *testing.T) {
	fsys := newFS(t, "")
	root := fsys.Root()
	f, _ := root.Create("f", reg)
	l, _ := root.Symlink("l", "f", reg)
	_, err := f.Getxattr("user.a")
	assert.Equal(t, vfs.ENODATA, err)
	assert.Equal(t, vfs.ENODATA, f.Setxattr("user.a", []byte("1"), vfs.XATTR_REPLACE))
	require.NoError(t, f.Setxattr("user.a", []byte("1"), vfs.XATTR_CREATE))
	assert.Equal(t, vfs.EEXIST, f.Setxattr("user.a", []byte("2"), vfs.XATTR_CREATE))
	require.NoError(t, f.Setxattr("user.a", []byte("22"), vfs.XATTR_REPLACE))
	v, err := f.Getxattr("user.a")
	require.NoError(t, err)
	assert.Equal(t, []byte("22"), v)
	require.NoError(t, f.Setxattr("trusted.z", nil, 0))
	require.NoError(t, f.Setxattr("security.q", []byte("x"), 0))
	list, _ := f.Listxattr()
	assert.Equal(t, []string{"security.q", "trusted.z", "user.a"}, list)
	assert.Equal(t, vfs.EOPNOTSUPP, f.Setxattr("foo.b", nil, 0))
	assert.Equal(t, vfs.EOPNOTSUPP, f.Setxattr("system.foo", nil, 0))
	assert.Equal(t, vfs.EINVAL, f.Setxattr("user.", nil, 0))
	assert.Equal(t, vfs.ERANGE, f.Setxattr("", nil, 0))
	assert.Equal(t, vfs.ERANGE, f.Setxattr("user."+string(bytes.Repeat([]byte("x"), 251)), nil, 0))
	assert.NoError(t, f.Setxattr("user."+string(bytes.Repeat([]byte("x"), 250)), nil, 0))
	assert.NoError(t, f.Setxattr("user.big", make([]byte, 65536), 0))
	assert.Equal(t, vfs.E2BIG, f.Setxattr("user.big2", make([]byte, 65537), 0))
	assert.Equal(t, vfs.EINVAL, f.Setxattr("user.x", nil, 4))
	assert.Equal(t, vfs.EPERM, l.Setxattr("user.x", nil, 0))
	_, err = l.Getxattr("user.x")
	assert.Equal(t, vfs.ENODATA, err)
	assert.NoError(t, l.Setxattr("trusted.x", nil, 0))
	require.NoError(t, f.Removexattr("user.a"))
	assert.Equal(t, vfs.ENODATA, f.Removexattr("user.a"))
}

func TestTimes(t *testing.T) {
	fsys := newFS(t, "")
	root := fsys.Root()
	clock := int64(10)
	defer setClock(func() vfs.Timespec { return vfs.Timespec{Sec: clock} })()
	f, _ := root.Create("f", reg)
	a := attr(t, f)
	assert.Equal(t, vfs.Timespec{Sec: 10}, a.Atime)
	assert.Equal(t, a.Atime, a.Mtime)
	assert.Equal(t, int64(10), attr(t, root).Mtime.Sec)

	clock = 20
	fd := open(t, f, vfs.O_RDWR)
	_, _ = fd.WriteAt([]byte("x"), 0)
	a = attr(t, f)
	assert.Equal(t, int64(10), a.Atime.Sec)
	assert.Equal(t, int64(20), a.Mtime.Sec)
	assert.Equal(t, int64(20), a.Ctime.Sec)
	assert.Equal(t, int64(10), attr(t, root).Mtime.Sec)

	clock = 30
	require.NoError(t, f.Setattr(&vfs.SetAttr{Mask: vfs.SetMode, Mode: 0o600}))
	a = attr(t, f)
	assert.Equal(t, vfs.ModeRegular|0o600, a.Mode)
	assert.Equal(t, int64(20), a.Mtime.Sec)
	assert.Equal(t, int64(30), a.Ctime.Sec)

	clock = 40
	require.NoError(t, f.Setattr(&vfs.SetAttr{Mask: vfs.SetSize, Size: 10}))
	assert.Equal(t, int64(40), attr(t, f).Mtime.Sec)
	require.NoError(t, f.Setattr(&vfs.SetAttr{Mask: vfs.SetAtime | vfs.SetMtime, Atime: vfs.Timespec{Sec: 1}, Mtime: vfs.Timespec{Sec: 2}}))
	a = attr(t, f)
	assert.Equal(t, vfs.Timespec{Sec: 1}, a.Atime)
	assert.Equal(t, vfs.Timespec{Sec: 2}, a.Mtime)
	assert.Equal(t, int64(40), a.Ctime.Sec)

	clock = 50
	require.NoError(t, root.Link("g", f))
	assert.Equal(t, int64(50), attr(t, f).Ctime.Sec)
	assert.Equal(t, int64(50), attr(t, root).Mtime.Sec)
	clock = 60
	require.NoError(t, root.Unlink("g"))
	assert.Equal(t, int64(60), attr(t, f).Ctime.Sec)
	assert.Equal(t, int64(60), attr(t, root).Ctime.Sec)
	clock = 70
	require.NoError(t, f.Setxattr("user.a", nil, 0))
	assert.Equal(t, int64(70), attr(t, f).Ctime.Sec)
}

func TestReconfigure(t *testing.T) {
	fsys := newFS(t, "size=8k,nr_inodes=4")
	f, _ := fsys.Root().Create("f", reg)
	fd := open(t, f, vfs.O_RDWR)
	_, _ = fd.WriteAt(make([]byte, 8192), 0)
	assert.Equal(t, vfs.EINVAL, fsys.Reconfigure("size=4k"), "below use")
	assert.Equal(t, vfs.EINVAL, fsys.Reconfigure("nr_inodes=1"))
	assert.Equal(t, vfs.EINVAL, fsys.Reconfigure("noswap"))
	assert.Equal(t, vfs.EINVAL, fsys.Reconfigure("bogus"))
	require.NoError(t, fsys.Reconfigure("size=16k,nr_inodes=8,mode=700,huge=always"))
	assert.Equal(t, "size=16k,nr_inodes=8,huge=always", fsys.Options())
	st, _ := fsys.Statfs()
	assert.Equal(t, uint64(6), st.Ffree)
	require.NoError(t, fsys.Reconfigure("size=0"))
	assert.Equal(t, vfs.EINVAL, fsys.Reconfigure("size=1m"), "cannot limit an unlimited size")

	unl := newFS(t, "nr_inodes=0")
	assert.Equal(t, vfs.EINVAL, unl.Reconfigure("nr_inodes=5"))
}

func TestUnlinkedOpenFile(t *testing.T) {
	fsys := newFS(t, "size=8k,nr_inodes=3")
	root := fsys.Root()
	f, _ := root.Create("f", reg)
	fd, err := f.Open(vfs.O_RDWR)
	require.NoError(t, err)
	_, _ = fd.WriteAt([]byte("data"), 0)
	require.NoError(t, root.Unlink("f"))
	st, _ := fsys.Statfs()
	assert.Equal(t, uint64(1), st.Bfree, "open unlinked file keeps its pages")
	buf := make([]byte, 4)
	n, _ := fd.ReadAt(buf, 0)
	assert.Equal(t, "data", string(buf[:n]))
	require.NoError(t, fd.Close())
	st, _ = fsys.Statfs()
	assert.Equal(t, uint64(2), st.Bfree)
	assert.Equal(t, uint64(2), st.Ffree)

	// An evicted inode reached again (as through a dead dentry) charges
	// pages while open and no inode budget.
	fd = open(t, f, vfs.O_RDWR)
	_, err = fd.WriteAt([]byte("again"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Setxattr("user.a", []byte("v"), 0))
	require.NoError(t, fd.Close())
	st, _ = fsys.Statfs()
	assert.Equal(t, uint64(2), st.Bfree)
	assert.Equal(t, uint64(2), st.Ffree)
}

func TestConcurrent(t *testing.T) {
	fsys := newFS(t, "")
	root := fsys.Root()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := string(rune('a' + i))
			for j := range 50 {
				f, err := root.Create(name, reg)
				if !assert.NoError(t, err) {
					return
				}
				fd, _ := f.Open(vfs.O_RDWR)
				_, _ = fd.WriteAt([]byte("x"), int64(j*100))
				_ = fd.ReadDir(0, func(vfs.DirEntry) bool { return true })
				_, _ = f.Getattr()
				_ = fd.Close()
				_ = root.Rename(name, root, name+"2", 0)
				_ = root.Unlink(name + "2")
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, uint64(0), fsys.usedBlocks)
}

// TestInodeSize reports the memory of a regular-file inode.
func TestInodeSize(t *testing.T) {
	size := unsafe.Sizeof(node{})
	t.Logf("node: %d bytes", size)
	assert.LessOrEqual(t, size, uintptr(200))
}
