package bench

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
)

// BenchmarkStat10LongNames is BenchmarkStat10 (mountkit only) with
// components of 8 to 16 bytes, which the walk cannot match by their
// packed bytes alone and compares as strings.
func BenchmarkStat10LongNames(b *testing.B) {
	names := strings.Fields("projects mountkit-src internal subsystem0 documents node_modules package-name distribution releases README.markdown")
	path := "/" + strings.Join(names, "/")
	c, err := mountkit.Boot()
	require.NoError(b, err)
	dir := ""
	for _, n := range names[:9] {
		dir += "/" + n
		require.NoError(b, c.Mkdir(dir, 0o755))
	}
	f, err := c.Open(path, 0o101, 0o644) // O_WRONLY|O_CREAT
	require.NoError(b, err)
	require.NoError(b, f.Close())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Stat(path); err != nil {
			b.Fatal(err)
		}
	}
}
