// Package fuseexport serves a mountkit namespace, as one mount.FsContext
// sees it, on a real mount point through FUSE (github.com/hanwen/go-fuse),
// so that ordinary Linux programs (coreutils, shells, compilers) run
// against the library: every request of the kernel becomes the path
// system call of the FsContext, across its mounts and with its errnos.
//
// The export runs each request in the FsContext's process, with umask 0
// (the kernel has already applied the caller's) and with the caller's
// credentials: its uid and gid as FUSE reports them, its supplementary
// groups from /proc, and all capabilities for uid 0 and none otherwise.
// So the library checks permissions and owns new files as Linux would
// for that caller. The mount is also made with default_permissions, so the
// kernel checks the mode bits first. Other users than the mounting one
// reach the mount only with MountOptions.AllowOther.
//
// Inode numbers: st_ino on the FUSE mount is a number of the export's
// own, one per (st_dev, st_ino) pair of the namespace, since several
// mounts of the namespace show through one FUSE mount; st_dev is the FUSE
// mount's.
//
// Files are opened with FOPEN_DIRECT_IO: reads and writes go to the
// library every time, so changes made through the library directly show
// at once, as do names and attributes (entry and attribute timeouts are
// zero). Private mappings (mmap MAP_PRIVATE, so exec of programs stored
// on the mount) work; shared mappings fail with ENODEV.
//
// Not served: extended attributes (EOPNOTSUPP for all four calls), file
// locks (the kernel's local locks apply), O_TMPFILE (EOPNOTSUPP). The
// mount is nosuid and nodev: device nodes on it open with EACCES, and a
// FIFO on it is the kernel's own pipe, as on any FUSE mount.
//
// Mounting needs root (or fusermount3, which go-fuse calls when not
// root); Mount with DirectMount set makes the mount(2) call itself.
package fuseexport

import (
	"context"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// Server is a running export.
type Server struct {
	srv *fuse.Server
	e   *export
}

// Mount serves the tree c sees on the directory dir of the host and
// returns once the mount is up. opts may be nil; Mount adds
// default_permissions and fills FsName ("mountkit") and Name
// ("mountkit") when empty. The export uses a fork of c (see
// FsContext.Fork), so c may be closed or changed after Mount returns.
func Mount(dir string, c *mount.FsContext, opts *fuse.MountOptions) (*Server, error) {
	var mo fuse.MountOptions
	if opts != nil {
		mo = *opts
	}
	if mo.FsName == "" {
		mo.FsName = "mountkit"
	}
	if mo.Name == "" {
		mo.Name = "mountkit"
	}
	mo.Options = append(append([]string(nil), mo.Options...), "default_permissions")
	e := newExport(c)
	zero := time.Duration(0)
	srv, err := fs.Mount(dir, &node{e: e}, &fs.Options{
		MountOptions:    mo,
		EntryTimeout:    &zero,
		AttrTimeout:     &zero,
		NegativeTimeout: &zero,
	})
	if err != nil {
		e.c.Close()
		return nil, err
	}
	return &Server{srv: srv, e: e}, nil
}

// Unmount unmounts the mount point and stops serving; the export's
// FsContext is closed once the server has stopped.
func (s *Server) Unmount() error {
	err := s.srv.Unmount()
	if err == nil {
		s.srv.Wait()
		s.e.close()
	}
	return err
}

// Wait waits until the mount is unmounted (by Unmount or by umount(8)).
func (s *Server) Wait() { s.srv.Wait() }

// export is what every node of one Server shares.
//
// mu guards inos, next and callers.
type export struct {
	c       *mount.FsContext
	mu      sync.Mutex
	inos    map[[2]uint64]uint64
	next    uint64
	callers map[string]*mount.FsContext
}

func newExport(c *mount.FsContext) *export {
	c = c.Fork()
	c.Umask(0)
	return &export{c: c, inos: map[[2]uint64]uint64{}, next: 1, callers: map[string]*mount.FsContext{}}
}

// as returns the FsContext a request runs in: the export's own for a
// caller with its uid and gid (or when the caller is unknown), else a
// fork of it with the caller's uid, gid and supplementary groups (read
// from /proc/PID/status) and, unless the uid is 0, no capabilities.
// Forks are kept for the life of the export.
func (e *export) as(ctx context.Context) *mount.FsContext {
	caller, ok := fuse.FromContext(ctx)
	if !ok {
		return e.c
	}
	own := e.c.Cred()
	if caller.Uid == own.UID && caller.Gid == own.GID {
		return e.c
	}
	groups := callerGroups(caller.Pid)
	key := fmt.Sprint(caller.Uid, caller.Gid, groups)
	e.mu.Lock()
	defer e.mu.Unlock()
	if c := e.callers[key]; c != nil {
		return c
	}
	cred := vfs.Cred{UID: caller.Uid, GID: caller.Gid, Groups: groups}
	if caller.Uid == 0 {
		cred.Caps = vfs.AllCaps
	}
	c := e.c.Fork()
	c.SetCred(cred)
	e.callers[key] = c
	return c
}

// close closes the export's FsContexts.
func (e *export) close() {
	e.mu.Lock()
	for k, c := range e.callers {
		c.Close()
		delete(e.callers, k)
	}
	e.mu.Unlock()
	e.c.Close()
}

// callerGroups reads the supplementary groups of process pid; none when
// it cannot (the process is gone, or lives in another pid namespace).
func callerGroups(pid uint32) []uint32 {
	b, err := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/status")
	if err != nil {
		return nil
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "Groups:")
		if !ok {
			continue
		}
		var groups []uint32
		for f := range strings.FieldsSeq(rest) {
			if g, err := strconv.ParseUint(f, 10, 32); err == nil {
				groups = append(groups, uint32(g))
			}
		}
		return groups
	}
	return nil
}

