package mount_test

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// devFS is a filesystem type that needs a block device: its root is a
// memfs directory, and it remembers the device it was read from.
type devFS struct {
	vfs.Filesystem
	dev   vfs.BlockDevice
	first []byte
}

func (f *devFS) Type() string { return "devfs" }

func registerDevFS(t *testing.T, k *mount.Kernel, made *int) {
	k.RegisterFilesystem("devfs", func(req *vfs.MountRequest) (vfs.Filesystem, error) {
		if req.GetTreeBdev == nil {
			t.Fatal("no GetTreeBdev for a requiresDev type")
		}
		return req.GetTreeBdev(func(dev vfs.BlockDevice) (vfs.Filesystem, error) {
			mem, err := memfs.Mount(&vfs.MountRequest{})
			if err != nil {
				return nil, err
			}
			b := make([]byte, 4)
			if _, err := dev.ReadAt(b, 0); err != nil {
				return nil, err
			}
			*made++
			return &devFS{Filesystem: mem, dev: dev, first: b}, nil
		})
	}, true)
}

func TestLoopDevices(t *testing.T) {
	c := boot(t)
	k := c.Kernel()
	made := 0
	registerDevFS(t, k, &made)
	writeFile(t, c, "/img", strings.Repeat("abcd", 1000)) // 4000 bytes: 3584 on the device
	_, err := c.Losetup("/missing")
	require.Equal(t, vfs.ENOENT, err)
	require.NoError(t, c.Mkdir("/dir", 0o755))
	_, err = c.Losetup("/dir")
	require.Equal(t, vfs.EISDIR, err)

	dev0, err := c.Losetup("/img")
	require.NoError(t, err)
	require.Equal(t, vfs.Mkdev(7, 0), dev0)
	dev1, err := c.Losetup("/img")
	require.NoError(t, err)
	require.Equal(t, vfs.Mkdev(7, 1), dev1)
	require.NoError(t, k.LoopDetach(dev1))
	require.Equal(t, vfs.ENXIO, k.LoopDetach(dev1))

	require.NoError(t, c.Mknod("/loop0", uint32(vfs.ModeBlockDevice|0o600), dev0))
	require.NoError(t, c.Mkdir("/a", 0o755))
	require.NoError(t, c.Mkdir("/b", 0o755))
	require.NoError(t, c.Mount("/loop0", "/a", "devfs", 0, ""))
	require.NoError(t, c.Mount("/loop0", "/b", "devfs", 0, ""))
	require.Equal(t, 1, made, "one device, one superblock")
	sa, err := c.Stat("/a")
	require.NoError(t, err)
	sb, err := c.Stat("/b")
	require.NoError(t, err)
	require.Equal(t, dev0, sa.Dev)
	require.Equal(t, dev0, sb.Dev)
	require.Contains(t, c.MountInfo(), " 7:0 / /a rw,relatime - devfs /loop0 rw")
	require.Equal(t, vfs.EBUSY, c.Mount("/loop0", "/b", "devfs", mount.MS_RDONLY, ""))

	loc, err := c.Resolve("/a", true)
	require.NoError(t, err)
	fs := loc.Dentry.Superblock().Filesystem().(*devFS)
	require.Equal(t, "abcd", string(fs.first))
	require.Equal(t, int64(3584), fs.dev.Size())
	buf := make([]byte, 100)
	n, err := fs.dev.ReadAt(buf, 3500)
	require.Equal(t, 84, n)
	require.Equal(t, io.EOF, err)
	_, err = fs.dev.WriteAt([]byte("x"), 3584)
	require.Equal(t, vfs.ENOSPC, err)
	_, err = fs.dev.WriteAt([]byte("WXYZ"), 0)
	require.NoError(t, err)
	got, err := c.Open("/img", vfs.O_RDONLY, 0)
	require.NoError(t, err)
	n, _ = got.Read(buf[:4])
	require.Equal(t, "WXYZ", string(buf[:n]))
	got.Close()

	// Detaching a device in use defers to its last unmount (autoclear).
	require.NoError(t, k.LoopDetach(dev0))
	require.NoError(t, c.Umount2("/a", 0))
	require.NoError(t, c.Mount("/loop0", "/a", "devfs", 0, ""))
	require.Equal(t, 1, made)
	require.NoError(t, c.Umount2("/a", 0))
	require.NoError(t, c.Umount2("/b", 0))
	require.Equal(t, vfs.EIO, c.Mount("/loop0", "/a", "devfs", 0, ""), "the device is gone")
	// Its minor is free again.
	dev, err := c.Losetup("/img")
	require.NoError(t, err)
	require.Equal(t, dev0, dev)
	require.NoError(t, c.Mount("/loop0", "/a", "devfs", 0, ""))
	require.Equal(t, 2, made)
}
