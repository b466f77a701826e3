package memfs

import (
	"github.com/mountkit/mountkit/vfs"
)

// file is an open inode. Its methods take fs.mu as the node's do.
type file struct {
	n      *node
	flags  int
	closed bool // guarded by n.fs.mu
}

var _ vfs.File = (*file)(nil)

// Open opens the inode. It fails with EISDIR for a directory opened for
// writing, ENOTDIR for O_DIRECTORY on a non-directory, ENXIO for a
// socket and ELOOP for a symbolic link, unless flags has O_PATH, which
// opens anything for nothing but Close.
//
// Files of FIFOs and device nodes do no I/O: the mount layer gives them
// their semantics. Reading a FIFO's File returns 0 (end of file) and
// writing it fails with EPIPE; reading or writing a device's File fails
// with ENXIO, as a device with no driver.
func (n *node) Open(flags int) (vfs.File, error) {
	n.fs.lock()
	defer n.fs.unlock()
	if flags&vfs.O_PATH == 0 {
		acc := flags & vfs.O_ACCMODE
		switch t := n.mode.Load().Type(); {
		case t == vfs.ModeDir:
			if acc == vfs.O_WRONLY || acc == vfs.O_RDWR {
				return nil, vfs.EISDIR
			}
		case flags&vfs.O_DIRECTORY != 0:
			return nil, vfs.ENOTDIR
		case t == vfs.ModeSymlink:
			return nil, vfs.ELOOP
		case t == vfs.ModeSocket:
			return nil, vfs.ENXIO
		}
	} else if flags&vfs.O_DIRECTORY != 0 && !n.mode.Load().IsDir() {
		return nil, vfs.ENOTDIR
	}
	n.opens++
	return &file{n: n, flags: flags}, nil
}

func (f *file) canRead() bool {
	acc := f.flags & vfs.O_ACCMODE
	return f.flags&vfs.O_PATH == 0 && (acc == vfs.O_RDONLY || acc == vfs.O_RDWR)
}

func (f *file) canWrite() bool {
	acc := f.flags & vfs.O_ACCMODE
	return f.flags&vfs.O_PATH == 0 && (acc == vfs.O_WRONLY || acc == vfs.O_RDWR)
}

// ReadAt reads as pread(2): EBADF for a file not open for reading,
// EINVAL for a negative offset or one whose end overflows, EISDIR for a
// directory; holes read as zeros. It does not touch atime: the mount
// layer applies its atime policy through Setattr.
func (f *file) ReadAt(p []byte, off int64) (int, error) {
	n := f.n
	n.fs.mu.RLock()
	defer n.fs.mu.RUnlock()
	switch {
	case f.closed || !f.canRead():
		return 0, vfs.EBADF
	case off < 0 || off+int64(len(p)) < 0:
		return 0, vfs.EINVAL
	}
	switch n.mode.Load().Type() {
	case vfs.ModeDir:
		return 0, vfs.EISDIR
	case vfs.ModeFIFO:
		return 0, nil
	case vfs.ModeCharDevice, vfs.ModeBlockDevice:
		return 0, vfs.ENXIO
	}
	if off >= n.size.Load() || len(p) == 0 {
		return 0, nil
	}
	if rem := n.size.Load() - off; int64(len(p)) > rem {
		p = p[:rem]
	}
	done := 0
	for done < len(p) {
		pos := off + int64(done)
		idx, in := pos/pageSize, int(pos%pageSize)
		chunk := min(len(p)-done, pageSize-in)
		if pg := n.pages()[idx]; pg != nil {
			copy(p[done:done+chunk], pg[in:])
		} else {
			clear(p[done : done+chunk])
		}
		done += chunk
	}
	return done, nil
}

