package memfs

import (
	"sort"

	"github.com/mountkit/mountkit/vfs"
)

// firstCookie is the readdir cookie of a directory's first entry; the
// vfs layer uses 0 and 1 for "." and "..".
const firstCookie = 2

// dirData is a directory's entries.
//
// Invariants: names and the live elements of order (n != nil) hold the
// same entries; a removed entry stays in order as a tombstone (n == nil)
// until the next compaction; order is sorted by cookie; every cookie is
// below next, so an entry keeps its cookie until it is removed and a new
// entry sorts after every existing one. holes counts the tombstones.
type dirData struct {
	parent *node // the directory holding this one; the root is its own parent
	names  nameIndex
	order  []*dirent
	holes  int
	next   uint64
}

type dirent struct {
	name   string
	cookie uint64
	n      *node
}

func (d *dirData) lookup(name string) *node {
	if e := d.names.find(name); e != nil {
		return e.n
	}
	return nil
}

func (d *dirData) add(name string, n *node) {
	e := &dirent{name: name, cookie: d.next, n: n}
	d.next++
	d.names.insert(e)
	d.order = append(d.order, e)
}

func (d *dirData) remove(name string) {
	e := d.names.remove(name)
	e.n = nil // a tombstone: it keeps its cookie, so order stays sorted
	d.holes++
	if d.holes > 16 && d.holes > len(d.order)/2 {
		live := d.order[:0]
		for _, e := range d.order {
			if e.n != nil {
				live = append(live, e)
			}
		}
		clear(d.order[len(live):])
		d.order = live
		d.holes = 0
	}
}

// index returns the position in order of the first entry, live or
// tombstone, whose cookie is at least cookie.
func (d *dirData) index(cookie uint64) int {
	return sort.Search(len(d.order), func(i int) bool { return d.order[i].cookie >= cookie })
}

func (d *dirData) empty() bool { return d.names.n == 0 }

// dirOf returns n's directory data, or ENOTDIR. It also refuses names
// that no directory holds. mu is held.
func (n *node) dirOf(name string) (*dirData, error) {
	if n.d == nil {
		return nil, vfs.ENOTDIR
	}
	return n.d, checkName(name)
}

// Lookup returns the child called name, or ENOENT.
func (n *node) Lookup(name string) (vfs.Inode, error) {
	n.fs.mu.RLock()
	defer n.fs.mu.RUnlock()
	d, err := n.dirOf(name)
	if err != nil {
		return nil, err
	}
	c := d.lookup(name)
	if c == nil {
		return nil, vfs.ENOENT
	}
	return c, nil
}

// link enters c as name in directory n and updates n's size and times as
// Linux's simple_offset_add callers do. mu is held.
func (n *node) link(name string, c *node) {
	n.d.add(name, c)
	n.size.Add(bogoDirentSize)
	n.touchCM()
}

// unlinkEntry removes name from directory n and updates n's size and
// times and the victim's ctime and nlink. mu is held.
func (n *node) unlinkEntry(name string, c *node) {
	if c.nlink.Load() > 1 && !c.mode.Load().IsDir() {
		n.fs.unreserveIspace(bogoInodeSize)
	}
	n.d.remove(name)
	n.size.Add(-(bogoDirentSize))
	n.touchCM()
	c.storeTime(iCtime, n.loadTime(iCtime))
	c.nlink.Add(^uint32(0))
}

// create makes a child of directory n with mode, after the checks every
// creation shares: ENOTDIR, a bad name, ENOENT in a removed directory,
// EEXIST, ENOSPC. init, when not nil, completes the node before it is
// entered and may fail, which undoes the creation. mu is held.
func (n *node) create(name string, o vfs.CreateOpts, mode vfs.Mode, init func(*node) error) (*node, error) {
	d, err := n.dirOf(name)
	if err != nil {
		return nil, err
	}
	if n.nlink.Load() == 0 {
		return nil, vfs.ENOENT
	}
	if d.lookup(name) != nil {
		return nil, vfs.EEXIST
	}
	c, err := n.fs.newNode(mode, o.UID, o.GID)
	if err != nil {
		return nil, err
	}
	if init != nil {
		if err := init(c); err != nil {
			c.nlink.Store(0)
			c.maybeEvict()
			return nil, err
		}
	}
	if c.mode.Load().IsDir() {
		c.d.parent = n
		n.nlink.Add(1)
	}
	n.link(name, c)
	return c, nil
}

// Create makes a regular file with o's permission bits.
func (n *node) Create(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	n.fs.lock()
	defer n.fs.unlock()
	return n.create(name, o, vfs.ModeRegular|o.Mode&0o7777, nil)
}

// Mkdir makes a directory with o's permission bits.
func (n *node) Mkdir(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	n.fs.lock()
	defer n.fs.unlock()
	return n.create(name, o, vfs.ModeDir|o.Mode&0o7777, nil)
}

