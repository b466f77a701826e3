package propagation

// IsNew tells the walks which nodes were made by the event being
// propagated (Linux's IS_MNT_NEW: not yet in a namespace); their slaves
// are not visited.
type IsNew[T any] func(n *Node[T]) bool

// slaveNextIs reports whether x follows m in m's master's slave list,
// where a node that is in no list counts as followed by itself (an empty
// list_head points to itself).
func slaveNextIs[T any](m, x *Node[T]) bool {
	if m.master == nil {
		return x == m
	}
	return m.slaveNext == x
}

func nextSkippingSlaves[T any](m, origin *Node[T]) *Node[T] {
	for {
		master := m.master
		if master == origin.master {
			next := m.next
			if next == origin {
				return nil
			}
			return next
		}
		if m.slaveNext != nil {
			return m.slaveNext
		}
		m = master
	}
}

// Next returns the node after m in a depth-first walk of everything that
// receives propagation from origin: origin's peers and, recursively,
// their slaves (Linux's propagation_next). It returns nil at the end.
func Next[T any](m, origin *Node[T], isNew IsNew[T]) *Node[T] {
	if !isNew(m) && m.slavesFirst != nil {
		return m.slavesFirst
	}
	return nextSkippingSlaves(m, origin)
}

// SkipSubtree returns the node after everything that receives propagation
// from m (and from its peers) in the walk from origin
// (skip_propagation_subtree).
func SkipSubtree[T any](m, origin *Node[T]) *Node[T] {
	p := nextSkippingSlaves(m, origin)
	for p != nil && Peers(m, p) {
		p = nextSkippingSlaves(p, origin)
	}
	return p
}

// NextGroup returns the first node of the next peer group in a
// depth-first walk of the groups that receive propagation from origin's
// group (Linux's next_group), or nil at the end.
func NextGroup[T any](m, origin *Node[T], isNew IsNew[T]) *Node[T] {
	for {
		for {
			if !isNew(m) && m.slavesFirst != nil {
				return m.slavesFirst
			}
			next := m.next
			if m.group == origin.group {
				if next == origin {
					return nil
				}
			} else if !slaveNextIs(m, next) {
				break
			}
			m = next
		}
		// m is the last peer of its group.
		for {
			master := m.master
			if m.slaveNext != nil {
				return m.slaveNext
			}
			m = master.next
			if master.group == origin.group {
				break
			}
			if slaveNextIs(master, m) {
				break
			}
			m = master
		}
		if m == origin {
			return nil
		}
	}
}
