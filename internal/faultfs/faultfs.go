// Package faultfs wraps a vfs.Filesystem so that a chosen operation fails:
// a fault-injecting backend for crash and error-path tests.
//
// Every call of an Inode or File method of the wrapped filesystem is one
// operation, counted in call order. FailAt(n, errno) makes the n-th
// operation counted from then on fail with errno instead of reaching the
// backend (nothing of it happens); the operations after it run normally.
// A filter limits which operations count (Mutating counts those that
// change the filesystem), so that a test can walk a fault through every
// step of one system call: fail the 1st, the 2nd, ... until the call
// succeeds with no fault left unused.
//
// The wrapper keeps the identity of inodes (the same backend inode is
// always the same wrapper), which the vfs layer relies on, and passes
// vfs.Pinner through. It does not wrap Reconfigurer or Releaser.
package faultfs

import (
	"sync"

	"github.com/mountkit/mountkit/vfs"
)

// Op names an operation: the method name ("Create", "WriteAt", ...).
type Op string

// Mutating reports whether op changes the filesystem.
func Mutating(op Op) bool {
	switch op {
	case "Setattr", "Create", "Mkdir", "Mknod", "Symlink", "Link", "Unlink", "Rmdir",
		"Rename", "WriteAt", "Sync", "Setxattr", "Removexattr":
		return true
	}
	return false
}

// FS is a vfs.Filesystem whose operations can be made to fail.
type FS struct {
	inner vfs.Filesystem

	mu      sync.Mutex
	filter  func(Op) bool
	counted int64 // operations counted since the last FailAt
	failAt  int64 // 0: no fault armed
	errno   vfs.Errno
	fired   bool
	log     []Op // counted operations, when logging

	wrappers sync.Map // vfs.Inode -> *inode
}

// New wraps inner; no fault is armed and every operation counts.
func New(inner vfs.Filesystem) *FS { return &FS{inner: inner} }

// Inner returns the wrapped filesystem.
func (f *FS) Inner() vfs.Filesystem { return f.inner }

// SetFilter makes only the operations for which count returns true count
// (nil: all of them).
func (f *FS) SetFilter(count func(Op) bool) {
	f.mu.Lock()
	f.filter = count
	f.mu.Unlock()
}

// FailAt arms a fault: the n-th operation counted from now (1 is the
// next) fails with errno. n of 0 disarms.
func (f *FS) FailAt(n int64, errno vfs.Errno) {
	f.mu.Lock()
	f.counted, f.failAt, f.errno, f.fired, f.log = 0, n, errno, false, nil
	f.mu.Unlock()
}

// Fired reports whether the armed fault has happened.
func (f *FS) Fired() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// Counted returns the operations counted since FailAt, in order.
func (f *FS) Counted() []Op {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Op(nil), f.log...)
}

// step counts op and reports the fault to return, if it is the one.
func (f *FS) step(op Op) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.filter != nil && !f.filter(op) {
		return nil
	}
	f.counted++
	f.log = append(f.log, op)
	if f.failAt != 0 && f.counted == f.failAt {
		f.fired = true
		return f.errno
	}
	return nil
}

// wrap returns the wrapper of in, the same one every time.
func (f *FS) wrap(in vfs.Inode) vfs.Inode {
	if in == nil {
		return nil
	}
	if w, ok := f.wrappers.Load(in); ok {
		return w.(vfs.Inode)
	}
	var w vfs.Inode = &inode{fs: f, in: in}
	if p, ok := in.(vfs.Pinner); ok {
		w = &pinned{inode: w.(*inode), p: p}
	}
	actual, _ := f.wrappers.LoadOrStore(in, w)
	return actual.(vfs.Inode)
}

// unwrap returns the backend inode of a wrapper of f (or in itself).
func (f *FS) unwrap(in vfs.Inode) vfs.Inode {
	switch w := in.(type) {
	case *inode:
		return w.in
	case *pinned:
		return w.in
	}
	return in
}

// Root returns the wrapped root directory.
func (f *FS) Root() vfs.Inode { return f.wrap(f.inner.Root()) }

// Type returns the backend's type name.
func (f *FS) Type() string { return f.inner.Type() }

// Statfs reports the backend's usage.
func (f *FS) Statfs() (vfs.Statfs, error) { return f.inner.Statfs() }

// Options returns the backend's super options.
func (f *FS) Options() string { return f.inner.Options() }

type inode struct {
	fs *FS
	in vfs.Inode
}

type pinned struct {
	*inode
	p vfs.Pinner
}

