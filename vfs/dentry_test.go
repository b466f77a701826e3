package vfs

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	fileOpts = CreateOpts{Mode: ModeRegular | 0o644}
	dirOpts  = CreateOpts{Mode: ModeDir | 0o755}
)

func mkfile(t testing.TB, d *Dentry, name string) *Dentry {
	t.Helper()
	c, err := d.Create(name, fileOpts)
	require.NoError(t, err)
	return c
}

func mkdir(t testing.TB, d *Dentry, name string) *Dentry {
	t.Helper()
	c, err := d.Mkdir(name, dirOpts)
	require.NoError(t, err)
	return c
}

func tinode(d *Dentry) *testInode { return d.Inode().(*testInode) }

func TestSuperblock(t *testing.T) {
	sb, fs := newTestSB(t)
	require.Same(t, fs, sb.Filesystem())
	require.NotZero(t, sb.Dev())
	require.Equal(t, uint32(0), sb.Flags())
	require.False(t, sb.ReadOnly())
	sb.SetFlags(SB_RDONLY | SB_LAZYTIME)
	require.True(t, sb.ReadOnly())
	require.Equal(t, uint32(SB_RDONLY|SB_LAZYTIME), sb.Flags())
	sb.SetFlags(SB_DIRSYNC)
	require.False(t, sb.ReadOnly())
	require.Equal(t, int64(0), sb.Orphans())

	r := sb.Root()
	require.Same(t, r, sb.Root())
	require.True(t, r.IsRoot())
	require.True(t, r.IsDir())
	require.Equal(t, ModeDir, r.Type())
	require.Same(t, r, r.Parent())
	require.Same(t, sb, r.Superblock())
	require.Same(t, fs.root, r.Inode())
	require.Equal(t, "/", r.Name())
	require.Equal(t, "/", r.Path())
	require.False(t, r.Dead())
	require.True(t, r.IsAncestor(r))

	r.AddMount(2)
	r.AddMount(-1)
	require.Equal(t, int32(1), r.Mounts())
	r.AddMount(-1)
	require.Equal(t, int32(0), r.Mounts())
}

func TestLookupIdentity(t *testing.T) {
	sb, fs := newTestSB(t)
	root := sb.Root()
	f := mkfile(t, root, "f")
	require.Equal(t, "f", f.Name())
	require.Same(t, root, f.Parent())
	require.Same(t, sb, f.Superblock())
	require.Equal(t, ModeRegular, f.Type())
	require.False(t, f.IsDir())
	require.False(t, f.IsRoot())

	// Created dentries are cached: lookups return them without asking the
	// backend.
	before := fs.lookupCount("f")
	for range 3 {
		got, err := root.Lookup("f")
		require.NoError(t, err)
		require.Same(t, f, got)
	}
	require.Same(t, f, root.Cached("f"))
	require.Equal(t, before, fs.lookupCount("f"))

	// A name the backend has but the cache does not is looked up once and
	// then cached.
	ino, err := fs.root.Create("g", fileOpts)
	require.NoError(t, err)
	require.Nil(t, root.Cached("g"))
	g, err := root.Lookup("g")
	require.NoError(t, err)
	require.Same(t, ino, g.Inode())
	g2, err := root.Lookup("g")
	require.NoError(t, err)
	require.Same(t, g, g2)
	require.Same(t, g, root.Cached("g"))
	require.Equal(t, 1, fs.lookupCount("g"))

	// Negative lookups are not cached; Cached never asks the backend.
	for i := range 2 {
		_, err = root.Lookup("missing")
		require.Equal(t, ENOENT, err)
		require.Equal(t, i+1, fs.lookupCount("missing"))
	}
	require.Nil(t, root.Cached("missing"))
	require.Equal(t, 2, fs.lookupCount("missing"))

	// Backend errors pass through and cache nothing.
	fs.failNext("Lookup", EIO)
	_, err = root.Lookup("h")
	require.Equal(t, EIO, err)

	// Lookup in a non-directory is ENOTDIR without asking the backend.
	_, err = f.Lookup("x")
	require.Equal(t, ENOTDIR, err)
	require.Zero(t, fs.lookupCount("x"))
	require.Nil(t, f.Cached("x"))

	// Nested: a directory's children are its own.
	a := mkdir(t, root, "a")
	af := mkfile(t, a, "f")
	require.NotSame(t, f, af)
	got, err := a.Lookup("f")
	require.NoError(t, err)
	require.Same(t, af, got)
	require.Equal(t, "/a/f", af.Path())
}

