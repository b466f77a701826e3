package overlay

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mountkit/mountkit/vfs"
)

// node is a file of the merged tree: Linux's ovl_inode. Its upper dentry
// appears once, at copy-up or creation, and never changes after; its
// lower dentries are fixed when it is looked up.
//
// Invariant: the children map holds the node returned for each name
// looked up in this directory and still present, so that the overlay's
// dentry cache and the nodes agree (a rename moves the same node).
type node struct {
	fs  *FS
	typ vfs.Mode
	// ino is the inode number the overlay shows, 0 until inoNum has
	// worked it out (a layer's attributes may fail to read).
	ino   atomic.Uint64
	upper atomic.Pointer[vfs.Dentry]
	// lowers: for a directory, the lower directories merged below the
	// upper one, topmost first (none when opaque); for another file, at
	// most one, the lower file it shows or was copied up from.
	lowers []*vfs.Dentry

	// parent and name place the node in the merged tree, for copy-up;
	// guarded by fs.copyMu. The root's parent is nil.
	parent *node
	name   string

	mu       sync.Mutex
	children map[string]*node
}

var _ vfs.Inode = (*node)(nil)

func (fsys *FS) newRoot() (*node, error) {
	n := &node{fs: fsys, typ: vfs.ModeDir, lowers: fsys.lowers}
	real := fsys.lowers[0]
	if fsys.upper != nil {
		n.upper.Store(fsys.upper)
		real = fsys.upper
	}
	ino, err := fsys.inoOf(real)
	if err != nil {
		return nil, err
	}
	n.ino.Store(ino)
	return n, nil
}

// inoOf returns the inode number the overlay shows for the real file d.
func (fsys *FS) inoOf(d *vfs.Dentry) (uint64, error) {
	a, err := d.Inode().Getattr()
	if err != nil {
		return 0, err
	}
	return fsys.mapIno(d.Superblock(), a.Ino), nil
}

// inoNum returns the inode number the overlay shows for n: the lower
// file's for a file with a lower one (copied up or not) and for a merged
// directory, else the one recorded as the origin of a copied-up upper
// file, else the upper file's own. It is worked out on first use and
// kept; an error reading the layers is returned and nothing is kept.
func (n *node) inoNum() (uint64, error) {
	if ino := n.ino.Load(); ino != 0 {
		return ino, nil
	}
	var ino uint64
	var err error
	if len(n.lowers) > 0 {
		ino, err = n.fs.inoOf(n.lowers[0])
	} else {
		u := n.upper.Load()
		var ok bool
		if ino, ok, err = n.fs.originIno(u); err == nil && !ok {
			ino, err = n.fs.inoOf(u)
		}
	}
	if err != nil {
		return 0, err
	}
	n.ino.CompareAndSwap(0, ino)
	return n.ino.Load(), nil
}

// mapIno folds the layer's filesystem number into the high bits of a
// real inode number when xino is on (Linux's ovl_map_ino: fsid shifted
// above the bit xino reserves); the upper filesystem is number 0.
func (fsys *FS) mapIno(sb *vfs.Superblock, ino uint64) uint64 {
	if fsys.xinoBits == 0 {
		return ino
	}
	return ino | uint64(fsys.fsid[sb])<<(64-fsys.xinoBits+1)
}

// real returns the dentry that holds the node's data and attributes: the
// upper one once there is one, else the topmost lower.
func (n *node) real() *vfs.Dentry {
	if u := n.upper.Load(); u != nil {
		return u
	}
	return n.lowers[0]
}

// merged reports whether the directory shows more than one layer
// (Linux's OVL_TYPE_MERGE).
func (n *node) merged() bool {
	if n.upper.Load() != nil {
		return len(n.lowers) > 0
	}
	return len(n.lowers) > 1
}

func (fsys *FS) isWhiteout(d *vfs.Dentry) bool {
	if d.Type() != vfs.ModeCharDevice {
		return false
	}
	a, err := d.Inode().Getattr()
	return err == nil && a.Rdev == 0
}

func (fsys *FS) isOpaque(d *vfs.Dentry) bool {
	if !d.IsDir() {
		return false
	}
	v, err := d.Inode().Getxattr(fsys.prefix + "opaque")
	return err == nil && string(v) == "y"
}

// originIno reads the lower inode number recorded at copy-up: false
// when there is none (or not one this package wrote), an error when the
// attribute cannot be read.
func (fsys *FS) originIno(d *vfs.Dentry) (uint64, bool, error) {
	v, err := d.Inode().Getxattr(fsys.prefix + "origin")
	switch {
	case err == vfs.ENODATA || err == vfs.EOPNOTSUPP:
		return 0, false, nil
	case err != nil:
		return 0, false, err
	}
	s, ok := strings.CutPrefix(string(v), originTag)
	if !ok {
		return 0, false, nil
	}
	ino, err := strconv.ParseUint(s, 10, 64)
	return ino, err == nil && ino != 0, nil
}

