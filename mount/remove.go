package mount

import "github.com/mountkit/mountkit/vfs"

// checkSticky reports whether the sticky bit of dir forbids c to remove
// or replace victim: c owns neither and lacks CAP_FOWNER.
func checkSticky(dirAttr, victimAttr *vfs.Attr, cred *vfs.Cred) bool {
	if dirAttr.Mode&vfs.ModeSticky == 0 {
		return false
	}
	if cred.UID == victimAttr.UID || cred.UID == dirAttr.UID {
		return false
	}
	return !cred.Caps.Has(vfs.CAP_FOWNER)
}

// mayDeletePerm runs the permission part of Linux's may_delete: write and
// search on dir, then the sticky rule (EPERM).
func mayDeletePerm(dir, victim *vfs.Dentry, cred *vfs.Cred) error {
	da, err := dir.Inode().Getattr()
	if err != nil {
		return err
	}
	if err := vfs.Permission(&da, cred, vfs.MayWrite|vfs.MayExec); err != nil {
		return err
	}
	va, err := victim.Inode().Getattr()
	if err != nil {
		return err
	}
	if checkSticky(&da, &va, cred) {
		return vfs.EPERM
	}
	return nil
}

// mayDelete is Linux's may_delete followed by the mountpoint check of
// vfs_unlink and vfs_rmdir: permission, sticky bit, type (ENOTDIR or
// EISDIR), a dead directory (ENOENT), then EBUSY for a dentry mounted on
// in c's namespace.
func (c *FsContext) mayDelete(dir, victim *vfs.Dentry, isDir bool, cred *vfs.Cred) error {
	if err := mayDeletePerm(dir, victim, cred); err != nil {
		return err
	}
	switch {
	case isDir && !victim.IsDir():
		return vfs.ENOTDIR
	case !isDir && victim.IsDir():
		return vfs.EISDIR
	}
	if dir.Dead() {
		return vfs.ENOENT
	}
	if c.k.isLocalMountpoint(c.Namespace(), victim) {
		return vfs.EBUSY
	}
	return nil
}

// Unlink is unlink(2).
func (c *FsContext) Unlink(path string) error { return c.removeAt(path, false) }

// Rmdir is rmdir(2).
func (c *FsContext) Rmdir(path string) error { return c.removeAt(path, true) }

// removeAt is unlink(2) or, with isDir, rmdir(2), in Linux's order: the
// errors of ".", ".." and "/", EROFS, the lookup, then may_delete. A
// victim that is a mountpoint in other namespaces loses those mounts.
func (c *FsContext) removeAt(path string, isDir bool) error {
	var victim *vfs.Dentry
	defer func() { c.k.detachMountsOn(victim) }()
	c.k.mu.RLock()
	defer c.k.mu.RUnlock()
	w := c.walker()
	op, err := c.lookupParent(&w, path)
	if err != nil {
		return err
	}
	switch {
	case !isDir && op.kind != lastNorm:
		return vfs.EISDIR
	case op.kind == lastDotDot:
		return vfs.ENOTEMPTY
	case op.kind == lastDot:
		return vfs.EINVAL
	case op.kind == lastRoot:
		return vfs.EBUSY
	}
	if op.dir.Mount.readOnly() {
		return vfs.EROFS
	}
	if len(op.last) > vfs.NameMax {
		return vfs.ENAMETOOLONG
	}
	dir := op.dir.Dentry
	check := func(v *vfs.Dentry) error {
		if !isDir && op.trailing {
			if v.IsDir() {
				return vfs.EISDIR
			}
			return vfs.ENOTDIR
		}
		victim = v
		return c.mayDelete(dir, v, isDir, w.cred)
	}
	if isDir {
		return dir.Rmdir(op.last, check)
	}
	return dir.Unlink(op.last, check)
}

// Rename is rename(2).
func (c *FsContext) Rename(oldpath, newpath string) error {
	return c.Renameat2(oldpath, newpath, 0)
}