// Mknod makes a character or block device, FIFO or socket, or a regular
// file when o.Mode has no type or S_IFREG, as mknod(2); EPERM for a
// directory, EINVAL for another type.
func (n *node) Mknod(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	mode := o.Mode
	switch mode.Type() {
	case vfs.ModeCharDevice, vfs.ModeBlockDevice, vfs.ModeFIFO, vfs.ModeSocket, vfs.ModeRegular:
	case 0:
		mode |= vfs.ModeRegular
	case vfs.ModeDir:
		return nil, vfs.EPERM
	default:
		return nil, vfs.EINVAL
	}
	n.fs.lock()
	defer n.fs.unlock()
	return n.create(name, o, mode.Type()|mode&0o7777, func(c *node) error {
		if t := mode.Type(); t == vfs.ModeCharDevice || t == vfs.ModeBlockDevice {
			c.extra().rdev = o.Rdev
		}
		return nil
	})
}

// Symlink makes a symbolic link to target, with mode 0777 whatever
// o.Mode says. ENOENT for an empty target, ENAMETOOLONG for one of 4096
// bytes or more, ENOSPC when a target of 128 bytes or more finds no page.
func (n *node) Symlink(name, target string, o vfs.CreateOpts) (vfs.Inode, error) {
	switch {
	case target == "":
		return nil, vfs.ENOENT
	case len(target)+1 > pageSize:
		return nil, vfs.ENAMETOOLONG
	}
	n.fs.lock()
	defer n.fs.unlock()
	return n.create(name, o, vfs.ModeSymlink|0o777, func(c *node) error {
		if len(target)+1 > shortSymlinkLen {
			if !n.fs.allocBlock() {
				return vfs.ENOSPC
			}
			c.flags |= longLink
			c.syncBlocks()
		}
		c.extra().target = target
		c.size.Store(int64(len(target)))
		return nil
	})
}

// Link gives target the extra name name. EXDEV for an inode of another
// filesystem, EPERM for a directory, ENOENT for an inode with no name
// left, ENOSPC when the inode budget is spent (tmpfs counts every link).
func (n *node) Link(name string, target vfs.Inode) error {
	c, ok := target.(*node)
	if !ok || c.fs != n.fs {
		return vfs.EXDEV
	}
	n.fs.lock()
	defer n.fs.unlock()
	d, err := n.dirOf(name)
	if err != nil {
		return err
	}
	switch {
	case c.mode.Load().IsDir():
		return vfs.EPERM
	case n.nlink.Load() == 0 || c.nlink.Load() == 0:
		return vfs.ENOENT
	case d.lookup(name) != nil:
		return vfs.EEXIST
	}
	if err := n.fs.reserveIspace(bogoInodeSize); err != nil {
		return err
	}
	n.link(name, c)
	c.storeTime(iCtime, n.loadTime(iCtime))
	c.nlink.Add(1)
	return nil
}

// Unlink removes the non-directory name: ENOENT, EISDIR.
func (n *node) Unlink(name string) error {
	n.fs.lock()
	defer n.fs.unlock()
	d, err := n.dirOf(name)
	if err != nil {
		return err
	}
	c := d.lookup(name)
	switch {
	case c == nil:
		return vfs.ENOENT
	case c.mode.Load().IsDir():
		return vfs.EISDIR
	}
	n.unlinkEntry(name, c)
	c.maybeEvict()
	return nil
}

// Rmdir removes the empty directory name: ENOENT, ENOTDIR, ENOTEMPTY.
func (n *node) Rmdir(name string) error {
	n.fs.lock()
	defer n.fs.unlock()
	d, err := n.dirOf(name)
	if err != nil {
		return err
	}
	c := d.lookup(name)
	switch {
	case c == nil:
		return vfs.ENOENT
	case !c.mode.Load().IsDir():
		return vfs.ENOTDIR
	case !c.d.empty():
		return vfs.ENOTEMPTY
	}
	n.unlinkEntry(name, c)
	c.nlink.Store(0)
	n.nlink.Add(^uint32(0))
	c.maybeEvict()
	return nil
}

// isAncestor reports whether a is n or a directory above n. mu is held.
func (n *node) isAncestor(a *node) bool {
	for e := n; ; e = e.d.parent {
		if e == a {
			return true
		}
		if e.d.parent == e {
			return false
		}
	}
}

