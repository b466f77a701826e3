package propagation

// Groups allocates peer-group IDs as Linux's mnt_group_ida does: the
// lowest free ID from 1, reused once freed.
type Groups struct {
	used map[uint32]bool
	next uint32 // no free ID is below next
}

func (g *Groups) alloc() uint32 {
	if g.used == nil {
		g.used = make(map[uint32]bool)
	}
	if g.next == 0 {
		g.next = 1
	}
	id := g.next
	for g.used[id] {
		id++
	}
	g.used[id] = true
	g.next = id + 1
	return id
}

func (g *Groups) free(id uint32) {
	delete(g.used, id)
	if id < g.next {
		g.next = id
	}
}

// InUse returns the number of group IDs allocated.
func (g *Groups) InUse() int { return len(g.used) }

// Invent gives n a group ID unless it has one (invent_group_ids). The node
// is not shared until SetShared; Uninvent undoes an Invent that is not
// followed by one.
func Invent[T any](g *Groups, n *Node[T]) {
	if n.group == 0 {
		n.group = g.alloc()
	}
}

// Uninvent frees the group ID of n if n is not shared (cleanup_group_ids).
func Uninvent[T any](g *Groups, n *Node[T]) {
	if !n.shared && n.group != 0 {
		g.free(n.group)
		n.group = 0
	}
}

// SetShared makes n, which has a group ID, shared (set_mnt_shared); it is
// no longer unbindable.
func SetShared[T any](n *Node[T]) {
	n.shared = true
	n.unbindable = false
}
