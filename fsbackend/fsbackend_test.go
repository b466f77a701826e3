package fsbackend_test

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/fsbackend"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

var mtime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func mapFS() fstest.MapFS {
	return fstest.MapFS{
		"README":          {Data: []byte("read me\n"), Mode: 0o644, ModTime: mtime},
		"bin/tool":        {Data: []byte("#!/bin/sh\n"), Mode: 0o755, ModTime: mtime},
		"share/doc/a.txt": {Data: bytes.Repeat([]byte("a"), 10000), Mode: 0o600, ModTime: mtime},
		"empty":           {Mode: fs.ModeDir | 0o700, ModTime: mtime},
	}
}

// mountFS boots a kernel with fsys registered as "iofs" and mounts it
// read-only on /srv.
func mountFS(t *testing.T, fsys fs.FS, flags uint64) *mount.FsContext {
	t.Helper()
	k := mountkit.NewKernel()
	k.RegisterFilesystem("iofs", fsbackend.Type("iofs", fsys), false)
	c, err := k.Boot()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	require.NoError(t, c.Mkdir("/srv", 0o755))
	require.NoError(t, c.Mount("assets", "/srv", "iofs", flags, ""))
	return c
}

func TestFSTestThroughNamespace(t *testing.T) {
	m := mapFS()
	c := mountFS(t, m, mount.MS_RDONLY)
	sub, err := fs.Sub(c.FS(), "srv")
	require.NoError(t, err)
	require.NoError(t, fstest.TestFS(sub, "README", "bin/tool", "share/doc/a.txt", "empty"))
	for name, f := range m {
		st, err := c.Stat("/srv/" + name)
		require.NoError(t, err, name)
		assert.Equal(t, f.Mode.Perm(), st.Mode.FileMode().Perm(), name)
		assert.Equal(t, mtime.Unix(), st.Mtime.Sec, name)
		if f.Mode.IsDir() {
			continue
		}
		got, err := fs.ReadFile(c.FS(), "srv/"+name)
		require.NoError(t, err)
		assert.Equal(t, f.Data, got, name)
		assert.Equal(t, int64(len(f.Data)), st.Size)
	}
	assert.Contains(t, c.MountInfo(), " /srv ro,relatime - iofs assets ro\n")
}

func TestReadOnly(t *testing.T) {
	// Mounted without MS_RDONLY, the backend itself refuses every change.
	c := mountFS(t, mapFS(), 0)
	for name, err := range map[string]error{
		"mkdir":    c.Mkdir("/srv/new", 0o755),
		"create":   func() error { _, err := c.Open("/srv/new", vfs.O_WRONLY|vfs.O_CREAT, 0o644); return err }(),
		"openw":    func() error { _, err := c.Open("/srv/README", vfs.O_WRONLY, 0); return err }(),
		"unlink":   c.Unlink("/srv/README"),
		"rmdir":    c.Rmdir("/srv/empty"),
		"rename":   c.Rename("/srv/README", "/srv/README2"),
		"chmod":    c.Chmod("/srv/README", 0o600),
		"truncate": c.Truncate("/srv/README", 0),
		"symlink":  c.Symlink("README", "/srv/l"),
		"utimes":   c.Utimes("/srv/README", vfs.Timespec{}, vfs.Timespec{}),
	} {
		assert.ErrorIs(t, err, vfs.EROFS, name)
	}
	assert.ErrorIs(t, c.Link("/srv/README", "/srv/hard"), vfs.EPERM)
	assert.ErrorIs(t, c.Mknod("/srv/fifo", uint32(vfs.ModeFIFO|0o644), 0), vfs.EPERM)
	b, err := fs.ReadFile(c.FS(), "srv/README")
	require.NoError(t, err)
	assert.Equal(t, "read me\n", string(b))
}

