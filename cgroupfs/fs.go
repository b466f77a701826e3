package cgroupfs

import (
	"sort"
	"strings"

	"github.com/mountkit/mountkit/vfs"
)

// Cgroup2Magic is CGROUP2_SUPER_MAGIC, statfs(2)'s f_type.
const Cgroup2Magic = 0x63677270

// FS is a Hierarchy as a vfs.Filesystem. A Hierarchy has one, which every
// mount shares, so that the mount layer gives every mount one superblock.
type FS struct{ h *Hierarchy }

var (
	_ vfs.Filesystem        = (*FS)(nil)
	_ vfs.Reconfigurer      = (*FS)(nil)
	_ vfs.ReconfigureParser = (*FS)(nil)
	_ vfs.Inode             = (*dirInode)(nil)
	_ vfs.Inode             = (*fileInode)(nil)
	_ vfs.File              = (*file)(nil)
)

// Mount is a vfs.NewFilesystemFunc for the "cgroup2" type: it parses the
// mount options (see ParseOptions), makes them the hierarchy's, as every
// cgroup2 mount in the initial cgroup namespace does on Linux, and
// returns the hierarchy's one FS.
func (h *Hierarchy) Mount(req *vfs.MountRequest) (vfs.Filesystem, error) {
	f, err := parseOptions(req.Data, req.Source != "")
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.flags = f
	h.mu.Unlock()
	return h.fs, nil
}

// FS returns the hierarchy's filesystem.
func (h *Hierarchy) FS() *FS { return h.fs }

// Hierarchy returns the hierarchy of the filesystem.
func (fsys *FS) Hierarchy() *Hierarchy { return fsys.h }

// Root returns the root cgroup's directory.
func (fsys *FS) Root() vfs.Inode { return fsys.h.root.dir() }

// Type returns "cgroup2".
func (fsys *FS) Type() string { return "cgroup2" }

// Options returns the mount options in effect, as cgroup_show_options.
func (fsys *FS) Options() string {
	fsys.h.mu.Lock()
	defer fsys.h.mu.Unlock()
	return fsys.h.flags.String()
}

// Statfs reports what simple_statfs does for kernfs.
func (fsys *FS) Statfs() (vfs.Statfs, error) {
	return vfs.Statfs{Type: Cgroup2Magic, Bsize: pageSize, Namelen: vfs.NameMax, Frsize: pageSize}, nil
}

// ParseReconfigure checks remount data.
func (fsys *FS) ParseReconfigure(data string) error {
	_, err := parseOptions(data, false)
	return err
}

// Reconfigure applies remount data: the options become exactly those
// given (cgroup_reconfigure).
func (fsys *FS) Reconfigure(data string) error {
	f, err := parseOptions(data, false)
	if err != nil {
		return err
	}
	fsys.h.mu.Lock()
	fsys.h.flags = f
	fsys.h.mu.Unlock()
	return nil
}

// dirInode is a cgroup's directory.
type dirInode struct{ cg *Cgroup }

func (cg *Cgroup) dir() *dirInode {
	if cg.dirIno == nil {
		cg.dirIno = &dirInode{cg}
	}
	return cg.dirIno
}

func (d *dirInode) Getattr() (vfs.Attr, error) {
	cg := d.cg
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	nlink := uint32(2 + len(cg.children))
	if cg.dead {
		nlink = 0
	}
	return vfs.Attr{Ino: cg.ino, Mode: cg.mode, Nlink: nlink, UID: cg.uid, GID: cg.gid,
		Blksize: pageSize, Atime: cg.atime, Mtime: cg.mtime, Ctime: cg.ctime}, nil
}

// setattr applies s to attributes, as __kernfs_setattr: mode, owner and
// times; a size change is accepted and ignored.
func setattr(s *vfs.SetAttr, mode *vfs.Mode, uid, gid *uint32, atime, mtime, ctime *vfs.Timespec) {
	if s.Mask&vfs.SetMode != 0 {
		*mode = mode.Type() | s.Mode&0o7777
	}
	if s.Mask&vfs.SetUID != 0 {
		*uid = s.UID
	}
	if s.Mask&vfs.SetGID != 0 {
		*gid = s.GID
	}
	if s.Mask&vfs.SetAtime != 0 {
		*atime = s.Atime
	}
	if s.Mask&vfs.SetMtime != 0 {
		*mtime = s.Mtime
	}
	if s.Mask&vfs.SetCtime != 0 {
		*ctime = s.Ctime
	} else {
		*ctime = vfs.Now()
	}
}

