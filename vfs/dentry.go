package vfs

import (
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Superblock flags (SB_*), with Linux's values. Only those that live on
// the superblock are here; per-mount flags belong to the mount layer.
const (
	SB_RDONLY      = 1 << 0
	SB_SYNCHRONOUS = 1 << 4
	SB_MANDLOCK    = 1 << 6
	SB_DIRSYNC     = 1 << 7
	SB_SILENT      = 1 << 15
	SB_POSIXACL    = 1 << 16
	SB_I_VERSION   = 1 << 23
	SB_LAZYTIME    = 1 << 25
)

// Superblock is a mounted instance of a Filesystem as the vfs layer keeps
// it: the backend, its device number, its SB_* flags and the root of its
// dentry cache. Every mount of one filesystem instance shares one
// Superblock.
type Superblock struct {
	fs    Filesystem
	dev   uint64
	flags atomic.Uint32
	root  *Dentry

	// orphans counts dead dentries whose inode has no link left but is
	// still held (Linux's s_remove_count): while any exist the superblock
	// cannot be made read-only.
	orphans atomic.Int64

	// renameMu serialises renames within the superblock and keeps the
	// parent/name links of its dentries stable for readers that render
	// paths. Lock order: renameMu, then directory dentry locks.
	renameMu sync.RWMutex
}

// NewSuperblock wraps fs with device number dev and superblock flags.
func NewSuperblock(fs Filesystem, dev uint64, flags uint32) *Superblock {
	sb := &Superblock{fs: fs, dev: dev}
	sb.flags.Store(flags)
	root := newDentry(sb, fs.Root(), ModeDir)
	root.name.Store(&rootName)
	root.parent.Store(root)
	sb.root = root
	return sb
}

var rootName = "/"

// Filesystem returns the backend.
func (sb *Superblock) Filesystem() Filesystem { return sb.fs }

// Dev returns the superblock's device number (st_dev).
func (sb *Superblock) Dev() uint64 { return sb.dev }

// Flags returns the SB_* flags.
func (sb *Superblock) Flags() uint32 { return sb.flags.Load() }

// SetFlags replaces the SB_* flags.
func (sb *Superblock) SetFlags(f uint32) { sb.flags.Store(f) }

// ReadOnly reports whether SB_RDONLY is set.
func (sb *Superblock) ReadOnly() bool { return sb.flags.Load()&SB_RDONLY != 0 }

// Root returns the dentry of the filesystem's root directory.
func (sb *Superblock) Root() *Dentry { return sb.root }

// Orphans returns the number of removed inodes still held through this
// superblock's dentries (open files, working directories).
func (sb *Superblock) Orphans() int64 { return sb.orphans.Load() }

// Dentry is a name in a superblock's tree, cached so that it keeps one
// identity while anything refers to it: a mount on it, a mount rooted at
// it, an open file, a working directory. Lookups of the same name in the
// same directory return the same *Dentry until the name is removed or
// renamed away.
//
// Invariants: a dentry's parent is a directory of the same superblock; the
// root is its own parent; a dentry that was unlinked, removed or replaced
// by a rename is dead and no longer in its parent's children; a dead
// directory accepts no new entries.
type Dentry struct {
	// What every step of a path walk reads comes first, in the first
	// 24 bytes, so that a step touches one cache line of the dentry.
	children atomic.Pointer[dirTable]
	// mounts counts the mounts whose mountpoint is this dentry, in any
	// namespace. The mount layer maintains it.
	mounts atomic.Int32
	typ    Mode // the inode's S_IFMT bits, which never change
	isDir  bool
	dead   atomic.Bool

	sb       *Superblock
	inode    Inode
	parent   atomic.Pointer[Dentry] // changed under sb.renameMu (write)
	name     atomic.Pointer[string] // changed under sb.renameMu (write)
	refs     atomic.Int32           // holders: open files, working directories, roots
	orphaned atomic.Bool            // counted in sb.orphans
	mu       sync.Mutex             // serialises changes to this directory and its children table
}

// Superblock returns the superblock d belongs to.
func (d *Dentry) Superblock() *Superblock { return d.sb }

// Inode returns the backend inode.
func (d *Dentry) Inode() Inode { return d.inode }

// Type returns the S_IFMT bits of d's inode.
func (d *Dentry) Type() Mode { return d.typ }

// IsDir reports whether d is a directory.
func (d *Dentry) IsDir() bool { return d.isDir }

// Parent returns d's parent directory; the root is its own parent.
func (d *Dentry) Parent() *Dentry { return d.parent.Load() }

// Name returns d's name in its parent ("/" for the root).
func (d *Dentry) Name() string { return *d.name.Load() }

// IsRoot reports whether d is the root of its superblock.
func (d *Dentry) IsRoot() bool { return d == d.sb.root }

// Dead reports whether d was removed from the tree.
func (d *Dentry) Dead() bool { return d.dead.Load() }

// Get records a holder of d (an open file, a working directory, a root,
// a mount rooted at d); the first pins the inode (see Pinner).
func (d *Dentry) Get() {
	if d.refs.Add(1) == 1 {
		if p, ok := d.inode.(Pinner); ok {
			p.Pin()
		}
	}
}

// Put drops a holder recorded by Get.
func (d *Dentry) Put() {
	if d.refs.Add(-1) != 0 {
		return
	}
	if d.Dead() && d.orphaned.CompareAndSwap(true, false) {
		d.sb.orphans.Add(-1)
	}
	if p, ok := d.inode.(Pinner); ok {
		p.Unpin()
	}
}

// kill marks d dead, removed from the tree; if its inode has no link left
// and d is held, d counts as an orphan of its superblock until released.
// A removed directory has no link left; for a file the backend is asked,
// and one whose answer is an error counts as an orphan, the safe side (a
// read-only remount is refused while it is held).
func (d *Dentry) kill() {
	d.dead.Store(true)
	if d.refs.Load() == 0 {
		return
	}
	if !d.isDir {
		if a, err := d.inode.Getattr(); err == nil && a.Nlink != 0 {
			return
		}
	}
	d.orphaned.Store(true)
	d.sb.orphans.Add(1)
	if d.refs.Load() == 0 && d.orphaned.CompareAndSwap(true, false) {
		d.sb.orphans.Add(-1)
	}
}

// Mounts returns the number of mounts on d.
func (d *Dentry) Mounts() int32 { return d.mounts.Load() }

// AddMount adjusts the count of mounts on d by delta.
func (d *Dentry) AddMount(delta int32) { d.mounts.Add(delta) }

// Path returns d's path from the root of its superblock, as Linux's
// dentry_path renders it: "/" for the root, "/a/b" below it, and the
// suffix "//deleted" for a dead dentry.
func (d *Dentry) Path() string {
	var buf [128]byte
	return string(d.AppendPath(buf[:0]))
}

// AppendPath appends what Path returns to b.
func (d *Dentry) AppendPath(b []byte) []byte {
	d.sb.renameMu.RLock()
	defer d.sb.renameMu.RUnlock()
	var names [32]string
	parts := names[:0]
	dead := d.Dead()
	for e := d; !e.IsRoot(); e = e.Parent() {
		parts = append(parts, e.Name())
	}
	if len(parts) == 0 {
		b = append(b, '/')
	}
	for i := len(parts) - 1; i >= 0; i-- {
		b = append(b, '/')
		b = append(b, parts[i]...)
	}
	if dead {
		b = append(b, "//deleted"...)
	}
	return b
}

// IsAncestor reports whether a is d or one of d's ancestors.
func (d *Dentry) IsAncestor(a *Dentry) bool {
	for e := d; ; e = e.Parent() {
		if e == a {
			return true
		}
		if e.IsRoot() {
			return false
		}
	}
}

// addChild makes and caches the dentry of ino, called name in d.
// d.mu is held.
func (d *Dentry) addChild(name string, ino Inode) (*Dentry, error) {
	a, err := ino.Getattr()
	if err != nil {
		return nil, err
	}
	return d.addChildOfType(name, ino, a.Mode.Type()), nil
}

// addChildOfType is addChild for an inode whose type is known (one just
// made): it asks the backend nothing, so it cannot fail after the backend
// made the inode. d.mu is held.
func (d *Dentry) addChildOfType(name string, ino Inode, typ Mode) *Dentry {
	c := newDentry(d.sb, ino, typ)
	c.name.Store(&name)
	c.parent.Store(d)
	d.setChild(name, c)
	return c
}

// dirDentry is how the Dentry of a directory is allocated: with its first
// children table inline, so that a path walk finds a slot of that table
// from the dentry's own address, with no load of d.children on the
// walk's dependency chain (WalkCached still loads d.children, to check
// that the inline table is the published one: a predicted branch).
//
// Invariant: every Dentry with isDir set is the Dentry field of a
// dirDentry; newDentry is the only way to make one.
type dirDentry struct {
	Dentry
	// first is the directory's first children table: unused while
	// first.slots is nil, then published in children, and once a larger
	// table replaced it, left as it was (slots are never refilled, see
	// dirSlot), so that a walk still reading it sees a consistent table.
	first dirTable
}

// newDentry makes the dentry of ino, of type typ, in sb.
func newDentry(sb *Superblock, ino Inode, typ Mode) *Dentry {
	var d *Dentry
	if typ == ModeDir {
		d = &new(dirDentry).Dentry
		d.isDir = true
	} else {
		d = new(Dentry)
	}
	d.sb, d.inode, d.typ = sb, ino, typ
	return d
}

// inline returns the first children table of d, which must be a
// directory.
func (d *Dentry) inline() *dirTable {
	return &(*dirDentry)(unsafe.Pointer(d)).first
}

// setChild caches c as d's child called name. d.mu is held.
func (d *Dentry) setChild(name string, c *Dentry) {
	old := d.children.Load()
	t := old
	if t == nil {
		if ft := d.inline(); ft.slots == nil {
			ft.slots = ft.small[:]
			t = ft
		}
	}
	if nt := t.insert(name, c); nt != old {
		d.children.Store(nt)
	}
}

// dropChild forgets d's child called name. d.mu is held.
func (d *Dentry) dropChild(name string) {
	d.children.Load().remove(name)
}

// lookupLocked returns the child called name; d.mu is held.
func (d *Dentry) lookupLocked(name string) (*Dentry, error) {
	if c := d.children.Load().lookup(name); c != nil {
		return c, nil
	}
	if d.Dead() {
		return nil, ENOENT
	}
	ino, err := d.inode.Lookup(name)
	if err != nil {
		return nil, err
	}
	return d.addChild(strings.Clone(name), ino)
}

// Lookup returns the child of directory d called name, which must be a
// plain name (not "", "." or ".."; the mount layer resolves those).
func (d *Dentry) Lookup(name string) (*Dentry, error) {
	if !d.isDir {
		return nil, ENOTDIR
	}
	if c := d.children.Load().lookup(name); c != nil {
		return c, nil
	}
	d.mu.Lock()
	c, err := d.lookupLocked(name)
	d.mu.Unlock()
	return c, err
}

// LookupKey is Lookup for a name whose key ScanKey computed.
func (d *Dentry) LookupKey(name string, key NameKey) (*Dentry, error) {
	if !d.isDir {
		return nil, ENOTDIR
	}
	if c := d.children.Load().lookupKey(name, key); c != nil {
		return c, nil
	}
	// A name the backend does not have is ENOENT with or without d.mu
	// (Lookup may run concurrently with directory changes; the answer
	// is then ordered before any change it missed, and a dead directory
	// answers ENOENT anyway), and caches nothing: so a miss is asked
	// without the lock, and so is an error, which is returned as it is.
	// A hit is asked again under the lock, to be cached.
	if _, err := d.inode.Lookup(name); err != nil {
		return nil, err
	}
	d.mu.Lock()
	c, err := d.lookupLocked(name)
	d.mu.Unlock()
	return c, err
}

// CachedKey returns the cached child called name, whose key ScanKey
// computed, or nil when it is not cached (d need not be a directory). It
// takes no lock and never asks the backend: the fast path of a walk,
// which falls back to LookupKey.
func (d *Dentry) CachedKey(name string, key NameKey) *Dentry {
	return d.children.Load().lookupKey(name, key)
}

// Cached returns the cached child called name without asking the backend.
func (d *Dentry) Cached(name string) *Dentry {
	return d.children.Load().lookup(name)
}

// create runs op to make the entry name in d and caches the result.
//
// The new dentry and the backend get a copy of name, so that neither
// keeps the caller's string (a path, typically) alive.
func (d *Dentry) create(name string, typ Mode, op func(name string) (Inode, error)) (*Dentry, error) {
	if !d.isDir {
		return nil, ENOTDIR
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Dead() {
		return nil, ENOENT
	}
	if _, err := d.lookupLocked(name); err == nil {
		return nil, EEXIST
	} else if err != ENOENT {
		return nil, err
	}
	name = strings.Clone(name)
	ino, err := op(name)
	if err != nil {
		return nil, err
	}
	return d.addChildOfType(name, ino, typ), nil
}

// Create makes the regular file name in d.
func (d *Dentry) Create(name string, o CreateOpts) (*Dentry, error) {
	return d.create(name, ModeRegular, func(name string) (Inode, error) { return d.inode.Create(name, o) })
}

// Mkdir makes the directory name in d.
func (d *Dentry) Mkdir(name string, o CreateOpts) (*Dentry, error) {
	return d.create(name, ModeDir, func(name string) (Inode, error) { return d.inode.Mkdir(name, o) })
}

// Mknod makes the device node, FIFO or socket name in d.
func (d *Dentry) Mknod(name string, o CreateOpts) (*Dentry, error) {
	return d.create(name, o.Mode.Type(), func(name string) (Inode, error) { return d.inode.Mknod(name, o) })
}

// Symlink makes the symbolic link name in d, pointing to target.
func (d *Dentry) Symlink(name, target string, o CreateOpts) (*Dentry, error) {
	return d.create(name, ModeSymlink, func(name string) (Inode, error) { return d.inode.Symlink(name, target, o) })
}

// Link gives target, a non-directory of the same superblock, the extra
// name name in d. The checks follow Linux's vfs_link order: EEXIST (and
// ENOENT for a dead d) first, then EXDEV across superblocks, EPERM for a
// directory and ENOENT for a dead target.
func (d *Dentry) Link(name string, target *Dentry) (*Dentry, error) {
	return d.create(name, target.typ, func(name string) (Inode, error) {
		if target.sb != d.sb {
			return nil, EXDEV
		}
		if target.isDir {
			return nil, EPERM
		}
		if target.Dead() {
			return nil, ENOENT
		}
		if err := d.inode.Link(name, target.inode); err != nil {
			return nil, err
		}
		return target.inode, nil
	})
}

// remove deletes the child name of d: Unlink for a non-directory
// (EISDIR for a directory) or Rmdir for a directory (ENOTDIR otherwise).
// check, when not nil, is called with the victim under the directory lock
// before anything else is checked, and may veto the removal: the mount
// layer checks permissions, types and mountpoints there in Linux's order.
func (d *Dentry) remove(name string, dir bool, check func(*Dentry) error) error {
	if !d.isDir {
		return ENOTDIR
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c, err := d.lookupLocked(name)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(c); err != nil {
			return err
		}
	}
	switch {
	case dir && !c.isDir:
		return ENOTDIR
	case !dir && c.isDir:
		return EISDIR
	}
	if dir {
		// The victim's lock (parent before child) keeps entries from
		// being created in it while it goes.
		c.mu.Lock()
		err = d.inode.Rmdir(name)
		if err == nil {
			c.kill()
		}
		c.mu.Unlock()
	} else if err = d.inode.Unlink(name); err == nil {
		c.kill()
	}
	if err != nil {
		return err
	}
	d.dropChild(name)
	return nil
}

// Unlink removes the non-directory name from d.
func (d *Dentry) Unlink(name string, check func(*Dentry) error) error {
	return d.remove(name, false, check)
}

// Rmdir removes the empty directory name from d.
func (d *Dentry) Rmdir(name string, check func(*Dentry) error) error {
	return d.remove(name, true, check)
}

// lockDirs locks the directories a and b (which may be equal), an
// ancestor before its descendant as rmdir does (parent, then victim).
// sb.renameMu is held for writing, so no other goroutine locks two
// unrelated directories at once.
func lockDirs(a, b *Dentry) {
	if b != a && a.IsAncestor(b) {
		a, b = b, a
	}
	a.mu.Lock()
	if b != a {
		b.mu.Lock()
	}
}

func unlockDirs(a, b *Dentry) {
	if b != a {
		b.mu.Unlock()
	}
	a.mu.Unlock()
}

// Rename moves oldName in d to newName in newDir, following Linux's
// renameat2 checks in Linux's order: flags, ENOENT for a missing source,
// EEXIST with RENAME_NOREPLACE, ENOENT with RENAME_EXCHANGE and no target,
// EINVAL when the source is an ancestor of the target directory, ENOTEMPTY
// (EINVAL for an exchange) when the target is an ancestor of the source,
// then ENOTDIR/EISDIR for mismatched types. Renaming a name onto another
// name of the same inode succeeds and changes nothing. busy, when not nil,
// is called with the source and then with the target (if any) under the
// locks, and may veto the rename.
func (d *Dentry) Rename(oldName string, newDir *Dentry, newName string, flags uint32, busy func(*Dentry) error) error {
	if flags&^(RENAME_NOREPLACE|RENAME_EXCHANGE|RENAME_WHITEOUT) != 0 ||
		flags&(RENAME_NOREPLACE|RENAME_EXCHANGE) == RENAME_NOREPLACE|RENAME_EXCHANGE ||
		flags&(RENAME_WHITEOUT|RENAME_EXCHANGE) == RENAME_WHITEOUT|RENAME_EXCHANGE {
		return EINVAL
	}
	if !d.isDir || !newDir.isDir {
		return ENOTDIR
	}
	if newDir.sb != d.sb {
		return EXDEV
	}
	// The dentries and the backend keep copies of the names, not the
	// caller's strings.
	oldName, newName = strings.Clone(oldName), strings.Clone(newName)
	sb := d.sb
	sb.renameMu.Lock()
	defer sb.renameMu.Unlock()
	lockDirs(d, newDir)
	defer unlockDirs(d, newDir)

	src, err := d.lookupLocked(oldName)
	if err != nil {
		return err
	}
	dst, err := newDir.lookupLocked(newName)
	switch {
	case err == ENOENT:
		dst = nil
	case err != nil:
		return err
	}
	exchange := flags&RENAME_EXCHANGE != 0
	if dst != nil && flags&RENAME_NOREPLACE != 0 {
		return EEXIST
	}
	if dst == nil && exchange {
		return ENOENT
	}
	if newDir.IsAncestor(src) {
		return EINVAL
	}
	if dst != nil && d.IsAncestor(dst) {
		if exchange {
			return EINVAL
		}
		return ENOTEMPTY
	}
	if dst != nil && src.inode == dst.inode {
		return nil
	}
	if dst != nil && !exchange {
		switch {
		case src.isDir && !dst.isDir:
			return ENOTDIR
		case !src.isDir && dst.isDir:
			return EISDIR
		}
	}
	if newDir.Dead() {
		return ENOENT
	}
	if busy != nil {
		if err := busy(src); err != nil {
			return err
		}
		if dst != nil {
			if err := busy(dst); err != nil {
				return err
			}
		}
	}
	if dst != nil && dst.isDir && !exchange && dst != d && dst != newDir {
		// A replaced directory is locked as rmdir locks its victim.
		dst.mu.Lock()
		defer dst.mu.Unlock()
	}
	if err := d.inode.Rename(oldName, newDir.inode, newName, flags); err != nil {
		return err
	}
	d.dropChild(oldName)
	if dst != nil {
		newDir.dropChild(newName)
	}
	if exchange {
		dst.name.Store(&oldName)
		dst.parent.Store(d)
		d.setChild(oldName, dst)
	} else if dst != nil {
		dst.kill()
	}
	src.name.Store(&newName)
	src.parent.Store(newDir)
	newDir.setChild(newName, src)
	return nil
}
