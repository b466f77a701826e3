package vfs

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// testFS is a tiny map-based backend, just enough to exercise the dentry
// layer: it keeps link counts as Linux does, logs the directory operations
// it is asked for and can be told to fail the next call of an operation.
type testFS struct {
	mu      sync.Mutex // guards every inode's state and the fields below
	root    *testInode
	nextIno uint64
	calls   []string         // "Op name" for each directory operation
	fail    map[string]error // op → error returned by its next call
	lookups map[string]int   // name → backend Lookup calls
	flags   uint32           // flags of the last Rename
}

type testInode struct {
	fs       *testFS
	attr     Attr
	children map[string]*testInode // directories only
	target   string                // symlinks only

	pins, pinCalls, unpinCalls atomic.Int32
}

var testDevs atomic.Uint32

func newTestFS() *testFS {
	fs := &testFS{fail: map[string]error{}, lookups: map[string]int{}}
	fs.root = fs.newInode(CreateOpts{Mode: ModeDir | 0o755})
	return fs
}

// newTestSB returns a superblock over a fresh testFS with its own device.
func newTestSB(t testing.TB) (*Superblock, *testFS) {
	t.Helper()
	fs := newTestFS()
	return NewSuperblock(fs, Mkdev(0, testDevs.Add(1)), 0), fs
}

func (fs *testFS) Root() Inode             { return fs.root }
func (fs *testFS) Type() string            { return "testfs" }
func (fs *testFS) Statfs() (Statfs, error) { return Statfs{Type: 0x7e57, Namelen: NameMax}, nil }
func (fs *testFS) Options() string         { return "" }

// failNext makes the next call of op fail with err.
func (fs *testFS) failNext(op string, err error) {
	fs.mu.Lock()
	fs.fail[op] = err
	fs.mu.Unlock()
}

// callLog returns and clears the operations logged so far.
func (fs *testFS) callLog() []string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	c := fs.calls
	fs.calls = nil
	return c
}

func (fs *testFS) lookupCount(name string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.lookups[name]
}

// begin logs op and returns the injected failure, if any. fs.mu is held.
func (fs *testFS) begin(op, name string) error {
	fs.calls = append(fs.calls, op+" "+name)
	if err, ok := fs.fail[op]; ok {
		delete(fs.fail, op)
		return err
	}
	return nil
}

// newInode makes an inode; fs.mu is held (or fs is not yet shared).
func (fs *testFS) newInode(o CreateOpts) *testInode {
	fs.nextIno++
	ino := &testInode{fs: fs, attr: Attr{Ino: fs.nextIno, Mode: o.Mode, Nlink: 1, UID: o.UID, GID: o.GID, Rdev: o.Rdev}}
	if o.Mode.IsDir() {
		ino.attr.Nlink = 2
		ino.children = map[string]*testInode{}
	}
	return ino
}

func (i *testInode) isDir() bool { return i.attr.Mode.IsDir() }

func (i *testInode) Getattr() (Attr, error) {
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	return i.attr, nil
}

func (i *testInode) Setattr(s *SetAttr) error {
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	if s.Mask&SetMode != 0 {
		i.attr.Mode = i.attr.Mode.Type() | s.Mode.Perm()
	}
	if s.Mask&SetSize != 0 {
		i.attr.Size = s.Size
	}
	return nil
}

func (i *testInode) Lookup(name string) (Inode, error) {
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	i.fs.lookups[name]++
	if err := i.fs.begin("Lookup", name); err != nil {
		return nil, err
	}
	if !i.isDir() {
		return nil, ENOTDIR
	}
	if c, ok := i.children[name]; ok {
		return c, nil
	}
	return nil, ENOENT
}

func (i *testInode) make(op, name string, o CreateOpts, want Mode) (Inode, error) {
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	if err := i.fs.begin(op, name); err != nil {
		return nil, err
	}
	if !i.isDir() {
		return nil, ENOTDIR
	}
	if _, ok := i.children[name]; ok {
		return nil, EEXIST
	}
	if want != 0 && o.Mode.Type() != want {
		return nil, EINVAL
	}
	c := i.fs.newInode(o)
	i.children[name] = c
	if c.isDir() {
		i.attr.Nlink++
	}
	return c, nil
}

func (i *testInode) Create(name string, o CreateOpts) (Inode, error) {
	return i.make("Create", name, o, ModeRegular)
}

func (i *testInode) Mkdir(name string, o CreateOpts) (Inode, error) {
	return i.make("Mkdir", name, o, ModeDir)
}

