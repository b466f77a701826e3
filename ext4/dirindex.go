package ext4

import (
	"sync"

	"github.com/mountkit/mountkit/vfs"
)

// A read-write mount keeps, for each directory of more than one block
// it has looked into, an in-memory index of its names: the inode and the
// logical block of each entry. Lookups then cost one map access instead
// of a scan of every block (a linear directory has no other index, and
// an indexed one loses its htree at the first change, see dirwrite.go),
// and a change finds its entry's block at once. The index is built by
// one scan and kept exact by addEntry, removeAt and setAt.

// dirSlot is where a name lives.
type dirSlot struct {
	ino  uint32
	lblk uint64
}

// dirIdx is a directory's name index. mu guards m; it is taken after
// FS.wmu (for reading or writing) and is a leaf.
type dirIdx struct {
	mu sync.Mutex
	m  map[string]dirSlot // nil until built
}

// useIndex reports whether lookups in dir go through its name index.
func (f *FS) useIndex(dir *node) bool {
	return f.rw && dir.r.size > int64(f.sb.blockSize) && dir.r.flags&flagInlineData == 0
}

// indexLocked returns dir's name index, building it first; dir.idx.mu
// is held.
func (f *FS) indexLocked(dir *node) (map[string]dirSlot, error) {
	if dir.idx.m != nil {
		return dir.idx.m, nil
	}
	r := dir.r
	bs := uint64(f.sb.blockSize)
	m := make(map[string]dirSlot)
	for lblk := uint64(0); lblk*bs < uint64(r.size); {
		b, n, err := f.dirBlockSpan(r, lblk)
		if err != nil {
			return nil, err
		}
		if b != nil {
			for off := 0; off < len(b); {
				e, err := f.parseDirent(b, off)
				if err != nil {
					return nil, err
				}
				if e.ino != 0 && !isDot(e.name) {
					m[string(e.name)] = dirSlot{ino: e.ino, lblk: lblk}
				}
				off = e.next
			}
		}
		lblk += n
	}
	dir.idx.m = m
	return m, nil
}

// lookupNode is lookup for a node: through the name index when there
// is one.
func (f *FS) lookupNode(dir *node, name string) (uint32, error) {
	if !f.useIndex(dir) {
		return f.lookup(dir.r, name)
	}
	dir.idx.mu.Lock()
	defer dir.idx.mu.Unlock()
	m, err := f.indexLocked(dir)
	if err != nil {
		return 0, err
	}
	if s, ok := m[name]; ok {
		return s.ino, nil
	}
	return 0, vfs.ENOENT
}

// slotOf returns the block holding name when the index knows it
// (ok false: scan).
func (f *FS) slotOf(dir *node, name string) (dirSlot, bool, error) {
	if !f.useIndex(dir) || isDot([]byte(name)) {
		return dirSlot{}, false, nil
	}
	dir.idx.mu.Lock()
	defer dir.idx.mu.Unlock()
	m, err := f.indexLocked(dir)
	if err != nil {
		return dirSlot{}, false, err
	}
	s, ok := m[name]
	if !ok {
		return dirSlot{}, false, vfs.ENOENT
	}
	return s, true, nil
}

// noteEntry records a change of dir's entries in its index (ino 0: a
// removal).
func (dir *node) noteEntry(name string, ino uint32, lblk uint64) {
	dir.idx.mu.Lock()
	defer dir.idx.mu.Unlock()
	if dir.idx.m == nil {
		return
	}
	if ino == 0 {
		delete(dir.idx.m, name)
	} else {
		dir.idx.m[name] = dirSlot{ino: ino, lblk: lblk}
	}
}
