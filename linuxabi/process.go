package linuxabi

import (
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// NOFILE is the size of a Process's descriptor table (RLIMIT_NOFILE's
// usual soft limit): opening more is EMFILE.
const NOFILE = 1024

// Flags and special values of the *at system calls (x86-64 and generic
// agree).
const (
	AT_FDCWD            = -100
	AT_SYMLINK_NOFOLLOW = 0x100
	AT_REMOVEDIR        = 0x200
	AT_SYMLINK_FOLLOW   = 0x400
	AT_NO_AUTOMOUNT     = 0x800
	AT_EMPTY_PATH       = 0x1000
)

// Process is one task: its FsContext, its descriptor table and its address
// space. Its methods are system calls; each returns a non-negative result
// or -errno.
type Process struct {
	ctx   *mount.FsContext
	mem   UserMemory
	files []*openFile // index = fd; nil = free
}

// openFile is one descriptor's entry.
type openFile struct {
	f       *mount.File
	cloexec bool
}

// NewProcess returns a Process for ctx whose user memory is mem. The
// Process owns ctx from now on: Exit closes it.
func NewProcess(ctx *mount.FsContext, mem UserMemory) *Process {
	return &Process{ctx: ctx, mem: mem}
}

// Context returns the process's FsContext.
func (p *Process) Context() *mount.FsContext { return p.ctx }

// Exit closes every descriptor and releases the FsContext, as the exit of
// the task does.
func (p *Process) Exit() {
	for fd, of := range p.files {
		if of != nil {
			of.f.Close()
			p.files[fd] = nil
		}
	}
	p.ctx.Close()
}

// file returns the open file of fd: EBADF when there is none.
func (p *Process) file(fd int64) (*mount.File, error) {
	if fd < 0 || fd >= int64(len(p.files)) || p.files[fd] == nil {
		return nil, vfs.EBADF
	}
	return p.files[fd].f, nil
}

// install puts f in the lowest free slot.
func (p *Process) install(f *mount.File, cloexec bool) (int64, error) {
	for fd, of := range p.files {
		if of == nil {
			p.files[fd] = &openFile{f: f, cloexec: cloexec}
			return int64(fd), nil
		}
	}
	if len(p.files) >= NOFILE {
		return 0, vfs.EMFILE
	}
	p.files = append(p.files, &openFile{f: f, cloexec: cloexec})
	return int64(len(p.files) - 1), nil
}

// at returns the FsContext that resolves path relative to dirfd and the
// function that releases it: the process's own for AT_FDCWD or an
// absolute path, else a child context whose working directory is dirfd's
// directory (EBADF for a bad fd, ENOTDIR when it is not a directory).
func (p *Process) at(dirfd int64, path string) (*mount.FsContext, func(), error) {
	if dirfd == AT_FDCWD || (path != "" && path[0] == '/') {
		return p.ctx, func() {}, nil
	}
	f, err := p.file(dirfd)
	if err != nil {
		return nil, nil, err
	}
	c := p.ctx.Fork()
	if err := c.Fchdir(f); err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, func() { c.Close() }, nil
}

// ret turns a result and an error into a system-call return value.
func ret(v int64, err error) int64 {
	if err != nil {
		return -int64(vfs.ToErrno(err))
	}
	return v
}

// errno is ret for calls that return 0.
func errno(err error) int64 { return ret(0, err) }
