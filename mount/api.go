package mount

// Bind mounts the tree at source on target as well (mount --bind).
func (c *FsContext) Bind(source, target string) error {
	return c.Mount(source, target, "", MS_BIND, "")
}

// RBind is Bind with every mount below source, less unbindable ones
// (mount --rbind).
func (c *FsContext) RBind(source, target string) error {
	return c.Mount(source, target, "", MS_BIND|MS_REC, "")
}

// Move moves the mount at source, with everything below it, to target
// (mount --move).
func (c *FsContext) Move(source, target string) error {
	return c.Mount(source, target, "", MS_MOVE, "")
}

// Remount changes the mount at target and its superblock: flags are
// mount(2) flags (MS_RDONLY, MS_NOSUID, ...), which replace the mount's
// per-mount flags, and data goes to the filesystem (mount -o remount).
func (c *FsContext) Remount(target string, flags uint64, data string) error {
	return c.Mount("", target, "", MS_REMOUNT|flags, data)
}

// RemountBind replaces only the per-mount flags of the mount at target
// (mount -o remount,bind).
func (c *FsContext) RemountBind(target string, flags uint64) error {
	return c.Mount("", target, "", MS_REMOUNT|MS_BIND|flags, "")
}

// Propagation is a shared-subtree type.
type Propagation uint64

// The propagation types, as mount(2) flags.
const (
	Shared     Propagation = MS_SHARED
	Slave      Propagation = MS_SLAVE
	Private    Propagation = MS_PRIVATE
	Unbindable Propagation = MS_UNBINDABLE
)

// SetPropagation changes the propagation type of the mount at target,
// and with recursive of every mount below it (mount --make-[r]shared ...).
func (c *FsContext) SetPropagation(target string, p Propagation, recursive bool) error {
	flags := uint64(p)
	if recursive {
		flags |= MS_REC
	}
	return c.MountRaw(nil, &target, nil, flags, nil)
}

// UnmountOptions are umount2(2)'s flags.
type UnmountOptions struct {
	Force    bool // MNT_FORCE
	Detach   bool // MNT_DETACH: lazy unmount
	Expire   bool // MNT_EXPIRE: mark, then unmount on the second call
	NoFollow bool // UMOUNT_NOFOLLOW
}

// Unmount is Umount2 with typed options.
func (c *FsContext) Unmount(target string, o UnmountOptions) error {
	var flags int
	for _, f := range [...]struct {
		on  bool
		bit int
	}{{o.Force, MNT_FORCE}, {o.Detach, MNT_DETACH}, {o.Expire, MNT_EXPIRE}, {o.NoFollow, UMOUNT_NOFOLLOW}} {
		if f.on {
			flags |= f.bit
		}
	}
	return c.Umount2(target, flags)
}

// Mounts renders /proc/self/mounts for c: "SOURCE MOUNTPOINT TYPE OPTIONS
// 0 0" for the mounts MountInfo shows, in the same order; OPTIONS is ro
// when the mount or its superblock is read-only, then the superblock's
// sync, dirsync, mand and lazytime, then the per-mount flags, then the
// filesystem's own options.
func (c *FsContext) Mounts() string {
	return bytesToString(c.appendVisible(nil, appendMountsLine))
}

// appendMountsLine appends m's /proc/self/mounts line; mp is its
// mountpoint.
func appendMountsLine(b []byte, m *Mountpoint, mp []byte, _ Location) []byte {
	b = appendEscaped(b, m.devname, '#')
	b = append(b, ' ')
	b = appendEscaped(b, mp, 0)
	b = append(b, ' ')
	b = appendEscaped(b, m.sb.Filesystem().Type(), 0)
	b = append(b, ' ')
	if m.readOnly() {
		b = append(b, "ro"...)
	} else {
		b = append(b, "rw"...)
	}
	b = appendSuperFlags(b, m.sb.Flags())
	// The per-mount flags without their leading rw or ro.
	n := len(b)
	b = appendMountOptions(b, m.flags.Load())
	b = append(b[:n], b[n+2:]...)
	if o := m.sb.Filesystem().Options(); o != "" {
		b = append(b, ',')
		b = append(b, o...)
	}
	return append(b, " 0 0\n"...)
}
