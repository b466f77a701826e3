package mount

import "github.com/mountkit/mountkit/vfs"

// Open is open(2) (openat with AT_FDCWD). flags are Linux's O_* flags
// (vfs.O_RDONLY, ...); mode, less the umask, is the permission of a file
// O_CREAT makes. Opening a FIFO waits for the other end unless
// O_NONBLOCK is set; a character device opens only if it is one of the
// memory devices (1:3 null, 1:5 zero, 1:7 full), else ENXIO, and block
// devices and sockets fail with ENXIO. O_TMPFILE is not supported
// (EOPNOTSUPP).
func (c *FsContext) Open(path string, flags int, mode uint32) (*File, error) {
	if flags&vfs.O_TMPFILE == vfs.O_TMPFILE {
		return nil, vfs.EOPNOTSUPP
	}
	if flags&vfs.O_PATH != 0 {
		flags &= vfs.O_DIRECTORY | vfs.O_NOFOLLOW | vfs.O_CLOEXEC | vfs.O_PATH
	}
	if flags&vfs.O_CREAT != 0 && flags&vfs.O_DIRECTORY != 0 {
		return nil, vfs.EINVAL
	}
	l, created, err := c.openLookup(path, flags, mode)
	if err != nil {
		return nil, err
	}
	defer l.release()
	return c.openLocation(l, flags, created)
}

// accMode returns the MAY_* bits open flags ask for.
func accMode(flags int) int {
	var m int
	switch flags & vfs.O_ACCMODE {
	case vfs.O_RDONLY:
		m = vfs.MayRead
	case vfs.O_WRONLY:
		m = vfs.MayWrite
	default:
		m = vfs.MayRead | vfs.MayWrite
	}
	if flags&vfs.O_TRUNC != 0 {
		m |= vfs.MayWrite
	}
	return m
}

// openLookup resolves path for Open, creating the file for O_CREAT, and
// returns it held. created reports that O_CREAT made it.
func (c *FsContext) openLookup(path string, flags int, mode uint32) (l Location, created bool, err error) {
	if flags&vfs.O_CREAT == 0 {
		l, err = c.lookup(path, flags&vfs.O_NOFOLLOW == 0, true)
		return l, false, err
	}
	c.k.mu.RLock()
	defer c.k.mu.RUnlock()
	w := c.walker()
	if err := checkPathname(path); err != nil {
		return Location{}, false, err
	}
	last, kind, trailing, err := w.walkDirs(path)
	for err == nil {
		if kind != lastNorm {
			if err := w.stepLast(last, kind, true, false); err != nil {
				return Location{}, false, err
			}
			if flags&vfs.O_EXCL != 0 {
				return Location{}, false, vfs.EEXIST
			}
			return Location{}, false, vfs.EISDIR
		}
		if trailing {
			return Location{}, false, vfs.EISDIR
		}
		dir := w.cur
		var d *vfs.Dentry
		d, err = w.lookup(last)
		if err == vfs.ENOENT {
			return c.openCreate(dir, last, mode, w.cred)
		}
		if err != nil {
			return Location{}, false, err
		}
		if flags&vfs.O_EXCL != 0 {
			return Location{}, false, vfs.EEXIST
		}
		next := w.crossDown(Location{dir.Mount, d})
		if !isSymlink(next.Dentry) || flags&vfs.O_NOFOLLOW != 0 {
			return next.hold(), false, nil
		}
		// Follow the link and try again with its last component.
		if next.Mount.flags.Load()&mntNosymfollow != 0 {
			return Location{}, false, vfs.ELOOP
		}
		w.links++
		if w.links > vfs.SymlinkMax {
			return Location{}, false, vfs.ELOOP
		}
		var target string
		if target, err = next.Dentry.Inode().Readlink(); err != nil {
			break
		}
		if target == "" {
			return Location{}, false, vfs.ENOENT
		}
		last, kind, trailing, err = w.walkDirs(target)
	}
	return Location{}, false, err
}

