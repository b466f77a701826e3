package mount_test

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestPropagationBomb binds a shared mount into itself over and over: every
// bind propagates to every copy made before, so the mount count doubles
// each time (the bomb of CVE-2016-6213 that fs.mount-max exists for). It
// must end in ENOSPC at the limit, with memory bounded by the limit, and
// the whole tree must go when the namespace's last process exits.
func TestPropagationBomb(t *testing.T) {
	c := boot(t)
	const limit = 10000
	c.Kernel().SetMountMax(limit)
	require.NoError(t, c.Mkdir("/a", 0o755))
	require.NoError(t, c.Mount("none", "/a", "tmpfs", 0, ""))
	require.NoError(t, c.SetPropagation("/a", mount.Shared, false))
	require.NoError(t, c.Mkdir("/a/b", 0o755))
	before := heapInUse()
	var err error
	binds := 0
	for ; binds < 64; binds++ {
		if err = c.Bind("/a", "/a/b"); err != nil {
			break
		}
	}
	require.Equal(t, vfs.ENOSPC, err)
	n := strings.Count(c.MountInfo(), "\n")
	require.LessOrEqual(t, n, limit)
	require.Greater(t, n, limit/2, "the doubling stopped only near the limit")
	require.Less(t, binds, 16)
	grown := heapInUse() - min(before, heapInUse())
	require.Less(t, grown, uint64(limit)*4096, "memory stays within a few KiB per mount")
	t.Logf("%d binds, %d mounts, %d bytes", binds, n, grown)

	// The copies tucked under the topmost mount on /a are stacked on /a
	// too: detaching the top reveals the next.
	for c.Umount2("/a", mount.MNT_DETACH) == nil {
	}
	require.Equal(t, 1, strings.Count(c.MountInfo(), "\n"))
}

// TestBigDirectory creates 100,000 entries in one directory and reads them
// back: readdir sees each once, lookups find each, and removal empties it.
func TestBigDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 files: not in -short")
	}
	c := boot(t)
	require.NoError(t, c.Mkdir("/d", 0o755))
	const n = 100000
	name := func(i int) string { return "/d/f" + strconv.Itoa(1000000 + i)[1:] }
	for i := range n {
		if err := c.Mknod(name(i), uint32(vfs.ModeRegular|0o644), 0); err != nil {
			t.Fatal(err)
		}
	}
	d, err := c.Open("/d", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	require.NoError(t, err)
	seen := make(map[string]bool, n)
	for {
		es, err := d.ReadDir(4096)
		require.NoError(t, err)
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			require.False(t, seen[e.Name], "%s listed twice", e.Name)
			seen[e.Name] = true
		}
	}
	require.NoError(t, d.Close())
	require.Len(t, seen, n+2)
	st, err := c.Stat(name(54321))
	require.NoError(t, err)
	require.True(t, st.Mode.IsRegular())
	for i := range n {
		if err := c.Unlink(name(i)); err != nil {
			t.Fatal(err)
		}
	}
	require.NoError(t, c.Rmdir("/d"))
}

// TestPathLimits checks the walk's limits at their edges: PATH_MAX, a
// name of NAME_MAX bytes and one more, and 40 symbolic links.
func TestPathLimits(t *testing.T) {
	c := boot(t)
	long := strings.Repeat("n", vfs.NameMax)
	require.NoError(t, c.Mkdir("/"+long, 0o755))
	require.Equal(t, vfs.ENAMETOOLONG, c.Mkdir("/"+long+"x", 0o755))
	edge := "/" + long + strings.Repeat("/", 4095-1-len(long))
	_, err := c.Stat(edge)
	require.NoError(t, err, "4095 bytes fit in PATH_MAX with the NUL")
	_, err = c.Stat(edge + "/")
	require.Equal(t, vfs.ENAMETOOLONG, err)

	require.NoError(t, c.Symlink("l0", "/l0"))
	for i := 1; i <= 41; i++ {
		require.NoError(t, c.Symlink(fmt.Sprintf("l%d", i-1), fmt.Sprintf("/l%d", i)))
	}
	_, err = c.Stat("/l41")
	require.Equal(t, vfs.ELOOP, err, "a loop ends in ELOOP")
	require.NoError(t, c.Symlink("loop", "/loop"))
	_, err = c.Stat("/loop")
	require.Equal(t, vfs.ELOOP, err)
}
