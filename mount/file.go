package mount

import (
	"io"
	"sync"

	"github.com/mountkit/mountkit/vfs"
)

// File is an open file description: a held Location, the open flags, a
// file offset and the backend's open file (or a pipe, or a memory
// device). Its methods are the file-descriptor system calls. A File holds
// its mount busy until Close.
type File struct {
	loc   Location
	flags int

	mu     sync.Mutex // guards off, closed and dirCookie
	off    int64
	closed bool

	f    vfs.File // regular files and directories
	pipe *pipe    // FIFOs
	dev  memDevice
	cred *vfs.Cred // the opener's credentials, for dropping set-ID bits on write
}

func newFile(l Location, flags int, f vfs.File) *File {
	nf := &File{loc: l.hold(), flags: flags, f: f}
	if f != nil && nf.writable() {
		l.Mount.sb.writers.Add(1)
		l.Mount.writers.Add(1)
	}
	return nf
}

// Location returns where the file was opened.
func (f *File) Location() Location { return f.loc }

// Flags returns the open flags.
func (f *File) Flags() int { return f.flags }

func (f *File) readable() bool {
	return f.flags&vfs.O_PATH == 0 && f.flags&vfs.O_ACCMODE != vfs.O_WRONLY
}

func (f *File) writable() bool {
	acc := f.flags & vfs.O_ACCMODE
	return f.flags&vfs.O_PATH == 0 && (acc == vfs.O_WRONLY || acc == vfs.O_RDWR)
}

// Close releases the file; closing twice gives EBADF.
func (f *File) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return vfs.EBADF
	}
	f.closed = true
	f.mu.Unlock()
	var err error
	switch {
	case f.f != nil:
		err = f.f.Close()
		if f.writable() {
			f.loc.Mount.sb.writers.Add(-1)
			f.loc.Mount.writers.Add(-1)
		}
	case f.pipe != nil:
		f.pipe.close(f.flags)
	}
	f.loc.release()
	return err
}

// Read is read(2) at the file offset.
func (f *File) Read(p []byte) (int, error) {
	if !f.readable() {
		return 0, vfs.EBADF
	}
	if f.pipe != nil {
		return f.pipe.read(p, f.flags&vfs.O_NONBLOCK != 0)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.readAt(p, f.off)
	f.off += int64(n)
	return n, err
}

// ReadAt is pread(2); ESPIPE on a FIFO.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if !f.readable() {
		return 0, vfs.EBADF
	}
	if f.pipe != nil {
		return 0, vfs.ESPIPE
	}
	if off < 0 {
		return 0, vfs.EINVAL
	}
	return f.readAt(p, off)
}

func (f *File) readAt(p []byte, off int64) (int, error) {
	if f.dev != nil {
		return f.dev.read(p)
	}
	return f.f.ReadAt(p, off)
}

// Write is write(2) at the file offset (at the end with O_APPEND).
func (f *File) Write(p []byte) (int, error) {
	if !f.writable() {
		return 0, vfs.EBADF
	}
	if f.pipe != nil {
		return f.pipe.write(p, f.flags&vfs.O_NONBLOCK != 0)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.writeAt(p, f.off)
	if f.flags&vfs.O_APPEND != 0 && f.f != nil {
		if a, aerr := f.loc.Dentry.Inode().Getattr(); aerr == nil {
			f.off = a.Size
			return n, err
		}
	}
	f.off += int64(n)
	return n, err
}

// WriteAt is pwrite(2); as in Linux, a file opened with O_APPEND is
// written at its end whatever off is.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	if !f.writable() {
		return 0, vfs.EBADF
	}
	if f.pipe != nil {
		return 0, vfs.ESPIPE
	}
	if off < 0 {
		return 0, vfs.EINVAL
	}
	return f.writeAt(p, off)
}

func (f *File) writeAt(p []byte, off int64) (int, error) {
	if f.dev != nil {
		return f.dev.write(p)
	}
	if f.f == nil {
		return 0, vfs.EBADF
	}
	if err := dropSetID(f.loc, f.cred, nil); err != nil {
		return 0, err
	}
	return f.f.WriteAt(p, off)
}

// Seek is lseek(2) with SEEK_SET, SEEK_CUR and SEEK_END (io.Seek*).
// On a directory only SEEK_SET and SEEK_CUR apply, to readdir cookies.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	if f.flags&vfs.O_PATH != 0 {
		return 0, vfs.EBADF
	}
	if f.pipe != nil {
		return 0, vfs.ESPIPE
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = f.off
	case io.SeekEnd:
		a, err := f.loc.Dentry.Inode().Getattr()
		if err != nil {
			return 0, err
		}
		base = a.Size
	default:
		return 0, vfs.EINVAL
	}
	n := base + offset
	if n < 0 || (offset > 0 && n < base) {
		return 0, vfs.EINVAL
	}
	f.off = n
	return n, nil
}

// ReadDir is getdents64(2): it returns up to n entries (all remaining if
// n <= 0) from the directory offset on, "." and ".." first, and advances
// the offset. An empty result means the end.
func (f *File) ReadDir(n int) ([]vfs.DirEntry, error) {
	if f.flags&vfs.O_PATH != 0 {
		return nil, vfs.EBADF
	}
	if !f.loc.Dentry.IsDir() || f.f == nil {
		return nil, vfs.ENOTDIR
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []vfs.DirEntry
	full := func() bool { return n > 0 && len(out) >= n }
	d := f.loc.Dentry
	for f.off < 2 && !full() {
		e := d
		name := "."
		if f.off == 1 {
			e, name = d.Parent(), ".."
		}
		a, err := e.Inode().Getattr()
		if err != nil {
			return out, err
		}
		out = append(out, vfs.DirEntry{Name: name, Ino: a.Ino, Type: vfs.ModeDir, Next: uint64(f.off + 1)})
		f.off++
	}
	if full() {
		return out, nil
	}
	err := f.f.ReadDir(uint64(f.off), func(e vfs.DirEntry) bool {
		out = append(out, e)
		f.off = int64(e.Next)
		return !full()
	})
	return out, err
}

// Stat is fstat(2).
func (f *File) Stat() (Stat, error) { return statOf(f.loc) }

// Truncate is ftruncate(2): EINVAL unless the file is a regular file
// open for writing.
func (f *File) Truncate(length int64) error {
	if f.flags&vfs.O_PATH != 0 {
		return vfs.EBADF
	}
	if length < 0 || f.f == nil || !f.writable() || f.loc.Dentry.IsDir() {
		return vfs.EINVAL
	}
	a, err := f.loc.Dentry.Inode().Getattr()
	if err != nil {
		return err
	}
	if !a.Mode.IsRegular() {
		return vfs.EINVAL
	}
	s := vfs.SetAttr{Mask: vfs.SetSize | vfs.SetMtime, Size: length, Mtime: vfs.Now()}
	if err := dropSetID(f.loc, f.cred, &s); err != nil {
		return err
	}
	return setattr(f.loc, &s)
}

// Sync is fsync(2).
func (f *File) Sync() error {
	if f.f == nil {
		if f.flags&vfs.O_PATH != 0 {
			return vfs.EBADF
		}
		return vfs.EINVAL
	}
	return f.f.Sync()
}
