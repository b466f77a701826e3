package mount

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/propagation"
	"github.com/mountkit/mountkit/vfs"
)

// checkInvariants verifies the mount tree of ns: every attached mount is
// reachable from the namespace root through parent links, the hash and
// the per-dentry index agree with the parent links, children lists are
// symmetric, there are no cycles, and the dentry mount counts match.
func checkInvariants(t require.TestingT, k *Kernel, nss ...*Namespace) {
	k.mu.Lock()
	defer k.mu.Unlock()
	onDentry := map[*vfs.Dentry]int32{}
	for _, ns := range nss {
		checkTree(t, k, ns, onDentry)
	}
	for d, n := range onDentry {
		ensure(t, n == d.Mounts(), "mount count of a dentry: %d, want %d", d.Mounts(), n)
		list := k.mountsOnList(d)
		ensure(t, len(list) == int(n), "mounts listed on a dentry: %d, want %d", len(list), n)
		for _, m := range list {
			ensure(t, m.onNext.onPrev == m && m.onPrev.onNext == m, "ring of the mounts on a dentry broken at %d", m.id)
		}
	}
}

func checkTree(t require.TestingT, k *Kernel, ns *Namespace, onDentry map[*vfs.Dentry]int32) {
	for _, m := range ns.list() {
		ensure(t, ns == m.ns, "mount %d is in its namespace", m.id)
		seen := map[*Mountpoint]bool{}
		for x := m; x != ns.root; x = x.parent.Load() {
			ensure(t, x.parent.Load() != nil, "mount %d is not connected to the root", m.id)
			ensure(t, !(seen[x]), "cycle at mount %d", x.id)
			seen[x] = true
		}
		if m.parent.Load() != nil {
			h := k.hash.lookup(hashKey{m.parent.Load(), m.mountpoint.Load()})
			ensure(t, h == m, "mount %d is hashed at its place (found %v)", m.id, idOf(h))
			ensure(t, slices.Contains(m.parent.Load().children, m), "mount %d is its parent's child", m.id)
			ensure(t, slices.Contains(k.mountsOnList(m.mountpoint.Load()), m), "mount %d is on its dentry", m.id)
			onDentry[m.mountpoint.Load()]++
		}
		for _, c := range m.children {
			ensure(t, m == c.parent.Load(), "child %d of %d", c.id, m.id)
		}
	}
}

// checkPropagation verifies the propagation graph over the mounts of nss:
// peer groups are symmetric and disjoint, a slave's master is a live
// shared mount, no mount is its own master, and the allocated group IDs
// are exactly those of live shared mounts.
func checkPropagation(t require.TestingT, k *Kernel, nss []*Namespace) {
	k.mu.Lock()
	defer k.mu.Unlock()
	live := map[*Mountpoint]bool{}
	for _, ns := range nss {
		for _, m := range ns.list() {
			live[m] = true
		}
	}
	groups := map[uint32]bool{}
	for m := range live {
		n := &m.prop
		for p := n.NextPeer(); p != n; p = p.NextPeer() {
			ensure(t, live[p.Value], "peer %d of %d is live", p.Value.id, m.id)
			ensure(t, n.Group() == p.Group(), "peers %d and %d share a group", m.id, p.Value.id)
			ensure(t, n.Master() == p.Master(), "peers %d and %d have one master", m.id, p.Value.id)
		}
		if n.Shared() {
			groups[n.Group()] = true
		} else {
			ensure(t, n == n.NextPeer(), "an unshared mount %d has no peers", m.id)
		}
		if master := n.Master(); master != nil {
			ensure(t, !(n == master), "mount %d is its own master", m.id)
			ensure(t, live[master.Value], "master of %d is live", m.id)
			ensure(t, master.Shared(), "master of %d is shared", m.id)
			ensure(t, !propagation.Peers(n, master), "mount %d is not a peer of its master", m.id)
		}
	}
	require.Equal(t, len(groups), k.groups.InUse(), "group IDs in use")
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
		// rbinds of shared trees double the tree: keep it small.
		k.SetMountMax(120)
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
					require.Contains(rt, []error{vfs.ENOENT, vfs.EINVAL, vfs.ENOSPC}, err, "mount %s", d)
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
			"bind": func(rt *rapid.T) {
				src := rapid.SampledFrom(dirs).Draw(rt, "src")
				dst := rapid.SampledFrom(dirs).Draw(rt, "dst")
				rec := rapid.Bool().Draw(rt, "rec")
				var err error
				if rec {
					err = init.RBind(src, dst)
				} else {
					err = init.Bind(src, dst)
				}
				if err != nil {
					require.Contains(rt, []error{vfs.ENOENT, vfs.EINVAL, vfs.ENOSPC}, err, "bind %s %s", src, dst)
				}
			},
			"move": func(rt *rapid.T) {
				src := rapid.SampledFrom(dirs).Draw(rt, "src")
				dst := rapid.SampledFrom(dirs).Draw(rt, "dst")
				if err := init.Move(src, dst); err != nil {
					require.Contains(rt, []error{vfs.ENOENT, vfs.EINVAL, vfs.ELOOP, vfs.ENOSPC}, err, "move %s %s", src, dst)
				}
			},
			"propagation": func(rt *rapid.T) {
				d := rapid.SampledFrom(dirs).Draw(rt, "dir")
				p := rapid.SampledFrom([]Propagation{Shared, Slave, Private, Unbindable}).Draw(rt, "type")
				if err := init.SetPropagation(d, p, rapid.Bool().Draw(rt, "rec")); err != nil {
					require.Contains(rt, []error{vfs.ENOENT, vfs.EINVAL}, err)
				}
			},
			"unshare": func(rt *rapid.T) {
				p := init.Fork()
				require.NoError(rt, p.Unshare())
				procs = append(procs, p)
			},
			"": func(rt *rapid.T) {
				var nss []*Namespace
				seen := map[*Namespace]bool{}
				for _, p := range procs {
					if ns := p.Namespace(); !seen[ns] {
						seen[ns] = true
						nss = append(nss, ns)
					}
				}
				checkInvariants(rt, k, nss...)
				checkPropagation(rt, k, nss)
			},
		})

		for _, f := range files {
			require.NoError(rt, f.Close())
		}
		for _, p := range procs[1:] {
			require.NoError(rt, p.Close())
		}
		require.NoError(rt, init.Close())
		// With every process gone, every namespace went, and with them
		// every mount, superblock and peer group.
		k.mu.RLock()
		require.Zero(rt, k.mountIDs.InUse(), "leaked mount IDs")
		require.Empty(rt, k.sbs, "leaked superblocks")
		require.Zero(rt, k.groups.InUse(), "leaked peer groups")
		require.Zero(rt, k.hash.count, "leaked hash entries")
		k.mu.RUnlock()
	})
}

func idOf(m *Mountpoint) any {
	if m == nil {
		return nil
	}
	return m.id
}

// ensure fails t unless cond holds; cheaper than require in hot loops.
func ensure(t require.TestingT, cond bool, format string, args ...any) {
	if !cond {
		t.Errorf(format, args...)
		t.FailNow()
	}
}
