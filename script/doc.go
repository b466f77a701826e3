// Package script implements the mount scripts of SCRIPT.md: a line-oriented
// language of Linux system calls on a mount tree, used to show that the
// library behaves as the kernel does.
//
// Parse reads a script into a validated Program; Run executes it in a
// System and prints one or more "N: text" lines per command; Normalize
// rewrites the mountinfo blocks of an output so that the outputs of two
// systems can be compared. A System is a world a script runs in: the
// library (NewLibrary) or, on Linux and as root, the real kernel inside a
// throw-away mount namespace (NewLinux).
//
// The package is a test and exploration tool, not an API for programs that
// want to manage mounts: those use the mount package directly. The
// interpreter knows no semantics of its own; everything it prints comes
// from the System.
package script
