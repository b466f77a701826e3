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
// Mounts: new mounts through the registered filesystem types, stacking
// (the topmost wins), MS_BIND with and without MS_REC, MS_MOVE,
// MS_REMOUNT with and without MS_BIND, shared-subtree propagation
// (MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE, copies to peers and
// slaves, tucking, umount propagation as Linux 6.16+ decides it), mount
// namespaces (Unshare), chroot and pivot_root, umount2 with MNT_FORCE,
// MNT_DETACH, MNT_EXPIRE and UMOUNT_NOFOLLOW, and fs.mount-max. The typed
// helpers Bind, RBind, Move, Remount, RemountBind, SetPropagation and
// Unmount sit on top of Mount and Umount2.
//
// Credentials and permissions: every walk checks search permission, every
// operation the permissions Linux checks (write and search on parents,
// the sticky bit, ownership or CAP_FOWNER for chmod and utimes, read or
// write for open and O_TRUNC, write on a directory that changes parent),
// with the capabilities that bypass them (CAP_DAC_OVERRIDE,
// CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_CHOWN, CAP_MKNOD);
// writes and truncates drop set-ID bits as file_remove_privs does; mount,
// umount2, pivot_root and unshare need CAP_SYS_ADMIN and chroot
// CAP_SYS_CHROOT, checked in Linux's order relative to the path errors.
// fs.protected_hardlinks is on (Kernel.SetProtectedHardlinks), as
// distributions set it; fs.protected_symlinks, protected_regular and
// protected_fifos are off and not implemented, as in Linux's own default.
//
// Not implemented: user namespaces (so no MNT_LOCKED mounts), the new
// mount API (fsopen, open_tree, move_mount), automounts, idmapped mounts
// and nsfs bind mounts. O_TMPFILE fails with EOPNOTSUPP. Block devices
// and sockets open with ENXIO, and of the character devices only the
// memory devices null, zero and full. MNT_FORCE changes nothing, as on
// Linux for filesystems without umount_begin. A removed inode that is
// still held counts against a read-only remount only through the name it
// was held by (Linux counts it per inode).
//
// Locking: Kernel.mu is the mount lock. Operations that change the tree
// hold it for writing and bump a sequence count around the change; pure
// lookups (Stat, Open without O_CREAT, Chdir, ...) walk without any lock
// and retry when the count moved; operations that change directories
// after resolving hold it for reading. See Kernel for the full order.
package mount
