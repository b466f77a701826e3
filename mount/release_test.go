package mount_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// releasingFS is a memfs whose Release (the end of its last mount)
// fails as a writeback to a broken device would.
type releasingFS struct {
	vfs.Filesystem
	released *int
	err      error
}

func (f *releasingFS) Release() error {
	*f.released++
	return f.err
}

// TestUmountReleaseError: a plain umount2 of a superblock's last mount
// returns its Release error as EIO; one that leaves another mount, and a
// lazy one, return 0.
func TestUmountReleaseError(t *testing.T) {
	c := boot(t)
	k := c.Kernel()
	released := 0
	var fail error
	k.RegisterFilesystem("rel", func(req *vfs.MountRequest) (vfs.Filesystem, error) {
		mem, err := memfs.Mount(&vfs.MountRequest{})
		if err != nil {
			return nil, err
		}
		return &releasingFS{Filesystem: mem, released: &released, err: fail}, nil
	}, false)
	for _, d := range []string{"/a", "/b", "/c"} {
		require.NoError(t, c.Mkdir(d, 0o755))
	}

	fail = vfs.ENOSPC
	require.NoError(t, c.Mount("none", "/a", "rel", 0, ""))
	require.NoError(t, c.Mount("/a", "/b", "", mount.MS_BIND, ""))
	require.NoError(t, c.Umount2("/b", 0), "another mount of the superblock stays")
	require.Equal(t, 0, released)
	require.Equal(t, vfs.EIO, c.Umount2("/a", 0))
	require.Equal(t, 1, released)

	require.NoError(t, c.Mount("none", "/c", "rel", 0, ""))
	require.NoError(t, c.Umount2("/c", mount.MNT_DETACH), "a lazy unmount reports nothing")
	require.Equal(t, 2, released)

	fail = nil
	require.NoError(t, c.Mount("none", "/c", "rel", 0, ""))
	require.NoError(t, c.Umount2("/c", 0))
	require.Equal(t, 3, released)
}
