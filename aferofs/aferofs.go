// Package aferofs is an afero.Fs over a mountkit process: every path of
// an afero.Fs method is resolved by a mount.FsContext, so programs written
// against afero run inside a mount namespace, across its mounts, with the
// process's root, working directory, umask and credentials.
//
// It is one direction only; package aferobackend is the other (an
// afero.Fs mounted as a filesystem type).
//
// Errors are what package os returns: *os.PathError (or *os.LinkError for
// Rename and SymlinkIfPossible) wrapping the errno Linux gives. On Linux
// the errno is stored as the syscall.Errno of the vfs.Errno's number,
// because os.IsNotExist, os.IsExist and os.IsPermission recognise no
// other type; so those, errors.Is against the io/fs sentinels and against
// syscall.ENOENT and friends all work as with afero.OsFs, and Errno gives
// the vfs.Errno back. Elsewhere the vfs.Errno itself is stored (the
// numbers of syscall.Errno differ), and errors.Is against the io/fs
// sentinels works but os.IsNotExist does not. Operations on a closed File
// fail with os.ErrClosed, as an *os.File's do.
//
// The methods follow package os on Linux, which afero.OsFs wraps:
// Create truncates, Remove removes a file or an empty directory, RemoveAll
// succeeds for a missing path, MkdirAll succeeds for an existing directory,
// Readdir and Readdirnames return entries in directory order without "."
// and "..", Read returns io.EOF at the end, and a zero time in Chtimes
// leaves that time as it is. Fs also implements afero.Lstater, afero.Linker
// and afero.LinkReader (afero.Symlinker).
//
// Differences from afero.OsFs: FileInfo.Sys is a *mount.Stat, not a
// *syscall.Stat_t; os.O_SYNC is handed to the mount layer, which keeps
// everything in memory anyway; File.Readdir lstats entries by name, so a
// File whose directory was renamed, or whose name was relative to a
// working directory since changed, lists the entries of whatever the name
// now means; there is no Fd, Chdir or SetDeadline (afero.File has none).
package aferofs

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"syscall"
	"time"

	"github.com/spf13/afero"

	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// Fs is an afero.Fs whose paths resolve in one FsContext. It does not own
// the FsContext: closing it is the caller's business.
type Fs struct{ c *mount.FsContext }

var (
	_ afero.Fs        = (*Fs)(nil)
	_ afero.Symlinker = (*Fs)(nil)
)

// New returns an afero.Fs over c.
func New(c *mount.FsContext) *Fs { return &Fs{c} }

// Context returns the FsContext paths are resolved in.
func (f *Fs) Context() *mount.FsContext { return f.c }

// Name returns "mountkit".
func (f *Fs) Name() string { return "mountkit" }

func pathErr(op, name string, err error) error {
	if err == nil {
		return nil
	}
	return &os.PathError{Op: op, Path: name, Err: sysErr(err)}
}

// Errno returns the Linux errno an error of this package carries, as
// vfs.ToErrno does for the mount package's errors: on Linux the errors
// hold syscall.Errno values, which vfs.ToErrno does not know.
func Errno(err error) vfs.Errno {
	var se syscall.Errno
	if errors.As(err, &se) {
		return vfs.Errno(se)
	}
	return vfs.ToErrno(err)
}

// openFlags converts package os's open flags to Linux's.
func openFlags(flag int) int {
	var o int
	switch flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR) {
	case os.O_WRONLY:
		o = vfs.O_WRONLY
	case os.O_RDWR:
		o = vfs.O_RDWR
	}
	for _, m := range [...]struct{ os, linux int }{
		{os.O_APPEND, vfs.O_APPEND},
		{os.O_CREATE, vfs.O_CREAT},
		{os.O_EXCL, vfs.O_EXCL},
		{os.O_SYNC, vfs.O_SYNC},
		{os.O_TRUNC, vfs.O_TRUNC},
	} {
		if flag&m.os != 0 {
			o |= m.linux
		}
	}
	return o | vfs.O_CLOEXEC
}

// linuxMode converts the permission and special bits of an fs.FileMode
// to st_mode bits.
func linuxMode(m fs.FileMode) uint32 {
	v := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		v |= uint32(vfs.ModeSetuid)
	}
	if m&fs.ModeSetgid != 0 {
		v |= uint32(vfs.ModeSetgid)
	}
	if m&fs.ModeSticky != 0 {
		v |= uint32(vfs.ModeSticky)
	}
	return v
}

