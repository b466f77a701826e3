package ida

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLowestFree(t *testing.T) {
	var a Allocator
	require.Equal(t, []uint32{1, 2, 3}, []uint32{a.Get(), a.Get(), a.Get()})
	a.Put(2)
	require.Equal(t, uint32(2), a.Get())
	require.Equal(t, uint32(4), a.Get())
	a.Put(1)
	a.Put(3)
	require.Equal(t, 2, a.InUse())
	require.Equal(t, uint32(1), a.Get())
	require.Equal(t, uint32(3), a.Get())
}

// TestAgainstSet checks the allocator against a set of IDs over a long
// pseudo-random sequence of gets and puts, across bitmap words.
func TestAgainstSet(t *testing.T) {
	var a Allocator
	used := map[uint32]bool{}
	x := uint32(12345)
	for range 20000 {
		x = x*1664525 + 1013904223
		if x>>31 == 0 || len(used) == 0 {
			want := uint32(1)
			for used[want] {
				want++
			}
			require.Equal(t, want, a.Get())
			used[want] = true
		} else {
			id := x%uint32(len(used)+64) + 0
			a.Put(id)
			delete(used, id)
		}
		require.Equal(t, len(used), a.InUse())
	}
	a.Put(0)
	a.Put(1 << 30)
	require.Equal(t, len(used), a.InUse())
}
