package vfs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// renameTree builds
//
//	/a/b/c/        /a/b/bf   /a/af
//	/d/ (empty)    /e/x      /f, /h (one inode)   /g
type renameTree struct {
	sb                  *Superblock
	fs                  *testFS
	root, a, b, c, d, e *Dentry
	bf, af, x, f, g, h  *Dentry
	all                 []*Dentry
	otherSB             *Superblock
}

func newRenameTree(t *testing.T) *renameTree {
	sb, fs := newTestSB(t)
	r := &renameTree{sb: sb, fs: fs, root: sb.Root()}
	r.a = mkdir(t, r.root, "a")
	r.b = mkdir(t, r.a, "b")
	r.c = mkdir(t, r.b, "c")
	r.bf = mkfile(t, r.b, "bf")
	r.af = mkfile(t, r.a, "af")
	r.d = mkdir(t, r.root, "d")
	r.e = mkdir(t, r.root, "e")
	r.x = mkfile(t, r.e, "x")
	r.f = mkfile(t, r.root, "f")
	r.g = mkfile(t, r.root, "g")
	h, err := r.root.Link("h", r.f)
	require.NoError(t, err)
	r.h = h
	r.all = []*Dentry{r.root, r.a, r.b, r.c, r.bf, r.af, r.d, r.e, r.x, r.f, r.g, r.h}
	r.otherSB, _ = newTestSB(t)
	mkfile(t, r.otherSB.Root(), "f")
	return r
}

type dentryState struct {
	path   string
	parent *Dentry
	cached *Dentry // what the parent's table holds under d's name
	dead   bool
}

func (r *renameTree) snapshot() map[*Dentry]dentryState {
	m := map[*Dentry]dentryState{}
	for _, d := range r.all {
		m[d] = dentryState{d.Path(), d.Parent(), d.Parent().Cached(d.Name()), d.Dead()}
	}
	return m
}

func TestRenameFlags(t *testing.T) {
	r := newRenameTree(t)
	before := r.snapshot()
	for _, flags := range []uint32{
		8, 1 << 31, RENAME_NOREPLACE | 8,
		RENAME_NOREPLACE | RENAME_EXCHANGE,
		RENAME_WHITEOUT | RENAME_EXCHANGE,
		RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT,
	} {
		// Flags are checked before everything else: a valid rename, a
		// missing source, a non-directory, another superblock.
		require.Equal(t, EINVAL, r.root.Rename("f", r.root, "new", flags, nil), "flags %#x", flags)
		require.Equal(t, EINVAL, r.root.Rename("missing", r.root, "new", flags, nil), "flags %#x", flags)
		require.Equal(t, EINVAL, r.f.Rename("x", r.root, "new", flags, nil), "flags %#x", flags)
		require.Equal(t, EINVAL, r.root.Rename("f", r.otherSB.Root(), "new", flags, nil), "flags %#x", flags)
	}
	require.Equal(t, before, r.snapshot())
	require.Empty(t, filterCalls(r.fs.callLog(), "Rename"))

	// The valid combinations reach the backend with their flags.
	for _, flags := range []uint32{0, RENAME_NOREPLACE, RENAME_WHITEOUT, RENAME_NOREPLACE | RENAME_WHITEOUT} {
		require.NoError(t, r.root.Rename("g", r.root, "g2", flags, nil), "flags %#x", flags)
		require.Equal(t, flags, r.fs.flags)
		require.NoError(t, r.root.Rename("g2", r.root, "g", 0, nil))
	}
	require.NoError(t, r.root.Rename("g", r.root, "f", RENAME_EXCHANGE, nil))
	require.Equal(t, uint32(RENAME_EXCHANGE), r.fs.flags)
}

func filterCalls(calls []string, op string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, op+" ") {
			out = append(out, c)
		}
	}
	return out
}

