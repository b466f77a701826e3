package mount

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/mountkit/mountkit/internal/faultfs"
	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/overlay"
	"github.com/mountkit/mountkit/vfs"
)

// faultOp is one system call of TestFaultInjection. atomic ops make at
// most one change to the filesystem, so a failure must leave everything
// as it was; the others (open with O_CREAT and O_TRUNC, then a write)
// may stop half-way, as on Linux, but never touch anything else.
type faultOp struct {
	desc   string
	path   string // what a non-atomic op may change
	atomic bool
	run    func(c *FsContext) error
}

func (o faultOp) String() string { return o.desc }

var (
	faultDirs  = []string{"/f", "/f/a", "/f/b", "/f/a/c", "/f/m"}
	faultNames = []string{"/f/a/x", "/f/b/x", "/f/a/c/y", "/f/z", "/f/a", "/f/b",
		"/o/x", "/o/c/y", "/o/c", "/o/z"} // /o: an overlay whose layers are on the faulty filesystem
)

// faultOpGen draws the operations: file operations on the faulty
// filesystem and mount-tree operations on and under it.
var faultOpGen = rapid.Custom(func(t *rapid.T) faultOp {
	p := rapid.SampledFrom(faultNames).Draw(t, "path")
	q := rapid.SampledFrom(faultNames).Draw(t, "path2")
	d := rapid.SampledFrom(faultDirs).Draw(t, "dir")
	e := rapid.SampledFrom(faultDirs).Draw(t, "dir2")
	mk := func(desc string, atomic bool, run func(c *FsContext) error) faultOp {
		return faultOp{desc: desc, atomic: atomic, run: run}
	}
	switch rapid.IntRange(0, 15).Draw(t, "kind") {
	case 0:
		return mk("mkdir "+p, true, func(c *FsContext) error { return c.Mkdir(p, 0o755) })
	case 1:
		return mk("mknod "+p, true, func(c *FsContext) error { return c.Mknod(p, uint32(vfs.ModeRegular|0o644), 0) })
	case 2:
		return mk("unlink "+p, true, func(c *FsContext) error { return c.Unlink(p) })
	case 3:
		return mk("rmdir "+p, true, func(c *FsContext) error { return c.Rmdir(p) })
	case 4:
		return mk("rename "+p+" "+q, true, func(c *FsContext) error { return c.Rename(p, q) })
	case 5:
		return mk("link "+p+" "+q, true, func(c *FsContext) error { return c.Link(p, q) })
	case 6:
		return mk("symlink "+p, true, func(c *FsContext) error { return c.Symlink("target", p) })
	case 7:
		return mk("chmod "+p, true, func(c *FsContext) error { return c.Chmod(p, 0o600) })
	case 8:
		return mk("truncate "+p, true, func(c *FsContext) error { return c.Truncate(p, 2) })
	case 9:
		data := rapid.SampledFrom([]string{"", "data", "longer data"}).Draw(t, "data")
		op := mk("write "+p, false, func(c *FsContext) error {
			f, err := c.Open(p, vfs.O_WRONLY|vfs.O_CREAT|vfs.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = f.Write([]byte(data))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		})
		op.path = p
		return op
	case 10:
		return mk("mount tmpfs "+d, true, func(c *FsContext) error { return c.Mount("none", d, "tmpfs", 0, "") })
	case 11:
		return mk("bind "+d+" "+e, true, func(c *FsContext) error { return c.Bind(d, e) })
	case 12:
		return mk("move "+d+" "+e, true, func(c *FsContext) error { return c.Move(d, e) })
	case 13:
		flags := rapid.SampledFrom([]int{0, MNT_DETACH}).Draw(t, "flags")
		return mk(fmt.Sprint("umount2 ", d, " ", flags), true, func(c *FsContext) error { return c.Umount2(d, flags) })
	case 14:
		ro := rapid.SampledFrom([]uint64{0, MS_RDONLY}).Draw(t, "ro")
		return mk(fmt.Sprint("remount bind ", d, " ", ro), true, func(c *FsContext) error { return c.RemountBind(d, ro) })
	default:
		pr := rapid.SampledFrom([]Propagation{Shared, Private, Slave}).Draw(t, "prop")
		return mk(fmt.Sprint("propagation ", d, " ", pr), true, func(c *FsContext) error { return c.SetPropagation(d, pr, false) })
	}
})

// TestFaultInjection runs random system calls over a filesystem whose
// backend fails its n-th operation (directly, and through an overlay
// whose layers are on it), for n = 1, 2, ... until the call
// runs without meeting the fault. After every failed attempt the mount
// tree must be as before the call, the files as before (for calls that
// make one change) or unchanged outside the call's own path, the dentry
// cache must agree with the backend, and the tree's invariants must
// hold; at the end every mount, superblock and peer group is freed.
func TestFaultInjection(t *testing.T) {
	faults, absorbed, calls := 0, 0, 0
	rapid.Check(t, func(t *rapid.T) {
		k := NewKernel()
		k.RegisterFilesystem("tmpfs", memfs.Mount, false)
		k.RegisterFilesystem("overlay", overlay.Mount, false)
		var faulty *faultfs.FS
		k.RegisterFilesystem("faulty", func(req *vfs.MountRequest) (vfs.Filesystem, error) {
			fs, err := memfs.Mount(req)
			if err != nil {
				return nil, err
			}
			faulty = faultfs.New(fs)
			return faulty, nil
		}, false)
		c, err := k.Boot()
		require.NoError(t, err)
		require.NoError(t, c.Mkdir("/f", 0o755))
		require.NoError(t, c.Mount("none", "/f", "faulty", 0, ""))
		for _, d := range faultDirs[1:] {
			require.NoError(t, c.Mkdir(d, 0o755))
		}
		require.NoError(t, writeFaultFile(c, "/f/a/x", "x data"))
		for _, d := range []string{"/f/low", "/f/low/c", "/f/up", "/f/wk", "/o"} {
			require.NoError(t, c.Mkdir(d, 0o755))
		}
		require.NoError(t, writeFaultFile(c, "/f/low/x", "lower x"))
		require.NoError(t, writeFaultFile(c, "/f/low/c/y", "lower y"))
		require.NoError(t, c.Mount("overlay", "/o", "overlay", 0, "lowerdir=/f/low,upperdir=/f/up,workdir=/f/wk"))
		// What an overlay leaves in its upper and work directories when a
		// call fails half-way (copied-up parents, staged files) is not
		// compared: Linux leaves them too. The merged view is.
		skip := map[string]bool{}
		for _, d := range []string{"/f/up", "/f/wk"} {
			st, err := c.Lstat(d)
			require.NoError(t, err)
			skip[fmt.Sprintf("%d:%d", st.Dev, st.Ino)] = true
		}
		snapshot := func() faultState { return faultSnapshot(t, c, skip) }
		errno := rapid.SampledFrom([]vfs.Errno{vfs.EIO, vfs.ENOSPC}).Draw(t, "errno")

		for _, op := range rapid.SliceOfN(faultOpGen, 1, 12).Draw(t, "ops") {
			before := snapshot()
			for n := int64(1); ; n++ {
				faulty.FailAt(n, errno)
				err := op.run(c)
				fired := faulty.Fired()
				log := faulty.Counted()
				faulty.FailAt(0, 0)
				calls++
				if !fired {
					break
				}
				faults++
				if err == nil {
					// The fault hit a step after the change was made
					// (a question whose answer is known anyway): the
					// call is done.
					absorbed++
					t.Logf("%s: fault %d absorbed: %v", op, n, log)
					checkCacheCoherent(t, c, faulty)
					checkInvariants(t, k, c.Namespace())
					break
				}
				after := snapshot()
				require.Equal(t, before.mounts, after.mounts, "%s failed at operation %d but changed the mount tree", op, n)
				what := fmt.Sprintf("%s, failed at operation %d,", op, n)
				if op.atomic {
					require.Equal(t, before.inodes, after.inodes, "%s changed files", what)
					require.Equal(t, before.names, after.names, "%s changed names", what)
				} else {
					changedOnly(t, c, before, after, op.path, what)
				}
				checkCacheCoherent(t, c, faulty)
				checkInvariants(t, k, c.Namespace())
			}
		}
		checkCacheCoherent(t, c, faulty)
		require.NoError(t, c.Close())
		k.mu.RLock()
		defer k.mu.RUnlock()
		require.Zero(t, k.mountIDs.InUse(), "leaked mount IDs")
		require.Empty(t, k.sbs, "leaked superblocks")
		require.Zero(t, k.groups.InUse(), "leaked peer groups")
	})
	t.Logf("%d calls, %d faults injected and survived (%d after the call's change was made)", calls, faults, absorbed)
}

func writeFaultFile(c *FsContext, path, data string) error {
	f, err := c.Open(path, vfs.O_WRONLY|vfs.O_CREAT|vfs.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte(data))
	f.Close()
	return err
}

type faultState struct {
	mounts string
	inodes map[string]string // "dev:ino" -> type, mode, size, nlink and content or target
	names  map[string]string // "dev:ino/name" of a directory entry -> "dev:ino" of its inode
}

// faultSnapshot records the mount tree and every inode and name reachable
// from the root as c sees them, by identity, so that bind mounts (two
// paths to one inode) count once (no fault is armed while it runs).
func faultSnapshot(t require.TestingT, c *FsContext, skip map[string]bool) faultState {
	s := faultState{mounts: c.MountInfo(), inodes: map[string]string{}, names: map[string]string{}}
	var walk func(path string) string
	walk = func(path string) string {
		st, err := c.Lstat(path)
		require.NoError(t, err, "lstat %s", path)
		id := fmt.Sprintf("%d:%d", st.Dev, st.Ino)
		if skip[id] {
			return id
		}
		desc := fmt.Sprintf("%o nlink=%d size=%d", st.Mode, st.Nlink, st.Size)
		switch {
		case st.Mode.IsDir():
			desc = fmt.Sprintf("%o", st.Mode)
			f, err := c.Open(path, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
			require.NoError(t, err)
			es, err := f.ReadDir(0)
			if err == vfs.ENOENT { // a removed directory, still mounted somewhere
				es, err = nil, nil
			}
			require.NoError(t, err)
			f.Close()
			for _, e := range es {
				if e.Name != "." && e.Name != ".." {
					s.names[id+"/"+e.Name] = walk(strings.TrimSuffix(path, "/") + "/" + e.Name)
				}
			}
		case st.Mode.Type() == vfs.ModeSymlink:
			target, err := c.Readlink(path)
			require.NoError(t, err)
			desc += " -> " + target
		case st.Mode.IsRegular():
			f, err := c.Open(path, vfs.O_RDONLY, 0)
			require.NoError(t, err)
			var data []byte
			buf := make([]byte, 64)
			for {
				n, err := f.Read(buf) // read(2): 0 at the end
				require.NoError(t, err)
				if n == 0 {
					break
				}
				data = append(data, buf[:n]...)
			}
			f.Close()
			desc += " " + string(data)
		}
		s.inodes[id] = desc
		return id
	}
	walk("/")
	return s
}

// changedOnly checks that after differs from before only in the inode
// written by a write to path (following a symbolic link, as open does)
// and in that inode's own name.
func changedOnly(t require.TestingT, c *FsContext, before, after faultState, path, what string) {
	target := ""
	if st, err := c.Stat(path); err == nil {
		target = fmt.Sprintf("%d:%d", st.Dev, st.Ino)
	}
	for id, v := range before.inodes {
		if id != target {
			require.Equal(t, v, after.inodes[id], "%s changed inode %s", what, id)
		}
	}
	for n, id := range before.names {
		require.Equal(t, id, after.names[n], "%s changed the name %s", what, n)
	}
	for n, id := range after.names {
		if _, ok := before.names[n]; !ok {
			require.Equal(t, target, id, "%s added the name %s", what, n)
		}
	}
}

// checkCacheCoherent compares the names the dentry cache holds under the
// faulty filesystem's root with the backend's own directories: a call
// that failed in the backend must not have changed the cache.
func checkCacheCoherent(t require.TestingT, c *FsContext, faulty *faultfs.FS) {
	var root *vfs.Dentry
	c.k.mu.RLock()
	for _, m := range c.Namespace().list() {
		if m.sb.Filesystem() == vfs.Filesystem(faulty) && m.root.IsRoot() {
			root = m.root
			break
		}
	}
	c.k.mu.RUnlock()
	if root == nil {
		return // every mount of it is gone
	}
	// Every name the ops use, in every directory both know.
	names := []string{"a", "b", "c", "m", "x", "y", "z"}
	var walk func(d *vfs.Dentry, in vfs.Inode, path string)
	walk = func(d *vfs.Dentry, in vfs.Inode, path string) {
		for _, name := range names {
			child, err := in.Lookup(name)
			cd := d.Cached(name)
			if err == vfs.ENOENT {
				require.Nil(t, cd, "%s/%s is cached but not in the backend", path, name)
				continue
			}
			require.NoError(t, err, "backend lookup %s/%s", path, name)
			if cd == nil {
				continue
			}
			require.False(t, cd.Dead(), "%s/%s: a dead dentry is still cached", path, name)
			a, err := child.Getattr()
			require.NoError(t, err)
			ca, err := cd.Inode().Getattr()
			require.NoError(t, err)
			require.Equal(t, a.Ino, ca.Ino, "%s/%s: the cache names another inode than the backend", path, name)
			if a.Mode.IsDir() {
				walk(cd, child, path+"/"+name)
			}
		}
	}
	walk(root, faulty.Inner().Root(), "")
}
