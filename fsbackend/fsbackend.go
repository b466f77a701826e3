// Package fsbackend mounts any io/fs.FS: it is a read-only mountkit
// filesystem (a vfs.Filesystem) whose files are those of the fs.FS, so
// that an embed.FS, a zip archive (archive/zip's Reader), os.DirFS or a
// testing/fstest.MapFS can be mounted in a namespace like any other
// filesystem type.
//
// The package is only the read-only direction; package aferobackend
// mounts writable afero filesystems, and mount.FsContext.FS is the other
// way round, an fs.FS over a namespace.
//
// What a mount of it shows:
//
//   - Names, types, permission bits, sizes and modification times of the
//     fs.FS. Symbolic links are links when the fs.FS implements
//     fs.ReadLinkFS (os.DirFS does), else they look like their targets.
//   - Inode numbers from 1 (the root) upwards, one per name, assigned on
//     first sight and never reused: they are not the fs.FS's own.
//   - Owner uid 0 and gid 0 and a link count of 1, unless FileInfo.Sys is
//     a *syscall.Stat_t (os.DirFS on Linux), whose owner, link count,
//     blocks and times are then shown; atime and ctime equal mtime
//     otherwise.
//   - Directory entries in the fs.FS's order (fs.ReadDir sorts them).
//   - Statfs with the magic number Magic and no usage counts.
//
// What it does not do: every change fails with EROFS (create, mkdir,
// mknod, symlink, link, unlink, rmdir, rename, setattr, opening for
// writing), and the mount should be made with MS_RDONLY so that mountinfo
// says "ro" (a backend cannot force a read-only superblock). Extended
// attributes: getxattr, setxattr and removexattr fail with EOPNOTSUPP and
// listxattr lists nothing. Files other than regular files, directories and
// symbolic links open with ENXIO. Names cached by the mount layer are not
// revalidated: a name that the fs.FS drops later still resolves, and its
// attributes then fail with ENOENT.
//
// Files are read with io.ReaderAt when the fs.FS's files implement it,
// else with io.Seeker and Read under a lock, else by reading from the
// start.
package fsbackend

import (
	"io"
	"io/fs"
	"sync"
	"time"

	"github.com/mountkit/mountkit/internal/pathfs"
	"github.com/mountkit/mountkit/vfs"
)

// Magic is the f_type statfs reports for an fs.FS mount (ASCII "iofs").
const Magic = 0x696f6673

// FS is a read-only filesystem over an fs.FS.
type FS struct{ *pathfs.FS }

var _ vfs.Filesystem = (*FS)(nil)

// New returns a read-only filesystem over fsys that mountinfo shows with
// type name typ.
func New(fsys fs.FS, typ string) *FS {
	return &FS{pathfs.New(tree{fsys}, typ, Magic)}
}

// Type returns a filesystem type for mount.Kernel.RegisterFilesystem:
// every mount of it, whatever its source, shows fsys, and all mounts share
// one superblock, as mounts of one block device do.
//
//	k.RegisterFilesystem("embedfs", fsbackend.Type("embedfs", assets), false)
//	init.Mount("assets", "/srv", "embedfs", mount.MS_RDONLY, "")
//
// Mount data is rejected with EINVAL: the filesystem has no options.
func Type(typ string, fsys fs.FS) vfs.NewFilesystemFunc {
	return pathfs.Shared(func() vfs.Filesystem { return New(fsys, typ) })
}

// tree adapts an fs.FS to pathfs.Tree.
type tree struct{ fsys fs.FS }

func (t tree) Lstat(name string) (fs.FileInfo, error) {
	if l, ok := t.fsys.(fs.ReadLinkFS); ok {
		return l.Lstat(name)
	}
	return fs.Stat(t.fsys, name)
}

func (t tree) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(t.fsys, name) }

func (t tree) ReadLink(name string) (string, error) {
	if l, ok := t.fsys.(fs.ReadLinkFS); ok {
		return l.ReadLink(name)
	}
	return "", vfs.EINVAL
}

func (t tree) Open(name string, flag int) (pathfs.File, error) {
	if flag&vfs.O_ACCMODE != vfs.O_RDONLY {
		return nil, vfs.EROFS
	}
	f, err := t.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	return &file{fsys: t.fsys, name: name, f: f}, nil
}

func (tree) Create(string, fs.FileMode) error           { return vfs.EROFS }
func (tree) Mkdir(string, fs.FileMode) error            { return vfs.EROFS }
func (tree) Symlink(string, string) error               { return vfs.EROFS }
func (tree) Remove(string) error                        { return vfs.EROFS }
func (tree) Rename(string, string) error                { return vfs.EROFS }
func (tree) Chmod(string, fs.FileMode) error            { return vfs.EROFS }
func (tree) Chown(string, int, int) error               { return vfs.EROFS }
func (tree) Chtimes(string, time.Time, time.Time) error { return vfs.EROFS }
func (tree) Truncate(string, int64) error               { return vfs.EROFS }

// file reads an fs.File at offsets.
//
// mu guards f and pos (the file's own offset) when f has no ReadAt.
type file struct {
	fsys fs.FS
	name string
	mu   sync.Mutex
	f    fs.File
	pos  int64
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ra, ok := f.f.(io.ReaderAt); ok {
		return ra.ReadAt(p, off)
	}
	if s, ok := f.f.(io.Seeker); ok {
		if _, err := s.Seek(off, io.SeekStart); err != nil {
			return 0, err
		}
		f.pos = off
	} else if off < f.pos {
		g, err := f.fsys.Open(f.name)
		if err != nil {
			return 0, err
		}
		f.f.Close()
		f.f, f.pos = g, 0
	}
	if f.pos < off {
		n, err := io.CopyN(io.Discard, f.f, off-f.pos)
		f.pos += n
		if err != nil {
			return 0, err
		}
	}
	n, err := io.ReadFull(f.f, p)
	f.pos += int64(n)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

func (f *file) WriteAt(p []byte, off int64) (int, error) { return 0, vfs.EBADF }
func (f *file) Sync() error                              { return nil }
func (f *file) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.f.Close()
}