// ino returns the export's inode number for the library's (dev, ino).
func (e *export) ino(dev, ino uint64) uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := [2]uint64{dev, ino}
	if n, ok := e.inos[k]; ok {
		return n
	}
	e.next++
	e.inos[k] = e.next
	return e.next
}

// errno converts a library error for the kernel.
func errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	return syscall.Errno(vfs.ToErrno(err))
}

func (e *export) fill(out *fuse.Attr, st *mount.Stat) {
	out.Ino = e.ino(st.Dev, st.Ino)
	out.Mode = uint32(st.Mode)
	out.Nlink = st.Nlink
	out.Owner = fuse.Owner{Uid: st.UID, Gid: st.GID}
	out.Rdev = uint32(st.Rdev)
	out.Size = uint64(st.Size)
	out.Blocks = uint64(st.Blocks)
	out.Blksize = uint32(st.Blksize)
	out.Atime, out.Atimensec = uint64(st.Atime.Sec), uint32(st.Atime.Nsec)
	out.Mtime, out.Mtimensec = uint64(st.Mtime.Sec), uint32(st.Mtime.Nsec)
	out.Ctime, out.Ctimensec = uint64(st.Ctime.Sec), uint32(st.Ctime.Nsec)
}

// node is a name of the exported tree; its path is found through
// go-fuse's inode tree.
type node struct {
	fs.Inode
	e *export
}

var (
	_ fs.NodeLookuper   = (*node)(nil)
	_ fs.NodeGetattrer  = (*node)(nil)
	_ fs.NodeSetattrer  = (*node)(nil)
	_ fs.NodeReaddirer  = (*node)(nil)
	_ fs.NodeOpener     = (*node)(nil)
	_ fs.NodeCreater    = (*node)(nil)
	_ fs.NodeMkdirer    = (*node)(nil)
	_ fs.NodeMknoder    = (*node)(nil)
	_ fs.NodeSymlinker  = (*node)(nil)
	_ fs.NodeLinker     = (*node)(nil)
	_ fs.NodeReadlinker = (*node)(nil)
	_ fs.NodeUnlinker   = (*node)(nil)
	_ fs.NodeRmdirer    = (*node)(nil)
	_ fs.NodeRenamer    = (*node)(nil)
	_ fs.NodeStatfser   = (*node)(nil)
	_ fs.NodeGetxattrer = (*node)(nil)
	_ fs.NodeSetxattrer = (*node)(nil)
)

