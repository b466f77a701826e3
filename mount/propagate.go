package mount

import (
	"strconv"

	"github.com/mountkit/mountkit/propagation"
	"github.com/mountkit/mountkit/vfs"
)

type pnode = propagation.Node[*Mountpoint]

// isNew tells the propagation walks which mounts are not in a namespace
// yet (copies being made by the current event).
func isNew(n *pnode) bool { return n.Value.ns == nil }

// preorder returns m and the mounts below it, parents before children,
// each parent's children in attachment order (Linux's next_mnt order).
func preorder(m *Mountpoint) []*Mountpoint {
	if len(m.children) == 0 {
		return []*Mountpoint{m}
	}
	return appendPreorder(nil, m)
}

func appendPreorder(out []*Mountpoint, m *Mountpoint) []*Mountpoint {
	out = append(out, m)
	for _, c := range m.children {
		out = appendPreorder(out, c)
	}
	return out
}

// changeType is mount(2) with a propagation flag (do_change_type): the
// target must be a mount root and the flags exactly one type, with only
// MS_REC and MS_SILENT beside it.
func (c *FsContext) changeType(tgt Location, flags uint64) error {
	if !tgt.IsMountRoot() {
		return vfs.EINVAL
	}
	typ := flags &^ (MS_REC | MS_SILENT)
	var t propagation.Type
	switch typ {
	case MS_SHARED:
		t = propagation.Shared
	case MS_SLAVE:
		t = propagation.Slave
	case MS_PRIVATE:
		t = propagation.Private
	case MS_UNBINDABLE:
		t = propagation.Unbindable
	default:
		return vfs.EINVAL
	}
	k := c.k
	k.lockMounts()
	defer k.unlockMounts()
	m := tgt.Mount
	if m.ns != c.Namespace() {
		return vfs.EINVAL
	}
	list := []*Mountpoint{m}
	if flags&MS_REC != 0 {
		list = preorder(m)
	}
	if t == propagation.Shared {
		for _, x := range list {
			propagation.Invent(&k.groups, &x.prop)
		}
	}
	for _, x := range list {
		propagation.Change(&k.groups, &x.prop, t)
	}
	return nil
}

// cloneMountProp makes a clone of old rooted at root, linked into the
// propagation graph per flags (clone_mnt). k.mu is held.
func (k *Kernel) cloneMountProp(old *Mountpoint, root *vfs.Dentry, flags propagation.CloneFlags) *Mountpoint {
	m := k.newMount(old.sb, root, old.devname, old.flags.Load())
	propagation.Clone(&k.groups, &old.prop, &m.prop, flags)
	return m
}

// copyTreeFlags copies old, rooted at root, and every mount below it whose
// mountpoint lies at or under root (Linux's copy_tree), each clone joining
// the graph per flags. Unbindable mounts are skipped with their subtrees
// unless copyUnbindable. With onCopy, every (original, copy) pair is
// reported. k.mu is held.
func (k *Kernel) copyTreeFlags(old *Mountpoint, root *vfs.Dentry, flags propagation.CloneFlags,
	copyUnbindable bool, onCopy func(orig, copy *Mountpoint)) *Mountpoint {
	top := k.cloneMountProp(old, root, flags)
	if onCopy != nil {
		onCopy(old, top)
	}
	var walk func(src, dst *Mountpoint)
	walk = func(src, dst *Mountpoint) {
		for _, c := range src.children {
			if src == old && !c.mountpoint.Load().IsAncestor(root) {
				continue
			}
			if c.unbindable() && !copyUnbindable {
				continue
			}
			cc := k.cloneMountProp(c, c.root, flags)
			if onCopy != nil {
				onCopy(c, cc)
			}
			cc.setMountpoint(dst, c.mountpoint.Load())
			dst.children = append(dst.children, cc)
			walk(c, cc)
		}
	}
	walk(old, top)
	return top
}

// pendingMounts records the namespaces that the current event has
// promised mounts to (in their pending fields), to clear them at its end.
type pendingMounts struct{ touched []*Namespace }

