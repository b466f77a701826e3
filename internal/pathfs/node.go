package pathfs

import (
	"io/fs"

	"github.com/mountkit/mountkit/vfs"
)

// node is one name of the tree that the vfs layer holds.
type node struct {
	fs  *FS
	ino uint64
	typ vfs.Mode // S_IFMT bits, fixed

	// Guarded by fs.mu.
	parent   *node // nil for the root
	name     string
	children map[string]*node // directories only
	dead     bool             // the name is gone
	last     vfs.Attr         // attributes at the last Getattr
}

var _ vfs.Inode = (*node)(nil)

// pathLocked returns n's path in the tree. fs.mu is held.
func (n *node) pathLocked() string {
	if n.parent == nil {
		return "."
	}
	if n.parent.parent == nil {
		return n.name
	}
	return n.parent.pathLocked() + "/" + n.name
}

// path returns n's path, or ENOENT when n's name is gone.
func (n *node) path() (string, error) {
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if n.dead {
		return "", vfs.ENOENT
	}
	return n.pathLocked(), nil
}

func (n *node) childPath(name string) string {
	p := n.pathLocked()
	if p == "." {
		return name
	}
	return p + "/" + name
}

func modeOf(m fs.FileMode) vfs.Mode {
	v := vfs.Mode(m.Perm())
	switch {
	case m&fs.ModeDir != 0:
		v |= vfs.ModeDir
	case m&fs.ModeSymlink != 0:
		v |= vfs.ModeSymlink
	case m&fs.ModeNamedPipe != 0:
		v |= vfs.ModeFIFO
	case m&fs.ModeSocket != 0:
		v |= vfs.ModeSocket
	case m&fs.ModeCharDevice != 0:
		v |= vfs.ModeCharDevice
	case m&fs.ModeDevice != 0:
		v |= vfs.ModeBlockDevice
	default:
		v |= vfs.ModeRegular
	}
	if m&fs.ModeSetuid != 0 {
		v |= vfs.ModeSetuid
	}
	if m&fs.ModeSetgid != 0 {
		v |= vfs.ModeSetgid
	}
	if m&fs.ModeSticky != 0 {
		v |= vfs.ModeSticky
	}
	return v
}

// attrOf converts a FileInfo of n's name.
func (n *node) attrOf(fi fs.FileInfo) vfs.Attr {
	a := vfs.Attr{
		Ino:     n.ino,
		Mode:    modeOf(fi.Mode()),
		Nlink:   1,
		Size:    fi.Size(),
		Blksize: 4096,
		Mtime:   vfs.TimespecOf(fi.ModTime()),
	}
	a.Atime, a.Ctime = a.Mtime, a.Mtime
	a.Blocks = (a.Size + 511) / 512
	fromSys(&a, fi)
	if a.Mode.IsSymlink() || a.Mode.IsDir() {
		a.Blocks = 0
	}
	return a
}

func (n *node) Getattr() (vfs.Attr, error) {
	n.fs.mu.Lock()
	if n.dead {
		a := n.last
		n.fs.mu.Unlock()
		a.Nlink = 0
		return a, nil
	}
	p := n.pathLocked()
	n.fs.mu.Unlock()
	fi, err := n.fs.tree.Lstat(p)
	if err != nil {
		return vfs.Attr{}, Errno(err)
	}
	a := n.attrOf(fi)
	a.Mode = n.typ | a.Mode.Perm()
	n.fs.mu.Lock()
	n.last = a
	n.fs.mu.Unlock()
	return a, nil
}