func (p *pinned) Pin()   { p.p.Pin() }
func (p *pinned) Unpin() { p.p.Unpin() }

func (i *inode) Getattr() (vfs.Attr, error) {
	if err := i.fs.step("Getattr"); err != nil {
		return vfs.Attr{}, err
	}
	return i.in.Getattr()
}

func (i *inode) Setattr(s *vfs.SetAttr) error {
	if err := i.fs.step("Setattr"); err != nil {
		return err
	}
	return i.in.Setattr(s)
}

func (i *inode) made(in vfs.Inode, err error) (vfs.Inode, error) {
	if err != nil {
		return nil, err
	}
	return i.fs.wrap(in), nil
}

func (i *inode) Lookup(name string) (vfs.Inode, error) {
	if err := i.fs.step("Lookup"); err != nil {
		return nil, err
	}
	return i.made(i.in.Lookup(name))
}

func (i *inode) Create(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	if err := i.fs.step("Create"); err != nil {
		return nil, err
	}
	return i.made(i.in.Create(name, o))
}

func (i *inode) Mkdir(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	if err := i.fs.step("Mkdir"); err != nil {
		return nil, err
	}
	return i.made(i.in.Mkdir(name, o))
}

func (i *inode) Mknod(name string, o vfs.CreateOpts) (vfs.Inode, error) {
	if err := i.fs.step("Mknod"); err != nil {
		return nil, err
	}
	return i.made(i.in.Mknod(name, o))
}

func (i *inode) Symlink(name, target string, o vfs.CreateOpts) (vfs.Inode, error) {
	if err := i.fs.step("Symlink"); err != nil {
		return nil, err
	}
	return i.made(i.in.Symlink(name, target, o))
}

func (i *inode) Link(name string, target vfs.Inode) error {
	if err := i.fs.step("Link"); err != nil {
		return err
	}
	return i.in.Link(name, i.fs.unwrap(target))
}

func (i *inode) Unlink(name string) error {
	if err := i.fs.step("Unlink"); err != nil {
		return err
	}
	return i.in.Unlink(name)
}

func (i *inode) Rmdir(name string) error {
	if err := i.fs.step("Rmdir"); err != nil {
		return err
	}
	return i.in.Rmdir(name)
}

func (i *inode) Rename(oldName string, newDir vfs.Inode, newName string, flags uint32) error {
	if err := i.fs.step("Rename"); err != nil {
		return err
	}
	return i.in.Rename(oldName, i.fs.unwrap(newDir), newName, flags)
}

func (i *inode) Readlink() (string, error) {
	if err := i.fs.step("Readlink"); err != nil {
		return "", err
	}
	return i.in.Readlink()
}

func (i *inode) Open(flags int) (vfs.File, error) {
	if err := i.fs.step("Open"); err != nil {
		return nil, err
	}
	f, err := i.in.Open(flags)
	if err != nil {
		return nil, err
	}
	return &file{fs: i.fs, in: f}, nil
}

func (i *inode) Getxattr(name string) ([]byte, error) {
	if err := i.fs.step("Getxattr"); err != nil {
		return nil, err
	}
	return i.in.Getxattr(name)
}

func (i *inode) Setxattr(name string, value []byte, flags int) error {
	if err := i.fs.step("Setxattr"); err != nil {
		return err
	}
	return i.in.Setxattr(name, value, flags)
}

func (i *inode) Listxattr() ([]string, error) {
	if err := i.fs.step("Listxattr"); err != nil {
		return nil, err
	}
	return i.in.Listxattr()
}

func (i *inode) Removexattr(name string) error {
	if err := i.fs.step("Removexattr"); err != nil {
		return err
	}
	return i.in.Removexattr(name)
}

type file struct {
	fs *FS
	in vfs.File
}

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if err := f.fs.step("ReadAt"); err != nil {
		return 0, err
	}
	return f.in.ReadAt(p, off)
}

func (f *file) WriteAt(p []byte, off int64) (int, error) {
	if err := f.fs.step("WriteAt"); err != nil {
		return 0, err
	}
	return f.in.WriteAt(p, off)
}

func (f *file) ReadDir(cookie uint64, emit func(vfs.DirEntry) bool) error {
	if err := f.fs.step("ReadDir"); err != nil {
		return err
	}
	return f.in.ReadDir(cookie, emit)
}

func (f *file) Sync() error {
	if err := f.fs.step("Sync"); err != nil {
		return err
	}
	return f.in.Sync()
}

// Close always reaches the backend: a file is released whatever happens.
func (f *file) Close() error { return f.in.Close() }
