package mount_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/mount"
)

// TestStatNoAlloc guards the stat path's promise of no allocation: a
// Stat resolved lock-free through cached directories (and one that ends
// in a missing name past them) allocates nothing.
func TestStatNoAlloc(t *testing.T) {
	c := boot(t)
	dir := ""
	for _, n := range []string{"a", "bb", "a-long-directory-name", "d"} {
		dir += "/" + n
		require.NoError(t, c.Mkdir(dir, 0o755))
	}
	writeFile(t, c, dir+"/file", "x")
	_, err := c.Stat(dir + "/file")
	require.NoError(t, err)
	path, missing := dir+"//file", dir+"/missing"
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := c.Stat(path); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs, "Stat allocates")
	allocs = testing.AllocsPerRun(100, func() {
		if _, err := c.Stat(missing); err == nil {
			t.Fatal("found")
		}
	})
	require.Zero(t, allocs, "Stat of a missing name allocates")
	st := new(mount.Stat) // a reused buffer
	allocs = testing.AllocsPerRun(100, func() {
		if err := c.StatInto(path, st); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs, "StatInto allocates")
}

// TestStatInto checks that StatInto and LstatInto report what Stat and
// Lstat do (memfs fills the buffer through vfs.AttrInto), leave a zero
// buffer on error (TestStatNoAlloc checks that StatInto allocates nothing).
func TestStatInto(t *testing.T) {
	c := boot(t)
	require.NoError(t, c.Mkdir("/d", 0o755))
	writeFile(t, c, "/d/file", "hello")
	require.NoError(t, c.Symlink("file", "/d/link"))
	st := new(mount.Stat)
	for _, p := range []string{"/", "/d", "/d/file", "/d/link", "/d/../d/./file"} {
		want, err := c.Stat(p)
		require.NoError(t, err)
		require.NoError(t, c.StatInto(p, st))
		assert.Equal(t, want, *st, p)
		want, err = c.Lstat(p)
		require.NoError(t, err)
		require.NoError(t, c.LstatInto(p, st))
		assert.Equal(t, want, *st, p)
	}
	for _, p := range []string{"/d/missing", "/d/file/", "", "/d/link/x"} {
		*st = mount.Stat{Dev: 1}
		_, want := c.Stat(p)
		assert.Equal(t, want, c.StatInto(p, st), p)
		assert.Equal(t, mount.Stat{}, *st, p)
		*st = mount.Stat{Dev: 1}
		_, want = c.Lstat(p)
		assert.Equal(t, want, c.LstatInto(p, st), p)
		assert.Equal(t, mount.Stat{}, *st, p)
	}
}
