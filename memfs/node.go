package memfs

import (
	"strings"

	"github.com/mountkit/mountkit/vfs"
)

// shortSymlinkLen is Linux's SHORT_SYMLINK_LEN: a symlink whose target
// with its NUL is longer is stored in a page, which counts against the
// size limit and st_blocks.
const shortSymlinkLen = 128

// node is an inode of any type. One struct serves every type so that an
// inode is a single allocation; the type-specific fields of other types
// stay zero (a regular file is 144 bytes on 64-bit machines, plus its
// pages). Every field is guarded by fs.mu.
type node struct {
	fs    *FS
	ino   uint64
	mode  vfs.Mode
	nlink uint32
	uid   uint32
	gid   uint32
	opens int32 // open Files
	pins  int32 // holders in the vfs layer (vfs.Pinner)
	flags nodeFlags
	size  int64 // st_size: file length, 40+20/entry for a directory, target length

	atime, mtime, ctime vfs.Timespec

	xattrs *xattrSet // nil when there are none

	pages  map[int64]*page // regular file: data pages by index; nil when empty
	d      *dirData        // directory
	target string          // symbolic link
	rdev   uint64          // device node
}

type nodeFlags uint8

const (
	// evicted: the node's nlink reached 0 with no open File, and its
	// blocks and inode budget were returned.
	evicted nodeFlags = 1 << iota
	// longLink: a symlink whose target holds a page.
	longLink
)

type page [pageSize]byte

var _ vfs.Inode = (*node)(nil)

// newNode makes an inode with a fresh inode number, charging the inode
// budget; ENOSPC when it is exhausted. mu is held.
func (fsys *FS) newNode(mode vfs.Mode, uid, gid uint32) (*node, error) {
	if err := fsys.reserveIspace(bogoInodeSize); err != nil {
		return nil, err
	}
	now := vfs.Now()
	n := &node{
		fs:    fsys,
		ino:   fsys.newIno(),
		mode:  mode,
		nlink: 1,
		uid:   uid,
		gid:   gid,
		atime: now,
		mtime: now,
		ctime: now,
	}
	if mode.IsDir() {
		n.nlink = 2
		n.size = 2 * bogoDirentSize
		n.d = &dirData{next: firstCookie}
	}
	return n, nil
}

// maybeEvict frees the node's storage once it has no name and no open
// File, as Linux's shmem_evict_inode. The inode budget is returned once;
// pages written through a File opened later are freed again when it
// closes. mu is held.
func (n *node) maybeEvict() {
	if n.nlink > 0 || n.opens > 0 || n.pins > 0 {
		return
	}
	n.fs.freeBlocks(n.blocks())
	n.pages = nil
	n.flags &^= longLink
	if n.flags&evicted != 0 {
		return
	}
	n.flags |= evicted
	space := uint64(bogoInodeSize)
	if n.xattrs != nil {
		for _, x := range n.xattrs.list {
			space += xattrSpace(x.name, len(x.value))
		}
	}
	n.fs.unreserveIspace(space)
}

// chargeIspace takes size bytes of the inode budget for an attribute of
// n, unless n was evicted and so holds no budget. mu is held.
func (n *node) chargeIspace(size uint64) error {
	if n.flags&evicted != 0 {
		return nil
	}
	return n.fs.reserveIspace(size)
}

// refundIspace returns what chargeIspace took. mu is held.
func (n *node) refundIspace(size uint64) {
	if n.flags&evicted == 0 {
		n.fs.unreserveIspace(size)
	}
}

// blocks returns the pages the node holds. mu is held.
func (n *node) blocks() uint64 {
	b := uint64(len(n.pages))
	if n.flags&longLink != 0 {
		b++
	}
	return b
}

// touchCM sets ctime and mtime to now. mu is held.
func (n *node) touchCM() {
	now := vfs.Now()
	n.mtime, n.ctime = now, now
}

// Getattr returns the inode's attributes.
func (n *node) Getattr() (vfs.Attr, error) {
	n.fs.mu.RLock()
	defer n.fs.mu.RUnlock()
	return vfs.Attr{
		Ino:     n.ino,
		Mode:    n.mode,
		Nlink:   n.nlink,
		UID:     n.uid,
		GID:     n.gid,
		Rdev:    n.rdev,
		Size:    n.size,
		Blocks:  int64(n.blocks()) * (pageSize / 512),
		Blksize: pageSize,
		Atime:   n.atime,
		Mtime:   n.mtime,
		Ctime:   n.ctime,
	}, nil
}

// Setattr applies s as Linux's shmem_setattr after notify_change: the
// mode's permission bits, owner, group, size (regular files only: EISDIR
// for a directory, EINVAL otherwise; EINVAL for a negative size, EFBIG
// past the maximum file size) and times. ctime becomes now unless
// SetCtime gives it, and a size change without SetMtime sets mtime to
// now too. Truncation frees whole pages past the end and zeroes the tail
// of the last; growth allocates nothing.
func (n *node) Setattr(s *vfs.SetAttr) error {
	fsys := n.fs
	fsys.mu.Lock()
	defer fsys.mu.Unlock()
	if s.Mask&vfs.SetSize != 0 {
		switch {
		case n.mode.IsDir():
			return vfs.EISDIR
		case !n.mode.IsRegular():
			return vfs.EINVAL
		case s.Size < 0:
			return vfs.EINVAL
		}
		n.truncate(s.Size)
	}
	if s.Mask&vfs.SetMode != 0 {
		n.mode = n.mode.Type() | s.Mode&0o7777
	}
	if s.Mask&vfs.SetUID != 0 {
		n.uid = s.UID
	}
	if s.Mask&vfs.SetGID != 0 {
		n.gid = s.GID
	}
	now := vfs.Now()
	if s.Mask&vfs.SetAtime != 0 {
		n.atime = s.Atime
	}
	switch {
	case s.Mask&vfs.SetMtime != 0:
		n.mtime = s.Mtime
	case s.Mask&vfs.SetSize != 0:
		n.mtime = now
	}
	if s.Mask&vfs.SetCtime != 0 {
		n.ctime = s.Ctime
	} else {
		n.ctime = now
	}
	return nil
}

// Readlink returns a symbolic link's target; EINVAL for other types.
func (n *node) Readlink() (string, error) {
	n.fs.mu.RLock()
	defer n.fs.mu.RUnlock()
	if !n.mode.IsSymlink() {
		return "", vfs.EINVAL
	}
	return n.target, nil
}

// checkName rejects names no directory may hold: ENAMETOOLONG past
// NAME_MAX, EEXIST for "." and "..", ENOENT for "" and EINVAL for a
// name with '/' or NUL. The mount layer never passes such names.
func checkName(name string) error {
	switch {
	case len(name) > vfs.NameMax:
		return vfs.ENAMETOOLONG
	case name == "":
		return vfs.ENOENT
	case name == "." || name == "..":
		return vfs.EEXIST
	case strings.ContainsAny(name, "/\x00"):
		return vfs.EINVAL
	}
	return nil
}

// Pin keeps the node's storage while the vfs layer holds it (vfs.Pinner).
func (n *node) Pin() {
	n.fs.mu.Lock()
	n.pins++
	n.fs.mu.Unlock()
}

// Unpin drops a Pin; an unlinked node then goes.
func (n *node) Unpin() {
	n.fs.mu.Lock()
	n.pins--
	n.maybeEvict()
	n.fs.mu.Unlock()
}
