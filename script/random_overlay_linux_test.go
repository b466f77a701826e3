//go:build linux

package script

import "testing"

// TestRandomOverlayScriptsAgree is the overlay mode of the differential
// test: random lower and upper trees, an overlay over them, random file
// operations through it, and the merged view and the upper directory
// printed (gen_overlay_test.go) must read the same on the library and on
// the kernel. It needs root and skips otherwise; it runs overlayChecks
// scripts unless -rapid.checks says otherwise.
func TestRandomOverlayScriptsAgree(t *testing.T) {
	checkRandomAgree(t, overlayScriptGen, overlayChecks)
}