func TestRenameErrorOrder(t *testing.T) {
	r := newRenameTree(t)
	const (
		noreplace = RENAME_NOREPLACE
		exchange  = RENAME_EXCHANGE
	)
	cases := []struct {
		name            string
		from            *Dentry
		old             string
		to              *Dentry
		new             string
		flags           uint32
		want            Errno
		backendRejected bool // the backend's Rename was called and refused
	}{
		{"source dir not a directory", r.f, "x", r.root, "y", 0, ENOTDIR, false},
		{"target dir not a directory", r.root, "g", r.f, "y", 0, ENOTDIR, false},
		{"across superblocks", r.root, "f", nil, "f", 0, EXDEV, false},
		{"across superblocks before ENOENT", r.root, "missing", nil, "f", 0, EXDEV, false},
		{"missing source", r.root, "missing", r.root, "new", 0, ENOENT, false},
		{"missing source before EEXIST", r.root, "missing", r.root, "g", noreplace, ENOENT, false},
		{"missing source before exchange ENOENT", r.root, "missing", r.root, "nothing", exchange, ENOENT, false},
		{"noreplace onto a file", r.root, "f", r.root, "g", noreplace, EEXIST, false},
		{"noreplace onto the same inode", r.root, "f", r.root, "h", noreplace, EEXIST, false},
		{"noreplace onto itself", r.root, "f", r.root, "f", noreplace, EEXIST, false},
		{"noreplace before EINVAL", r.root, "a", r.b, "c", noreplace, EEXIST, false},
		{"noreplace before ENOTEMPTY", r.b, "bf", r.root, "a", noreplace, EEXIST, false},
		{"noreplace before ENOTDIR", r.root, "d", r.root, "f", noreplace, EEXIST, false},
		{"exchange without target", r.root, "f", r.root, "nothing", exchange, ENOENT, false},
		{"exchange without target before EINVAL", r.root, "a", r.b, "nothing", exchange, ENOENT, false},
		{"source is an ancestor of the target dir", r.root, "a", r.b, "new", 0, EINVAL, false},
		{"source is the target dir", r.root, "a", r.a, "new", 0, EINVAL, false},
		{"source ancestor, existing target", r.root, "a", r.b, "c", 0, EINVAL, false},
		{"source ancestor, existing file target", r.root, "a", r.b, "bf", 0, EINVAL, false},
		{"source ancestor with exchange", r.root, "a", r.b, "c", exchange, EINVAL, false},
		{"target is an ancestor of the source", r.b, "bf", r.root, "a", 0, ENOTEMPTY, false},
		{"target is the source's dir", r.b, "c", r.a, "b", 0, ENOTEMPTY, false},
		{"target ancestor with exchange", r.b, "c", r.a, "b", exchange, EINVAL, false},
		{"target ancestor before EISDIR", r.b, "bf", r.a, "b", 0, ENOTEMPTY, false},
		{"directory onto a file", r.root, "d", r.root, "f", 0, ENOTDIR, false},
		{"directory onto a file elsewhere", r.a, "b", r.e, "x", 0, ENOTDIR, false},
		{"file onto a directory", r.root, "f", r.root, "d", 0, EISDIR, false},
		{"file onto a directory elsewhere", r.e, "x", r.a, "b", 0, EISDIR, false},
		{"directory onto a non-empty directory", r.root, "d", r.root, "e", 0, ENOTEMPTY, true},
	}
	before := r.snapshot()
	for _, c := range cases {
		to := c.to
		if to == nil {
			to = r.otherSB.Root()
		}
		r.fs.callLog()
		err := c.from.Rename(c.old, to, c.new, c.flags, func(*Dentry) error {
			if !c.backendRejected {
				t.Errorf("%s: busy called", c.name)
			}
			return nil
		})
		require.Equal(t, c.want, err, c.name)
		renames := filterCalls(r.fs.callLog(), "Rename")
		if c.backendRejected {
			require.Len(t, renames, 1, c.name)
		} else {
			require.Empty(t, renames, c.name)
		}
		require.Equal(t, before, r.snapshot(), "%s changed the tree", c.name)
	}
}

