package overlay_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/internal/faultfs"
	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// faultWorld is a namespace with the lower layer /l on the root tmpfs
// and the upper and work directories on /f, a tmpfs behind a faultfs.
func faultWorld(t *testing.T) (*mount.FsContext, *faultfs.FS) {
	t.Helper()
	ffs := faultfs.New(memfs.New(memfs.Host.DefaultOptions()))
	k := mountkit.NewKernel()
	k.RegisterFilesystem("faulty", func(*vfs.MountRequest) (vfs.Filesystem, error) { return ffs, nil }, false)
	c, err := k.Boot()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	for _, d := range []string{"/l", "/l/d", "/f", "/m"} {
		require.NoError(t, c.Mkdir(d, 0o755))
	}
	require.NoError(t, c.Mount("none", "/f", "faulty", 0, ""))
	require.NoError(t, c.Mkdir("/f/u", 0o755))
	require.NoError(t, c.Mkdir("/f/w", 0o755))
	write(t, c, "/l/d/f", "old data")
	require.NoError(t, c.Chmod("/l/d/f", 0o640))
	l, err := c.Resolve("/l/d/f", false)
	require.NoError(t, err)
	require.NoError(t, l.Dentry.Inode().Setxattr("user.tag", []byte("v"), 0))
	require.NoError(t, c.Mount("ov", "/m", "overlay", 0, "lowerdir=/l,upperdir=/f/u,workdir=/f/w"))
	return c, ffs
}

// view is what the merged file looks like: content, mode and tag, or
// the error of its stat.
func view(t *testing.T, c *mount.FsContext, path string) string {
	t.Helper()
	st, err := c.Stat(path)
	if err != nil {
		return vfs.ToErrno(err).Name()
	}
	tag, err := xattr(t, c, path, "user.tag")
	if err != nil {
		tag = []byte(vfs.ToErrno(err).Name())
	}
	return fmt.Sprintf("%q %o %s", read(t, c, path), st.Mode.Perm(), tag)
}

