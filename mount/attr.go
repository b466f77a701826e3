package mount

import "github.com/mountkit/mountkit/vfs"

// Stat is what stat(2) returns: the inode's attributes and the device of
// its superblock.
type Stat struct {
	vfs.Attr
	Dev uint64
}

func statOf(l Location) (st Stat, err error) {
	err = statFill(&st, l)
	return st, err
}

// statFill fills *st with what stat(2) reports for l, in place (a Stat is
// too large to copy freely on the stat path); *st is zero on error. st
// does not escape, so that Stat's result stays on the stack.
func statFill(st *Stat, l Location) error {
	var err error
	if st.Attr, err = l.Dentry.Inode().Getattr(); err != nil {
		*st = Stat{}
		return err
	}
	st.Dev = l.Dentry.Superblock().Dev()
	return nil
}

// statInto is statFill for a *st already on the heap, which the
// filesystem may fill directly (vfs.AttrInto).
func statInto(st *Stat, l Location) error {
	in, ok := l.Dentry.Inode().(vfs.AttrInto)
	if !ok {
		return statFill(st, l)
	}
	if err := in.GetattrInto(&st.Attr); err != nil {
		*st = Stat{}
		return err
	}
	st.Dev = l.Dentry.Superblock().Dev()
	return nil
}

// Stat is stat(2): it follows a final symbolic link.
func (c *FsContext) Stat(path string) (st Stat, err error) {
	l, err := c.Resolve(path, true)
	if err == nil {
		err = statFill(&st, l)
	}
	return st, err
}

// Lstat is lstat(2): a final symbolic link is reported itself.
func (c *FsContext) Lstat(path string) (st Stat, err error) {
	l, err := c.Resolve(path, false)
	if err == nil {
		err = statFill(&st, l)
	}
	return st, err
}

// StatInto is Stat storing into *st, as stat(2) fills the caller's
// buffer: with a filesystem that implements vfs.AttrInto the attributes
// are written into *st directly, with no copy through a returned value.
// *st is handed to the filesystem, so it lives on the heap: reuse one
// across calls. *st is zero on error.
func (c *FsContext) StatInto(path string, st *Stat) error {
	l, err := c.Resolve(path, true)
	if err != nil {
		*st = Stat{}
		return err
	}
	return statInto(st, l)
}

// LstatInto is Lstat storing into *st (see StatInto).
func (c *FsContext) LstatInto(path string, st *Stat) error {
	l, err := c.Resolve(path, false)
	if err != nil {
		*st = Stat{}
		return err
	}
	return statInto(st, l)
}

// Readlink is readlink(2); EINVAL when path is not a symbolic link.
func (c *FsContext) Readlink(path string) (string, error) {
	l, err := c.Resolve(path, false)
	if err != nil {
		return "", err
	}
	if !isSymlink(l.Dentry) {
		return "", vfs.EINVAL
	}
	return l.Dentry.Inode().Readlink()
}

// setattr applies s to the inode at l after the read-only check.
func setattr(l Location, s *vfs.SetAttr) error {
	if l.Mount.readOnly() {
		return vfs.EROFS
	}
	s.Mask |= vfs.SetCtime
	s.Ctime = vfs.Now()
	return l.Dentry.Inode().Setattr(s)
}

// Chmod is chmod(2): EPERM unless c owns the file or has CAP_FOWNER; the
// setgid bit is dropped when c is not in the file's group and lacks
// CAP_FSETID.
func (c *FsContext) Chmod(path string, mode uint32) error {
	l, err := c.Resolve(path, true)
	if err != nil {
		return err
	}
	return c.chmod(l, mode)
}

// ownerChange checks what changing an inode's mode or times needs: a
// writable mount, then ownership or CAP_FOWNER (inode_owner_or_capable).
// It returns the inode's attributes and c's credentials.
func (c *FsContext) ownerChange(l Location) (vfs.Attr, *vfs.Cred, error) {
	if l.Mount.readOnly() {
		return vfs.Attr{}, nil, vfs.EROFS
	}
	a, err := l.Dentry.Inode().Getattr()
	if err != nil {
		return vfs.Attr{}, nil, err
	}
	cred := c.creds()
	if cred.UID != a.UID && !cred.Caps.Has(vfs.CAP_FOWNER) {
		return vfs.Attr{}, nil, vfs.EPERM
	}
	return a, cred, nil
}

func (c *FsContext) chmod(l Location, mode uint32) error {
	a, cred, err := c.ownerChange(l)
	if err != nil {
		return err
	}
	m := vfs.Mode(mode) & (vfs.ModePerm | vfs.ModeSetuid | vfs.ModeSetgid | vfs.ModeSticky)
	if m&vfs.ModeSetgid != 0 && !cred.InGroup(a.GID) && !cred.Caps.Has(vfs.CAP_FSETID) {
		m &^= vfs.ModeSetgid
	}
	return setattr(l, &vfs.SetAttr{Mask: vfs.SetMode, Mode: m})
}

