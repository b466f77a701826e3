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
// The unmount propagates to the copies that the mount's parent gave its
// receivers, as Linux's propagate_umount decides. A plain (not lazy)
// unmount that ends a superblock whose vfs.Releaser fails (a writeback
// that could not reach its device) returns EIO; the mount is gone all
// the same.
func (c *FsContext) Umount2(target string, flags int) error {
	if flags&^(MNT_FORCE|MNT_DETACH|MNT_EXPIRE|UMOUNT_NOFOLLOW) != 0 {
		return vfs.EINVAL
	}
	k := c.k
	k.lockMounts()
	defer k.unlockMounts()
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
		// Only the mount itself counts here; copies that would go with
		// it are checked by the unmount proper.
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
	if m.parent.Load() == nil {
		return vfs.EINVAL
	}
	if flags&MNT_DETACH != 0 {
		k.umountTree(m, true)
		k.releaseErr = nil // nobody hears of a lazy unmount's writeback
		return nil
	}
	if k.propagateBusy(m) {
		return vfs.EBUSY
	}
	k.releaseErr = nil
	k.umountTree(m, true)
	// The last mount of a superblock went: its writeback failed (Linux
	// reports a failed sync_filesystem of the final unmount as EIO).
	if err := k.releaseErr; err != nil {
		k.releaseErr = nil
		return vfs.EIO
	}
	return nil
}

// remountRootReadOnly is what umount2 of the caller's own root mount
// does: it makes the superblock read-only (EBUSY while files are open for
// writing on it). k.mu is held.
func (c *FsContext) remountRootReadOnly(m *Mountpoint) error {
	if m.sb.ReadOnly() {
		return nil
	}
	if m.sb.busyForReadOnly() {
		return vfs.EBUSY
	}
	m.sb.SetFlags(m.sb.Flags() | vfs.SB_RDONLY)
	return nil
}
