package ext4

import (
	"github.com/mountkit/mountkit/vfs"
)

// The changing operations of a read-write mount. Each takes the
// filesystem's write lock (FS.wmu) for its whole length; the vfs layer
// has checked permissions, types and the read-only state.

// linkMax is EXT4_LINK_MAX.
const linkMax = 65000

// writable checks that n is an inode this package changes: EROFS on a
// read-only filesystem, EOPNOTSUPP for inline data and block maps
// (see the package doc).
func (f *FS) writable(n *node) error {
	if !f.rw {
		return vfs.EROFS
	}
	if n.err != nil {
		return n.err
	}
	if n.freed {
		return vfs.ENOENT
	}
	if n.r.flags&flagInlineData != 0 {
		return vfs.EOPNOTSUPP
	}
	return nil
}

// dirOp starts a directory change: the write lock, and checks.
func (n *node) dirOp(name string) error {
	f := n.f
	if err := f.writable(n); err != nil {
		return err
	}
	if !n.r.mode.IsDir() {
		return vfs.ENOTDIR
	}
	if len(name) > vfs.NameMax {
		return vfs.ENAMETOOLONG
	}
	if len(name) == 0 || isDot([]byte(name)) {
		return vfs.EINVAL
	}
	if n.r.links == 0 {
		return vfs.ENOENT // a removed directory
	}
	return nil
}

// touchDir sets a directory's mtime and ctime to now.
func (f *FS) touchDir(dir *node) error {
	t := now()
	dir.r.mtime, dir.r.ctime = t, t
	return f.putInode(dir.r)
}

// create makes a new inode of o.Mode under name in directory n; fill
// initialises it (data, link target) before its entry is added.
func (n *node) create(name string, o vfs.CreateOpts, fill func(c *node) error) (vfs.Inode, error) {
	f := n.f
	f.wmu.Lock()
	defer f.wmu.Unlock()
	defer f.maybeFlush()
	if err := n.dirOp(name); err != nil {
		return nil, err
	}
	if _, err := f.lookupNode(n, name); err == nil {
		return nil, vfs.EEXIST
	} else if err != vfs.ENOENT {
		return nil, err
	}
	if o.Mode.IsDir() && n.r.links >= linkMax && !(f.sb.roCompat&roCompatDirNlink != 0 && f.isDx(n.r)) {
		return nil, vfs.EMLINK
	}
	if err := f.checkDirWritable(n); err != nil {
		return nil, err
	}
	c, err := f.newInode(n.r, o)
	if err != nil {
		return nil, err
	}
	if fill != nil {
		if err := fill(c); err != nil {
			c.r.links = 0
			_ = f.releaseInode(c)
			return nil, err
		}
	}
	if err := f.addEntry(n, name, c.r.ino, o.Mode); err != nil {
		c.r.links = 0
		_ = f.releaseInode(c)
		return nil, err
	}
	if o.Mode.IsDir() {
		f.incLinks(n.r)
	}
	if err := f.touchDir(n); err != nil {
		return nil, err
	}
	return c, nil
}

// incLinks and decLinks are ext4_inc_count and ext4_dec_count: a
// directory past EXT4_LINK_MAX links (dir_nlink) counts 1.
func (f *FS) incLinks(r *rawInode) {
	r.links++
	if r.mode.IsDir() && (r.links > linkMax || r.links == 2) && f.isDx(r) {
		r.links = 1
	}
}

func (f *FS) decLinks(r *rawInode) {
	if !r.mode.IsDir() || r.links > 2 {
		r.links--
	}
}

// Create makes a regular file.
func (n *node) Create(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	o.Mode = vfs.ModeRegular | o.Mode&0o7777
	return n.create(name, o, nil)
}

// Mkdir makes a directory with its first block of "." and "..".
func (n *node) Mkdir(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	o.Mode = vfs.ModeDir | o.Mode&0o7777
	return n.create(name, o, func(c *node) error {
		c.r.links = 2
		b, err := n.f.appendDirBlock(c)
		if err != nil {
			return err
		}
		n.f.initDirBlock(c.r, b, n.r.ino)
		return n.f.putInode(c.r)
	})
}

// Mknod makes a device node, FIFO or socket.
func (n *node) Mknod(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	switch o.Mode.Type() {
	case vfs.ModeCharDevice, vfs.ModeBlockDevice, vfs.ModeFIFO, vfs.ModeSocket:
	case vfs.ModeRegular, 0:
		o.Mode = vfs.ModeRegular | o.Mode&0o7777
	default:
		return nil, vfs.EINVAL
	}
	return n.create(name, o, nil)
}

// Symlink makes a symbolic link: fast (in i_block) below 60 bytes, in a
// data block otherwise. ENAMETOOLONG for a target of a block or more.
func (n *node) Symlink(name, target string, o vfs.CreateOpts) (vfs.Inode, error) {
	if len(target) >= n.f.sb.blockSize || len(target) >= 4096 {
		return nil, vfs.ENAMETOOLONG
	}
	if len(target) == 0 {
		return nil, vfs.ENOENT
	}
	o.Mode = vfs.ModeSymlink | 0o777
	return n.create(name, o, func(c *node) error {
		r := c.r
		if len(target) < iBlockBytes {
			r.flags &^= flagExtents
			clear(r.iblock())
			copy(r.iblock(), target)
			r.size = int64(len(target))
			return n.f.putInode(r)
		}
		_, err := n.f.writeData(c, []byte(target), 0)
		return err
	})
}

