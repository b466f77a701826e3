// Package mountkit reproduces the Linux mount layer in pure Go: mount
// trees, per-mount flags, umount2, mount namespaces, chroot and path
// resolution across mounts, over pluggable filesystems, with Linux's
// errnos and /proc/self/mountinfo.
//
// The work is split into packages, each with one idea:
//
//   - vfs: the contract filesystems implement, the dentry cache, Errno.
//   - mount: namespaces, mounts, processes (FsContext) and the path
//     system calls.
//   - memfs: an in-memory filesystem with tmpfs semantics.
//   - cgroupfs: a cgroup v2 hierarchy as the cgroup2 filesystem, driven
//     by the host program's processes and accounting.
//   - script: the mount-script interpreter that runs the same script on
//     the library and on the real kernel, to prove the two agree.
//   - fsbackend, aferobackend: mount any io/fs.FS (read-only) or any
//     afero.Fs as a filesystem type.
//   - aferofs: an afero.Fs over a process; mount.FsContext.FS is the
//     io/fs view.
//   - fuseexport: a namespace served through FUSE, so that Linux
//     programs run on it.
//
// This package ties them together: NewKernel registers every filesystem
// type of the module, and Boot starts a namespace as a booted Linux
// system has it.
package mountkit
