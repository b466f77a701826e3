//go:build linux

package script

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"syscall"
	"unsafe"

	"github.com/mountkit/mountkit/vfs"
)

// The helpers below run on a process's thread and make raw system calls.

// cstr returns a NUL-terminated copy of s, or nil for a NULL Str.
func cstr(s Str) (*byte, error) {
	if s.Null {
		return nil, nil
	}
	if strings.IndexByte(s.S, 0) >= 0 {
		return nil, vfs.EINVAL
	}
	b := append([]byte(s.S), 0)
	return &b[0], nil
}

func sysMount(source, target, fstype Str, flags uint64, data Str) error {
	var ptrs [4]*byte
	for i, s := range []Str{source, target, fstype, data} {
		p, err := cstr(s)
		if err != nil {
			return err
		}
		ptrs[i] = p
	}
	_, _, e := syscall.Syscall6(syscall.SYS_MOUNT,
		uintptr(unsafe.Pointer(ptrs[0])), uintptr(unsafe.Pointer(ptrs[1])),
		uintptr(unsafe.Pointer(ptrs[2])), uintptr(flags),
		uintptr(unsafe.Pointer(ptrs[3])), 0)
	if e != 0 {
		return vfs.Errno(e)
	}
	return nil
}

func pivotRoot(newRoot, putOld Str) error {
	n, err := cstr(newRoot)
	if err != nil {
		return err
	}
	o, err := cstr(putOld)
	if err != nil {
		return err
	}
	_, _, e := syscall.Syscall(syscall.SYS_PIVOT_ROOT,
		uintptr(unsafe.Pointer(n)), uintptr(unsafe.Pointer(o)), 0)
	if e != 0 {
		return vfs.Errno(e)
	}
	return nil
}

// getcwd is getcwd(2), with an unreachable cwd (which the kernel reports
// as "(unreachable)/...") turned into ENOENT as the C library does.
func getcwd() (string, error) {
	buf := make([]byte, 4097)
	n, _, e := syscall.Syscall(syscall.SYS_GETCWD, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0)
	if e != 0 {
		return "", vfs.Errno(e)
	}
	s := string(buf[:n])
	s = strings.TrimSuffix(s, "\x00")
	if !strings.HasPrefix(s, "/") {
		return "", vfs.ENOENT
	}
	return s, nil
}

func writeFile(path string, flags int, data []byte) error {
	fd, err := syscall.Open(path, flags|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o644)
	if err != nil {
		return errno(err)
	}
	for len(data) > 0 {
		n, err := syscall.Write(fd, data)
		if err != nil {
			syscall.Close(fd)
			return errno(err)
		}
		data = data[n:]
	}
	return errno(syscall.Close(fd))
}

func readFile(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, errno(err)
	}
	defer syscall.Close(fd)
	var data []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.Read(fd, buf)
		if err != nil {
			return nil, errno(err)
		}
		if n == 0 {
			return data, nil
		}
		data = append(data, buf[:n]...)
	}
}

// dtypes maps the d_type of getdents64 to S_IFMT bits.
var dtypes = [...]vfs.Mode{
	syscall.DT_FIFO: vfs.ModeFIFO,
	syscall.DT_CHR:  vfs.ModeCharDevice,
	syscall.DT_DIR:  vfs.ModeDir,
	syscall.DT_BLK:  vfs.ModeBlockDevice,
	syscall.DT_REG:  vfs.ModeRegular,
	syscall.DT_LNK:  vfs.ModeSymlink,
	syscall.DT_SOCK: vfs.ModeSocket,
}

func readDir(path string) ([]DirEntry, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, errno(err)
	}
	defer syscall.Close(fd)
	var ents []DirEntry
	buf := make([]byte, 32<<10)
	for {
		n, err := syscall.Getdents(fd, buf)
		if err != nil {
			return nil, errno(err)
		}
		if n == 0 {
			return ents, nil
		}
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:]))
			if reclen < 19 || reclen > len(b) {
				return nil, fmt.Errorf("getdents64: bad record length %d", reclen)
			}
			typ := b[18]
			name := b[19:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			b = b[reclen:]
			if s := string(name); s != "." && s != ".." {
				var mode vfs.Mode
				if int(typ) < len(dtypes) {
					mode = dtypes[typ]
				}
				if mode == 0 {
					var st syscall.Stat_t
					if syscall.Lstat(path+"/"+s, &st) == nil {
						mode = vfs.Mode(st.Mode).Type()
					}
				}
				ents = append(ents, DirEntry{Name: s, Type: mode})
			}
		}
	}
}

