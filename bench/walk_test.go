package bench

import (
	"os"
	"strings"
	"testing"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/mount"
)

// deepPath is a 10-component path.
var deepPath = "/" + strings.Join(strings.Split("a b c d e f g h i file", " "), "/")

// deepDirs returns the nine directories above deepPath's file, outermost
// first.
func deepDirs() []string {
	var dirs []string
	dir := ""
	for _, n := range strings.Split(deepPath, "/")[1:10] {
		dir += "/" + n
		dirs = append(dirs, dir)
	}
	return dirs
}

func setupMountkit(b *testing.B) *mount.FsContext {
	c, err := mountkit.Boot()
	require.NoError(b, err)
	for _, dir := range deepDirs() {
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

func setupBilly(b *testing.B) billy.Filesystem {
	fs := memfs.New()
	require.NoError(b, fs.MkdirAll(deepPath[:strings.LastIndex(deepPath, "/")], 0o755))
	f, err := fs.Create(deepPath)
	require.NoError(b, err)
	require.NoError(b, f.Close())
	return fs
}

// statPeers runs stat of path (which must exist when hit is set, and must
// not otherwise) on mountkit (as "mountkit" through StatInto, stat(2)'s
// shape, into one reused buffer; as "mountkit-value" through Stat, which
// returns the ~110-byte result by value), on each in-memory peer and, as
// root, on the
// kernel (a tmpfs holding the same tree, in a private mount namespace,
// path taken relative to the tree's root so that it has as many
// components). mounts are directories of the tree to bind on themselves
// first, in every world that has mounts.
func statPeers(b *testing.B, path string, hit bool, mounts []string) {
	check := func(b *testing.B, err error) {
		if (err == nil) != hit {
			b.Fatalf("stat %s: %v", path, err)
		}
	}
	b.Run("mountkit", func(b *testing.B) {
		c := setupMountkit(b)
		for _, m := range mounts {
			require.NoError(b, c.Bind(m, m))
		}
		st := new(mount.Stat) // stat(2)'s buffer, reused
		b.ReportAllocs()
		for b.Loop() {
			check(b, c.StatInto(path, st))
		}
	})
	b.Run("mountkit-value", func(b *testing.B) {
		c := setupMountkit(b)
		for _, m := range mounts {
			require.NoError(b, c.Bind(m, m))
		}
		b.ReportAllocs()
		for b.Loop() {
			_, err := c.Stat(path)
			check(b, err)
		}
	})
	b.Run("afero-memmap", func(b *testing.B) {
		fs := setupAfero(b)
		b.ReportAllocs()
		for b.Loop() {
			_, err := fs.Stat(path)
			check(b, err)
		}
	})
	b.Run("go-billy-memfs", func(b *testing.B) {
		fs := setupBilly(b)
		b.ReportAllocs()
		for b.Loop() {
			_, err := fs.Stat(path)
			check(b, err)
		}
	})
	b.Run("kernel", func(b *testing.B) {
		_, root := newKernelWorld(b)
		for _, dir := range deepDirs() {
			require.NoError(b, os.Mkdir(root+dir, 0o755))
		}
		require.NoError(b, os.WriteFile(root+deepPath, nil, 0o644))
		for _, m := range mounts {
			require.NoError(b, kernelWorld{}.bind(root+m, root+m))
		}
		require.NoError(b, chdirThread(root))
		rel := strings.TrimPrefix(path, "/")
		b.ReportAllocs()
		for b.Loop() {
			check(b, kernelStat(rel))
		}
	})
}

// BenchmarkStat10 stats a 10-component path on memfs, crossing no mounts:
// mountkit's full Linux walk against afero MemMapFs's Stat (issue 2's
// target: at least 2x faster, no allocation), go-billy's memfs and the
// kernel's stat(2) on tmpfs.
func BenchmarkStat10(b *testing.B) { statPeers(b, deepPath, true, nil) }

// BenchmarkStat10Missing stats a path whose last component is missing
// (ENOENT).
func BenchmarkStat10Missing(b *testing.B) { statPeers(b, deepPath+"-missing", false, nil) }

// BenchmarkStat10Mounts5 stats the 10-component path when 5 of its
// directories are mount points (each bound on itself), so that the walk
// crosses 5 mounts; the in-memory peers, which have no mounts, walk the
// same tree. Issue 10's target: at most 1/4 of the kernel's stat() and no
// slower than MemMapFs.
func BenchmarkStat10Mounts5(b *testing.B) {
	dirs := deepDirs()
	statPeers(b, deepPath, true, []string{dirs[0], dirs[2], dirs[4], dirs[6], dirs[8]})
}