// Rename moves oldName in n to newName in newDir, as Linux's
// shmem_rename2 after vfs_rename's checks, which it repeats: EINVAL for
// unknown or conflicting flags, EXDEV, ENOENT, EEXIST (RENAME_NOREPLACE),
// EINVAL for a move below itself, ENOTDIR, EISDIR, ENOTEMPTY for a
// non-empty directory replaced. Renaming a name onto another name of the
// same inode does nothing. RENAME_WHITEOUT leaves at oldName a character
// device 0:0 of mode 0, which costs an inode (ENOSPC). Linux gives it the
// renaming process's fsuid and fsgid; Rename knows no credentials, so it
// belongs to root, the usual caller (overlayfs).
func (n *node) Rename(oldName string, newDir vfs.Inode, newName string, flags uint32) error {
	nd, ok := newDir.(*node)
	if !ok || nd.fs != n.fs {
		return vfs.EXDEV
	}
	if flags&^(vfs.RENAME_NOREPLACE|vfs.RENAME_EXCHANGE|vfs.RENAME_WHITEOUT) != 0 ||
		flags&vfs.RENAME_EXCHANGE != 0 && flags&(vfs.RENAME_NOREPLACE|vfs.RENAME_WHITEOUT) != 0 {
		return vfs.EINVAL
	}
	fsys := n.fs
	fsys.lock()
	defer fsys.unlock()
	od, err := n.dirOf(oldName)
	if err != nil {
		return err
	}
	dd, err := nd.dirOf(newName)
	if err != nil {
		return err
	}
	src := od.lookup(oldName)
	if src == nil {
		return vfs.ENOENT
	}
	dst := dd.lookup(newName)
	exchange := flags&vfs.RENAME_EXCHANGE != 0
	switch {
	case dst != nil && flags&vfs.RENAME_NOREPLACE != 0:
		return vfs.EEXIST
	case dst == nil && exchange:
		return vfs.ENOENT
	case src.mode.Load().IsDir() && nd.isAncestor(src):
		return vfs.EINVAL
	case dst != nil && dst.mode.Load().IsDir() && n.isAncestor(dst):
		if exchange {
			return vfs.EINVAL
		}
		return vfs.ENOTEMPTY
	case dst == src:
		return nil
	case nd.nlink.Load() == 0:
		return vfs.ENOENT
	}
	if exchange {
		n.exchange(oldName, nd, newName, src, dst)
		return nil
	}
	if dst != nil {
		switch {
		case src.mode.Load().IsDir() && !dst.mode.Load().IsDir():
			return vfs.ENOTDIR
		case !src.mode.Load().IsDir() && dst.mode.Load().IsDir():
			return vfs.EISDIR
		case dst.mode.Load().IsDir() && !dst.d.empty():
			return vfs.ENOTEMPTY
		}
	}
	var whiteout *node
	if flags&vfs.RENAME_WHITEOUT != 0 {
		whiteout, err = fsys.newNode(vfs.ModeCharDevice, 0, 0)
		if err != nil {
			return err
		}
	}
	if dst != nil {
		nd.unlinkEntry(newName, dst)
		if dst.mode.Load().IsDir() {
			dst.nlink.Store(0)
			n.nlink.Add(^uint32(0))
		}
		dst.maybeEvict()
	} else if src.mode.Load().IsDir() {
		n.nlink.Add(^uint32(0))
		nd.nlink.Add(1)
	}
	od.remove(oldName)
	n.size.Add(-(bogoDirentSize))
	if whiteout != nil {
		n.link(oldName, whiteout)
	}
	nd.d.add(newName, src)
	nd.size.Add(bogoDirentSize)
	if src.mode.Load().IsDir() {
		src.d.parent = nd
	}
	renameTimes(n, nd, src, dst)
	return nil
}

// exchange swaps the inodes behind oldName in n and newName in nd; each
// name keeps its readdir cookie. mu is held.
func (n *node) exchange(oldName string, nd *node, newName string, src, dst *node) {
	n.d.names.find(oldName).n = dst
	nd.d.names.find(newName).n = src
	if n != nd {
		switch {
		case src.mode.Load().IsDir() && !dst.mode.Load().IsDir():
			n.nlink.Add(^uint32(0))
			nd.nlink.Add(1)
		case !src.mode.Load().IsDir() && dst.mode.Load().IsDir():
			nd.nlink.Add(^uint32(0))
			n.nlink.Add(1)
		}
	}
	if src.mode.Load().IsDir() {
		src.d.parent = nd
	}
	if dst.mode.Load().IsDir() {
		dst.d.parent = n
	}
	renameTimes(n, nd, src, dst)
}

// renameTimes stamps a rename as Linux's simple_rename_timestamp: both
// directories' mtime and ctime, and the ctime of the moved inode and of
// the one it replaced or was exchanged with. mu is held.
func renameTimes(oldDir, newDir, src, dst *node) {
	now := vfs.Now()
	oldDir.storeTime(iMtime, now)
	oldDir.storeTime(iCtime, now)
	newDir.storeTime(iMtime, now)
	newDir.storeTime(iCtime, now)
	src.storeTime(iCtime, now)
	if dst != nil {
		dst.storeTime(iCtime, now)
	}
}