// done clears the promises. k.mu is held.
func (p *pendingMounts) done() {
	for _, ns := range p.touched {
		ns.pending = 0
	}
}

// countMounts checks that adding the tree m to ns keeps ns within the
// mount limit, counting mounts already promised to ns by the same event
// (count_mounts). k.mu is held.
func (k *Kernel) countMounts(ns *Namespace, m *Mountpoint, p *pendingMounts) error {
	n := treeSize(m)
	if ns.count()+ns.pending+n > ns.limit() {
		return vfs.ENOSPC
	}
	if ns.pending == 0 {
		p.touched = append(p.touched, ns)
	}
	ns.pending += n
	return nil
}

// needSecondary reports whether receiver m gets a copy of a mount at d
// (need_secondary): m is attached and d is visible in m.
func needSecondary(m *Mountpoint, d *vfs.Dentry) bool {
	return m.ns != nil && d.IsAncestor(m.root)
}

// findMaster picks the copy a new slave copy for receiver m is made from
// (find_master): the copy made for the closest group m receives from.
func findMaster(m, lastCopy, original *Mountpoint) *Mountpoint {
	var p *pnode
	for {
		p = m.prop.Master()
		if p == nil || p.Marked() {
			break
		}
		m = p.Value
	}
	for !propagation.Peers(&lastCopy.prop, &original.prop) {
		parent := lastCopy.parent.Load()
		if parent.prop.Master() == p {
			if !propagation.Peers(&parent.prop, &m.prop) {
				lastCopy = lastCopy.prop.Master().Value
			}
			break
		}
		lastCopy = lastCopy.prop.Master().Value
	}
	return lastCopy
}

// propagateMount makes the copies of the tree source that the receivers
// of dest get when source is attached at dentry d of dest (propagate_mnt).
// Each copy has its parent and mountpoint set but is not attached; they
// are returned in the order they were made. k.mu is held.
func (k *Kernel) propagateMount(dest *Mountpoint, d *vfs.Dentry, source *Mountpoint, pending *pendingMounts) ([]*Mountpoint, error) {
	var copies []*Mountpoint
	origin := &dest.prop
	if mm := origin.Master(); mm != nil {
		mm.Mark()
	}
	var err error
	copy := source
	for m := origin; m != nil && err == nil; m = propagation.NextGroup(m, origin, isNew) {
		var n *pnode
		var typ propagation.CloneFlags
		if m == origin {
			copy = source
			typ = propagation.CloneMakeShared
			n = m.NextPeer()
			if n == m {
				continue
			}
		} else {
			typ = propagation.CloneSlave
			if m.Shared() {
				typ |= propagation.CloneMakeShared
			}
			n = m
		}
		for {
			if needSecondary(n.Value, d) {
				if typ&propagation.CloneSlave != 0 {
					copy = findMaster(n.Value, copy, source)
				}
				this := k.copyTreeFlags(copy, copy.root, typ, false, nil)
				this.setMountpoint(n.Value, d)
				if mm := n.Master(); mm != nil {
					mm.Mark()
				}
				copy = this
				copies = append(copies, this)
				if err = k.countMounts(n.Value.ns, this, pending); err != nil {
					break
				}
				typ = propagation.CloneMakeShared
			}
			if n = n.NextPeer(); n == m {
				break
			}
		}
	}
	for _, c := range copies {
		if mm := c.parent.Load().prop.Master(); mm != nil {
			mm.Unmark()
		}
	}
	if mm := origin.Master(); mm != nil {
		mm.Unmark()
	}
	return copies, err
}

