package mount

import "github.com/mountkit/mountkit/vfs"

// parentOp is the state of an operation on the last component of a path:
// the directory that holds it and the component itself.
type parentOp struct {
	dir      Location
	last     string
	kind     lastKind
	trailing bool
}

// lookupParent resolves all but the last component of path. k.mu is held.
func (c *FsContext) lookupParent(w *walker, path string) (parentOp, error) {
	last, kind, trailing, err := w.resolveParent(path)
	if err != nil {
		return parentOp{}, err
	}
	return parentOp{dir: w.cur, last: last, kind: kind, trailing: trailing}, nil
}

// mayCreate checks that c may add an entry to dir (may_create): the
// directory is alive and c has write and search permission on it.
func mayCreate(dir *vfs.Dentry, cred *vfs.Cred) error {
	if dir.Dead() {
		return vfs.ENOENT
	}
	a, err := dir.Inode().Getattr()
	if err != nil {
		return err
	}
	return vfs.Permission(&a, cred, vfs.MayWrite|vfs.MayExec)
}

// newOwner computes the owner, group and mode of a new inode of type
// typ in dir, as Linux's inode_init_owner: the group is the directory's
// when it has the setgid bit (and a new directory inherits the bit),
// else the caller's; the setgid bit of a new non-directory is dropped when
// the caller is not in its group and lacks CAP_FSETID.
func newOwner(dir *vfs.Dentry, cred *vfs.Cred, mode vfs.Mode) (vfs.CreateOpts, error) {
	a, err := dir.Inode().Getattr()
	if err != nil {
		return vfs.CreateOpts{}, err
	}
	o := vfs.CreateOpts{Mode: mode, UID: cred.UID, GID: cred.GID}
	if a.Mode&vfs.ModeSetgid != 0 {
		o.GID = a.GID
		if mode.IsDir() {
			o.Mode |= vfs.ModeSetgid
		} else if mode&vfs.ModeSetgid != 0 && !cred.InGroup(o.GID) && !cred.Caps.Has(vfs.CAP_FSETID) {
			o.Mode &^= vfs.ModeSetgid
		}
	}
	return o, nil
}

// createAt runs the common part of mkdir, mknod and symlink (Linux's
// filename_create and may_create), in Linux's order: EEXIST for ".", ".."
// and "/", lookup errors, EEXIST for an existing name, ENOENT for trailing
// slashes on a non-directory, then EROFS; make does the rest, starting
// with the checks of may_create.
func (c *FsContext) createAt(path string, isDir bool, make func(op parentOp, cred *vfs.Cred) error) error {
	c.k.mu.RLock()
	defer c.k.mu.RUnlock()
	w := c.walker()
	op, err := c.lookupParent(&w, path)
	if err != nil {
		return err
	}
	if op.kind != lastNorm {
		return vfs.EEXIST
	}
	d := op.dir.Dentry
	if len(op.last) > vfs.NameMax {
		return vfs.ENAMETOOLONG
	}
	if _, err := d.Lookup(op.last); err == nil {
		return vfs.EEXIST
	} else if err != vfs.ENOENT {
		return err
	}
	if op.trailing && !isDir {
		return vfs.ENOENT
	}
	if op.dir.Mount.readOnly() {
		return vfs.EROFS
	}
	return make(op, w.cred)
}

// Mkdir is mkdir(2); the umask applies to mode.
func (c *FsContext) Mkdir(path string, mode uint32) error {
	umask := c.getUmask()
	return c.createAt(path, true, func(op parentOp, cred *vfs.Cred) error {
		dir, name := op.dir.Dentry, op.last
		if err := mayCreate(dir, cred); err != nil {
			return err
		}
		m := vfs.ModeDir | vfs.Mode(mode&^umask)&(vfs.ModePerm|vfs.ModeSticky)
		o, err := newOwner(dir, cred, m)
		if err != nil {
			return err
		}
		_, err = dir.Mkdir(name, o)
		return err
	})
}

