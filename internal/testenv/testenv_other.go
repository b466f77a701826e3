//go:build !linux

package testenv

// Emulated reports whether the test binary runs under a user-mode
// emulator; it is only detected on Linux.
func Emulated() bool { return false }
