package mount

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/vfs"
)

// TestLookupFastAgrees checks lookupFast against the general walk on
// random trees of directories, files and symbolic links with mounts and
// binds on them: wherever the fast path answers, the general walk (under
// Kernel.mu) reaches the same Location or the same error, and the fast path
// does answer the plain cases (so that the comparison is not vacuous).
func TestLookupFastAgrees(t *testing.T) {
	answered := 0
	rapid.Check(t, func(rt *rapid.T) {
		k := NewKernel()
		k.RegisterFilesystem("tmpfs", memfs.Mount, false)
		c, err := k.Boot()
		require.NoError(rt, err)
		defer c.Close()
		names := []string{"a", "b", "dir", "longer-than-eight", "x.y"}
		dirs := []string{"/"}
		join := func(dir, name string) string {
			if dir == "/" {
				return "/" + name
			}
			return dir + "/" + name
		}
		for range rapid.IntRange(1, 30).Draw(rt, "ops") {
			dir := rapid.SampledFrom(dirs).Draw(rt, "dir")
			p := join(dir, rapid.SampledFrom(names).Draw(rt, "name"))
			switch rapid.IntRange(0, 5).Draw(rt, "op") {
			case 0, 1:
				if c.Mkdir(p, 0o755) == nil {
					dirs = append(dirs, p)
				}
			case 2:
				if f, err := c.Open(p, vfs.O_CREAT|vfs.O_WRONLY, 0o644); err == nil {
					require.NoError(rt, f.Close())
				}
			case 3:
				_ = c.Symlink(rapid.SampledFrom([]string{"a", "/dir", "..", "nowhere", "b/"}).Draw(rt, "target"), p)
			case 4:
				_ = c.Mount("none", rapid.SampledFrom(dirs).Draw(rt, "at"), "tmpfs", 0, "")
			case 5:
				_ = c.Bind(rapid.SampledFrom(dirs).Draw(rt, "src"), rapid.SampledFrom(dirs).Draw(rt, "dst"))
			}
		}
		if rapid.Bool().Draw(rt, "chdir") {
			_ = c.Chdir(rapid.SampledFrom(dirs).Draw(rt, "cwd"))
		}
		parts := append(names, ".", "..", "", "missing")
		for range 40 {
			var b strings.Builder
			if rapid.Bool().Draw(rt, "absolute") {
				b.WriteString("/")
			}
			for j := range rapid.IntRange(1, 5).Draw(rt, "len") {
				if j > 0 {
					b.WriteString("/")
				}
				b.WriteString(rapid.SampledFrom(parts).Draw(rt, "part"))
			}
			if rapid.IntRange(0, 4).Draw(rt, "trailing") == 0 {
				b.WriteString("/")
			}
			path := b.String()
			for _, follow := range []bool{true, false} {
				fast, ferr, ok := c.lookupFast(path, follow)
				if !ok {
					continue
				}
				answered++
				slow, err := c.lookupLocked(path, follow, false)
				require.Equal(rt, err, ferr, "%q follow=%v: the fast path found %v", path, follow, fast)
				require.Equal(rt, slow, fast, "%q follow=%v", path, follow)
			}
		}
	})
	t.Logf("the fast path answered %d lookups", answered)
	require.NotZero(t, answered, "the fast path never answered")
}
