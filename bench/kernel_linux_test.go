//go:build linux

package bench

import (
	"os"
	"runtime"
	"syscall"
	"testing"
)

// kernelWorld runs the benchmark's calls on the real kernel, in a private
// mount namespace of the benchmark's own thread, under a fresh tmpfs.
type kernelWorld struct{}

func (kernelWorld) mkdir(p string) error { return syscall.Mkdir(p, 0o755) }
func (kernelWorld) bind(s, d string) error {
	return syscall.Mount(s, d, "", syscall.MS_BIND, "")
}
func (kernelWorld) umount(p string) error { return syscall.Unmount(p, 0) }
func (kernelWorld) stat(p string) error {
	var st syscall.Stat_t
	return syscall.Stat(p, &st)
}

// newKernelWorld locks the benchmark goroutine to its thread, which it
// never unlocks (so the thread, and its namespace, die with the
// goroutine), gives the thread a private mount namespace and mounts a
// tmpfs to work under. It skips the benchmark when not root.
func newKernelWorld(b *testing.B) (world, string) {
	if os.Geteuid() != 0 {
		b.Skip("the kernel comparison needs root (unshare and mount)")
	}
	dir, err := os.MkdirTemp("", "mountkit-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.Remove(dir) })
	runtime.LockOSThread()
	if err := syscall.Unshare(syscall.CLONE_NEWNS | syscall.CLONE_FS); err != nil {
		b.Skipf("unshare: %v", err)
	}
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		b.Fatal(err)
	}
	if err := syscall.Mount("none", dir, "tmpfs", 0, ""); err != nil {
		b.Fatal(err)
	}
	return kernelWorld{}, dir
}

func (kernelWorld) makeShared(p string) error {
	return syscall.Mount("", p, "", syscall.MS_SHARED, "")
}
func (kernelWorld) mountTmpfs(p string) error { return syscall.Mount("none", p, "tmpfs", 0, "") }

// chdirThread changes the working directory of the calling thread, which
// newKernelWorld unshared with CLONE_FS.
func chdirThread(dir string) error { return syscall.Chdir(dir) }

// kernelStat is stat(2) of path.
func kernelStat(path string) error {
	var st syscall.Stat_t
	return syscall.Stat(path, &st)
}
