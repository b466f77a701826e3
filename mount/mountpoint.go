package mount

import (
	"sync/atomic"

	"github.com/mountkit/mountkit/propagation"
	"github.com/mountkit/mountkit/vfs"
)

// Mountpoint is one mount: an attachment of a superblock's dentry (its
// root) at a dentry of a parent mount (Linux's struct mount).
//
// Invariants, under Kernel.mu: an attached mount has a namespace and,
// unless it is the namespace's root, a parent in the same namespace and an
// entry in the kernel's mount hash under (parent, mountpoint); at most one
// mount is hashed under one key, so stacked mounts form a chain in which
// each mount's parent is the one below and its mountpoint that mount's
// root. A detached mount has no namespace, no parent and no hash entry; it
// lives on while Locations (open files, working directories, roots)
// refer to it and is freed with the last.
type Mountpoint struct {
	// Layout (240 bytes on 64-bit machines, a size class of its own):
	// what lock-free walks read (root, parent, mountpoint, the hash node,
	// flags, expiry: the first 100 bytes) comes first and is written
	// only by mount operations; the counters that opening and closing
	// files write (writers, users) come last, more than a cache line
	// away, so that walkers through a mount do not share a cache line
	// with processes opening files on it.
	uniqueID uint64      // creation order, never reused; mountinfo's order
	sb       *superblock // never changes; its k is the mount's kernel
	root     *vfs.Dentry
	devname  string

	// parent and mountpoint are where the mount is attached (both nil
	// for a namespace root or a detached mount). They change under
	// Kernel.mu (write) and are atomic so that lock-free path walks
	// (".." and getcwd climbing out of mounts) may read them; such a
	// reader may see one changed and not the other, and relies on
	// Kernel.seq to notice. Set them with setMountpoint.
	parent     atomic.Pointer[Mountpoint]
	mountpoint atomic.Pointer[vfs.Dentry]

	// hnode is the mount hash node of m's first insertion, allocated
	// with m (see mountHash.insert); later insertions allocate their own.
	// Lock-free readers may still be on it after m is unhashed, so it is
	// never cleared: a detached mount kept by an open file keeps its old
	// parent and mountpoint dentry reachable through it.
	hnode hashNode

	id    uint32        // the mount ID, shown in mountinfo
	flags atomic.Uint32 // per-mount flags (mnt*); read without the mount lock

	// expiry is MNT_EXPIRE's mark: set by the first umount2 call,
	// cleared whenever a path reference to the mount is dropped.
	expiry atomic.Bool

	// Scratch state of one umount (propagate_umount), false otherwise.
	umounting bool // MNT_UMOUNT: going away with this umount
	candidate bool // T_UMOUNT_CANDIDATE
	trimmed   bool // T_MARKED
	freed     bool

	// Guarded by Kernel.mu.
	ns       *Namespace
	children []*Mountpoint
	// onNext and onPrev link the mounts hashed on one dentry in a ring,
	// in the order they were hashed (see Kernel.mountsOn); nil while m
	// is not hashed.
	onNext, onPrev *Mountpoint
	prop           propagation.Node[*Mountpoint]

	// writers counts the files open for writing through this mount.
	writers atomic.Int64

	// users counts the Locations held on this mount by open files,
	// working directories and roots: what makes umount2 fail with EBUSY.
	users atomic.Int64
}

// Location is a place in the mount tree: a dentry as seen through a mount
// (Linux's struct path).
type Location struct {
	Mount  *Mountpoint
	Dentry *vfs.Dentry
}

// IsMountRoot reports whether l is the root of its mount.
func (l Location) IsMountRoot() bool { return l.Dentry == l.Mount.root }

// ID returns the mount ID that mountinfo shows.
func (m *Mountpoint) ID() uint32 { return m.id }

// Root returns the dentry the mount is rooted at.
func (m *Mountpoint) Root() *vfs.Dentry { return m.root }

// Superblock returns the mounted superblock.
func (m *Mountpoint) Superblock() *vfs.Superblock { return m.sb.Superblock }

// shared reports whether m is in a peer group.
func (m *Mountpoint) shared() bool { return m.prop.Shared() }

// unbindable reports whether m may not be bound (MS_UNBINDABLE).
func (m *Mountpoint) unbindable() bool { return m.prop.Unbindable() }

