package aferobackend_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/vfs"
)

// TestConcurrent runs processes that create, rename, stat, list and
// remove names in one afero mount at once (run it with -race): every
// error is one a racing process could cause, and the tree ends as the
// afero.Fs holds it.
func TestConcurrent(t *testing.T) {
	mem := afero.NewMemMapFs()
	c := mountAfero(t, mem, 0)
	require.NoError(t, c.Mkdir("/mnt/shared", 0o777))
	var wg sync.WaitGroup
	allowed := map[vfs.Errno]bool{vfs.ENOENT: true, vfs.EEXIST: true, vfs.ENOTEMPTY: true}
	for w := range 6 {
		p := c.Fork()
		defer p.Close()
		wg.Go(func() {
			for i := range 150 {
				own := fmt.Sprintf("/mnt/shared/w%d-%d", w, i%5)
				other := fmt.Sprintf("/mnt/shared/w%d-%d", (w+1)%6, i%5)
				var err error
				switch i % 6 {
				case 0:
					var f interface{ Close() error }
					f, err = p.Open(own, vfs.O_WRONLY|vfs.O_CREAT, 0o644)
					if err == nil {
						f.Close()
					}
				case 1:
					err = p.Rename(own, other)
				case 2:
					_, err = p.Stat(other)
				case 3:
					var d interface {
						ReadDir(int) ([]vfs.DirEntry, error)
						Close() error
					}
					d, err = p.Open("/mnt/shared", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
					if err == nil {
						_, err = d.ReadDir(-1)
						d.Close()
					}
				case 4:
					err = p.Mkdir(own+"d", 0o755)
				case 5:
					if err = p.Unlink(other); err == vfs.EISDIR {
						err = nil
					}
					if e := p.Rmdir(own + "d"); e != nil && !allowed[vfs.ToErrno(e)] {
						err = e
					}
				}
				if err != nil && !allowed[vfs.ToErrno(err)] {
					t.Errorf("worker %d step %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	// The namespace and the afero.Fs agree on what is left.
	d, err := c.Open("/mnt/shared", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	require.NoError(t, err)
	ents, err := d.ReadDir(-1)
	require.NoError(t, err)
	d.Close()
	var got []string
	for _, e := range ents {
		if e.Name != "." && e.Name != ".." {
			got = append(got, e.Name)
		}
	}
	f, err := mem.Open("/shared")
	require.NoError(t, err)
	want, err := f.Readdirnames(-1)
	require.NoError(t, err)
	f.Close()
	assert.ElementsMatch(t, want, got)
	for _, name := range got {
		_, err := c.Lstat("/mnt/shared/" + name)
		assert.NoError(t, err, name)
	}
}
