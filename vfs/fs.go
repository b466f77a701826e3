package vfs

import "io"

// Filesystem is one instance of a filesystem: Linux's super_block as a
// backend sees it. A filesystem type creates it from a mount's source,
// flags and data; the mount layer wraps it in a Superblock.
//
// A Filesystem knows nothing of where it is mounted.
type Filesystem interface {
	// Root returns the root directory.
	Root() Inode
	// Type returns the filesystem type name shown in mountinfo ("tmpfs").
	Type() string
	// Statfs reports usage.
	Statfs() (Statfs, error)
	// Options returns the filesystem's own super options for mountinfo,
	// comma separated, as its show_options would print them ("size=1024k").
	// The generic ones (rw/ro, sync, dirsync, lazytime) are not included.
	Options() string
}

// Reconfigurer is implemented by a Filesystem that accepts a remount
// (MS_REMOUNT) with new data. Reconfigure validates data first and changes
// nothing when it returns an error.
type Reconfigurer interface {
	Reconfigure(data string) error
}

// FlagReconfigurer is implemented by a Filesystem whose remount depends
// on the superblock flags asked for as well as on the data (Linux's
// reconfigure sees both): an overlay without an upper layer refuses to
// become read-write (EROFS). ReconfigureFlags is called where Reconfigure
// would be, with the SB_* flags the superblock is to take, instead of it.
type FlagReconfigurer interface {
	ReconfigureFlags(data string, sbFlags uint32) error
}

// ReconfigureParser is implemented by a Reconfigurer that can check a
// remount's data without applying it. Linux parses the data before it
// checks whether the superblock may become read-only, so a malformed
// option is EINVAL even where the remount would be EBUSY.
type ReconfigureParser interface {
	ParseReconfigure(data string) error
}

// Releaser is implemented by a Filesystem that wants to know when its last
// mount is gone (Linux's kill_sb); it may flush and free its state.
type Releaser interface {
	Release() error
}

// Inode is a file of a backend. The vfs layer reaches inodes through
// dentries (see Dentry), checks permissions, read-only state and the
// generic rules of each operation, and then calls the Inode.
//
// Methods that make no sense for an inode's type return ENOTDIR (directory
// operations on a non-directory), EINVAL (Readlink on a non-symlink) or
// EPERM. Directory-changing methods are called with the directory's
// dentry lock held, so a backend sees at most one of them at a time per
// directory (and for Rename, the superblock's rename lock is held as well);
// everything else may be called concurrently.
type Inode interface {
	// Getattr returns the inode's attributes.
	Getattr() (Attr, error)
	// Setattr changes attributes; see SetAttr.
	Setattr(s *SetAttr) error

	// Lookup returns the child called name, or ENOENT.
	Lookup(name string) (Inode, error)
	// Create makes a regular file; EEXIST if name exists.
	Create(name string, o CreateOpts) (Inode, error)
	// Mkdir makes a directory; EEXIST if name exists.
	Mkdir(name string, o CreateOpts) (Inode, error)
	// Mknod makes a device node, FIFO or socket from o.Mode and o.Rdev.
	Mknod(name string, o CreateOpts) (Inode, error)
	// Symlink makes a symbolic link to target.
	Symlink(name, target string, o CreateOpts) (Inode, error)
	// Link gives the existing non-directory target the extra name name.
	Link(name string, target Inode) error
	// Unlink removes the non-directory name.
	Unlink(name string) error
	// Rmdir removes the empty directory name; ENOTEMPTY otherwise.
	Rmdir(name string) error
	// Rename moves oldName in this directory to newName in newDir, which
	// belongs to the same filesystem. The caller has checked the type
	// rules (EISDIR, ENOTDIR), the ancestry rules and the flags against
	// the dentries; the backend checks that a replaced directory is empty
	// and performs the move (or the exchange, with RENAME_EXCHANGE).
	Rename(oldName string, newDir Inode, newName string, flags uint32) error
	// Readlink returns a symbolic link's target.
	Readlink() (string, error)

	// Open opens the inode; flags are the open(2) flags less O_CREAT,
	// O_EXCL and O_NOFOLLOW, and with O_TRUNC already applied.
	Open(flags int) (File, error)

	// Getxattr returns an extended attribute's value, or ENODATA.
	Getxattr(name string) ([]byte, error)
	// Setxattr sets an extended attribute; flags is 0, XATTR_CREATE or
	// XATTR_REPLACE.
	Setxattr(name string, value []byte, flags int) error
	// Listxattr returns the names of the extended attributes.
	Listxattr() ([]string, error)
	// Removexattr removes an extended attribute, or fails with ENODATA.
	Removexattr(name string) error
}

