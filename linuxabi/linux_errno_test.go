//go:build linux && (amd64 || riscv64 || arm64)

package linuxabi

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"unsafe"
)

// TestErrnosLinux runs the errno cases on the real kernel, with the same
// memory layout mapped in this process and the same tree in a throw-away
// mount namespace and fs_struct, and requires Linux's answers to be the
// ones the library gives (TestErrnos). It needs root. With
// $MOUNTKIT_OLDER_KERNEL set (the riscv64 guest) differences are logged,
// not failures: the bar is Linux 6.18.
func TestErrnosLinux(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the Linux errno run needs root")
	}
	mem, err := mapLinuxLayout()
	if err != nil {
		t.Skipf("cannot map the test layout in this process: %v", err)
	}
	// unlinkat checks its flags before it reads the path; an emulator
	// that copies the path in first (qemu-user) answers EFAULT, and so
	// changes the order of every such check.
	if r := rawSyscall("unlinkat", Args{atFDCWD, badAddr, 0x1}); r != -int64(syscall.EINVAL) {
		t.Skipf("unlinkat(AT_FDCWD, bad pointer, bad flags) is %s, not EINVAL: an emulator (qemu-user) that reads user memory before the kernel does", errName(r))
	}
	for _, c := range errnoCases {
		t.Run(c.name, func(t *testing.T) {
			if why, ok := libraryOnly[c.name]; ok {
				t.Skipf("the library answers %s: %s", c.want, why)
			}
			got, err := runOnLinux(t, mem, c)
			if err != nil {
				t.Skipf("no Linux run: %v", err)
			}
			switch {
			case got == c.want:
			case os.Getenv("MOUNTKIT_OLDER_KERNEL") != "":
				// The riscv64 guest's kernel is older than the 6.18
				// the library follows: its differences are reported.
				t.Logf("OLDER-KERNEL-DIFF: errno case %s: the library (Linux 6.18) answers %s, this kernel %s", c.name, c.want, got)
			default:
				t.Errorf("%s: the library answers %s, Linux %s", c.name, c.want, got)
			}
		})
	}
}

// linuxLayout is the test layout mapped at its real addresses.
type linuxLayout struct{ scratch []byte }

// ReadAt and WriteAt reach the scratch region only: what env.put needs.
func (m *linuxLayout) ReadAt(p []byte, addr uint64) (int, error) {
	if addr < scratchBase || addr+uint64(len(p)) > scratchBase+scratchSize {
		return 0, syscall.EFAULT
	}
	return copy(p, m.scratch[addr-scratchBase:]), nil
}

func (m *linuxLayout) WriteAt(p []byte, addr uint64) (int, error) {
	if addr < scratchBase || addr+uint64(len(p)) > scratchBase+scratchSize {
		return 0, syscall.EFAULT
	}
	return copy(m.scratch[addr-scratchBase:], p), nil
}

const mapFixedNoreplace = 0x100000

// mmapAt maps n bytes at addr, read-write, or fails.
func mmapAt(addr uintptr, n int) ([]byte, error) {
	r, _, e := syscall.Syscall6(syscall.SYS_MMAP, addr, uintptr(n), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|mapFixedNoreplace, ^uintptr(0), 0)
	if e != 0 {
		return nil, e
	}
	if r != addr {
		syscall.Syscall(syscall.SYS_MUNMAP, r, uintptr(n), 0)
		return nil, fmt.Errorf("mmap put %#x at %#x", addr, r)
	}
	// Reinterpret the address as a pointer: memory outside the Go heap.
	p := *(*unsafe.Pointer)(unsafe.Pointer(&r))
	return unsafe.Slice((*byte)(p), n), nil
}

var (
	layoutOnce *linuxLayout
	layoutErr  error
)

// mapLinuxLayout maps the edge page ('a', nothing after it), the
// read-only page and the scratch region once for the test binary;
// badAddr stays unmapped.
func mapLinuxLayout() (*linuxLayout, error) {
	if layoutOnce != nil || layoutErr != nil {
		return layoutOnce, layoutErr
	}
	edge, err := mmapAt(edgeBase, PageSize)
	if err != nil {
		layoutErr = err
		return nil, err
	}
	for i := range edge {
		edge[i] = 'a'
	}
	ro, err := mmapAt(roBase, PageSize)
	if err != nil {
		layoutErr = err
		return nil, err
	}
	if err := syscall.Mprotect(ro, syscall.PROT_READ); err != nil {
		layoutErr = err
		return nil, err
	}
	scratch, err := mmapAt(scratchBase, scratchSize)
	if err != nil {
		layoutErr = err
		return nil, err
	}
	layoutOnce = &linuxLayout{scratch: scratch}
	return layoutOnce, nil
}

// openFDs lists this process's open descriptors.
func openFDs() map[int]bool {
	fds := map[int]bool{}
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			fds[n] = true
		}
	}
	return fds
}

// runOnLinux builds the tree and makes the case's call on one OS thread
// with its own fs_struct and mount namespace, chrooted into a fresh tmpfs;
// the thread ends with it. Descriptors it opened are closed afterwards.
func runOnLinux(t *testing.T, mem *linuxLayout, c errnoCase) (string, error) {
	dir := t.TempDir()
	before := openFDs()
	defer func() {
		for fd := range openFDs() {
			if !before[fd] {
				syscall.Close(fd)
			}
		}
	}()
	type result struct {
		got string
		err error
	}
	res := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread goes with the goroutine
		r := result{err: fmt.Errorf("the tree could not be built")}
		defer func() { res <- r }()
		if err := linuxSandbox(dir); err != nil {
			r.err = err
			return
		}
		e := &env{t: t, mem: mem, next: scratchBase, call: rawSyscall}
		tr := makeTree(t, e)
		r = result{got: errName(tr.sys(c.call, c.args(tr)...))}
	}()
	r := <-res
	return r.got, r.err
}

// linuxSandbox gives the calling thread its own fs_struct and mount
// namespace, everything private, and a fresh tmpfs on dir as its root.
func linuxSandbox(dir string) error {
	if err := syscall.Unshare(syscall.CLONE_FS | syscall.CLONE_NEWNS); err != nil {
		return fmt.Errorf("unshare: %w", err)
	}
	if err := syscall.Mount("none", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return err
	}
	if err := syscall.Mount("none", dir, "tmpfs", 0, ""); err != nil {
		return err
	}
	if err := syscall.Chdir(dir); err != nil {
		return err
	}
	if err := syscall.Chroot("."); err != nil {
		return err
	}
	syscall.Umask(0o022)
	return syscall.Chdir("/")
}

// rawSyscall makes the named system call on this thread.
func rawSyscall(name string, a Args) int64 {
	nr, ok := numbers[name]
	if !ok {
		return -int64(syscall.ENOSYS)
	}
	r, _, e := syscall.Syscall6(uintptr(nr), uintptr(a[0]), uintptr(a[1]), uintptr(a[2]), uintptr(a[3]), uintptr(a[4]), uintptr(a[5]))
	if e != 0 {
		return -int64(e)
	}
	return int64(r)
}