func TestConcurrentLookupSameName(t *testing.T) {
	sb, fs := newTestSB(t)
	root := sb.Root()
	for i := range 20 {
		_, err := fs.root.Create("n"+strconv.Itoa(i), fileOpts)
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	got := make([][]*Dentry, 4)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				d, err := root.Lookup("n" + strconv.Itoa(i))
				if err == nil {
					got[g] = append(got[g], d)
				}
			}
		}()
	}
	wg.Wait()
	for g := range got {
		require.Len(t, got[g], 20)
		for i := range got[g] {
			require.Same(t, got[0][i], got[g][i], "goroutines saw different dentries for one name")
		}
	}
	for i := range 20 {
		require.Equal(t, 1, fs.lookupCount("n"+strconv.Itoa(i)))
	}
}

func TestCreateOps(t *testing.T) {
	sb, fs := newTestSB(t)
	root := sb.Root()
	f := mkfile(t, root, "f")
	dir := mkdir(t, root, "dir")
	require.True(t, dir.IsDir())
	require.Equal(t, ModeDir, dir.Type())
	require.Equal(t, uint32(3), fs.root.nlink())

	dev, err := root.Mknod("tty", CreateOpts{Mode: ModeCharDevice | 0o620, Rdev: Mkdev(4, 1)})
	require.NoError(t, err)
	require.Equal(t, ModeCharDevice, dev.Type())
	a, err := dev.Inode().Getattr()
	require.NoError(t, err)
	require.Equal(t, Mkdev(4, 1), a.Rdev)
	fifo, err := root.Mknod("fifo", CreateOpts{Mode: ModeFIFO | 0o600})
	require.NoError(t, err)
	require.Equal(t, ModeFIFO, fifo.Type())

	ln, err := root.Symlink("ln", "../target", CreateOpts{})
	require.NoError(t, err)
	require.Equal(t, ModeSymlink, ln.Type())
	target, err := ln.Inode().Readlink()
	require.NoError(t, err)
	require.Equal(t, "../target", target)

	hard, err := dir.Link("hard", f)
	require.NoError(t, err)
	require.NotSame(t, f, hard)
	require.Same(t, f.Inode(), hard.Inode())
	require.Equal(t, "/dir/hard", hard.Path())
	require.Equal(t, uint32(2), tinode(f).nlink())
	c, err := dir.Lookup("hard")
	require.NoError(t, err)
	require.Same(t, hard, c)

	type op struct {
		name string
		do   func(d *Dentry, name string) (*Dentry, error)
	}
	ops := []op{
		{"Create", func(d *Dentry, n string) (*Dentry, error) { return d.Create(n, fileOpts) }},
		{"Mkdir", func(d *Dentry, n string) (*Dentry, error) { return d.Mkdir(n, dirOpts) }},
		{"Mknod", func(d *Dentry, n string) (*Dentry, error) { return d.Mknod(n, CreateOpts{Mode: ModeFIFO}) }},
		{"Symlink", func(d *Dentry, n string) (*Dentry, error) { return d.Symlink(n, "t", CreateOpts{}) }},
		{"Link", func(d *Dentry, n string) (*Dentry, error) { return d.Link(n, f) }},
	}
	_, err = fs.root.Create("uncached", fileOpts)
	require.NoError(t, err)
	for _, o := range ops {
		// EEXIST for every kind of existing name, cached or not, without
		// calling the backend.
		for _, existing := range []string{"f", "dir", "ln", "tty", "uncached"} {
			fs.callLog()
			_, err := o.do(root, existing)
			require.Equal(t, EEXIST, err, "%s over %s", o.name, existing)
			for _, call := range fs.callLog() {
				require.NotEqual(t, o.name+" "+existing, call, "backend called for an existing name")
			}
		}
		// ENOTDIR in a non-directory, before anything else.
		for _, notDir := range []*Dentry{f, ln, dev} {
			_, err := o.do(notDir, "x")
			require.Equal(t, ENOTDIR, err, "%s in %s", o.name, notDir.Name())
		}
		// Backend errors are returned and nothing is cached.
		fs.failNext(o.name, ENOSPC)
		_, err := o.do(root, "full")
		require.Equal(t, ENOSPC, err, o.name)
		require.Nil(t, root.Cached("full"))
		_, err = root.Lookup("full")
		require.Equal(t, ENOENT, err)
	}
	require.Equal(t, uint32(2), tinode(f).nlink(), "failed links changed nlink")
	require.Same(t, f, root.Cached("f"), "failed creates disturbed the cache")
}

