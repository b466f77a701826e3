package cgroupfs

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/vfs"
)

// The controllers' files cannot be captured on the reference machine,
// whose cpuset, cpu, io (blkio), memory and pids controllers are bound to
// cgroup v1 hierarchies (its cgroup2 root offers none of them: see
// linux_test.go). Their names, modes, formats and errnos here come from
// Documentation/admin-guide/cgroup-v2.rst and the Linux 6.18 sources
// (kernel/cgroup/cgroup.c, pids.c, cpuset.c, kernel/sched/core.c,
// mm/memcontrol.c, block/blk-throttle.c, blk-iocost.c): the core files'
// and the subtree_control parser's errnos were checked on the machine.

// newTestHierarchy has every controller, 4 CPUs, 2 memory nodes and the
// block devices 8:0 and 8:16.
func newTestHierarchy(t require.TestingT) *Hierarchy {
	h, err := New(Config{CPUs: 4, MemNodes: 2, Devices: []Device{{8, 0}, {8, 16}}})
	require.NoError(t, err)
	return h
}

// step is one action of a validation table, run in order on one
// hierarchy: mkdir of a path, a write, or a read compared with want.
type step struct {
	op   string // "mkdir", "rmdir", "w" (write), "r" (read), "proc" (NewProcess pid in path), "move"
	path string // cgroup path
	file string
	data string
	err  vfs.Errno // expected errno of the op, 0 for success
	want string    // for "r": the content
	pid  int
	kid  int // for "fork": the child's pid
}

func runSteps(t *testing.T, h *Hierarchy, steps []step) {
	t.Helper()
	for i, s := range steps {
		cg, err := h.Lookup(s.path)
		if s.op != "mkdir" {
			require.NoError(t, err, "step %d: %+v", i, s)
		}
		switch s.op {
		case "mkdir":
			parent, name := splitPath(s.path)
			p, err := h.Lookup(parent)
			require.NoError(t, err, "step %d", i)
			_, err = p.Mkdir(name)
			requireErrno(t, s.err, err, i, s)
		case "rmdir":
			requireErrno(t, s.err, cg.parent.dir().Rmdir(cg.name), i, s)
		case "w":
			requireErrno(t, s.err, cg.Write(s.file, s.data), i, s)
		case "r":
			got, err := cg.Read(s.file)
			requireErrno(t, s.err, err, i, s)
			if err == nil {
				require.Equal(t, s.want, got, "step %d: %+v", i, s)
			}
		case "proc":
			requireErrno(t, s.err, h.NewProcess(s.pid, cg), i, s)
		case "move":
			requireErrno(t, s.err, h.Move(s.pid, cg), i, s)
		case "fork":
			requireErrno(t, s.err, h.Fork(s.pid, s.kid), i, s)
		default:
			t.Fatalf("step %d: bad op %q", i, s.op)
		}
	}
}

func requireErrno(t *testing.T, want vfs.Errno, err error, i int, s step) {
	t.Helper()
	if want == 0 {
		require.NoError(t, err, "step %d: %+v", i, s)
		return
	}
	require.Error(t, err, "step %d: %+v", i, s)
	require.Equal(t, want.Name(), vfs.ToErrno(err).Name(), "step %d: %+v", i, s)
}

func splitPath(p string) (string, string) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			if i == 0 {
				return "/", p[1:]
			}
			return p[:i], p[i+1:]
		}
	}
	return "/", p
}

