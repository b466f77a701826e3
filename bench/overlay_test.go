package bench

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// The overlay benchmarks measure path lookup and readdir through an
// overlay of 1, 2 and 8 lower layers (and an empty upper layer) against
// the same tree in one memfs, in the same run: /t/a/b/c holds 96 files,
// spread round-robin over the lower layers of the overlay.

const overlayFiles = 96

// setupOverlay builds the tree under /t: a plain memfs tree when layers
// is 0, else an overlay of that many lower layers mounted on /t.
func setupOverlay(b *testing.B, layers int) *mount.FsContext {
	c, err := mountkit.Boot()
	require.NoError(b, err)
	b.Cleanup(func() { c.Close() })
	require.NoError(b, c.Mkdir("/t", 0o755))
	roots := []string{"/t"}
	if layers > 0 {
		roots = nil
		for i := 0; i < layers; i++ {
			roots = append(roots, fmt.Sprintf("/l%d", i))
		}
		for _, d := range append([]string{"/u", "/w"}, roots...) {
			require.NoError(b, c.Mkdir(d, 0o755))
		}
	}
	for _, r := range roots {
		for _, d := range []string{"/a", "/a/b", "/a/b/c"} {
			require.NoError(b, c.Mkdir(r+d, 0o755))
		}
	}
	for i := 0; i < overlayFiles; i++ {
		f, err := c.Open(fmt.Sprintf("%s/a/b/c/f%d", roots[i%len(roots)], i), vfs.O_WRONLY|vfs.O_CREAT, 0o644)
		require.NoError(b, err)
		require.NoError(b, f.Close())
	}
	if layers > 0 {
		lower := roots[0]
		for _, r := range roots[1:] {
			lower += ":" + r
		}
		require.NoError(b, c.Mount("ov", "/t", "overlay", 0, "lowerdir="+lower+",upperdir=/u,workdir=/w"))
	}
	return c
}

var overlayLayers = []struct {
	name   string
	layers int
}{{"memfs", 0}, {"overlay-1", 1}, {"overlay-2", 2}, {"overlay-8", 8}}

// BenchmarkOverlayLookup stats a file found in the bottom layer (cached
// after the first lookup, as in Linux's dcache).
func BenchmarkOverlayLookup(b *testing.B) {
	for _, l := range overlayLayers {
		b.Run(l.name, func(b *testing.B) {
			c := setupOverlay(b, l.layers)
			path := fmt.Sprintf("/t/a/b/c/f%d", overlayFiles-1)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Stat(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOverlayLookupMissing stats a name no layer has: negative
// lookups are not cached, so each one asks every layer.
func BenchmarkOverlayLookupMissing(b *testing.B) {
	for _, l := range overlayLayers {
		b.Run(l.name, func(b *testing.B) {
			c := setupOverlay(b, l.layers)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Stat("/t/a/b/c/missing"); err == nil {
					b.Fatal("found")
				}
			}
		})
	}
}

// BenchmarkOverlayReaddir opens /t/a/b/c and reads its 96 entries.
func BenchmarkOverlayReaddir(b *testing.B) {
	for _, l := range overlayLayers {
		b.Run(l.name, func(b *testing.B) {
			c := setupOverlay(b, l.layers)
			b.ReportAllocs()
			for b.Loop() {
				f, err := c.Open("/t/a/b/c", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
				if err != nil {
					b.Fatal(err)
				}
				es, err := f.ReadDir(-1)
				if err != nil || len(es) != overlayFiles+2 {
					b.Fatal(len(es), err)
				}
				f.Close()
			}
		})
	}
}
