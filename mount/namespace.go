package mount

import (
	"slices"

	"github.com/mountkit/mountkit/vfs"
)

// Namespace is a mount namespace: a tree of mounts with a root mount
// (Linux's mnt_namespace). Processes (FsContexts) refer to one namespace
// each.
type Namespace struct {
	k    *Kernel
	root *Mountpoint

	// mounts holds the attached mounts, and entries of removed ones until
	// list or remove tidies it (remove does once they are half of it, so
	// that mounting and unmounting over and over keeps it bounded);
	// list returns them in creation order (uniqueID), the order
	// mountinfo shows them in. Guarded by Kernel.mu.
	mounts   []*Mountpoint
	unsorted bool // mounts is not in uniqueID order
	removed  int  // entries of mounts that left ns
	mountMax int  // this namespace's mount limit; 0: the kernel's
	pending  int  // mounts promised to ns by the mount event in progress (see countMounts)
	// users counts the FsContexts in the namespace. Guarded by Kernel.mu.
	users int
}

// Kernel returns the kernel the namespace belongs to.
func (ns *Namespace) Kernel() *Kernel { return ns.k }

func byUniqueID(a, b *Mountpoint) int {
	switch {
	case a.uniqueID < b.uniqueID:
		return -1
	case a.uniqueID > b.uniqueID:
		return 1
	}
	return 0
}

// add records m as a mount of ns. k.mu is held.
func (ns *Namespace) add(m *Mountpoint) {
	if n := len(ns.mounts); n > 0 && ns.mounts[n-1].uniqueID > m.uniqueID {
		ns.unsorted = true
	}
	ns.mounts = append(ns.mounts, m)
}

// remove takes m out of ns (m.ns = nil); its entry goes at the next list,
// or now when the entries of removed mounts are at least half of them.
// k.mu is held.
func (ns *Namespace) remove(m *Mountpoint) {
	m.ns = nil
	ns.removed++
	if ns.removed >= 32 && ns.removed*2 >= len(ns.mounts) {
		ns.tidy()
	}
}

// count returns the number of mounts in ns. k.mu is held.
func (ns *Namespace) count() int { return len(ns.mounts) - ns.removed }

// list returns the mounts of ns in creation order, dropping the entries of
// removed mounts and sorting first when needed, so that adding or
// removing n mounts costs O(n log n) at most. k.mu is held for writing,
// or for reading with nothing to tidy (only writers add and remove).
func (ns *Namespace) list() []*Mountpoint {
	if ns.removed > 0 {
		ns.tidy()
	}
	if ns.unsorted {
		slices.SortFunc(ns.mounts, byUniqueID)
		ns.unsorted = false
	}
	return ns.mounts
}

// tidy drops the entries of removed mounts from ns.mounts, keeping the
// order of the others. k.mu is held for writing.
func (ns *Namespace) tidy() {
	live := ns.mounts[:0]
	for _, m := range ns.mounts {
		if m.ns == ns {
			live = append(live, m)
		}
	}
	clear(ns.mounts[len(live):])
	ns.mounts = live
	ns.removed = 0
}

// Count returns the number of mounts in ns.
func (ns *Namespace) Count() int {
	ns.k.mu.RLock()
	defer ns.k.mu.RUnlock()
	return ns.count()
}

// SetMountMax sets the number of mounts ns may hold (ENOSPC beyond),
// overriding the kernel's fs.mount-max for this namespace; 0 restores it.
func (ns *Namespace) SetMountMax(n int) {
	ns.k.mu.Lock()
	ns.mountMax = n
	ns.k.mu.Unlock()
}

// limit returns ns's mount limit. k.mu is held.
func (ns *Namespace) limit() int {
	if ns.mountMax > 0 {
		return ns.mountMax
	}
	return ns.k.mountMax
}

// renamedFS gives a filesystem another type name (the rootfs).
type renamedFS struct {
	vfs.Filesystem
	name string
}

func (r renamedFS) Type() string { return r.name }

// Boot makes a namespace laid out as on a booted Linux system: its root is
// a "rootfs" mount, a fresh tmpfs from source "none" is mounted on the
// rootfs's root directory, and the returned init process has the tmpfs's
// root as its root and working directory, umask 022 and the credentials
// of root. The "tmpfs" filesystem type must be registered.
func (k *Kernel) Boot() (*FsContext, error) {
	t, ok := k.fsType("tmpfs")
	if !ok {
		return nil, vfs.ENODEV
	}
	cred := vfs.Root()
	rootfs, err := t.newFS(&vfs.MountRequest{Source: "rootfs", Cred: cred})
	if err != nil {
		return nil, err
	}
	ns := &Namespace{k: k}
	k.lockMounts()
	sb := k.superblockOf(renamedFS{rootfs, "rootfs"}, 0)
	m := k.newMount(sb, sb.Root(), "rootfs", 0)
	m.ns = ns
	ns.root = m
	ns.add(m)
	ns.users = 1
	k.unlockMounts()

	c := newFsContext(k, fsState{ns: ns, umask: 0o022, cred: cred,
		root: Location{m, m.root}.hold(), cwd: Location{m, m.root}.hold()})
	k.register(c)
	if err := c.Mount("none", "/", "tmpfs", 0, ""); err != nil {
		c.Close()
		return nil, err
	}
	k.mu.RLock()
	top := k.crossDown(c.Root())
	k.mu.RUnlock()
	c.setRoot(top).release()
	c.setCwd(top).release()
	return c, nil
}

// Unshare is unshare(CLONE_NEWNS) for c: c's namespace is copied (every
// mount, in depth-first order, with new IDs; copies of shared mounts are
// peers of their originals, copies of slaves slaves of the same master,
// copies of unbindable mounts private) and c moves into the copy, its
// root and working directory onto the copies of their mounts. The old
// namespace goes when its last process leaves it.
func (c *FsContext) Unshare() error {
	if !c.creds().Caps.Has(vfs.CAP_SYS_ADMIN) {
		return vfs.EPERM
	}
	k := c.k
	k.lockMounts()
	defer k.unlockMounts()
	old := c.Namespace()
	copies := map[*Mountpoint]*Mountpoint{}
	root := k.copyTreeFlags(old.root, old.root.root, 0, true, func(orig, copy *Mountpoint) {
		copies[orig] = copy
	})
	ns := &Namespace{k: k, root: root}
	for _, m := range preorder(root) {
		m.ns = ns
		ns.mounts = append(ns.mounts, m)
		if m.parent.Load() != nil {
			k.hashMount(m)
		}
	}
	var oldRoot, oldCwd Location
	c.update(func(s *fsState) {
		if m := copies[s.root.Mount]; m != nil {
			oldRoot, s.root = s.root, Location{m, s.root.Dentry}.hold()
		}
		if m := copies[s.cwd.Mount]; m != nil {
			oldCwd, s.cwd = s.cwd, Location{m, s.cwd.Dentry}.hold()
		}
		s.ns = ns
	})
	ns.users++
	for _, l := range []Location{oldRoot, oldCwd} {
		if l.Mount != nil {
			l.dropLocked()
		}
	}
	k.putNamespace(old)
	return nil
}

// putNamespace drops a process's use of ns; with the last, every mount of
// ns is unmounted, without propagation (put_mnt_ns). k.mu is held.
func (k *Kernel) putNamespace(ns *Namespace) {
	ns.users--
	if ns.users > 0 {
		return
	}
	root := ns.root
	k.umountTree(root, false)
	for _, m := range ns.mounts {
		m.ns = nil
	}
	ns.mounts = nil
}