// AttrInto is implemented by an Inode that can store its attributes in
// place: GetattrInto(a) is Getattr with the result in *a, which it must
// not retain. A stat into a caller's buffer then copies the attributes
// once, from the inode into the buffer.
type AttrInto interface {
	GetattrInto(a *Attr) error
}

// Pinner is implemented by an Inode whose storage must outlive its last
// link while the vfs layer still holds it. Pin is called when the first
// holder (an open file, a working directory, a root, a mount rooted at
// it) takes one of its dentries and Unpin when the last lets go; an inode
// with no link left and no pin may be freed.
type Pinner interface {
	Pin()
	Unpin()
}

// File is an open file of a backend.
type File interface {
	// ReadAt reads at off as pread(2) does: a short count at end of file,
	// 0 and no error at or past it. EISDIR for a directory.
	ReadAt(p []byte, off int64) (int, error)
	// WriteAt writes at off as pwrite(2) does, except that a file opened
	// with O_APPEND writes at its end whatever off is.
	WriteAt(p []byte, off int64) (int, error)
	// ReadDir calls emit for the directory's entries from cookie on, in a
	// stable order, until emit returns false or the entries run out. The
	// vfs layer synthesises "." and ".." at cookies 0 and 1, so a backend
	// starts at cookie 2 and leaves those two names out. Cookies stay
	// valid across changes to the directory. ENOTDIR for a non-directory.
	ReadDir(cookie uint64, emit func(DirEntry) bool) error
	// Sync flushes the file's data and metadata (fsync).
	Sync() error
	// Close releases the file.
	Close() error
}

// MountRequest is what a filesystem type is given to make a filesystem
// for mount(2). A filesystem type may add MS_RDONLY (1) to Flags to make
// the new superblock read-only whatever the caller asked (Linux's fill_super
// setting SB_RDONLY, as overlay does without an upper layer); the mount's
// own flags stay those of the call.
type MountRequest struct {
	Source string // the source string, "" when NULL
	Flags  uint64 // the mount(2) flags (MS_*)
	Data   string // the mount data, "" when NULL
	Cred   *Cred  // the mounting process's credentials
	// Lookup resolves path as the mounting process would, following
	// symbolic links; filesystems whose source or options name files
	// (a block device, overlay's layers) use it.
	Lookup func(path string) (*Dentry, error)
	// LookupMount is Lookup that also reports the mount the path ends
	// on, for filesystems built from directories of other mounts
	// (overlay's layers). It may be nil (a request made by hand); the
	// mount layer always sets it.
	LookupMount func(path string) (MountedDentry, error)
	// GetTreeBdev is set for a filesystem type registered as requiring a
	// block device; it is Linux's get_tree_bdev, which such a type calls
	// once it has parsed Data. It resolves Source to a block device
	// (EINVAL for an empty source, the lookup's error, ENOTBLK for a
	// non-block file, EACCES on a nodev mount, ENXIO for a device with no
	// driver, EIO for a loop device with no file) and returns the
	// Filesystem already mounted from that device (EBUSY when its
	// read-only state differs from Flags' MS_RDONLY or another type has
	// it), or calls fill to read a new one from dev.
	GetTreeBdev func(fill func(dev BlockDevice) (Filesystem, error)) (Filesystem, error)
}

// MountedDentry is a resolved path as a filesystem made from other
// mounts' directories sees it: the dentry, an identity of the mount it
// was reached through and whether writes through that mount are refused.
type MountedDentry struct {
	Dentry *Dentry
	// Mount identifies the mount: two paths resolved on the same mount
	// have equal, non-nil values.
	Mount any
	// ReadOnly reports that the mount or its superblock is read-only
	// (Linux's __mnt_is_readonly).
	ReadOnly bool
	// Hold, when not nil, keeps the dentry's superblock alive as a mount
	// of it would (Linux's clone_private_mount), so that unmounting the
	// mount the path was reached through does not release it. The
	// returned release function drops the hold; it may be called only
	// from the Release method of the filesystem that took the hold (the
	// mount layer calls Release with its mount lock held).
	Hold func() (release func())
}

// BlockDevice is a block device as a filesystem sees it: Linux's
// block_device opened by get_tree_bdev. Reads and writes are at byte
// offsets; a read past Size returns io.EOF and a short count.
type BlockDevice interface {
	io.ReaderAt
	io.WriterAt
	// Size returns the device's capacity in bytes, fixed while it is
	// attached.
	Size() int64
	// Dev returns the device number (7:N for loop device N).
	Dev() uint64
}

// NewFilesystemFunc makes a filesystem for a mount request. It may return
// a Filesystem it returned before (a block device mounted twice, a shared
// cgroup hierarchy); the mount layer then reuses its Superblock.
type NewFilesystemFunc func(req *MountRequest) (Filesystem, error)