func TestValidateSubtreeControl(t *testing.T) {
	runSteps(t, newTestHierarchy(t), []step{
		{op: "r", path: "/", file: "cgroup.controllers", want: "cpuset cpu io memory pids\n"},
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "+bogus", err: vfs.EINVAL},
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "memory", err: vfs.EINVAL},
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "+", err: vfs.EINVAL},
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "+cpuacct", err: vfs.EINVAL},
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "+rdma", err: vfs.EINVAL},
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "+hugetlb", err: vfs.ENOENT},
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "+perf_event", err: vfs.ENOENT},
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "+memory +bogus", err: vfs.EINVAL},
		{op: "r", path: "/", file: "cgroup.subtree_control", want: ""},
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "  +memory   +pids -pids +io\n"},
		{op: "r", path: "/", file: "cgroup.subtree_control", want: "io memory\n"},
		{op: "mkdir", path: "/a"},
		{op: "r", path: "/a", file: "cgroup.controllers", want: "io memory\n"},
		{op: "r", path: "/a", file: "memory.max", want: "max\n"},
		{op: "r", path: "/a", file: "pids.max", err: vfs.ENOENT},
		{op: "w", path: "/a", file: "cgroup.subtree_control", data: "+pids", err: vfs.ENOENT},
		{op: "w", path: "/a", file: "cgroup.subtree_control", data: "+memory"},
		{op: "mkdir", path: "/a/b"},
		{op: "r", path: "/a/b", file: "cgroup.controllers", want: "memory\n"},
		// A child still enables memory: the parent cannot disable it.
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "-memory", err: vfs.EBUSY},
		{op: "w", path: "/a", file: "cgroup.subtree_control", data: "-memory"},
		{op: "r", path: "/a/b", file: "memory.max", err: vfs.ENOENT},
		// io depends on memory, so memory's state stays though it is not
		// listed.
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "-memory"},
		{op: "r", path: "/a", file: "cgroup.controllers", want: "io\n"},
		{op: "r", path: "/a", file: "memory.max", err: vfs.ENOENT},
		{op: "r", path: "/", file: "cgroup.stat", want: "nr_descendants 2\nnr_subsys_cpuset 1\nnr_subsys_cpu 1\nnr_subsys_io 2\nnr_subsys_memory 2\nnr_subsys_perf_event 3\nnr_subsys_pids 1\nnr_dying_descendants 0\nnr_dying_subsys_cpuset 0\nnr_dying_subsys_cpu 0\nnr_dying_subsys_io 0\nnr_dying_subsys_memory 0\nnr_dying_subsys_perf_event 0\nnr_dying_subsys_pids 0\n"},
	})
}

func TestValidateNoInternalProcess(t *testing.T) {
	runSteps(t, newTestHierarchy(t), []step{
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "+memory +pids"},
		{op: "mkdir", path: "/a"},
		{op: "mkdir", path: "/a/b"},
		{op: "proc", path: "/a", pid: 10},
		// Domain controllers cannot be enabled for a cgroup with processes.
		{op: "w", path: "/a", file: "cgroup.subtree_control", data: "+memory", err: vfs.EBUSY},
		// Threaded ones can: /a may become a thread root.
		{op: "w", path: "/a", file: "cgroup.subtree_control", data: "+pids"},
		{op: "move", path: "/a/b", pid: 10},
		{op: "w", path: "/a", file: "cgroup.subtree_control", data: "+memory"},
		// Now /a has a domain controller enabled: no processes in it.
		{op: "move", path: "/a", pid: 10, err: vfs.EBUSY},
		{op: "w", path: "/a", file: "cgroup.procs", data: "10", err: vfs.EBUSY},
		{op: "w", path: "/", file: "cgroup.procs", data: "10"},
		{op: "w", path: "/a", file: "cgroup.procs", data: "99", err: vfs.ESRCH},
		{op: "w", path: "/a", file: "cgroup.procs", data: "-1", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cgroup.procs", data: "0", err: vfs.ESRCH},
		{op: "w", path: "/a/b", file: "cgroup.procs", data: "10\n"},
		{op: "r", path: "/a/b", file: "cgroup.procs", want: "10\n"},
		{op: "r", path: "/a", file: "cgroup.events", want: "populated 1\nfrozen 0\n"},
		{op: "rmdir", path: "/a/b", err: vfs.EBUSY},
		{op: "rmdir", path: "/a", err: vfs.EBUSY},
		{op: "w", path: "/", file: "cgroup.procs", data: "10"},
		{op: "r", path: "/a", file: "cgroup.events", want: "populated 0\nfrozen 0\n"},
		{op: "rmdir", path: "/a", err: vfs.EBUSY},
		{op: "rmdir", path: "/a/b"},
		{op: "rmdir", path: "/a"},
	})
}

