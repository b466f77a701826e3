// Package aferobackend mounts any afero.Fs: it is a mountkit filesystem
// (a vfs.Filesystem) whose files are those of the afero.Fs, so that an
// afero.MemMapFs, a directory of the host (afero.NewBasePathFs over
// afero.NewOsFs) or a user's own afero.Fs can be mounted in a namespace as
// a filesystem type, read-write.
//
// It is one direction only; package aferofs is the other (an afero.Fs over
// a namespace), and package fsbackend mounts read-only io/fs filesystems.
//
// Names are given to the afero.Fs as absolute slash-separated paths ("/"
// is the root of the mount). Beware that afero.BasePathFs rewrites the
// target of a symbolic link into a path of the host, which then means
// something else inside the namespace; wrap a host directory with a Fs
// that keeps targets as they are when symbolic links matter.
//
// What a mount of it cannot give, and what Linux would answer for a
// filesystem without the feature:
//
//   - Hard links: link(2) fails with EPERM.
//   - Inode numbers: st_ino is mountkit's own, one per name, from 1 (the
//     root) upwards, assigned on first sight and never reused; names that
//     share an inode in the afero.Fs do not share it here.
//   - Extended attributes: getxattr, setxattr and removexattr fail with
//     EOPNOTSUPP, listxattr lists nothing.
//   - Device nodes, FIFOs and sockets: mknod(2) fails with EPERM; such
//     files found in the afero.Fs open with ENXIO.
//   - Symbolic links only if the afero.Fs implements afero.Linker and
//     afero.LinkReader (OsFs does, MemMapFs does not): symlink(2) fails
//     with EPERM otherwise.
//   - renameat2's RENAME_EXCHANGE and RENAME_WHITEOUT fail with EINVAL;
//     a rename over an existing name removes it first, so it is not atomic.
//   - Owners: when the afero.Fs's FileInfo.Sys is a *syscall.Stat_t (OsFs
//     on Linux) owner, link count, blocks and times are shown and chown
//     passes through; otherwise every file belongs to uid 0 and gid 0, a
//     chown to another owner fails with EPERM (as on vfat), the link
//     count is 1, atime and ctime equal mtime, and changing atime alone
//     is lost if the afero.Fs keeps no atime.
//   - Statfs reports the magic number Magic and no usage counts.
//   - Files that are unlinked while open keep working only as far as the
//     afero.Fs's open files do (OsFs's and MemMapFs's do).
//   - Names cached by the mount layer are not revalidated: a change made
//     to the afero.Fs behind the namespace's back shows in contents and
//     attributes, but a removed name still resolves until its attributes
//     fail with ENOENT.
//
// Permission checks, read-only mounts and the other per-mount flags are
// the mount layer's, as for every backend.
package aferobackend

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/spf13/afero"

	"github.com/mountkit/mountkit/internal/pathfs"
	"github.com/mountkit/mountkit/vfs"
)

// Magic is the f_type statfs reports for an afero mount (ASCII "afro").
const Magic = 0x6166726f

// FS is a filesystem over an afero.Fs.
type FS struct{ *pathfs.FS }

var _ vfs.Filesystem = (*FS)(nil)

// New returns a filesystem over afs that mountinfo shows with type name
// typ.
func New(afs afero.Fs, typ string) *FS {
	return &FS{pathfs.New(tree{afs}, typ, Magic)}
}

// Type returns a filesystem type for mount.Kernel.RegisterFilesystem:
// every mount of it, whatever its source, shows afs, and all mounts share
// one superblock, as mounts of one block device do.
//
//	k.RegisterFilesystem("memmap", aferobackend.Type("memmap", afero.NewMemMapFs()), false)
//	init.Mount("mem", "/mnt", "memmap", 0, "")
//
// Mount data is rejected with EINVAL: the filesystem has no options.
func Type(typ string, afs afero.Fs) vfs.NewFilesystemFunc {
	return pathfs.Shared(func() vfs.Filesystem { return New(afs, typ) })
}

// tree adapts an afero.Fs to pathfs.Tree.
type tree struct{ afs afero.Fs }

func abs(name string) string {
	if name == "." {
		return "/"
	}
	return "/" + name
}

func (t tree) Lstat(name string) (fs.FileInfo, error) {
	if l, ok := t.afs.(afero.Lstater); ok {
		fi, _, err := l.LstatIfPossible(abs(name))
		return fi, err
	}
	return t.afs.Stat(abs(name))
}

func (t tree) ReadDir(name string) ([]fs.DirEntry, error) {
	d, err := t.afs.Open(abs(name))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	infos, err := d.Readdir(-1)
	if err != nil {
		return nil, err
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Name() < infos[j].Name() })
	ents := make([]fs.DirEntry, len(infos))
	for i, fi := range infos {
		ents[i] = fs.FileInfoToDirEntry(fi)
	}
	return ents, nil
}

func (t tree) ReadLink(name string) (string, error) {
	if l, ok := t.afs.(afero.LinkReader); ok {
		return l.ReadlinkIfPossible(abs(name))
	}
	return "", vfs.EINVAL
}

func (t tree) Open(name string, flag int) (pathfs.File, error) {
	var o int
	switch flag & vfs.O_ACCMODE {
	case vfs.O_WRONLY:
		o = os.O_WRONLY
	case vfs.O_RDWR:
		o = os.O_RDWR
	}
	f, err := t.afs.OpenFile(abs(name), o, 0)
	if err != nil {
		return nil, err
	}
	return &file{f: f, append: flag&vfs.O_APPEND != 0}, nil
}

func (t tree) Create(name string, perm fs.FileMode) error {
	f, err := t.afs.OpenFile(abs(name), os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	return f.Close()
}

func (t tree) Mkdir(name string, perm fs.FileMode) error { return t.afs.Mkdir(abs(name), perm) }

func (t tree) Symlink(target, name string) error {
	l, ok := t.afs.(afero.Linker)
	if !ok {
		return vfs.EPERM
	}
	err := l.SymlinkIfPossible(target, abs(name))
	if errors.Is(err, afero.ErrNoSymlink) {
		return vfs.EPERM
	}
	return err
}

func (t tree) Remove(name string) error             { return t.afs.Remove(abs(name)) }
func (t tree) Rename(oldname, newname string) error { return t.afs.Rename(abs(oldname), abs(newname)) }
func (t tree) Chmod(name string, mode fs.FileMode) error {
	return t.afs.Chmod(abs(name), mode)
}
func (t tree) Chown(name string, uid, gid int) error { return t.afs.Chown(abs(name), uid, gid) }
func (t tree) Chtimes(name string, atime, mtime time.Time) error {
	return t.afs.Chtimes(abs(name), atime, mtime)
}

func (t tree) Truncate(name string, size int64) error {
	f, err := t.afs.OpenFile(abs(name), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// file is an open afero.File. The afero.File is opened without O_APPEND
// (afero's files refuse WriteAt then); an appending write goes to the
// size Stat reports, under mu, so appends through one open file do not
// overlap. Appends through different open files may.
type file struct {
	f      afero.File
	append bool
	mu     sync.Mutex
}

// ReadAt reads at off; afero.MemMapFs's io.ErrUnexpectedEOF past the end
// is the end of file.
func (f *file) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.f.ReadAt(p, off)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}

func (f *file) WriteAt(p []byte, off int64) (int, error) {
	if !f.append {
		return f.f.WriteAt(p, off)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fi, err := f.f.Stat()
	if err != nil {
		return 0, err
	}
	return f.f.WriteAt(p, fi.Size())
}

func (f *file) Sync() error  { return f.f.Sync() }
func (f *file) Close() error { return f.f.Close() }