func TestLinkErrors(t *testing.T) {
	sb, fs := newTestSB(t)
	sb2, _ := newTestSB(t)
	root := sb.Root()
	f := mkfile(t, root, "f")
	dir := mkdir(t, root, "dir")
	other := mkfile(t, sb2.Root(), "other")

	_, err := root.Link("l", dir)
	require.Equal(t, EPERM, err)
	_, err = root.Link("l", root)
	require.Equal(t, EPERM, err)
	_, err = root.Link("l", other)
	require.Equal(t, EXDEV, err)
	_, err = sb2.Root().Link("l", f)
	require.Equal(t, EXDEV, err)

	// Linux's vfs_link checks the new name first (may_create): EEXIST
	// wins over EXDEV and EPERM, as link(2) shows on a real kernel.
	_, err = root.Link("f", dir)
	require.Equal(t, EEXIST, err)
	_, err = root.Link("dir", other)
	require.Equal(t, EEXIST, err)

	// A dead target is ENOENT; the backend's Link is not called.
	g := mkfile(t, root, "g")
	require.NoError(t, root.Unlink("g", nil))
	fs.callLog()
	_, err = root.Link("g2", g)
	require.Equal(t, ENOENT, err)
	require.NotContains(t, fs.callLog(), "Link g2")
	require.Nil(t, root.Cached("g2"))
}

func TestRemove(t *testing.T) {
	sb, fs := newTestSB(t)
	root := sb.Root()
	f := mkfile(t, root, "f")
	dir := mkdir(t, root, "dir")
	full := mkdir(t, root, "full")
	inner := mkfile(t, full, "inner")

	require.Equal(t, EISDIR, root.Unlink("dir", nil))
	require.Equal(t, ENOTDIR, root.Rmdir("f", nil))
	require.Equal(t, ENOENT, root.Unlink("missing", nil))
	require.Equal(t, ENOENT, root.Rmdir("missing", nil))
	require.Equal(t, ENOTDIR, f.Unlink("x", nil))
	require.Equal(t, ENOTDIR, f.Rmdir("x", nil))
	require.Equal(t, ENOTEMPTY, root.Rmdir("full", nil))
	require.False(t, full.Dead())
	require.Same(t, full, root.Cached("full"))
	require.Same(t, inner, full.Cached("inner"))
	require.False(t, f.Dead() || dir.Dead())

	fs.failNext("Unlink", EROFS)
	require.Equal(t, EROFS, root.Unlink("f", nil))
	require.False(t, f.Dead())
	require.Same(t, f, root.Cached("f"))

	require.NoError(t, root.Unlink("f", nil))
	require.True(t, f.Dead())
	require.Nil(t, root.Cached("f"))
	_, err := root.Lookup("f")
	require.Equal(t, ENOENT, err)
	require.Equal(t, ENOENT, root.Unlink("f", nil))

	require.NoError(t, full.Unlink("inner", nil))
	require.NoError(t, root.Rmdir("full", nil))
	require.True(t, full.Dead())
	require.NoError(t, root.Rmdir("dir", nil))
	require.True(t, dir.Dead())
	require.Equal(t, uint32(2), fs.root.nlink())

	// A name recreated after removal is a new dentry.
	f2 := mkfile(t, root, "f")
	require.NotSame(t, f, f2)
	require.False(t, f2.Dead())
}