func TestRenameSameInode(t *testing.T) {
	r := newRenameTree(t)
	before := r.snapshot()
	busy := func(*Dentry) error { t.Error("busy called for a no-op rename"); return nil }
	for _, c := range []struct {
		from        *Dentry
		old, new    string
		flags       uint32
		description string
	}{
		{r.root, "f", "h", 0, "hard links"},
		{r.root, "h", "f", 0, "hard links, other way"},
		{r.root, "f", "h", RENAME_EXCHANGE, "exchange of hard links"},
		{r.root, "f", "f", 0, "file onto itself"},
		{r.root, "a", "a", 0, "directory onto itself"},
		{r.a, "b", "b", RENAME_EXCHANGE, "exchange with itself"},
	} {
		r.fs.callLog()
		require.NoError(t, c.from.Rename(c.old, c.from, c.new, c.flags, busy), c.description)
		require.Empty(t, filterCalls(r.fs.callLog(), "Rename"), c.description)
		require.Equal(t, before, r.snapshot(), c.description)
	}
	require.Equal(t, uint32(2), tinode(r.f).nlink())
}

func TestRenameMove(t *testing.T) {
	r := newRenameTree(t)

	// Within a directory.
	require.NoError(t, r.root.Rename("g", r.root, "g2", 0, nil))
	require.Equal(t, "g2", r.g.Name())
	require.Same(t, r.root, r.g.Parent())
	require.Nil(t, r.root.Cached("g"))
	require.Same(t, r.g, r.root.Cached("g2"))
	got, err := r.root.Lookup("g2")
	require.NoError(t, err)
	require.Same(t, r.g, got)
	_, err = r.root.Lookup("g")
	require.Equal(t, ENOENT, err)
	require.False(t, r.g.Dead())

	// A directory to another directory: its subtree follows.
	require.NoError(t, r.root.Rename("a", r.d, "a2", 0, nil))
	require.Same(t, r.d, r.a.Parent())
	require.Equal(t, "a2", r.a.Name())
	require.Equal(t, "/d/a2", r.a.Path())
	require.Equal(t, "/d/a2/b/c", r.c.Path())
	require.Equal(t, "/d/a2/b/bf", r.bf.Path())
	require.True(t, r.c.IsAncestor(r.d))
	require.False(t, r.c.IsAncestor(r.e))
	require.Nil(t, r.root.Cached("a"))
	require.Same(t, r.a, r.d.Cached("a2"))
	got, err = r.d.Lookup("a2")
	require.NoError(t, err)
	require.Same(t, r.a, got)
	got, err = r.b.Lookup("c")
	require.NoError(t, err)
	require.Same(t, r.c, got)
	require.Equal(t, uint32(3), tinode(r.d).nlink())

	// The moved directory's old place can be reused, and moving into the
	// moved subtree is now EINVAL from its new place.
	mkdir(t, r.root, "a")
	require.Equal(t, EINVAL, r.d.Rename("a2", r.c, "loop", 0, nil))

	// Replacing a file: the victim dies; with another link it is no orphan.
	r.f.Get()
	require.NoError(t, r.root.Rename("g2", r.root, "f", 0, nil))
	require.True(t, r.f.Dead())
	require.Equal(t, "/f//deleted", r.f.Path())
	require.Same(t, r.g, r.root.Cached("f"))
	require.Equal(t, "/f", r.g.Path())
	require.Equal(t, uint32(1), tinode(r.h).nlink())
	require.Equal(t, int64(0), r.sb.Orphans())
	r.f.Put()

	// Replacing an empty directory across directories.
	empty := mkdir(t, r.e, "empty")
	require.NoError(t, r.b.Rename("c", r.e, "empty", 0, nil))
	require.True(t, empty.Dead())
	require.Equal(t, "/e/empty//deleted", empty.Path())
	require.Equal(t, "/e/empty", r.c.Path())
	require.Same(t, r.c, r.e.Cached("empty"))
	require.Nil(t, r.b.Cached("c"))
	_, err = empty.Lookup("x")
	require.Equal(t, ENOENT, err)
	_, err = empty.Create("x", fileOpts)
	require.Equal(t, ENOENT, err)
	require.Equal(t, int64(0), r.sb.Orphans())

	// A rename the backend refuses changes nothing.
	before := r.snapshot()
	r.fs.failNext("Rename", EIO)
	require.Equal(t, EIO, r.root.Rename("h", r.e, "h", 0, nil))
	require.Equal(t, before, r.snapshot())
}

