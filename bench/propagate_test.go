package bench

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// propWorld adds what the propagation benchmark needs to world.
type propWorld interface {
	world
	makeShared(path string) error
	mountTmpfs(path string) error
}

func (w libWorld) makeShared(p string) error { return w.c.MountRaw(nil, &p, nil, 1<<20, nil) }
func (w libWorld) mountTmpfs(p string) error { return w.c.Mount("none", p, "tmpfs", 0, "") }

// benchPropagate mounts a tmpfs on /peer0/x, where /peer0 ... /peerP-1
// are peers, and unmounts it again: each mount makes P-1 copies. It
// reports the time per copy.
func benchPropagate(b *testing.B, w propWorld, root string, peers int) {
	require.NoError(b, w.mkdir(root+"/src"))
	require.NoError(b, w.mountTmpfs(root+"/src"))
	require.NoError(b, w.makeShared(root+"/src"))
	require.NoError(b, w.mkdir(root+"/src/x"))
	for i := range peers {
		d := root + "/peer" + strconv.Itoa(i)
		require.NoError(b, w.mkdir(d))
		require.NoError(b, w.bind(root+"/src", d))
	}
	target := root + "/peer0/x"
	// The thread's CPU time over the mounts (the kernel's too: the
	// system call runs on the thread) does not depend on how much of a
	// shared machine the benchmark gets, as wall time does.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cpu time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := threadCPU()
		if err := w.mountTmpfs(target); err != nil {
			b.Fatal(err)
		}
		cpu += threadCPU() - t0
		b.StopTimer()
		if err := w.umount(target); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*peers), "ns/copy")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*peers), "cpu-ns/copy")
	}
}

// BenchmarkPropagate mounts on a shared mount with 10, 100 and 1000
// peers, on the library and (as root) on the kernel: the time per copy
// should stay flat.
func BenchmarkPropagate(b *testing.B) {
	for _, p := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("mountkit/%d", p), func(b *testing.B) {
			benchPropagate(b, newLibWorld(b).(libWorld), "", p)
		})
		b.Run(fmt.Sprintf("kernel/%d", p), func(b *testing.B) {
			w, root := newKernelWorld(b)
			benchPropagate(b, w.(kernelWorld), root, p)
		})
	}
}