func (n *node) path() string { return "/" + n.Path(nil) }

func (n *node) child(name string) string { return path.Join(n.path(), name) }

// entry makes the child inode for the name p now shows.
func (n *node) entry(ctx context.Context, p string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	st, err := n.e.as(ctx).Lstat(p)
	if err != nil {
		return nil, errno(err)
	}
	n.e.fill(&out.Attr, &st)
	ch := n.NewInode(ctx, &node{e: n.e}, fs.StableAttr{Mode: uint32(st.Mode.Type()), Ino: out.Attr.Ino})
	return ch, 0
}

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	return n.entry(ctx, n.child(name), out)
}

func (n *node) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	var st mount.Stat
	var err error
	if h, ok := fh.(*handle); ok {
		st, err = h.f.Stat()
	} else {
		st, err = n.e.as(ctx).Lstat(n.path())
	}
	if err != nil {
		return errno(err)
	}
	n.e.fill(&out.Attr, &st)
	return 0
}

func (n *node) Setattr(ctx context.Context, fh fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	c, p := n.e.as(ctx), n.path()
	if m, ok := in.GetMode(); ok {
		if err := c.Chmod(p, m&0o7777); err != nil {
			return errno(err)
		}
	}
	uid, uok := in.GetUID()
	gid, gok := in.GetGID()
	if uok || gok {
		if !uok {
			uid = ^uint32(0)
		}
		if !gok {
			gid = ^uint32(0)
		}
		if err := c.Lchown(p, uid, gid); err != nil {
			return errno(err)
		}
	}
	if size, ok := in.GetSize(); ok {
		var err error
		if h, hok := fh.(*handle); hok {
			err = h.f.Truncate(int64(size))
		} else {
			err = c.Truncate(p, int64(size))
		}
		if err != nil {
			return errno(err)
		}
	}
	at, aok := in.GetATime()
	mt, mok := in.GetMTime()
	if aok || mok {
		st, err := c.Lstat(p)
		if err != nil {
			return errno(err)
		}
		a, m := st.Atime, st.Mtime
		if aok {
			a = vfs.TimespecOf(at)
		}
		if mok {
			m = vfs.TimespecOf(mt)
		}
		if err := c.Lutimes(p, a, m); err != nil {
			return errno(err)
		}
	}
	return n.Getattr(ctx, fh, out)
}

func (n *node) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	p := n.path()
	d, err := n.e.as(ctx).Open(p, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	if err != nil {
		return nil, errno(err)
	}
	defer d.Close()
	st, err := d.Stat()
	if err != nil {
		return nil, errno(err)
	}
	ents, err := d.ReadDir(-1)
	if err != nil {
		return nil, errno(err)
	}
	list := make([]fuse.DirEntry, 0, len(ents))
	for _, e := range ents {
		list = append(list, fuse.DirEntry{Name: e.Name, Mode: uint32(e.Type), Ino: n.e.ino(st.Dev, e.Ino)})
	}
	return fs.NewListDirStream(list), 0
}

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	f, err := n.e.as(ctx).Open(n.path(), int(flags)&^vfs.O_CREAT|vfs.O_NOFOLLOW, 0)
	if err != nil {
		return nil, 0, errno(err)
	}
	return &handle{f: f}, fuse.FOPEN_DIRECT_IO, 0
}

