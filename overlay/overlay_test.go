package overlay_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/overlay"
	"github.com/mountkit/mountkit/vfs"
)

// world boots a namespace and makes the directories named.
func world(t testing.TB, dirs ...string) *mount.FsContext {
	t.Helper()
	c, err := mountkit.Boot()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	for _, d := range dirs {
		require.NoError(t, c.Mkdir(d, 0o755), d)
	}
	return c
}

func write(t testing.TB, c *mount.FsContext, path, data string) {
	t.Helper()
	f, err := c.Open(path, vfs.O_WRONLY|vfs.O_CREAT|vfs.O_TRUNC, 0o644)
	require.NoError(t, err, path)
	_, err = f.Write([]byte(data))
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func appendTo(t testing.TB, c *mount.FsContext, path, data string) {
	t.Helper()
	f, err := c.Open(path, vfs.O_WRONLY|vfs.O_APPEND, 0)
	require.NoError(t, err, path)
	_, err = f.Write([]byte(data))
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func read(t testing.TB, c *mount.FsContext, path string) string {
	t.Helper()
	f, err := c.Open(path, vfs.O_RDONLY, 0)
	require.NoError(t, err, path)
	defer f.Close()
	var b []byte
	buf := make([]byte, 512)
	for {
		n, err := f.Read(buf) // read(2): 0 at end of file
		require.NoError(t, err)
		if n == 0 {
			return string(b)
		}
		b = append(b, buf[:n]...)
	}
}

type dent struct {
	name string
	ino  uint64
}

func readdir(t testing.TB, c *mount.FsContext, path string) []dent {
	t.Helper()
	f, err := c.Open(path, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	require.NoError(t, err, path)
	defer f.Close()
	es, err := f.ReadDir(-1)
	require.NoError(t, err)
	var out []dent
	for _, e := range es {
		if e.Name != "." && e.Name != ".." {
			out = append(out, dent{e.Name, e.Ino})
		}
	}
	return out
}

func ino(t testing.TB, c *mount.FsContext, path string) uint64 {
	t.Helper()
	st, err := c.Lstat(path)
	require.NoError(t, err, path)
	return st.Ino
}

// xattr reads an extended attribute of the file at path, as seen at path
// (through the overlay when path is in it).
func xattr(t testing.TB, c *mount.FsContext, path, name string) ([]byte, error) {
	t.Helper()
	l, err := c.Resolve(path, false)
	require.NoError(t, err, path)
	return l.Dentry.Inode().Getxattr(name)
}

// TestLinuxIdentity replays a tree made on Linux 6.18 (tmpfs layers in
// a fresh tmpfs) and checks the inode numbers, the readdir d_ino values
// and the private attributes Linux showed for it.
func TestLinuxIdentity(t *testing.T) {
	c := world(t, "/l", "/l2", "/u", "/w", "/m")
	for _, f := range []string{"/l2/a", "/l2/b", "/l2/c", "/l/x", "/l/b", "/l/y", "/u/d", "/u/e", "/u/y"} {
		write(t, c, f, f[len(f)-1:]+"\n")
	}
	for _, d := range []string{"/l2/dd", "/u/dd", "/l/dd"} {
		require.NoError(t, c.Mkdir(d, 0o755))
	}
	require.NoError(t, c.Mknod("/u/c", uint32(vfs.ModeCharDevice), 0))
	require.NoError(t, c.Mount("ov", "/m", "overlay", 0, "lowerdir=/l:/l2,upperdir=/u,workdir=/w"))

	// Linux printed (tmpfs lists newest first, memfs oldest first, so
	// the orders differ only within each layer):
	// merged [('dd', 17), ('b', 11), ('a', 7), ('y', 15), ('e', 14), ('d', 13), ('x', 10)]
	assert.Equal(t, []dent{{"a", 7}, {"b", 11}, {"dd", 17}, {"d", 13}, {"e", 14}, {"y", 15}, {"x", 10}},
		readdir(t, c, "/m"))
	// a 7 [None, None, 7]; b 11 [None, 11, 8]; x 10; y 15 [15, 12]; d 13; dd 18 [17, 18, 16]
	for p, want := range map[string]uint64{"/m/a": 7, "/m/b": 11, "/m/x": 10, "/m/y": 15, "/m/d": 13, "/m/dd": 18, "/m": 4} {
		assert.Equal(t, want, ino(t, c, p), p)
	}
	st, err := c.Stat("/m")
	require.NoError(t, err)
	assert.Equal(t, uint32(1), st.Nlink, "a merged directory has one link")

	uuid, err := xattr(t, c, "/u", "trusted.overlay.uuid")
	require.NoError(t, err)
	assert.Len(t, uuid, 16)
	v, err := xattr(t, c, "/u", "trusted.overlay.impure")
	require.NoError(t, err, "looking up a merged subdirectory marks the upper root impure")
	assert.Equal(t, "y", string(v))
	_, err = xattr(t, c, "/u/dd", "trusted.overlay.origin")
	assert.NoError(t, err, "a merged upper directory records its origin")

	// After the lookups the upper root is impure and readdir reports
	// what stat does: merged [('dd', 18), ...].
	assert.Contains(t, readdir(t, c, "/m"), dent{"dd", 18})

	appendTo(t, c, "/m/a", "z")
	assert.Equal(t, uint64(7), ino(t, c, "/m/a"), "a copied-up file keeps its lower inode number")
	_, err = xattr(t, c, "/u/a", "trusted.overlay.origin")
	assert.NoError(t, err)

	// The overlay's own attributes are not seen through it; one of
	// its namespace set through it is stored escaped.
	_, err = xattr(t, c, "/m/dd", "trusted.overlay.origin")
	assert.Equal(t, vfs.ENODATA, err)
	ml, err := c.Resolve("/m/a", false)
	require.NoError(t, err)
	require.NoError(t, ml.Dentry.Inode().Setxattr("trusted.overlay.foo", []byte("1"), 0))
	v, err = xattr(t, c, "/u/a", "trusted.overlay.overlay.foo")
	require.NoError(t, err)
	assert.Equal(t, "1", string(v))
	names, err := ml.Dentry.Inode().Listxattr()
	require.NoError(t, err)
	assert.Equal(t, []string{"trusted.overlay.foo"}, names)

	// Extended attributes are copied up with the file.
	lx, err := c.Resolve("/l/x", false)
	require.NoError(t, err)
	require.NoError(t, lx.Dentry.Inode().Setxattr("user.foo", []byte("bar"), 0))
	require.NoError(t, c.Chmod("/m/x", 0o600))
	v, err = xattr(t, c, "/u/x", "user.foo")
	require.NoError(t, err)
	assert.Equal(t, "bar", string(v))
	st, err = c.Stat("/u/x")
	require.NoError(t, err)
	assert.Equal(t, vfs.Mode(0o100600), st.Mode)
}

// TestWhiteoutAndOpaque checks how removals look in the upper layer:
// whiteouts are character devices 0/0 of mode 0 linked to one shared
// whiteout in work/work, and a directory made over a whiteout is opaque.
func TestWhiteoutAndOpaque(t *testing.T) {
	c := world(t, "/l", "/u", "/w", "/m", "/l/d")
	write(t, c, "/l/a", "a")
	write(t, c, "/l/d/x", "x")
	require.NoError(t, c.Mount("ov", "/m", "overlay", 0, "lowerdir=/l,upperdir=/u,workdir=/w"))
	require.NoError(t, c.Unlink("/m/a"))
	st, err := c.Lstat("/u/a")
	require.NoError(t, err)
	assert.Equal(t, vfs.ModeCharDevice, st.Mode, "type chr, mode 0000")
	assert.Equal(t, uint64(0), st.Rdev)
	assert.Equal(t, uint32(2), st.Nlink, "linked to the shared whiteout")
	work := readdir(t, c, "/w/work")
	require.Len(t, work, 1)
	assert.True(t, strings.HasPrefix(work[0].name, "#"))

	require.NoError(t, c.Unlink("/m/d/x"))
	require.NoError(t, c.Rmdir("/m/d"))
	require.NoError(t, c.Mkdir("/m/d", 0o755))
	v, err := xattr(t, c, "/u/d", "trusted.overlay.opaque")
	require.NoError(t, err)
	assert.Equal(t, "y", string(v))
	assert.Empty(t, readdir(t, c, "/m/d"))

	// A new directory in a merged one is not opaque.
	require.NoError(t, c.Mkdir("/m/n", 0o755))
	_, err = xattr(t, c, "/u/n", "trusted.overlay.opaque")
	assert.Equal(t, vfs.ENODATA, err)
	// Moved within a merged directory, an upper directory becomes opaque.
	require.NoError(t, c.Rename("/m/n", "/m/n2"))
	v, err = xattr(t, c, "/u/n2", "trusted.overlay.opaque")
	require.NoError(t, err)
	assert.Equal(t, "y", string(v))
}

func TestStatfsAndDev(t *testing.T) {
	c := world(t, "/l", "/u", "/w", "/m")
	write(t, c, "/l/a", "a")
	require.NoError(t, c.Mount("ov", "/m", "overlay", 0, "lowerdir=/l,upperdir=/u,workdir=/w"))
	l, err := c.Resolve("/m", true)
	require.NoError(t, err)
	st, err := l.Dentry.Superblock().Filesystem().Statfs()
	require.NoError(t, err)
	assert.Equal(t, int64(overlay.Magic), st.Type)
	m, err := c.Stat("/m")
	require.NoError(t, err)
	a, err := c.Stat("/m/a")
	require.NoError(t, err)
	u, err := c.Stat("/u")
	require.NoError(t, err)
	assert.Equal(t, m.Dev, a.Dev, "every file shows the overlay's st_dev")
	assert.NotEqual(t, u.Dev, m.Dev)
}

// TestUnsupported checks the features refused with EOPNOTSUPP.
func TestUnsupported(t *testing.T) {
	for _, data := range []string{
		"lowerdir=/l,upperdir=/u,workdir=/w,redirect_dir=on",
		"lowerdir=/l,upperdir=/u,workdir=/w,index=on",
		"lowerdir=/l,upperdir=/u,workdir=/w,nfs_export=on",
		"lowerdir=/l,upperdir=/u,workdir=/w,metacopy=on",
		"lowerdir=/l:/l2,metacopy=on",
	} {
		c := world(t, "/l", "/l2", "/u", "/w", "/m")
		assert.Equal(t, vfs.EOPNOTSUPP, c.Mount("ov", "/m", "overlay", 0, data), data)
	}
	c := world(t, "/l", "/u", "/w", "/m")
	require.NoError(t, c.Mount("ov", "/m", "overlay", 0, "lowerdir=/l,upperdir=/u,workdir=/w"))
	require.NoError(t, c.Mkdir("/m/a", 0o755))
	require.NoError(t, c.Mkdir("/m/b", 0o755))
	assert.Equal(t, vfs.EINVAL, c.Renameat2("/m/a", "/m/c", vfs.RENAME_WHITEOUT))
}

// TestExchange replays renameat2(RENAME_EXCHANGE) calls made on Linux
// 6.18 over the same tree.
func TestExchange(t *testing.T) {
	c := world(t, "/l", "/u", "/w", "/m", "/l/d", "/u/e", "/u/f")
	write(t, c, "/l/a", "A")
	write(t, c, "/u/b", "B")
	write(t, c, "/l/x", "x")
	require.NoError(t, c.Mount("ov", "/m", "overlay", 0, "lowerdir=/l,upperdir=/u,workdir=/w"))
	require.NoError(t, c.Renameat2("/m/a", "/m/b", vfs.RENAME_EXCHANGE))
	assert.Equal(t, "B", read(t, c, "/m/a"))
	assert.Equal(t, "A", read(t, c, "/m/b"))
	names := func(dir string) (out []string) {
		for _, e := range readdir(t, c, dir) {
			out = append(out, e.name)
		}
		slices.Sort(out)
		return out
	}
	assert.Equal(t, []string{"a", "b", "e", "f"}, names("/u"))
	assert.Equal(t, vfs.EXDEV, c.Renameat2("/m/d", "/m/e", vfs.RENAME_EXCHANGE))
	assert.Equal(t, vfs.EXDEV, c.Renameat2("/m/e", "/m/d", vfs.RENAME_EXCHANGE))
	require.NoError(t, c.Renameat2("/m/e", "/m/f", vfs.RENAME_EXCHANGE))
	require.NoError(t, c.Renameat2("/m/e", "/m/x", vfs.RENAME_EXCHANGE))
	assert.Equal(t, []string{"a", "b", "e", "f", "x"}, names("/u"))
	assert.Equal(t, []string{"a", "b", "d", "e", "f", "x"}, names("/m"))
	assert.Equal(t, "x", read(t, c, "/m/e"))
	st, err := c.Stat("/m/x")
	require.NoError(t, err)
	assert.True(t, st.Mode.IsDir())
	v, err := xattr(t, c, "/u/x", "trusted.overlay.opaque")
	require.NoError(t, err, "an upper directory moved into a merged one is opaque")
	assert.Equal(t, "y", string(v))
}

// TestSuperOptions compares mountinfo's super options with what Linux
// 6.18 printed for the same mounts (captured with the reference runner:
// layers /l, /l2 and /u, /w on the root tmpfs, /t/l on another tmpfs).
func TestSuperOptions(t *testing.T) {
	cases := []struct{ data, want string }{
		{"lowerdir=/l,upperdir=/u,workdir=/w", "rw,lowerdir=/l,upperdir=/u,workdir=/w,uuid=on"},
		{"lowerdir=/l,upperdir=/u,workdir=/w,redirect_dir=off,index=off,metacopy=off,xino=off,uuid=on", "rw,lowerdir=/l,upperdir=/u,workdir=/w,uuid=on"},
		{"lowerdir=/l,upperdir=/u,workdir=/w,uuid=off", "rw,lowerdir=/l,upperdir=/u,workdir=/w,uuid=off"},
		{"lowerdir=/l,upperdir=/u,workdir=/w,uuid=null", "rw,lowerdir=/l,upperdir=/u,workdir=/w,uuid=null"},
		{"lowerdir=/l,upperdir=/u,workdir=/w,userxattr", "rw,lowerdir=/l,upperdir=/u,workdir=/w,redirect_dir=nofollow,uuid=on,userxattr"},
		{"lowerdir=/l,upperdir=/u,workdir=/w,redirect_dir=nofollow", "rw,lowerdir=/l,upperdir=/u,workdir=/w,redirect_dir=nofollow,uuid=on"},
		{"lowerdir=/l,upperdir=/u,workdir=/w,default_permissions", "rw,lowerdir=/l,upperdir=/u,workdir=/w,default_permissions,uuid=on"},
		{"lowerdir=/l,upperdir=/u,workdir=/w,verity=on", "rw,lowerdir=/l,upperdir=/u,workdir=/w,uuid=on,verity=on"},
		{"lowerdir=/l,upperdir=/u,workdir=/w,fsync=strict", "rw,lowerdir=/l,upperdir=/u,workdir=/w,uuid=on,fsync=strict"},
		{"lowerdir=/l,upperdir=/u,workdir=/w,volatile", "rw,lowerdir=/l,upperdir=/u,workdir=/w,uuid=on,fsync=volatile"},
		{"lowerdir=/l,upperdir=/u,workdir=/w,xino=on", "rw,lowerdir=/l,upperdir=/u,workdir=/w,uuid=on"},
		{"lowerdir=/t/l,upperdir=/u,workdir=/w,xino=on", "rw,lowerdir=/t/l,upperdir=/u,workdir=/w,uuid=on,xino=on"},
		{"lowerdir=/t/l,upperdir=/u,workdir=/w,xino=auto", "rw,lowerdir=/t/l,upperdir=/u,workdir=/w,uuid=on,xino=auto"},
		{"lowerdir=/l:/l2", "ro,lowerdir=/l:/l2,redirect_dir=on"},
		{"lowerdir=/l:/l2,redirect_dir=off", "ro,lowerdir=/l:/l2,redirect_dir=on"},
		{"lowerdir=/l:/l2,redirect_dir=nofollow", "ro,lowerdir=/l:/l2,redirect_dir=nofollow"},
		{"lowerdir=/l:/l2,uuid=on", "ro,lowerdir=/l:/l2,redirect_dir=on,uuid=null"},
		{"lowerdir=/l:/l2,index=on,xino=on,volatile", "ro,lowerdir=/l:/l2,redirect_dir=on"},
		{"lowerdir=/l::/l2", "ro,lowerdir=/l::/l2,redirect_dir=on"},
		{"lowerdir+=/l,datadir+=/l2,upperdir=/u,workdir=/w", "rw,lowerdir+=/l,datadir+=/l2,upperdir=/u,workdir=/w,uuid=on"},
		{"lowerdir+=/l,lowerdir=/l2,upperdir=/u,workdir=/w", "rw,lowerdir=/l2,upperdir=/u,workdir=/w,uuid=on"},
		{`lowerdir=/l\,x,upperdir=/u,workdir=/w`, `rw,lowerdir=/l\134\054x,upperdir=/u,workdir=/w,uuid=on`},
		{`lowerdir=/l\:x:/l2`, `ro,lowerdir=/l\134:x:/l2,redirect_dir=on`},
		{"lowerdir=l,upperdir=u,workdir=w", "rw,lowerdir=l,upperdir=u,workdir=w,uuid=on"},
		{"lowerdir=/l,upperdir=/u,workdir=/w,verity=on,userxattr", "rw,lowerdir=/l,upperdir=/u,workdir=/w,redirect_dir=nofollow,uuid=on,userxattr,verity=on"},
		{"lowerdir=/l,upperdir=/u,workdir=/w,fsync=strict,userxattr,default_permissions", "rw,lowerdir=/l,upperdir=/u,workdir=/w,default_permissions,redirect_dir=nofollow,uuid=on,fsync=strict,userxattr"},
		{"lowerdir=/t/l,upperdir=/u,workdir=/w,xino=on,userxattr,volatile", "rw,lowerdir=/t/l,upperdir=/u,workdir=/w,redirect_dir=nofollow,uuid=on,xino=on,fsync=volatile,userxattr"},
	}
	for _, tc := range cases {
		c := world(t, "/l", "/l2", "/u", "/w", "/m", "/t", "/l,x", "/l:x")
		require.NoError(t, c.Mount("none", "/t", "tmpfs", 0, ""))
		require.NoError(t, c.Mkdir("/t/l", 0o755))
		require.NoError(t, c.Mount("ov", "/m", "overlay", 0, tc.data), tc.data)
		var got string
		for _, line := range strings.Split(c.MountInfo(), "\n") {
			if f := strings.Fields(line); len(f) > 4 && f[4] == "/m" {
				got = f[len(f)-1]
			}
		}
		assert.Equal(t, tc.want, got, tc.data)
	}
	// A second mount of the same upper layer finds its uuid and shows
	// none.
	c := world(t, "/l", "/u", "/w", "/m")
	require.NoError(t, c.Mount("ov", "/m", "overlay", 0, "lowerdir=/l,upperdir=/u,workdir=/w"))
	require.NoError(t, c.Umount2("/m", 0))
	require.NoError(t, c.Mount("ov", "/m", "overlay", 0, "lowerdir=/l,upperdir=/u,workdir=/w"))
	assert.Contains(t, c.MountInfo(), "overlay ov rw,lowerdir=/l,upperdir=/u,workdir=/w\n")
}

// TestConcurrentReaders removes entries through the overlay while others read
// the merged directory, for the race detector.
func TestConcurrentReaders(t *testing.T) {
	c := world(t, "/l", "/u", "/w", "/m")
	for i := 0; i < 20; i++ {
		write(t, c, "/l/f"+string(rune('a'+i)), "x")
	}
	require.NoError(t, c.Mount("ov", "/m", "overlay", 0, "lowerdir=/l,upperdir=/u,workdir=/w"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := c.Fork()
		defer r.Close()
		for i := 0; i < 50; i++ {
			f, err := r.Open("/m", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
			if err == nil {
				_, _ = f.ReadDir(-1)
				f.Close()
			}
			_, _ = r.Stat("/m/fa")
		}
	}()
	for i := 0; i < 20; i++ {
		p := "/m/f" + string(rune('a'+i))
		if i%2 == 0 {
			require.NoError(t, c.Unlink(p))
		} else {
			appendTo(t, c, p, "y")
		}
	}
	<-done
	assert.Len(t, readdir(t, c, "/m"), 10)
}

// TestXino replays Linux 6.18's inode numbers for layers on two
// filesystems with xino=on and xino=auto: the lower filesystem's number
// is folded into bit 63, and every file shows the overlay's st_dev.
func TestXino(t *testing.T) {
	for _, mode := range []string{"on", "auto"} {
		c := world(t, "/l", "/u", "/w", "/m", "/t", "/l3")
		require.NoError(t, c.Mount("none", "/t", "tmpfs", 0, ""))
		require.NoError(t, c.Mkdir("/t/l", 0o755))
		write(t, c, "/t/l/a", "a")
		require.NoError(t, c.Mkdir("/t/l/d", 0o755))
		require.NoError(t, c.Mkdir("/l3/q", 0o755))
		write(t, c, "/l3/q/z", "q")
		write(t, c, "/u/b", "b")
		require.NoError(t, c.Mkdir("/u/d", 0o755))
		write(t, c, "/l/c", "c")
		require.NoError(t, c.Mount("ov", "/m", "overlay", 0, "lowerdir=/t/l:/l,upperdir=/u,workdir=/w,xino="+mode))
		// m ino=3; m/a 9223372036854775811; m/b 10; m/c 12; m/d 9223372036854775812
		want := map[string]uint64{"/m": 3, "/m/a": 1<<63 | 3, "/m/b": 10, "/m/c": 12, "/m/d": 1<<63 | 4}
		m, err := c.Stat("/m")
		require.NoError(t, err)
		for p, ino := range want {
			st, err := c.Stat(p)
			require.NoError(t, err)
			assert.Equal(t, ino, st.Ino, "%s xino=%s", p, mode)
			assert.Equal(t, m.Dev, st.Dev, p)
		}
		got := map[string]uint64{}
		for _, e := range readdir(t, c, "/m") {
			got[e.name] = e.ino
		}
		assert.Equal(t, map[string]uint64{"a": 1<<63 | 3, "b": 10, "c": 12, "d": 1<<63 | 4}, got, "d_ino, xino=%s", mode)
		appendTo(t, c, "/m/a", "+")
		assert.Equal(t, uint64(1<<63|3), ino(t, c, "/m/a"), "kept by a copy-up")
	}
}

// TestReadAfterCopyUp checks that a file opened for reading before a
// copy-up reads the upper file after it, as on Linux 6.18
// (os.pread after a write through another descriptor: b'new data').
func TestReadAfterCopyUp(t *testing.T) {
	c := world(t, "/l", "/u", "/w", "/m")
	write(t, c, "/l/a", "old")
	require.NoError(t, c.Link("/l/a", "/l/a2"))
	require.NoError(t, c.Mount("ov", "/m", "overlay", 0, "lowerdir=/l,upperdir=/u,workdir=/w"))
	f, err := c.Open("/m/a", vfs.O_RDONLY, 0)
	require.NoError(t, err)
	defer f.Close()
	write(t, c, "/m/a", "new data")
	buf := make([]byte, 100)
	n, err := f.ReadAt(buf, 0)
	require.NoError(t, err)
	assert.Equal(t, "new data", string(buf[:n]))
	// The copy-up broke the lower hard link: 1 2
	st, err := c.Stat("/m/a")
	require.NoError(t, err)
	assert.Equal(t, uint32(1), st.Nlink)
	st, err = c.Stat("/m/a2")
	require.NoError(t, err)
	assert.Equal(t, uint32(2), st.Nlink)
}
