package memfs

import (
	"sync/atomic"

	"github.com/mountkit/mountkit/vfs"
)

// shortSymlinkLen is Linux's SHORT_SYMLINK_LEN: a symlink whose target
// with its NUL is longer is stored in a page, which counts against the
// size limit and st_blocks.
const shortSymlinkLen = 128

// node is an inode of any type. One struct serves every type, with what
// only some inodes need (data pages, extended attributes, a symlink's
// target, a device number) in a nodeExtra allocated on first use, so that
// an empty regular file is a single allocation of 112 bytes on 64-bit
// machines. Every field is guarded by fs.mu; the attributes Getattr
// reports are also atomic, so that Getattr may read them without fs.mu
// (see FS.seq): they change only with fs.mu held exclusively.
type node struct {
	fs    *FS
	ino   uint64        // set before the node is published
	size  atomic.Int64  // st_size: file length, 40+20/entry for a directory, target length
	nblks atomic.Uint64 // blocks(), kept by syncBlocks for Getattr
	d     *dirData      // directory
	x     *nodeExtra    // nil until needed (see extra)
	// The atime, mtime and ctime (iAtime...), each's seconds and
	// nanoseconds read and written atomically, the nanoseconds in 32
	// bits; FS.seq makes a reader see both halves of one value.
	sec   [3]atomic.Int64
	nsec  [3]atomic.Uint32
	mode  atomicMode
	nlink atomic.Uint32
	uid   atomic.Uint32
	gid   atomic.Uint32
	opens int32 // open Files
	pins  int32 // holders in the vfs layer (vfs.Pinner)
	flags nodeFlags
}

// nodeExtra is what only some nodes have. A device node's is set before
// the node is published, and its rdev never changes (Getattr reads it
// without fs.mu); the other fields are guarded by fs.mu.
type nodeExtra struct {
	pages  map[int64]*page // regular file: data pages by index; nil when empty
	xattrs *xattrSet       // nil when there are none
	target string          // symbolic link
	rdev   uint64          // device node
}

// extra returns n's nodeExtra, allocating it on first use. mu is held.
func (n *node) extra() *nodeExtra {
	if n.x == nil {
		n.x = &nodeExtra{}
	}
	return n.x
}

// pages returns a regular file's data pages (nil when it has none). mu
// is held.
func (n *node) pages() map[int64]*page {
	if n.x == nil {
		return nil
	}
	return n.x.pages
}

// xattrs returns n's extended attributes, or nil. mu is held.
func (n *node) xattrs() *xattrSet {
	if n.x == nil {
		return nil
	}
	return n.x.xattrs
}

// atomicMode is a vfs.Mode read and written atomically.
type atomicMode struct{ v atomic.Uint32 }

func (m *atomicMode) Load() vfs.Mode   { return vfs.Mode(m.v.Load()) }
func (m *atomicMode) Store(x vfs.Mode) { m.v.Store(uint32(x)) }

// The times of a node, indices of node.sec and node.nsec.
const (
	iAtime = iota
	iMtime
	iCtime
)

// loadTime returns time i.
func (n *node) loadTime(i int) vfs.Timespec {
	return vfs.Timespec{Sec: n.sec[i].Load(), Nsec: int64(n.nsec[i].Load())}
}

// storeTime sets time i; x.Nsec is in [0, 1e9) (Setattr refuses others).
func (n *node) storeTime(i int, x vfs.Timespec) {
	n.sec[i].Store(x.Sec)
	n.nsec[i].Store(uint32(x.Nsec))
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
	n.storeTime(iAtime, now)
	n.storeTime(iMtime, now)
	n.storeTime(iCtime, now)
	if t := mode.Type(); t == vfs.ModeCharDevice || t == vfs.ModeBlockDevice {
		n.x = &nodeExtra{} // for rdev, which Getattr reads without mu
	}
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
	if n.x != nil {
		n.x.pages = nil
	}
	n.flags &^= longLink
	n.syncBlocks()
	if n.flags&evicted != 0 {
		return
	}
	n.flags |= evicted
	space := uint64(bogoInodeSize)
	if xs := n.xattrs(); xs != nil {
		for _, x := range xs.list {
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
	b := uint64(len(n.pages()))
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
	n.storeTime(iMtime, now)
	n.storeTime(iCtime, now)
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
	if t := a.Mode.Type(); t == vfs.ModeCharDevice || t == vfs.ModeBlockDevice {
		a.Rdev = n.x.rdev
	} else {
		a.Rdev = 0
	}
	a.Size = n.size.Load()
	a.Blocks = int64(n.nblks.Load()) * (pageSize / 512)
	a.Blksize = pageSize
	a.Atime = n.loadTime(iAtime)
	a.Mtime = n.loadTime(iMtime)
	a.Ctime = n.loadTime(iCtime)
}

// Setattr applies s as Linux's shmem_setattr after notify_change: the
// mode's permission bits, owner, group, size (regular files only: EISDIR
// for a directory, EINVAL otherwise; EINVAL for a negative size, EFBIG
// past the maximum file size) and times. ctime becomes now unless
// SetCtime gives it, and a size change without SetMtime sets mtime to
// now too. Truncation frees whole pages past the end and zeroes the tail
// of the last; growth allocates nothing.
func (n *node) Setattr(s *vfs.SetAttr) error {
	for _, t := range [...]struct {
		bit vfs.SetAttrMask
		ts  vfs.Timespec
	}{{vfs.SetAtime, s.Atime}, {vfs.SetMtime, s.Mtime}, {vfs.SetCtime, s.Ctime}} {
		if s.Mask&t.bit != 0 && (t.ts.Nsec < 0 || t.ts.Nsec >= 1e9) {
			return vfs.EINVAL // as utimensat(2)
		}
	}
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
		n.storeTime(iAtime, s.Atime)
	}
	switch {
	case s.Mask&vfs.SetMtime != 0:
		n.storeTime(iMtime, s.Mtime)
	case s.Mask&vfs.SetSize != 0:
		n.storeTime(iMtime, now)
	}
	if s.Mask&vfs.SetCtime != 0 {
		n.storeTime(iCtime, s.Ctime)
	} else {
		n.storeTime(iCtime, now)
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
	return n.x.target, nil
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
