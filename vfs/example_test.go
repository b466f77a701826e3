package vfs_test

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/mountkit/mountkit/vfs"
)

// Errno values carry Linux's numbers and names and match the io/fs
// sentinels.
func ExampleErrno() {
	err := error(vfs.ENOENT)
	fmt.Println(vfs.ENOENT.Name(), uintptr(vfs.ENOENT), err)
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	e, _ := vfs.ErrnoByName("EXDEV")
	fmt.Println(int(e))
	// Output:
	// ENOENT 2 no such file or directory
	// true
	// 18
}

// Permission follows Linux's generic_permission.
func ExamplePermission() {
	attr := vfs.Attr{Mode: vfs.ModeDir | 0o750, UID: 0, GID: 100}
	member := &vfs.Cred{UID: 1000, GID: 100}
	other := &vfs.Cred{UID: 1001, GID: 1001}
	fmt.Println(vfs.Permission(&attr, member, vfs.MayRead|vfs.MayExec))
	fmt.Println(vfs.Permission(&attr, other, vfs.MayExec))
	fmt.Println(vfs.Permission(&attr, vfs.Root(), vfs.MayWrite))
	// Output:
	// <nil>
	// permission denied
	// <nil>
}
