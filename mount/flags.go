package mount

// mount(2) flags (MS_*), with Linux's values.
const (
	MS_RDONLY      = 0x1
	MS_NOSUID      = 0x2
	MS_NODEV       = 0x4
	MS_NOEXEC      = 0x8
	MS_SYNCHRONOUS = 0x10
	MS_REMOUNT     = 0x20
	MS_MANDLOCK    = 0x40
	MS_DIRSYNC     = 0x80
	MS_NOSYMFOLLOW = 0x100
	MS_NOATIME     = 0x400
	MS_NODIRATIME  = 0x800
	MS_BIND        = 0x1000
	MS_MOVE        = 0x2000
	MS_REC         = 0x4000
	MS_SILENT      = 0x8000
	MS_POSIXACL    = 1 << 16
	MS_UNBINDABLE  = 1 << 17
	MS_PRIVATE     = 1 << 18
	MS_SLAVE       = 1 << 19
	MS_SHARED      = 1 << 20
	MS_RELATIME    = 1 << 21
	MS_KERNMOUNT   = 1 << 22
	MS_I_VERSION   = 1 << 23
	MS_STRICTATIME = 1 << 24
	MS_LAZYTIME    = 1 << 25
	MS_NOUSER      = 1 << 31

	MS_MGC_VAL = 0xC0ED0000 // the old magic in the top 16 bits
	MS_MGC_MSK = 0xFFFF0000
)

// umount2(2) flags.
const (
	MNT_FORCE       = 0x1
	MNT_DETACH      = 0x2
	MNT_EXPIRE      = 0x4
	UMOUNT_NOFOLLOW = 0x8
)

// Per-mount flags (Linux's MNT_* of struct vfsmount), as a mount carries
// them. They are what mountinfo's sixth field shows.
const (
	mntNosuid      = 0x01
	mntNodev       = 0x02
	mntNoexec      = 0x04
	mntNoatime     = 0x08
	mntNodiratime  = 0x10
	mntRelatime    = 0x20
	mntReadonly    = 0x40
	mntNosymfollow = 0x80

	mntAtimeMask = mntNoatime | mntNodiratime | mntRelatime
)

// mntFlagsOf computes the per-mount flags of mount(2)'s flags as Linux's
// path_mount does: relatime unless MS_NOATIME, MS_STRICTATIME dropping
// both, and the other bits one for one.
func mntFlagsOf(flags uint64) uint32 {
	var f uint32
	if flags&MS_NOATIME == 0 {
		f |= mntRelatime
	}
	for _, p := range [...]struct {
		ms  uint64
		mnt uint32
	}{
		{MS_NOSUID, mntNosuid}, {MS_NODEV, mntNodev}, {MS_NOEXEC, mntNoexec},
		{MS_NOATIME, mntNoatime}, {MS_NODIRATIME, mntNodiratime},
		{MS_RDONLY, mntReadonly}, {MS_NOSYMFOLLOW, mntNosymfollow},
	} {
		if flags&p.ms != 0 {
			f |= p.mnt
		}
	}
	if flags&MS_STRICTATIME != 0 {
		f &^= mntRelatime | mntNoatime
	}
	return f
}

// sbFlagsMask are the mount(2) flags that land on the superblock.
const sbFlagsMask = MS_RDONLY | MS_SYNCHRONOUS | MS_MANDLOCK | MS_DIRSYNC |
	MS_SILENT | MS_POSIXACL | MS_LAZYTIME | MS_I_VERSION
