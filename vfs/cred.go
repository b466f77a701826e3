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

// ProcCred is a process's full credentials, Linux's struct cred as the
// credential system calls see it: real, effective and saved user and
// group IDs, supplementary groups, and the permitted and effective
// capability sets. Its methods apply the system calls with Linux's
// permission rules (commoncap's, with no securebits and no user
// namespaces) and return EPERM where Linux does; a failed call changes
// nothing. Cred gives the identity file operations run with.
type ProcCred struct {
	RUID, EUID, SUID uint32
	RGID, EGID, SGID uint32
	Groups           []uint32
	Permitted        CapSet
	Effective        CapSet
	// KeepCaps is PR_SET_KEEPCAPS: the permitted set survives a change
	// from root to non-root IDs.
	KeepCaps bool
}

// RootProcCred returns the credentials of a process of uid 0 with every
// capability, as init has them.
func RootProcCred() *ProcCred {
	return &ProcCred{Permitted: AllCaps, Effective: AllCaps}
}

// Cred returns the identity file operations run with (fsuid follows the
// effective uid, as after every set*id call).
func (p *ProcCred) Cred() Cred {
	return Cred{UID: p.EUID, GID: p.EGID, Groups: append([]uint32(nil), p.Groups...), Caps: p.Effective}
}

// Clone returns a copy of p that shares nothing with it (fork).
func (p *ProcCred) Clone() *ProcCred {
	q := *p
	q.Groups = append([]uint32(nil), p.Groups...)
	return &q
}

// NoChange is the ID argument of Setresuid and Setresgid that keeps an ID.
const NoChange = -1

// Setgroups sets the supplementary groups (setgroups(2)): CAP_SETGID is
// needed, whatever the list.
func (p *ProcCred) Setgroups(groups []uint32) error {
	if !p.Effective.Has(CAP_SETGID) {
		return EPERM
	}
	p.Groups = append([]uint32(nil), groups...)
	return nil
}

// Setresgid sets the real, effective and saved group IDs (setresgid(2));
// NoChange keeps one. Without CAP_SETGID each new ID must be one of the
// current three.
func (p *ProcCred) Setresgid(r, e, s int64) error {
	n, err := setres([3]uint32{p.RGID, p.EGID, p.SGID}, [3]int64{r, e, s}, p.Effective.Has(CAP_SETGID))
	if err != nil {
		return err
	}
	p.RGID, p.EGID, p.SGID = n[0], n[1], n[2]
	return nil
}

// Setresuid sets the real, effective and saved user IDs (setresuid(2));
// NoChange keeps one. Without CAP_SETUID each new ID must be one of the
// current three. The capability sets change as Linux's
// cap_emulate_setxuid decides: leaving uid 0 in all three IDs clears the
// permitted and effective sets unless KeepCaps; an effective uid that
// leaves 0 clears the effective set, one that becomes 0 raises it to the
// permitted set.
func (p *ProcCred) Setresuid(r, e, s int64) error {
	old := [3]uint32{p.RUID, p.EUID, p.SUID}
	n, err := setres(old, [3]int64{r, e, s}, p.Effective.Has(CAP_SETUID))
	if err != nil {
		return err
	}
	p.RUID, p.EUID, p.SUID = n[0], n[1], n[2]
	wasRoot := old[0] == 0 || old[1] == 0 || old[2] == 0
	isRoot := n[0] == 0 || n[1] == 0 || n[2] == 0
	if wasRoot && !isRoot && !p.KeepCaps {
		p.Permitted, p.Effective = 0, 0
	}
	switch {
	case old[1] == 0 && n[1] != 0:
		p.Effective = 0
	case old[1] != 0 && n[1] == 0:
		p.Effective = p.Permitted
	}
	return nil
}

// setres applies a setres[ug]id call to the current IDs.
func setres(cur [3]uint32, want [3]int64, privileged bool) ([3]uint32, error) {
	n := cur
	for i, w := range want {
		if w == NoChange {
			continue
		}
		if w < 0 || w > 0xfffffffe {
			return cur, EINVAL
		}
		id := uint32(w)
		if !privileged && id != cur[0] && id != cur[1] && id != cur[2] {
			return cur, EPERM
		}
		n[i] = id
	}
	return n, nil
}

// Capset sets the effective and permitted capability sets (capset(2)
// with an empty inheritable set): the new permitted set must lie within
// the old one and the effective set within the new permitted set.
func (p *ProcCred) Capset(effective, permitted CapSet) error {
	if permitted&^p.Permitted != 0 || effective&^permitted != 0 {
		return EPERM
	}
	p.Effective, p.Permitted = effective, permitted
	return nil
}
