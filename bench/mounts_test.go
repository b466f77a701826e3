package bench

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/mount"
)

// world is the part of a mount API the mount benchmarks use, so that the
// library and the kernel run the same code.
type world interface {
	mkdir(path string) error
	bind(src, dst string) error
	umount(path string) error
	stat(path string) error
}

type libWorld struct{ c *mount.FsContext }

func (w libWorld) mkdir(p string) error      { return w.c.Mkdir(p, 0o755) }
func (w libWorld) bind(s, d string) error    { return w.c.Bind(s, d) }
func (w libWorld) umount(p string) error     { return w.c.Umount2(p, 0) }
func (w libWorld) stat(p string) (err error) { _, err = w.c.Stat(p); return err }

func newLibWorld(b *testing.B) world {
	c, err := mountkit.Boot()
	require.NoError(b, err)
	b.Cleanup(func() { c.Close() })
	return libWorld{c}
}

// prepare makes /src with a file in it and n empty directories /d0 ...
func prepare(b *testing.B, w world, root string, n int) {
	require.NoError(b, w.mkdir(root+"/src"))
	require.NoError(b, w.mkdir(root+"/src/sub"))
	for i := range n {
		require.NoError(b, w.mkdir(root+"/d"+strconv.Itoa(i)))
	}
}

// benchBinds measures binding /src on n directories and unmounting them
// again; it reports ns per bind and per umount.
func benchBinds(b *testing.B, w world, root string, n int) {
	prepare(b, w, root, n)
	for b.Loop() {
		for i := range n {
			if err := w.bind(root+"/src", root+"/d"+strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
		}
		for i := n - 1; i >= 0; i-- {
			if err := w.umount(root + "/d" + strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n*2), "ns/mount+umount")
}

// benchLookupUnder measures stat of a path under the last of n bind
// mounts.
func benchLookupUnder(b *testing.B, w world, root string, n int) {
	prepare(b, w, root, n)
	for i := range n {
		require.NoError(b, w.bind(root+"/src", root+"/d"+strconv.Itoa(i)))
	}
	path := fmt.Sprintf("%s/d%d/sub", root, n-1)
	b.ResetTimer()
	for b.Loop() {
		if err := w.stat(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBind10k binds one directory on 10,000 others and unmounts
// them, on the library and (as root) on the kernel.
func BenchmarkBind10k(b *testing.B) {
	b.Run("mountkit", func(b *testing.B) { benchBinds(b, newLibWorld(b), "", 10000) })
	b.Run("kernel", func(b *testing.B) {
		w, root := newKernelWorld(b)
		benchBinds(b, w, root, 10000)
	})
}

// BenchmarkLookupUnderMounts stats a path under the last of 10 and of
// 10,000 bind mounts: the cost must not grow with the number of mounts.
func BenchmarkLookupUnderMounts(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("mountkit/%d", n), func(b *testing.B) { benchLookupUnder(b, newLibWorld(b), "", n) })
		b.Run(fmt.Sprintf("kernel/%d", n), func(b *testing.B) {
			w, root := newKernelWorld(b)
			benchLookupUnder(b, w, root, n)
		})
	}
}
