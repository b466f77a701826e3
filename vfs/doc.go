// Package vfs is the contract between mountkit's mount layer and its
// filesystem backends, and the part of Linux's VFS that sits between them.
//
// A backend implements Filesystem (one instance of a filesystem, Linux's
// super_block), Inode (a file: attributes, directory operations, symbolic
// links, extended attributes) and File (an open file: reads and writes at
// offsets, readdir with stable cookies, fsync). A filesystem type is a
// NewFilesystemFunc that makes a Filesystem from a MountRequest.
//
// The vfs layer itself keeps a Superblock per mounted Filesystem and a
// dentry cache over it: every name that is looked up gets a *Dentry that
// keeps its identity while anything refers to it, so that mounts can be
// attached to dentries and open files and working directories can hold
// them. Dentry methods perform the generic rules of each directory
// operation (EEXIST, EISDIR, ENOTDIR, the ancestry rules of rename) and
// keep the cache right; the mount layer adds path resolution, permission
// checks and read-only mounts on top.
//
// Errors are Errno values carrying Linux's numbers and names; they match
// the io/fs sentinels under errors.Is as syscall.Errno does. Modes are
// Linux st_mode values (Mode), not io/fs.FileMode.
//
// Package vfs does not resolve paths, does not know about mounts and
// does not enforce read-only mounts: that is package mount's work.
// Negative lookups are not cached.
package vfs