// Chown is chown(2); a uid or gid of -1 (0xffffffff) leaves it as it is.
// Changing the owner needs CAP_CHOWN; changing the group needs ownership
// and membership of the new group, or CAP_CHOWN. The setuid and setgid
// bits of a non-directory are cleared, as Linux does.
func (c *FsContext) Chown(path string, uid, gid uint32) error {
	l, err := c.Resolve(path, true)
	if err != nil {
		return err
	}
	return c.chown(l, uid, gid)
}

// Lchown is lchown(2): like Chown without following a final symlink.
func (c *FsContext) Lchown(path string, uid, gid uint32) error {
	l, err := c.Resolve(path, false)
	if err != nil {
		return err
	}
	return c.chown(l, uid, gid)
}

func (c *FsContext) chown(l Location, uid, gid uint32) error {
	if l.Mount.readOnly() {
		return vfs.EROFS
	}
	a, err := l.Dentry.Inode().Getattr()
	if err != nil {
		return err
	}
	cred := c.creds()
	s := vfs.SetAttr{}
	if uid != ^uint32(0) {
		if uid != a.UID && !cred.Caps.Has(vfs.CAP_CHOWN) {
			return vfs.EPERM
		}
		s.Mask |= vfs.SetUID
		s.UID = uid
	}
	if gid != ^uint32(0) {
		if gid != a.GID && !cred.Caps.Has(vfs.CAP_CHOWN) &&
			(cred.UID != a.UID || !cred.InGroup(gid)) {
			return vfs.EPERM
		}
		s.Mask |= vfs.SetGID
		s.GID = gid
	}
	if s.Mask != 0 && !a.Mode.IsDir() && a.Mode&(vfs.ModeSetuid|vfs.ModeSetgid) != 0 {
		m := a.Mode.Perm() &^ vfs.ModeSetuid
		if a.Mode&0o010 != 0 {
			m &^= vfs.ModeSetgid
		}
		s.Mask |= vfs.SetMode
		s.Mode = m
	}
	return setattr(l, &s)
}

// Truncate is truncate(2): EINVAL for a negative length (before the
// lookup), EISDIR for a directory, EINVAL for anything else that is not a
// regular file, EROFS, then EACCES without write permission.
func (c *FsContext) Truncate(path string, length int64) error {
	if length < 0 {
		return vfs.EINVAL
	}
	l, err := c.Resolve(path, true)
	if err != nil {
		return err
	}
	return c.truncate(l, length, true)
}

func (c *FsContext) truncate(l Location, length int64, checkPerm bool) error {
	a, err := l.Dentry.Inode().Getattr()
	if err != nil {
		return err
	}
	if a.Mode.IsDir() {
		return vfs.EISDIR
	}
	if !a.Mode.IsRegular() {
		return vfs.EINVAL
	}
	if l.Mount.readOnly() {
		return vfs.EROFS
	}
	if checkPerm {
		if err := vfs.Permission(&a, c.creds(), vfs.MayWrite); err != nil {
			return err
		}
	}
	now := vfs.Now()
	s := vfs.SetAttr{Mask: vfs.SetSize | vfs.SetMtime, Size: length, Mtime: now}
	if err := dropSetID(l, c.creds(), &s); err != nil {
		return err
	}
	return setattr(l, &s)
}

// setIDToDrop returns the set-ID bits that a write or truncate by cred
// removes from a file with attributes a (Linux's
// setattr_should_drop_suidgid): setuid always, setgid when group
// execute is set or cred is neither in the file's group nor holds
// CAP_FSETID (a setgid bit without group execute is a locking mark
// only), nothing for a caller with CAP_FSETID or for a non-regular file.
func setIDToDrop(a *vfs.Attr, cred *vfs.Cred) vfs.Mode {
	if !a.Mode.IsRegular() || cred.Caps.Has(vfs.CAP_FSETID) {
		return 0
	}
	kill := a.Mode & vfs.ModeSetuid
	if a.Mode&vfs.ModeSetgid != 0 && (a.Mode&0o010 != 0 || !cred.InGroup(a.GID)) {
		kill |= vfs.ModeSetgid
	}
	return kill
}

// dropSetID removes the set-ID bits a write or truncate by cred removes
// (file_remove_privs): into s when it is given, the truncate's own
// attribute change, else by a change of its own. cred nil drops nothing.
func dropSetID(l Location, cred *vfs.Cred, s *vfs.SetAttr) error {
	if cred == nil {
		return nil
	}
	a, err := l.Dentry.Inode().Getattr()
	if err != nil {
		return err
	}
	kill := setIDToDrop(&a, cred)
	if kill == 0 {
		return nil
	}
	if s != nil {
		s.Mask |= vfs.SetMode
		s.Mode = a.Mode.Perm() &^ kill
		return nil
	}
	return setattr(l, &vfs.SetAttr{Mask: vfs.SetMode, Mode: a.Mode.Perm() &^ kill})
}

// Utimes sets the access and modification times of path (utimensat(2)
// with AT_FDCWD and explicit times, following a final symlink).
func (c *FsContext) Utimes(path string, atime, mtime vfs.Timespec) error {
	l, err := c.Resolve(path, true)
	if err != nil {
		return err
	}
	if _, _, err := c.ownerChange(l); err != nil {
		return err
	}
	return setattr(l, &vfs.SetAttr{Mask: vfs.SetAtime | vfs.SetMtime, Atime: atime, Mtime: mtime})
}