// openCreate makes the regular file name in dir for O_CREAT. k.mu is held.
func (c *FsContext) openCreate(dir Location, name string, mode uint32, cred *vfs.Cred) (Location, bool, error) {
	if dir.Mount.readOnly() {
		return Location{}, false, vfs.EROFS
	}
	if err := mayCreate(dir.Dentry, cred); err != nil {
		return Location{}, false, err
	}
	o, err := newOwner(dir.Dentry, cred, vfs.ModeRegular|vfs.Mode(mode&^c.getUmask())&(vfs.ModePerm|vfs.ModeSetuid|vfs.ModeSetgid|vfs.ModeSticky))
	if err != nil {
		return Location{}, false, err
	}
	d, err := dir.Dentry.Create(name, o)
	if err == vfs.EEXIST {
		// Lost a race with another creator: open what is there now.
		if d, err = dir.Dentry.Lookup(name); err == nil {
			return Location{dir.Mount, d}.hold(), false, nil
		}
	}
	if err != nil {
		return Location{}, false, err
	}
	return Location{dir.Mount, d}.hold(), true, nil
}

// openLocation runs the checks of Linux's do_open and may_open on l and
// opens it.
func (c *FsContext) openLocation(l Location, flags int, created bool) (*File, error) {
	a, err := l.Dentry.Inode().Getattr()
	if err != nil {
		return nil, err
	}
	typ := a.Mode.Type()
	if flags&vfs.O_CREAT != 0 && typ == vfs.ModeDir {
		return nil, vfs.EISDIR
	}
	if flags&vfs.O_DIRECTORY != 0 && typ != vfs.ModeDir {
		return nil, vfs.ENOTDIR
	}
	if flags&vfs.O_PATH != 0 {
		return newFile(l, flags, nil), nil
	}
	acc := accMode(flags)
	if created {
		acc = 0
	}
	truncate := false
	if typ == vfs.ModeRegular && flags&vfs.O_TRUNC != 0 && !created {
		if l.Mount.readOnly() {
			return nil, vfs.EROFS
		}
		truncate = true
	}
	switch typ {
	case vfs.ModeSymlink:
		return nil, vfs.ELOOP
	case vfs.ModeDir:
		if acc&vfs.MayWrite != 0 {
			return nil, vfs.EISDIR
		}
	case vfs.ModeCharDevice, vfs.ModeBlockDevice:
		if l.Mount.flags.Load()&mntNodev != 0 {
			return nil, vfs.EACCES
		}
	}
	if acc != 0 {
		if acc&vfs.MayWrite != 0 && l.Dentry.Superblock().ReadOnly() &&
			(typ == vfs.ModeRegular || typ == vfs.ModeDir || typ == vfs.ModeSymlink) {
			return nil, vfs.EROFS
		}
		if err := vfs.Permission(&a, c.creds(), acc); err != nil {
			return nil, err
		}
	}
	writes := flags&vfs.O_ACCMODE != vfs.O_RDONLY
	if writes && l.Mount.readOnly() && (typ == vfs.ModeRegular || typ == vfs.ModeDir) {
		return nil, vfs.EROFS
	}
	switch typ {
	case vfs.ModeFIFO:
		return c.k.openFIFO(l, flags)
	case vfs.ModeCharDevice:
		dev, ok := memDevices[a.Rdev]
		if !ok {
			return nil, vfs.ENXIO
		}
		f := newFile(l, flags, nil)
		f.dev = dev
		return f, nil
	case vfs.ModeBlockDevice, vfs.ModeSocket:
		return nil, vfs.ENXIO
	}
	bf, err := l.Dentry.Inode().Open(flags &^ (vfs.O_CREAT | vfs.O_EXCL | vfs.O_NOFOLLOW | vfs.O_TRUNC))
	if err != nil {
		return nil, err
	}
	if truncate {
		if err := c.truncate(l, 0, false); err != nil {
			bf.Close()
			return nil, err
		}
	}
	f := newFile(l, flags, bf)
	f.cred = c.creds()
	return f, nil
}
