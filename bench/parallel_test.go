package bench

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/mount"
)

// mounter binds /m/src on /m/dst and unmounts it again, over and over,
// until stop is closed, pausing pause between operations so that it
// leaves the readers their cores; it returns how many mount+umount pairs
// it made.
func mounter(b *testing.B, c *mount.FsContext, stop <-chan struct{}, pause time.Duration) *atomic.Int64 {
	require.NoError(b, c.Mkdir("/m", 0o755))
	require.NoError(b, c.Mkdir("/m/src", 0o755))
	require.NoError(b, c.Mkdir("/m/dst", 0o755))
	var n atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := c.Bind("/m/src", "/m/dst"); err != nil {
				panic(err)
			}
			time.Sleep(pause)
			if err := c.Umount2("/m/dst", 0); err != nil {
				panic(err)
			}
			n.Add(1)
			time.Sleep(pause)
		}
	}()
	b.Cleanup(wg.Wait)
	return &n
}

// BenchmarkStat10Parallel stats the 10-component path from 1 and from 2
// goroutines (each with its own FsContext, as processes have), with and
// without another goroutine mounting and unmounting meanwhile. ns/op is
// wall time per stat over all goroutines: with g goroutines scaling
// perfectly it is 1/g of the one-goroutine figure. Path walks take no
// lock a mount operation holds, so the mounting goroutine costs the
// readers only the walks it forces to retry (and the CPU it uses, which
// mounts/s shows: on a machine with g cores it shares them).
//
// walker-cpus is how many CPUs the walkers had on average (their CPU time
// over the wall time): ns/op scales from 1 to g walkers by exactly as much
// as walker-cpus does when cpu-ns/op stays flat, so a scaling short of g
// with a flat cpu-ns/op means the walkers did not get g CPUs, not that
// they held each other up.
//
// cpu-ns/op is the CPU time the walking threads used per stat: unlike
// ns/op it does not depend on how much of the machine the walkers got
// (on a shared or small machine, other processes and the mounter take
// cores from them), and it grows with g only if the walkers slow each
// other down, by writing memory the others read or taking a lock. The
// walkers write no shared memory: a stat takes no reference and no lock
// (the lock-free walk falls back to Kernel.mu only while a mount
// operation runs, or after repeated retries).
func BenchmarkStat10Parallel(b *testing.B) {
	for _, mounting := range []bool{false, true} {
		for _, g := range []int{1, 2} {
			name := fmt.Sprintf("mountkit/goroutines=%d", g)
			if mounting {
				name += "/mounting"
			}
			b.Run(name, func(b *testing.B) {
				c := setupMountkit(b)
				var made *atomic.Int64
				stop := make(chan struct{})
				if mounting {
					// The mounter gets a P of its own, so that it runs
					// while the readers keep theirs busy (the OS shares
					// the cores between them).
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(g + 1))
					made = mounter(b, c.Fork(), stop, 20*time.Microsecond)
				}
				ctxs := make([]*mount.FsContext, g)
				for i := range ctxs {
					ctxs[i] = c.Fork()
				}
				b.ReportAllocs()
				b.ResetTimer()
				var wg sync.WaitGroup
				var cpu atomic.Int64
				for i := range g {
					n := b.N / g
					if i == 0 {
						n += b.N % g
					}
					wg.Add(1)
					go func(c *mount.FsContext, n int) {
						defer wg.Done()
						runtime.LockOSThread()
						defer runtime.UnlockOSThread()
						t0 := threadCPU()
						for range n {
							if _, err := c.Stat(deepPath); err != nil {
								panic(err)
							}
						}
						cpu.Add(int64(threadCPU() - t0))
					}(ctxs[i], n)
				}
				wg.Wait()
				b.StopTimer()
				close(stop)
				if made != nil {
					b.ReportMetric(float64(made.Load())/b.Elapsed().Seconds(), "mounts/s")
				}
				if cpu.Load() > 0 {
					b.ReportMetric(float64(cpu.Load())/float64(b.N), "cpu-ns/op")
					b.ReportMetric(float64(cpu.Load())/float64(b.Elapsed()), "walker-cpus")
				}
			})
		}
	}
	b.Run("afero-memmap/goroutines=2", func(b *testing.B) {
		fs := setupAfero(b)
		b.ReportAllocs()
		b.ResetTimer()
		var wg sync.WaitGroup
		for i := range 2 {
			n := b.N / 2
			if i == 0 {
				n += b.N % 2
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range n {
					if _, err := fs.Stat(deepPath); err != nil {
						panic(err)
					}
				}
			}()
		}
		wg.Wait()
	})
}

// BenchmarkStat10UnderMounts stats the 10-component path with 10 and with
// 10,000 other mounts in the namespace (bind mounts of /src on /dN): the
// cost must not grow with the number of mounts.
func BenchmarkStat10UnderMounts(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("mountkit/%d", n), func(b *testing.B) {
			c := setupMountkit(b)
			w := libWorld{c}
			prepare(b, w, "", n)
			for i := range n {
				require.NoError(b, w.bind("/src", fmt.Sprintf("/d%d", i)))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := c.Stat(deepPath); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
