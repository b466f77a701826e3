package pathfs

import (
	"sync"

	"github.com/mountkit/mountkit/vfs"
)

// Open opens a regular file through the tree and a directory for
// ReadDir. Symbolic links are never opened (the vfs layer follows them),
// and other types fail with ENXIO.
func (n *node) Open(flags int) (vfs.File, error) {
	p, err := n.path()
	if err != nil {
		return nil, err
	}
	switch n.typ {
	case vfs.ModeDir:
		return &dirFile{n: n}, nil
	case vfs.ModeRegular:
		f, err := n.fs.tree.Open(p, flags&(vfs.O_ACCMODE|vfs.O_APPEND))
		if err != nil {
			return nil, Errno(err)
		}
		return &regFile{f: f}, nil
	}
	return nil, vfs.ENXIO
}

// regFile is an open regular file.
type regFile struct{ f File }

func (r *regFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.f.ReadAt(p, off)
	if err != nil && !isEOF(err) {
		return n, Errno(err)
	}
	return n, nil
}

func (r *regFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := r.f.WriteAt(p, off)
	if err != nil {
		return n, Errno(err)
	}
	return n, nil
}

func (r *regFile) ReadDir(cookie uint64, emit func(vfs.DirEntry) bool) error {
	return vfs.ENOTDIR
}

func (r *regFile) Sync() error {
	if err := r.f.Sync(); err != nil {
		return Errno(err)
	}
	return nil
}

func (r *regFile) Close() error {
	if err := r.f.Close(); err != nil {
		return Errno(err)
	}
	return nil
}

// dirFile is an open directory. Its entries are the tree's listing, in the
// tree's order, taken when reading starts at cookie 2 (opendir or
// rewinddir) and kept until reading starts again: entry i has cookie i+2,
// so cookies stay valid while the listing is kept.
type dirFile struct {
	n    *node
	mu   sync.Mutex
	ents []vfs.DirEntry
	read bool
}

func (d *dirFile) ReadAt(p []byte, off int64) (int, error)  { return 0, vfs.EISDIR }
func (d *dirFile) WriteAt(p []byte, off int64) (int, error) { return 0, vfs.EISDIR }
func (d *dirFile) Sync() error                              { return nil }
func (d *dirFile) Close() error                             { return nil }

func (d *dirFile) ReadDir(cookie uint64, emit func(vfs.DirEntry) bool) error {
	d.mu.Lock()
	if cookie <= 2 || !d.read {
		if err := d.list(); err != nil {
			d.mu.Unlock()
			return err
		}
	}
	ents := d.ents
	d.mu.Unlock()
	if cookie < 2 {
		cookie = 2
	}
	for i := cookie - 2; i < uint64(len(ents)); i++ {
		if !emit(ents[i]) {
			break
		}
	}
	return nil
}

// list reads the directory. d.mu is held.
func (d *dirFile) list() error {
	n := d.n
	p, err := n.path()
	if err != nil {
		return err
	}
	list, err := n.fs.tree.ReadDir(p)
	if err != nil {
		return Errno(err)
	}
	ents := make([]vfs.DirEntry, 0, len(list))
	n.fs.mu.Lock()
	for i, e := range list {
		typ := modeOf(e.Type()).Type()
		c := n.fs.child(n, e.Name(), typ)
		ents = append(ents, vfs.DirEntry{Name: e.Name(), Ino: c.ino, Type: typ, Next: uint64(i) + 3})
	}
	n.fs.mu.Unlock()
	d.ents, d.read = ents, true
	return nil
}