func (d *dirInode) Setattr(s *vfs.SetAttr) error {
	cg := d.cg
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	if s.Mask&vfs.SetSize != 0 {
		return vfs.EISDIR
	}
	setattr(s, &cg.mode, &cg.uid, &cg.gid, &cg.atime, &cg.mtime, &cg.ctime)
	return nil
}

func (d *dirInode) Lookup(name string) (vfs.Inode, error) {
	cg := d.cg
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	if cg.dead {
		return nil, vfs.ENOENT
	}
	if c := cg.children[name]; c != nil {
		return c.dir(), nil
	}
	if s := cg.fileSpec(name); s != nil {
		return cg.fileInode(s), nil
	}
	return nil, vfs.ENOENT
}

// fileInode returns the inode of spec's file, giving it a new inode number
// and its default attributes when the file (re)appeared. h.mu is held.
func (cg *Cgroup) fileInode(s *fileSpec) *fileInode {
	in := cg.files[s.name]
	if in == nil {
		in = &fileInode{cg: cg, spec: s}
		cg.files[s.name] = in
		in.fresh()
	} else if g := cg.gen(s); in.gen != g {
		in.fresh()
	}
	return in
}

// Create is EACCES: kernfs directories have no create operation.
func (d *dirInode) Create(string, vfs.CreateOpts) (vfs.Inode, error) { return nil, vfs.EACCES }

// Mkdir creates a child cgroup (cgroup_mkdir) with the mode and owner of o.
func (d *dirInode) Mkdir(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	cg := d.cg
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	if cg.children[name] != nil || cg.fileSpec(name) != nil {
		return nil, vfs.EEXIST
	}
	c, err := cg.mkdir(name, vfs.ModeDir|o.Mode&0o7777, o.UID, o.GID)
	if err != nil {
		return nil, err
	}
	return c.dir(), nil
}

// Mknod, Symlink, Link and Unlink are EPERM: kernfs directories have none
// of those operations.
func (d *dirInode) Mknod(string, vfs.CreateOpts) (vfs.Inode, error) { return nil, vfs.EPERM }

func (d *dirInode) Symlink(string, string, vfs.CreateOpts) (vfs.Inode, error) {
	return nil, vfs.EPERM
}

func (d *dirInode) Link(string, vfs.Inode) error { return vfs.EPERM }

func (d *dirInode) Unlink(string) error { return vfs.EPERM }

// Rmdir removes a child cgroup (cgroup_rmdir): EBUSY while it has
// processes or children, ENOTDIR for an interface file.
func (d *dirInode) Rmdir(name string) error {
	cg := d.cg
	cg.h.mu.Lock()
	defer cg.h.mu.Unlock()
	c := cg.children[name]
	if c == nil {
		if cg.fileSpec(name) != nil {
			return vfs.ENOTDIR
		}
		return vfs.ENOENT
	}
	return c.rmdir()
}

// Rename is EPERM: cgroup2 cgroups cannot be renamed (kernfs without a
// rename operation).
func (d *dirInode) Rename(_ string, _ vfs.Inode, _ string, flags uint32) error {
	return vfs.EPERM
}

func (d *dirInode) Readlink() (string, error) { return "", vfs.EINVAL }

func (d *dirInode) Open(flags int) (vfs.File, error) {
	acc := flags & vfs.O_ACCMODE
	if flags&vfs.O_PATH == 0 && (acc == vfs.O_WRONLY || acc == vfs.O_RDWR) {
		return nil, vfs.EISDIR
	}
	return &dirFile{cg: d.cg}, nil
}

func (d *dirInode) Getxattr(name string) ([]byte, error) {
	return getxattr(d.cg.h, &d.cg.xattrs, name)
}

func (d *dirInode) Setxattr(name string, value []byte, flags int) error {
	return setxattr(d.cg.h, &d.cg.xattrs, name, value, flags)
}

func (d *dirInode) Listxattr() ([]string, error) { return listxattr(d.cg.h, d.cg.xattrs), nil }

func (d *dirInode) Removexattr(name string) error {
	return removexattr(d.cg.h, d.cg.xattrs, name)
}

// dirFile is an open cgroup directory.
type dirFile struct{ cg *Cgroup }

func (f *dirFile) ReadAt([]byte, int64) (int, error) { return 0, vfs.EISDIR }

func (f *dirFile) WriteAt([]byte, int64) (int, error) { return 0, vfs.EISDIR }

