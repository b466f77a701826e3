package mount

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/vfs"
)

// checkInvariants verifies the mount tree of ns: every attached mount is
// reachable from the namespace root through parent links, the hash and
// the per-dentry index agree with the parent links, children lists are
// symmetric, there are no cycles, and the dentry mount counts match.
func checkInvariants(t require.TestingT, k *Kernel, ns *Namespace) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	onDentry := map[*vfs.Dentry]int32{}
	for _, m := range ns.mounts {
		require.Equal(t, ns, m.ns)
		seen := map[*Mountpoint]bool{}
		for x := m; x != ns.root; x = x.parent {
			require.NotNil(t, x.parent, "mount %d is not connected to the root", m.id)
			require.False(t, seen[x], "cycle at mount %d", x.id)
			seen[x] = true
		}
		if m.parent != nil {
			require.Equal(t, m, k.hash[hashKey{m.parent, m.mountpoint}])
			require.Contains(t, m.parent.children, m)
			require.Contains(t, k.mountsOn[m.mountpoint], m)
			onDentry[m.mountpoint]++
		}
		for _, c := range m.children {
			require.Equal(t, m, c.parent)
		}
	}
	for d, n := range onDentry {
		require.Equal(t, n, d.Mounts())
	}
	require.Len(t, k.hash, len(ns.mounts)-1)
}

// TestMountTreeStateMachine runs random mkdir, mount, umount2 (plain and
// lazy), chdir and open/close sequences, checking the tree's invariants
// after every step, and checks that once every process and file is
// closed, every detached mount has been freed (its ID and superblock
// released).
func TestMountTreeStateMachine(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		k := NewKernel()
		k.RegisterFilesystem("tmpfs", memfs.Mount, false)
		init, err := k.Boot()
		require.NoError(rt, err)
		procs := []*FsContext{init}
		var files []*File
		dirs := []string{"/"}

		rt.Repeat(map[string]func(*rapid.T){
			"mkdir": func(rt *rapid.T) {
				parent := rapid.SampledFrom(dirs).Draw(rt, "parent")
				name := rapid.SampledFrom([]string{"a", "b", "c"}).Draw(rt, "name")
				p := parent + "/" + name
				if parent == "/" {
					p = "/" + name
				}
				if init.Mkdir(p, 0o755) == nil {
					dirs = append(dirs, p)
				}
			},
			"mount": func(rt *rapid.T) {
				d := rapid.SampledFrom(dirs).Draw(rt, "dir")
				err := init.Mount("none", d, "tmpfs", 0, "")
				if err != nil {
					require.Contains(rt, []error{vfs.ENOENT, vfs.EINVAL}, err, "mount %s", d)
				}
			},
			"umount": func(rt *rapid.T) {
				d := rapid.SampledFrom(dirs).Draw(rt, "dir")
				flags := rapid.SampledFrom([]int{0, MNT_DETACH}).Draw(rt, "flags")
				err := init.Umount2(d, flags)
				if err != nil {
					require.Contains(rt, []error{vfs.EINVAL, vfs.EBUSY, vfs.ENOENT}, err)
				}
			},
			"fork-chdir": func(rt *rapid.T) {
				d := rapid.SampledFrom(dirs).Draw(rt, "dir")
				p := init.Fork()
				_ = p.Chdir(d)
				procs = append(procs, p)
			},
			"open": func(rt *rapid.T) {
				d := rapid.SampledFrom(dirs).Draw(rt, "dir")
				if f, err := init.Open(d, vfs.O_RDONLY|vfs.O_DIRECTORY, 0); err == nil {
					files = append(files, f)
				}
			},
			"close": func(rt *rapid.T) {
				if len(files) == 0 {
					rt.Skip("no files")
				}
				i := rapid.IntRange(0, len(files)-1).Draw(rt, "i")
				require.NoError(rt, files[i].Close())
				files = append(files[:i], files[i+1:]...)
			},
			"": func(rt *rapid.T) {
				checkInvariants(rt, k, init.Namespace())
			},
		})

		for _, f := range files {
			require.NoError(rt, f.Close())
		}
		for _, p := range procs[1:] {
			require.NoError(rt, p.Close())
		}
		ns := init.Namespace()
		require.NoError(rt, init.Close())
		// Only the attached mounts remain allocated.
		k.mu.RLock()
		require.Len(rt, k.mountIDs.used, len(ns.mounts), "leaked mount IDs")
		require.Len(rt, k.sbs, len(ns.mounts), "leaked superblocks")
		k.mu.RUnlock()
	})
}

func TestIDAllocatorLowestFree(t *testing.T) {
	var a idAllocator
	a.next = 1
	got := []uint32{a.get(), a.get(), a.get()}
	require.Equal(t, []uint32{1, 2, 3}, got)
	a.put(2)
	require.Equal(t, uint32(2), a.get())
	require.Equal(t, uint32(4), a.get(), fmt.Sprint(a.used))
}
