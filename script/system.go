package script

import "github.com/mountkit/mountkit/vfs"

// A System is a world a script runs in: the library (NewLibrary) or the
// real kernel (the Linux reference runner). The interpreter (Run) parses
// arguments, keeps the process and file-descriptor names, formats the
// output and calls a System only through these typed methods, so that the
// two worlds differ in nothing but their answers.
//
// Every error a method returns is a vfs.Errno (the interpreter prints its
// Name); any other error is a failure of the runner itself and stops the
// script.
type System interface {
	// Init returns the script's first process, named "init", in the world
	// SCRIPT.md describes.
	Init() (Proc, error)
	// Close tears the world down: every process exits, every mount goes.
	Close() error
}

// Str is a string argument that may be a NULL pointer (written `-`).
type Str struct {
	S    string
	Null bool
}

// Stat is what the stat and lstat commands print.
type Stat struct {
	Mode  vfs.Mode // type and permission bits
	Nlink uint32
	Size  int64
}

// DirEntry is one entry the ls command prints.
type DirEntry struct {
	Name string
	Type vfs.Mode // S_IFMT bits
}

// Handle is an open file of a Proc.
type Handle interface{}

// Proc is one process of a script: a mount namespace, a root, a working
// directory, a umask, credentials and open files. Paths are resolved as
// that process would resolve them.
type Proc interface {
	// Fork returns a new process with the same namespace, root, cwd,
	// umask and credentials, and no open files.
	Fork() (Proc, error)
	// Exit ends the process: it closes every Handle it still has open and
	// releases its root and cwd.
	Exit() error
	// Unshare is unshare(CLONE_NEWNS).
	Unshare() error
	// Setcred takes uid and gid as real, effective and saved ids, no
	// supplementary groups, and keeps only caps.
	Setcred(uid, gid uint32, caps vfs.CapSet) error

	Chdir(path string) error
	Fchdir(h Handle) error
	Chroot(path string) error
	Getcwd() (string, error)

	// Open is openat(AT_FDCWD, path, flags|O_NONBLOCK, mode).
	Open(path string, flags int, mode uint32) (Handle, error)
	Close(h Handle) error

	Mkdir(path string, mode uint32) error
	Rmdir(path string) error
	Unlink(path string) error
	Rename(oldpath, newpath string) error
	Symlink(target, path string) error
	Link(oldpath, newpath string) error
	// Mknod makes a node; mode carries the type (S_IFCHR, S_IFBLK,
	// S_IFIFO) and the permission bits 0644.
	Mknod(path string, mode uint32, dev uint64) error
	// WriteFile opens path O_WRONLY|O_CREAT|O_NONBLOCK with O_TRUNC (or,
	// with appendMode, O_APPEND) and mode 0644, writes data and closes.
	WriteFile(path string, data []byte, appendMode bool) error
	Truncate(path string, size int64) error
	Chmod(path string, mode uint32) error
	// ReadFile opens path O_RDONLY|O_NONBLOCK and reads it to the end.
	ReadFile(path string) ([]byte, error)
	// ReadDir lists a directory without "." and "..", in any order.
	ReadDir(path string) ([]DirEntry, error)
	Stat(path string) (Stat, error)
	Lstat(path string) (Stat, error)
	Readlink(path string) (string, error)

	// Mount is mount(2); source, fstype and data may be NULL.
	Mount(source, target, fstype Str, flags uint64, data Str) error
	// Umount2 is umount2(2).
	Umount2(target string, flags int) error
	// PivotRoot is pivot_root(2).
	PivotRoot(newRoot, putOld Str) error
	// MountInfo returns the lines of /proc/self/mountinfo.
	MountInfo() ([]string, error)

	// Image creates path as a regular file of mode 0644 holding data.
	Image(path string, data []byte) error
	// Export returns the contents of the regular file path.
	Export(path string) ([]byte, error)
	// Losetup attaches a loop device to file and makes its block-device
	// node at devPath.
	Losetup(devPath, file string) error
}
