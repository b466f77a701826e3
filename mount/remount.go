package mount

import "github.com/mountkit/mountkit/vfs"

// sbChangeable are the superblock flags a remount may change; the others
// given to MS_REMOUNT are ignored.
const sbChangeable = vfs.SB_RDONLY | vfs.SB_SYNCHRONOUS | vfs.SB_MANDLOCK |
	vfs.SB_I_VERSION | vfs.SB_LAZYTIME

// remountFlags computes the per-mount flags a remount leaves on m: those
// of flags, with m's atime mode kept when flags names none.
func remountFlags(m *Mountpoint, flags uint64) uint32 {
	f := mntFlagsOf(flags)
	if flags&(MS_NOATIME|MS_NODIRATIME|MS_RELATIME|MS_STRICTATIME) == 0 {
		f = f&^mntAtimeMask | m.flags.Load()&mntAtimeMask
	}
	return f
}

// remount is MS_REMOUNT, with MS_BIND the per-mount variant
// (do_reconfigure_mnt) and without it the superblock one (do_remount).
// Both replace the mount's per-mount flags; the superblock variant also
// applies data and the changeable superblock flags. Making a mount or a
// superblock read-only while files are open for writing on it is EBUSY.
func (c *FsContext) remount(tgt Location, flags uint64, data string) error {
	k := c.k
	k.lockMounts()
	defer k.unlockMounts()
	// The path as resolved: a walk ending in "/" or "." does not climb
	// onto mounts stacked there.
	l := tgt
	m := l.Mount
	if m.ns != c.Namespace() || !l.IsMountRoot() {
		return vfs.EINVAL
	}
	mf := remountFlags(m, flags)
	if flags&MS_BIND != 0 {
		if mf&mntReadonly != 0 && m.flags.Load()&mntReadonly == 0 && m.writers.Load() > 0 {
			return vfs.EBUSY
		}
		m.flags.Store(mf)
		return nil
	}
	sb := m.sb
	if p, ok := sb.Filesystem().(vfs.ReconfigureParser); ok {
		if err := p.ParseReconfigure(data); err != nil {
			return err
		}
	}
	old := sb.Flags()
	sbf := old&^sbChangeable | uint32(flags)&sbChangeable
	if sbf&vfs.SB_RDONLY != 0 && old&vfs.SB_RDONLY == 0 && sb.busyForReadOnly() {
		return vfs.EBUSY
	}
	if r, ok := sb.Filesystem().(vfs.FlagReconfigurer); ok {
		if err := r.ReconfigureFlags(data, sbf); err != nil {
			return err
		}
	} else if r, ok := sb.Filesystem().(vfs.Reconfigurer); ok {
		if err := r.Reconfigure(data); err != nil {
			return err
		}
	} else if data != "" {
		return vfs.EINVAL
	}
	sb.SetFlags(sbf)
	m.flags.Store(mf)
	return nil
}

// busyForReadOnly reports whether the superblock cannot become read-only
// now (sb_prepare_remount_readonly): files are open for writing on it, or
// removed inodes are still in use.
func (sb *superblock) busyForReadOnly() bool {
	return sb.writers.Load() > 0 || sb.Orphans() > 0
}