// attachRecursive attaches the tree source at dest (attach_recursive_mnt):
// when dest is shared, every mount of the tree becomes shared and copies
// go to dest's receivers, each tucked beneath a mount already at its
// place. moving says source is an attached mount being moved. k.mu is
// held.
func (k *Kernel) attachRecursive(source *Mountpoint, dest Location, moving bool) error {
	// Mounts found at a copy's place are tucked on top of the copy: on
	// the topmost overmount of its tree, at the root of the source
	// tree's topmost overmount, which Linux pins as a mountpoint first
	// (and cannot once it is unlinked).
	tuckAt := topmostOvermount(source).root
	if tuckAt.Dead() {
		return vfs.ENOENT
	}
	pending := &pendingMounts{}
	defer pending.done()
	if !moving {
		if err := k.countMounts(dest.Mount.ns, source, pending); err != nil {
			return err
		}
	}
	var copies []*Mountpoint
	tree := preorder(source)
	if dest.Mount.shared() {
		for _, p := range tree {
			propagation.Invent(&k.groups, &p.prop)
		}
		var err error
		copies, err = k.propagateMount(dest.Mount, dest.Dentry, source, pending)
		if err != nil {
			for _, c := range copies {
				c.setMountpoint(nil, nil)
				k.destroyCopy(c)
			}
			for _, p := range tree {
				propagation.Uninvent(&k.groups, &p.prop)
			}
			return err
		}
		for _, p := range tree {
			propagation.SetShared(&p.prop)
		}
	}
	if moving {
		k.unhashMount(source)
		k.unlinkChild(source)
		k.link(source, dest.Mount, dest.Dentry)
	} else {
		k.attachTree(source, dest.Mount, dest.Dentry)
	}
	for i := len(copies) - 1; i >= 0; i-- {
		child := copies[i]
		parent, mp := child.parent.Load(), child.mountpoint.Load()
		var q *Mountpoint
		if len(parent.children) > 0 { // a mount hashed at (parent, mp) is a child of parent
			q = k.hash.lookup(hashKey{parent, mp})
		}
		if q != nil {
			k.unhashMount(q)
			k.unlinkChild(q)
		}
		k.attachTree(child, parent, mp)
		if q != nil {
			k.link(q, topmostOvermount(child), tuckAt)
		}
	}
	return nil
}

// destroyCopy frees a copy that was never attached, taking its mounts out
// of the propagation graph. k.mu is held.
func (k *Kernel) destroyCopy(m *Mountpoint) {
	for _, x := range preorder(m) {
		propagation.Change(&k.groups, &x.prop, propagation.Private)
	}
	k.freeTree(m)
}

// appendMountTags appends the optional fields of a mountinfo line for m
// as seen from root: shared:N, master:N, propagate_from:N and unbindable.
func appendMountTags(b []byte, m *Mountpoint, root Location) []byte {
	if m.prop.Shared() {
		b = append(b, " shared:"...)
		b = strconv.AppendUint(b, uint64(m.prop.Group()), 10)
	}
	if master := m.prop.Master(); master != nil {
		b = append(b, " master:"...)
		b = strconv.AppendUint(b, uint64(master.Group()), 10)
		if dom := dominatingID(m, root); dom != 0 && dom != master.Group() {
			b = append(b, " propagate_from:"...)
			b = strconv.AppendUint(b, uint64(dom), 10)
		}
	}
	if m.prop.Unbindable() {
		b = append(b, " unbindable"...)
	}
	return b
}

// dominatingID returns the group of the closest master group of m with a
// member in m's namespace reachable from root (get_dominating_id).
func dominatingID(m *Mountpoint, root Location) uint32 {
	for mm := m.prop.Master(); mm != nil; mm = mm.Master() {
		p := mm
		for {
			x := p.Value
			if x.ns == m.ns && isPathReachable(x, x.root, root) {
				return p.Group()
			}
			if p = p.NextPeer(); p == mm {
				break
			}
		}
	}
	return 0
}

// topmostOvermount follows m's overmounts (a child mounted on its
// parent's root) to the last, whether or not m is attached yet.
func topmostOvermount(m *Mountpoint) *Mountpoint {
	for {
		var next *Mountpoint
		for _, c := range m.children {
			if c.mountpoint.Load() == m.root {
				next = c
				break
			}
		}
		if next == nil {
			return m
		}
		m = next
	}
}
