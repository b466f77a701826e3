// Package linuxabi is the system-call layer a kernel written in Go calls
// from its trap handler: Linux's raw system-call signatures over the mount
// package, for one process at a time.
//
// A Process is one task's view: an FsContext (root, cwd, umask, creds and
// mount namespace), a file-descriptor table and the caller's address space
// as a UserMemory. Its methods take the system call's integer arguments as
// the trap frame holds them (pointers are user addresses, flags and fds are
// integers) and return what the system call returns: a non-negative result
// or -errno, with Linux's numbers. Syscall dispatches by number through the
// table of the architecture the package is built for: the generic numbers
// on riscv64 (and arm64, loong64), the x86-64 numbers on amd64; elsewhere
// the table is empty and every number is ENOSYS.
//
// User memory is read as Linux reads it: path names up to PATH_MAX (4096
// bytes with the NUL: ENAMETOOLONG beyond, ENOENT for an empty name), the
// source and type strings of mount(2) up to PATH_MAX (EINVAL beyond), the
// data argument of mount(2) as one page (4096 bytes, as much as is mapped,
// the last byte forced to NUL), and EFAULT wherever an address is not
// mapped. Buffers that read(2), getdents64(2), readlinkat(2), getcwd(2) and
// newfstatat(2) fill are written after the operation, so a bad buffer is
// EFAULT, as in Linux.
//
// The errno of every entry point's error paths (bad pointers, overlong
// strings, bad flags, bad descriptors) is table-tested, and as root the
// same table runs on the machine's kernel and must agree.
//
// The package holds no mutable global state; a Process is not safe for concurrent
// use (a kernel serialises one task's system calls; two tasks are two
// Processes, which may share a namespace).
//
// What it does not do, and what those cases get:
//   - linkat with AT_SYMLINK_FOLLOW or AT_EMPTY_PATH: EOPNOTSUPP (the mount
//     package links by name only).
//   - unshare of anything but CLONE_NEWNS and the no-op flags of a
//     single-threaded task (CLONE_FS, CLONE_FILES, CLONE_SYSVSEM,
//     CLONE_THREAD, CLONE_SIGHAND, CLONE_VM): EOPNOTSUPP for the other
//     namespaces (user, pid, net, uts, ipc, cgroup, time), EINVAL for bits
//     Linux does not know.
//   - linkat and renameat2 with two different directory descriptors and
//     two relative paths resolve the new path through the name of newdirfd's
//     directory (as getcwd gives it), which differs from Linux when that
//     directory is overmounted since it was opened or lies outside the root
//     (ENOENT).
//   - readlinkat with an empty path on an O_PATH descriptor of a symbolic
//     link: EOPNOTSUPP (ENOENT for any other descriptor, as in Linux).
//   - struct stat is laid out as x86-64's on amd64 and as the generic one
//     (riscv64, arm64, loong64) everywhere else, 386 and arm included.
//   - access_ok only refuses ranges that wrap around the address space;
//     the task-size limit is the UserMemory's business (it faults).
//   - getcwd of a directory outside the root: ENOENT, where Linux's system
//     call writes "(unreachable)" before the path (the C library turns that
//     into ENOENT too).
//   - read(2) into a buffer that is only partly mapped consumes the data of
//     a FIFO that did not fit; a regular file's offset advances only by
//     what was copied, as in Linux.
//   - file descriptors are per Process: no fork, dup, or sharing of open
//     file descriptions between tables; O_CLOEXEC is recorded but there is
//     no exec. The table holds at most NOFILE (1024) descriptors: EMFILE.
package linuxabi