// readOnly reports whether writes through m are refused: its own flag or
// its superblock's.
func (m *Mountpoint) readOnly() bool {
	return m.flags.Load()&mntReadonly != 0 || m.sb.ReadOnly()
}

// newMount makes a mount of sb rooted at root. k.mu is held.
func (k *Kernel) newMount(sb *superblock, root *vfs.Dentry, devname string, flags uint32) *Mountpoint {
	k.nextUnique++
	sb.mounts++
	m := &Mountpoint{
		id:       k.mountIDs.Get(),
		uniqueID: k.nextUnique,
		sb:       sb,
		root:     root,
		devname:  devname,
	}
	m.flags.Store(flags)
	m.prop.Init(m)
	root.Get()
	return m
}

// attach hangs m at dentry d of parent, in parent's namespace. Nothing
// may be hashed at (parent, d) yet. k.mu is held.
func (k *Kernel) attach(m, parent *Mountpoint, d *vfs.Dentry) {
	if m.parent.Load() != parent || m.mountpoint.Load() != d {
		m.setMountpoint(parent, d) // propagation copies have theirs set
	}
	parent.children = append(parent.children, m)
	k.hashMount(m)
	m.ns = parent.ns
	m.ns.add(m)
}

// attachTree hangs the tree rooted at m at dentry d of parent. The tree's
// mounts are linked to each other (parent, mountpoint, children) but
// neither hashed nor in a namespace: a fresh copy. k.mu is held.
func (k *Kernel) attachTree(m, parent *Mountpoint, d *vfs.Dentry) {
	k.attach(m, parent, d)
	var walk func(*Mountpoint)
	walk = func(x *Mountpoint) {
		for _, c := range x.children {
			k.hashMount(c)
			c.ns = x.ns
			c.ns.add(c)
			walk(c)
		}
	}
	walk(m)
}

// unlinkChild removes m from its parent's children and clears its parent
// link; m must already be unhashed. k.mu is held.
func (k *Kernel) unlinkChild(m *Mountpoint) {
	p := m.parent.Load()
	p.children = removeChild(p.children, m)
	m.setMountpoint(nil, nil)
}

// removeChild removes m from a list of mounts (a parent's children, the
// mounts on a dentry), keeping the others' order. The first entry goes
// in constant time (umount propagation removes copies oldest first), and
// the rest is searched from the end (a mount removed soon is one made
// late).
func removeChild(children []*Mountpoint, m *Mountpoint) []*Mountpoint {
	if len(children) > 0 && children[0] == m {
		children[0] = nil
		if len(children) == 1 {
			return children[:0] // keeps the capacity for the next one
		}
		return children[1:]
	}
	for i := len(children) - 1; i >= 0; i-- {
		if children[i] == m {
			return append(children[:i], children[i+1:]...)
		}
	}
	return children
}

// setMountpoint records where m is attached. k.mu is held for writing.
func (m *Mountpoint) setMountpoint(parent *Mountpoint, d *vfs.Dentry) {
	m.parent.Store(parent)
	m.mountpoint.Store(d)
}

// link hangs the attached mount m (which keeps its namespace and its
// subtree) at dentry d of parent. k.mu is held.
func (k *Kernel) link(m, parent *Mountpoint, d *vfs.Dentry) {
	m.setMountpoint(parent, d)
	parent.children = append(parent.children, m)
	k.hashMount(m)
}

// treeSize counts the mounts of the tree rooted at m.
func treeSize(m *Mountpoint) int {
	n := 1
	for _, c := range m.children {
		n += treeSize(c)
	}
	return n
}

// hashMount enters m, whose parent and mountpoint are set, in the mount
// hash. k.mu is held.
func (k *Kernel) hashMount(m *Mountpoint) {
	d := m.mountpoint.Load()
	k.hash.insert(hashKey{m.parent.Load(), d}, m)
	if first := k.mountsOn[d]; first != nil {
		last := first.onPrev
		m.onPrev, m.onNext = last, first
		last.onNext, first.onPrev = m, m
	} else {
		m.onPrev, m.onNext = m, m
		k.mountsOn[d] = m
	}
	d.AddMount(1)
}

