package mount

import (
	"slices"

	"github.com/mountkit/mountkit/propagation"
	"github.com/mountkit/mountkit/vfs"
)

// overmount returns the mount on m's root, if any.
func (k *Kernel) overmount(m *Mountpoint) *Mountpoint {
	return k.hash.lookup(hashKey{m, m.root})
}

// propagateBusy reports whether unmounting m would fail with EBUSY
// (propagate_mount_busy): m has children or users, or a copy that its
// parent gave a receiver at the same place is in use and would go away
// (one with children stays, unless its only child overmounts it). k.mu
// is held.
func (k *Kernel) propagateBusy(m *Mountpoint) bool {
	if len(m.children) > 0 || m.users.Load() > 0 {
		return true
	}
	parent := m.parent.Load()
	if parent == nil {
		return false
	}
	origin := &parent.prop
	for n := propagation.Next(origin, origin, isNew); n != nil; n = propagation.Next(n, origin, isNew) {
		child := k.hash.lookup(hashKey{n.Value, m.mountpoint.Load()})
		if child == nil {
			continue
		}
		if len(child.children) > 0 && (len(child.children) != 1 || k.overmount(child) == nil) {
			continue
		}
		if child.users.Load() > 0 {
			return true
		}
	}
	return false
}

// umountTree removes m and every mount below it from its namespace
// (umount_tree); with propagate, the copies its parent's receivers hold
// at the same places go too, as propagate_umount decides, and surviving
// mounts that sat on a removed copy's root slide down into its place.
// Every removed mount is disconnected from the others, leaves its peer
// group (handing its slaves on) and is freed once no Location refers to
// it. k.mu is held.
func (k *Kernel) umountTree(m *Mountpoint, propagate bool) {
	set := preorder(m)
	for _, p := range set {
		p.umounting = true
		k.hideChild(p)
	}
	var reparent []reparenting
	if propagate {
		var more []*Mountpoint
		more, reparent = k.propagateUmount(set)
		set = append(set, more...)
	}
	// Survivors that overmount a removed stack leave it first.
	for _, r := range reparent {
		k.unhashMount(r.m)
		k.unlinkChild(r.m)
	}
	for _, p := range set {
		if p.parent.Load() != nil {
			k.unhashMount(p)
			p.setMountpoint(nil, nil)
		}
		if p.ns != nil {
			p.ns.remove(p)
		}
		propagation.Change(&k.groups, &p.prop, propagation.Private)
	}
	for _, r := range reparent {
		k.link(r.m, r.parent, r.mp)
	}
	for _, p := range set {
		p.umounting = false
		p.children = nil
	}
	for _, p := range set {
		k.freeDetached(p)
	}
}

// hideChild takes m out of its parent's children list, leaving its other
// links (Linux's list_del_init of mnt_child). k.mu is held.
func (k *Kernel) hideChild(m *Mountpoint) {
	p := m.parent.Load()
	if p == nil {
		return
	}
	p.children = removeChild(p.children, m)
}

// reparenting is a surviving mount m that overmounted a removed copy and
// slides down to the copy's place: mountpoint mp of parent.
type reparenting struct {
	m, parent *Mountpoint
	mp        *vfs.Dentry
}

// propagateUmount finds the copies that go away with set (Linux 6.16's
// propagate_umount): every mount that a receiver of a removed mount's
// parent has at the same place is a candidate; a candidate with a child
// that stays and is not its overmount stays, and so do its candidate
// ancestors wherever the chain is not an overmount; the others go. It
// returns the extra mounts to remove (already hidden from their parents'
// children) and the overmounts that slide down. k.mu is held.
func (k *Kernel) propagateUmount(set []*Mountpoint) ([]*Mountpoint, []reparenting) {
	var candidates []*Mountpoint
	for _, m := range set {
		if m.candidate {
			continue
		}
		m.candidate = true
		p := m.parent.Load()
		if p == nil {
			continue
		}
		origin := &p.prop
		for q := propagation.Next(origin, origin, isNew); q != nil; {
			child := k.hash.lookup(hashKey{q.Value, m.mountpoint.Load()})
			if child != nil {
				if child.candidate {
					q = propagation.SkipSubtree(q, origin)
					continue
				}
				child.candidate = true
				if !child.umounting {
					candidates = append(candidates, child)
				}
			}
			q = propagation.Next(q, origin, isNew)
		}
	}
	// Each candidate went in front of the others, as Linux's list_add.
	slices.Reverse(candidates)
	for _, m := range set {
		m.candidate = false
	}

	var toUmount []*Mountpoint
	umountOne := func(m *Mountpoint) {
		m.umounting = true
		k.hideChild(m)
		toUmount = append(toUmount, m)
	}
	drop := func(m *Mountpoint) {
		m.candidate = false
		m.trimmed = false
	}
	// Reduce the candidates until the set is non-shifting.
	var left []*Mountpoint
	for _, m := range candidates {
		if !m.candidate {
			drop(m)
			continue
		}
		found, removeThis, umountThis := false, false, false
		over := k.overmount(m)
		for _, n := range m.children {
			if !n.candidate {
				found = true
				if n != over {
					removeThis = true
					break
				}
			}
		}
		if found {
			k.trimAncestors(m)
		} else if len(m.children) == 0 {
			removeThis, umountThis = true, true
		}
		if removeThis {
			drop(m)
			if umountThis {
				umountOne(m)
			}
			continue
		}
		left = append(left, m)
	}
	// Nothing is locked here, so every remaining candidate goes, with its
	// candidate ancestors.
	for _, m := range left {
		if !m.candidate {
			drop(m)
			continue
		}
		p := m
		for ; p.candidate; p = p.parent.Load() {
			drop(p)
		}
		cutoff := p
		for x := m; x != cutoff; x = x.parent.Load() {
			umountOne(x)
		}
	}
	var slides []reparenting
	for _, m := range toUmount {
		over := k.overmount(m)
		if over == nil || over.umounting {
			continue
		}
		p := over
		var mp *vfs.Dentry
		for {
			mp = p.mountpoint.Load()
			p = p.parent.Load()
			if !p.umounting {
				break
			}
		}
		slides = append(slides, reparenting{m: over, parent: p, mp: mp})
	}
	return toUmount, slides
}

// trimAncestors keeps the candidate ancestors of m that a staying child
// would shift (trim_ancestors): walking up while parents are candidates,
// a parent stays unless the mount below it is its overmount. k.mu is
// held.
func (k *Kernel) trimAncestors(m *Mountpoint) {
	for p := m.parent.Load(); p != nil && p.candidate; m, p = p, p.parent.Load() {
		if m.trimmed {
			return
		}
		m.trimmed = true
		if m != k.overmount(p) {
			p.candidate = false
		}
	}
}

// umountConnected takes m and everything below it out of its namespace
// without propagation, leaving the mounts below connected to m (Linux's
// umount_tree with UMOUNT_CONNECTED, as __detach_mounts uses it). k.mu is
// held.
func (k *Kernel) umountConnected(m *Mountpoint) {
	set := preorder(m)
	if m.parent.Load() != nil {
		k.unhashMount(m)
		k.unlinkChild(m)
	}
	for _, p := range set {
		if p.ns != nil {
			p.ns.remove(p)
		}
		propagation.Change(&k.groups, &p.prop, propagation.Private)
	}
	k.freeDetached(m)
}
