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