func TestValidateThreaded(t *testing.T) {
	h := newTestHierarchy(t)
	runSteps(t, h, []step{
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "+pids +cpu"},
		{op: "mkdir", path: "/d"},
		{op: "mkdir", path: "/d/t"},
		{op: "mkdir", path: "/d/u"},
		{op: "w", path: "/d/t", file: "cgroup.type", data: "domain", err: vfs.EINVAL},
		{op: "w", path: "/d/t", file: "cgroup.type", data: "threaded\n"},
		{op: "r", path: "/d/t", file: "cgroup.type", want: "threaded\n"},
		{op: "r", path: "/d", file: "cgroup.type", want: "domain threaded\n"},
		{op: "r", path: "/d/u", file: "cgroup.type", want: "domain invalid\n"},
		{op: "r", path: "/d/t", file: "cgroup.procs", err: vfs.EOPNOTSUPP},
		{op: "w", path: "/d", file: "cgroup.subtree_control", data: "+memory", err: vfs.ENOENT},
		{op: "w", path: "/d", file: "cgroup.subtree_control", data: "+pids"},
		{op: "r", path: "/d/t", file: "cgroup.controllers", want: "pids\n"},
		{op: "proc", path: "/d/u", pid: 5, err: vfs.EOPNOTSUPP},
		{op: "proc", path: "/d", pid: 5},
		{op: "move", path: "/d/u", pid: 5, err: vfs.EOPNOTSUPP},
		{op: "move", path: "/d/t", pid: 5},
		{op: "r", path: "/d", file: "cgroup.procs", want: "5\n"},
		{op: "r", path: "/d/t", file: "cgroup.threads", want: "5\n"},
		{op: "w", path: "/d/t", file: "cgroup.kill", data: "1", err: vfs.EOPNOTSUPP},
		{op: "w", path: "/d", file: "cgroup.kill", data: "1"},
		{op: "r", path: "/d", file: "cgroup.procs", want: ""},
	})
	require.NoError(t, h.NewProcess(7, h.root))
	require.NoError(t, h.NewThread(7, 8))
	d, _ := h.Lookup("/d")
	dt, _ := h.Lookup("/d/t")
	// A thread moves only within its domain.
	require.Equal(t, vfs.EOPNOTSUPP, h.MoveThread(8, dt))
	require.NoError(t, h.Move(7, d))
	require.NoError(t, h.MoveThread(8, dt))
	require.Equal(t, []int{8}, dt.Threads())
	procs, err := d.Procs()
	require.NoError(t, err)
	require.Equal(t, []int{7}, procs)
	require.Equal(t, vfs.EINVAL, h.ExitThread(7))
	require.NoError(t, h.ExitThread(8))
	require.NoError(t, h.Exit(7))
	require.Equal(t, vfs.ESRCH, h.Exit(7))
}

