package overlay

import (
	"io"
	"strconv"
	"strings"

	"github.com/mountkit/mountkit/vfs"
)

// copyUp returns the node's upper dentry, copying the node (and its
// parents first) up from its lower layer if needed. EROFS on a read-only
// overlay.
func (n *node) copyUp() (*vfs.Dentry, error) {
	if u := n.upper.Load(); u != nil {
		return u, nil
	}
	if n.fs.upper == nil {
		return nil, vfs.EROFS
	}
	n.fs.copyMu.Lock()
	defer n.fs.copyMu.Unlock()
	return n.copyUpLocked()
}

// copyUpLocked is copyUp with fs.copyMu held.
//
// The copy is staged in the work directory under a temporary name (data,
// extended attributes, the origin record, then mode, owner and times)
// and renamed into the upper parent last, so that a failure at any step
// leaves the lower file visible and no partial upper file: Linux's
// ovl_copy_up_workdir. The staged file is removed on failure.
func (n *node) copyUpLocked() (*vfs.Dentry, error) {
	if u := n.upper.Load(); u != nil {
		return u, nil
	}
	pu, err := n.parent.copyUpLocked()
	if err != nil {
		return nil, err
	}
	fsys := n.fs
	lower := n.lowers[0]
	a, err := lower.Inode().Getattr()
	if err != nil {
		return nil, err
	}
	tmp := tempName()
	staged, err := fsys.stage(tmp, lower, a)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*vfs.Dentry, error) {
		_ = removeTree(fsys.work, tmp)
		return nil, err
	}
	if err := fsys.copyXattrs(lower, staged); err != nil {
		return fail(err)
	}
	origin := []byte(originTag + strconv.FormatUint(fsys.mapIno(lower.Superblock(), a.Ino), 10))
	if err := staged.Inode().Setxattr(fsys.prefix+"origin", origin, 0); err != nil {
		return fail(err)
	}
	set := vfs.SetAttr{Mask: vfs.SetUID | vfs.SetGID | vfs.SetAtime | vfs.SetMtime,
		UID: a.UID, GID: a.GID, Atime: a.Atime, Mtime: a.Mtime}
	if !a.Mode.IsSymlink() {
		set.Mask |= vfs.SetMode
		set.Mode = a.Mode.Perm()
	}
	if err := staged.Inode().Setattr(&set); err != nil {
		return fail(err)
	}
	if err := fsys.setImpure(pu); err != nil {
		return fail(err)
	}
	if err := fsys.work.Rename(tmp, pu, n.name, 0, nil); err != nil {
		return fail(err)
	}
	u, err := pu.Lookup(n.name)
	if err != nil {
		return nil, err
	}
	n.upper.Store(u)
	return u, nil
}

// stage makes in the work directory, called tmp, a copy of lower without
// its attributes: the data of a regular file, the target of a symbolic
// link, an empty directory, a device node.
func (fsys *FS) stage(tmp string, lower *vfs.Dentry, a vfs.Attr) (*vfs.Dentry, error) {
	o := vfs.CreateOpts{Mode: a.Mode.Type() | 0o600, UID: a.UID, GID: a.GID, Rdev: a.Rdev}
	w := fsys.work
	switch a.Mode.Type() {
	case vfs.ModeDir:
		o.Mode = vfs.ModeDir | 0o700
		return w.Mkdir(tmp, o)
	case vfs.ModeSymlink:
		target, err := lower.Inode().Readlink()
		if err != nil {
			return nil, err
		}
		return w.Symlink(tmp, target, o)
	case vfs.ModeRegular:
		d, err := w.Create(tmp, o)
		if err != nil {
			return nil, err
		}
		if err := copyData(lower.Inode(), d.Inode(), a.Size); err != nil {
			_ = w.Unlink(tmp, nil)
			return nil, err
		}
		return d, nil
	default:
		return w.Mknod(tmp, o)
	}
}

// copyData copies size bytes of src's data to dst.
func copyData(src, dst vfs.Inode, size int64) error {
	if size == 0 {
		return nil
	}
	in, err := src.Open(vfs.O_RDONLY)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := dst.Open(vfs.O_WRONLY)
	if err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	var off int64
	for {
		k, rerr := in.ReadAt(buf, off)
		if k > 0 {
			if _, err := out.WriteAt(buf[:k], off); err != nil {
				out.Close()
				return err
			}
			off += int64(k)
		}
		if rerr == io.EOF || k == 0 && rerr == nil {
			break
		}
		if rerr != nil {
			out.Close()
			return rerr
		}
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyXattrs copies the extended attributes of src to dst, less the
// overlay's own.
func (fsys *FS) copyXattrs(src, dst *vfs.Dentry) error {
	names, err := src.Inode().Listxattr()
	if err != nil {
		if err == vfs.EOPNOTSUPP {
			return nil
		}
		return err
	}
	esc := fsys.prefix + "overlay."
	for _, x := range names {
		if strings.HasPrefix(x, fsys.prefix) && !strings.HasPrefix(x, esc) {
			continue
		}
		v, err := src.Inode().Getxattr(x)
		if err == vfs.ENODATA {
			continue
		}
		if err != nil {
			return err
		}
		if err := dst.Inode().Setxattr(x, v, 0); err != nil {
			return err
		}
	}
	return nil
}

// setImpure marks an upper directory as holding copied-up entries.
func (fsys *FS) setImpure(d *vfs.Dentry) error {
	if _, err := d.Inode().Getxattr(fsys.prefix + "impure"); err == nil {
		return nil
	}
	return d.Inode().Setxattr(fsys.prefix+"impure", []byte("y"), 0)
}
