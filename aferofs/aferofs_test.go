package aferofs_test

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/aferofs"
	"github.com/mountkit/mountkit/internal/aferotest"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

func boot(t *testing.T) *mount.FsContext {
	t.Helper()
	c, err := mountkit.Boot()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// osDir returns a fresh directory of the real kernel for afero.OsFs,
// with umask 022 as the library's init process has.
func osDir(t *testing.T) string {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	return t.TempDir()
}

// TestAferoExpectations runs afero's expectations on the library and on
// OsFs over the real kernel: every result and errno must agree.
func TestAferoExpectations(t *testing.T) {
	if os.Getuid() != 0 {
		// The library's init process is root; OsFs as another user
		// would answer chown and permission checks differently.
		t.Skip("needs root, to compare with the kernel as the same user")
	}
	want := aferotest.Transcript(afero.NewOsFs(), osDir(t), aferotest.Options{})
	got := aferotest.Transcript(aferofs.New(boot(t)), "", aferotest.Options{})
	assert.Equal(t, strings.Join(want, "\n"), strings.Join(got, "\n"))
}

func TestErrors(t *testing.T) {
	fsys := aferofs.New(boot(t))
	_, err := fsys.Open("/missing")
	var pe *os.PathError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "open", pe.Op)
	assert.Equal(t, "/missing", pe.Path)
	assert.Equal(t, syscall.ENOENT, pe.Err)
	assert.Equal(t, vfs.ENOENT, aferofs.Errno(err))
	assert.True(t, os.IsNotExist(err))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.ErrorIs(t, err, syscall.ENOENT)

	require.NoError(t, fsys.Mkdir("/d", 0o700))
	assert.True(t, os.IsExist(fsys.Mkdir("/d", 0o700)))
	var le *os.LinkError
	require.True(t, errors.As(fsys.Rename("/nope", "/x"), &le))
	assert.Equal(t, syscall.ENOENT, le.Err)

	c := fsys.Context().Fork()
	defer c.Close()
	c.SetCred(vfs.Cred{UID: 1000, GID: 1000})
	user := aferofs.New(c)
	_, err = user.Create("/d/f")
	assert.True(t, os.IsPermission(err))
	assert.ErrorIs(t, err, fs.ErrPermission)
	assert.Equal(t, vfs.EPERM, aferofs.Errno(user.Chown("/d", 1000, 1000)))
	assert.Equal(t, vfs.EINVAL, aferofs.Errno(fsys.Chown("/d", -2, 0)))
}

func TestAcrossMounts(t *testing.T) {
	c := boot(t)
	fsys := aferofs.New(c)
	require.NoError(t, fsys.MkdirAll("/mnt/ro", 0o755))
	require.NoError(t, c.Mount("none", "/mnt/ro", "tmpfs", mount.MS_RDONLY, ""))
	_, err := fsys.Create("/mnt/ro/f")
	assert.Equal(t, vfs.EROFS, aferofs.Errno(err))
	err = fsys.RemoveAll("/mnt")
	assert.Equal(t, vfs.EBUSY, aferofs.Errno(err))
	require.NoError(t, afero.WriteFile(fsys, "/mnt/f", []byte("x"), 0o644))
	assert.Equal(t, vfs.EXDEV, aferofs.Errno(fsys.Rename("/mnt/f", "/mnt/ro/f")))

	// Relative names resolve from the process's working directory.
	require.NoError(t, c.Chdir("/mnt"))
	b, err := afero.ReadFile(fsys, "f")
	require.NoError(t, err)
	assert.Equal(t, "x", string(b))
	// afero's helpers work on top.
	ok, err := afero.DirExists(fsys, "/mnt/ro")
	require.NoError(t, err)
	assert.True(t, ok)
	var walked []string
	require.NoError(t, afero.Walk(fsys, "/mnt", func(p string, info fs.FileInfo, err error) error {
		walked = append(walked, p)
		return err
	}))
	assert.Equal(t, []string{"/mnt", "/mnt/f", "/mnt/ro"}, walked)
	assert.Equal(t, "mountkit", fsys.Name())
}

func TestIOFS(t *testing.T) {
	// afero's own io/fs adapter over the library works as fstest wants.
	c := boot(t)
	fsys := aferofs.New(c)
	require.NoError(t, fsys.MkdirAll("/x/y", 0o755))
	require.NoError(t, afero.WriteFile(fsys, "/x/y/z", []byte("z"), 0o644))
	b, err := fs.ReadFile(afero.NewIOFS(fsys), "x/y/z")
	require.NoError(t, err)
	assert.Equal(t, "z", string(b))
	require.NoError(t, fstest.TestFS(afero.NewIOFS(fsys), "x/y/z"))
}
