package script

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mountkit/mountkit/internal/testenv"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden .out files from the Linux output (TestGoldenLinux)")

// newLibrarySystem is the library world the golden tests run in.
func newLibrarySystem(t *testing.T) System {
	t.Helper()
	return NewLibrary()
}

// golden is one script of testdata and its expected output file.
type golden struct {
	name string // path relative to testdata, without .mnt
	mnt  string
	out  string
}

// goldenScripts lists testdata/**/*.mnt; with all, also those that have no
// .out file yet.
func goldenScripts(t *testing.T, all bool) []golden {
	t.Helper()
	var gs []golden
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// testdata/order has its own, stricter test (order_linux_test.go).
		if d.IsDir() && (path == filepath.Join("testdata", "fuzz") || path == filepath.Join("testdata", "order")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".mnt") {
			return nil
		}
		g := golden{mnt: path, out: strings.TrimSuffix(path, ".mnt") + ".out"}
		g.name = strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(path), "testdata/"), ".mnt")
		if _, err := os.Stat(g.out); err == nil || all {
			gs = append(gs, g)
		}
		return nil
	})
	require.NoError(t, err)
	slices.SortFunc(gs, func(a, b golden) int { return strings.Compare(a.name, b.name) })
	return gs
}

// usesLosetup reports whether the script of g attaches a loop device.
func usesLosetup(t *testing.T, g golden) bool {
	src, err := os.ReadFile(g.mnt)
	require.NoError(t, err)
	p, err := Parse(g.mnt, src)
	require.NoError(t, err)
	return slices.ContainsFunc(p.Commands, func(c Command) bool { return c.Name == "losetup" })
}

// runGolden parses and runs the script of g in sys and returns its
// normalised output. A script that exports host files runs with its
// folder copied to a temporary directory, so that testdata stays clean.
func runGolden(t *testing.T, g golden, sys System) []byte {
	t.Helper()
	src, err := os.ReadFile(g.mnt)
	require.NoError(t, err)
	p, err := Parse(g.mnt, src)
	require.NoError(t, err)
	if slices.ContainsFunc(p.Commands, func(c Command) bool { return c.Name == "export" }) {
		p.Dir = copyDir(t, p.Dir)
	}
	var out bytes.Buffer
	err = Run(p, sys, &out)
	require.NoError(t, err, "output so far:\n%s", out.String())
	return Normalize(p, out.Bytes())
}

func copyDir(t *testing.T, dir string) string {
	t.Helper()
	tmp := t.TempDir()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(tmp, e.Name()), data, 0o644))
	}
	return tmp
}

// TestGolden runs every testdata script that has an .out file on the
// library and compares the normalised output with it.
func TestGolden(t *testing.T) {
	for _, g := range goldenScripts(t, false) {
		t.Run(g.name, func(t *testing.T) {
			if strings.HasPrefix(g.name, "known/") {
				t.Skip("a known deviation from Linux, see testdata/known/README.md")
			}
			want, err := os.ReadFile(g.out)
			require.NoError(t, err)
			got := runGolden(t, g, newLibrarySystem(t))
			if d := Diff(g.out, want, "library", got); d != "" {
				t.Errorf("%s: the library differs from Linux:\n%s", g.mnt, d)
			}
		})
	}
}

// TestGoldenLinux runs every testdata script on the real kernel and checks
// that its .out file is what Linux prints; with -update it writes the .out
// files (creating missing ones) instead. It needs root.
func TestGoldenLinux(t *testing.T) {
	if _, err := newLinuxSystem(t); err != nil {
		t.Skipf("no Linux reference run: %v", err)
	}
	for _, g := range goldenScripts(t, *update) {
		t.Run(g.name, func(t *testing.T) {
			if reason := cgroupUnsafe(); strings.HasPrefix(g.name, "cgroup/") && reason != "" {
				t.Skip(reason)
			}
			if testenv.Emulated() && usesLosetup(t, g) {
				t.Skip("losetup needs open_tree(2), which an emulator (qemu-user 7.2) lacks; the riscv64 guest kernel runs this script")
			}
			sys, err := newLinuxSystem(t)
			require.NoError(t, err)
			got := runGolden(t, g, sys)
			if *update {
				require.NoError(t, os.WriteFile(g.out, got, 0o644))
				return
			}
			want, err := os.ReadFile(g.out)
			require.NoError(t, err)
			if d := Diff(g.out, want, "linux", got); d != "" {
				t.Errorf("%s is stale (go test ./script -run TestGoldenLinux -update):\n%s", g.out, d)
			}
		})
	}
}