// capset sets the effective and permitted capabilities of the calling
// thread to caps and clears the inheritable set.
func capset(caps vfs.CapSet) error {
	hdr := struct {
		version uint32
		pid     int32
	}{version: linuxCapabilityVersion3}
	var data [2]struct{ effective, permitted, inheritable uint32 }
	for i := range data {
		w := uint32(uint64(caps) >> (32 * i))
		data[i].effective, data[i].permitted = w, w
	}
	_, _, e := syscall.RawSyscall(syscall.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	if e != 0 {
		return vfs.Errno(e)
	}
	return nil
}

func splitLines(data []byte) []string {
	s := strings.TrimSuffix(string(data), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// Loop-device ioctls of linux/loop.h.
const (
	loopSetFD      = 0x4C00
	loopClrFD      = 0x4C01
	loopCtlGetFree = 0x4C82
)

// Losetup attaches a free loop device of the host to the world's file and
// makes a block-device node for it at devPath. The host side (the
// /dev/loop-control and /dev/loopN opens) runs here, outside the sandbox;
// the file is found and the node made by p's thread. The device stays
// attached until the world is closed.
//
// The device holds the file open through a detached, childless clone of
// the file's mount (open_tree OPEN_TREE_CLONE, reopened through
// /proc/self/fd): had it held the world's own mount, a filesystem mounted
// from the device below that mount would keep the mount alive after the
// namespace died, and the mount the device, for ever.
func (p *linuxProc) Losetup(devPath, file string) error {
	var tree int
	err := p.do(func() error {
		b, err := syscall.BytePtrFromString(file)
		if err != nil {
			return vfs.EINVAL
		}
		fd, _, e := syscall.Syscall(sysOpenTree, uintptr(atFDCWD),
			uintptr(unsafe.Pointer(b)), openTreeClone|syscall.O_CLOEXEC)
		if e != 0 {
			return vfs.Errno(e)
		}
		tree = int(fd)
		return nil
	})
	if err != nil {
		return err
	}
	backing, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", tree), os.O_RDWR, 0)
	syscall.Close(tree)
	if err != nil {
		return errno(err)
	}
	defer backing.Close()
	loop, err := attachLoop(int(backing.Fd()))
	if err != nil {
		return err
	}
	p.sys.mu.Lock()
	p.sys.loops = append(p.sys.loops, loop)
	p.sys.mu.Unlock()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(loop.Fd()), &st); err != nil {
		return fmt.Errorf("stat %s: %w", loop.Name(), err)
	}
	return p.do(func() error {
		return errno(syscall.Mknod(devPath, syscall.S_IFBLK|0o644, int(st.Rdev)))
	})
}

// open_tree(2), the same number on every architecture.
const (
	sysOpenTree   = 428
	openTreeClone = 1
)

// atFDCWD is AT_FDCWD as a system-call argument.
var atFDCWD = -100

// attachLoop finds a free loop device and binds it to the file fd.
func attachLoop(fd int) (*os.File, error) {
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("losetup: %w", err)
	}
	defer ctl.Close()
	for range 10 {
		n, _, e := syscall.Syscall(syscall.SYS_IOCTL, ctl.Fd(), loopCtlGetFree, 0)
		if e != 0 {
			return nil, fmt.Errorf("losetup: LOOP_CTL_GET_FREE: %w", e)
		}
		loop, err := os.OpenFile(fmt.Sprintf("/dev/loop%d", n), os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("losetup: %w", err)
		}
		_, _, e = syscall.Syscall(syscall.SYS_IOCTL, loop.Fd(), loopSetFD, uintptr(fd))
		if e == 0 {
			return loop, nil
		}
		loop.Close()
		if e != syscall.EBUSY { // EBUSY: someone else took it first
			return nil, fmt.Errorf("losetup: LOOP_SET_FD: %w", e)
		}
	}
	return nil, fmt.Errorf("losetup: no free loop device")
}
