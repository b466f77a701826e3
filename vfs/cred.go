package vfs

// Capability numbers, as in linux/capability.h, for the capabilities the
// file and mount layers look at.
const (
	CAP_CHOWN           = 0
	CAP_DAC_OVERRIDE    = 1
	CAP_DAC_READ_SEARCH = 2
	CAP_FOWNER          = 3
	CAP_FSETID          = 4
	CAP_SETGID          = 6
	CAP_SETUID          = 7
	CAP_LINUX_IMMUTABLE = 9
	CAP_SYS_CHROOT      = 18
	CAP_SYS_ADMIN       = 21
	CAP_MKNOD           = 27
)

// CapSet is a set of capabilities, one bit per capability number.
type CapSet uint64

// AllCaps holds every capability.
const AllCaps CapSet = 1<<41 - 1

// Has reports whether s holds capability c.
func (s CapSet) Has(c int) bool { return s&(1<<uint(c)) != 0 }

// Cred is the identity a file operation runs with: Linux's fsuid, fsgid,
// supplementary groups and effective capabilities.
type Cred struct {
	UID    uint32
	GID    uint32
	Groups []uint32
	Caps   CapSet
}

// Root returns the credentials of uid 0 with every capability.
func Root() *Cred { return &Cred{Caps: AllCaps} }

// InGroup reports whether c is a member of group gid.
func (c *Cred) InGroup(gid uint32) bool {
	if c.GID == gid {
		return true
	}
	for _, g := range c.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

// Access bits for Permission, as MAY_EXEC, MAY_WRITE and MAY_READ.
const (
	MayExec  = 1
	MayWrite = 2
	MayRead  = 4
)

// Permission reports whether c may access an inode with attributes a for
// mask (MayRead|MayWrite|MayExec), following Linux's generic_permission:
// owner, then group, then other bits; CAP_DAC_OVERRIDE grants read and
// write always and execute when some execute bit is set or the inode is a
// directory; CAP_DAC_READ_SEARCH grants read, and search of directories.
// It returns EACCES when access is denied.
func Permission(a *Attr, c *Cred, mask int) error {
	mode := a.Mode
	var bits Mode
	switch {
	case c.UID == a.UID:
		bits = mode >> 6
	case c.InGroup(a.GID):
		bits = mode >> 3
	default:
		bits = mode
	}
	if int(bits)&mask&7 == mask&7 {
		return nil
	}
	isDir := mode.IsDir()
	if c.Caps.Has(CAP_DAC_OVERRIDE) {
		if mask&MayExec == 0 || isDir || mode&0o111 != 0 {
			return nil
		}
	}
	if c.Caps.Has(CAP_DAC_READ_SEARCH) {
		if mask&^MayRead == 0 || (isDir && mask&MayWrite == 0) {
			return nil
		}
	}
	return EACCES
}
