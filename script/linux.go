//go:build linux

package script

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/mountkit/mountkit/vfs"
)

// ErrNotPermitted is returned (wrapped) by NewLinux when the process may
// not create mount namespaces: it is not root, or unshare(CLONE_NEWNS) is
// refused. Tests skip on it.
var ErrNotPermitted = errors.New("the Linux runner needs root and unshare(CLONE_NEWNS)")

// linuxTimeout bounds every system call a script makes on the kernel.
const linuxTimeout = 10 * time.Second

// NewLinux returns a System that runs scripts on the real kernel.
//
// The world is a private mount namespace (every mount made private) in
// which a fresh tmpfs (source "none") is mounted on a fresh directory
// under /tmp; the script's processes are chrooted to it. The host's mounts
// are never changed. Each script process is an OS thread of this process
// with its own fs_struct (root, cwd, umask), mount namespace and
// credentials: a goroutine locked to its thread for good, so that the
// thread ends when the process exits. Every call is answered by that
// thread within linuxTimeout, or fails with a timeout error.
//
// NewLinux returns an error wrapping ErrNotPermitted when it may not
// create the namespace.
func NewLinux() (System, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("script: %w (euid is %d)", ErrNotPermitted, os.Geteuid())
	}
	dir, err := os.MkdirTemp("", "mountkit-script-")
	if err != nil {
		return nil, fmt.Errorf("script: %w", err)
	}
	s := &linuxSystem{dir: dir, timeout: linuxTimeout, procs: map[*linuxProc]bool{}}
	// This goroutine is not locked to its thread, and no thread that
	// ever entered a sandbox runs unlocked goroutines: thread-self is
	// in the host's namespace.
	if s.hostNS, err = os.Open("/proc/thread-self/ns/mnt"); err != nil {
		os.Remove(dir)
		return nil, fmt.Errorf("script: %w", err)
	}
	p, err := s.start(func() error { return setupSandbox(dir) })
	if err != nil {
		s.Close()
		if errors.Is(err, syscall.EPERM) {
			return nil, fmt.Errorf("script: %w: %v", ErrNotPermitted, err)
		}
		return nil, fmt.Errorf("script: setting up the sandbox: %w", err)
	}
	p.umask = 0o022
	s.init = p
	return s, nil
}

// setupSandbox runs on the init thread: a new fs_struct and mount
// namespace, everything private, a tmpfs on dir as root and cwd.
func setupSandbox(dir string) error {
	if err := syscall.Unshare(syscall.CLONE_FS | syscall.CLONE_NEWNS); err != nil {
		return fmt.Errorf("unshare: %w", err)
	}
	if err := syscall.Mount("none", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making / rprivate: %w", err)
	}
	if err := syscall.Mount("none", dir, "tmpfs", 0, ""); err != nil {
		return fmt.Errorf("mounting tmpfs: %w", err)
	}
	if err := syscall.Chdir(dir); err != nil {
		return err
	}
	if err := syscall.Chroot("."); err != nil {
		return err
	}
	if err := syscall.Chdir("/"); err != nil {
		return err
	}
	syscall.Umask(0o022)
	return nil
}

// linuxSystem is the world of NewLinux.
type linuxSystem struct {
	dir     string // sandbox directory on the host
	timeout time.Duration

	mu     sync.Mutex
	init   *linuxProc          // handed out once by Init
	procs  map[*linuxProc]bool // live threads
	loops  []*os.File          // attached loop devices, released by Close
	closed bool

	// hostNS is the host's mount namespace, which a thread rejoins when
	// its process exits, so that it lets go of the sandbox at once even
	// if the Go runtime keeps the thread (it never ends the main one).
	hostNS *os.File
}

// linuxProc is a script process: one locked OS thread. Only its own
// goroutine touches the kernel state of the thread; callers hand it
// closures through reqs and wait for their completion.
type linuxProc struct {
	sys   *linuxSystem
	tid   int
	reqs  chan func()
	done  chan struct{} // closed when the thread has ended
	umask int
	cred  *linuxCred // nil until Setcred

	// Owned by the interpreter's goroutine.
	files  map[*linuxFile]bool
	hung   bool // a call timed out; the thread is left alone
	exited bool
}

type linuxCred struct {
	uid, gid uint32
	caps     vfs.CapSet
}

// linuxFile is an open file descriptor of a linuxProc.
type linuxFile struct{ fd int }

var errExited = errors.New("process has exited")

