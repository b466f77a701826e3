//go:build linux

package script

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestRandomOverlayScriptsAgree is the overlay mode of the differential
// test: random lower and upper trees, an overlay over them, random file
// operations through it, and the merged view and the upper directory
// printed (gen_overlay_test.go) must read the same on the library and on
// the kernel. It needs root and skips otherwise; it runs overlayChecks
// scripts unless -rapid.checks says otherwise.
func TestRandomOverlayScriptsAgree(t *testing.T) {
	sys, err := NewLinux()
	if err != nil {
		if errors.Is(err, ErrNotPermitted) {
			t.Skipf("no Linux reference world to compare with (run as root): %v", err)
		}
		require.NoError(t, err)
	}
	require.NoError(t, sys.Close())
	defer withRapidDefaults(t, overlayChecks)()

	rapid.Check(t, func(t *rapid.T) {
		src := overlayScriptGen.Draw(t, "script")
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
