package mount

import (
	"strings"

	"github.com/mountkit/mountkit/vfs"
)

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
	var b strings.Builder
	c.visibleMounts(func(m *Mountpoint, mp string) {
		writeEscaped(&b, m.devname, '#')
		b.WriteByte(' ')
		writeEscaped(&b, mp, 0)
		b.WriteByte(' ')
		writeEscaped(&b, m.sb.Filesystem().Type(), 0)
		b.WriteByte(' ')
		if m.readOnly() {
			b.WriteString("ro")
		} else {
			b.WriteString("rw")
		}
		f := m.sb.Flags()
		for _, o := range [...]struct {
			bit  uint32
			name string
		}{
			{vfs.SB_SYNCHRONOUS, ",sync"}, {vfs.SB_DIRSYNC, ",dirsync"},
			{vfs.SB_MANDLOCK, ",mand"}, {vfs.SB_LAZYTIME, ",lazytime"},
		} {
			if f&o.bit != 0 {
				b.WriteString(o.name)
			}
		}
		b.WriteString(strings.TrimPrefix(strings.TrimPrefix(mountOptions(m.flags.Load()), "rw"), "ro"))
		if o := m.sb.Filesystem().Options(); o != "" {
			b.WriteByte(',')
			b.WriteString(o)
		}
		b.WriteString(" 0 0\n")
	})
	return b.String()
}