func TestRenameExchange(t *testing.T) {
	r := newRenameTree(t)

	// Same directory, two files.
	require.NoError(t, r.root.Rename("g", r.root, "f", RENAME_EXCHANGE, nil))
	require.Equal(t, "f", r.g.Name())
	require.Equal(t, "g", r.f.Name())
	require.Same(t, r.g, r.root.Cached("f"))
	require.Same(t, r.f, r.root.Cached("g"))
	require.False(t, r.f.Dead() || r.g.Dead())

	// Across directories, a directory with a file: types need not match.
	require.NoError(t, r.a.Rename("b", r.e, "x", RENAME_EXCHANGE, nil))
	require.Same(t, r.e, r.b.Parent())
	require.Equal(t, "x", r.b.Name())
	require.Same(t, r.a, r.x.Parent())
	require.Equal(t, "b", r.x.Name())
	require.Equal(t, "/e/x", r.b.Path())
	require.Equal(t, "/a/b", r.x.Path())
	require.Equal(t, "/e/x/c", r.c.Path())
	require.Equal(t, "/e/x/bf", r.bf.Path())
	require.Same(t, r.b, r.e.Cached("x"))
	require.Same(t, r.x, r.a.Cached("b"))
	for _, d := range []*Dentry{r.a, r.e} {
		for _, name := range []string{"b", "x"} {
			got, err := d.Lookup(name)
			if err == nil {
				require.Same(t, got.Parent(), d)
				require.Equal(t, name, got.Name())
			}
		}
	}
	require.True(t, r.c.IsAncestor(r.e))
	require.False(t, r.c.IsAncestor(r.a))
	require.Equal(t, int64(0), r.sb.Orphans())

	// And back.
	require.NoError(t, r.e.Rename("x", r.a, "b", RENAME_EXCHANGE, nil))
	require.Equal(t, "/a/b/c", r.c.Path())
	require.Equal(t, "/e/x", r.x.Path())

	// Two directories in different places; one contains the other's
	// sibling but neither is the other's ancestor.
	require.NoError(t, r.b.Rename("c", r.root, "d", RENAME_EXCHANGE, nil))
	require.Equal(t, "/d", r.c.Path())
	require.Equal(t, "/a/b/c", r.d.Path())
}

func TestRenameBusy(t *testing.T) {
	r := newRenameTree(t)
	var seen []*Dentry
	check := func(veto *Dentry) func(*Dentry) error {
		seen = nil
		return func(v *Dentry) error {
			seen = append(seen, v)
			if r.sb.renameMu.TryRLock() {
				r.sb.renameMu.RUnlock()
				t.Error("busy runs without the rename lock")
			}
			for _, dir := range []*Dentry{r.root, r.e} {
				if dir.mu.TryLock() {
					dir.mu.Unlock()
					t.Errorf("busy runs without the lock of %s", dir.Path())
				}
			}
			if v == veto {
				return EBUSY
			}
			return nil
		}
	}
	before := r.snapshot()

	// Source, then target.
	require.Equal(t, EBUSY, r.root.Rename("g", r.e, "x", 0, check(r.x)))
	require.Equal(t, []*Dentry{r.g, r.x}, seen)
	require.Equal(t, EBUSY, r.root.Rename("g", r.e, "x", 0, check(r.g)))
	require.Equal(t, []*Dentry{r.g}, seen)
	require.Equal(t, EBUSY, r.root.Rename("d", r.e, "new", 0, check(r.d)))
	require.Equal(t, []*Dentry{r.d}, seen)
	require.Equal(t, EBUSY, r.root.Rename("g", r.e, "x", RENAME_EXCHANGE, check(r.x)))
	require.Equal(t, []*Dentry{r.g, r.x}, seen)
	require.Empty(t, filterCalls(r.fs.callLog(), "Rename"))
	require.Equal(t, before, r.snapshot())

	// After every other check: a type error wins over a busy target.
	require.Equal(t, EISDIR, r.root.Rename("g", r.root, "e", 0, check(r.e)))
	require.Empty(t, seen)

	// Passing checks let the rename happen.
	require.NoError(t, r.root.Rename("g", r.e, "x", 0, check(nil)))
	require.Equal(t, []*Dentry{r.g, r.x}, seen)
	require.True(t, r.x.Dead())
	require.Equal(t, "/e/x", r.g.Path())
}