// unhashMount removes m from the mount hash. k.mu is held.
func (k *Kernel) unhashMount(m *Mountpoint) {
	d := m.mountpoint.Load()
	k.hash.delete(hashKey{m.parent.Load(), d})
	if next := m.onNext; next == m {
		delete(k.mountsOn, d)
	} else {
		if k.mountsOn[d] == m {
			k.mountsOn[d] = next
		}
		next.onPrev, m.onPrev.onNext = m.onPrev, next
	}
	m.onNext, m.onPrev = nil, nil
	d.AddMount(-1)
}

// mountsOnList returns the mounts hashed on d, in the order they were
// hashed. k.mu is held.
func (k *Kernel) mountsOnList(d *vfs.Dentry) []*Mountpoint {
	var list []*Mountpoint
	first := k.mountsOn[d]
	for m := first; m != nil; {
		list = append(list, m)
		if m = m.onNext; m == first {
			break
		}
	}
	return list
}

// isLocalMountpoint reports whether some mount of ns is mounted on d.
// k.mu is held.
func (k *Kernel) isLocalMountpoint(ns *Namespace, d *vfs.Dentry) bool {
	if d.Mounts() == 0 {
		return false
	}
	first := k.mountsOn[d]
	for m := first; m != nil; {
		if m.ns == ns {
			return true
		}
		if m = m.onNext; m == first {
			break
		}
	}
	return false
}

// lookupChild returns the mount hashed at (m, d), or nil. It takes no
// lock: under k.mu the answer is exact; without it, it is the answer of
// some moment of the call (see mountHash), which a lock-free walk
// validates with k.seq. The per-dentry mount count spares the hash
// lookup for almost every dentry.
func (k *Kernel) lookupChild(m *Mountpoint, d *vfs.Dentry) *Mountpoint {
	if d.Mounts() == 0 {
		return nil
	}
	return k.hash.lookup(hashKey{m, d})
}

// crossDown moves l onto the root of the topmost mount stacked on it.
// k.mu is held.
func (k *Kernel) crossDown(l Location) Location {
	for {
		c := k.lookupChild(l.Mount, l.Dentry)
		if c == nil {
			return l
		}
		l = Location{c, c.root}
	}
}

// hold takes a reference on l's mount for a working directory, root or
// open file.
func (l Location) hold() Location {
	l.Mount.users.Add(1)
	l.Dentry.Get()
	return l
}

// dropLocked drops a reference taken by hold while k.mu is held; the
// caller knows the mount stays attached or frees it itself.
func (l Location) dropLocked() {
	l.Dentry.Put()
	l.Mount.users.Add(-1)
}

// release drops a reference taken by hold, freeing a detached mount with
// its last user.
func (l Location) release() {
	l.Dentry.Put()
	m := l.Mount
	if m.expiry.Load() {
		m.expiry.Store(false)
	}
	if m.users.Add(-1) == 0 {
		k := m.sb.k
		k.lockMounts()
		if m.ns == nil {
			k.freeDetached(m)
		}
		k.unlockMounts()
	}
}

// unhold drops a reference taken by hold, as release does but leaving
// MNT_EXPIRE's mark alone: what a discarded lock-free walk does with what
// it held.
func (l Location) unhold() {
	l.Dentry.Put()
	m := l.Mount
	if m.users.Add(-1) == 0 {
		k := m.sb.k
		k.lockMounts()
		if m.ns == nil {
			k.freeDetached(m)
		}
		k.unlockMounts()
	}
}

// freeDetached frees the detached tree m belongs to (its top is the
// first mount up m's parent links without a parent: a lazily unmounted
// tree is cut into single mounts, one detached by __detach_mounts stays
// connected) once no Location refers to any mount of it. k.mu is held.
func (k *Kernel) freeDetached(m *Mountpoint) {
	top := m
	for p := top.parent.Load(); p != nil; p = top.parent.Load() {
		top = p
	}
	if top.freed || top.ns != nil {
		return
	}
	tree := preorder(top)
	for _, x := range tree {
		if x.ns != nil || x.users.Load() != 0 {
			return
		}
	}
	for i := len(tree) - 1; i >= 0; i-- {
		x := tree[i]
		if x.parent.Load() != nil {
			k.unhashMount(x)
			x.setMountpoint(nil, nil)
		}
		x.children = nil
		x.freed = true
		k.mountIDs.Put(x.id)
		x.root.Put()
		k.putSuperblock(x.sb)
	}
}