// ReadDir lists the interface files (cookies 2 upwards, in file-table
// order) and then the child cgroups (cookies above 1<<32, in creation
// order). A removed cgroup lists nothing.
func (f *dirFile) ReadDir(cookie uint64, emit func(vfs.DirEntry) bool) error {
	cg := f.cg
	cg.h.mu.Lock()
	var ents []vfs.DirEntry
	if !cg.dead {
		for _, s := range specs {
			pos := uint64(2 + s.index)
			if pos >= cookie && cg.present(s) {
				ents = append(ents, vfs.DirEntry{Name: s.name, Ino: cg.fileInode(s).ino, Type: vfs.ModeRegular, Next: pos + 1})
			}
		}
		for _, c := range cg.sortedChildren() {
			pos := uint64(1)<<32 + c.serial
			if pos >= cookie {
				ents = append(ents, vfs.DirEntry{Name: c.name, Ino: c.ino, Type: vfs.ModeDir, Next: pos + 1})
			}
		}
	}
	cg.h.mu.Unlock()
	for _, e := range ents {
		if !emit(e) {
			break
		}
	}
	return nil
}

func (f *dirFile) Sync() error  { return nil }
func (f *dirFile) Close() error { return nil }

// fileInode is an interface file of a cgroup. It stays the same object
// while the cgroup exists, so that cached dentries keep working; while the
// file is absent (its controller disabled) it answers ENOENT.
type fileInode struct {
	cg       *Cgroup
	spec     *fileSpec
	gen      uint64
	ino      uint64
	mode     vfs.Mode
	uid, gid uint32
	atime    vfs.Timespec
	mtime    vfs.Timespec
	ctime    vfs.Timespec
	xattrs   map[string][]byte
}

// fresh gives the file a new identity, as a newly created kernfs node.
func (in *fileInode) fresh() {
	cg := in.cg
	in.gen = cg.gen(in.spec)
	in.ino = cg.h.ino()
	in.mode = vfs.ModeRegular | vfs.Mode(in.spec.mode())
	in.uid, in.gid = cg.uid, cg.gid
	now := vfs.TimespecOf(cg.h.now())
	in.atime, in.mtime, in.ctime = now, now, now
	in.xattrs = nil
}

func (in *fileInode) Getattr() (vfs.Attr, error) {
	h := in.cg.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if !in.cg.present(in.spec) {
		return vfs.Attr{}, vfs.ENOENT
	}
	in = in.cg.fileInode(in.spec)
	return vfs.Attr{Ino: in.ino, Mode: in.mode, Nlink: 1, UID: in.uid, GID: in.gid,
		Blksize: pageSize, Atime: in.atime, Mtime: in.mtime, Ctime: in.ctime}, nil
}

func (in *fileInode) Setattr(s *vfs.SetAttr) error {
	h := in.cg.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if !in.cg.present(in.spec) {
		return vfs.ENOENT
	}
	in = in.cg.fileInode(in.spec)
	setattr(s, &in.mode, &in.uid, &in.gid, &in.atime, &in.mtime, &in.ctime)
	return nil
}

func (in *fileInode) Lookup(string) (vfs.Inode, error) { return nil, vfs.ENOTDIR }

func (in *fileInode) Create(string, vfs.CreateOpts) (vfs.Inode, error) { return nil, vfs.ENOTDIR }

func (in *fileInode) Mkdir(string, vfs.CreateOpts) (vfs.Inode, error) { return nil, vfs.ENOTDIR }

func (in *fileInode) Mknod(string, vfs.CreateOpts) (vfs.Inode, error) { return nil, vfs.ENOTDIR }

func (in *fileInode) Symlink(string, string, vfs.CreateOpts) (vfs.Inode, error) {
	return nil, vfs.ENOTDIR
}

func (in *fileInode) Link(string, vfs.Inode) error { return vfs.ENOTDIR }

func (in *fileInode) Unlink(string) error { return vfs.ENOTDIR }

func (in *fileInode) Rmdir(string) error { return vfs.ENOTDIR }

func (in *fileInode) Rename(string, vfs.Inode, string, uint32) error { return vfs.ENOTDIR }

func (in *fileInode) Readlink() (string, error) { return "", vfs.EINVAL }

// Open opens the interface file: ENOENT when it is absent now, ENOTDIR
// for O_DIRECTORY.
func (in *fileInode) Open(flags int) (vfs.File, error) {
	h := in.cg.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if !in.cg.present(in.spec) {
		return nil, vfs.ENOENT
	}
	if flags&vfs.O_DIRECTORY != 0 {
		return nil, vfs.ENOTDIR
	}
	in = in.cg.fileInode(in.spec)
	return &file{in: in, flags: flags, gen: in.gen}, nil
}

func (in *fileInode) Getxattr(name string) ([]byte, error) {
	return getxattr(in.cg.h, &in.xattrs, name)
}