func TestRemoveCheck(t *testing.T) {
	sb, fs := newTestSB(t)
	root := sb.Root()
	f := mkfile(t, root, "f")
	dir := mkdir(t, root, "dir")
	veto := Errno(EBUSY)

	for _, c := range []struct {
		name string
		dir  bool
		want *Dentry
	}{{"f", false, f}, {"dir", true, dir}, {"f", true, f}, {"dir", false, dir}} {
		var seen []*Dentry
		check := func(v *Dentry) error {
			seen = append(seen, v)
			if root.mu.TryLock() {
				root.mu.Unlock()
				t.Error("check runs without the directory lock")
			}
			return veto
		}
		fs.callLog()
		var err error
		if c.dir {
			err = root.Rmdir(c.name, check)
		} else {
			err = root.Unlink(c.name, check)
		}
		// The veto comes before the type check, and nothing is removed.
		require.Equal(t, veto, err, "%s dir=%v", c.name, c.dir)
		require.Equal(t, []*Dentry{c.want}, seen)
		require.False(t, c.want.Dead())
		require.Same(t, c.want, root.Cached(c.name))
		for _, call := range fs.callLog() {
			require.Equal(t, "Lookup", call[:6], "only lookups before the veto: %s", call)
		}
	}

	// A check that passes lets the type checks run next.
	pass := func(*Dentry) error { return nil }
	require.Equal(t, EISDIR, root.Unlink("dir", pass))
	require.Equal(t, ENOTDIR, root.Rmdir("f", pass))

	// The check is not called for a missing name.
	called := false
	require.Equal(t, ENOENT, root.Unlink("missing", func(*Dentry) error { called = true; return nil }))
	require.False(t, called)

	// The check sees the victim before the backend removes it.
	require.NoError(t, root.Unlink("f", func(v *Dentry) error {
		require.Same(t, f, v)
		require.False(t, v.Dead())
		require.Equal(t, uint32(1), tinode(v).nlink())
		return nil
	}))
	require.True(t, f.Dead())
	require.NoError(t, root.Rmdir("dir", pass))
	require.True(t, dir.Dead())
}

func TestDeadDirectory(t *testing.T) {
	sb, fs := newTestSB(t)
	root := sb.Root()
	a := mkdir(t, root, "a")
	sub := mkdir(t, a, "sub")
	f := mkfile(t, root, "f")
	sub.Get()
	defer sub.Put()
	require.NoError(t, a.Rmdir("sub", nil))

	require.True(t, sub.Dead())
	require.Equal(t, "/a/sub//deleted", sub.Path())
	require.Same(t, a, sub.Parent())
	require.Equal(t, "sub", sub.Name())
	require.Equal(t, "/a", a.Path())

	fs.callLog()
	_, err := sub.Lookup("x")
	require.Equal(t, ENOENT, err)
	require.Nil(t, sub.Cached("x"))
	_, err = sub.Create("x", fileOpts)
	require.Equal(t, ENOENT, err)
	_, err = sub.Mkdir("x", dirOpts)
	require.Equal(t, ENOENT, err)
	_, err = sub.Mknod("x", CreateOpts{Mode: ModeFIFO})
	require.Equal(t, ENOENT, err)
	_, err = sub.Symlink("x", "t", CreateOpts{})
	require.Equal(t, ENOENT, err)
	_, err = sub.Link("x", f)
	require.Equal(t, ENOENT, err)
	require.Equal(t, ENOENT, sub.Unlink("x", nil))
	require.Equal(t, ENOENT, sub.Rmdir("x", nil))
	require.Empty(t, fs.callLog(), "the backend is not asked about a dead directory")

	// Renames into and out of the dead directory.
	require.Equal(t, ENOENT, root.Rename("f", sub, "f", 0, nil))
	require.Equal(t, ENOENT, sub.Rename("x", root, "y", 0, nil))
	require.False(t, f.Dead())
	require.Same(t, f, root.Cached("f"))

	// A dead non-directory.
	require.NoError(t, root.Unlink("f", nil))
	require.Equal(t, "/f//deleted", f.Path())
	_, err = f.Lookup("x")
	require.Equal(t, ENOTDIR, err)
}

