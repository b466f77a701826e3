package overlay

import (
	"github.com/mountkit/mountkit/vfs"
)

// The directory operations below are called by the overlay's dentry
// layer with the merged directory locked, after the generic checks
// (EEXIST, ENOENT, the types of rename). They change the upper layer only
// through its dentries, so that the upper filesystem's own dentry cache
// stays right.

// newWhiteout makes a whiteout in the work directory under a temporary
// name, as Linux's ovl_whiteout does: a link to the overlay's shared
// whiteout where the upper filesystem allows it, else a fresh character
// device 0/0 of mode 0. fs.copyMu is held.
func (fsys *FS) newWhiteout() (string, error) {
	w := fsys.work
	wo := vfs.CreateOpts{Mode: vfs.ModeCharDevice}
	if fsys.whiteout == nil || fsys.whiteout.Dead() {
		name := tempName()
		d, err := w.Mknod(name, wo)
		if err != nil {
			return "", err
		}
		fsys.whiteout = d
	}
	if !fsys.noShare {
		name := tempName()
		if _, err := w.Link(name, fsys.whiteout); err == nil {
			return name, nil
		} else if err != vfs.EMLINK {
			fsys.noShare = true
		}
	}
	// The shared whiteout itself is used up; the next one makes another.
	name := fsys.whiteout.Name()
	fsys.whiteout = nil
	return name, nil
}

// createObject makes name in n with make (which creates it in the work
// directory under the name it is given) and returns its node: directly in
// the upper directory, or staged in the work directory and exchanged
// with the whiteout that hides the name (Linux's ovl_create_over_whiteout),
// a new directory then being opaque.
func (n *node) createObject(name string, make func(dir *vfs.Dentry, name string) (*vfs.Dentry, error)) (vfs.Inode, error) {
	fsys := n.fs
	if fsys.upper == nil {
		return nil, vfs.EROFS
	}
	fsys.copyMu.Lock()
	defer fsys.copyMu.Unlock()
	pu, err := n.copyUpLocked()
	if err != nil {
		return nil, err
	}
	l, err := n.lookupLayers(name)
	if err != nil {
		return nil, err
	}
	var d *vfs.Dentry
	if l.upper == nil {
		if d, err = make(pu, name); err != nil {
			return nil, err
		}
	} else {
		if !l.whiteout {
			return nil, vfs.EEXIST
		}
		tmp := tempName()
		staged, err := make(fsys.work, tmp)
		if err != nil {
			return nil, err
		}
		if staged.IsDir() {
			if err := staged.Inode().Setxattr(fsys.prefix+"opaque", []byte("y"), 0); err != nil {
				_ = removeTree(fsys.work, tmp)
				return nil, err
			}
		}
		if err := fsys.work.Rename(tmp, pu, name, vfs.RENAME_EXCHANGE, nil); err != nil {
			_ = removeTree(fsys.work, tmp)
			return nil, err
		}
		_ = fsys.work.Unlink(tmp, nil) // the whiteout, now in work
		if d, err = pu.Lookup(name); err != nil {
			return nil, err
		}
	}
	c := &node{fs: fsys, parent: n, name: name, typ: d.Type()}
	c.upper.Store(d)
	n.mu.Lock()
	n.setChild(name, c)
	n.mu.Unlock()
	return c, nil
}

// Create makes a regular file in the upper layer.
func (n *node) Create(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	return n.createObject(name, func(dir *vfs.Dentry, name string) (*vfs.Dentry, error) { return dir.Create(name, o) })
}

// Mkdir makes a directory in the upper layer, opaque over a whiteout.
func (n *node) Mkdir(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	return n.createObject(name, func(dir *vfs.Dentry, name string) (*vfs.Dentry, error) { return dir.Mkdir(name, o) })
}

// Mknod makes a device node, FIFO or socket in the upper layer; a
// character device 0/0, which would be a whiteout, is EPERM.
func (n *node) Mknod(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	if o.Mode.Type() == vfs.ModeCharDevice && o.Rdev == 0 {
		return nil, vfs.EPERM
	}
	return n.createObject(name, func(dir *vfs.Dentry, name string) (*vfs.Dentry, error) { return dir.Mknod(name, o) })
}

// Symlink makes a symbolic link in the upper layer.
func (n *node) Symlink(name, target string, o vfs.CreateOpts) (vfs.Inode, error) {
	return n.createObject(name, func(dir *vfs.Dentry, name string) (*vfs.Dentry, error) { return dir.Symlink(name, target, o) })
}

// Link copies target up and links its upper file as name.
func (n *node) Link(name string, target vfs.Inode) error {
	t, ok := target.(*node)
	if !ok || t.fs != n.fs {
		return vfs.EXDEV
	}
	tu, err := t.copyUp()
	if err != nil {
		return err
	}
	if _, err := n.createObject(name, func(dir *vfs.Dentry, name string) (*vfs.Dentry, error) { return dir.Link(name, tu) }); err != nil {
		return err
	}
	// Both names are one file: the new name shares the target's node.
	n.mu.Lock()
	n.setChild(name, t)
	n.mu.Unlock()
	return nil
}

