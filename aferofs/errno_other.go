//go:build !linux

package aferofs

// sysErr keeps a vfs.Errno: off Linux syscall.Errno numbers differ.
func sysErr(err error) error { return err }
