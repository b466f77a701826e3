package aferofs

import (
	"syscall"

	"github.com/mountkit/mountkit/vfs"
)

// sysErr turns a vfs.Errno into the syscall.Errno of the same number, the
// only errno type package os's IsNotExist and friends recognise.
func sysErr(err error) error {
	if e, ok := err.(vfs.Errno); ok {
		return syscall.Errno(e)
	}
	return err
}
