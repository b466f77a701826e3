package propagation

import "github.com/mountkit/mountkit/internal/ida"

// Groups allocates peer-group IDs as Linux's mnt_group_ida does: the
// lowest free ID from 1, reused once freed.
type Groups struct{ ida.Allocator }

func (g *Groups) alloc() uint32 { return g.Get() }

func (g *Groups) free(id uint32) { g.Put(id) }

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