func TestPathAndAncestry(t *testing.T) {
	sb, _ := newTestSB(t)
	sb2, _ := newTestSB(t)
	root := sb.Root()
	a := mkdir(t, root, "a")
	b := mkdir(t, a, "b")
	c := mkfile(t, b, "c")
	long := mkdir(t, b, "a name with spaces and a long tail 0123456789")
	x := mkdir(t, root, "x")

	require.Equal(t, "/a", a.Path())
	require.Equal(t, "/a/b", b.Path())
	require.Equal(t, "/a/b/c", c.Path())
	require.Equal(t, "/a/b/a name with spaces and a long tail 0123456789", long.Path())

	for _, d := range []*Dentry{root, a, b, c, long, x} {
		require.True(t, d.IsAncestor(d), d.Path())
		require.True(t, d.IsAncestor(root), d.Path())
		require.False(t, d.IsAncestor(sb2.Root()), d.Path())
	}
	require.True(t, c.IsAncestor(a))
	require.True(t, c.IsAncestor(b))
	require.True(t, long.IsAncestor(a))
	require.False(t, a.IsAncestor(b))
	require.False(t, a.IsAncestor(c))
	require.False(t, c.IsAncestor(x))
	require.False(t, x.IsAncestor(a))
	require.False(t, root.IsAncestor(a))
	require.False(t, c.IsAncestor(long))
}

func TestGetPutPin(t *testing.T) {
	sb, _ := newTestSB(t)
	root := sb.Root()
	f := mkfile(t, root, "f")
	ti := tinode(f)

	f.Get()
	require.Equal(t, int32(1), ti.pinCalls.Load())
	f.Get()
	f.Get()
	require.Equal(t, int32(1), ti.pinCalls.Load(), "only the first Get pins")
	f.Put()
	f.Put()
	require.Equal(t, int32(0), ti.unpinCalls.Load())
	f.Put()
	require.Equal(t, int32(1), ti.unpinCalls.Load(), "the last Put unpins")
	require.Equal(t, int32(0), ti.pins.Load())

	// Each cycle pins again.
	for range 3 {
		f.Get()
		f.Put()
	}
	require.Equal(t, int32(4), ti.pinCalls.Load())
	require.Equal(t, int32(4), ti.unpinCalls.Load())

	// Two held names of one inode pin it once each, balanced.
	h, err := root.Link("h", f)
	require.NoError(t, err)
	f.Get()
	h.Get()
	require.Equal(t, int32(2), ti.pins.Load())
	h.Put()
	f.Put()
	require.Equal(t, int32(0), ti.pins.Load())

	// Root and directories pin as well.
	root.Get()
	require.Equal(t, int32(1), sb.Filesystem().Root().(*testInode).pins.Load())
	root.Put()
	require.Equal(t, int32(0), sb.Filesystem().Root().(*testInode).pins.Load())

	// An inode that is not a Pinner is simply counted.
	np := &Dentry{sb: sb, inode: notPinner{}}
	np.Get()
	np.Put()
}

type notPinner struct{ Inode }

func TestOrphans(t *testing.T) {
	sb, _ := newTestSB(t)
	root := sb.Root()

	// Unheld: removing the last link makes no orphan.
	mkfile(t, root, "plain")
	require.NoError(t, root.Unlink("plain", nil))
	require.Equal(t, int64(0), sb.Orphans())

	// Held: an orphan until the last Put.
	f := mkfile(t, root, "f")
	f.Get()
	f.Get()
	require.NoError(t, root.Unlink("f", nil))
	require.Equal(t, uint32(0), tinode(f).nlink())
	require.Equal(t, int64(1), sb.Orphans())
	f.Put()
	require.Equal(t, int64(1), sb.Orphans())
	f.Put()
	require.Equal(t, int64(0), sb.Orphans())
	require.Equal(t, int32(0), tinode(f).pins.Load())

	// A removed hard link whose inode keeps a name is no orphan.
	g := mkfile(t, root, "g")
	_, err := root.Link("g2", g)
	require.NoError(t, err)
	g.Get()
	require.NoError(t, root.Unlink("g", nil))
	require.True(t, g.Dead())
	require.Equal(t, uint32(1), tinode(g).nlink())
	require.Equal(t, int64(0), sb.Orphans())
	g.Put()
	require.Equal(t, int64(0), sb.Orphans())

	// A held directory removed by rmdir (a working directory).
	d := mkdir(t, root, "d")
	d.Get()
	require.NoError(t, root.Rmdir("d", nil))
	require.Equal(t, int64(1), sb.Orphans())

	// A held file replaced by a rename.
	v := mkfile(t, root, "victim")
	mkfile(t, root, "src")
	v.Get()
	require.NoError(t, root.Rename("src", root, "victim", 0, nil))
	require.True(t, v.Dead())
	require.Equal(t, int64(2), sb.Orphans())
	v.Put()
	d.Put()
	require.Equal(t, int64(0), sb.Orphans())

	// Exchange kills nothing.
	e1, e2 := mkfile(t, root, "e1"), mkfile(t, root, "e2")
	e1.Get()
	e2.Get()
	require.NoError(t, root.Rename("e1", root, "e2", RENAME_EXCHANGE, nil))
	require.False(t, e1.Dead() || e2.Dead())
	require.Equal(t, int64(0), sb.Orphans())
	e1.Put()
	e2.Put()

	// Orphans are per superblock.
	sb2, _ := newTestSB(t)
	o := mkfile(t, sb2.Root(), "o")
	o.Get()
	require.NoError(t, sb2.Root().Unlink("o", nil))
	require.Equal(t, int64(1), sb2.Orphans())
	require.Equal(t, int64(0), sb.Orphans())
	o.Put()
	require.Equal(t, int64(0), sb2.Orphans())
}

