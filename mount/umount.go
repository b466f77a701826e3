package mount

import "github.com/mountkit/mountkit/vfs"

// Umount2 is umount2(2), in Linux's order of checks: unknown flags
// (EINVAL, before the lookup), the lookup (following symlinks unless
// UMOUNT_NOFOLLOW, then climbing to the topmost mount stacked there),
// CAP_SYS_ADMIN (EPERM), a path that is not a mount root or a mount of
// another namespace (EINVAL), MNT_EXPIRE's rules, the caller's own root
// mount (remounted read-only instead of unmounted, unless MNT_DETACH),
// the namespace's root (EINVAL), then MNT_DETACH (lazy, never busy) or a
// plain unmount, EBUSY while the mount has children or users.
//
// Propagation of the unmount to peers and slaves is not implemented yet.
func (c *FsContext) Umount2(target string, flags int) error {
	if flags&^(MNT_FORCE|MNT_DETACH|MNT_EXPIRE|UMOUNT_NOFOLLOW) != 0 {
		return vfs.EINVAL
	}
	k := c.k
	k.mu.Lock()
	defer k.mu.Unlock()
	w := c.walker()
	w.umount = true
	l, err := w.resolve(target, flags&UMOUNT_NOFOLLOW == 0)
	if err != nil {
		return err
	}
	l = k.crossDown(l)
	if !c.creds().Caps.Has(vfs.CAP_SYS_ADMIN) {
		return vfs.EPERM
	}
	m := l.Mount
	if !l.IsMountRoot() || m.ns != c.Namespace() {
		return vfs.EINVAL
	}
	root := c.Root()
	if flags&MNT_EXPIRE != 0 {
		if m == root.Mount || flags&(MNT_FORCE|MNT_DETACH) != 0 {
			return vfs.EINVAL
		}
		if len(m.children) > 0 || m.users.Load() > 0 {
			return vfs.EBUSY
		}
		if !m.expiry.Swap(true) {
			return vfs.EAGAIN
		}
	}
	if m == root.Mount && flags&MNT_DETACH == 0 {
		return c.remountRootReadOnly(m)
	}
	if m.parent == nil {
		return vfs.EINVAL
	}
	if flags&MNT_DETACH != 0 {
		k.umountTree(m)
		return nil
	}
	if len(m.children) > 0 || m.users.Load() > 0 {
		return vfs.EBUSY
	}
	k.umountTree(m)
	return nil
}

// remountRootReadOnly is what umount2 of the caller's own root mount
// does: it makes the superblock read-only (EBUSY while files are open for
// writing on it). k.mu is held.
func (c *FsContext) remountRootReadOnly(m *Mountpoint) error {
	if m.sb.writers.Load() > 0 {
		return vfs.EBUSY
	}
	m.sb.SetFlags(m.sb.Flags() | vfs.SB_RDONLY)
	return nil
}

// umountTree removes m and every mount below it from the namespace,
// disconnecting them from each other; each is freed once no Location
// refers to it. k.mu is held.
func (k *Kernel) umountTree(m *Mountpoint) {
	var all []*Mountpoint
	var collect func(*Mountpoint)
	collect = func(x *Mountpoint) {
		all = append(all, x)
		for _, ch := range x.children {
			collect(ch)
		}
	}
	collect(m)
	for i := len(all) - 1; i >= 0; i-- {
		k.detach(all[i])
	}
	for _, x := range all {
		k.freeDetached(x)
	}
}