func (n *node) Setattr(s *vfs.SetAttr) error {
	f := n.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if n.dead {
		return vfs.ENOENT
	}
	p := n.pathLocked()
	fi, err := f.tree.Lstat(p)
	if err != nil {
		return Errno(err)
	}
	cur := n.attrOf(fi)
	hasOwner := hasOwners(fi)
	if s.Mask&(vfs.SetUID|vfs.SetGID) != 0 {
		uid, gid := cur.UID, cur.GID
		if s.Mask&vfs.SetUID != 0 {
			uid = s.UID
		}
		if s.Mask&vfs.SetGID != 0 {
			gid = s.GID
		}
		if !hasOwner && (uid != 0 || gid != 0) {
			return vfs.EPERM
		}
		if hasOwner {
			if err := f.tree.Chown(p, int(uid), int(gid)); err != nil {
				return Errno(err)
			}
		}
	}
	if s.Mask&vfs.SetMode != 0 && !n.typ.IsSymlink() {
		if err := f.tree.Chmod(p, vfs.Mode(n.typ|s.Mode.Perm()).FileMode()); err != nil {
			return Errno(err)
		}
	}
	if s.Mask&vfs.SetSize != 0 {
		if !n.typ.IsRegular() {
			return vfs.EINVAL
		}
		if err := f.tree.Truncate(p, s.Size); err != nil {
			return Errno(err)
		}
	}
	if s.Mask&(vfs.SetAtime|vfs.SetMtime) != 0 {
		at, mt := cur.Atime, cur.Mtime
		if s.Mask&vfs.SetAtime != 0 {
			at = s.Atime
		}
		if s.Mask&vfs.SetMtime != 0 {
			mt = s.Mtime
		}
		if err := f.tree.Chtimes(p, at.Time(), mt.Time()); err != nil {
			return Errno(err)
		}
	}
	return nil
}

func (n *node) Lookup(name string) (vfs.Inode, error) {
	if n.typ != vfs.ModeDir {
		return nil, vfs.ENOTDIR
	}
	f := n.fs
	f.mu.Lock()
	if n.dead {
		f.mu.Unlock()
		return nil, vfs.ENOENT
	}
	p := n.childPath(name)
	f.mu.Unlock()
	fi, err := f.tree.Lstat(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		if c := n.children[name]; c != nil && Errno(err) == vfs.ENOENT {
			c.dead = true
			delete(n.children, name)
		}
		return nil, Errno(err)
	}
	return f.child(n, name, modeOf(fi.Mode()).Type()), nil
}

// make runs op on the path of name in n and returns the node for it.
func (n *node) make(name string, typ vfs.Mode, o vfs.CreateOpts, op func(p string) error) (vfs.Inode, error) {
	if n.typ != vfs.ModeDir {
		return nil, vfs.ENOTDIR
	}
	f := n.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if n.dead {
		return nil, vfs.ENOENT
	}
	p := n.childPath(name)
	if err := op(p); err != nil {
		return nil, Errno(err)
	}
	if o.UID != 0 || o.GID != 0 {
		// Only a tree with owners can give the file its creator's;
		// others keep every file root's, as vfat gives every file the
		// mount's owner.
		if fi, err := f.tree.Lstat(p); err == nil {
			if hasOwners(fi) {
				_ = f.tree.Chown(p, int(o.UID), int(o.GID))
			}
		}
	}
	return f.child(n, name, typ), nil
}

func (n *node) Create(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	return n.make(name, vfs.ModeRegular, o, func(p string) error {
		if err := n.fs.tree.Create(p, o.Mode.FileMode().Perm()); err != nil {
			return err
		}
		return n.fixMode(p, vfs.ModeRegular|o.Mode.Perm())
	})
}

// fixMode gives the new file p the mode the caller computed: some trees
// filter the mode they are given (an operating system's umask) or drop
// the setuid, setgid and sticky bits. f.mu is held.
func (n *node) fixMode(p string, mode vfs.Mode) error {
	fi, err := n.fs.tree.Lstat(p)
	if err != nil {
		return err
	}
	if modeOf(fi.Mode()) == mode {
		return nil
	}
	return n.fs.tree.Chmod(p, mode.FileMode())
}

func (n *node) Mkdir(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	return n.make(name, vfs.ModeDir, o, func(p string) error {
		if err := n.fs.tree.Mkdir(p, o.Mode.FileMode().Perm()); err != nil {
			return err
		}
		return n.fixMode(p, vfs.ModeDir|o.Mode.Perm())
	})
}

// Mknod fails with EPERM: a path-addressed tree holds no device nodes,
// FIFOs or sockets.
func (n *node) Mknod(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	if n.typ != vfs.ModeDir {
		return nil, vfs.ENOTDIR
	}
	return nil, vfs.EPERM
}

func (n *node) Symlink(name, target string, o vfs.CreateOpts) (vfs.Inode, error) {
	return n.make(name, vfs.ModeSymlink, o, func(p string) error {
		return n.fs.tree.Symlink(target, p)
	})
}