// Create creates or truncates name with mode 0666 (less the umask) and
// opens it for reading and writing, as os.Create does.
func (f *Fs) Create(name string) (afero.File, error) {
	return f.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// Open opens name for reading.
func (f *Fs) Open(name string) (afero.File, error) { return f.OpenFile(name, os.O_RDONLY, 0) }

// OpenFile is os.OpenFile: flag holds package os's O_ flags.
func (f *Fs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	file, err := f.c.Open(name, openFlags(flag), linuxMode(perm))
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	return &File{f: file, fs: f, name: name}, nil
}

func (f *Fs) Mkdir(name string, perm os.FileMode) error {
	return pathErr("mkdir", name, f.c.Mkdir(name, linuxMode(perm)))
}

// MkdirAll makes name and any missing parents, as os.MkdirAll does.
func (f *Fs) MkdirAll(name string, perm os.FileMode) error {
	if st, err := f.c.Stat(name); err == nil {
		if st.Mode.IsDir() {
			return nil
		}
		return pathErr("mkdir", name, vfs.ENOTDIR)
	}
	if parent := path.Dir(name); parent != name && parent != "." && parent != "/" {
		if err := f.MkdirAll(parent, perm); err != nil {
			return err
		}
	}
	err := f.c.Mkdir(name, linuxMode(perm))
	if err != nil {
		if st, serr := f.c.Lstat(name); serr == nil && st.Mode.IsDir() {
			return nil
		}
	}
	return pathErr("mkdir", name, err)
}

// Remove removes a file or an empty directory, choosing the error as
// os.Remove does.
func (f *Fs) Remove(name string) error {
	err := f.c.Unlink(name)
	if err == nil {
		return nil
	}
	err1 := f.c.Rmdir(name)
	if err1 == nil {
		return nil
	}
	if err1 != vfs.ENOTDIR {
		err = err1
	}
	return pathErr("remove", name, err)
}

// RemoveAll removes name and everything below it; a missing name is no
// error. A mount below name stops it with EBUSY.
func (f *Fs) RemoveAll(name string) error {
	if name == "" {
		return nil
	}
	st, err := f.c.Lstat(name)
	if err == vfs.ENOENT {
		return nil
	} else if err != nil {
		return pathErr("unlinkat", name, err)
	}
	if !st.Mode.IsDir() {
		if err := f.c.Unlink(name); err != nil && err != vfs.ENOENT {
			return pathErr("unlinkat", name, err)
		}
		return nil
	}
	d, err := f.c.Open(name, vfs.O_RDONLY|vfs.O_DIRECTORY|vfs.O_NOFOLLOW, 0)
	if err != nil {
		return pathErr("open", name, err)
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return pathErr("readdirent", name, err)
	}
	for _, e := range ents {
		if e.Name == "." || e.Name == ".." {
			continue
		}
		if err := f.RemoveAll(name + "/" + e.Name); err != nil {
			return err
		}
	}
	if err := f.c.Rmdir(name); err != nil && err != vfs.ENOENT {
		return pathErr("unlinkat", name, err)
	}
	return nil
}

// Rename is os.Rename: rename(2), except that, as os.Rename does, a
// directory at newname fails with EEXIST (after any error of oldname's).
// Errors are *os.LinkError.
func (f *Fs) Rename(oldname, newname string) error {
	err := f.rename(oldname, newname)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: sysErr(err)}
	}
	return nil
}

func (f *Fs) rename(oldname, newname string) error {
	if nst, err := f.c.Lstat(newname); err == nil && nst.Mode.IsDir() {
		ost, err := f.c.Lstat(oldname)
		if err != nil {
			return err
		}
		if newname == oldname || ost.Dev != nst.Dev || ost.Ino != nst.Ino {
			return vfs.EEXIST
		}
	}
	return f.c.Rename(oldname, newname)
}

func (f *Fs) Stat(name string) (os.FileInfo, error) {
	st, err := f.c.Stat(name)
	if err != nil {
		return nil, pathErr("stat", name, err)
	}
	return fileInfo{name: path.Base(name), st: st}, nil
}

// LstatIfPossible is Lstat; the boolean is always true.
func (f *Fs) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	st, err := f.c.Lstat(name)
	if err != nil {
		return nil, true, pathErr("lstat", name, err)
	}
	return fileInfo{name: path.Base(name), st: st}, true, nil
}

// SymlinkIfPossible is symlink(2) making newname point to oldname.
func (f *Fs) SymlinkIfPossible(oldname, newname string) error {
	if err := f.c.Symlink(oldname, newname); err != nil {
		return &os.LinkError{Op: "symlink", Old: oldname, New: newname, Err: sysErr(err)}
	}
	return nil
}

// ReadlinkIfPossible is readlink(2).
func (f *Fs) ReadlinkIfPossible(name string) (string, error) {
	t, err := f.c.Readlink(name)
	if err != nil {
		return "", pathErr("readlink", name, err)
	}
	return t, nil
}

func (f *Fs) Chmod(name string, mode os.FileMode) error {
	return pathErr("chmod", name, f.c.Chmod(name, linuxMode(mode)))
}

// Chown is chown(2); -1 leaves the owner or the group as it is.
func (f *Fs) Chown(name string, uid, gid int) error {
	if uid < -1 || gid < -1 {
		return pathErr("chown", name, vfs.EINVAL)
	}
	return pathErr("chown", name, f.c.Chown(name, uint32(uid), uint32(gid)))
}

// Chtimes sets the access and modification times; a zero time.Time
// leaves that time unchanged, as os.Chtimes does.
func (f *Fs) Chtimes(name string, atime, mtime time.Time) error {
	var at, mt vfs.Timespec
	if atime.IsZero() || mtime.IsZero() {
		st, err := f.c.Stat(name)
		if err != nil {
			return pathErr("chtimes", name, err)
		}
		at, mt = st.Atime, st.Mtime
	}
	if !atime.IsZero() {
		at = vfs.TimespecOf(atime)
	}
	if !mtime.IsZero() {
		mt = vfs.TimespecOf(mtime)
	}
	return pathErr("chtimes", name, f.c.Utimes(name, at, mt))
}

type fileInfo struct {
	name string
	st   mount.Stat
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.st.Size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.st.Mode.FileMode() }
func (fi fileInfo) ModTime() time.Time { return fi.st.Mtime.Time() }
func (fi fileInfo) IsDir() bool        { return fi.st.Mode.IsDir() }
func (fi fileInfo) Sys() any           { return &fi.st }
