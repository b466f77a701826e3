package memfs

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestNameIndex checks the name index against a map over random inserts
// and removals, growing and shrinking it, with every name findable after
// each step.
func TestNameIndex(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var x nameIndex
		want := map[string]*dirent{}
		for range rapid.IntRange(1, 400).Draw(t, "steps") {
			name := strconv.Itoa(rapid.IntRange(0, 80).Draw(t, "name"))
			if e := want[name]; e != nil {
				require.Same(t, e, x.remove(name))
				delete(want, name)
			} else {
				require.Nil(t, x.remove(name))
				e := &dirent{name: name}
				x.insert(e)
				want[name] = e
			}
			require.Equal(t, len(want), x.n)
			for name, e := range want {
				require.Same(t, e, x.find(name), name)
			}
			require.LessOrEqual(t, x.n*4, len(x.slots)*3)
		}
	})
}