// start runs a new locked thread, calls setup on it and returns it as a
// process serving requests. The thread ends when setup fails.
func (s *linuxSystem) start(setup func() error) (*linuxProc, error) {
	p := &linuxProc{
		sys:   s,
		reqs:  make(chan func(), 1),
		done:  make(chan struct{}),
		files: map[*linuxFile]bool{},
	}
	ready := make(chan error, 1)
	go func() {
		// Never unlocked: the thread's fs_struct, namespace and
		// credentials are the process's, and the thread dies with the
		// goroutine rather than returning to the scheduler's pool.
		runtime.LockOSThread()
		defer close(p.done)
		p.tid = syscall.Gettid()
		if err := setup(); err != nil {
			ready <- err
			return
		}
		ready <- nil
		for f := range p.reqs {
			if f == nil {
				return
			}
			f()
		}
	}()
	select {
	case err := <-ready:
		if err != nil {
			return nil, err
		}
	case <-time.After(s.timeout):
		return nil, fmt.Errorf("starting a thread timed out after %v", s.timeout)
	}
	s.mu.Lock()
	s.procs[p] = true
	s.mu.Unlock()
	return p, nil
}

// do runs f on p's thread and returns its result, or a timeout error.
func (p *linuxProc) do(f func() error) error {
	if p.exited {
		return errExited
	}
	if p.hung {
		return fmt.Errorf("thread %d hung in an earlier call", p.tid)
	}
	res := make(chan error, 1)
	timer := time.NewTimer(p.sys.timeout)
	defer timer.Stop()
	select {
	case p.reqs <- func() { res <- f() }:
	case <-timer.C:
		p.hung = true
		return fmt.Errorf("thread %d: request not taken within %v", p.tid, p.sys.timeout)
	}
	select {
	case err := <-res:
		return err
	case <-timer.C:
		p.hung = true
		return fmt.Errorf("thread %d: system call timed out after %v", p.tid, p.sys.timeout)
	}
}

// errno converts a syscall error to a vfs.Errno; other errors pass.
func errno(err error) error {
	var e syscall.Errno
	if errors.As(err, &e) {
		return vfs.Errno(e)
	}
	return err
}

func (s *linuxSystem) Init() (Proc, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.init == nil {
		return nil, errors.New("script: Init called twice or after Close")
	}
	p := s.init
	s.init = nil
	return p, nil
}

// Close ends every thread, which destroys the namespaces and their mounts,
// releases the loop devices and removes the sandbox directory.
func (s *linuxSystem) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var procs []*linuxProc
	for p := range s.procs {
		procs = append(procs, p)
	}
	s.mu.Unlock()
	var errs []error
	for _, p := range procs {
		if err := p.Exit(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range s.loops {
		// The mounts using the device may still be going away; with
		// them busy, LOOP_CLR_FD sets autoclear instead.
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), loopClrFD, 0); e != 0 && e != syscall.ENXIO {
			errs = append(errs, fmt.Errorf("releasing %s: %w", f.Name(), e))
		}
		f.Close()
	}
	s.loops = nil
	if s.hostNS != nil {
		s.hostNS.Close()
	}
	if err := os.Remove(s.dir); err != nil && !os.IsNotExist(err) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Fork starts a thread that joins p's mount namespace and takes its root,