// TestOrphanLastLinkRemovedByOtherName holds one name of a file with two
// links and then removes both names. The inode is held with no link left,
// so Linux counts it in s_remove_count (drop_nlink) and refuses a remount
// read-only with EBUSY; vfs counts orphans per held dentry at the moment
// that dentry dies, so it misses this case (and the same one with the
// other name replaced by a rename).
func TestOrphanLastLinkRemovedByOtherName(t *testing.T) {
	t.Skip("known bug: orphans are counted per dying held dentry, not per inode; see the report")
	sb, _ := newTestSB(t)
	root := sb.Root()
	a := mkfile(t, root, "a")
	_, err := root.Link("b", a)
	require.NoError(t, err)
	a.Get()
	defer a.Put()
	require.NoError(t, root.Unlink("a", nil))
	require.Equal(t, int64(0), sb.Orphans())
	require.NoError(t, root.Unlink("b", nil))
	require.Equal(t, uint32(0), tinode(a).nlink())
	require.Equal(t, int64(1), sb.Orphans())
}

// TestOrphansPutRacesUnlink releases the last hold while the file is
// being unlinked: whichever wins, the count returns to zero.
func TestOrphansPutRacesUnlink(t *testing.T) {
	sb, _ := newTestSB(t)
	root := sb.Root()
	for i := range 200 {
		name := fmt.Sprintf("race%d", i)
		f := mkfile(t, root, name)
		f.Get()
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); f.Put() }()
		go func() { defer wg.Done(); require.NoError(t, root.Unlink(name, nil)) }()
		wg.Wait()
		require.Equal(t, int64(0), sb.Orphans(), "iteration %d", i)
		require.Equal(t, int32(0), tinode(f).pins.Load())
	}
}

// TestConcurrentTree runs lock-free lookups and path renders against
// creates, removes and renames in the same directories.
func TestConcurrentTree(t *testing.T) {
	sb, _ := newTestSB(t)
	root := sb.Root()
	a, b := mkdir(t, root, "a"), mkdir(t, root, "b")
	stable := mkfile(t, a, "stable")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if d, err := a.Lookup("stable"); err != nil || d != stable {
					t.Errorf("stable lookup: %v %p", err, d)
					return
				}
				for _, dir := range []*Dentry{a, b} {
					if d, err := dir.Lookup("m" + strconv.Itoa(i%10)); err == nil {
						if p := d.Path(); p != "/a/"+d.Name() && p != "/b/"+d.Name() && !strings.HasSuffix(p, "//deleted") {
							t.Errorf("odd path %q", p)
							return
						}
					}
				}
			}
		}()
	}
	for i := range 300 {
		n := "m" + strconv.Itoa(i%10)
		switch i % 3 {
		case 0:
			_, _ = a.Create(n, fileOpts)
		case 1:
			_ = a.Rename(n, b, n, 0, nil)
		case 2:
			_ = b.Unlink(n, nil)
			_ = a.Unlink(n, nil)
		}
	}
	close(stop)
	wg.Wait()
	require.Same(t, stable, a.Cached("stable"))
}
