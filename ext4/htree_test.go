package ext4

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mountkit/mountkit/vfs"
	"github.com/stretchr/testify/require"
)

// countingReader counts the device reads of an image.
type countingReader struct {
	r     *bytes.Reader
	mu    sync.Mutex
	reads int
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.r.ReadAt(p, off)
}

// TestHtreeLookupBlocks: a lookup in an indexed directory reads the
// root and one leaf (two blocks), not every block of the directory, for
// every name; absent names likewise.
func TestHtreeLookupBlocks(t *testing.T) {
	img, err := os.ReadFile(filepath.Join("testdata", "fuzzbase.img"))
	require.NoError(t, err)
	for i := 0; i <= 150; i += 10 {
		for _, name := range []string{fmt.Sprintf("name-number-%d", i), fmt.Sprintf("absent-%d", i)} {
			cr := &countingReader{r: bytes.NewReader(img)}
			f, err := Open(cr, int64(len(img)), "")
			require.NoError(t, err)
			d, err := f.Root().Lookup("d")
			require.NoError(t, err)
			r := d.(*node).r
			blocks := r.size / int64(f.sb.blockSize)
			require.Greater(t, blocks, int64(4))
			cr.reads = 0
			_, err = d.Lookup(name)
			if name[0] == 'a' {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			// The root and one leaf, and the child's inode-table block
			// when found (it is cached from the root's lookup).
			require.LessOrEqual(t, cr.reads, 3, "%s: %d reads of a %d-block directory", name, cr.reads, blocks)
		}
	}
}

// TestReadDirResume: resuming a listing at any entry's Next cookie
// returns exactly the entries after it, in hash order and in block order.
func TestReadDirResume(t *testing.T) {
	loadBase(t)
	for _, dir := range []string{"d", "."} {
		var d vfs.Inode = base.fs.Root()
		if dir != "." {
			var err error
			d, err = d.Lookup(dir)
			require.NoError(t, err)
		}
		h, err := d.Open(vfs.O_RDONLY)
		require.NoError(t, err)
		var all []vfs.DirEntry
		require.NoError(t, h.ReadDir(0, func(e vfs.DirEntry) bool { all = append(all, e); return true }))
		require.NotEmpty(t, all)
		for k, e := range all {
			require.Greater(t, e.Next, uint64(1))
			var rest []string
			require.NoError(t, h.ReadDir(e.Next, func(e vfs.DirEntry) bool { rest = append(rest, e.Name); return true }))
			var want []string
			for _, w := range all[k+1:] {
				want = append(want, w.Name)
			}
			require.Equal(t, want, rest, "%s after %q", dir, e.Name)
		}
	}
}
