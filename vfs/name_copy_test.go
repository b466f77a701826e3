package vfs

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestNamesAreCopied checks that a dentry made by a creation, a lookup
// or a rename keeps its own copy of its name, not the caller's string
// (typically a slice of a longer path, which it would keep alive).
func TestNamesAreCopied(t *testing.T) {
	sb, fs := newTestSB(t)
	root := sb.Root()
	shares := func(d *Dentry, s string) bool {
		n := d.Name()
		return unsafe.StringData(n) == unsafe.StringData(s)
	}
	path := "/some/long/path/file"
	name := path[len(path)-4:]
	d, err := root.Create(name, fileOpts)
	require.NoError(t, err)
	require.Equal(t, "file", d.Name())
	require.False(t, shares(d, name), "created")

	_, err = fs.root.Create("other", fileOpts) // behind the cache's back
	require.NoError(t, err)
	path = "/x/other"
	name = path[3:]
	d, err = root.Lookup(name)
	require.NoError(t, err)
	require.False(t, shares(d, name), "looked up")

	path = "/x/renamed"
	name = path[3:]
	require.NoError(t, root.Rename("other", root, name, 0, nil))
	d = root.Cached("renamed")
	require.NotNil(t, d)
	require.False(t, shares(d, name), "renamed")
}
