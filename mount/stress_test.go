package mount

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/vfs"
)

// TestConcurrentStress runs path walks, file operations and mount
// operations from many goroutines at once for a fixed number of steps
// (run it with -race), then checks the tree's invariants and that every
// reference was returned.
func TestConcurrentStress(t *testing.T) {
	k := NewKernel()
	k.RegisterFilesystem("tmpfs", memfs.Mount, false)
	k.SetMountMax(2000)
	init, err := k.Boot()
	require.NoError(t, err)
	dirs := []string{"/a", "/b", "/c", "/a/x", "/b/y"}
	for _, d := range dirs {
		require.NoError(t, init.Mkdir(d, 0o755))
	}
	require.NoError(t, init.SetPropagation("/", Shared, false))

	const workers, steps = 6, 400
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := init.Fork()
			defer c.Close()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			pick := func() string { return dirs[r.IntN(len(dirs))] }
			var files []*File
			for range steps {
				p := pick()
				switch r.IntN(12) {
				case 0:
					c.Mount("none", p, "tmpfs", 0, "")
				case 1:
					c.Umount2(p, []int{0, MNT_DETACH}[r.IntN(2)])
				case 2:
					c.Bind(pick(), p)
				case 3:
					c.Move(pick(), p)
				case 4:
					c.SetPropagation(p, []Propagation{Shared, Slave, Private}[r.IntN(3)], r.IntN(2) == 0)
				case 5:
					c.RemountBind(p, []uint64{0, MS_RDONLY, MS_NOSUID}[r.IntN(3)])
				case 6:
					name := fmt.Sprintf("%s/f%d", p, r.IntN(4))
					if f, err := c.Open(name, vfs.O_RDWR|vfs.O_CREAT, 0o644); err == nil {
						f.Write([]byte("x"))
						files = append(files, f)
					}
				case 7:
					if len(files) > 0 {
						files[0].Close()
						files = files[1:]
					}
				case 8:
					c.Rename(fmt.Sprintf("%s/f%d", p, r.IntN(4)), fmt.Sprintf("%s/f%d", pick(), r.IntN(4)))
				case 9:
					c.Chdir(p)
				case 10:
					c.Stat(p + "/../" + pick()[1:])
					c.Getcwd()
				case 11:
					if f, err := c.Open(p, vfs.O_RDONLY|vfs.O_DIRECTORY, 0); err == nil {
						f.ReadDir(0)
						f.Close()
					}
					_ = c.MountInfo()
				}
			}
			for _, f := range files {
				f.Close()
			}
		}(w)
	}
	wg.Wait()
	checkInvariants(t, k, init.Namespace())
	checkPropagation(t, k, []*Namespace{init.Namespace()})
	require.NoError(t, init.Close())
	k.mu.RLock()
	defer k.mu.RUnlock()
	require.Zero(t, k.mountIDs.InUse(), "leaked mount IDs")
	require.Empty(t, k.sbs, "leaked superblocks")
	require.Zero(t, k.groups.InUse(), "leaked peer groups")
}