func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	p := n.child(name)
	f, err := n.e.as(ctx).Open(p, int(flags)|vfs.O_CREAT|vfs.O_NOFOLLOW, mode&0o7777)
	if err != nil {
		return nil, nil, 0, errno(err)
	}
	ch, en := n.entry(ctx, p, out)
	if en != 0 {
		f.Close()
		return nil, nil, 0, en
	}
	return ch, &handle{f: f}, fuse.FOPEN_DIRECT_IO, 0
}

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	p := n.child(name)
	if err := n.e.as(ctx).Mkdir(p, mode&0o7777); err != nil {
		return nil, errno(err)
	}
	return n.entry(ctx, p, out)
}

func (n *node) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	p := n.child(name)
	if err := n.e.as(ctx).Mknod(p, mode, uint64(dev)); err != nil {
		return nil, errno(err)
	}
	return n.entry(ctx, p, out)
}

func (n *node) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	p := n.child(name)
	if err := n.e.as(ctx).Symlink(target, p); err != nil {
		return nil, errno(err)
	}
	return n.entry(ctx, p, out)
}

func (n *node) Link(ctx context.Context, target fs.InodeEmbedder, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	t, ok := target.(*node)
	if !ok {
		return nil, syscall.EXDEV
	}
	p := n.child(name)
	if err := n.e.as(ctx).Link(t.path(), p); err != nil {
		return nil, errno(err)
	}
	return n.entry(ctx, p, out)
}

func (n *node) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	t, err := n.e.as(ctx).Readlink(n.path())
	if err != nil {
		return nil, errno(err)
	}
	return []byte(t), 0
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	return errno(n.e.as(ctx).Unlink(n.child(name)))
}

func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno {
	return errno(n.e.as(ctx).Rmdir(n.child(name)))
}

func (n *node) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	np, ok := newParent.(*node)
	if !ok {
		return syscall.EXDEV
	}
	return errno(n.e.as(ctx).Renameat2(n.child(name), np.child(newName), flags))
}

// The extended-attribute calls fail with EOPNOTSUPP: the library's
// FsContext has no xattr system calls that would check permissions and
// read-only mounts as Linux does. (go-fuse's default, ENODATA, would make
// cp -a fail when it copies ACLs.)
func (n *node) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	return 0, syscall.EOPNOTSUPP
}

func (n *node) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return syscall.EOPNOTSUPP
}

func (n *node) Removexattr(ctx context.Context, attr string) syscall.Errno {
	return syscall.EOPNOTSUPP
}

func (n *node) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	return 0, syscall.EOPNOTSUPP
}

// Statfs reports the statfs of the filesystem the node is on.
func (n *node) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	l, err := n.e.as(ctx).Resolve(n.path(), false)
	if err != nil {
		return errno(err)
	}
	st, err := l.Dentry.Superblock().Filesystem().Statfs()
	if err != nil {
		return errno(err)
	}
	out.Blocks, out.Bfree, out.Bavail = st.Blocks, st.Bfree, st.Bavail
	out.Files, out.Ffree = st.Files, st.Ffree
	out.Bsize, out.Frsize, out.NameLen = uint32(st.Bsize), uint32(st.Frsize), uint32(st.Namelen)
	return 0
}

// handle is an open file of the export.
type handle struct{ f *mount.File }

var (
	_ fs.FileReader   = (*handle)(nil)
	_ fs.FileWriter   = (*handle)(nil)
	_ fs.FileFsyncer  = (*handle)(nil)
	_ fs.FileReleaser = (*handle)(nil)
	_ fs.FileFlusher  = (*handle)(nil)
)

func (h *handle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	n, err := h.f.ReadAt(dest, off)
	if err != nil {
		return nil, errno(err)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

func (h *handle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	n, err := h.f.WriteAt(data, off)
	if err != nil && n == 0 {
		return 0, errno(err)
	}
	return uint32(n), 0
}

func (h *handle) Fsync(ctx context.Context, flags uint32) syscall.Errno { return errno(h.f.Sync()) }
func (h *handle) Flush(ctx context.Context) syscall.Errno               { return 0 }
func (h *handle) Release(ctx context.Context) syscall.Errno             { return errno(h.f.Close()) }
