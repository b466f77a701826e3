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
// first, in its order (a name seen in a layer above keeps what that layer
// said of it), then the other names of the upper and middle layers, top
// down. Whiteouts hide the names below them and are never shown. An entry
// of the upper layer carries the inode number stat reports when the upper
// directory is impure (holds copied-up entries), its own otherwise, as
// Linux's ovl_cache_update does.
//
// A directory of one layer with no origin record is read as it is,
// whiteouts and all (Linux's ovl_dir_is_real), unless all is set: rmdir's emptiness
// check reads every directory as merged.
func (n *node) readMerged(all bool, emit func(vfs.DirEntry) bool) error {
	fsys := n.fs
	var dirs []*vfs.Dentry
	upper := n.upper.Load()
	if upper != nil {
		dirs = append(dirs, upper)
	}
	dirs = append(dirs, n.lowers...)
	if len(dirs) == 1 && !all && !fsys.hasOrigin(dirs[0]) {
		sb := dirs[0].Superblock()
		return readDir(dirs[0], func(e vfs.DirEntry) bool {
			e.Next = 0
			e.Ino = fsys.mapIno(sb, e.Ino)
			return emit(e)
		})
	}
	type entry struct {
		vfs.DirEntry
		whiteout bool
		upper    bool
		moved    bool // listed with the lowest layer's entries
	}
	seen := map[string]*entry{}
	var list, lowest []*entry
	for i, d := range dirs {
		last := i == len(dirs)-1
		isUpper := d == upper
		err := readDir(d, func(e vfs.DirEntry) bool {
			p := seen[e.Name]
			if p == nil {
				e.Ino = fsys.mapIno(d.Superblock(), e.Ino)
				p = &entry{DirEntry: e, upper: isUpper}
				if e.Type == vfs.ModeCharDevice || e.Type == 0 {
					if c, err := d.Lookup(e.Name); err == nil && fsys.isWhiteout(c) {
						p.whiteout = true
					}
				}
				seen[e.Name] = p
				if !last {
					list = append(list, p)
					return true
				}
			}
			if last && !p.moved {
				p.moved = true
				lowest = append(lowest, p)
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	impure := false
	if upper != nil {
		_, err := upper.Inode().Getxattr(fsys.prefix + "impure")
		impure = err == nil
	}
	out := func(p *entry) bool {
		if p.whiteout {
			return true
		}
		e := p.DirEntry
		e.Next = 0
		if p.upper && impure {
			if c, err := n.Lookup(e.Name); err == nil {
				if ino, err := c.(*node).inoNum(); err == nil {
					e.Ino = ino
				}
			}
		}
		return emit(e)
	}
	for _, p := range lowest {
		if !out(p) {
			return nil
		}
	}
	for _, p := range list {
		if !p.moved && !out(p) {
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
		err := f.n.readMerged(false, func(e vfs.DirEntry) bool {
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

// hasOrigin reports whether d records a lower origin.
func (fsys *FS) hasOrigin(d *vfs.Dentry) bool {
	_, err := d.Inode().Getxattr(fsys.prefix + "origin")
	return err == nil
}
