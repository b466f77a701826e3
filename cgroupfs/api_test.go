package cgroupfs

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/vfs"
)

// The limits the files set are what the host reads back.
func TestHostReadsLimits(t *testing.T) {
	h := newTestHierarchy(t)
	runSteps(t, h, []step{
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "+cpuset +cpu +io +memory +pids"},
		{op: "mkdir", path: "/a"},
		{op: "w", path: "/a", file: "pids.max", data: "7"},
		{op: "w", path: "/a", file: "cpu.max", data: "25000 50000"},
		{op: "w", path: "/a", file: "cpu.weight", data: "200"},
		{op: "w", path: "/a", file: "io.max", data: "8:16 wbps=1048576 riops=10"},
		{op: "w", path: "/a", file: "cpuset.cpus", data: "2-3"},
	})
	a, _ := h.Lookup("/a")
	max, cur, ok := a.PidsLimit()
	require.True(t, ok)
	require.Equal(t, int64(7), max)
	require.Equal(t, 0, cur)
	_, _, ok = h.Root().PidsLimit()
	require.False(t, ok)
	q, p, w, ok := a.CPULimits()
	require.True(t, ok)
	require.Equal(t, []uint64{25000, 50000, 200}, []uint64{q, p, w})
	rb, wb, ri, wi := a.IOMax(Device{8, 16})
	require.Equal(t, []uint64{0, 1048576, 10, 0}, []uint64{rb, wb, ri, wi})
	cpus, mems := a.CPUs()
	require.Equal(t, []int{2, 3}, cpus)
	require.Equal(t, []int{0, 1}, mems)

	a.AddCPUUsage(10, 5)
	got, _ := h.Root().Read("cpu.stat")
	require.Contains(t, got, "usage_usec 15\nuser_usec 10\nsystem_usec 5\n")
	got, _ = a.Read("cpu.stat.local")
	require.Equal(t, "throttled_usec 0\n", got)
	require.Equal(t, vfs.ENODEV, a.AddIO(Device{9, 9}, 1, 0, 1, 0, 0, 0))
	require.NoError(t, a.AddIO(Device{8, 16}, 4096, 0, 1, 0, 0, 0))
	got, _ = h.Root().Read("io.stat")
	require.Equal(t, "8:16 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n", got)
	a.RecordOOMKill(true)
	got, _ = a.Read("memory.events.local")
	require.Equal(t, "low 0\nhigh 0\nmax 0\noom 0\noom_kill 1\noom_group_kill 1\nsock_throttled 0\n", got)
	_, err := h.Mount(&vfs.MountRequest{Data: "memory_localevents"})
	require.NoError(t, err)
	got, _ = a.Read("memory.events")
	require.Contains(t, got, "oom_kill 1\n")
}

// cgroup.kill hands the processes of the subtree to the host's Kill, with
// no lock held, so that the host may call Exit from it.
func TestKillCallback(t *testing.T) {
	var (
		mu     sync.Mutex
		killed []int
		h      *Hierarchy
	)
	h, err := New(Config{Kill: func(pid int) {
		mu.Lock()
		killed = append(killed, pid)
		mu.Unlock()
		require.NoError(t, h.Exit(pid))
	}, Current: func() int { return 3 }})
	require.NoError(t, err)
	a, _ := h.Root().Mkdir("a")
	b, _ := a.Mkdir("b")
	require.NoError(t, h.NewProcess(1, a))
	require.NoError(t, h.NewProcess(2, b))
	require.NoError(t, h.NewProcess(3, h.Root()))
	require.NoError(t, b.Write("cgroup.procs", "0")) // the caller, 3
	cg, _ := h.CgroupOf(3)
	require.Equal(t, b, cg)
	require.NoError(t, a.Write("cgroup.kill", "1"))
	require.Equal(t, []int{1, 2, 3}, killed)
	require.False(t, a.Populated())
	other := NewDefault()
	require.Equal(t, vfs.EINVAL, other.NewProcess(9, a))
	require.NoError(t, other.NewProcess(9, other.Root()))
	require.Equal(t, vfs.EINVAL, other.Move(9, a))
}

// Freezing is instantaneous and inherited; cgroup.stat.local counts the
// time frozen.
func TestFreeze(t *testing.T) {
	now := time.Unix(1000, 0)
	h, err := New(Config{Now: func() time.Time { return now }})
	require.NoError(t, err)
	a, _ := h.Root().Mkdir("a")
	require.NoError(t, h.NewProcess(5, a))
	require.NoError(t, a.Write("cgroup.freeze", "1"))
	require.True(t, h.Frozen(5))
	b, _ := a.Mkdir("b")
	require.True(t, b.Frozen())
	now = now.Add(1500 * time.Microsecond)
	got, _ := a.Read("cgroup.stat.local")
	require.Equal(t, "frozen_usec 1500\n", got)
	require.NoError(t, a.Write("cgroup.freeze", "0"))
	require.False(t, h.Frozen(5))
	require.False(t, a.Frozen())
	now = now.Add(time.Second)
	got, _ = a.Read("cgroup.stat.local")
	require.Equal(t, "frozen_usec 1500\n", got)
}

