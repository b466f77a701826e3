package mountkit

import (
	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/overlay"
)

// NewKernel returns a mount.Kernel with every filesystem type of this
// module registered under its Linux name: "tmpfs" (memfs) and "overlay"
// (overlay).
func NewKernel() *mount.Kernel {
	k := mount.NewKernel()
	k.RegisterFilesystem("tmpfs", memfs.Mount, false)
	k.RegisterFilesystem("overlay", overlay.Mount, false)
	return k
}

// Boot makes a kernel with every filesystem type registered and boots it
// (see mount.Kernel.Boot): it returns the init process of a namespace
// whose root is a fresh tmpfs.
func Boot() (*mount.FsContext, error) {
	return NewKernel().Boot()
}