func (in *fileInode) Setxattr(name string, value []byte, flags int) error {
	return setxattr(in.cg.h, &in.xattrs, name, value, flags)
}

func (in *fileInode) Listxattr() ([]string, error) { return listxattr(in.cg.h, in.xattrs), nil }

func (in *fileInode) Removexattr(name string) error {
	return removexattr(in.cg.h, in.xattrs, name)
}

// file is an open interface file: Linux's kernfs_open_file with its
// cgroup_file_ctx (the pressure trigger, the memory.peak watermark).
type file struct {
	in        *fileInode
	flags     int
	gen       uint64
	closed    bool
	trigger   bool
	peakReset bool
	peak      uint64
}

// live reports whether the file opened is still the one in the directory.
// h.mu is held.
func (f *file) live() bool {
	return !f.closed && f.in.cg.present(f.in.spec) && f.in.cg.gen(f.in.spec) == f.gen
}

func (f *file) canRead() bool {
	acc := f.flags & vfs.O_ACCMODE
	return f.flags&vfs.O_PATH == 0 && (acc == vfs.O_RDONLY || acc == vfs.O_RDWR)
}

func (f *file) canWrite() bool {
	acc := f.flags & vfs.O_ACCMODE
	return f.flags&vfs.O_PATH == 0 && (acc == vfs.O_WRONLY || acc == vfs.O_RDWR)
}

// ReadAt renders the file's content afresh and reads it at off, as a
// seq_file read: ENODEV when the file went away since it was opened, EINVAL
// for a write-only file and for the errors of the file's show (cgroup.procs
// of a threaded cgroup: EOPNOTSUPP).
func (f *file) ReadAt(p []byte, off int64) (int, error) {
	h := f.in.cg.h
	h.mu.Lock()
	switch {
	case f.closed || !f.canRead():
		h.mu.Unlock()
		return 0, vfs.EBADF
	case off < 0:
		h.mu.Unlock()
		return 0, vfs.EINVAL
	case !f.live():
		h.mu.Unlock()
		return 0, vfs.ENODEV
	case f.in.spec.show == nil:
		h.mu.Unlock()
		return 0, vfs.EINVAL
	}
	s, err := f.in.spec.show(f.in.cg, f)
	h.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if off >= int64(len(s)) {
		return 0, nil
	}
	return copy(p, s[off:]), nil
}

// WriteAt is write(2) of the interface file; off does not matter.
func (f *file) WriteAt(p []byte, _ int64) (int, error) {
	cg := f.in.cg
	h := cg.h
	h.mu.Lock()
	if f.closed || !f.canWrite() {
		h.mu.Unlock()
		return 0, vfs.EBADF
	}
	n, kill, err := cg.writeLocked(f, p)
	h.mu.Unlock()
	h.runKill(kill)
	return n, err
}

func (f *file) ReadDir(uint64, func(vfs.DirEntry) bool) error { return vfs.ENOTDIR }

func (f *file) Sync() error { return nil }

func (f *file) Close() error {
	h := f.in.cg.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if f.closed {
		return vfs.EBADF
	}
	f.closed = true
	delete(f.in.cg.peakWatchers, f)
	return nil
}

// Extended attributes: kernfs keeps trusted., security. and user.
// attributes in memory.
var xattrPrefixes = []string{"security.", "trusted.", "user."}

func xattrOK(name string) error {
	for _, p := range xattrPrefixes {
		if strings.HasPrefix(name, p) {
			if len(name) == len(p) {
				return vfs.EINVAL
			}
			return nil
		}
	}
	return vfs.EOPNOTSUPP
}

func getxattr(h *Hierarchy, m *map[string][]byte, name string) ([]byte, error) {
	if err := xattrOK(name); err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := (*m)[name]
	if !ok {
		return nil, vfs.ENODATA
	}
	return append([]byte(nil), v...), nil
}

func setxattr(h *Hierarchy, m *map[string][]byte, name string, value []byte, flags int) error {
	if err := xattrOK(name); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, exists := (*m)[name]
	switch {
	case flags&vfs.XATTR_CREATE != 0 && exists:
		return vfs.EEXIST
	case flags&vfs.XATTR_REPLACE != 0 && !exists:
		return vfs.ENODATA
	}
	if *m == nil {
		*m = map[string][]byte{}
	}
	(*m)[name] = append([]byte(nil), value...)
	return nil
}

func listxattr(h *Hierarchy, m map[string][]byte) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func removexattr(h *Hierarchy, m map[string][]byte, name string) error {
	if err := xattrOK(name); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := m[name]; !ok {
		return vfs.ENODATA
	}
	delete(m, name)
	return nil
}
