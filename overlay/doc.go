// Package overlay is overlayfs for mountkit: a filesystem that merges a
// writable upper directory and read-only lower directories of other
// filesystems, with the semantics of Linux 6.18's fs/overlayfs.
package overlay