// originTag starts the origin attributes this package writes (Linux's
// hold a file handle instead; see the package documentation).
const originTag = "mountkit.ino:"

// layers is what a name resolves to in each layer (ovl_lookup).
type layers struct {
	upper    *vfs.Dentry // the upper entry, nil when none
	whiteout bool        // the upper entry is a whiteout
	lowers   []*vfs.Dentry
}

func (l *layers) positive() bool { return l.upper != nil && !l.whiteout || len(l.lowers) > 0 }

// lookupLayers resolves name in every layer of directory n as Linux's
// ovl_lookup does: the upper entry first; a whiteout hides the name, a
// non-directory or an opaque directory stops the descent; then each
// lower directory, where a whiteout stops, a non-directory below a
// directory is ignored and stops, and an opaque directory stops after
// itself.
func (n *node) lookupLayers(name string) (layers, error) {
	var l layers
	dirSeen := false
	// A miss asks a layer without taking its directory lock.
	key := vfs.KeyOf(name)
	if u := n.upper.Load(); u != nil {
		c, err := u.LookupKey(name, key)
		switch {
		case err == vfs.ENOENT:
		case err != nil:
			return l, err
		case n.fs.isWhiteout(c):
			l.upper, l.whiteout = c, true
			return l, nil
		default:
			l.upper = c
			if !c.IsDir() || n.fs.isOpaque(c) {
				return l, nil
			}
			dirSeen = true
		}
	}
	for _, ld := range n.lowers {
		c, err := ld.LookupKey(name, key)
		switch {
		case err == vfs.ENOENT:
			continue
		case err != nil:
			return l, err
		case n.fs.isWhiteout(c):
			return l, nil
		case !c.IsDir():
			if !dirSeen {
				l.lowers = append(l.lowers, c)
			}
			return l, nil
		}
		dirSeen = true
		l.lowers = append(l.lowers, c)
		if n.fs.isOpaque(c) {
			return l, nil
		}
	}
	return l, nil
}

// child returns the node for name given its layers, reusing the node
// already handed out for the same files.
func (n *node) child(name string, l layers) *node {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c := n.children[name]; c != nil {
		u := c.upper.Load()
		switch {
		case l.upper != nil && u == l.upper:
			return c
		case l.upper == nil && u == nil && len(c.lowers) > 0 && len(l.lowers) > 0 && c.lowers[0] == l.lowers[0]:
			return c
		}
	}
	c := &node{fs: n.fs, parent: n, name: name, lowers: l.lowers}
	real := l.upper
	if real == nil {
		real = l.lowers[0]
	}
	c.typ = real.Type()
	if l.upper != nil {
		c.upper.Store(l.upper)
		if c.typ == vfs.ModeDir && len(l.lowers) > 0 {
			n.fs.fixOrigin(n, c)
		}
	}
	n.setChild(name, c)
	return c
}

// fixOrigin records on the upper directory of a merged directory c the
// lower directory it merges with, and marks its parent impure, as Linux's
// ovl_fix_origin does on lookup.
func (fsys *FS) fixOrigin(parent, c *node) {
	u := c.upper.Load()
	if _, err := u.Inode().Getxattr(fsys.prefix + "origin"); err != vfs.ENODATA {
		return
	}
	ino, err := c.inoNum()
	if err != nil {
		return // recorded on a later lookup
	}
	origin := []byte(originTag + strconv.FormatUint(ino, 10))
	if u.Inode().Setxattr(fsys.prefix+"origin", origin, 0) == nil {
		if pu := parent.upper.Load(); pu != nil {
			_ = fsys.setImpure(pu)
		}
	}
}

// setChild records c as the node of name; n.mu is held.
func (n *node) setChild(name string, c *node) {
	if n.children == nil {
		n.children = make(map[string]*node)
	}
	n.children[name] = c
}

func (n *node) dropChild(name string) {
	n.mu.Lock()
	delete(n.children, name)
	n.mu.Unlock()
}

// Lookup returns the merged entry called name.
func (n *node) Lookup(name string) (vfs.Inode, error) {
	if n.typ != vfs.ModeDir {
		return nil, vfs.ENOTDIR
	}
	l, err := n.lookupLayers(name)
	if err != nil {
		return nil, err
	}
	if !l.positive() || l.whiteout {
		return nil, vfs.ENOENT
	}
	return n.child(name, l), nil
}