func (i *testInode) Mknod(name string, o CreateOpts) (Inode, error) {
	switch o.Mode.Type() {
	case ModeCharDevice, ModeBlockDevice, ModeFIFO, ModeSocket:
		return i.make("Mknod", name, o, 0)
	}
	return nil, EINVAL
}

func (i *testInode) Symlink(name, target string, o CreateOpts) (Inode, error) {
	ino, err := i.make("Symlink", name, CreateOpts{Mode: ModeSymlink | 0o777, UID: o.UID, GID: o.GID}, ModeSymlink)
	if err == nil {
		i.fs.mu.Lock()
		ino.(*testInode).target = target
		ino.(*testInode).attr.Size = int64(len(target))
		i.fs.mu.Unlock()
	}
	return ino, err
}

func (i *testInode) Link(name string, target Inode) error {
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	if err := i.fs.begin("Link", name); err != nil {
		return err
	}
	t := target.(*testInode)
	switch {
	case !i.isDir():
		return ENOTDIR
	case t.isDir():
		return EPERM
	case i.children[name] != nil:
		return EEXIST
	}
	i.children[name] = t
	t.attr.Nlink++
	return nil
}

func (i *testInode) Unlink(name string) error {
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	if err := i.fs.begin("Unlink", name); err != nil {
		return err
	}
	c, ok := i.children[name]
	switch {
	case !ok:
		return ENOENT
	case c.isDir():
		return EISDIR
	}
	delete(i.children, name)
	c.attr.Nlink--
	return nil
}

func (i *testInode) Rmdir(name string) error {
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	if err := i.fs.begin("Rmdir", name); err != nil {
		return err
	}
	c, ok := i.children[name]
	switch {
	case !ok:
		return ENOENT
	case !c.isDir():
		return ENOTDIR
	case len(c.children) != 0:
		return ENOTEMPTY
	}
	delete(i.children, name)
	c.attr.Nlink = 0
	i.attr.Nlink--
	return nil
}

func (i *testInode) Rename(oldName string, newDir Inode, newName string, flags uint32) error {
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	if err := i.fs.begin("Rename", oldName+" "+newName); err != nil {
		return err
	}
	i.fs.flags = flags
	nd := newDir.(*testInode)
	src, ok := i.children[oldName]
	if !ok {
		return ENOENT
	}
	dst := nd.children[newName]
	if flags&RENAME_EXCHANGE != 0 {
		if dst == nil {
			return ENOENT
		}
		i.children[oldName], nd.children[newName] = dst, src
		if src.isDir() != dst.isDir() && i != nd {
			if src.isDir() {
				i.attr.Nlink--
				nd.attr.Nlink++
			} else {
				i.attr.Nlink++
				nd.attr.Nlink--
			}
		}
		return nil
	}
	if dst != nil {
		if dst.isDir() {
			if len(dst.children) != 0 {
				return ENOTEMPTY
			}
			dst.attr.Nlink = 0
			nd.attr.Nlink--
		} else {
			dst.attr.Nlink--
		}
	}
	delete(i.children, oldName)
	nd.children[newName] = src
	if src.isDir() {
		i.attr.Nlink--
		nd.attr.Nlink++
	}
	return nil
}

func (i *testInode) Readlink() (string, error) {
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	if !i.attr.Mode.IsSymlink() {
		return "", EINVAL
	}
	return i.target, nil
}

func (i *testInode) Open(flags int) (File, error)                        { return nil, EOPNOTSUPP }
func (i *testInode) Getxattr(name string) ([]byte, error)                { return nil, ENODATA }
func (i *testInode) Setxattr(name string, value []byte, flags int) error { return EOPNOTSUPP }
func (i *testInode) Listxattr() ([]string, error)                        { return nil, nil }
func (i *testInode) Removexattr(name string) error                       { return ENODATA }

// Pin and Unpin count: the vfs layer pins once per held dentry, so an
// inode with two held names is pinned twice.
func (i *testInode) Pin() {
	i.pinCalls.Add(1)
	i.pins.Add(1)
}

func (i *testInode) Unpin() {
	i.unpinCalls.Add(1)
	if i.pins.Add(-1) < 0 {
		panic(fmt.Sprintf("inode %d unpinned more than pinned", i.attr.Ino))
	}
}

func (i *testInode) nlink() uint32 {
	a, _ := i.Getattr()
	return a.Nlink
}

var (
	_ Filesystem = (*testFS)(nil)
	_ Inode      = (*testInode)(nil)
	_ Pinner     = (*testInode)(nil)
)