// childNode returns the node of the visible entry name, or ENOENT.
func (n *node) childNode(name string) (*node, error) {
	i, err := n.Lookup(name)
	if err != nil {
		return nil, err
	}
	return i.(*node), nil
}

// Unlink removes the non-directory name, leaving a whiteout if a lower
// layer has the name.
func (n *node) Unlink(name string) error { return n.remove(name, false) }

// Rmdir removes the directory name, which must look empty (ENOTEMPTY),
// leaving a whiteout if a lower layer has the name.
func (n *node) Rmdir(name string) error { return n.remove(name, true) }

func (n *node) remove(name string, dir bool) error {
	fsys := n.fs
	if fsys.upper == nil {
		return vfs.EROFS
	}
	c, err := n.childNode(name)
	if err != nil {
		return err
	}
	if dir {
		if err := c.checkEmpty(); err != nil {
			return err
		}
	}
	fsys.copyMu.Lock()
	defer fsys.copyMu.Unlock()
	pu, err := n.copyUpLocked()
	if err != nil {
		return err
	}
	cu := c.upper.Load()
	switch {
	case !n.lowerPositive(name, c):
		// Pure upper: no lower name to hide.
		if dir {
			err = pu.Rmdir(name, nil)
		} else {
			err = pu.Unlink(name, nil)
		}
	case cu == nil:
		var wo string
		if wo, err = fsys.newWhiteout(); err == nil {
			if err = fsys.work.Rename(wo, pu, name, 0, nil); err != nil {
				_ = fsys.work.Unlink(wo, nil)
			}
		}
	default:
		// Exchange the upper entry with a whiteout, then remove it
		// from the work directory (with the whiteouts a directory
		// may hold).
		var wo string
		if wo, err = fsys.newWhiteout(); err == nil {
			if err = fsys.work.Rename(wo, pu, name, vfs.RENAME_EXCHANGE, nil); err != nil {
				_ = fsys.work.Unlink(wo, nil)
			} else {
				_ = removeTree(fsys.work, wo)
			}
		}
	}
	if err != nil {
		return err
	}
	n.dropChild(name)
	return nil
}

// lowerPositive reports whether a lower layer of directory n shows the
// name of its child c, which then needs a whiteout when c goes (Linux's
// ovl_lower_positive).
func (n *node) lowerPositive(name string, c *node) bool {
	if c.upper.Load() == nil {
		return true
	}
	for _, ld := range n.lowers {
		d, err := ld.Lookup(name)
		switch {
		case err == vfs.ENOENT || err == vfs.ENAMETOOLONG:
			continue
		case err != nil:
			// Something may be there that could not be read: assume
			// it is, so that a removal leaves a whiteout (Linux does
			// the same).
			return true
		}
		return !n.fs.isWhiteout(d)
	}
	return false
}

// checkEmpty reports ENOTEMPTY when the merged directory shows entries.
func (n *node) checkEmpty() error {
	empty := true
	err := n.readMerged(true, func(e vfs.DirEntry) bool {
		empty = false
		return false
	})
	if err != nil {
		return err
	}
	if !empty {
		return vfs.ENOTEMPTY
	}
	return nil
}

// Rename moves oldName in n to newName in newDir, with Linux's rules for
// overlays without redirect_dir: a directory that has a lower layer
// cannot move (EXDEV, so that tools fall back to copying); a moved file
// is copied up first and leaves a whiteout where a lower layer has its
// old name; a directory moved into a merged directory becomes opaque.
// RENAME_WHITEOUT is EINVAL, as in Linux.
func (n *node) Rename(oldName string, newDir vfs.Inode, newName string, flags uint32) error {
	nd, ok := newDir.(*node)
	if !ok || nd.fs != n.fs {
		return vfs.EXDEV
	}
	fsys := n.fs
	if flags&vfs.RENAME_WHITEOUT != 0 {
		return vfs.EINVAL
	}
	if fsys.upper == nil {
		return vfs.EROFS
	}
	if flags&vfs.RENAME_EXCHANGE != 0 {
		return n.exchange(oldName, nd, newName)
	}
	src, err := n.childNode(oldName)
	if err != nil {
		return err
	}
	isDir := src.typ == vfs.ModeDir
	if isDir && len(src.lowers) > 0 {
		return vfs.EXDEV
	}
	dst, err := nd.childNode(newName)
	switch {
	case err == vfs.ENOENT:
		dst = nil
	case err != nil:
		return err
	}
	if dst != nil && dst.typ == vfs.ModeDir && len(dst.lowers) > 0 {
		if err := dst.checkEmpty(); err != nil {
			return err
		}
	}
	if _, err := src.copyUp(); err != nil {
		return err
	}
	fsys.copyMu.Lock()
	defer fsys.copyMu.Unlock()
	opu, err := n.copyUpLocked()
	if err != nil {
		return err
	}
	npu, err := nd.copyUpLocked()
	if err != nil {
		return err
	}
	l, err := nd.lookupLayers(newName)
	if err != nil {
		return err
	}
	if dst != nil && dst.typ == vfs.ModeDir && len(dst.lowers) > 0 && l.upper != nil {
		// The merged target may hold whiteouts: swap in an empty
		// opaque directory first (Linux's ovl_clear_empty).
		if err := fsys.clearEmpty(npu, newName); err != nil {
			return err
		}
	}
	if isDir && !fsys.isOpaque(src.upper.Load()) && nd.merged() {
		if err := src.upper.Load().Inode().Setxattr(fsys.prefix+"opaque", []byte("y"), 0); err != nil {
			return vfs.EXDEV
		}
	}
	if len(src.lowers) > 0 && n != nd {
		if err := fsys.setImpure(npu); err != nil {
			return err
		}
	}
	var rflags uint32
	cleanup := false
	positive := n.lowerPositive(oldName, src)
	switch {
	case positive && l.whiteout:
		rflags = vfs.RENAME_EXCHANGE // the whiteout moves to the old name
	case positive:
		rflags = vfs.RENAME_WHITEOUT
	case l.whiteout:
		rflags, cleanup = vfs.RENAME_EXCHANGE, true
	}
	if err := opu.Rename(oldName, npu, newName, rflags, nil); err != nil {
		return err
	}
	if cleanup {
		_ = opu.Unlink(oldName, nil)
	}
	n.dropChild(oldName)
	src.parent, src.name = nd, newName
	nd.mu.Lock()
	nd.setChild(newName, src)
	nd.mu.Unlock()
	return nil
}

