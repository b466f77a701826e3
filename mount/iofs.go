package mount

import (
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/mountkit/mountkit/vfs"
)

// FS returns a read-only io/fs view of the tree as c sees it: names are
// resolved from c's root (fs.FS names are unrooted), with c's credentials,
// and errors are *fs.PathError values wrapping vfs.Errno, so errors.Is
// matches fs.ErrNotExist, fs.ErrPermission and the other sentinels.
//
// The view implements fs.StatFS, fs.ReadDirFS, fs.ReadFileFS and
// fs.ReadLinkFS. Open, Stat, ReadDir and ReadFile follow symbolic links
// (a link that leaves the tree's root lands on the root, as in Linux);
// Lstat and ReadLink do not follow the last one. Mounts are crossed as
// path resolution crosses them. Names that fs.ValidPath rejects fail
// with fs.ErrInvalid. The view does not write: use the FsContext (or
// package aferofs) for that.
func (c *FsContext) FS() fs.FS { return ioFS{c} }

type ioFS struct{ c *FsContext }

var (
	_ fs.StatFS     = ioFS{}
	_ fs.ReadDirFS  = ioFS{}
	_ fs.ReadFileFS = ioFS{}
	_ fs.ReadLinkFS = ioFS{}
)

func abs(name string) string { return "/" + name }

func (f ioFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	file, err := f.c.Open(abs(name), vfs.O_RDONLY, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &ioFile{f: file, name: name}, nil
}

func (f ioFS) Stat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrInvalid}
	}
	st, err := f.c.Stat(abs(name))
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return fileInfo{name: path.Base(name), st: st}, nil
}

// Lstat is Stat without following a final symbolic link.
func (f ioFS) Lstat(name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrInvalid}
	}
	st, err := f.c.Lstat(abs(name))
	if err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	return fileInfo{name: path.Base(name), st: st}, nil
}

// ReadLink returns the target of the symbolic link name, as readlink(2)
// does (EINVAL for a name that is not a link).
func (f ioFS) ReadLink(name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	t, err := f.c.Readlink(abs(name))
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return t, nil
}

func (f ioFS) ReadDir(name string) ([]fs.DirEntry, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.Unwrap(err)}
	}
	defer file.Close()
	d, ok := file.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: vfs.ENOTDIR}
	}
	ents, err := d.ReadDir(-1)
	sortDirEntries(ents)
	return ents, err
}

func (f ioFS) ReadFile(name string) ([]byte, error) {
	file, err := f.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return io.ReadAll(file)
}

type ioFile struct {
	f    *File
	name string
}

func (f *ioFile) Stat() (fs.FileInfo, error) {
	st, err := f.f.Stat()
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: f.name, Err: err}
	}
	return fileInfo{name: path.Base(f.name), st: st}, nil
}

func (f *ioFile) Read(p []byte) (int, error) {
	n, err := f.f.Read(p)
	if err != nil {
		return n, &fs.PathError{Op: "read", Path: f.name, Err: err}
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (f *ioFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.f.ReadAt(p, off)
	if err != nil {
		return n, &fs.PathError{Op: "read", Path: f.name, Err: err}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *ioFile) Seek(off int64, whence int) (int64, error) {
	n, err := f.f.Seek(off, whence)
	if err != nil {
		return n, &fs.PathError{Op: "seek", Path: f.name, Err: err}
	}
	return n, nil
}

func (f *ioFile) Close() error { return f.f.Close() }

// ReadDir reads entries as fs.ReadDirFile specifies, "." and ".." left
// out, in the directory's own order.
func (f *ioFile) ReadDir(n int) ([]fs.DirEntry, error) {
	var out []fs.DirEntry
	for n <= 0 || len(out) < n {
		want := 0
		if n > 0 {
			want = n - len(out)
		}
		ents, err := f.f.ReadDir(want)
		if err != nil {
			return out, &fs.PathError{Op: "readdir", Path: f.name, Err: err}
		}
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			if e.Name == "." || e.Name == ".." {
				continue
			}
			out = append(out, dirEntry{dir: f, e: e})
		}
		if n <= 0 {
			continue
		}
	}
	if n > 0 && len(out) == 0 {
		return nil, io.EOF
	}
	return out, nil
}

type dirEntry struct {
	dir *ioFile
	e   vfs.DirEntry
}

func (d dirEntry) Name() string      { return d.e.Name }
func (d dirEntry) IsDir() bool       { return d.e.Type == vfs.ModeDir }
func (d dirEntry) Type() fs.FileMode { return d.e.Type.FileMode().Type() }

func (d dirEntry) Info() (fs.FileInfo, error) {
	l := d.dir.f.Location()
	c, err := l.Dentry.Lookup(d.e.Name)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path.Join(d.dir.name, d.e.Name), Err: err}
	}
	k := l.Mount.sb.k
	k.mu.RLock()
	at := k.crossDown(Location{l.Mount, c})
	k.mu.RUnlock()
	st, err := statOf(at)
	if err != nil {
		return nil, err
	}
	return fileInfo{name: d.e.Name, st: st}, nil
}

type fileInfo struct {
	name string
	st   Stat
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.st.Size }
func (fi fileInfo) Mode() fs.FileMode  { return fi.st.Mode.FileMode() }
func (fi fileInfo) ModTime() time.Time { return fi.st.Mtime.Time() }
func (fi fileInfo) IsDir() bool        { return fi.st.Mode.IsDir() }
func (fi fileInfo) Sys() any           { return &fi.st }

func sortDirEntries(ents []fs.DirEntry) {
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
}
