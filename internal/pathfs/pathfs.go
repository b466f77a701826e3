// Package pathfs is a vfs backend over a tree addressed by path names, the
// shape that io/fs and afero filesystems have: the adapters fsbackend and
// aferobackend give it a Tree and export the result.
//
// A path-addressed tree has no inodes, so pathfs keeps one node per name it
// has handed out, with an inode number assigned on first sight and never
// reused, and computes a node's path from its parent chain, so that a
// rename moves a whole subtree at once. Attributes are read from the tree
// on every Getattr; a node whose name was removed keeps its last
// attributes (with nlink 0) for the files still open on it.
//
// Ownership: when the tree's FileInfo.Sys is a *syscall.Stat_t (an
// operating-system directory, on Linux), owner, group, link count, device
// numbers and the three times come from it; otherwise every file belongs
// to uid 0 and gid 0, a chown to any other owner fails with EPERM (as on
// vfat), the link count is 1 and atime and ctime equal mtime.
package pathfs

import (
	"errors"
	"io"
	"io/fs"
	"sync"
	"syscall"
	"time"

	"github.com/mountkit/mountkit/vfs"
)

// Tree is a filesystem addressed by unrooted, slash-separated path names
// as io/fs spells them ("." is the root). Every error is converted with
// Errno. A read-only tree returns EROFS from the methods that change it;
// a tree without symbolic links returns EPERM from Symlink.
type Tree interface {
	// Lstat describes name without following a final symbolic link.
	Lstat(name string) (fs.FileInfo, error)
	// ReadDir lists the directory name.
	ReadDir(name string) ([]fs.DirEntry, error)
	// ReadLink returns the target of the symbolic link name.
	ReadLink(name string) (string, error)
	// Open opens name for reading, writing or both (flag holds only
	// vfs.O_ACCMODE and vfs.O_APPEND bits).
	Open(name string, flag int) (File, error)
	// Create makes the regular file name (failing if it exists).
	Create(name string, perm fs.FileMode) error
	Mkdir(name string, perm fs.FileMode) error
	Symlink(target, name string) error
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// Rename moves oldname to newname, replacing a non-directory there.
	Rename(oldname, newname string) error
	Chmod(name string, mode fs.FileMode) error
	Chown(name string, uid, gid int) error
	Chtimes(name string, atime, mtime time.Time) error
	Truncate(name string, size int64) error
}

// File is an open regular file of a Tree.
type File interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
	Close() error
}

// Errno converts an error of a Tree to the Errno Linux would give:
// a vfs.Errno or syscall.Errno inside it, else the errno of the io/fs
// sentinel it matches, else EIO.
func Errno(err error) vfs.Errno {
	var e vfs.Errno
	if errors.As(err, &e) {
		return e
	}
	var se syscall.Errno
	if errors.As(err, &se) {
		return vfs.Errno(se)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return vfs.ENOENT
	case errors.Is(err, fs.ErrExist):
		return vfs.EEXIST
	case errors.Is(err, fs.ErrPermission):
		return vfs.EACCES
	case errors.Is(err, fs.ErrInvalid):
		return vfs.EINVAL
	case errors.Is(err, fs.ErrClosed):
		return vfs.EBADF
	}
	return vfs.EIO
}

// FS is a vfs.Filesystem over a Tree.
//
// Locking: mu guards every node's parent, name, children and dead fields
// and the inode counter. Tree calls that change the tree run under mu, so
// that the tree and the nodes change together; reads of the tree run
// without it.
type FS struct {
	tree  Tree
	typ   string
	magic int64

	mu      sync.Mutex
	nextIno uint64
	root    *node
}

var _ vfs.Filesystem = (*FS)(nil)

// New returns a filesystem of type typ (the name mountinfo shows) and
// statfs magic number magic over tree.
func New(tree Tree, typ string, magic int64) *FS {
	f := &FS{tree: tree, typ: typ, magic: magic, nextIno: 1}
	f.root = f.newNode(nil, ".", vfs.ModeDir)
	return f
}

// Tree returns the tree f was made over.
func (f *FS) Tree() Tree { return f.tree }

func (f *FS) Root() vfs.Inode { return f.root }
func (f *FS) Type() string    { return f.typ }
func (f *FS) Options() string { return "" }

// Statfs reports the magic number, a 4096-byte block size and NAME_MAX;
// a path-addressed tree knows no usage, so the counts are 0.
func (f *FS) Statfs() (vfs.Statfs, error) {
	return vfs.Statfs{Type: f.magic, Bsize: 4096, Frsize: 4096, Namelen: vfs.NameMax}, nil
}

// newNode makes the node for name in parent. f.mu is held (or f is new).
func (f *FS) newNode(parent *node, name string, typ vfs.Mode) *node {
	n := &node{fs: f, parent: parent, name: name, typ: typ, ino: f.nextIno}
	f.nextIno++
	if typ == vfs.ModeDir {
		n.children = map[string]*node{}
	}
	return n
}

// child returns the node for name in dir, of type typ, making it when
// dir has none or has one of another type. f.mu is held.
func (f *FS) child(dir *node, name string, typ vfs.Mode) *node {
	if c := dir.children[name]; c != nil && c.typ == typ {
		return c
	} else if c != nil {
		c.dead = true
	}
	c := f.newNode(dir, name, typ)
	dir.children[name] = c
	return c
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

// Shared returns a filesystem type whose mounts all share the one
// filesystem newFS makes at the first mount (one superblock, as mounts of
// one block device), whatever their source. The filesystem has no
// options: mount data is EINVAL.
func Shared(newFS func() vfs.Filesystem) vfs.NewFilesystemFunc {
	var once sync.Once
	var f vfs.Filesystem
	return func(req *vfs.MountRequest) (vfs.Filesystem, error) {
		if req.Data != "" {
			return nil, vfs.EINVAL
		}
		once.Do(func() { f = newFS() })
		return f, nil
	}
}
