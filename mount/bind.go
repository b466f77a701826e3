package mount

import "github.com/mountkit/mountkit/vfs"

// freeTree frees a copy that was never attached. k.mu is held.
func (k *Kernel) freeTree(m *Mountpoint) {
	for _, c := range m.children {
		k.freeTree(c)
	}
	m.children = nil
	m.parent.Store(nil)
	m.freed = true
	k.mountIDs.Put(m.id)
	m.root.Put()
	k.putSuperblock(m.sb)
}

// bind is MS_BIND (do_loopback): the mount at source, rooted at source's
// dentry, is cloned (with rec, with the mounts below it, unbindable ones
// left out) and attached on tgt.
func (c *FsContext) bind(tgt Location, source *string, rec bool) error {
	if source == nil || *source == "" {
		return vfs.EINVAL
	}
	k := c.k
	k.lockMounts()
	defer k.unlockMounts()
	src, err := c.resolveWith(*source, true)
	if err != nil {
		return err
	}
	top, err := c.lockTarget(tgt)
	if err != nil {
		return err
	}
	if src.Mount.unbindable() {
		return vfs.EINVAL
	}
	if src.Mount.ns != c.Namespace() {
		return vfs.EINVAL
	}
	var copy *Mountpoint
	if rec {
		copy = k.copyTreeFlags(src.Mount, src.Dentry, 0, false, nil)
	} else {
		copy = k.cloneMountProp(src.Mount, src.Dentry, 0)
	}
	if err := k.graft(copy, top); err != nil {
		k.destroyCopy(copy)
		return err
	}
	return nil
}

// graft attaches the unattached tree m on top, after the directory check
// of Linux's graft_tree: a directory only on a directory and a
// non-directory only on a non-directory (ENOTDIR). k.mu is held.
func (k *Kernel) graft(m *Mountpoint, top Location) error {
	if m.root.IsDir() != top.Dentry.IsDir() {
		return vfs.ENOTDIR
	}
	return k.attachRecursive(m, top, false)
}

// treeHasUnbindable reports whether some mount of the tree m is
// unbindable.
func treeHasUnbindable(m *Mountpoint) bool {
	for _, x := range preorder(m) {
		if x.unbindable() {
			return true
		}
	}
	return false
}

// move is MS_MOVE (do_move_mount): the mount at source, with everything
// below it, is detached from its parent and attached on tgt, keeping its
// IDs; a destination that is shared propagates the tree.
func (c *FsContext) move(tgt Location, source *string) error {
	if source == nil || *source == "" {
		return vfs.EINVAL
	}
	k := c.k
	k.lockMounts()
	defer k.unlockMounts()
	src, err := c.resolveWith(*source, true)
	if err != nil {
		return err
	}
	// Linux 6.18 checks the source and the types before it locks the
	// target (found/move_detached_root, tree/lazy/target_in_detached).
	if !src.IsMountRoot() || tgt.Dentry.IsDir() != src.Dentry.IsDir() {
		return vfs.EINVAL
	}
	top, err := c.lockTarget(tgt)
	if err != nil {
		return err
	}
	old := src.Mount
	ns := c.Namespace()
	switch {
	case old.ns != ns || old.parent.Load() == nil:
		return vfs.EINVAL
	case top.Dentry.IsDir() != src.Dentry.IsDir():
		return vfs.EINVAL
	case old.parent.Load().shared():
		return vfs.EINVAL
	case top.Mount.shared() && treeHasUnbindable(old):
		return vfs.EINVAL
	}
	for p := top.Mount; p.parent.Load() != nil; p = p.parent.Load() {
		if p == old {
			return vfs.ELOOP
		}
	}
	return k.attachRecursive(old, top, true)
}
