package cgroupfs_test

import (
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/cgroupfs"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

func bootWith(t *testing.T, h *cgroupfs.Hierarchy) *mount.FsContext {
	t.Helper()
	k := mountkit.NewKernel()
	k.RegisterFilesystem("cgroup2", h.Mount, false)
	init, err := k.Boot()
	require.NoError(t, err)
	return init
}

func cgroup2Lines(c *mount.FsContext) []string {
	var out []string
	for _, l := range strings.Split(c.MountInfo(), "\n") {
		if strings.Contains(l, " - cgroup2 ") {
			out = append(out, l)
		}
	}
	return out
}

// Every mount shares one superblock; mount and remount options are the
// hierarchy's, shown on every mount.
func TestMountSharedAndOptions(t *testing.T) {
	h := cgroupfs.NewDefault()
	c := bootWith(t, h)
	require.NoError(t, c.Mkdir("/a", 0o755))
	require.NoError(t, c.Mkdir("/b", 0o755))
	require.NoError(t, c.Mount("cgroup2", "/a", "cgroup2", 0, ""))
	require.NoError(t, c.Mkdir("/a/x", 0o755))
	require.Equal(t, vfs.EINVAL, c.Mount("cgroup2", "/b", "cgroup2", 0, "bogus"))
	require.NoError(t, c.Mount("cgroup2", "/b", "cgroup2", 0, "nsdelegate,memory_recursiveprot"))
	st, err := c.Stat("/b/x")
	require.NoError(t, err)
	require.True(t, st.Mode.IsDir())
	lines := cgroup2Lines(c)
	require.Len(t, lines, 2)
	dev := func(l string) string { return strings.Fields(l)[2] }
	require.Equal(t, dev(lines[0]), dev(lines[1]))
	for _, l := range lines {
		require.True(t, strings.HasSuffix(l, " - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot"), l)
	}
	require.NoError(t, c.Remount("/a", 0, "favordynmods"))
	for _, l := range cgroup2Lines(c) {
		require.True(t, strings.HasSuffix(l, " rw,favordynmods"), l)
	}
	require.Equal(t, vfs.EINVAL, c.Remount("/a", 0, "nsdelegate=0"))
	// Removing a mounted-on cgroup is refused by the mount layer; an
	// unmounted one goes.
	require.NoError(t, c.Umount2("/b", 0))
	require.NoError(t, c.Rmdir("/a/x"))
	_, err = c.Stat("/a/x")
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// Concurrent readers, writers, moves and mkdirs through the mount layer
// and the Go API; run with -race.
func TestConcurrent(t *testing.T) {
	h, err := cgroupfs.New(cgroupfs.Config{CPUs: 2})
	require.NoError(t, err)
	c := bootWith(t, h)
	require.NoError(t, c.Mkdir("/cg", 0o755))
	require.NoError(t, c.Mount("cgroup2", "/cg", "cgroup2", 0, ""))
	require.NoError(t, h.Root().Write("cgroup.subtree_control", "+memory +pids +cpu"))
	for i := range 4 {
		require.NoError(t, c.Mkdir(fmt.Sprintf("/cg/g%d", i), 0o755))
		require.NoError(t, h.NewProcess(100+i, h.Root()))
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := c.Fork()
			defer p.Close()
			for i := range 200 {
				dir := fmt.Sprintf("/cg/g%d", (w+i)%4)
				switch i % 5 {
				case 0:
					_, _ = fs.ReadFile(p.FS(), strings.TrimPrefix(dir, "/")+"/cgroup.procs")
				case 1:
					g, err := h.Lookup(dir[3:])
					if err == nil {
						_ = h.Move(100+w, g)
					}
				case 2:
					f, err := p.Open(dir+"/pids.max", vfs.O_WRONLY, 0)
					if err == nil {
						_, _ = f.Write([]byte(fmt.Sprint(i)))
						f.Close()
					}
				case 3:
					sub := fmt.Sprintf("%s/s%d", dir, w)
					if p.Mkdir(sub, 0o755) == nil {
						_ = p.Rmdir(sub)
					}
				case 4:
					g, err := h.Lookup(dir[3:])
					if err == nil && g.ChargeMemory(4096) == nil {
						require.NoError(t, g.UnchargeMemory(4096))
					}
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for i := range 4 {
		g, err := h.Lookup(fmt.Sprintf("/g%d", i))
		require.NoError(t, err)
		procs, err := g.Procs()
		require.NoError(t, err)
		total += len(procs)
		require.Equal(t, uint64(0), g.MemoryCurrent())
	}
	rootProcs, _ := h.Root().Procs()
	require.Equal(t, 4, total+len(rootProcs))
}