// Renameat2 is renameat2(2) with AT_FDCWD for both directories; flags are
// RENAME_NOREPLACE, RENAME_EXCHANGE and RENAME_WHITEOUT.
func (c *FsContext) Renameat2(oldpath, newpath string, flags uint32) error {
	if flags&^(vfs.RENAME_NOREPLACE|vfs.RENAME_EXCHANGE|vfs.RENAME_WHITEOUT) != 0 ||
		flags&vfs.RENAME_EXCHANGE != 0 && flags&(vfs.RENAME_NOREPLACE|vfs.RENAME_WHITEOUT) != 0 {
		return vfs.EINVAL
	}
	var victim *vfs.Dentry
	defer func() { c.k.detachMountsOn(victim) }()
	c.k.mu.RLock()
	defer c.k.mu.RUnlock()
	w := c.walker()
	from, err := c.lookupParent(&w, oldpath)
	if err != nil {
		return err
	}
	w = c.walker()
	to, err := c.lookupParent(&w, newpath)
	if err != nil {
		return err
	}
	cred := w.cred
	if from.dir.Mount != to.dir.Mount {
		return vfs.EXDEV
	}
	if from.kind != lastNorm {
		return vfs.EBUSY
	}
	if to.kind != lastNorm {
		if flags&vfs.RENAME_NOREPLACE != 0 {
			return vfs.EEXIST
		}
		return vfs.EBUSY
	}
	if from.dir.Mount.readOnly() {
		return vfs.EROFS
	}
	for _, n := range []string{from.last, to.last} {
		if len(n) > vfs.NameMax {
			return vfs.ENAMETOOLONG
		}
	}
	src, err := from.dir.Dentry.Lookup(from.last)
	if err != nil {
		return err
	}
	dst, err := to.dir.Dentry.Lookup(to.last)
	switch {
	case err == vfs.ENOENT:
		dst = nil
	case err != nil:
		return err
	}
	exchange := flags&vfs.RENAME_EXCHANGE != 0
	if dst != nil && flags&vfs.RENAME_NOREPLACE != 0 {
		return vfs.EEXIST
	}
	if exchange {
		if dst == nil {
			return vfs.ENOENT
		}
		if !dst.IsDir() && to.trailing {
			return vfs.ENOTDIR
		}
	}
	if !src.IsDir() && (from.trailing || !exchange && to.trailing) {
		return vfs.ENOTDIR
	}
	// The ancestry traps and a rename onto the source's own inode come
	// before the permission checks (do_renameat2, then vfs_rename);
	// Dentry.Rename checks them again under its locks.
	if to.dir.Dentry.IsAncestor(src) {
		return vfs.EINVAL
	}
	if dst != nil && from.dir.Dentry.IsAncestor(dst) {
		if exchange {
			return vfs.EINVAL
		}
		return vfs.ENOTEMPTY
	}
	if dst != nil && src.Inode() == dst.Inode() {
		return nil
	}
	if err := mayDeletePerm(from.dir.Dentry, src, cred); err != nil {
		return err
	}
	if dst == nil {
		err = mayCreate(to.dir.Dentry, cred)
	} else {
		err = mayDeletePerm(to.dir.Dentry, dst, cred)
	}
	if err != nil {
		return err
	}
	if dst != nil && !exchange {
		switch {
		case src.IsDir() && !dst.IsDir():
			return vfs.ENOTDIR
		case !src.IsDir() && dst.IsDir():
			return vfs.EISDIR
		}
	}
	// A directory that changes parent gets a new "..": it must be
	// writable itself.
	if from.dir.Dentry != to.dir.Dentry {
		for _, d := range []*vfs.Dentry{src, dst} {
			if d == nil || !d.IsDir() || (d == dst && !exchange) {
				continue
			}
			a, err := d.Inode().Getattr()
			if err != nil {
				return err
			}
			if err := vfs.Permission(&a, cred, vfs.MayWrite); err != nil {
				return err
			}
		}
	}
	ns := c.Namespace()
	return from.dir.Dentry.Rename(from.last, to.dir.Dentry, to.last, flags, func(d *vfs.Dentry) error {
		if c.k.isLocalMountpoint(ns, d) {
			return vfs.EBUSY
		}
		if d == dst && !exchange {
			victim = d
		}
		return nil
	})
}

// detachMountsOn unmounts, in every namespace, the mounts on d once d is
// gone (Linux's __detach_mounts, after an unlink, rmdir or rename over a
// dentry that is a mountpoint only in other namespaces): each mount leaves
// its namespace with everything below it, which stays connected to it,
// without propagation. It runs without the mount lock held by the caller.
func (k *Kernel) detachMountsOn(d *vfs.Dentry) {
	if d == nil || !d.Dead() || d.Mounts() == 0 {
		return
	}
	k.lockMounts()
	defer k.unlockMounts()
	for {
		first := k.mountsOn[d]
		if first == nil {
			return
		}
		k.umountConnected(first)
	}
}