func TestValidateLimitsFiles(t *testing.T) {
	runSteps(t, newTestHierarchy(t), []step{
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "+cpuset +cpu +io +memory +pids"},
		{op: "mkdir", path: "/a"},
		// memory: page_counter_memparse.
		{op: "w", path: "/a", file: "memory.max", data: "1M"},
		{op: "r", path: "/a", file: "memory.max", want: "1048576\n"},
		{op: "w", path: "/a", file: "memory.max", data: " 4097 \n"},
		{op: "r", path: "/a", file: "memory.max", want: "4096\n"},
		{op: "w", path: "/a", file: "memory.max", data: "1k"},
		{op: "r", path: "/a", file: "memory.max", want: "0\n"},
		{op: "w", path: "/a", file: "memory.max", data: "0x2000"},
		{op: "r", path: "/a", file: "memory.max", want: "8192\n"},
		{op: "w", path: "/a", file: "memory.max", data: "1g"},
		{op: "r", path: "/a", file: "memory.max", want: "1073741824\n"},
		{op: "w", path: "/a", file: "memory.max", data: "-1", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "memory.max", data: "1Q", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "memory.max", data: "max "},
		{op: "r", path: "/a", file: "memory.max", want: "max\n"},
		{op: "w", path: "/a", file: "memory.high", data: "abc", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "memory.low", data: "2M"},
		{op: "r", path: "/a", file: "memory.low", want: "2097152\n"},
		{op: "w", path: "/a", file: "memory.reclaim", data: "1M", err: vfs.EAGAIN},
		{op: "w", path: "/a", file: "memory.reclaim", data: "0 swappiness=max"},
		{op: "w", path: "/a", file: "memory.reclaim", data: "4095 swappiness=0x10"},
		{op: "w", path: "/a", file: "memory.reclaim", data: "1M swappiness=201", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "memory.reclaim", data: "x", err: vfs.EINVAL},
		{op: "r", path: "/a", file: "memory.reclaim", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "memory.oom.group", data: "2", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "memory.current", data: "1", err: vfs.EINVAL},
		// pids.
		{op: "w", path: "/a", file: "pids.max", data: "10"},
		{op: "r", path: "/a", file: "pids.max", want: "10\n"},
		{op: "w", path: "/a", file: "pids.max", data: "-1", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "pids.max", data: "4194305", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "pids.max", data: "99999999999999999999", err: vfs.ERANGE},
		{op: "w", path: "/a", file: "pids.max", data: "4194304"},
		{op: "r", path: "/a", file: "pids.max", want: "4194304\n"},
		{op: "w", path: "/a", file: "pids.max", data: "max"},
		{op: "r", path: "/a", file: "pids.max", want: "max\n"},
		// cpu.
		{op: "r", path: "/a", file: "cpu.max", want: "max 100000\n"},
		{op: "w", path: "/a", file: "cpu.max", data: "50000 200000"},
		{op: "r", path: "/a", file: "cpu.max", want: "50000 200000\n"},
		{op: "w", path: "/a", file: "cpu.max", data: "20000 abc"},
		{op: "r", path: "/a", file: "cpu.max", want: "20000 200000\n"},
		{op: "w", path: "/a", file: "cpu.max", data: "500", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cpu.max", data: "max 500", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cpu.max", data: "max 2000000", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cpu.max", data: "-5", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cpu.max", data: " ", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cpu.max.burst", data: "30000", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cpu.max.burst", data: "10000"},
		{op: "w", path: "/a", file: "cpu.max", data: "max"},
		{op: "r", path: "/a", file: "cpu.max", want: "max 200000\n"},
		{op: "r", path: "/a", file: "cpu.weight", want: "100\n"},
		{op: "r", path: "/a", file: "cpu.weight.nice", want: "0\n"},
		{op: "w", path: "/a", file: "cpu.weight", data: "0", err: vfs.ERANGE},
		{op: "w", path: "/a", file: "cpu.weight", data: "10001", err: vfs.ERANGE},
		{op: "w", path: "/a", file: "cpu.weight", data: " 100", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cpu.weight", data: "100\n\n", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cpu.weight", data: "10000\n"},
		{op: "r", path: "/a", file: "cpu.weight.nice", want: "-20\n"},
		{op: "w", path: "/a", file: "cpu.weight.nice", data: "20", err: vfs.ERANGE},
		{op: "w", path: "/a", file: "cpu.weight.nice", data: "-20"},
		{op: "r", path: "/a", file: "cpu.weight", want: "8668\n"},
		{op: "w", path: "/a", file: "cpu.weight.nice", data: "19"},
		{op: "r", path: "/a", file: "cpu.weight", want: "1\n"},
		{op: "w", path: "/a", file: "cpu.idle", data: "1"},
		{op: "r", path: "/a", file: "cpu.weight", want: "0\n"},
		{op: "w", path: "/a", file: "cpu.idle", data: "2", err: vfs.EINVAL},
		// io.
		{op: "w", path: "/a", file: "io.max", data: "8:0 rbps=100 wiops=7"},
		{op: "r", path: "/a", file: "io.max", want: "8:0 rbps=100 wbps=max riops=max wiops=7\n"},
		{op: "w", path: "/a", file: "io.max", data: "8:1 rbps=1", err: vfs.ENODEV},
		{op: "w", path: "/a", file: "io.max", data: "8 rbps=1", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "io.max", data: "8:0 rbps=0", err: vfs.ERANGE},
		{op: "w", path: "/a", file: "io.max", data: "8:0 foo=1", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "io.max", data: "8:0 rbps", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "io.max", data: "8:0 rbps=max wiops=max"},
		{op: "r", path: "/a", file: "io.max", want: ""},
		{op: "r", path: "/a", file: "io.weight", want: "default 100\n"},
		{op: "w", path: "/a", file: "io.weight", data: "default 200"},
		{op: "w", path: "/a", file: "io.weight", data: "8:16 50"},
		{op: "r", path: "/a", file: "io.weight", want: "default 200\n8:16 50\n"},
		{op: "w", path: "/a", file: "io.weight", data: "0", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "io.weight", data: "8:16 default"},
		{op: "r", path: "/a", file: "io.weight", want: "default 200\n"},
		// cpuset.
		{op: "r", path: "/a", file: "cpuset.cpus", want: "\n"},
		{op: "r", path: "/a", file: "cpuset.cpus.effective", want: "0-3\n"},
		{op: "w", path: "/a", file: "cpuset.cpus", data: "1,3"},
		{op: "r", path: "/a", file: "cpuset.cpus.effective", want: "1,3\n"},
		{op: "w", path: "/a", file: "cpuset.cpus", data: "0-7", err: vfs.ERANGE},
		{op: "w", path: "/a", file: "cpuset.cpus", data: "9000", err: vfs.ERANGE},
		{op: "w", path: "/a", file: "cpuset.mems", data: "1024", err: vfs.ERANGE},
		{op: "w", path: "/a", file: "cpuset.cpus", data: "3-1", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cpuset.cpus", data: "x", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cpuset.cpus", data: "0-3:1/2"},
		{op: "r", path: "/a", file: "cpuset.cpus", want: "0,2\n"},
		{op: "w", path: "/a", file: "cpuset.mems", data: "1"},
		{op: "r", path: "/a", file: "cpuset.mems.effective", want: "1\n"},
		{op: "w", path: "/a", file: "cpuset.mems", data: "2", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cpuset.cpus.partition", data: "root", err: vfs.EOPNOTSUPP},
		{op: "w", path: "/a", file: "cpuset.cpus.partition", data: "bogus", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cpuset.cpus.partition", data: "member"},
		{op: "r", path: "/", file: "cpuset.cpus.effective", want: "0-3\n"},
		// core.
		{op: "w", path: "/a", file: "cgroup.freeze", data: "2", err: vfs.ERANGE},
		{op: "w", path: "/a", file: "cgroup.freeze", data: "1"},
		{op: "mkdir", path: "/a/b"},
		{op: "r", path: "/a/b", file: "cgroup.events", want: "populated 0\nfrozen 1\n"},
		{op: "w", path: "/a", file: "cgroup.freeze", data: "0"},
		{op: "r", path: "/a/b", file: "cgroup.events", want: "populated 0\nfrozen 0\n"},
		{op: "w", path: "/a", file: "cgroup.kill", data: "2", err: vfs.ERANGE},
		{op: "w", path: "/a", file: "cgroup.pressure", data: "0"},
		{op: "r", path: "/a", file: "cpu.pressure", err: vfs.ENOENT},
		{op: "w", path: "/a", file: "cgroup.pressure", data: "1"},
		{op: "w", path: "/a", file: "cpu.pressure", data: "some 150000 1000000"},
		{op: "w", path: "/a", file: "cpu.pressure", data: "some 0 1000000", err: vfs.EINVAL},
		{op: "w", path: "/a", file: "cgroup.max.depth", data: "2147483648", err: vfs.ERANGE},
		{op: "w", path: "/a", file: "cgroup.max.depth", data: "0x10"},
		{op: "r", path: "/a", file: "cgroup.max.depth", want: "16\n"},
	})
}

func TestValidateHierarchyLimits(t *testing.T) {
	runSteps(t, newTestHierarchy(t), []step{
		{op: "w", path: "/", file: "cgroup.max.depth", data: "1"},
		{op: "mkdir", path: "/a"},
		{op: "mkdir", path: "/a/b", err: vfs.EAGAIN},
		{op: "w", path: "/", file: "cgroup.max.depth", data: "max"},
		{op: "w", path: "/a", file: "cgroup.max.descendants", data: "1"},
		{op: "mkdir", path: "/a/b"},
		{op: "mkdir", path: "/a/c", err: vfs.EAGAIN},
		{op: "mkdir", path: "/a/b/c", err: vfs.EAGAIN},
		{op: "w", path: "/a/b", file: "cgroup.max.depth", data: "0"},
		{op: "w", path: "/a", file: "cgroup.max.descendants", data: "max"},
		{op: "mkdir", path: "/a/b/c", err: vfs.EAGAIN},
		{op: "mkdir", path: "/a/c"},
		{op: "mkdir", path: "/a/c", err: vfs.EEXIST},
		{op: "mkdir", path: "/a/cgroup.procs", err: vfs.EEXIST},
		{op: "mkdir", path: "/a/x\ny", err: vfs.EINVAL},
		{op: "r", path: "/a", file: "cgroup.stat", want: "nr_descendants 2\nnr_subsys_cpuset 0\nnr_subsys_cpu 0\nnr_subsys_io 0\nnr_subsys_memory 0\nnr_subsys_perf_event 3\nnr_subsys_pids 0\nnr_dying_descendants 0\nnr_dying_subsys_cpuset 0\nnr_dying_subsys_cpu 0\nnr_dying_subsys_io 0\nnr_dying_subsys_memory 0\nnr_dying_subsys_perf_event 0\nnr_dying_subsys_pids 0\n"},
	})
}

func TestPidsMaxRefusesFork(t *testing.T) {
	h := newTestHierarchy(t)
	runSteps(t, h, []step{
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "+pids"},
		{op: "mkdir", path: "/a"},
		{op: "w", path: "/a", file: "cgroup.subtree_control", data: "+pids"},
		{op: "mkdir", path: "/a/b"},
		{op: "w", path: "/a", file: "pids.max", data: "2"},
		{op: "proc", path: "/a/b", pid: 1},
		{op: "fork", path: "/", pid: 1, kid: 2},
		{op: "fork", path: "/", pid: 1, kid: 3, err: vfs.EAGAIN},
		{op: "proc", path: "/a/b", pid: 3, err: vfs.EAGAIN},
		{op: "r", path: "/a", file: "pids.current", want: "2\n"},
		{op: "r", path: "/a/b", file: "pids.current", want: "2\n"},
		{op: "r", path: "/a", file: "pids.events", want: "max 2\n"},
		{op: "r", path: "/a", file: "pids.events.local", want: "max 2\n"},
		{op: "r", path: "/a/b", file: "pids.events", want: "max 0\n"},
		{op: "r", path: "/a/b", file: "pids.events.local", want: "max 0\n"},
		{op: "r", path: "/a/b", file: "pids.peak", want: "2\n"},
	})
	_, err := h.Mount(&vfs.MountRequest{Data: "pids_localevents"})
	require.NoError(t, err)
	b, _ := h.Lookup("/a/b")
	got, err := b.Read("pids.events")
	require.NoError(t, err)
	require.Equal(t, "max 2\n", got) // fork failures in b itself
	require.NoError(t, h.Exit(2))
	got, _ = b.Read("pids.current")
	require.Equal(t, "1\n", got)
}