// Mknod is mknod(2): mode holds the type (0 or S_IFREG for a regular
// file, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK) and permission bits, to which
// the umask applies; dev is the device number. EPERM for a directory type
// and for devices without CAP_MKNOD, EINVAL for an unknown type.
func (c *FsContext) Mknod(path string, mode uint32, dev uint64) error {
	m := vfs.Mode(mode)
	switch m.Type() {
	case 0, vfs.ModeRegular, vfs.ModeCharDevice, vfs.ModeBlockDevice, vfs.ModeFIFO, vfs.ModeSocket:
	case vfs.ModeDir:
		return vfs.EPERM
	default:
		return vfs.EINVAL
	}
	umask := c.getUmask()
	return c.createAt(path, false, func(op parentOp, cred *vfs.Cred) error {
		dir, name := op.dir.Dentry, op.last
		if err := mayCreate(dir, cred); err != nil {
			return err
		}
		typ := m.Type()
		if typ == 0 {
			typ = vfs.ModeRegular
		}
		if (typ == vfs.ModeCharDevice || typ == vfs.ModeBlockDevice) && !cred.Caps.Has(vfs.CAP_MKNOD) {
			return vfs.EPERM
		}
		o, err := newOwner(dir, cred, typ|vfs.Mode(uint32(m.Perm())&^umask))
		if err != nil {
			return err
		}
		if typ == vfs.ModeRegular {
			_, err = dir.Create(name, o)
			return err
		}
		o.Rdev = dev
		_, err = dir.Mknod(name, o)
		return err
	})
}

// Symlink is symlink(2): path becomes a symbolic link to target.
func (c *FsContext) Symlink(target, path string) error {
	if err := checkPathname(target); err != nil {
		return err
	}
	return c.createAt(path, false, func(op parentOp, cred *vfs.Cred) error {
		dir, name := op.dir.Dentry, op.last
		if err := mayCreate(dir, cred); err != nil {
			return err
		}
		o, err := newOwner(dir, cred, vfs.ModeSymlink|0o777)
		if err != nil {
			return err
		}
		_, err = dir.Symlink(name, target, o)
		return err
	})
}

// Link is link(2): newpath becomes another name of oldpath, which is not
// followed if it is a symbolic link. EXDEV across mounts, EPERM for a
// directory.
func (c *FsContext) Link(oldpath, newpath string) error {
	old, err := c.Resolve(oldpath, false)
	if err != nil {
		return err
	}
	return c.createAt(newpath, false, func(op parentOp, cred *vfs.Cred) error {
		if old.Mount != op.dir.Mount {
			return vfs.EXDEV
		}
		if err := c.k.mayLinkat(old.Dentry, cred); err != nil {
			return err
		}
		if err := mayCreate(op.dir.Dentry, cred); err != nil {
			return err
		}
		if old.Dentry.IsDir() {
			return vfs.EPERM
		}
		_, err := op.dir.Dentry.Link(op.last, old.Dentry)
		return err
	})
}

// mayLinkat is Linux's may_linkat: with fs.protected_hardlinks, only
// the owner, a holder of CAP_FOWNER, or a caller who may read and write
// a regular file without set-ID bits may link to it (EPERM).
func (k *Kernel) mayLinkat(d *vfs.Dentry, cred *vfs.Cred) error {
	if k.unprotectedHardlinks.Load() {
		return nil
	}
	a, err := d.Inode().Getattr()
	if err != nil {
		return err
	}
	if a.UID == cred.UID || cred.Caps.Has(vfs.CAP_FOWNER) {
		return nil
	}
	if a.Mode.IsRegular() && a.Mode&vfs.ModeSetuid == 0 && a.Mode&(vfs.ModeSetgid|0o010) != vfs.ModeSetgid|0o010 &&
		vfs.Permission(&a, cred, vfs.MayRead|vfs.MayWrite) == nil {
		return nil
	}
	return vfs.EPERM
}

func (c *FsContext) getUmask() uint32 { return c.state().umask }
