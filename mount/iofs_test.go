package mount_test

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/vfs"
)

func TestFSViewLinks(t *testing.T) {
	c := boot(t)
	require.NoError(t, c.Mkdir("/d", 0o755))
	writeFile(t, c, "/d/f", "data")
	require.NoError(t, c.Symlink("f", "/d/rel"))
	require.NoError(t, c.Symlink("/d", "/abs"))
	require.NoError(t, c.Mkdir("/m", 0o755))
	require.NoError(t, c.Mount("none", "/m", "tmpfs", 0, ""))
	require.NoError(t, c.Symlink("../d/f", "/m/up"))
	fsys := c.FS()
	require.NoError(t, fstest.TestFS(fsys, "d/f", "d/rel", "abs", "m/up"))
	// fstest opens every entry, so a dangling link only comes now.
	require.NoError(t, c.Symlink("nowhere", "/dangling"))

	rl := fsys.(fs.ReadLinkFS)
	target, err := rl.ReadLink("d/rel")
	require.NoError(t, err)
	assert.Equal(t, "f", target)
	fi, err := rl.Lstat("abs")
	require.NoError(t, err)
	assert.Equal(t, fs.ModeSymlink, fi.Mode().Type())
	fi, err = fs.Stat(fsys, "abs")
	require.NoError(t, err)
	assert.True(t, fi.IsDir())
	b, err := fs.ReadFile(fsys, "m/up")
	require.NoError(t, err)
	assert.Equal(t, "data", string(b))

	_, err = rl.ReadLink("d/f")
	assert.ErrorIs(t, err, vfs.EINVAL)
	_, err = fs.Stat(fsys, "dangling")
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = rl.Lstat("dangling")
	assert.NoError(t, err)
	for _, bad := range []string{"/d", "d/../d", "", "d/"} {
		_, err = rl.ReadLink(bad)
		assert.ErrorIs(t, err, fs.ErrInvalid, bad)
		_, err = rl.Lstat(bad)
		assert.ErrorIs(t, err, fs.ErrInvalid, bad)
	}
	var pe *fs.PathError
	_, err = fs.ReadDir(fsys, "d/f")
	require.True(t, errors.As(err, &pe))
	assert.ErrorIs(t, err, vfs.ENOTDIR)
}

func TestFSViewPermission(t *testing.T) {
	c := boot(t)
	require.NoError(t, c.Mkdir("/secret", 0o700))
	writeFile(t, c, "/secret/f", "x")
	u := c.Fork()
	defer u.Close()
	u.SetCred(vfs.Cred{UID: 1000, GID: 1000})
	_, err := fs.ReadFile(u.FS(), "secret/f")
	assert.ErrorIs(t, err, fs.ErrPermission)
	_, err = fs.ReadDir(u.FS(), "secret")
	assert.ErrorIs(t, err, fs.ErrPermission)
}

func TestLutimes(t *testing.T) {
	c := boot(t)
	writeFile(t, c, "/f", "x")
	require.NoError(t, c.Symlink("f", "/l"))
	before, err := c.Stat("/f")
	require.NoError(t, err)
	ts := vfs.Timespec{Sec: 1000, Nsec: 5}
	require.NoError(t, c.Lutimes("/l", ts, ts))
	st, err := c.Lstat("/l")
	require.NoError(t, err)
	assert.Equal(t, ts, st.Mtime)
	assert.Equal(t, ts, st.Atime)
	after, err := c.Stat("/f")
	require.NoError(t, err)
	assert.Equal(t, before.Mtime, after.Mtime)
	assert.Equal(t, vfs.ENOENT, c.Lutimes("/missing", ts, ts))
	u := c.Fork()
	defer u.Close()
	u.SetCred(vfs.Cred{UID: 1000, GID: 1000})
	assert.Equal(t, vfs.EPERM, u.Lutimes("/l", ts, ts))
}
