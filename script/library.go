package script

import (
	"io"
	"strings"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// NewLibrary returns the world of the library: a fresh kernel with every
// filesystem type of mountkit registered, booted as SCRIPT.md describes.
func NewLibrary() System { return &libSystem{} }

type libSystem struct {
	k     *mount.Kernel
	procs []*libProc
	loops []uint64 // loop devices Losetup bound
}

func (s *libSystem) Init() (Proc, error) {
	s.k = mountkit.NewKernel()
	c, err := s.k.Boot()
	if err != nil {
		return nil, err
	}
	return s.newProc(c), nil
}

func (s *libSystem) newProc(c *mount.FsContext) *libProc {
	p := &libProc{s: s, c: c, files: map[*mount.File]bool{}, cred: vfs.RootProcCred()}
	s.procs = append(s.procs, p)
	return p
}

func (s *libSystem) Close() error {
	for _, p := range s.procs {
		if !p.exited {
			p.Exit()
		}
	}
	s.procs = nil
	for _, dev := range s.loops {
		_ = s.k.LoopDetach(dev)
	}
	s.loops = nil
	return nil
}

// libProc is a script process: an FsContext and the files it has open.
type libProc struct {
	s      *libSystem
	c      *mount.FsContext
	files  map[*mount.File]bool
	cred   *vfs.ProcCred // the full credentials; c holds the file-operation identity
	exited bool
}

func (p *libProc) Fork() (Proc, error) {
	q := p.s.newProc(p.c.Fork())
	q.cred = p.cred.Clone()
	return q, nil
}

func (p *libProc) Exit() error {
	for f := range p.files {
		f.Close()
	}
	p.files = nil
	p.exited = true
	return p.c.Close()
}

func (p *libProc) Unshare() error { return p.c.Unshare() }

// Setcred makes the system calls the Linux runner makes for setcred, in
// its order (PR_SET_KEEPCAPS, setgroups, setresgid, setresuid, capset),
// each with Linux's permission rules: the first that fails ends it, and
// what the calls before it changed stays changed, as on the kernel.
func (p *libProc) Setcred(uid, gid uint32, caps vfs.CapSet) error {
	cr := p.cred
	cr.KeepCaps = true
	err := cr.Setgroups(nil)
	if err == nil {
		err = cr.Setresgid(int64(gid), int64(gid), int64(gid))
	}
	if err == nil {
		err = cr.Setresuid(int64(uid), int64(uid), int64(uid))
	}
	if err == nil {
		err = cr.Capset(caps, caps)
	}
	p.c.SetCred(cr.Cred())
	return err
}

func (p *libProc) Chdir(path string) error  { return p.c.Chdir(path) }
func (p *libProc) Chroot(path string) error { return p.c.Chroot(path) }
func (p *libProc) Getcwd() (string, error)  { return p.c.Getcwd() }

func (p *libProc) Fchdir(h Handle) error {
	f, ok := h.(*mount.File)
	if !ok || !p.files[f] {
		return vfs.EBADF
	}
	return p.c.Fchdir(f)
}

func (p *libProc) Open(path string, flags int, mode uint32) (Handle, error) {
	f, err := p.c.Open(path, flags|vfs.O_NONBLOCK, mode)
	if err != nil {
		return nil, err
	}
	p.files[f] = true
	return f, nil
}

func (p *libProc) Close(h Handle) error {
	f, ok := h.(*mount.File)
	if !ok || !p.files[f] {
		return vfs.EBADF
	}
	delete(p.files, f)
	return f.Close()
}

func (p *libProc) Mkdir(path string, mode uint32) error { return p.c.Mkdir(path, mode) }
func (p *libProc) Rmdir(path string) error              { return p.c.Rmdir(path) }
func (p *libProc) Unlink(path string) error             { return p.c.Unlink(path) }
func (p *libProc) Rename(oldpath, newpath string) error { return p.c.Rename(oldpath, newpath) }
func (p *libProc) Symlink(target, path string) error    { return p.c.Symlink(target, path) }
func (p *libProc) Link(oldpath, newpath string) error   { return p.c.Link(oldpath, newpath) }
func (p *libProc) Chmod(path string, mode uint32) error { return p.c.Chmod(path, mode) }

func (p *libProc) Mknod(path string, mode uint32, dev uint64) error {
	return p.c.Mknod(path, mode, dev)
}

func (p *libProc) Truncate(path string, size int64) error { return p.c.Truncate(path, size) }

func (p *libProc) WriteFile(path string, data []byte, appendMode bool) error {
	flags := vfs.O_WRONLY | vfs.O_CREAT | vfs.O_NONBLOCK
	if appendMode {
		flags |= vfs.O_APPEND
	} else {
		flags |= vfs.O_TRUNC
	}
	f, err := p.c.Open(path, flags, 0o644)
	if err != nil {
		return err
	}
	for len(data) > 0 {
		n, err := f.Write(data)
		if err != nil {
			f.Close()
			return err
		}
		data = data[n:]
	}
	return f.Close()
}

func (p *libProc) ReadFile(path string) ([]byte, error) {
	f, err := p.c.Open(path, vfs.O_RDONLY|vfs.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var data []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf)
		if err != nil && err != io.EOF {
			return nil, err
		}
		if n == 0 {
			return data, nil
		}
		data = append(data, buf[:n]...)
	}
}

