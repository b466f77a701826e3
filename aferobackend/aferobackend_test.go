package aferobackend_test

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/aferobackend"
	"github.com/mountkit/mountkit/aferofs"
	"github.com/mountkit/mountkit/internal/aferotest"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// mountAfero boots a kernel with afs registered as "afero" and mounts it
// on /mnt.
func mountAfero(t *testing.T, afs afero.Fs, flags uint64) *mount.FsContext {
	t.Helper()
	k := mountkit.NewKernel()
	k.RegisterFilesystem("afero", aferobackend.Type("afero", afs), false)
	c, err := k.Boot()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Mkdir("/mnt", 0o755))
	require.NoError(t, c.Mount("src", "/mnt", "afero", flags, ""))
	return c
}

func osDir(t *testing.T) string {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
	return t.TempDir()
}

// TestAferoExpectations runs afero's expectations through the namespace
// on mounts of OsFs and MemMapFs and compares them with OsFs on the
// kernel.
func TestAferoExpectations(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to compare with the kernel as the same user")
	}
	for _, tc := range []struct {
		name string
		afs  func(t *testing.T) afero.Fs
		o    aferotest.Options
	}{
		{"OsFs", func(t *testing.T) afero.Fs { return aferotest.Prefix(afero.NewOsFs(), osDir(t)) }, aferotest.Options{}},
		{"MemMapFs", func(t *testing.T) afero.Fs { return afero.NewMemMapFs() }, aferotest.Options{NoSymlinks: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := aferotest.Transcript(afero.NewOsFs(), osDir(t), tc.o)
			c := mountAfero(t, tc.afs(t), 0)
			got := aferotest.Transcript(aferofs.New(c), "/mnt", tc.o)
			assert.Equal(t, strings.Join(want, "\n"), strings.Join(got, "\n"))
		})
	}
}

func TestUnsupported(t *testing.T) {
	c := mountAfero(t, afero.NewMemMapFs(), 0)
	f, err := c.Open("/mnt/f", vfs.O_WRONLY|vfs.O_CREAT, 0o644)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	assert.Equal(t, vfs.EPERM, c.Link("/mnt/f", "/mnt/g"))
	assert.Equal(t, vfs.EPERM, c.Symlink("f", "/mnt/l"))
	assert.Equal(t, vfs.EPERM, c.Mknod("/mnt/p", uint32(vfs.ModeFIFO|0o644), 0))
	assert.Equal(t, vfs.EPERM, c.Chown("/mnt/f", 1000, 1000))
	assert.NoError(t, c.Chown("/mnt/f", 0, 0))
	require.NoError(t, c.Mkdir("/mnt/d", 0o755))
	assert.Equal(t, vfs.EINVAL, c.Renameat2("/mnt/f", "/mnt/d", vfs.RENAME_EXCHANGE))
	assert.Equal(t, vfs.EEXIST, c.Renameat2("/mnt/f", "/mnt/d", vfs.RENAME_NOREPLACE))
	a, err := c.Stat("/mnt")
	require.NoError(t, err)
	b, err := c.Stat("/mnt/f")
	require.NoError(t, err)
	assert.Equal(t, uint64(1), a.Ino)
	assert.NotEqual(t, a.Ino, b.Ino)
	assert.Contains(t, c.MountInfo(), " /mnt rw,relatime - afero src rw\n")

	fsys := aferobackend.New(afero.NewMemMapFs(), "afero")
	_, err = fsys.Root().Getxattr("user.a")
	assert.Equal(t, vfs.EOPNOTSUPP, err)
	st, err := fsys.Statfs()
	require.NoError(t, err)
	assert.Equal(t, int64(aferobackend.Magic), st.Type)
}

func TestReadOnlyMount(t *testing.T) {
	afs := afero.NewMemMapFs()
	require.NoError(t, afero.WriteFile(afs, "/f", []byte("data"), 0o644))
	c := mountAfero(t, afs, mount.MS_RDONLY)
	_, err := c.Open("/mnt/f", vfs.O_WRONLY, 0)
	assert.Equal(t, vfs.EROFS, err)
	assert.Equal(t, vfs.EROFS, c.Unlink("/mnt/f"))
	sub := c.FS()
	require.NoError(t, fstest.TestFS(sub, "mnt/f"))
}

func TestSharedWithTheAferoFs(t *testing.T) {
	// The afero.Fs and the namespace see each other's changes.
	afs := afero.NewMemMapFs()
	c := mountAfero(t, afs, 0)
	fsys := aferofs.New(c)
	require.NoError(t, afero.WriteFile(fsys, "/mnt/a", []byte("from the namespace"), 0o600))
	b, err := afero.ReadFile(afs, "/a")
	require.NoError(t, err)
	assert.Equal(t, "from the namespace", string(b))
	require.NoError(t, afero.WriteFile(afs, "/b", []byte("from afero"), 0o644))
	b, err = afero.ReadFile(fsys, "/mnt/b")
	require.NoError(t, err)
	assert.Equal(t, "from afero", string(b))
	fi, err := afs.Stat("/a")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// Appends through the namespace land at the end.
	f, err := c.Open("/mnt/a", vfs.O_WRONLY|vfs.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte("!"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	b, err = afero.ReadFile(afs, "/a")
	require.NoError(t, err)
	assert.Equal(t, "from the namespace!", string(b))

	// A name removed behind the namespace's back fails once looked at.
	require.NoError(t, afs.Remove("/b"))
	_, err = c.Stat("/mnt/b")
	assert.Equal(t, vfs.ENOENT, err)
}

func TestOwnersOnOsFs(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to chown on the host")
	}
	dir := osDir(t)
	c := mountAfero(t, afero.NewBasePathFs(afero.NewOsFs(), dir), 0)
	u := c.Fork()
	defer u.Close()
	require.NoError(t, c.Chmod("/mnt", 0o777))
	u.SetCred(vfs.Cred{UID: 1000, GID: 1000})
	f, err := u.Open("/mnt/mine", vfs.O_WRONLY|vfs.O_CREAT, 0o644)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	var st syscall.Stat_t
	require.NoError(t, syscall.Lstat(dir+"/mine", &st))
	assert.Equal(t, uint32(1000), st.Uid)
	lst, err := c.Stat("/mnt/mine")
	require.NoError(t, err)
	assert.Equal(t, uint32(1000), lst.UID)
	assert.Equal(t, uint32(1), lst.Nlink)
	require.NoError(t, c.Chown("/mnt/mine", 1001, 1002))
	require.NoError(t, syscall.Lstat(dir+"/mine", &st))
	assert.Equal(t, [2]uint32{1001, 1002}, [2]uint32{st.Uid, st.Gid})
}