// Link fails with EPERM, Linux's answer for a filesystem without hard
// links.
func (n *node) Link(name string, target vfs.Inode) error {
	if n.typ != vfs.ModeDir {
		return vfs.ENOTDIR
	}
	return vfs.EPERM
}

func (n *node) remove(name string, dir bool) error {
	if n.typ != vfs.ModeDir {
		return vfs.ENOTDIR
	}
	f := n.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if n.dead {
		return vfs.ENOENT
	}
	p := n.childPath(name)
	fi, err := f.tree.Lstat(p)
	if err != nil {
		return Errno(err)
	}
	if isDir := fi.IsDir(); isDir != dir {
		if isDir {
			return vfs.EISDIR
		}
		return vfs.ENOTDIR
	}
	if dir {
		ents, err := f.tree.ReadDir(p)
		if err != nil {
			return Errno(err)
		}
		if len(ents) > 0 {
			return vfs.ENOTEMPTY
		}
	}
	if err := f.tree.Remove(p); err != nil {
		return Errno(err)
	}
	if c := n.children[name]; c != nil {
		c.last = c.attrOf(fi)
		c.dead = true
		delete(n.children, name)
	}
	return nil
}

func (n *node) Unlink(name string) error { return n.remove(name, false) }
func (n *node) Rmdir(name string) error  { return n.remove(name, true) }

// Rename supports RENAME_NOREPLACE; RENAME_EXCHANGE and RENAME_WHITEOUT
// fail with EINVAL, as on Linux filesystems without them. A replaced name
// is removed before the move, so the replacement is not atomic.
func (n *node) Rename(oldName string, newDir vfs.Inode, newName string, flags uint32) error {
	nd, ok := newDir.(*node)
	if !ok || nd.fs != n.fs {
		return vfs.EXDEV
	}
	if flags&^vfs.RENAME_NOREPLACE != 0 {
		return vfs.EINVAL
	}
	f := n.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if n.dead || nd.dead {
		return vfs.ENOENT
	}
	op, np := n.childPath(oldName), nd.childPath(newName)
	ofi, err := f.tree.Lstat(op)
	if err != nil {
		return Errno(err)
	}
	if op == np {
		return nil
	}
	if nfi, err := f.tree.Lstat(np); err == nil {
		if flags&vfs.RENAME_NOREPLACE != 0 {
			return vfs.EEXIST
		}
		switch {
		case ofi.IsDir() && !nfi.IsDir():
			return vfs.ENOTDIR
		case !ofi.IsDir() && nfi.IsDir():
			return vfs.EISDIR
		}
		if nfi.IsDir() {
			ents, err := f.tree.ReadDir(np)
			if err != nil {
				return Errno(err)
			}
			if len(ents) > 0 {
				return vfs.ENOTEMPTY
			}
		}
		if err := f.tree.Remove(np); err != nil {
			return Errno(err)
		}
		if c := nd.children[newName]; c != nil {
			c.last = c.attrOf(nfi)
			c.dead = true
			delete(nd.children, newName)
		}
	} else if e := Errno(err); e != vfs.ENOENT {
		return e
	}
	if err := f.tree.Rename(op, np); err != nil {
		return Errno(err)
	}
	if c := n.children[oldName]; c != nil {
		delete(n.children, oldName)
		c.parent, c.name = nd, newName
		nd.children[newName] = c
	}
	return nil
}

func (n *node) Readlink() (string, error) {
	if !n.typ.IsSymlink() {
		return "", vfs.EINVAL
	}
	p, err := n.path()
	if err != nil {
		return "", err
	}
	t, err := n.fs.tree.ReadLink(p)
	if err != nil {
		return "", Errno(err)
	}
	return t, nil
}

// Getxattr fails with EOPNOTSUPP and Listxattr lists nothing, as for a
// Linux filesystem without xattr handlers; Setxattr and Removexattr fail
// with EOPNOTSUPP too.
func (n *node) Getxattr(name string) ([]byte, error)                { return nil, vfs.EOPNOTSUPP }
func (n *node) Setxattr(name string, value []byte, flags int) error { return vfs.EOPNOTSUPP }
func (n *node) Listxattr() ([]string, error)                        { return nil, nil }
func (n *node) Removexattr(name string) error                       { return vfs.EOPNOTSUPP }