func (p *libProc) ReadDir(path string) ([]DirEntry, error) {
	f, err := p.c.Open(path, vfs.O_RDONLY|vfs.O_DIRECTORY|vfs.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ents, err := f.ReadDir(0)
	if err != nil {
		return nil, err
	}
	out := make([]DirEntry, 0, len(ents))
	for _, e := range ents {
		if e.Name != "." && e.Name != ".." {
			out = append(out, DirEntry{Name: e.Name, Type: e.Type})
		}
	}
	return out, nil
}

func toScriptStat(st mount.Stat) Stat {
	return Stat{Mode: st.Mode, Nlink: st.Nlink, Size: st.Size}
}

func (p *libProc) Stat(path string) (Stat, error) {
	st, err := p.c.Stat(path)
	return toScriptStat(st), err
}

func (p *libProc) Lstat(path string) (Stat, error) {
	st, err := p.c.Lstat(path)
	return toScriptStat(st), err
}

func (p *libProc) Readlink(path string) (string, error) { return p.c.Readlink(path) }

func strPtr(s Str) *string {
	if s.Null {
		return nil
	}
	return &s.S
}

func (p *libProc) Mount(source, target, fstype Str, flags uint64, data Str) error {
	return p.c.MountRaw(strPtr(source), strPtr(target), strPtr(fstype), flags, strPtr(data))
}

func (p *libProc) Umount2(target string, flags int) error { return p.c.Umount2(target, flags) }

func (p *libProc) PivotRoot(newRoot, putOld Str) error {
	return p.c.PivotRootRaw(strPtr(newRoot), strPtr(putOld))
}

func (p *libProc) MountInfo() ([]string, error) {
	s := strings.TrimSuffix(p.c.MountInfo(), "\n")
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

func (p *libProc) Image(path string, data []byte) error {
	return p.WriteFile(path, data, false)
}

func (p *libProc) Export(path string) ([]byte, error) { return p.ReadFile(path) }

// Losetup binds a loop device of the library's kernel to file and makes
// its node at devPath. The world holds the device until it is closed,
// when the device is detached (at once, or when its filesystem goes).
func (p *libProc) Losetup(devPath, file string) error {
	dev, err := p.c.Losetup(file)
	if err != nil {
		return err
	}
	p.s.loops = append(p.s.loops, dev)
	return p.c.Mknod(devPath, uint32(vfs.ModeBlockDevice|0o644), dev)
}
