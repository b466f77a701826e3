package cgroupfs_test

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/cgroupfs"
	"github.com/mountkit/mountkit/vfs"
)

// A host program makes its own hierarchy, registers it as the kernel's
// cgroup2, mounts it, and drives processes through both the files and the
// Go API.
func Example() {
	h, err := cgroupfs.New(cgroupfs.Config{Controllers: []string{"memory", "pids"}})
	if err != nil {
		panic(err)
	}
	k := mountkit.NewKernel()
	k.RegisterFilesystem("cgroup2", h.Mount, false)
	init, err := k.Boot()
	if err != nil {
		panic(err)
	}
	write := func(path, data string) error {
		f, err := init.Open(path, vfs.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.Write([]byte(data))
		return err
	}
	read := func(path string) string {
		b, err := fs.ReadFile(init.FS(), strings.TrimPrefix(path, "/"))
		if err != nil {
			return vfs.ToErrno(err).Name()
		}
		return string(b)
	}

	init.Mkdir("/cg", 0o755)
	init.Mount("cgroup2", "/cg", "cgroup2", 0, "nsdelegate")
	fmt.Print(read("/cg/cgroup.controllers"))
	write("/cg/cgroup.subtree_control", "+pids +memory")
	init.Mkdir("/cg/job", 0o755)
	write("/cg/job/pids.max", "2")

	// The host's processes: 1 in the root, 100 started in the job.
	job, _ := h.Lookup("/job")
	h.NewProcess(1, h.Root())
	h.NewProcess(100, job)
	fmt.Println(h.Fork(100, 101), h.Fork(101, 102))
	fmt.Print(read("/cg/job/pids.current"), read("/cg/job/pids.events"), read("/cg/job/cgroup.procs"))

	// Processes cannot sit in a cgroup that hands domain controllers down.
	init.Mkdir("/cg/job/sub", 0o755)
	fmt.Println(write("/cg/job/cgroup.subtree_control", "+memory"))
	// cpu is not bound to this hierarchy: ENOENT; an unknown name: EINVAL.
	fmt.Println(errors.Is(write("/cg/job/cgroup.subtree_control", "+cpu"), fs.ErrNotExist))
	fmt.Println(errors.Is(write("/cg/job/cgroup.subtree_control", "+gpu"), fs.ErrInvalid))

	write("/cg/job/memory.max", "1M")
	_, _, _, max, _ := job.MemoryLimits()
	fmt.Println(max, job.ChargeMemory(2<<20))
	lines := strings.Split(strings.TrimSpace(init.MountInfo()), "\n")
	fmt.Println(lines[len(lines)-1])
	// Output:
	// memory pids
	// <nil> resource temporarily unavailable
	// 2
	// max 1
	// 100
	// 101
	// device or resource busy
	// true
	// true
	// 1048576 cannot allocate memory
	// 3 2 0:3 / /cg rw,relatime - cgroup2 cgroup2 rw,nsdelegate
}
