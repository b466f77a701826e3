package ext4

import (
	"github.com/mountkit/mountkit/vfs"
)

// Rename moves oldName of n to newName of newDir (ext4_rename):
// replacing a target (an empty directory for a directory), exchanging
// with RENAME_EXCHANGE, leaving a whiteout (a 0:0 character device)
// with RENAME_WHITEOUT; a directory moved to another parent gets its
// ".." pointed there and the parents' link counts follow.
func (n *node) Rename(oldName string, newDir vfs.Inode, newName string, flags uint32) error {
	nd, ok := newDir.(*node)
	if !ok || nd.f != n.f {
		return vfs.EXDEV
	}
	if flags&^(vfs.RENAME_NOREPLACE|vfs.RENAME_EXCHANGE|vfs.RENAME_WHITEOUT) != 0 ||
		flags&vfs.RENAME_EXCHANGE != 0 && flags&(vfs.RENAME_NOREPLACE|vfs.RENAME_WHITEOUT) != 0 {
		return vfs.EINVAL
	}
	f := n.f
	f.wmu.Lock()
	defer f.wmu.Unlock()
	if err := n.dirOp(oldName); err != nil {
		return err
	}
	if err := nd.dirOp(newName); err != nil {
		return err
	}
	// Both directories lose their index before any location is taken,
	// so that dropping one does not move entries under the other's.
	if err := f.checkDirWritable(n); err != nil {
		return err
	}
	if err := f.checkDirWritable(nd); err != nil {
		return err
	}
	sl, err := f.findEntry(n, oldName)
	if err != nil {
		return err
	}
	src, err := f.inode(sl.ino)
	if err != nil {
		return err
	}
	var dst *node
	dl, err := f.findEntry(nd, newName)
	switch {
	case err == nil:
		if dst, err = f.inode(dl.ino); err != nil {
			return err
		}
	case err != vfs.ENOENT:
		return err
	}
	if flags&vfs.RENAME_EXCHANGE != 0 {
		if dst == nil {
			return vfs.ENOENT
		}
		return f.exchange(n, sl, src, nd, dl, dst)
	}
	if dst != nil && flags&vfs.RENAME_NOREPLACE != 0 {
		return vfs.EEXIST
	}
	if dst == src {
		return nil // two links of one inode: nothing to do
	}
	srcDir := src.r.mode.IsDir()
	if dst != nil {
		if dst.r.mode.IsDir() {
			if !srcDir {
				return vfs.EISDIR
			}
			if empty, err := f.dirEmpty(dst); err != nil {
				return err
			} else if !empty {
				return vfs.ENOTEMPTY
			}
		} else if srcDir {
			return vfs.ENOTDIR
		}
	}
	if dst != nil {
		if err := f.checkReleasable(dst); err != nil {
			return err
		}
	}
	if srcDir && n != nd && dst == nil && nd.r.links >= linkMax &&
		!(f.sb.roCompat&roCompatDirNlink != 0 && f.isDx(nd.r)) {
		return vfs.EMLINK
	}
	var wh *node
	if flags&vfs.RENAME_WHITEOUT != 0 {
		if wh, err = f.newInode(n.r, vfs.CreateOpts{Mode: vfs.ModeCharDevice, UID: src.r.uid, GID: src.r.gid}); err != nil {
			return err
		}
	}
	if dst != nil {
		f.setAt(nd, dl, src.r.ino, src.r.mode)
	} else if err := f.addEntry(nd, newName, src.r.ino, src.r.mode); err != nil {
		if wh != nil {
			wh.r.links = 0
			_ = f.releaseInode(wh)
		}
		return err
	}
	// The source's location may have moved if the new entry went into
	// its block: find it again.
	if sl, err = f.findEntry(n, oldName); err != nil {
		return err
	}
	if wh != nil {
		f.setAt(n, sl, wh.r.ino, wh.r.mode)
	} else {
		f.removeAt(n, sl)
	}
	if srcDir && n != nd {
		if err := f.setDotDot(src, nd.r.ino); err != nil {
			return err
		}
		f.decLinks(n.r)
		if dst == nil {
			f.incLinks(nd.r)
		}
	}
	if dst != nil {
		// A replaced directory's ".." link goes; when the source came
		// from another directory its own ".." took that place.
		if dst.r.mode.IsDir() && n == nd {
			f.decLinks(nd.r)
		}
		if err := f.dropLink(dst); err != nil {
			return err
		}
	}
	src.r.ctime = now()
	if err := f.putInode(src.r); err != nil {
		return err
	}
	if err := f.touchDir(n); err != nil {
		return err
	}
	if nd != n {
		return f.touchDir(nd)
	}
	return nil
}

// exchange swaps two entries (RENAME_EXCHANGE).
func (f *FS) exchange(a *node, al entryLoc, x *node, b *node, bl entryLoc, y *node) error {
	if x == y {
		return nil
	}
	f.setAt(a, al, y.r.ino, y.r.mode)
	f.setAt(b, bl, x.r.ino, x.r.mode)
	if a != b {
		xd, yd := x.r.mode.IsDir(), y.r.mode.IsDir()
		if xd {
			if err := f.setDotDot(x, b.r.ino); err != nil {
				return err
			}
		}
		if yd {
			if err := f.setDotDot(y, a.r.ino); err != nil {
				return err
			}
		}
		if xd && !yd {
			f.decLinks(a.r)
			f.incLinks(b.r)
		} else if yd && !xd {
			f.decLinks(b.r)
			f.incLinks(a.r)
		}
	}
	t := now()
	x.r.ctime, y.r.ctime = t, t
	for _, r := range []*rawInode{x.r, y.r} {
		if err := f.putInode(r); err != nil {
			return err
		}
	}
	if err := f.touchDir(a); err != nil {
		return err
	}
	if a != b {
		return f.touchDir(b)
	}
	return nil
}

// setDotDot points directory d's ".." at parent.
func (f *FS) setDotDot(d *node, parent uint32) error {
	if d.r.flags&flagInlineData != 0 {
		return vfs.EOPNOTSUPP
	}
	if err := f.checkDirWritable(d); err != nil {
		return err
	}
	l, err := f.findEntry(d, "..")
	if err != nil {
		return vfs.EUCLEAN
	}
	f.setAt(d, l, parent, vfs.ModeDir)
	return nil
}