// Link gives target another name.
func (n *node) Link(name string, target vfs.Inode) error {
	t, ok := target.(*node)
	if !ok || t.f != n.f {
		return vfs.EXDEV
	}
	f := n.f
	f.wmu.Lock()
	defer f.wmu.Unlock()
	if err := n.dirOp(name); err != nil {
		return err
	}
	if t.err != nil || t.freed {
		return vfs.ENOENT
	}
	if t.r.mode.IsDir() {
		return vfs.EPERM
	}
	if t.r.links >= linkMax {
		return vfs.EMLINK
	}
	if t.r.links == 0 {
		return vfs.ENOENT
	}
	if _, err := f.lookupNode(n, name); err == nil {
		return vfs.EEXIST
	} else if err != vfs.ENOENT {
		return err
	}
	if err := f.addEntry(n, name, t.r.ino, t.r.mode); err != nil {
		return err
	}
	t.r.links++
	t.r.ctime = now()
	if err := f.putInode(t.r); err != nil {
		return err
	}
	return f.touchDir(n)
}

// entryToRemove finds name in directory n for Unlink or Rmdir: its
// entry and its inode.
func (n *node) entryToRemove(name string) (entryLoc, *node, error) {
	if err := n.dirOp(name); err != nil {
		return entryLoc{}, nil, err
	}
	l, err := n.f.findEntry(n, name)
	if err != nil {
		return entryLoc{}, nil, err
	}
	c, err := n.f.inode(l.ino)
	if err != nil {
		return entryLoc{}, nil, err
	}
	return l, c, nil
}

// Unlink removes a non-directory's name; the inode goes with its last
// link once no open file holds it.
func (n *node) Unlink(name string) error {
	f := n.f
	f.wmu.Lock()
	defer f.wmu.Unlock()
	defer f.maybeFlush()
	l, c, err := n.entryToRemove(name)
	if err != nil {
		return err
	}
	if c.r.mode.IsDir() {
		return vfs.EISDIR
	}
	if err := f.checkReleasable(c); err != nil {
		return err
	}
	f.removeAt(n, l)
	if err := f.touchDir(n); err != nil {
		return err
	}
	return f.dropLink(c)
}

// checkReleasable refuses (EOPNOTSUPP) to take the last link of an
// inode this package could not free right: one with an xattr value in
// its own inode (ea_inode), whose reference count would have to drop.
func (f *FS) checkReleasable(c *node) error {
	if c.r.links > 1 && !c.r.mode.IsDir() || f.sb.incompat&incompatEAInode == 0 {
		return nil
	}
	xs, err := f.xattrs(c.r)
	if err != nil {
		return err
	}
	for _, x := range xs {
		if x.inum != 0 {
			return vfs.EOPNOTSUPP
		}
	}
	return nil
}

// dropLink takes one link from c, freeing it when none is left and
// nothing holds it.
func (f *FS) dropLink(c *node) error {
	if c.r.mode.IsDir() {
		c.r.links = 0
		c.r.size = 0
	} else if c.r.links > 0 {
		c.r.links--
	}
	c.r.ctime = now()
	if c.r.links == 0 && c.pins == 0 {
		return f.releaseInode(c)
	}
	return f.putInode(c.r)
}

// Rmdir removes an empty directory.
func (n *node) Rmdir(name string) error {
	f := n.f
	f.wmu.Lock()
	defer f.wmu.Unlock()
	l, c, err := n.entryToRemove(name)
	if err != nil {
		return err
	}
	if !c.r.mode.IsDir() {
		return vfs.ENOTDIR
	}
	if empty, err := f.dirEmpty(c); err != nil {
		return err
	} else if !empty {
		return vfs.ENOTEMPTY
	}
	if err := f.checkReleasable(c); err != nil {
		return err
	}
	f.removeAt(n, l)
	f.decLinks(n.r)
	if err := f.touchDir(n); err != nil {
		return err
	}
	return f.dropLink(c)
}

// Pin notes a holder of n (an open file, a cwd).
func (n *node) Pin() {
	n.f.wmu.Lock()
	n.pins++
	n.f.wmu.Unlock()
}

// Unpin drops a holder; an unlinked inode goes with its last one.
func (n *node) Unpin() {
	f := n.f
	f.wmu.Lock()
	defer f.wmu.Unlock()
	n.pins--
	if n.pins == 0 && n.r != nil && n.r.links == 0 && !n.freed && f.rw {
		if err := f.releaseInode(n); err != nil {
			f.setErr(err)
		}
	}
}

// Setattr changes mode, owner, size and times; ctime becomes now unless
// given.
func (n *node) Setattr(s *vfs.SetAttr) error {
	f := n.f
	f.wmu.Lock()
	defer f.wmu.Unlock()
	if !f.rw {
		return vfs.EROFS
	}
	if n.err != nil {
		return n.err
	}
	if n.freed {
		return vfs.ESTALE // its number may belong to another inode now
	}
	r := n.r
	t := now()
	if s.Mask&vfs.SetSize != 0 {
		switch {
		case r.mode.IsDir():
			return vfs.EISDIR
		case !r.mode.IsRegular():
			return vfs.EINVAL
		}
		if err := f.writable(n); err != nil {
			return err
		}
		if err := f.truncate(n, s.Size); err != nil {
			return err
		}
		if s.Mask&vfs.SetMtime == 0 {
			r.mtime = t
		}
	}
	if s.Mask&vfs.SetMode != 0 {
		r.mode = r.mode.Type() | s.Mode&0o7777
	}
	if s.Mask&vfs.SetUID != 0 {
		r.uid = s.UID
	}
	if s.Mask&vfs.SetGID != 0 {
		r.gid = s.GID
	}
	if s.Mask&vfs.SetAtime != 0 {
		r.atime = s.Atime
	}
	if s.Mask&vfs.SetMtime != 0 {
		r.mtime = s.Mtime
	}
	if s.Mask&vfs.SetCtime != 0 {
		r.ctime = s.Ctime
	} else {
		r.ctime = t
	}
	return f.putInode(r)
}
