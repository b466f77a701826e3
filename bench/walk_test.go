package bench

import (
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/mount"
)

// deepPath is a 10-component path.
var deepPath = "/" + strings.Join(strings.Split("a b c d e f g h i file", " "), "/")

func setupMountkit(b *testing.B) *mount.FsContext {
	c, err := mountkit.Boot()
	require.NoError(b, err)
	dir := ""
	for _, n := range strings.Split(deepPath, "/")[1:10] {
		dir += "/" + n
		require.NoError(b, c.Mkdir(dir, 0o755))
	}
	f, err := c.Open(deepPath, 0o101, 0o644) // O_WRONLY|O_CREAT
	require.NoError(b, err)
	require.NoError(b, f.Close())
	return c
}

func setupAfero(b *testing.B) afero.Fs {
	fs := afero.NewMemMapFs()
	require.NoError(b, fs.MkdirAll(deepPath[:strings.LastIndex(deepPath, "/")], 0o755))
	require.NoError(b, afero.WriteFile(fs, deepPath, nil, 0o644))
	return fs
}

// BenchmarkStat10 stats a 10-component path on memfs, crossing no mounts:
// mountkit's full Linux walk against afero MemMapFs's Stat.
func BenchmarkStat10(b *testing.B) {
	b.Run("mountkit", func(b *testing.B) {
		c := setupMountkit(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Stat(deepPath); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("afero-memmap", func(b *testing.B) {
		fs := setupAfero(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fs.Stat(deepPath); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStat10Missing stats a path whose last component is missing.
func BenchmarkStat10Missing(b *testing.B) {
	missing := deepPath + "-missing"
	b.Run("mountkit", func(b *testing.B) {
		c := setupMountkit(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Stat(missing); err == nil {
				b.Fatal("found")
			}
		}
	})
	b.Run("afero-memmap", func(b *testing.B) {
		fs := setupAfero(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := fs.Stat(missing); err == nil {
				b.Fatal("found")
			}
		}
	})
}
