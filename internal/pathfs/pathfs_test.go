package pathfs

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/vfs"
)

func TestErrno(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want vfs.Errno
	}{
		{vfs.ENOTEMPTY, vfs.ENOTEMPTY},
		{&fs.PathError{Op: "x", Path: "y", Err: vfs.EXDEV}, vfs.EXDEV},
		{&fs.PathError{Op: "x", Path: "y", Err: syscall.ENOTDIR}, vfs.ENOTDIR},
		{fs.ErrNotExist, vfs.ENOENT},
		{fmt.Errorf("wrapped: %w", fs.ErrExist), vfs.EEXIST},
		{fs.ErrPermission, vfs.EACCES},
		{fs.ErrInvalid, vfs.EINVAL},
		{fs.ErrClosed, vfs.EBADF},
		{errors.New("something else"), vfs.EIO},
	} {
		assert.Equal(t, tc.want, Errno(tc.err), "%v", tc.err)
	}
}

func TestModeOf(t *testing.T) {
	for _, m := range []vfs.Mode{
		vfs.ModeRegular | 0o644, vfs.ModeDir | 0o1777, vfs.ModeSymlink | 0o777,
		vfs.ModeFIFO | 0o600, vfs.ModeSocket | 0o755, vfs.ModeCharDevice | 0o666,
		vfs.ModeBlockDevice | 0o660, vfs.ModeRegular | 0o4755, vfs.ModeDir | 0o2775,
	} {
		assert.Equal(t, m, modeOf(m.FileMode()), "%o", m)
	}
}

func TestShared(t *testing.T) {
	made := 0
	typ := Shared(func() vfs.Filesystem { made++; return memfs.New(memfs.Host.DefaultOptions()) })
	a, err := typ(&vfs.MountRequest{Source: "x"})
	require.NoError(t, err)
	b, err := typ(&vfs.MountRequest{Source: "y"})
	require.NoError(t, err)
	require.Same(t, a, b, "every mount shares one filesystem")
	require.Equal(t, 1, made)
	_, err = typ(&vfs.MountRequest{Data: "size=1m"})
	require.Equal(t, vfs.EINVAL, err)
}
