package overlay

import (
	"github.com/mountkit/mountkit/vfs"
)

// readDir lists directory d (from cookie 2, as backends number entries).
func readDir(d *vfs.Dentry, emit func(vfs.DirEntry) bool) error {
	f, err := d.Inode().Open(vfs.O_RDONLY | vfs.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.ReadDir(2, emit)
}

// readMerged calls emit for the visible entries of the merged directory
// n in Linux's order (ovl_dir_read_merged): the lowest layer's entries
// first, then those of the upper and middle layers, top down, each name
// once, whiteouts hiding the names below them and never shown. Entries
// keep the inode number stat would report.
func (n *node) readMerged(emit func(vfs.DirEntry) bool) error {
	fsys := n.fs
	var dirs []*vfs.Dentry
	upper := n.upper.Load()
	if upper != nil {
		dirs = append(dirs, upper)
	}
	dirs = append(dirs, n.lowers...)
	if len(dirs) == 1 && !(upper != nil && fsys.isOpaque(upper)) {
		// A directory of one layer is read as it is (ovl_dir_is_real).
		return readDir(dirs[0], func(e vfs.DirEntry) bool {
			e.Next = 0
			return emit(e)
		})
	}
	type entry struct {
		vfs.DirEntry
		whiteout bool
		upper    bool
	}
	seen := map[string]int{} // name -> index in list
	var list, lowest []entry
	impure := false
	if upper != nil {
		if _, err := upper.Inode().Getxattr(fsys.prefix + "impure"); err == nil {
			impure = true
		}
	}
	for i, d := range dirs {
		last := i == len(dirs)-1 && len(dirs) > 1
		isUpper := d == upper
		err := readDir(d, func(e vfs.DirEntry) bool {
			if j, ok := seen[e.Name]; ok {
				if j < 0 {
					return true
				}
				// A directory of the upper layer shows the inode
				// number of the lower directory it merges with.
				p := &list[j]
				if p.upper && p.Type == vfs.ModeDir && e.Type == vfs.ModeDir && !p.whiteout {
					if c, err := upper.Lookup(e.Name); err == nil && !fsys.isOpaque(c) {
						p.Ino = e.Ino
					}
					p.upper = false
				}
				return true
			}
			en := entry{DirEntry: e, upper: isUpper}
			if e.Type == vfs.ModeCharDevice || e.Type == 0 {
				if c, err := d.Lookup(e.Name); err == nil && fsys.isWhiteout(c) {
					en.whiteout = true
				}
			}
			if isUpper && impure && !en.whiteout && e.Type != vfs.ModeDir {
				if c, err := d.Lookup(e.Name); err == nil {
					if ino, ok := fsys.originIno(c); ok {
						en.Ino = ino
					}
				}
			}
			if last {
				lowest = append(lowest, en)
				seen[e.Name] = -1
				return true
			}
			seen[e.Name] = len(list)
			list = append(list, en)
			return true
		})
		if err != nil {
			return err
		}
	}
	for _, e := range append(lowest, list...) {
		if e.whiteout {
			continue
		}
		e.Next = 0
		if !emit(e.DirEntry) {
			return nil
		}
	}
	return nil
}

// dirFile is an open merged directory. Its entries are read afresh when
// reading starts at the first cookie, and served from that snapshot
// after, so cookies stay valid while it is read (Linux's readdir cache).
type dirFile struct {
	n       *node
	entries []vfs.DirEntry
}

func (n *node) openDir(flags int) (vfs.File, error) {
	if flags&vfs.O_ACCMODE != vfs.O_RDONLY {
		return nil, vfs.EISDIR
	}
	return &dirFile{n: n}, nil
}

func (f *dirFile) ReadAt(p []byte, off int64) (int, error)  { return 0, vfs.EISDIR }
func (f *dirFile) WriteAt(p []byte, off int64) (int, error) { return 0, vfs.EISDIR }
func (f *dirFile) Sync() error                              { return nil }
func (f *dirFile) Close() error                             { return nil }

// ReadDir calls emit for the merged entries from cookie on.
func (f *dirFile) ReadDir(cookie uint64, emit func(vfs.DirEntry) bool) error {
	if cookie <= 2 || f.entries == nil {
		f.entries = f.entries[:0]
		err := f.n.readMerged(func(e vfs.DirEntry) bool {
			f.entries = append(f.entries, e)
			return true
		})
		if err != nil {
			return err
		}
		if f.entries == nil {
			f.entries = []vfs.DirEntry{}
		}
	}
	if cookie < 2 {
		cookie = 2
	}
	for i := cookie - 2; i < uint64(len(f.entries)); i++ {
		e := f.entries[i]
		e.Next = i + 3
		if !emit(e) {
			return nil
		}
	}
	return nil
}