func TestMemoryCharge(t *testing.T) {
	h := newTestHierarchy(t)
	runSteps(t, h, []step{
		{op: "w", path: "/", file: "cgroup.subtree_control", data: "+memory"},
		{op: "mkdir", path: "/a"},
		{op: "w", path: "/a", file: "cgroup.subtree_control", data: "+memory"},
		{op: "mkdir", path: "/a/b"},
		{op: "w", path: "/a", file: "memory.max", data: "8K"},
		{op: "w", path: "/a/b", file: "memory.high", data: "4K"},
	})
	a, _ := h.Lookup("/a")
	b, _ := h.Lookup("/a/b")
	require.NoError(t, b.ChargeMemory(4096))
	require.NoError(t, b.ChargeMemory(4096))
	require.Equal(t, vfs.ENOMEM, b.ChargeMemory(1))
	require.Equal(t, uint64(8192), a.MemoryCurrent())
	got, _ := b.Read("memory.events")
	require.Equal(t, "low 0\nhigh 1\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\nsock_throttled 0\n", got)
	got, _ = a.Read("memory.events")
	require.Equal(t, "low 0\nhigh 1\nmax 1\noom 1\noom_kill 0\noom_group_kill 0\nsock_throttled 0\n", got)
	got, _ = a.Read("memory.peak")
	require.Equal(t, "8192\n", got)
	require.Equal(t, vfs.EINVAL, b.UnchargeMemory(8193))
	require.NoError(t, b.UnchargeMemory(4096))
	got, _ = a.Read("memory.current")
	require.Equal(t, "4096\n", got)
	// Disabling memory in a moves b's charge to a.
	require.NoError(t, a.Write("cgroup.subtree_control", "-memory"))
	require.NoError(t, b.UnchargeMemory(4096))
	require.Equal(t, uint64(0), a.MemoryCurrent())
	min, low, high, max, ok := a.MemoryLimits()
	require.True(t, ok)
	require.Equal(t, []uint64{0, 0, pageCounterMax * pageSize, 8192}, []uint64{min, low, high, max})
}