// cwd, umask and credentials. The new thread starts outside the sandbox,
// so it can open p's /proc entries before setns.
func (p *linuxProc) Fork() (Proc, error) {
	if p.exited {
		return nil, errExited
	}
	task := fmt.Sprintf("/proc/%d/task/%d/", os.Getpid(), p.tid)
	umask, cred := p.umask, p.cred
	c, err := p.sys.start(func() error {
		if err := syscall.Unshare(syscall.CLONE_FS); err != nil {
			return fmt.Errorf("unshare(CLONE_FS): %w", err)
		}
		var fds [3]int
		// setns needs a real open file; fchdir takes O_PATH.
		for i, name := range []string{"root", "cwd", "ns/mnt"} {
			flags := vfs.O_PATH | syscall.O_CLOEXEC
			if name == "ns/mnt" {
				flags = syscall.O_RDONLY | syscall.O_CLOEXEC
			}
			fd, err := syscall.Open(task+name, flags, 0)
			if err != nil {
				return fmt.Errorf("open %s: %w", task+name, err)
			}
			defer syscall.Close(fd)
			fds[i] = fd
		}
		if sysSetns == 0 {
			return vfs.ENOSYS
		}
		if _, _, e := syscall.RawSyscall(sysSetns, uintptr(fds[2]), syscall.CLONE_NEWNS, 0); e != 0 {
			return fmt.Errorf("setns: %w", e)
		}
		if err := syscall.Fchdir(fds[0]); err != nil {
			return fmt.Errorf("fchdir root: %w", err)
		}
		if err := syscall.Chroot("."); err != nil {
			return fmt.Errorf("chroot: %w", err)
		}
		if err := syscall.Fchdir(fds[1]); err != nil {
			return fmt.Errorf("fchdir cwd: %w", err)
		}
		syscall.Umask(umask)
		if cred != nil {
			if err := setcred(cred.uid, cred.gid, cred.caps); err != nil {
				return fmt.Errorf("setcred: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.umask, c.cred = umask, cred
	return c, nil
}

// Exit closes p's files and ends its thread.
func (p *linuxProc) Exit() error {
	if p.exited {
		return nil
	}
	var err error
	if !p.hung {
		err = p.do(func() error {
			for f := range p.files {
				syscall.Close(f.fd)
			}
			// Leave the sandbox: drop its root, cwd and namespace now.
			// A process that gave up CAP_SYS_ADMIN cannot; its
			// thread releases them when it ends.
			if sysSetns != 0 {
				syscall.RawSyscall(sysSetns, p.sys.hostNS.Fd(), syscall.CLONE_NEWNS, 0)
			}
			return nil
		})
		if err == nil {
			p.reqs <- nil
			select {
			case <-p.done:
				if p.tid != os.Getpid() {
					err = waitThreadGone(p.tid, p.sys.timeout)
				}
			case <-time.After(p.sys.timeout):
				err = fmt.Errorf("thread %d did not end", p.tid)
			}
		}
	} else {
		err = fmt.Errorf("thread %d hung; left running", p.tid)
	}
	p.exited = true
	p.files = nil
	p.sys.mu.Lock()
	delete(p.sys.procs, p)
	p.sys.mu.Unlock()
	return err
}

func (p *linuxProc) Unshare() error {
	return p.do(func() error { return errno(syscall.Unshare(syscall.CLONE_NEWNS)) })
}

func (p *linuxProc) Setcred(uid, gid uint32, caps vfs.CapSet) error {
	err := p.do(func() error { return setcred(uid, gid, caps) })
	if err == nil {
		p.cred = &linuxCred{uid: uid, gid: gid, caps: caps}
	}
	return err
}

// Credential constants of linux/capability.h and linux/prctl.h.
const (
	linuxCapabilityVersion3 = 0x20080522
)

// setcred changes the credentials of the calling thread only. Go's
// syscall.Setresuid and friends change every thread of the process, so
// this uses raw system calls: setgroups, setresgid and setresuid with
// PR_SET_KEEPCAPS so that the permitted set survives the uid change, then
// capset for the effective and permitted sets.
func setcred(uid, gid uint32, caps vfs.CapSet) error {
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_KEEPCAPS, 1, 0); e != 0 {
		return vfs.Errno(e)
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETGROUPS, 0, 0, 0); e != 0 {
		return vfs.Errno(e)
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESGID, uintptr(gid), uintptr(gid), uintptr(gid)); e != 0 {
		return vfs.Errno(e)
	}
	if _, _, e := syscall.RawSyscall(syscall.SYS_SETRESUID, uintptr(uid), uintptr(uid), uintptr(uid)); e != 0 {
		return vfs.Errno(e)
	}
	return capset(caps)
}

func (p *linuxProc) Chdir(path string) error {
	return p.do(func() error { return errno(syscall.Chdir(path)) })
}

func (p *linuxProc) Fchdir(h Handle) error {
	f, ok := h.(*linuxFile)
	if !ok || !p.files[f] {
		return vfs.EBADF
	}
	return p.do(func() error { return errno(syscall.Fchdir(f.fd)) })
}

func (p *linuxProc) Chroot(path string) error {
	return p.do(func() error { return errno(syscall.Chroot(path)) })
}

func (p *linuxProc) Getcwd() (string, error) {
	var s string
	err := p.do(func() (err error) { s, err = getcwd(); return err })
	return s, err
}

func (p *linuxProc) Open(path string, flags int, mode uint32) (Handle, error) {
	var fd int
	err := p.do(func() (err error) {
		fd, err = syscall.Open(path, flags|syscall.O_NONBLOCK|syscall.O_CLOEXEC, mode)
		return errno(err)
	})
	if err != nil {
		return nil, err
	}
	f := &linuxFile{fd: fd}
	p.files[f] = true
	return f, nil
}

func (p *linuxProc) Close(h Handle) error {
	f, ok := h.(*linuxFile)
	if !ok || !p.files[f] {
		return vfs.EBADF
	}
	delete(p.files, f)
	return p.do(func() error { return errno(syscall.Close(f.fd)) })
}

func (p *linuxProc) Mkdir(path string, mode uint32) error {
	return p.do(func() error { return errno(syscall.Mkdir(path, mode)) })
}

func (p *linuxProc) Rmdir(path string) error {
	return p.do(func() error { return errno(syscall.Rmdir(path)) })
}

func (p *linuxProc) Unlink(path string) error {
	return p.do(func() error { return errno(syscall.Unlink(path)) })
}

func (p *linuxProc) Rename(oldpath, newpath string) error {
	return p.do(func() error { return errno(syscall.Rename(oldpath, newpath)) })
}

func (p *linuxProc) Symlink(target, path string) error {
	return p.do(func() error { return errno(syscall.Symlink(target, path)) })
}

func (p *linuxProc) Link(oldpath, newpath string) error {
	return p.do(func() error { return errno(syscall.Link(oldpath, newpath)) })
}

func (p *linuxProc) Mknod(path string, mode uint32, dev uint64) error {
	return p.do(func() error { return errno(syscall.Mknod(path, mode, int(dev))) })
}

func (p *linuxProc) WriteFile(path string, data []byte, appendMode bool) error {
	flags := syscall.O_WRONLY | syscall.O_CREAT
	if appendMode {
		flags |= syscall.O_APPEND
	} else {
		flags |= syscall.O_TRUNC
	}
	return p.do(func() error { return writeFile(path, flags, data) })
}

func (p *linuxProc) Truncate(path string, size int64) error {
	return p.do(func() error { return errno(syscall.Truncate(path, size)) })
}

func (p *linuxProc) Chmod(path string, mode uint32) error {
	return p.do(func() error { return errno(syscall.Chmod(path, mode)) })
}

func (p *linuxProc) ReadFile(path string) ([]byte, error) {
	var data []byte
	err := p.do(func() (err error) { data, err = readFile(path); return err })
	return data, err
}

func (p *linuxProc) ReadDir(path string) ([]DirEntry, error) {
	var ents []DirEntry
	err := p.do(func() (err error) { ents, err = readDir(path); return err })
	return ents, err
}

func (p *linuxProc) Stat(path string) (Stat, error) {
	var st syscall.Stat_t
	err := p.do(func() error { return errno(syscall.Stat(path, &st)) })
	return toStat(&st), err
}

func (p *linuxProc) Lstat(path string) (Stat, error) {
	var st syscall.Stat_t
	err := p.do(func() error { return errno(syscall.Lstat(path, &st)) })
	return toStat(&st), err
}

func toStat(st *syscall.Stat_t) Stat {
	return Stat{Mode: vfs.Mode(st.Mode), Nlink: uint32(st.Nlink), Size: st.Size}
}

func (p *linuxProc) Readlink(path string) (string, error) {
	var s string
	err := p.do(func() error {
		buf := make([]byte, 4097)
		n, err := syscall.Readlink(path, buf)
		if err != nil {
			return errno(err)
		}
		s = string(buf[:n])
		return nil
	})
	return s, err
}

func (p *linuxProc) Mount(source, target, fstype Str, flags uint64, data Str) error {
	return p.do(func() error { return sysMount(source, target, fstype, flags, data) })
}

func (p *linuxProc) Umount2(target string, flags int) error {
	return p.do(func() error { return errno(syscall.Unmount(target, flags)) })
}

func (p *linuxProc) PivotRoot(newRoot, putOld Str) error {
	return p.do(func() error { return pivotRoot(newRoot, putOld) })
}

// MountInfo reads the thread's mountinfo from the host's /proc: the kernel
// renders it for the thread's namespace and root, whoever reads it.
func (p *linuxProc) MountInfo() ([]string, error) {
	if p.exited {
		return nil, errExited
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/mountinfo", os.Getpid(), p.tid))
	if err != nil {
		return nil, err
	}
	return splitLines(data), nil
}

func (p *linuxProc) Image(path string, data []byte) error {
	return p.do(func() error {
		return writeFile(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC, data)
	})
}

func (p *linuxProc) Export(path string) ([]byte, error) {
	return p.ReadFile(path)
}

// waitThreadGone waits until the kernel has reaped thread tid: the Go
// runtime ends a locked thread after its goroutine returns, and only then
// does the thread let go of its root, working directory and namespace.
func waitThreadGone(tid int, timeout time.Duration) error {
	path := fmt.Sprintf("/proc/%d/task/%d", os.Getpid(), tid)
	deadline := time.Now().Add(timeout)
	for {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("thread %d did not exit", tid)
		}
		time.Sleep(200 * time.Microsecond)
	}
}
