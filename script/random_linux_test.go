//go:build linux

package script

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestRandomScriptsAgree is the differential property test: random scripts
// of file operations (gen_test.go) print the same on the library and on
// the real kernel. It needs root and skips otherwise.
func TestRandomScriptsAgree(t *testing.T) {
	sys, err := NewLinux()
	if err != nil {
		if errors.Is(err, ErrNotPermitted) {
			t.Skipf("no Linux reference world to compare with (run as root): %v", err)
		}
		require.NoError(t, err)
	}
	require.NoError(t, sys.Close())
	defer withRapidDefaults(t, randomChecks)()

	rapid.Check(t, func(t *rapid.T) {
		src := scriptGen.Draw(t, "script")
		p, err := Parse("random.mnt", []byte(src))
		require.NoError(t, err, "the generator wrote a bad script:\n%s", numbered(src))
		lib, err := runNormalized(p, NewLibrary())
		require.NoError(t, err, "library runner failed on:\n%s", numbered(src))
		lx, err := NewLinux()
		require.NoError(t, err)
		lin, err := runNormalized(p, lx)
		require.NoError(t, err, "Linux runner failed on:\n%s", numbered(src))
		if d := Diff("library", lib, "linux", lin); d != "" {
			t.Fatalf("library and Linux disagree on\n%s\n%s", numbered(src), d)
		}
	})
}

// TestFoundMatchLinux checks the scripts of testdata/found (the
// disagreements the random test found) against the kernel: their .out
// files must still be what Linux prints. With MOUNTKIT_RECORD=1 it
// (re)writes the .out files instead. It needs root.
func TestFoundMatchLinux(t *testing.T) {
	newLinux(t).Close()
	files, err := filepath.Glob(filepath.Join("testdata", "found", "*.mnt"))
	require.NoError(t, err)
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			require.NoError(t, err)
			p, err := Parse(name, src)
			require.NoError(t, err)
			lin, err := runNormalized(p, newLinux(t))
			require.NoError(t, err)
			outName := strings.TrimSuffix(name, ".mnt") + ".out"
			if os.Getenv("MOUNTKIT_RECORD") == "1" {
				require.NoError(t, os.WriteFile(outName, lin, 0o644))
				lib, err := runNormalized(p, NewLibrary())
				require.NoError(t, err)
				t.Logf("%s", Diff("library", lib, "linux", lin))
				return
			}
			want, err := os.ReadFile(outName)
			require.NoError(t, err)
			require.Equal(t, string(want), string(lin))
		})
	}
}
