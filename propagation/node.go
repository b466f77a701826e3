package propagation

// Node is a mount's membership of the propagation graph.
//
// Invariants: the peers of a node form a ring through next/prev (a node
// that is not shared is alone in its ring); all peers
// have the same group and the same master; a slave is in its master's
// slave list, which is doubly linked through slaveNext/slavePrev from
// slavesFirst to slavesLast; peer groups form contiguous runs of a slave
// list.
type Node[T any] struct {
	Value T

	group      uint32 // peer group ID; may be set before the node is shared
	shared     bool
	unbindable bool
	mark       bool
	next, prev *Node[T]

	master                  *Node[T]
	slaveNext, slavePrev    *Node[T]
	slavesFirst, slavesLast *Node[T]
}

// Init makes n a private node carrying v.
func (n *Node[T]) Init(v T) {
	n.Value = v
	n.next, n.prev = n, n
}

// Group returns n's peer group ID, 0 when it has none.
func (n *Node[T]) Group() uint32 { return n.group }

// Shared reports whether n is shared (MNT_SHARED).
func (n *Node[T]) Shared() bool { return n.shared }

// Master returns the node n receives propagation from, or nil.
func (n *Node[T]) Master() *Node[T] { return n.master }

// Unbindable reports whether n is unbindable.
func (n *Node[T]) Unbindable() bool { return n.unbindable }

// NextPeer returns the next node in n's peer ring (n itself when alone).
func (n *Node[T]) NextPeer() *Node[T] { return n.next }

// FirstSlave returns the first of n's slaves, or nil.
func (n *Node[T]) FirstSlave() *Node[T] { return n.slavesFirst }

// NextSlave returns the slave after n in its master's slave list, or nil.
func (n *Node[T]) NextSlave() *Node[T] { return n.slaveNext }

// Mark, Marked and Unmark maintain a scratch mark used by the walks of
// the mount layer (Linux's MNT_MARKED).
func (n *Node[T]) Mark()        { n.mark = true }
func (n *Node[T]) Unmark()      { n.mark = false }
func (n *Node[T]) Marked() bool { return n.mark }

// Peers reports whether a and b are in the same peer group.
func Peers[T any](a, b *Node[T]) bool { return a.group != 0 && a.group == b.group }

// slave-list primitives, in the manner of list.h. A node that is not a
// slave is in no list.

// addSlaveFirst puts s at the head of m's slave list.
func (m *Node[T]) addSlaveFirst(s *Node[T]) {
	s.slavePrev = nil
	s.slaveNext = m.slavesFirst
	if m.slavesFirst != nil {
		m.slavesFirst.slavePrev = s
	} else {
		m.slavesLast = s
	}
	m.slavesFirst = s
}

// addSlaveAfter puts s right after after in their master m's slave list.
func (m *Node[T]) addSlaveAfter(after, s *Node[T]) {
	s.slavePrev = after
	s.slaveNext = after.slaveNext
	if after.slaveNext != nil {
		after.slaveNext.slavePrev = s
	} else {
		m.slavesLast = s
	}
	after.slaveNext = s
}

// removeSlave takes s out of its master's slave list.
func (s *Node[T]) removeSlave() {
	m := s.master
	if m == nil {
		return
	}
	if s.slavePrev != nil {
		s.slavePrev.slaveNext = s.slaveNext
	} else if m.slavesFirst == s {
		m.slavesFirst = s.slaveNext
	}
	if s.slaveNext != nil {
		s.slaveNext.slavePrev = s.slavePrev
	} else if m.slavesLast == s {
		m.slavesLast = s.slavePrev
	}
	s.slaveNext, s.slavePrev = nil, nil
}

// spliceSlavesTail moves all of from's slaves to the tail of m's list.
func (m *Node[T]) spliceSlavesTail(from *Node[T]) {
	first, last := from.slavesFirst, from.slavesLast
	if first == nil {
		return
	}
	from.slavesFirst, from.slavesLast = nil, nil
	if m.slavesLast == nil {
		m.slavesFirst, m.slavesLast = first, last
		return
	}
	m.slavesLast.slaveNext = first
	first.slavePrev = m.slavesLast
	m.slavesLast = last
}

// addPeerAfter puts n into old's peer ring right after old.
func (old *Node[T]) addPeerAfter(n *Node[T]) {
	n.prev = old
	n.next = old.next
	old.next.prev = n
	old.next = n
}

// leavePeers takes n out of its peer ring.
func (n *Node[T]) leavePeers() {
	n.prev.next = n.next
	n.next.prev = n.prev
	n.next, n.prev = n, n
}