func TestStaleFileENODEV(t *testing.T) {
	h := newTestHierarchy(t)
	root := h.FS().Root()
	require.NoError(t, h.root.Write("cgroup.subtree_control", "+memory"))
	d, err := root.Mkdir("a", vfs.CreateOpts{Mode: 0o700, UID: 5, GID: 6})
	require.NoError(t, err)
	in, err := d.Lookup("memory.max")
	require.NoError(t, err)
	a1, err := in.Getattr()
	require.NoError(t, err)
	require.Equal(t, uint32(5), a1.UID)
	f, err := in.Open(vfs.O_RDWR)
	require.NoError(t, err)
	require.NoError(t, h.root.Write("cgroup.subtree_control", "-memory"))
	_, err = in.Getattr()
	require.Equal(t, vfs.ENOENT, err)
	_, err = f.ReadAt(make([]byte, 10), 0)
	require.Equal(t, vfs.ENODEV, err)
	require.NoError(t, h.root.Write("cgroup.subtree_control", "+memory"))
	_, err = f.WriteAt([]byte("1M"), 0)
	require.Equal(t, vfs.ENODEV, err)
	a2, err := in.Getattr()
	require.NoError(t, err)
	require.NotEqual(t, a1.Ino, a2.Ino)
	require.NoError(t, f.Close())
	_, err = root.Lookup("b")
	require.Equal(t, vfs.ENOENT, err)
	_, err = root.Create("f", vfs.CreateOpts{})
	require.Equal(t, vfs.EACCES, err)
	require.Equal(t, vfs.EPERM, root.Unlink("cgroup.procs"))
	require.Equal(t, vfs.ENOTDIR, root.Rmdir("cgroup.procs"))
	require.NoError(t, root.Rmdir("a"))
	_, err = d.Lookup("cgroup.procs")
	require.Equal(t, vfs.ENOENT, err)
	_, err = f.WriteAt(make([]byte, pageSize+1), 0)
	require.Equal(t, vfs.EBADF, err)
}

func TestParseOptions(t *testing.T) {
	for _, tc := range []struct {
		data      string
		hasSource bool
		want      string
		err       bool
	}{
		{"", false, "", false},
		{"nsdelegate", false, "nsdelegate", false},
		{"memory_recursiveprot,nsdelegate,favordynmods", false, "nsdelegate,favordynmods,memory_recursiveprot", false},
		{"pids_localevents,memory_localevents,memory_hugetlb_accounting", false, "memory_localevents,memory_hugetlb_accounting,pids_localevents", false},
		{"ro,rw,sync,,=x", false, "", false},
		{"nsdelegate=1", false, "", true},
		{"bogus", false, "", true},
		{"size=1m", false, "", true},
		{"source=x", false, "", false},
		{"source=x", true, "", true},
		{"source", false, "", true},
	} {
		got, err := ParseOptions(tc.data, tc.hasSource)
		if tc.err {
			require.Equal(t, vfs.EINVAL, err, tc.data)
			continue
		}
		require.NoError(t, err, tc.data)
		require.Equal(t, tc.want, got, tc.data)
	}
}
