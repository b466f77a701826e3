package propagation

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

type graph struct {
	g     Groups
	nodes []*Node[int]
}

func (gr *graph) add() *Node[int] {
	n := &Node[int]{}
	n.Init(len(gr.nodes))
	gr.nodes = append(gr.nodes, n)
	return n
}

func notNew(*Node[int]) bool { return false }

// check verifies the graph's invariants.
func (gr *graph) check(t require.TestingT) {
	live := map[uint32]bool{}
	for _, n := range gr.nodes {
		require.Equal(t, n, n.next.prev, "ring links of %d", n.Value)
		require.Equal(t, n, n.prev.next, "ring links of %d", n.Value)
		for p := n.next; p != n; p = p.next {
			require.Equal(t, n.group, p.group, "peers %d and %d", n.Value, p.Value)
			require.Equal(t, n.master, p.master, "peers %d and %d share a master", n.Value, p.Value)
			require.True(t, p.shared && n.shared)
		}
		if n.shared {
			require.NotZero(t, n.group)
			live[n.group] = true
			require.False(t, n.unbindable)
		}
		if n.master != nil {
			found := false
			for s := n.master.slavesFirst; s != nil; s = s.slaveNext {
				if s == n {
					found = true
				}
			}
			require.True(t, found, "%d is in its master's slave list", n.Value)
		} else {
			require.Nil(t, n.slaveNext)
			require.Nil(t, n.slavePrev)
		}
		var prev *Node[int]
		for s := n.slavesFirst; s != nil; s = s.slaveNext {
			require.Equal(t, n, s.master)
			require.Equal(t, prev, s.slavePrev)
			prev = s
		}
		require.Equal(t, prev, n.slavesLast)
	}
	require.Equal(t, len(live), gr.g.InUse(), "group IDs in use are those of shared nodes")
}

func TestGraphStateMachine(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		gr := &graph{}
		gr.add()
		pick := func(rt *rapid.T) *Node[int] {
			return gr.nodes[rapid.IntRange(0, len(gr.nodes)-1).Draw(rt, "node")]
		}
		rt.Repeat(map[string]func(*rapid.T){
			"change": func(rt *rapid.T) {
				n := pick(rt)
				typ := Type(rapid.IntRange(int(Shared), int(Unbindable)).Draw(rt, "type"))
				Change(&gr.g, n, typ)
			},
			"clone": func(rt *rapid.T) {
				old := pick(rt)
				flags := rapid.SampledFrom([]CloneFlags{0, CloneSlave, ClonePrivate, CloneSharedToSlave}).Draw(rt, "flags")
				n := gr.add()
				Clone(&gr.g, old, n, flags)
				// A clone that became a peer of an unshared node (the
				// copies propagation makes before SetShared) is not
				// drawn here: only clones of real states.
			},
			"walk": func(rt *rapid.T) {
				origin := pick(rt)
				seen := map[*Node[int]]bool{}
				for m := Next(origin, origin, notNew); m != nil; m = Next(m, origin, notNew) {
					require.False(rt, seen[m], "walk visits %d twice", m.Value)
					seen[m] = true
					require.NotEqual(rt, origin, m)
				}
			},
			"": func(rt *rapid.T) { gr.check(rt) },
		})
	})
}

func TestMakeSlaveHandsSlavesOn(t *testing.T) {
	gr := &graph{}
	a := gr.add()
	Change(&gr.g, a, Shared)
	b := gr.add()
	Clone(&gr.g, a, b, 0) // b is a peer of a
	c := gr.add()
	Clone(&gr.g, a, c, CloneSlave) // c is a slave of a
	require.Equal(t, uint32(1), a.Group())
	require.Equal(t, a, c.Master())

	// a leaves the group: c's master becomes b.
	Change(&gr.g, a, Private)
	require.Equal(t, b, c.Master())
	require.False(t, a.Shared())
	gr.check(t)

	// b, alone, goes private: its group is freed and c is private.
	Change(&gr.g, b, Private)
	require.Nil(t, c.Master())
	require.Zero(t, gr.g.InUse())
	gr.check(t)
}

func TestNextGroupVisitsEachGroupOnce(t *testing.T) {
	gr := &graph{}
	a := gr.add()
	Change(&gr.g, a, Shared)
	b := gr.add()
	Clone(&gr.g, a, b, 0) // peer
	s1 := gr.add()
	Clone(&gr.g, a, s1, CloneSlave)
	Change(&gr.g, s1, Shared) // shared slave: a group of its own
	s2 := gr.add()
	Clone(&gr.g, s1, s2, 0) // peer of s1
	s3 := gr.add()
	Clone(&gr.g, b, s3, CloneSlave) // private slave of b
	var groups []*Node[int]
	for m := a; m != nil; m = NextGroup(m, a, notNew) {
		groups = append(groups, m)
	}
	require.Len(t, groups, 3, "a's group, s1's group, s3")
	gr.check(t)
}
