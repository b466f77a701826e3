package linuxabi

import (
	"path"

	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// Flags of unshare(2) (x86-64 and generic agree).
const (
	CLONE_VM      = 0x00000100
	CLONE_FS      = 0x00000200
	CLONE_FILES   = 0x00000400
	CLONE_SIGHAND = 0x00000800
	CLONE_THREAD  = 0x00010000
	CLONE_NEWNS   = 0x00020000
	CLONE_SYSVSEM = 0x00040000

	cloneNewTime   = 0x00000080
	cloneNewCgroup = 0x02000000
	cloneNewUTS    = 0x04000000
	cloneNewIPC    = 0x08000000
	cloneNewUser   = 0x10000000
	cloneNewPID    = 0x20000000
	cloneNewNet    = 0x40000000

	unshareNoops      = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM
	unshareNamespaces = cloneNewTime | cloneNewCgroup | cloneNewUTS | cloneNewIPC | cloneNewUser | cloneNewPID | cloneNewNet
)

// umount2Flags are the flags umount2(2) knows.
const umount2Flags = mount.MNT_FORCE | mount.MNT_DETACH | mount.MNT_EXPIRE | mount.UMOUNT_NOFOLLOW

// Mount is mount(2): mount(source, target, fstype, flags, data). The type,
// the source and the data are read first (in that order, as Linux reads
// them), then the target; NULL source, type and data are NULL.
func (p *Process) Mount(source, target, fstype, flags, data uint64) int64 {
	typ, err := readMountString(p.mem, fstype)
	if err != nil {
		return errno(err)
	}
	src, err := readMountString(p.mem, source)
	if err != nil {
		return errno(err)
	}
	opts, err := readMountData(p.mem, data)
	if err != nil {
		return errno(err)
	}
	var dir *string
	if target != 0 {
		t, err := readPath(p.mem, target)
		if err != nil {
			return errno(err)
		}
		dir = &t
	}
	return errno(p.ctx.MountRaw(src, dir, typ, flags, opts))
}

// Umount2 is umount2(2): unknown flags are EINVAL before the path is read.
func (p *Process) Umount2(target uint64, flags int64) int64 {
	if flags&^umount2Flags != 0 {
		return -int64(vfs.EINVAL)
	}
	t, err := readPath(p.mem, target)
	if err != nil {
		return errno(err)
	}
	return errno(p.ctx.Umount2(t, int(flags)))
}

// PivotRoot is pivot_root(2). As in Linux, new_root is read and looked up
// before put_old is read.
func (p *Process) PivotRoot(newRoot, putOld uint64) int64 {
	n, err := readPath(p.mem, newRoot)
	if err != nil {
		return errno(err)
	}
	o, err := readPath(p.mem, putOld)
	if err != nil {
		loc, lerr := p.ctx.Resolve(n, true)
		if lerr != nil {
			return errno(lerr)
		}
		if !loc.Dentry.IsDir() {
			return -int64(vfs.ENOTDIR)
		}
		return errno(err)
	}
	return errno(p.ctx.PivotRoot(n, o))
}

// pathCall reads the path at addr and runs op on it.
func (p *Process) pathCall(addr uint64, op func(string) error) int64 {
	s, err := readPath(p.mem, addr)
	if err != nil {
		return errno(err)
	}
	return errno(op(s))
}

// Chroot is chroot(2).
func (p *Process) Chroot(path uint64) int64 { return p.pathCall(path, p.ctx.Chroot) }

// Chdir is chdir(2).
func (p *Process) Chdir(path uint64) int64 { return p.pathCall(path, p.ctx.Chdir) }

// Fchdir is fchdir(2).
func (p *Process) Fchdir(fd int64) int64 {
	f, err := p.file(fd)
	if err != nil {
		return errno(err)
	}
	return errno(p.ctx.Fchdir(f))
}

// Getcwd is getcwd(2): it writes the path with its NUL to buf and returns
// its length with the NUL; ERANGE when size is too small.
func (p *Process) Getcwd(buf, size uint64) int64 {
	cwd, err := p.ctx.Getcwd()
	if err != nil {
		return errno(err)
	}
	b := append([]byte(cwd), 0)
	if uint64(len(b)) > size {
		return -int64(vfs.ERANGE)
	}
	if n, _ := p.mem.WriteAt(b, buf); n < len(b) {
		return -int64(vfs.EFAULT)
	}
	return int64(len(b))
}

// atCall reads the path at addr and runs op with the context that
// resolves it relative to dirfd.
func (p *Process) atCall(dirfd int64, addr uint64, op func(c *mount.FsContext, path string) error) int64 {
	s, err := readPath(p.mem, addr)
	if err != nil {
		return errno(err)
	}
	c, release, err := p.at(dirfd, s)
	if err != nil {
		return errno(err)
	}
	defer release()
	return errno(op(c, s))
}

// Openat is openat(2): it returns the lowest free descriptor. EMFILE is
// checked after the path is read and before the file is looked up, as in
// Linux.
func (p *Process) Openat(dirfd int64, pathAddr uint64, flags int64, mode uint64) int64 {
	s, err := readPath(p.mem, pathAddr)
	if err != nil {
		return errno(err)
	}
	if !p.hasFreeFD() {
		return -int64(vfs.EMFILE)
	}
	c, release, err := p.at(dirfd, s)
	if err != nil {
		return errno(err)
	}
	defer release()
	fl := int(uint32(flags))
	f, err := c.Open(s, fl&^vfs.O_CLOEXEC, uint32(mode)&0o7777)
	if err != nil {
		return errno(err)
	}
	fd, err := p.install(f, fl&vfs.O_CLOEXEC != 0)
	if err != nil {
		f.Close()
	}
	return ret(fd, err)
}

func (p *Process) hasFreeFD() bool {
	if len(p.files) < NOFILE {
		return true
	}
	for _, of := range p.files {
		if of == nil {
			return true
		}
	}
	return false
}

// Mkdirat is mkdirat(2).
func (p *Process) Mkdirat(dirfd int64, path uint64, mode uint64) int64 {
	return p.atCall(dirfd, path, func(c *mount.FsContext, s string) error {
		return c.Mkdir(s, uint32(mode))
	})
}

// Mknodat is mknodat(2); dev is the kernel's 32-bit device encoding
// (new_encode_dev: 12 bits of major, 20 of minor). The file type is
// checked before the name is read, as do_mknodat does: a directory is
// EPERM, an unknown type EINVAL.
func (p *Process) Mknodat(dirfd int64, path uint64, mode, dev uint64) int64 {
	switch vfs.Mode(mode) & vfs.ModeType {
	case 0, vfs.ModeRegular, vfs.ModeCharDevice, vfs.ModeBlockDevice, vfs.ModeFIFO, vfs.ModeSocket:
	case vfs.ModeDir:
		return -int64(vfs.EPERM)
	default:
		return -int64(vfs.EINVAL)
	}
	d := uint32(dev)
	major := (d & 0xfff00) >> 8
	minor := (d & 0xff) | ((d >> 12) & 0xfff00)
	return p.atCall(dirfd, path, func(c *mount.FsContext, s string) error {
		return c.Mknod(s, uint32(mode), vfs.Mkdev(major, minor))
	})
}

// Unlinkat is unlinkat(2): AT_REMOVEDIR makes it rmdir; other flags are
// EINVAL before the path is read.
func (p *Process) Unlinkat(dirfd int64, path uint64, flags int64) int64 {
	if flags&^AT_REMOVEDIR != 0 {
		return -int64(vfs.EINVAL)
	}
	return p.atCall(dirfd, path, func(c *mount.FsContext, s string) error {
		if flags&AT_REMOVEDIR != 0 {
			return c.Rmdir(s)
		}
		return c.Unlink(s)
	})
}

// Symlinkat is symlinkat(2): the link at linkpath (relative to newdirfd)
// gets the content target.
func (p *Process) Symlinkat(target uint64, newdirfd int64, linkpath uint64) int64 {
	t, err := readPath(p.mem, target)
	if err != nil {
		return errno(err)
	}
	return p.atCall(newdirfd, linkpath, func(c *mount.FsContext, s string) error {
		return c.Symlink(t, s)
	})
}

// twoPaths resolves a pair of paths relative to their own directory
// descriptors in one context: the first one's, with the second path made
// absolute through the name (getcwd) of its directory when the two
// descriptors differ and both paths are relative.
func (p *Process) twoPaths(olddirfd int64, oldpath string, newdirfd int64, newpath string) (*mount.FsContext, string, func(), error) {
	c, release, err := p.at(olddirfd, oldpath)
	if err != nil {
		return nil, "", nil, err
	}
	if newpath == "" || newpath[0] == '/' || newdirfd == olddirfd || (newdirfd == AT_FDCWD && c == p.ctx) {
		return c, newpath, release, nil
	}
	nc, nrelease, err := p.at(newdirfd, newpath)
	if err != nil {
		release()
		return nil, "", nil, err
	}
	defer nrelease()
	dir, err := nc.Getcwd()
	if err != nil {
		release()
		return nil, "", nil, err
	}
	return c, path.Join(dir, newpath), release, nil
}

// Linkat is linkat(2). AT_SYMLINK_FOLLOW and AT_EMPTY_PATH are
// EOPNOTSUPP; other flags EINVAL.
func (p *Process) Linkat(olddirfd int64, oldpath uint64, newdirfd int64, newpath uint64, flags int64) int64 {
	if flags&^(AT_SYMLINK_FOLLOW|AT_EMPTY_PATH) != 0 {
		return -int64(vfs.EINVAL)
	}
	if flags != 0 {
		return -int64(vfs.EOPNOTSUPP)
	}
	return p.pathPair(olddirfd, oldpath, newdirfd, newpath, func(c *mount.FsContext, o, n string) error {
		return c.Link(o, n)
	})
}

// Renameat2 is renameat2(2) with RENAME_NOREPLACE and RENAME_EXCHANGE as
// the mount package supports them.
//
// The flags are checked before the names are read, as do_renameat2 does:
// unknown bits, or RENAME_EXCHANGE with RENAME_NOREPLACE or
// RENAME_WHITEOUT, are EINVAL.
func (p *Process) Renameat2(olddirfd int64, oldpath uint64, newdirfd int64, newpath uint64, flags uint64) int64 {
	const known = vfs.RENAME_NOREPLACE | vfs.RENAME_EXCHANGE | vfs.RENAME_WHITEOUT
	if flags&^known != 0 || (flags&(vfs.RENAME_NOREPLACE|vfs.RENAME_WHITEOUT) != 0 && flags&vfs.RENAME_EXCHANGE != 0) {
		return -int64(vfs.EINVAL)
	}
	return p.pathPair(olddirfd, oldpath, newdirfd, newpath, func(c *mount.FsContext, o, n string) error {
		return c.Renameat2(o, n, uint32(flags))
	})
}

func (p *Process) pathPair(olddirfd int64, oldAddr uint64, newdirfd int64, newAddr uint64, op func(c *mount.FsContext, o, n string) error) int64 {
	o, err := readPath(p.mem, oldAddr)
	if err != nil {
		return errno(err)
	}
	n, err := readPath(p.mem, newAddr)
	if err != nil {
		return errno(err)
	}
	c, n, release, err := p.twoPaths(olddirfd, o, newdirfd, n)
	if err != nil {
		return errno(err)
	}
	defer release()
	return errno(op(c, o, n))
}

// Readlinkat is readlinkat(2): at most bufsiz bytes of the target, no NUL,
// and their count. bufsiz <= 0 is EINVAL before the path is read. An empty
// path names dirfd itself: ENOENT unless it is a symbolic link (O_PATH),
// which this package cannot read by descriptor (EOPNOTSUPP).
func (p *Process) Readlinkat(dirfd int64, pathAddr uint64, buf uint64, bufsiz int64) int64 {
	if int32(bufsiz) <= 0 {
		return -int64(vfs.EINVAL)
	}
	s, err := readPathEmptyOK(p.mem, pathAddr)
	if err != nil {
		return errno(err)
	}
	if s == "" {
		if dirfd == AT_FDCWD {
			return -int64(vfs.ENOENT)
		}
		f, err := p.file(dirfd)
		if err != nil {
			return errno(err)
		}
		st, err := f.Stat()
		if err != nil {
			return errno(err)
		}
		if st.Mode.IsSymlink() {
			return -int64(vfs.EOPNOTSUPP)
		}
		return -int64(vfs.ENOENT)
	}
	c, release, err := p.at(dirfd, s)
	if err != nil {
		return errno(err)
	}
	defer release()
	t, err := c.Readlink(s)
	if err != nil {
		return errno(err)
	}
	b := []byte(t)
	if len(b) > int(int32(bufsiz)) {
		b = b[:int32(bufsiz)]
	}
	if n, _ := p.mem.WriteAt(b, buf); n < len(b) {
		return -int64(vfs.EFAULT)
	}
	return int64(len(b))
}

// Newfstatat is newfstatat(2) (fstatat): the struct stat of this
// architecture is written to statbuf. With AT_EMPTY_PATH a NULL or empty
// path names dirfd itself (or the working directory for AT_FDCWD).
func (p *Process) Newfstatat(dirfd int64, pathAddr uint64, statbuf uint64, flags int64) int64 {
	if flags&^(AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT|AT_EMPTY_PATH|atStatxSyncType) != 0 {
		return -int64(vfs.EINVAL) // before the name is read, as Linux does
	}
	var s string
	named := true
	if flags&AT_EMPTY_PATH != 0 {
		if pathAddr == 0 {
			named = false
		} else {
			var err error
			if s, err = readPathEmptyOK(p.mem, pathAddr); err != nil {
				return errno(err)
			}
			named = s != ""
		}
	} else {
		var err error
		if s, err = readPath(p.mem, pathAddr); err != nil {
			return errno(err)
		}
	}
	var st mount.Stat
	var err error
	switch {
	case !named && dirfd >= 0:
		f, ferr := p.file(dirfd)
		if ferr != nil {
			return errno(ferr)
		}
		st, err = f.Stat()
	case !named && dirfd == AT_FDCWD:
		st, err = p.ctx.Stat(".")
	case !named:
		return -int64(vfs.EBADF)
	default:
		c, release, aerr := p.at(dirfd, s)
		if aerr != nil {
			return errno(aerr)
		}
		if flags&AT_SYMLINK_NOFOLLOW != 0 {
			st, err = c.Lstat(s)
		} else {
			st, err = c.Stat(s)
		}
		release()
	}
	if err != nil {
		return errno(err)
	}
	b := encodeStat(&st)
	if n, _ := p.mem.WriteAt(b, statbuf); n < len(b) {
		return -int64(vfs.EFAULT)
	}
	return 0
}

// atStatxSyncType is AT_STATX_SYNC_TYPE, which fstatat accepts and ignores.
const atStatxSyncType = 0x6000

// Unshare is unshare(2) for a single-threaded task: CLONE_NEWNS copies the
// mount namespace; CLONE_FS, CLONE_FILES, CLONE_SYSVSEM, CLONE_VM,
// CLONE_SIGHAND and CLONE_THREAD change nothing for a task that shares
// none of them; the other namespaces are EOPNOTSUPP, unknown bits EINVAL.
func (p *Process) Unshare(flags uint64) int64 {
	if flags&^uint64(unshareNoops|unshareNamespaces|CLONE_NEWNS) != 0 {
		return -int64(vfs.EINVAL)
	}
	if flags&unshareNamespaces != 0 {
		return -int64(vfs.EOPNOTSUPP)
	}
	if flags&CLONE_NEWNS != 0 {
		return errno(p.ctx.Unshare())
	}
	return 0
}
