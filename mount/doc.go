// Package mount is Linux's mount layer over vfs backends: mount trees,
// mount namespaces, processes' roots and working directories, path
// resolution across mounts, and the system calls that use them.
//
// A Kernel holds the registered filesystem types and the global mount
// state; Kernel.Boot makes a namespace laid out as on a booted Linux
// system and returns its init process, an FsContext. Every path system
// call is a method of FsContext and behaves as Linux 6.x does, errno for
// errno and in Linux's order of checks: Open, Mkdir, Mknod, Symlink, Link,
// Unlink, Rmdir, Rename, Renameat2, Stat, Lstat, Readlink, Chmod, Chown,
// Truncate, Utimes, Chdir, Fchdir, Chroot, Getcwd, Mount (MountRaw for
// NULL pointers), Umount2 and MountInfo. An open file is a *File.
//
// Path resolution follows Linux's namei: search permission on every
// directory, ".." that stays at the process root and climbs out of mount
// roots, crossing into the topmost of stacked mounts, starting points
// used as stored (a working directory that was mounted over still shows
// the old contents), at most 40 symbolic links, PATH_MAX 4096 and
// NAME_MAX 255.
//
// Not implemented yet, each failing with ENOSYS: bind mounts, MS_MOVE,
// MS_REMOUNT, propagation changes (MS_SHARED, MS_PRIVATE, MS_SLAVE,
// MS_UNBINDABLE), pivot_root and unshare(CLONE_NEWNS). O_TMPFILE fails
// with EOPNOTSUPP. Block devices and sockets open with ENXIO, and of the
// character devices only the memory devices null, zero and full.
//
// Locking: Kernel.mu is the mount lock; operations that change the tree
// hold it for writing, path operations hold it for reading while they
// resolve. See Kernel for the full order.
package mount
