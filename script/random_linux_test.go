//go:build linux

package script

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestRandomScriptsAgree is the differential property test: random scripts
// of file operations (gen_test.go) print the same on the library and on
// the real kernel. It needs root and skips otherwise.
func TestRandomScriptsAgree(t *testing.T) { checkRandomAgree(t, scriptGen, randomChecks) }

// TestRandomMountScriptsAgree is TestRandomScriptsAgree for the mount
// scripts of gen_mount_test.go: mounts, binds, moves, remounts,
// propagation, umount2 flags, pivot_root and namespaces.
func TestRandomMountScriptsAgree(t *testing.T) { checkRandomAgree(t, mountScriptGen, randomChecks) }

// checkRandomAgree is the differential property of TestRandomScriptsAgree,
// on checks scripts drawn from gen (unless -rapid.checks says otherwise).
func checkRandomAgree(t *testing.T, gen *rapid.Generator[string], checks int) {
	if os.Getenv(olderKernelEnv) != "" {
		t.Skipf("$%s: this kernel is older than the Linux 6.18 the library follows, so random scripts would find version differences; the golden corpus's difference table lists them", olderKernelEnv)
	}
	sys, err := NewLinux()
	if err != nil {
		if errors.Is(err, ErrNotPermitted) {
			t.Skipf("no Linux reference world to compare with (run as root): %v", err)
		}
		require.NoError(t, err)
	}
	require.NoError(t, sys.Close())
	defer withRapidDefaults(t, checks)()

	rapid.Check(t, func(t *rapid.T) {
		src := gen.Draw(t, "script")
		p, err := Parse("random.mnt", []byte(src))
		require.NoError(t, err, "the generator wrote a bad script:\n%s", numbered(src))
		var lib []byte
		guarded(t, src, func() { lib, err = runNormalized(p, NewLibrary()) })
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
