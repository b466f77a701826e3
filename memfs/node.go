package memfs

import (
	"sync/atomic"

	"github.com/mountkit/mountkit/vfs"
)

// shortSymlinkLen is Linux's SHORT_SYMLINK_LEN: a symlink whose target
// with its NUL is longer is stored in a page, which counts against the
// size limit and st_blocks.
const shortSymlinkLen = 128

// node is an inode of any type. One struct serves every type so that an
// inode is a single allocation; the type-specific fields of other types
// stay zero (a regular file is 152 bytes on 64-bit machines, plus its
// pages). Every field is guarded by fs.mu; the attributes Getattr reports
// are also atomic, so that Getattr may read them without fs.mu (see
// FS.seq): they change only with fs.mu held exclusively.
type node struct {
	fs    *FS
	ino   uint64 // set before the node is published
	mode  atomicMode
	nlink atomic.Uint32
	uid   atomic.Uint32
	gid   atomic.Uint32
	opens int32 // open Files
	pins  int32 // holders in the vfs layer (vfs.Pinner)
	flags nodeFlags
	size  atomic.Int64  // st_size: file length, 40+20/entry for a directory, target length
	nblks atomic.Uint64 // blocks(), kept by syncBlocks for Getattr

	atime, mtime, ctime atomicTime

	xattrs *xattrSet // nil when there are none

	pages  map[int64]*page // regular file: data pages by index; nil when empty
	d      *dirData        // directory
	target string          // symbolic link
	rdev   uint64          // device node; set before the node is published
}

// atomicMode is a vfs.Mode read and written atomically.
type atomicMode struct{ v atomic.Uint32 }

func (m *atomicMode) Load() vfs.Mode   { return vfs.Mode(m.v.Load()) }
func (m *atomicMode) Store(x vfs.Mode) { m.v.Store(uint32(x)) }

// atomicTime is a vfs.Timespec whose halves are read and written
// atomically; FS.seq makes a reader see both halves of one value.
type atomicTime struct{ sec, nsec atomic.Int64 }

func (t *atomicTime) Load() vfs.Timespec {
	return vfs.Timespec{Sec: t.sec.Load(), Nsec: t.nsec.Load()}
}

func (t *atomicTime) Store(x vfs.Timespec) {
	t.sec.Store(x.Sec)
	t.nsec.Store(x.Nsec)
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
	n := &node{fs: fsys, ino: fsys.newIno()}
	n.mode.Store(mode)
	n.nlink.Store(1)
	n.uid.Store(uid)
	n.gid.Store(gid)
	n.atime.Store(now)
	n.mtime.Store(now)
	n.ctime.Store(now)
	if mode.IsDir() {
		n.nlink.Store(2)
		n.size.Store(2 * bogoDirentSize)
		n.d = &dirData{next: firstCookie}
	}
	return n, nil
}

// maybeEvict frees the node's storage once it has no name and no open
// File, as Linux's shmem_evict_inode. The inode budget is returned once;
// pages written through a File opened later are freed again when it
// closes. mu is held.
func (n *node) maybeEvict() {
	if n.nlink.Load() > 0 || n.opens > 0 || n.pins > 0 {
		return
	}
	n.fs.freeBlocks(n.blocks())
	n.pages = nil
	n.flags &^= longLink
	n.syncBlocks()
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

// syncBlocks publishes blocks() for Getattr after the pages or the
// long-link flag changed. mu is held.
func (n *node) syncBlocks() { n.nblks.Store(n.blocks()) }

// touchCM sets ctime and mtime to now. mu is held.
func (n *node) touchCM() {
	now := vfs.Now()
	n.mtime.Store(now)
	n.ctime.Store(now)
}

// Getattr returns the inode's attributes. It reads them without fs.mu
// while no change of the filesystem overlaps (see FS.seq), and under it
// otherwise; each try sets every field of the result, in place.
func (n *node) Getattr() (a vfs.Attr, err error) {
	n.getattr(&a)
	return a, nil
}

// GetattrInto is Getattr storing into *a (vfs.AttrInto).
func (n *node) GetattrInto(a *vfs.Attr) error {
	n.getattr(a)
	return nil
}

// getattr stores a consistent snapshot of the attributes in *a: read
// within an unchanged fs.seq, or under fs.mu after two tries that raced.
func (n *node) getattr(a *vfs.Attr) {
	fsys := n.fs
	for range 2 {
		seq := fsys.seq.Load()
		if seq&1 != 0 {
			break
		}
		n.attrInto(a)
		if fsys.seq.Load() == seq {
			return
		}
	}
	fsys.mu.RLock()
	n.attrInto(a)
	fsys.mu.RUnlock()
}

// attrInto stores the attributes in *a, field by field; consistent under
// fs.mu or within an unchanged fs.seq.
func (n *node) attrInto(a *vfs.Attr) {
	a.Ino = n.ino
	a.Mode = n.mode.Load()
	a.Nlink = n.nlink.Load()
	a.UID = n.uid.Load()
	a.GID = n.gid.Load()
	a.Rdev = n.rdev
	a.Size = n.size.Load()
	a.Blocks = int64(n.nblks.Load()) * (pageSize / 512)
	a.Blksize = pageSize
	a.Atime = n.atime.Load()
	a.Mtime = n.mtime.Load()
	a.Ctime = n.ctime.Load()
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
	fsys.lock()
	defer fsys.unlock()
	if s.Mask&vfs.SetSize != 0 {
		switch {
		case n.mode.Load().IsDir():
			return vfs.EISDIR
		case !n.mode.Load().IsRegular():
			return vfs.EINVAL
		case s.Size < 0:
			return vfs.EINVAL
		}
		n.truncate(s.Size)
	}
	if s.Mask&vfs.SetMode != 0 {
		n.mode.Store(n.mode.Load().Type() | s.Mode&0o7777)
	}
	if s.Mask&vfs.SetUID != 0 {
		n.uid.Store(s.UID)
	}
	if s.Mask&vfs.SetGID != 0 {
		n.gid.Store(s.GID)
	}
	now := vfs.Now()
	if s.Mask&vfs.SetAtime != 0 {
		n.atime.Store(s.Atime)
	}
	switch {
	case s.Mask&vfs.SetMtime != 0:
		n.mtime.Store(s.Mtime)
	case s.Mask&vfs.SetSize != 0:
		n.mtime.Store(now)
	}
	if s.Mask&vfs.SetCtime != 0 {
		n.ctime.Store(s.Ctime)
	} else {
		n.ctime.Store(now)
	}
	return nil
}

// Readlink returns a symbolic link's target; EINVAL for other types.
func (n *node) Readlink() (string, error) {
	n.fs.mu.RLock()
	defer n.fs.mu.RUnlock()
	if !n.mode.Load().IsSymlink() {
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
	}
	// A byte loop: '/' and NUL never occur inside a multibyte UTF-8
	// sequence, and strings.ContainsAny costs more than a short name.
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '/' || c == 0 {
			return vfs.EINVAL
		}
	}
	return nil
}

// Pin keeps the node's storage while the vfs layer holds it (vfs.Pinner).
func (n *node) Pin() {
	n.fs.lock()
	n.pins++
	n.fs.unlock()
}

// Unpin drops a Pin; an unlinked node then goes.
func (n *node) Unpin() {
	n.fs.lock()
	n.pins--
	n.maybeEvict()
	n.fs.unlock()
}