// Getattr returns the real file's attributes with the overlay's inode
// number, and a link count of 1 for a merged directory, as Linux does.
func (n *node) Getattr() (vfs.Attr, error) {
	a, err := n.real().Inode().Getattr()
	if err != nil {
		return a, err
	}
	if a.Ino, err = n.inoNum(); err != nil {
		return vfs.Attr{}, err
	}
	if n.typ == vfs.ModeDir && n.merged() {
		a.Nlink = 1
	}
	return a, nil
}

// Setattr copies the file up and changes the upper file.
func (n *node) Setattr(s *vfs.SetAttr) error {
	u, err := n.copyUp()
	if err != nil {
		return err
	}
	return u.Inode().Setattr(s)
}

// Readlink returns the real symbolic link's target.
func (n *node) Readlink() (string, error) { return n.real().Inode().Readlink() }

// Open opens the real file: the upper one, after a copy-up, when the file
// is opened for writing; a lower file opened for reading follows the file
// to the upper layer when it is copied up later. A directory opens as its
// merged view.
func (n *node) Open(flags int) (vfs.File, error) {
	if n.typ == vfs.ModeDir {
		return n.openDir(flags)
	}
	if flags&vfs.O_ACCMODE != vfs.O_RDONLY {
		u, err := n.copyUp()
		if err != nil {
			return nil, err
		}
		return u.Inode().Open(flags)
	}
	if u := n.upper.Load(); u != nil {
		return u.Inode().Open(flags)
	}
	f, err := n.lowers[0].Inode().Open(flags)
	if err != nil {
		return nil, err
	}
	return &lowerFile{n: n, flags: flags, f: f}, nil
}

// lowerFile is a lower file opened for reading: once the file is copied
// up, its reads go to the upper file, as Linux's ovl_real_fdget reopens
// the real file after a copy-up.
type lowerFile struct {
	n     *node
	flags int

	mu    sync.Mutex
	f     vfs.File
	upper bool // f is the upper file
}

func (l *lowerFile) current() (vfs.File, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.upper {
		if u := l.n.upper.Load(); u != nil {
			f, err := u.Inode().Open(l.flags)
			if err != nil {
				return nil, err
			}
			_ = l.f.Close()
			l.f, l.upper = f, true
		}
	}
	return l.f, nil
}

func (l *lowerFile) ReadAt(p []byte, off int64) (int, error) {
	f, err := l.current()
	if err != nil {
		return 0, err
	}
	return f.ReadAt(p, off)
}

func (l *lowerFile) WriteAt(p []byte, off int64) (int, error) {
	f, err := l.current()
	if err != nil {
		return 0, err
	}
	return f.WriteAt(p, off)
}

func (l *lowerFile) ReadDir(cookie uint64, emit func(vfs.DirEntry) bool) error {
	return vfs.ENOTDIR
}

func (l *lowerFile) Sync() error {
	f, err := l.current()
	if err != nil {
		return err
	}
	return f.Sync()
}

func (l *lowerFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}

// The overlay's private attributes (fs.prefix + "opaque", ...) are not
// seen through the merged view. An attribute of that namespace set or
// read through the overlay is stored escaped, under fs.prefix +
// "overlay.", so that an overlay can be a layer of another (Linux 6.7's
// xattr escaping).

// realXattr maps an attribute name of the merged view to the real file's.
func (n *node) realXattr(name string) string {
	if rest, ok := strings.CutPrefix(name, n.fs.prefix); ok {
		return n.fs.prefix + "overlay." + rest
	}
	return name
}

// Getxattr returns an attribute of the real file.
func (n *node) Getxattr(name string) ([]byte, error) {
	return n.real().Inode().Getxattr(n.realXattr(name))
}

// Setxattr copies the file up and sets the attribute on the upper file.
func (n *node) Setxattr(name string, value []byte, flags int) error {
	u, err := n.copyUp()
	if err != nil {
		return err
	}
	return u.Inode().Setxattr(n.realXattr(name), value, flags)
}

// Listxattr lists the real file's attributes less the overlay's own,
// escaped ones under their merged-view names.
func (n *node) Listxattr() ([]string, error) {
	names, err := n.real().Inode().Listxattr()
	if err != nil {
		return nil, err
	}
	out := names[:0:0]
	esc := n.fs.prefix + "overlay."
	for _, x := range names {
		switch {
		case strings.HasPrefix(x, esc):
			out = append(out, n.fs.prefix+x[len(esc):])
		case !strings.HasPrefix(x, n.fs.prefix):
			out = append(out, x)
		}
	}
	return out, nil
}

// Removexattr copies the file up and removes the attribute there.
func (n *node) Removexattr(name string) error {
	real := n.realXattr(name)
	if _, err := n.real().Inode().Getxattr(real); err != nil {
		return err
	}
	u, err := n.copyUp()
	if err != nil {
		return err
	}
	return u.Inode().Removexattr(real)
}
