package mount

import (
	"github.com/mountkit/mountkit/vfs"
)

// Mount is mount(2) with non-NULL arguments: see MountRaw.
func (c *FsContext) Mount(source, target, fstype string, flags uint64, data string) error {
	return c.MountRaw(&source, &target, &fstype, flags, &data)
}

// MountRaw is mount(2) with Linux's own argument conventions: a nil
// pointer is a NULL pointer (a NULL target is EFAULT, a NULL type on a
// new mount EINVAL, a NULL or empty source on a bind or move EINVAL).
//
// The checks run in Linux's order: the type and source strings (4096
// bytes or more: EINVAL), the target lookup, the old MS_MGC_VAL magic,
// MS_NOUSER (EINVAL), CAP_SYS_ADMIN (EPERM), then the operation chosen as
// do_mount chooses it: MS_REMOUNT, MS_BIND, a propagation change, MS_MOVE,
// or a new mount.
func (c *FsContext) MountRaw(source, target, fstype *string, flags uint64, data *string) error {
	if fstype != nil && len(*fstype) >= vfs.PathMax {
		return vfs.EINVAL
	}
	if source != nil && len(*source) >= vfs.PathMax {
		return vfs.EINVAL
	}
	if target == nil {
		return vfs.EFAULT
	}
	var opts string
	if data != nil {
		opts = *data
		if len(opts) >= 4096 {
			opts = opts[:4095]
		}
		if i := indexNUL(opts); i >= 0 {
			opts = opts[:i]
		}
	}
	// The target is resolved first; the tree may change before it is
	// locked, so each operation re-checks it under the mount lock.
	tgt, err := c.Resolve(*target, true)
	if err != nil {
		return err
	}
	if flags&MS_MGC_MSK == MS_MGC_VAL {
		flags &^= MS_MGC_MSK
	}
	flags &= 0xffffffff
	if flags&MS_NOUSER != 0 {
		return vfs.EINVAL
	}
	cred := c.creds()
	if !cred.Caps.Has(vfs.CAP_SYS_ADMIN) {
		return vfs.EPERM
	}
	switch {
	case flags&MS_REMOUNT != 0:
		return c.remount(tgt, flags, opts)
	case flags&MS_BIND != 0:
		return c.bind(tgt, source, flags&MS_REC != 0)
	case flags&(MS_SHARED|MS_PRIVATE|MS_SLAVE|MS_UNBINDABLE) != 0:
		return c.changeType(tgt, flags)
	case flags&MS_MOVE != 0:
		return c.move(tgt, source)
	}
	return c.newMount(tgt, source, fstype, flags, opts, cred)
}

func indexNUL(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

// newMount mounts a new filesystem of type fstype on tgt (do_new_mount).
func (c *FsContext) newMount(tgt Location, source, fstype *string, flags uint64, data string, cred *vfs.Cred) error {
	if fstype == nil {
		return vfs.EINVAL
	}
	t, ok := c.k.fsType(*fstype)
	if !ok {
		return vfs.ENODEV
	}
	src := ""
	if source != nil {
		src = *source
	}
	req := &vfs.MountRequest{
		Source: src,
		Flags:  flags,
		Data:   data,
		Cred:   cred,
		Lookup: func(path string) (*vfs.Dentry, error) {
			l, err := c.Resolve(path, true)
			return l.Dentry, err
		},
		LookupMount: func(path string) (vfs.MountedDentry, error) {
			l, err := c.Resolve(path, true)
			if err != nil {
				return vfs.MountedDentry{}, err
			}
			sb := l.Mount.sb
			hold := func() func() {
				c.k.mu.Lock()
				defer c.k.mu.Unlock()
				if c.k.sbs[sb.Filesystem()] != sb {
					// Its last mount went since the lookup.
					return func() {}
				}
				sb.mounts++
				// Called from the holder's Release, under k.mu.
				return func() { c.k.putSuperblock(sb) }
			}
			return vfs.MountedDentry{Dentry: l.Dentry, Mount: l.Mount, ReadOnly: l.Mount.readOnly(), Hold: hold}, nil
		},
	}
	var bdev *loopDevice
	if t.requiresD {
		// Mounts of block devices are serialised, so that one device
		// gets one superblock (Linux's sget under sb_lock).
		c.k.loops.bdevMu.Lock()
		defer c.k.loops.bdevMu.Unlock()
		req.GetTreeBdev = func(fill func(vfs.BlockDevice) (vfs.Filesystem, error)) (vfs.Filesystem, error) {
			fs, d, err := c.getTreeBdev(src, t.name, flags, fill)
			bdev = d
			return fs, err
		}
	}
	fs, err := t.newFS(req)
	if err != nil {
		return err
	}
	k := c.k
	k.lockMounts()
	defer k.unlockMounts()
	_, existed := k.sbs[fs]
	discard := func(err error) error {
		if !existed {
			if bdev != nil {
				k.releaseDev(bdev.Dev(), fs)
			}
			if r, ok := fs.(vfs.Releaser); ok {
				_ = r.Release()
			}
		}
		return err
	}
	top, err := c.lockTarget(tgt)
	if err != nil {
		return discard(err)
	}
	if existed && top.Mount.sb.Filesystem() == fs && top.IsMountRoot() {
		return discard(vfs.EBUSY)
	}
	root := fs.Root()
	a, err := root.Getattr()
	if err != nil {
		return discard(err)
	}
	if a.Mode.IsSymlink() {
		return discard(vfs.EINVAL)
	}
	if a.Mode.IsDir() != top.Dentry.IsDir() {
		return discard(vfs.ENOTDIR)
	}
	var dev uint64
	if bdev != nil {
		dev = bdev.Dev()
	}
	// The filesystem type may have added MS_RDONLY to req.Flags.
	sb := k.superblockOn(fs, uint32((flags|req.Flags&MS_RDONLY)&sbFlagsMask), dev)
	devname := "none"
	if source != nil {
		devname = *source
	}
	m := k.newMount(sb, sb.Root(), devname, mntFlagsOf(flags))
	if err := k.attachRecursive(m, top, false); err != nil {
		k.freeTree(m)
		return err
	}
	return nil
}

// lockTarget returns the place a mount on tgt lands: the root of the
// topmost mount stacked there. ENOENT when the target was removed or its
// mount is in no namespace (after a lazy unmount); EINVAL when it is in
// another namespace.
// k.mu is held.
func (c *FsContext) lockTarget(tgt Location) (Location, error) {
	top := c.k.crossDown(tgt)
	if top.Dentry.Dead() || top.Mount.ns == nil {
		return Location{}, vfs.ENOENT
	}
	if top.Mount.ns != c.Namespace() {
		return Location{}, vfs.EINVAL
	}
	return top, nil
}
