package aferofs

import (
	"io"
	"os"
	"path"
	"sync"

	"github.com/spf13/afero"

	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// File is an open file of an Fs: an afero.File over a *mount.File.
//
// mu guards closed and the directory listing state; reads and writes of
// the underlying file are safe for concurrent use on their own.
type File struct {
	f    *mount.File
	fs   *Fs
	name string

	mu     sync.Mutex
	closed bool
}

var _ afero.File = (*File)(nil)

// MountFile returns the underlying open file.
func (f *File) MountFile() *mount.File { return f.f }

func (f *File) Name() string { return f.name }

func (f *File) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// check returns os.ErrClosed wrapped for op when f is closed.
func (f *File) check(op string) error {
	if f.isClosed() {
		return &os.PathError{Op: op, Path: f.name, Err: os.ErrClosed}
	}
	return nil
}

func (f *File) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return &os.PathError{Op: "close", Path: f.name, Err: os.ErrClosed}
	}
	f.closed = true
	f.mu.Unlock()
	return pathErr("close", f.name, f.f.Close())
}

// Read reads as os.File.Read: io.EOF at the end of the file.
func (f *File) Read(p []byte) (int, error) {
	if err := f.check("read"); err != nil {
		return 0, err
	}
	n, err := f.f.Read(p)
	if err != nil {
		return n, pathErr("read", f.name, err)
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// ReadAt reads as os.File.ReadAt: io.EOF with a short count.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &os.PathError{Op: "readat", Path: f.name, Err: vfs.EINVAL}
	}
	total := 0
	for total < len(p) {
		n, err := f.f.ReadAt(p[total:], off+int64(total))
		if err != nil {
			return total + n, pathErr("read", f.name, err)
		}
		if n == 0 {
			return total, io.EOF
		}
		total += n
	}
	return total, nil
}

func (f *File) Seek(offset int64, whence int) (int64, error) {
	if err := f.check("seek"); err != nil {
		return 0, err
	}
	n, err := f.f.Seek(offset, whence)
	if err != nil {
		return n, pathErr("seek", f.name, err)
	}
	return n, nil
}

func (f *File) Write(p []byte) (int, error) {
	if err := f.check("write"); err != nil {
		return 0, err
	}
	total := 0
	for total < len(p) {
		n, err := f.f.Write(p[total:])
		total += n
		if err != nil {
			return total, pathErr("write", f.name, err)
		}
		if n == 0 {
			return total, pathErr("write", f.name, io.ErrShortWrite)
		}
	}
	return total, nil
}

// WriteAt writes at off; like os.File.WriteAt it fails on a file opened
// with O_APPEND.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	if err := f.check("write"); err != nil {
		return 0, err
	}
	if f.f.Flags()&vfs.O_APPEND != 0 {
		return 0, &os.PathError{Op: "writeat", Path: f.name, Err: vfs.EINVAL}
	}
	if off < 0 {
		return 0, &os.PathError{Op: "writeat", Path: f.name, Err: vfs.EINVAL}
	}
	total := 0
	for total < len(p) {
		n, err := f.f.WriteAt(p[total:], off+int64(total))
		total += n
		if err != nil {
			return total, pathErr("write", f.name, err)
		}
		if n == 0 {
			return total, pathErr("write", f.name, io.ErrShortWrite)
		}
	}
	return total, nil
}

func (f *File) WriteString(s string) (int, error) { return f.Write([]byte(s)) }

func (f *File) Stat() (os.FileInfo, error) {
	if err := f.check("stat"); err != nil {
		return nil, err
	}
	st, err := f.f.Stat()
	if err != nil {
		return nil, pathErr("stat", f.name, err)
	}
	return fileInfo{name: path.Base(f.name), st: st}, nil
}

func (f *File) Sync() error {
	if err := f.check("sync"); err != nil {
		return err
	}
	return pathErr("sync", f.name, f.f.Sync())
}

func (f *File) Truncate(size int64) error {
	if err := f.check("truncate"); err != nil {
		return err
	}
	return pathErr("truncate", f.name, f.f.Truncate(size))
}

// names reads up to n entry names (all for n <= 0), leaving "." and ".."
// out.
func (f *File) names(n int) ([]string, error) {
	var out []string
	for n <= 0 || len(out) < n {
		want := 0
		if n > 0 {
			want = n - len(out)
		}
		ents, err := f.f.ReadDir(want)
		if err != nil {
			return out, pathErr("readdirent", f.name, err)
		}
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			if e.Name != "." && e.Name != ".." {
				out = append(out, e.Name)
			}
		}
	}
	if n > 0 && len(out) == 0 {
		return nil, io.EOF
	}
	return out, nil
}

// Readdirnames is os.File.Readdirnames: with n > 0 at most n names and
// io.EOF at the end, with n <= 0 all remaining names and a nil error.
func (f *File) Readdirnames(n int) ([]string, error) {
	if err := f.check("readdirent"); err != nil {
		return nil, err
	}
	return f.names(n)
}

// Readdir is os.File.Readdir: the entries' Lstat results. An entry removed
// between the listing and its Lstat is left out, as os does.
func (f *File) Readdir(n int) ([]os.FileInfo, error) {
	if err := f.check("readdirent"); err != nil {
		return nil, err
	}
	names, err := f.names(n)
	infos := make([]os.FileInfo, 0, len(names))
	for _, name := range names {
		st, lerr := f.fs.c.Lstat(f.name + "/" + name)
		if lerr == vfs.ENOENT {
			continue
		} else if lerr != nil {
			return infos, pathErr("lstat", f.name+"/"+name, lerr)
		}
		infos = append(infos, fileInfo{name: name, st: st})
	}
	return infos, err
}
