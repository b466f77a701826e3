package mountkit

import (
	"github.com/mountkit/mountkit/ext4"
	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/mount"
)

// NewKernel returns a mount.Kernel with every filesystem type of this
// module registered under its Linux name: "tmpfs" (memfs) and "ext4"
// (ext4, read-only, from loop devices).
func NewKernel() *mount.Kernel {
	k := mount.NewKernel()
	k.RegisterFilesystem("tmpfs", memfs.Mount, false)
	k.RegisterFilesystem("ext4", ext4.Mount, true)
	return k
}

// Boot makes a kernel with every filesystem type registered and boots it
// (see mount.Kernel.Boot): it returns the init process of a namespace
// whose root is a fresh tmpfs.
func Boot() (*mount.FsContext, error) {
	return NewKernel().Boot()
}
