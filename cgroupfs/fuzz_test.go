package cgroupfs

import (
	"slices"
	"strings"
	"testing"

	"github.com/mountkit/mountkit/vfs"
)

// FuzzParseOptions checks that mount data never panics the parser, fails
// only with EINVAL, and that the options shown parse back to themselves.
func FuzzParseOptions(f *testing.F) {
	for _, s := range []string{"", "nsdelegate", "memory_recursiveprot,nsdelegate", "ro,,=x,source=y",
		"nsdelegate=1", "favordynmods,pids_localevents,memory_localevents,memory_hugetlb_accounting", "bogus"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, data string, hasSource bool) {
		s, err := ParseOptions(data, hasSource)
		if err != nil {
			if err != vfs.EINVAL {
				t.Fatalf("%q: %v, want EINVAL", data, err)
			}
			return
		}
		s2, err := ParseOptions(s, false)
		if err != nil || s2 != s {
			t.Fatalf("%q shows %q, which parses to %q, %v", data, s, s2, err)
		}
	})
}

// roundTrip lists the single-value files whose content, written back,
// must be accepted and read back the same.
var roundTrip = []string{
	"memory.min", "memory.low", "memory.high", "memory.max", "memory.swap.high", "memory.swap.max", "memory.zswap.max", "memory.zswap.writeback",
	"memory.oom.group", "pids.max", "cpu.weight", "cpu.weight.nice", "cpu.idle", "cpu.max",
	"cpu.max.burst", "cpuset.cpus", "cpuset.mems", "cgroup.max.depth", "cgroup.max.descendants",
	"cgroup.freeze", "cgroup.pressure", "io.max",
}

// writeErrnos are the errnos an interface-file write may fail with.
var writeErrnos = []vfs.Errno{vfs.EINVAL, vfs.ERANGE, vfs.ENOENT, vfs.EBUSY, vfs.EAGAIN,
	vfs.EOPNOTSUPP, vfs.ESRCH, vfs.ENODEV, vfs.E2BIG}

// FuzzWrite writes arbitrary data to every interface file of a child
// cgroup with all controllers enabled: no write panics or fails with an
// errno Linux's handlers do not return, the files stay readable, and the
// single-value files accept what they show.
func FuzzWrite(f *testing.F) {
	for _, s := range []string{"max", "1M", "0x10", "-1", " 42 \n", "+memory -pids", "threaded",
		"1", "0-3:1/2", "8:0 rbps=100 wiops=max", "some 150000 1000000", "50000 200000",
		"default 200", "8:16 default", "99999999999999999999", "1 swappiness=max", "\x00", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		h, err := New(Config{CPUs: 4, MemNodes: 2, Devices: []Device{{8, 0}, {8, 16}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.root.Write("cgroup.subtree_control", "+cpuset +cpu +io +memory +pids"); err != nil {
			t.Fatal(err)
		}
		c, err := h.root.Mkdir("c")
		if err != nil {
			t.Fatal(err)
		}
		if err := h.NewProcess(1, h.root); err != nil {
			t.Fatal(err)
		}
		for _, name := range c.FileNames() {
			err := c.Write(name, data)
			if err != nil && !slices.Contains(writeErrnos, vfs.ToErrno(err)) {
				t.Fatalf("%s %q: %v", name, data, err)
			}
			if c.Removed() {
				return
			}
		}
		for _, name := range c.FileNames() {
			got, err := c.Read(name)
			if err != nil && err != vfs.EINVAL && err != vfs.EOPNOTSUPP {
				t.Fatalf("read %s after %q: %v", name, data, err)
			}
			if err != nil || !slices.Contains(roundTrip, name) || strings.Count(got, "\n") > 1 {
				continue
			}
			if got == "" || got == "\n" && name == "io.max" {
				continue
			}
			if err := c.Write(name, got); err != nil {
				t.Fatalf("%s shows %q after %q, which it refuses: %v", name, got, data, err)
			}
			if again, _ := c.Read(name); again != got {
				t.Fatalf("%s shows %q, then %q after writing it back", name, got, again)
			}
		}
	})
}