func TestInodesAndStatfs(t *testing.T) {
	c := mountFS(t, mapFS(), mount.MS_RDONLY)
	root, err := c.Stat("/srv")
	require.NoError(t, err)
	assert.Equal(t, uint64(1), root.Ino)
	a, err := c.Stat("/srv/bin/tool")
	require.NoError(t, err)
	b, err := c.Stat("/srv/bin/../bin/tool")
	require.NoError(t, err)
	assert.Equal(t, a.Ino, b.Ino)
	assert.NotEqual(t, root.Dev, uint64(0))
	assert.Equal(t, root.Dev, a.Dev)
	assert.Equal(t, vfs.ModeRegular|0o755, a.Mode)
	assert.Equal(t, int64(1), a.Blocks) // 10 bytes: one 512-byte unit

	d, err := c.Open("/srv", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	require.NoError(t, err)
	defer d.Close()
	ents, err := d.ReadDir(-1)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
		if e.Name == "bin" {
			assert.Equal(t, vfs.ModeDir, e.Type)
			st, err := c.Stat("/srv/bin")
			require.NoError(t, err)
			assert.Equal(t, st.Ino, e.Ino)
		}
	}
	assert.Equal(t, []string{".", "..", "README", "bin", "empty", "share"}, names)

	f := fsbackend.New(mapFS(), "iofs")
	st, err := f.Statfs()
	require.NoError(t, err)
	assert.Equal(t, int64(fsbackend.Magic), st.Type)
	assert.Equal(t, int64(255), st.Namelen)
	assert.Equal(t, "", f.Options())
	assert.Equal(t, "iofs", f.Type())
}

func TestMountData(t *testing.T) {
	k := mountkit.NewKernel()
	k.RegisterFilesystem("iofs", fsbackend.Type("iofs", mapFS()), false)
	c, err := k.Boot()
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Mkdir("/a", 0o755))
	require.NoError(t, c.Mkdir("/b", 0o755))
	assert.ErrorIs(t, c.Mount("x", "/a", "iofs", mount.MS_RDONLY, "size=1"), vfs.EINVAL)
	require.NoError(t, c.Mount("x", "/a", "iofs", mount.MS_RDONLY, ""))
	require.NoError(t, c.Mount("y", "/b", "iofs", mount.MS_RDONLY, ""))
	a, err := c.Stat("/a/README")
	require.NoError(t, err)
	b, err := c.Stat("/b/README")
	require.NoError(t, err)
	assert.Equal(t, a.Dev, b.Dev, "one superblock for every mount")
	assert.Equal(t, a.Ino, b.Ino)
}

func TestDirFSWithLinks(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "d", "f"), []byte("file"), 0o640))
	require.NoError(t, os.Symlink("d/f", filepath.Join(dir, "link")))
	c := mountFS(t, os.DirFS(dir), mount.MS_RDONLY)
	target, err := c.Readlink("/srv/link")
	require.NoError(t, err)
	assert.Equal(t, "d/f", target)
	b, err := fs.ReadFile(c.FS(), "srv/link")
	require.NoError(t, err)
	assert.Equal(t, "file", string(b))
	st, err := c.Stat("/srv/d/f")
	require.NoError(t, err)
	assert.Equal(t, uint32(os.Getuid()), st.UID)
	assert.Equal(t, vfs.ModeRegular|0o640, st.Mode)
	sub, err := fs.Sub(c.FS(), "srv")
	require.NoError(t, err)
	require.NoError(t, fstest.TestFS(sub, "d/f", "link"))
}

// streamFS has files that can only be read from the start.
type streamFS struct{ fstest.MapFS }

type stream struct{ fs.File }

func (s streamFS) Open(name string) (fs.File, error) {
	f, err := s.MapFS.Open(name)
	if err != nil {
		return nil, err
	}
	if st, _ := f.Stat(); st != nil && st.IsDir() {
		return f, nil
	}
	return stream{f}, nil
}

func (s stream) Read(p []byte) (int, error) { return s.File.Read(p) }

func TestStreamingFiles(t *testing.T) {
	data := []byte(strings.Repeat("0123456789", 1000))
	c := mountFS(t, streamFS{fstest.MapFS{"f": {Data: data, Mode: 0o644}}}, mount.MS_RDONLY)
	f, err := c.Open("/srv/f", vfs.O_RDONLY, 0)
	require.NoError(t, err)
	defer f.Close()
	p := make([]byte, 10)
	for _, off := range []int64{5000, 10, 9995, 0, 20000} {
		n, err := f.ReadAt(p, off)
		want := data[min(off, int64(len(data))):min(off+10, int64(len(data)))]
		assert.Equal(t, string(want), string(p[:n]), off)
		if err != nil {
			assert.ErrorIs(t, err, io.EOF)
		}
	}
	all, err := fs.ReadFile(c.FS(), "srv/f")
	require.NoError(t, err)
	assert.Equal(t, data, all)
}

func TestXattrs(t *testing.T) {
	f := fsbackend.New(mapFS(), "iofs")
	root := f.Root()
	_, err := root.Getxattr("user.x")
	assert.ErrorIs(t, err, vfs.EOPNOTSUPP)
	names, err := root.Listxattr()
	assert.NoError(t, err)
	assert.Empty(t, names)
	assert.ErrorIs(t, root.Setxattr("user.x", nil, 0), vfs.EOPNOTSUPP)
}
