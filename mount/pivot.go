package mount

import "github.com/mountkit/mountkit/vfs"

// isPathReachable reports whether (m, d) lies at or under root, climbing
// from m through parent mounts (Linux's is_path_reachable).
func isPathReachable(m *Mountpoint, d *vfs.Dentry, root Location) bool {
	for m != root.Mount && m.parent.Load() != nil {
		d = m.mountpoint.Load()
		m = m.parent.Load()
	}
	return m == root.Mount && d.IsAncestor(root.Dentry)
}

// PivotRoot is pivot_root(2): the mount at newRoot becomes the root mount
// of the caller's namespace in place of the caller's root mount, which is
// put on putOld. The checks run in Linux's order: CAP_SYS_ADMIN (EPERM,
// before any lookup), both lookups (which must give directories), then
// the shared-propagation rules (EINVAL), ENOENT for a removed new_root,
// EBUSY when new_root or put_old is on the current root mount, and EINVAL
// when the current root or new_root is not a mount root, put_old is not
// under new_root or new_root is not under the current root. Afterwards
// every FsContext whose root or working directory was exactly the old
// root is moved to the new one, as chroot_fs_refs does.
func (c *FsContext) PivotRoot(newRoot, putOld string) error {
	return c.PivotRootRaw(&newRoot, &putOld)
}

// PivotRootRaw is PivotRoot with NULL pointers (nil) allowed: EFAULT.
func (c *FsContext) PivotRootRaw(newRoot, putOld *string) error {
	if !c.creds().Caps.Has(vfs.CAP_SYS_ADMIN) {
		return vfs.EPERM
	}
	if newRoot == nil || putOld == nil {
		return vfs.EFAULT
	}
	k := c.k
	k.lockMounts()
	defer k.unlockMounts()
	nw, err := c.resolveWith(*newRoot, true)
	if err == nil && !nw.Dentry.IsDir() {
		err = vfs.ENOTDIR
	}
	if err != nil {
		return err
	}
	old, err := c.resolveWith(*putOld, true)
	if err == nil && !old.Dentry.IsDir() {
		err = vfs.ENOTDIR
	}
	if err != nil {
		return err
	}
	old = k.crossDown(old)
	if old.Dentry.Dead() || old.Mount.ns == nil {
		return vfs.ENOENT
	}
	root := c.Root()
	newMnt, rootMnt, oldMnt := nw.Mount, root.Mount, old.Mount
	if oldMnt.shared() || newMnt.parent.Load() != nil && newMnt.parent.Load().shared() ||
		rootMnt.parent.Load() != nil && rootMnt.parent.Load().shared() {
		return vfs.EINVAL
	}
	ns := c.Namespace()
	if rootMnt.ns != ns || newMnt.ns != ns {
		return vfs.EINVAL
	}
	if nw.Dentry.Dead() {
		return vfs.ENOENT
	}
	if newMnt == rootMnt || oldMnt == rootMnt {
		return vfs.EBUSY
	}
	if !root.IsMountRoot() || rootMnt.parent.Load() == nil {
		return vfs.EINVAL
	}
	if !nw.IsMountRoot() || newMnt.parent.Load() == nil {
		return vfs.EINVAL
	}
	if !isPathReachable(oldMnt, old.Dentry, nw) {
		return vfs.EINVAL
	}
	if !isPathReachable(newMnt, nw.Dentry, root) {
		return vfs.EINVAL
	}

	k.unhashMount(newMnt)
	k.unlinkChild(newMnt)
	rootParent, rootMp := rootMnt.parent.Load(), rootMnt.mountpoint.Load()
	k.unhashMount(rootMnt)
	k.unlinkChild(rootMnt)
	k.link(rootMnt, oldMnt, old.Dentry)
	k.link(newMnt, rootParent, rootMp)

	newLoc := Location{newMnt, newMnt.root}
	k.ctxMu.Lock()
	defer k.ctxMu.Unlock()
	for other := range k.contexts {
		var drop []Location
		other.update(func(s *fsState) {
			if s.root == root {
				drop = append(drop, s.root)
				s.root = newLoc.hold()
			}
			if s.cwd == root {
				drop = append(drop, s.cwd)
				s.cwd = newLoc.hold()
			}
		})
		for _, l := range drop {
			l.dropLocked()
		}
	}
	return nil
}