// exchange is Rename with RENAME_EXCHANGE: both entries are copied up
// and swapped in the upper layer; a directory that has a lower layer
// cannot move (EXDEV), and an upper directory that lands in a merged
// directory becomes opaque. No whiteout is needed: both names stay.
func (n *node) exchange(oldName string, nd *node, newName string) error {
	fsys := n.fs
	src, err := n.childNode(oldName)
	if err != nil {
		return err
	}
	dst, err := nd.childNode(newName)
	if err != nil {
		return err
	}
	for _, c := range []*node{src, dst} {
		if c.typ == vfs.ModeDir && len(c.lowers) > 0 {
			return vfs.EXDEV
		}
	}
	for _, c := range []*node{src, dst} {
		if _, err := c.copyUp(); err != nil {
			return err
		}
	}
	fsys.copyMu.Lock()
	defer fsys.copyMu.Unlock()
	opu, err := n.copyUpLocked()
	if err != nil {
		return err
	}
	npu, err := nd.copyUpLocked()
	if err != nil {
		return err
	}
	for _, m := range []struct {
		c  *node
		to *node
	}{{src, nd}, {dst, n}} {
		u := m.c.upper.Load()
		if m.c.typ == vfs.ModeDir && !fsys.isOpaque(u) && m.to.merged() {
			if err := u.Inode().Setxattr(fsys.prefix+"opaque", []byte("y"), 0); err != nil {
				return vfs.EXDEV
			}
		}
	}
	if n != nd {
		for _, m := range []struct {
			c  *node
			to *vfs.Dentry
		}{{src, npu}, {dst, opu}} {
			if len(m.c.lowers) > 0 {
				if err := fsys.setImpure(m.to); err != nil {
					return err
				}
			}
		}
	}
	if err := opu.Rename(oldName, npu, newName, vfs.RENAME_EXCHANGE, nil); err != nil {
		return err
	}
	src.parent, src.name, dst.parent, dst.name = nd, newName, n, oldName
	lockPair(n, nd)
	n.setChild(oldName, dst)
	nd.setChild(newName, src)
	unlockPair(n, nd)
	return nil
}

// lockPair locks the children maps of a and b (which may be equal);
// fs.copyMu is held, so no other goroutine locks two at once.
func lockPair(a, b *node) {
	a.mu.Lock()
	if b != a {
		b.mu.Lock()
	}
}

func unlockPair(a, b *node) {
	if b != a {
		b.mu.Unlock()
	}
	a.mu.Unlock()
}

// clearEmpty replaces the upper directory name of dir, whose merged view
// is empty but which may hold whiteouts, with an empty opaque directory
// of the same attributes. fs.copyMu is held.
func (fsys *FS) clearEmpty(dir *vfs.Dentry, name string) error {
	old, err := dir.Lookup(name)
	if err != nil {
		return err
	}
	a, err := old.Inode().Getattr()
	if err != nil {
		return err
	}
	tmp := tempName()
	d, err := fsys.work.Mkdir(tmp, vfs.CreateOpts{Mode: a.Mode, UID: a.UID, GID: a.GID})
	if err != nil {
		return err
	}
	if err = fsys.copyXattrs(old, d); err == nil {
		err = d.Inode().Setxattr(fsys.prefix+"opaque", []byte("y"), 0)
	}
	if err == nil {
		err = fsys.work.Rename(tmp, dir, name, vfs.RENAME_EXCHANGE, nil)
	}
	if err != nil {
		_ = removeTree(fsys.work, tmp)
		return err
	}
	return removeTree(fsys.work, tmp)
}
