package mount_test

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStatNoAlloc guards the stat path's promise of no allocation: a
// Stat resolved lock-free through cached directories (and one that ends
// in a missing name past them) allocates nothing.
func TestStatNoAlloc(t *testing.T) {
	c := boot(t)
	dir := ""
	for _, n := range []string{"a", "bb", "a-long-directory-name", "d"} {
		dir += "/" + n
		require.NoError(t, c.Mkdir(dir, 0o755))
	}
	writeFile(t, c, dir+"/file", "x")
	_, err := c.Stat(dir + "/file")
	require.NoError(t, err)
	path, missing := dir+"//file", dir+"/missing"
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := c.Stat(path); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs, "Stat allocates")
	allocs = testing.AllocsPerRun(100, func() {
		if _, err := c.Stat(missing); err == nil {
			t.Fatal("found")
		}
	})
	require.Zero(t, allocs, "Stat of a missing name allocates")
}
