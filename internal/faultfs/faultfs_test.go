package faultfs_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/internal/faultfs"
	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/vfs"
)

func TestFailAt(t *testing.T) {
	f := faultfs.New(memfs.New(memfs.Host.DefaultOptions()))
	f.SetFilter(faultfs.Mutating)
	root := f.Root()
	assert.Same(t, root, f.Root(), "one wrapper per inode")

	f.FailAt(2, vfs.EIO)
	_, err := root.Mkdir("a", vfs.CreateOpts{Mode: vfs.ModeDir | 0o755})
	require.NoError(t, err)
	_, err = root.Create("b", vfs.CreateOpts{Mode: vfs.ModeRegular | 0o644})
	assert.Equal(t, vfs.EIO, err)
	assert.True(t, f.Fired())
	_, err = root.Lookup("b")
	assert.Equal(t, vfs.ENOENT, err, "the failed operation did nothing")
	_, err = root.Create("b", vfs.CreateOpts{Mode: vfs.ModeRegular | 0o644})
	assert.NoError(t, err, "later operations run")
	assert.Equal(t, []faultfs.Op{"Mkdir", "Create", "Create"}, f.Counted())

	a, err := root.Lookup("a")
	require.NoError(t, err)
	b, err := root.Lookup("b")
	require.NoError(t, err)
	f.FailAt(0, 0)
	require.NoError(t, root.Rename("b", a, "c", 0), "wrapped directories are unwrapped for the backend")
	require.NoError(t, a.Link("d", b))
	at, err := b.Getattr()
	require.NoError(t, err)
	assert.Equal(t, uint32(2), at.Nlink)
	assert.False(t, f.Fired())
}

func TestFiles(t *testing.T) {
	f := faultfs.New(memfs.New(memfs.Host.DefaultOptions()))
	ino, err := f.Root().Create("f", vfs.CreateOpts{Mode: vfs.ModeRegular | 0o644})
	require.NoError(t, err)
	fl, err := ino.Open(vfs.O_RDWR)
	require.NoError(t, err)
	defer fl.Close()
	f.FailAt(1, vfs.ENOSPC)
	_, err = fl.WriteAt([]byte("x"), 0)
	assert.Equal(t, vfs.ENOSPC, err)
	n, err := fl.WriteAt([]byte("x"), 0)
	assert.NoError(t, err)
	assert.Equal(t, 1, n)
}