// Ownership, modes and extended attributes of the directories and files.
func TestAttrsAndXattrs(t *testing.T) {
	h := newTestHierarchy(t)
	root := h.FS().Root()
	d, err := root.Mkdir("a", vfs.CreateOpts{Mode: 0o750, UID: 7, GID: 8})
	require.NoError(t, err)
	f, err := d.Lookup("cgroup.procs")
	require.NoError(t, err)
	require.NoError(t, f.Setattr(&vfs.SetAttr{Mask: vfs.SetMode | vfs.SetUID | vfs.SetSize, Mode: 0o664, UID: 9}))
	a, err := f.Getattr()
	require.NoError(t, err)
	require.Equal(t, vfs.ModeRegular|0o664, a.Mode)
	require.Equal(t, []uint32{9, 8}, []uint32{a.UID, a.GID})
	require.Equal(t, vfs.EISDIR, d.Setattr(&vfs.SetAttr{Mask: vfs.SetSize}))
	require.NoError(t, d.Setattr(&vfs.SetAttr{Mask: vfs.SetGID, GID: 3}))
	da, _ := d.Getattr()
	require.Equal(t, []uint32{7, 3, 2}, []uint32{da.UID, da.GID, da.Nlink})
	ra, _ := root.Getattr()
	require.Equal(t, uint64(1), ra.Ino)
	require.Equal(t, uint32(3), ra.Nlink)

	for _, in := range []vfs.Inode{d, f} {
		require.Equal(t, vfs.EOPNOTSUPP, in.Setxattr("system.x", nil, 0))
		require.Equal(t, vfs.EINVAL, in.Setxattr("user.", nil, 0))
		_, err = in.Getxattr("user.a")
		require.Equal(t, vfs.ENODATA, err)
		require.Equal(t, vfs.ENODATA, in.Setxattr("user.a", []byte("1"), vfs.XATTR_REPLACE))
		require.NoError(t, in.Setxattr("user.a", []byte("1"), vfs.XATTR_CREATE))
		require.Equal(t, vfs.EEXIST, in.Setxattr("user.a", []byte("2"), vfs.XATTR_CREATE))
		require.NoError(t, in.Setxattr("trusted.b", []byte("2"), 0))
		v, err := in.Getxattr("user.a")
		require.NoError(t, err)
		require.Equal(t, "1", string(v))
		names, _ := in.Listxattr()
		require.Equal(t, []string{"trusted.b", "user.a"}, names)
		require.NoError(t, in.Removexattr("user.a"))
		require.Equal(t, vfs.ENODATA, in.Removexattr("user.a"))
	}

	// What a cgroup directory does not do.
	_, err = d.Mknod("n", vfs.CreateOpts{})
	require.Equal(t, vfs.EPERM, err)
	_, err = d.Symlink("n", "t", vfs.CreateOpts{})
	require.Equal(t, vfs.EPERM, err)
	require.Equal(t, vfs.EPERM, d.Link("n", f))
	require.Equal(t, vfs.EPERM, root.Rename("a", root, "b", 0))
	_, err = d.Readlink()
	require.Equal(t, vfs.EINVAL, err)
	_, err = d.Open(vfs.O_RDWR)
	require.Equal(t, vfs.EISDIR, err)
	_, err = f.Open(vfs.O_RDONLY | vfs.O_DIRECTORY)
	require.Equal(t, vfs.ENOTDIR, err)
	_, err = f.Lookup("x")
	require.Equal(t, vfs.ENOTDIR, err)
	st, err := h.FS().Statfs()
	require.NoError(t, err)
	require.Equal(t, int64(Cgroup2Magic), st.Type)
	require.Same(t, h, h.FS().Hierarchy())

	// Reading is positional; a write-only file reads EINVAL.
	pf, err := f.Open(vfs.O_RDONLY)
	require.NoError(t, err)
	defer pf.Close()
	b := make([]byte, 3)
	n, err := pf.ReadAt(b, 0)
	require.NoError(t, err)
	require.Equal(t, 0, n)
	_, err = pf.WriteAt([]byte("1"), 0)
	require.Equal(t, vfs.EBADF, err)
	k, _ := d.Lookup("cgroup.kill")
	kf, err := k.Open(vfs.O_RDWR)
	require.NoError(t, err)
	_, err = kf.ReadAt(b, 0)
	require.Equal(t, vfs.EINVAL, err)
	require.NoError(t, kf.Close())
	require.Equal(t, vfs.EBADF, kf.Close())
	st2, _ := d.Lookup("cgroup.type")
	tf, _ := st2.Open(vfs.O_RDONLY)
	n, err = tf.ReadAt(b, 2)
	require.NoError(t, err)
	require.Equal(t, "mai", string(b[:n]))
	n, err = tf.ReadAt(b, 100)
	require.NoError(t, err)
	require.Equal(t, 0, n)
	require.Equal(t, vfs.ENOTDIR, tf.ReadDir(2, func(vfs.DirEntry) bool { return true }))
}
