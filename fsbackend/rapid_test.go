package fsbackend_test

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"pgregory.net/rapid"

	"github.com/mountkit/mountkit/mount"
)

// walk lists a tree: every path with its type, permission bits, size and
// content.
func walk(fsys fs.FS) (string, error) {
	var b strings.Builder
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v", p, info.Mode())
		if !d.IsDir() {
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, " %d %q", info.Size(), data)
		}
		b.WriteByte('\n')
		return nil
	})
	return b.String(), err
}

// TestRandomTrees mounts random MapFS trees and checks that the mount
// shows exactly the MapFS (names, types, modes, sizes, contents) and
// passes fstest.TestFS.
func TestRandomTrees(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := fstest.MapFS{}
		seg := rapid.SampledFrom([]string{"a", "b", "long-name.txt", "ünï", "x y"})
		var files []string
		for i := range rapid.IntRange(1, 12).Draw(rt, "files") {
			depth := rapid.IntRange(1, 3).Draw(rt, fmt.Sprintf("depth%d", i))
			var parts []string
			for j := range depth {
				parts = append(parts, seg.Draw(rt, fmt.Sprintf("seg%d.%d", i, j)))
			}
			p := strings.Join(parts, "/")
			if conflicts(m, p) {
				continue
			}
			if rapid.Bool().Draw(rt, fmt.Sprintf("dir%d", i)) {
				m[p] = &fstest.MapFile{Mode: fs.ModeDir | fs.FileMode(rapid.SampledFrom([]int{0o755, 0o700, 0o555}).Draw(rt, "dmode")), ModTime: time.Unix(1e9, 0)}
			} else {
				data := strings.Repeat("d", rapid.IntRange(0, 9000).Draw(rt, "size"))
				m[p] = &fstest.MapFile{Data: []byte(data), Mode: fs.FileMode(rapid.SampledFrom([]int{0o644, 0o600, 0o755}).Draw(rt, "fmode")), ModTime: time.Unix(1e9, 0)}
				files = append(files, p)
			}
		}
		c := mountFS(t, m, mount.MS_RDONLY)
		sub, err := fs.Sub(c.FS(), "srv")
		if err != nil {
			rt.Fatal(err)
		}
		if len(files) == 0 { // TestFS wants an empty tree then
			for p := range m {
				files = append(files, p)
			}
		}
		if err := fstest.TestFS(sub, files...); err != nil {
			rt.Fatal(err)
		}
		want, err := walk(m)
		if err != nil {
			rt.Fatal(err)
		}
		got, err := walk(sub)
		if err != nil {
			rt.Fatal(err)
		}
		if got != want {
			rt.Fatalf("mount shows\n%s\nMapFS has\n%s", got, want)
		}
	})
}

// conflicts reports whether p is, or lies below, a file of m, or is a
// parent of an entry of m.
func conflicts(m fstest.MapFS, p string) bool {
	for q, f := range m {
		if q == p || strings.HasPrefix(q, p+"/") || (strings.HasPrefix(p, q+"/") && !f.Mode.IsDir()) {
			return true
		}
	}
	return false
}
