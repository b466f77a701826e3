package propagation

// Type is a propagation type as mount(2) sets it.
type Type int

// The propagation types.
const (
	Shared Type = iota + 1
	Slave
	Private
	Unbindable
)

// makeSlave detaches n from its peer group as Linux's do_make_slave does:
// n's slaves, and n itself, get a new master: the next peer of n, or n's
// own master when n was alone; with neither, n's slaves become private.
// (Some kernels prefer a peer with the same root dentry; Linux 6.18, the
// reference here, takes the next peer, as its propagation order shows.)
func makeSlave[T any](g *Groups, n *Node[T]) {
	var master *Node[T]
	if n.next == n {
		if n.shared {
			g.free(n.group)
			n.group = 0
			n.shared = false
		}
		master = n.master
		if master == nil {
			for s := n.slavesFirst; s != nil; {
				next := s.slaveNext
				s.slaveNext, s.slavePrev, s.master = nil, nil, nil
				s = next
			}
			n.slavesFirst, n.slavesLast = nil, nil
			return
		}
	} else {
		master = n.next
		n.leavePeers()
		n.group = 0
		n.shared = false
	}
	for s := n.slavesFirst; s != nil; s = s.slaveNext {
		s.master = master
	}
	n.removeSlave()
	n.master = master
	master.addSlaveFirst(n)
	master.spliceSlavesTail(n)
}

// Change applies a propagation type to n, as Linux's
// change_mnt_propagation (with the group invented first for Shared).
func Change[T any](g *Groups, n *Node[T], t Type) {
	if t == Shared {
		Invent(g, n)
		SetShared(n)
		return
	}
	makeSlave(g, n)
	if t != Slave {
		n.removeSlave()
		n.master = nil
		n.unbindable = t == Unbindable
	}
}

// CloneFlags say how a clone of a mount joins the graph (Linux's CL_*).
type CloneFlags int

// Clone flags.
const (
	CloneSlave         CloneFlags = 1 << iota // a slave of the original
	ClonePrivate                              // in no group, no master
	CloneMakeShared                           // shared, a peer of the original
	CloneSharedToSlave                        // a slave of the original if it is shared
)

// Clone links n, a fresh clone of old, into the graph as Linux's
// clone_mnt does: a peer of a shared original and a slave of the same
// master as a slave one, unless flags say otherwise. An unbindable
// original gives a bindable clone.
func Clone[T any](g *Groups, old, n *Node[T], flags CloneFlags) {
	n.shared = old.shared
	n.unbindable = false
	if flags&(CloneSlave|ClonePrivate|CloneSharedToSlave) == 0 {
		n.group = old.group
	}
	if flags&CloneMakeShared != 0 && n.group == 0 {
		n.group = g.alloc()
	}
	switch {
	case flags&CloneSlave != 0 || flags&CloneSharedToSlave != 0 && old.shared:
		old.addSlaveFirst(n)
		n.master = old
		n.shared = false
	case flags&ClonePrivate == 0:
		if flags&CloneMakeShared != 0 || old.shared {
			old.addPeerAfter(n)
		}
		if old.master != nil {
			old.master.addSlaveAfter(old, n)
		}
		n.master = old.master
	default:
		n.shared = false
	}
	if flags&CloneMakeShared != 0 {
		SetShared(n)
	}
}
