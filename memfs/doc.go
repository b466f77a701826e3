// Package memfs is an in-memory filesystem with the semantics of Linux's
// tmpfs (mm/shmem.c, Linux 6.18), for use as a mountkit backend: it
// implements vfs.Filesystem and its inodes implement vfs.Inode.
//
// A filesystem is made from tmpfs mount data with ParseOptions and New,
// or by NewFromData or Mount for a filesystem-type registry. The options
// are Linux's, parsed as Linux parses them (numbers, suffixes, N% of RAM,
// mpol= node lists, the comma rule for node lists) and rejected with
// EINVAL where Linux rejects them; Options prints them as mountinfo's
// super options. Limits and defaults depending on the machine (half of
// RAM, NUMA nodes) come from a Machine, Host by default.
//
// What it reproduces:
//
//   - Inode numbers from 1 (the root) upwards, never reused, wrapping at
//     2^32 without inode64; nlink as tmpfs keeps it (2 plus the number of
//     subdirectories for a directory); a directory's st_size of 40 plus
//     20 per entry; a symbolic link's st_size of its target's length.
//   - Sparse regular files stored in 4096-byte pages allocated on write;
//     holes and growth by truncation cost nothing; st_blocks counts the
//     allocated pages in 512-byte units.
//   - The size limit (size=, nr_blocks=): a write that does not fit writes
//     what fits and returns a short count, or ENOSPC; long symbolic links
//     (128 bytes or more) hold a page too. The inode limit (nr_inodes=)
//     is a budget as in Linux: every inode and every extra hard link costs
//     one, extended attributes cost their size, and ENOSPC follows.
//   - Timestamps as tmpfs sets them on create, write, truncate, link,
//     unlink, rmdir, rename, setattr and xattr changes (vfs.Now is the
//     clock).
//   - Readdir cookies that stay valid: an entry keeps its cookie until it
//     is removed, new entries come after all others, and an exchange keeps
//     both names in place.
//   - Rename with RENAME_NOREPLACE, RENAME_EXCHANGE and RENAME_WHITEOUT
//     (a character device 0:0 left at the old name).
//   - Extended attributes in the security., trusted. and user. namespaces.
//   - Statfs with tmpfs's magic, block size and counts.
//
// What it leaves to others: permission checks, read-only mounts (EROFS),
// atime policy (relatime, noatime: reads do not touch atime; the mount
// layer sets it with Setattr), clearing setuid/setgid on write or chown,
// sticky-directory rules, and the meaning of FIFOs and device nodes:
// their Files do no I/O (see Open). Those belong to the mount layer.
//
// Linux tmpfs features not implemented: huge pages (huge= is recorded and
// shown only), NUMA policies (mpol= likewise), swap and noswap (recorded),
// quotas (the quota options are rejected, as on a kernel built without
// CONFIG_TMPFS_QUOTA), casefolding (rejected, as without CONFIG_UNICODE),
// POSIX ACLs (system.* attributes fail with EOPNOTSUPP), O_TMPFILE,
// fallocate and hole punching, seals and memfd, mmap, file handles, LSM
// mount options, the uid/gid checks of user namespaces, and the order in
// which Linux lists extended attributes (memfs sorts them).
//
// An FS is safe for concurrent use: one read-write lock per filesystem
// guards all its inodes.
package memfs
