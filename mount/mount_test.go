package mount_test

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
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

func writeFile(t *testing.T, c *mount.FsContext, path, data string) {
	t.Helper()
	f, err := c.Open(path, vfs.O_WRONLY|vfs.O_CREAT|vfs.O_TRUNC, 0o644)
	require.NoError(t, err)
	_, err = f.Write([]byte(data))
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func TestFSView(t *testing.T) {
	c := boot(t)
	require.NoError(t, c.Mkdir("/d", 0o755))
	require.NoError(t, c.Mkdir("/d/e", 0o755))
	writeFile(t, c, "/d/e/f.txt", "hello")
	writeFile(t, c, "/top", "x")
	require.NoError(t, c.Mkdir("/m", 0o755))
	require.NoError(t, c.Mount("none", "/m", "tmpfs", 0, ""))
	writeFile(t, c, "/m/inside", "mounted")
	require.NoError(t, fstest.TestFS(c.FS(), "d/e/f.txt", "top", "m/inside"))

	_, err := fs.Stat(c.FS(), "missing")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

func TestUmountBusy(t *testing.T) {
	c := boot(t)
	require.NoError(t, c.Mkdir("/m", 0o755))
	require.NoError(t, c.Mount("none", "/m", "tmpfs", 0, ""))
	writeFile(t, c, "/m/f", "data")

	f, err := c.Open("/m/f", vfs.O_RDONLY, 0)
	require.NoError(t, err)
	require.Equal(t, vfs.EBUSY, c.Umount2("/m", 0))
	require.NoError(t, f.Close())

	require.NoError(t, c.Chdir("/m"))
	require.Equal(t, vfs.EBUSY, c.Umount2("/m", 0))
	require.NoError(t, c.Chdir("/"))

	require.NoError(t, c.Mkdir("/m/sub", 0o755))
	require.NoError(t, c.Mount("none", "/m/sub", "tmpfs", 0, ""))
	require.Equal(t, vfs.EBUSY, c.Umount2("/m", 0))
	require.NoError(t, c.Umount2("/m/sub", 0))
	require.NoError(t, c.Umount2("/m", 0))
	require.Equal(t, vfs.EINVAL, c.Umount2("/m", 0))
}

func TestUmountDetachKeepsOpenFiles(t *testing.T) {
	c := boot(t)
	require.NoError(t, c.Mkdir("/m", 0o755))
	require.NoError(t, c.Mount("none", "/m", "tmpfs", 0, ""))
	require.NoError(t, c.Mkdir("/m/sub", 0o755))
	writeFile(t, c, "/m/sub/f", "still here")
	before := c.Namespace().Count()

	p := c.Fork()
	require.NoError(t, p.Chdir("/m/sub"))
	f, err := c.Open("/m/sub/f", vfs.O_RDONLY, 0)
	require.NoError(t, err)

	require.NoError(t, c.Umount2("/m", mount.MNT_DETACH))
	require.Equal(t, before-1, c.Namespace().Count())
	_, err = c.Stat("/m/sub")
	require.Equal(t, vfs.ENOENT, err)

	buf := make([]byte, 32)
	n, err := f.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "still here", string(buf[:n]))
	require.NoError(t, f.Close())

	// The forked process's cwd is in the detached tree: still usable,
	// but unreachable from its root.
	st, err := p.Stat("f")
	require.NoError(t, err)
	require.EqualValues(t, 10, st.Size)
	_, err = p.Getcwd()
	require.Equal(t, vfs.ENOENT, err)
	_, err = p.Stat("../..")
	require.NoError(t, err, "'..' at a detached root stays put")
	require.NoError(t, p.Close())
}

func TestUmountExpire(t *testing.T) {
	c := boot(t)
	require.NoError(t, c.Mkdir("/m", 0o755))
	require.NoError(t, c.Mount("none", "/m", "tmpfs", 0, ""))
	require.Equal(t, vfs.EINVAL, c.Umount2("/m", mount.MNT_EXPIRE|mount.MNT_DETACH))
	require.Equal(t, vfs.EAGAIN, c.Umount2("/m", mount.MNT_EXPIRE))
	_, err := c.Stat("/m")
	require.NoError(t, err)
	require.Equal(t, vfs.EAGAIN, c.Umount2("/m", mount.MNT_EXPIRE), "an access clears the mark")
	require.NoError(t, c.Umount2("/m", mount.MNT_EXPIRE))
	require.Equal(t, vfs.EINVAL, c.Umount2("/m", 0x10))
}

func TestUmountRootRemountsReadOnly(t *testing.T) {
	c := boot(t)
	require.NoError(t, c.Umount2("/", 0))
	require.Equal(t, vfs.EROFS, c.Mkdir("/x", 0o755))
	require.Contains(t, c.MountInfo(), "tmpfs none ro")
}

func TestFIFO(t *testing.T) {
	c := boot(t)
	require.NoError(t, c.Mknod("/p", uint32(vfs.ModeFIFO|0o644), 0))
	_, err := c.Open("/p", vfs.O_WRONLY|vfs.O_NONBLOCK, 0)
	require.Equal(t, vfs.ENXIO, err)

	done := make(chan *mount.File)
	go func() {
		r, err := c.Open("/p", vfs.O_RDONLY, 0)
		if err != nil {
			panic(err)
		}
		done <- r
	}()
	w, err := c.Open("/p", vfs.O_WRONLY, 0)
	require.NoError(t, err)
	var r *mount.File
	select {
	case r = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("blocking FIFO opens did not meet")
	}
	_, err = w.Write([]byte("through the pipe"))
	require.NoError(t, err)
	buf := make([]byte, 64)
	n, err := r.Read(buf)
	require.NoError(t, err)
	require.Equal(t, "through the pipe", string(buf[:n]))
	require.NoError(t, w.Close())
	n, err = r.Read(buf)
	require.NoError(t, err)
	require.Zero(t, n, "end of file once the writer is gone")
	require.NoError(t, r.Close())
}

func TestMemDevices(t *testing.T) {
	c := boot(t)
	require.NoError(t, c.Mknod("/null", uint32(vfs.ModeCharDevice|0o666), vfs.Mkdev(1, 3)))
	require.NoError(t, c.Mknod("/full", uint32(vfs.ModeCharDevice|0o666), vfs.Mkdev(1, 7)))
	require.NoError(t, c.Mknod("/other", uint32(vfs.ModeCharDevice|0o666), vfs.Mkdev(200, 1)))
	f, err := c.Open("/null", vfs.O_RDWR, 0)
	require.NoError(t, err)
	n, err := f.Write([]byte("gone"))
	require.NoError(t, err)
	require.Equal(t, 4, n)
	require.NoError(t, f.Close())
	f, err = c.Open("/full", vfs.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte("x"))
	require.Equal(t, vfs.ENOSPC, err)
	require.NoError(t, f.Close())
	_, err = c.Open("/other", vfs.O_RDONLY, 0)
	require.Equal(t, vfs.ENXIO, err)
}

func TestErrnoMatchesFSErrors(t *testing.T) {
	c := boot(t)
	_, err := c.Stat("/nope")
	require.True(t, errors.Is(err, fs.ErrNotExist))
	require.NoError(t, c.Mkdir("/d", 0o755))
	require.True(t, errors.Is(c.Mkdir("/d", 0o755), fs.ErrExist))
}

func TestMountErrors(t *testing.T) {
	c := boot(t)
	writeFile(t, c, "/f", "")
	require.NoError(t, c.Mkdir("/d", 0o755))
	require.Equal(t, vfs.ENOTDIR, c.Mount("none", "/f", "tmpfs", 0, ""))
	require.Equal(t, vfs.ENODEV, c.Mount("none", "/d", "nosuchfs", 0, ""))
	require.Equal(t, vfs.ENOENT, c.Mount("none", "/nonexistent", "nosuchfs", 0, ""))
	require.Equal(t, vfs.EINVAL, c.MountRaw(nil, ptr("/d"), nil, 0, nil))
	require.Equal(t, vfs.EFAULT, c.MountRaw(nil, nil, ptr("tmpfs"), 0, nil))
	require.Equal(t, vfs.EINVAL, c.Mount("none", "/d", "tmpfs", mount.MS_NOUSER, ""))
	require.Equal(t, vfs.EINVAL, c.Mount("none", "/d", "tmpfs", 0, "bogusopt=1"))

	c.SetCred(vfs.Cred{UID: 1000, GID: 1000})
	require.Equal(t, vfs.ENOENT, c.Mount("none", "/nonexistent", "tmpfs", 0, ""))
	require.Equal(t, vfs.EPERM, c.Mount("none", "/d", "tmpfs", 0, ""))
	require.Equal(t, vfs.EPERM, c.Umount2("/", 0))
}

func TestMountMax(t *testing.T) {
	c := boot(t)
	c.Kernel().SetMountMax(4)
	for _, d := range []string{"/a", "/b", "/c"} {
		require.NoError(t, c.Mkdir(d, 0o755))
	}
	require.NoError(t, c.Mount("none", "/a", "tmpfs", 0, ""))
	require.NoError(t, c.Mount("none", "/b", "tmpfs", 0, ""))
	require.Equal(t, vfs.ENOSPC, c.Mount("none", "/c", "tmpfs", 0, ""))

	// A namespace of its own may have its own limit.
	p := c.Fork()
	defer p.Close()
	require.NoError(t, p.Unshare())
	p.Namespace().SetMountMax(8)
	require.NoError(t, p.Mount("none", "/c", "tmpfs", 0, ""))
	require.Equal(t, vfs.ENOSPC, c.Mount("none", "/c", "tmpfs", 0, ""))
	require.Equal(t, vfs.ENOSPC, p.RBind("/", "/a"), "an rbind counts every mount it would add")
}

func ptr(s string) *string { return &s }
