package mountkit

import (
	"github.com/mountkit/mountkit/cgroupfs"
	"github.com/mountkit/mountkit/ext4"
	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/overlay"
)

// NewKernel returns a mount.Kernel with every filesystem type of this
// module registered under its Linux name:
//
//   - "tmpfs": memfs;
//   - "overlay": overlay, over layers anywhere in the namespace;
//   - "ext4": ext2/ext3/ext4 images on loop devices (mount.Kernel.Losetup),
//     read-only or read-write (no journal);
//   - "cgroup2": a new cgroupfs.Hierarchy of the default configuration,
//     shared by every cgroup2 mount of the kernel (a host that drives
//     processes makes its own with cgroupfs.New and registers its Mount
//     under "cgroup2" instead).
func NewKernel() *mount.Kernel {
	k := mount.NewKernel()
	k.RegisterFilesystem("tmpfs", memfs.Mount, false)
	k.RegisterFilesystem("overlay", overlay.Mount, false)
	k.RegisterFilesystem("ext4", ext4.Mount, true)
	k.RegisterFilesystem("cgroup2", cgroupfs.NewDefault().Mount, false)
	return k
}

// Boot makes a kernel with every filesystem type registered and boots it
// (see mount.Kernel.Boot): it returns the init process of a namespace
// whose root is a fresh tmpfs.
func Boot() (*mount.FsContext, error) {
	return NewKernel().Boot()
}