// TestCopyUpCrash interrupts copy-ups at every step: the n-th operation
// that changes the upper filesystem fails with EIO, for n = 1, 2, ...
// until the system call succeeds with the fault unused. After each
// failed call the merged file must be the old one or the new one, whole,
// never partial, both through this mount and after a remount, and the
// upper layer must hold no partial file.
func TestCopyUpCrash(t *testing.T) {
	ops := []crashOp{
		{"chmod", "/m/d/f", func(c *mount.FsContext) error { return c.Chmod("/m/d/f", 0o600) },
			`"old data" 640 v`, `"old data" 600 v`},
		{"append", "/m/d/f", func(c *mount.FsContext) error {
			f, err := c.Open("/m/d/f", vfs.O_WRONLY|vfs.O_APPEND, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write([]byte("+new"))
			return err
		}, `"old data" 640 v`, `"old data+new" 640 v`},
		{"setxattr", "/m/d/f", func(c *mount.FsContext) error {
			l, err := c.Resolve("/m/d/f", false)
			if err != nil {
				return err
			}
			return l.Dentry.Inode().Setxattr("user.tag", []byte("w"), 0)
		}, `"old data" 640 v`, `"old data" 640 w`},
		{"rename", "/m/d/g", func(c *mount.FsContext) error { return c.Rename("/m/d/f", "/m/d/g") },
			"ENOENT", `"old data" 640 v`},
		{"unlink", "/m/d/f", func(c *mount.FsContext) error { return c.Unlink("/m/d/f") },
			`"old data" 640 v`, "ENOENT"},
	}
	filters := []struct {
		name  string
		count func(faultfs.Op) bool
	}{{"writes", faultfs.Mutating}, {"all", nil}}
	for _, op := range ops {
		for _, filter := range filters {
			t.Run(op.name+"/"+filter.name, func(t *testing.T) { crashSteps(t, op, filter.count) })
		}
	}
}

// crashOp is a system call of TestCopyUpCrash: what path shows before
// (old) and after it (changed).
type crashOp struct {
	name, path   string
	do           func(*mount.FsContext) error
	old, changed string
}

// crashSteps runs op with a fault at each of the operations count
// selects in turn.
func crashSteps(t *testing.T, op crashOp, count func(faultfs.Op) bool) {
	for n := int64(1); ; n++ {
		require.Less(t, n, int64(1000), "the operation never succeeds")
		c, ffs := faultWorld(t)
		ffs.SetFilter(count)
		ffs.FailAt(n, vfs.EIO)
		err := op.do(c)
		fired := ffs.Fired()
		ffs.FailAt(0, 0)
		if !fired {
			require.NoError(t, err)
			assert.Equal(t, op.changed, view(t, c, op.path))
			t.Logf("%s: %d steps can fail", op.name, n-1)
			return
		}
		seen := view(t, c, op.path)
		if err == nil {
			// The overlay worked around the fault (a whiteout
			// that cannot be linked is made anew, as in Linux).
			assert.Equal(t, op.changed, seen, "step %d", n)
		} else if op.name == "rename" {
			// A failed rename leaves the old name.
			seen = view(t, c, "/m/d/f")
			assert.Equal(t, "ENOENT", view(t, c, "/m/d/g"), "step %d", n)
			assert.Equal(t, `"old data" 640 v`, seen, "step %d", n)
		} else {
			assert.Contains(t, []string{op.old, op.changed}, seen, "step %d", n)
		}
		// The upper layer holds the old file or the new one,
		// whole, or nothing.
		if st, err := c.Lstat("/f/u/d/f"); err == nil && st.Mode.Type() != vfs.ModeCharDevice {
			assert.Equal(t, seen, view(t, c, "/f/u/d/f"), "step %d: the upper file is what the overlay shows", n)
		}
		// A fresh mount of the layers shows the same.
		before := []string{view(t, c, "/m/d/f"), view(t, c, op.path)}
		require.NoError(t, c.Umount2("/m", 0))
		require.NoError(t, c.Mount("ov", "/m", "overlay", 0, "lowerdir=/l,upperdir=/f/u,workdir=/f/w"))
		assert.Equal(t, before, []string{view(t, c, "/m/d/f"), view(t, c, op.path)}, "step %d after a remount", n)
	}
}

// releaseFS is a memfs that records its release.
type releaseFS struct {
	vfs.Filesystem
	released bool
}

func (r *releaseFS) Release() error { r.released = true; return nil }

// TestLayersHeld checks that an overlay keeps its layers' filesystems
// alive after their own mounts are gone, as Linux's private clones of the
// layer mounts do, and lets them go with its last mount.
func TestLayersHeld(t *testing.T) {
	rfs := &releaseFS{Filesystem: memfs.New(memfs.Host.DefaultOptions())}
	k := mountkit.NewKernel()
	k.RegisterFilesystem("rel", func(*vfs.MountRequest) (vfs.Filesystem, error) { return rfs, nil }, false)
	c, err := k.Boot()
	require.NoError(t, err)
	defer c.Close()
	for _, d := range []string{"/t", "/m", "/b"} {
		require.NoError(t, c.Mkdir(d, 0o755))
	}
	require.NoError(t, c.Mount("none", "/t", "rel", 0, ""))
	for _, d := range []string{"/t/l", "/t/u", "/t/w"} {
		require.NoError(t, c.Mkdir(d, 0o755))
	}
	write(t, c, "/t/l/a", "a")
	require.NoError(t, c.Mount("ov", "/m", "overlay", 0, "lowerdir=/t/l,upperdir=/t/u,workdir=/t/w"))
	require.NoError(t, c.Bind("/m", "/b"))
	require.NoError(t, c.Umount2("/t", 0))
	assert.False(t, rfs.released, "the overlay holds its layers")
	assert.Equal(t, "a", read(t, c, "/m/a"))
	require.NoError(t, c.Umount2("/m", 0))
	assert.False(t, rfs.released, "a bind mount of the overlay is left")
	write(t, c, "/b/n", "n")
	require.NoError(t, c.Umount2("/b", 0))
	assert.True(t, rfs.released, "the last overlay mount lets its layers go")
}