// WriteAt writes as pwrite(2), at the end of the file when it was opened
// with O_APPEND: EBADF for a file not open for writing, EINVAL for a
// negative offset or one whose end overflows, EFBIG at or past the
// maximum file size (a write reaching it is cut short). When the size
// limit leaves no page for the data, it writes what fits and returns the
// short count, or ENOSPC if nothing fitted. A write of 0 bytes changes
// nothing; any other updates mtime and ctime. It does not clear setuid
// and setgid bits: it knows no credentials.
func (f *file) WriteAt(p []byte, off int64) (int, error) {
	n := f.n
	n.fs.lock()
	defer n.fs.unlock()
	switch {
	case f.closed || !f.canWrite():
		return 0, vfs.EBADF
	case off < 0 || off+int64(len(p)) < 0:
		return 0, vfs.EINVAL
	}
	switch n.mode.Load().Type() {
	case vfs.ModeDir:
		return 0, vfs.EISDIR
	case vfs.ModeFIFO:
		return 0, vfs.EPIPE
	case vfs.ModeCharDevice, vfs.ModeBlockDevice:
		return 0, vfs.ENXIO
	}
	if f.flags&vfs.O_APPEND != 0 {
		off = n.size.Load()
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= maxFileSize {
		return 0, vfs.EFBIG
	}
	if rem := maxFileSize - off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n.touchCM()
	done := 0
	for done < len(p) {
		pos := off + int64(done)
		idx, in := pos/pageSize, int(pos%pageSize)
		chunk := min(len(p)-done, pageSize-in)
		pg := n.pages()[idx]
		if pg == nil {
			if !n.fs.allocBlock() {
				break
			}
			pg = new(page)
			x := n.extra()
			if x.pages == nil {
				x.pages = make(map[int64]*page)
			}
			x.pages[idx] = pg
		}
		copy(pg[in:], p[done:done+chunk])
		done += chunk
	}
	n.syncBlocks()
	if end := off + int64(done); end > n.size.Load() {
		n.size.Store(end)
	}
	if done == 0 {
		return 0, vfs.ENOSPC
	}
	return done, nil
}

// truncate sets a regular file's size: pages wholly past the new end are
// freed and the tail of a partial last page is zeroed, so that growing
// the file again reads zeros. mu is held.
func (n *node) truncate(size int64) {
	if pages := n.pages(); size < n.size.Load() && pages != nil {
		keep := (size + pageSize - 1) / pageSize
		for idx := range pages {
			if idx >= keep {
				delete(pages, idx)
				n.fs.freeBlocks(1)
			}
		}
		if in := size % pageSize; in != 0 {
			if pg := pages[size/pageSize]; pg != nil {
				clear(pg[in:])
			}
		}
		if len(pages) == 0 {
			n.x.pages = nil
		}
		n.syncBlocks()
	}
	n.size.Store(size)
}

// readDirBatch is how many entries ReadDir copies under the lock before
// calling emit without it.
const readDirBatch = 64

// ReadDir emits the directory's entries from cookie on, in cookie order.
// Each entry's Next is its cookie plus one. EBADF for an O_PATH file,
// ENOTDIR for a non-directory, ENOENT once the directory was removed.
// Entries added or removed while it runs may or may not be seen.
func (f *file) ReadDir(cookie uint64, emit func(vfs.DirEntry) bool) error {
	n := f.n
	var batch [readDirBatch]vfs.DirEntry
	for {
		n.fs.mu.RLock()
		switch {
		case f.closed || f.flags&vfs.O_PATH != 0:
			n.fs.mu.RUnlock()
			return vfs.EBADF
		case n.d == nil:
			n.fs.mu.RUnlock()
			return vfs.ENOTDIR
		case n.nlink.Load() == 0:
			n.fs.mu.RUnlock()
			return vfs.ENOENT
		}
		d := n.d
		k := 0
		for i := d.index(cookie); i < len(d.order) && k < len(batch); i++ {
			e := d.order[i]
			if e.n == nil {
				continue
			}
			batch[k] = vfs.DirEntry{Name: e.name, Ino: e.n.ino, Type: e.n.mode.Load().Type(), Next: e.cookie + 1}
			k++
		}
		n.fs.mu.RUnlock()
		for _, e := range batch[:k] {
			if !emit(e) {
				return nil
			}
			cookie = e.Next
		}
		if k < len(batch) {
			return nil
		}
	}
}

// Sync does nothing: memory is the storage.
func (f *file) Sync() error {
	f.n.fs.mu.RLock()
	defer f.n.fs.mu.RUnlock()
	if f.closed {
		return vfs.EBADF
	}
	return nil
}

// Close releases the file; an unlinked inode's storage goes with its
// last File. EBADF when already closed.
func (f *file) Close() error {
	n := f.n
	n.fs.lock()
	defer n.fs.unlock()
	if f.closed {
		return vfs.EBADF
	}
	f.closed = true
	n.opens--
	n.maybeEvict()
	return nil
}
