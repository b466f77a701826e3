// Package ext4 reads ext2, ext3 and ext4 filesystem images as a Linux
// 6.18 mount shows them, and writes them (through the journal when the
// filesystem has one).
//
// Mount is the "ext4" filesystem type for mount.Kernel.RegisterFilesystem
// (registered as requiring a block device, so the mount layer resolves
// the source to a loop device and hands the image over as a
// vfs.BlockDevice); Open reads an image from any io.ReaderAt without a
// mount layer, and OpenRW opens one read-write from an io.ReaderAt that
// is also an io.WriterAt. Either way the result is a *FS, a
// vfs.Filesystem.
//
// # What is read
//
//   - 1 KiB to 64 KiB blocks; 32-byte and 64-bit group descriptors of any
//     s_desc_size; flex_bg and non-flex layouts; meta_bg.
//   - File data through extent trees of any depth (holes and unwritten
//     extents read as zeros) and through ext2/ext3 block maps (direct,
//     single, double and triple indirect blocks, holes as zeros), and
//     inline data (i_block plus the system.data attribute).
//   - Linear and htree directories. Lookups in an indexed directory go
//     through the index (legacy, half_md4 and tea hashes, signed or
//     unsigned as s_flags says, with the superblock's hash seed), reading
//     one block per level and one leaf, plus the next leaves only while a
//     hash collision continues; an index ext4 would not understand falls
//     back to a linear scan, as ext4's dx_fallback. Inline directories.
//     readdir returns entries in Linux's getdents order: hash order for
//     indexed, one-block and inline directories of a dir_index
//     filesystem (is_dx_dir), block order otherwise.
//   - Fast, slow and inline symlinks; device, FIFO and socket inodes;
//     64-bit sizes, huge_file block counts, 32-bit uids and gids; the
//     _extra timestamps with nanoseconds and the epoch bits; hard links
//     (one Inode per inode number).
//   - Extended attributes in the inode and in an xattr block, with the
//     user., trusted., security. prefixes and POSIX ACLs (converted from
//     ext4's compact form to the system.posix_acl_* xattr form); the
//     system.data attribute of inline data is neither listed nor
//     readable, as on Linux.
//   - statfs as ext4_statfs computes it: overhead from s_overhead_clusters
//     or from the group layout and the journal, free counts from the group
//     descriptors, the 2% (at most 4096 blocks) reserve of extent
//     filesystems.
//
// # The journal
//
// An image with needs_recovery and an internal journal (one copied
// from a mounted filesystem, or left by a crash) is replayed into the
// device when it is opened or mounted, read-only or not, as Linux does:
// the journal (package ext4/internal/jbd2) is recovered as
// jbd2_journal_recover does, and needs_recovery is then cleared, as
// ext4_mark_recovery_complete does. A device that cannot be written
// (Open of a plain io.ReaderAt) is EROFS, as Linux's "write access
// unavailable, cannot proceed"; "norecovery" and "noload" open the last
// checkpointed state read-only without replay, and a read-write mount
// with them and needs_recovery is EINVAL, as on Linux. Tested on images
// whose journals the kernel wrote while mounted (ext4 with 1 KiB and
// 4 KiB blocks, csum v3 and 64bit logs, and ext3; several transactions
// and a revoke record each): our replay writes the same blocks as the
// kernel's own replay and as e2fsck's, but for the ext4 superblock
// (whose free counts and times each keeps its own way), e2fsck -fn
// finds the result clean, and the mount layer reads the same tree.
//
// A read-write mount of a filesystem with a journal writes its
// metadata through it: every writeback (fsync, syncfs, remount
// read-only, the end of the mount) is one jbd2 transaction (or, when
// the dirty blocks exceed the log, one per log-full), committed and
// then checkpointed at once, so the log is empty between writebacks;
// needs_recovery is set on disk while mounted read-write and cleared
// at the end, as on Linux. The log is written in the journal's own
// format (its features as found: the kernel sets csum v3 and 64bit
// only while it has the filesystem mounted), and Linux's own mount
// replays a transaction left in it. What is crash-safe, exactly as
// tested (power cut after every write in turn, the writes since the
// last flush persisting either in order or as a random subset): the
// image, replayed by Open, by e2fsck -fy or by Linux, holds the tree
// as after the last writeback that returned, or as after the next one,
// never a mix, and e2fsck -fn finds it clean (random creates, appends,
// mkdir, unlink, rename, symlinks, truncates and xattrs, synced after
// each or after every few; Linux's replay of a sample of the cut
// images reads back the same tree as ours). Blocks freed since the
// last writeback are not allocated again before it, as Linux's
// mballoc holds them until the commit; unlike Linux, which then
// forces a commit and retries, an allocation that finds only such
// blocks free is ENOSPC. File data is not journaled: it is written in place when
// written (ordered mode, before the metadata that points at it), so
// what a crash before the next writeback can show is Linux's too: an
// overwrite of existing data, or the zeroed tail of a block a truncate
// cut in the middle, may be on disk while the size and the blocks are
// still the old ones (the test truncates to whole blocks for this
// reason). Block writes are taken as atomic; torn blocks are not
// tested.
//
// Checksums (metadata_csum, crc32c) are verified on the superblock,
// inodes, extent blocks, directory leaves and htree nodes and xattr
// blocks; a mismatch is EBADMSG, which is what Linux's EFSBADCRC is.
// Group-descriptor checksums (crc16 or crc32c) are not checked: a
// read-only Linux mount only logs a mismatch. Structural damage is EUCLEAN
// (Linux's EFSCORRUPTED).
//
// # What is written
//
// A mount without MS_RDONLY (or OpenRW) is read-write:
//
//   - create, write (in place, extending, sparse, into unwritten
//     extents, which become written), truncate (freeing blocks and
//     extent-tree blocks, zeroing the tail of the last block), unlink
//     with hard-link counts (an inode and its blocks go with the last
//     link once no open file, cwd or root pins it: vfs.Pinner; those
//     still held at the end go at Release), mkdir and rmdir with
//     dir_nlink's counting, rename of files and directories (replacing
//     targets, RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT, ".."
//     pointed at the new parent), fast and slow symlinks, link, mknod
//     (old and new device encodings), chmod, chown, utimes, and user.,
//     trusted. and security. xattrs, set and removed in the inode body
//     and an xattr block (a block shared with other inodes is copied).
//   - Allocation from the block and inode bitmaps, near the inode's flex
//     group for data and in the parent's group for inodes, with the
//     group descriptors' counts (free blocks, free inodes, used dirs,
//     itable_unused), BLOCK_UNINIT and INODE_UNINIT bitmaps initialised
//     as ext4_init_block_bitmap does (checked against the descriptor's
//     count), and the superblock's counts.
//   - Every checksum: crc32c under metadata_csum (superblock, group
//     descriptors, bitmaps, inodes, extent blocks, directory leaves,
//     xattr blocks and entry hashes), crc16 group descriptors under
//     gdt_csum (uninit_bg).
//   - Extent trees at any depth: a file's tree is rewritten from its
//     extent list after each change, as shallow and narrow as it can be
//     (leaves and index nodes full, in order), reusing its old blocks;
//     so trees grow past the inode (depth 1 to 5) and shrink back.
//     New files of a filesystem with the extents feature use extents.
//   - Block maps (ext2, ext3, and block-mapped files on ext4): a write
//     allocates the blocks of the holes it reaches and the single,
//     double and triple indirect blocks on their paths; a truncation
//     frees the blocks past the new end and the indirect blocks left
//     empty. New files of a filesystem without extents are block-mapped.
//   - Directories: in a linear directory an entry takes the first gap
//     big enough in its blocks or a new block at the end; a removed
//     entry merges into the one before it (or is emptied, first in its
//     block). An indexed (htree) directory keeps its index, as
//     ext4_dx_add_entry does: an entry goes into the leaf its hash
//     picks; a full leaf is split by hash into a new block (with the
//     collision bit when the halves share the split hash), a full index
//     node is split into two, a full root gets a level below it (two
//     levels, three with largedir). Only when the index is at its
//     largest, or is one ext4 does not understand, does the directory
//     drop it: EXT4_INDEX_FL cleared, the root and interior blocks
//     rewritten as plain leaves, linear from then on, as the kernel
//     permits (e2fsck -D indexes it again). A full one-block directory
//     of a dir_index filesystem becomes indexed (make_indexed_dir).
//     A read-write mount also keeps an in-memory index of the names of
//     every directory of more than one block it has looked into, so
//     that lookups and changes in a linear directory do not scan it.
//   - The block cache: metadata blocks are changed in the cache and
//     written back (all dirty blocks, in block order, through one
//     function a journal can take over, FS.commit) on fsync, syncfs
//     (FS.Sync), remount read-only and the end of the last mount
//     (vfs.Releaser, Linux's kill_sb). File data goes to the device when
//     it is written, so it is there before the metadata that points at
//     it (ordered). A failed writeback is EIO, and umount2 of the last
//     mount returns it.
//   - s_state: not clean from a read-write mount (or remount) on, clean
//     after a successful Release or remount read-only; s_mnt_count,
//     s_mtime and s_wtime are kept.
//
// Without a journal (ext2, or a filesystem made without has_journal)
// writes are not crash safe: metadata written in place in block order
// can be caught half-written; after a crash the image is not clean, and
// e2fsck repairs it. With one, see "The journal" above.
//
// What a read-write mount refuses, and what it does not write:
//
//   - ro_compat features Linux does not know: EINVAL, as Linux 6.18
//     ("couldn't mount RDWR because of unsupported optional features",
//     checked on this machine's kernel); the ones Linux knows that this
//     package does not keep (quota, project, verity, orphan_present,
//     btree_dir): EINVAL too. The readonly feature makes a read-write
//     mount read-only, as on Linux.
//   - needs_recovery with "norecovery" or "noload": EINVAL (Linux:
//     norecovery only on read-only mounts); without them the journal is
//     replayed first (see "The journal").
//   - mmp: a read-write mount is EOPNOTSUPP (the MMP block is not
//     kept). Any change to an inline-data file or directory is
//     EOPNOTSUPP (new files are never inline), and so is a change to the
//     xattrs of an inode with a value in its own inode (ea_inode), or
//     removing its last link.
//   - POSIX ACLs (system.posix_acl_access and _default) are not set or
//     removed: EOPNOTSUPP (ext4 would fold them into the mode).
//   - Space: file data, directory and xattr blocks never take the
//     reserved pool of extent filesystems (2% of the blocks, at most
//     4,096: s_resv_clusters), which extent-tree and indirect blocks may
//     use, as in ext4; a write goes page by page, stopping (short, or
//     ENOSPC when nothing fitted) before a page whose new blocks are not
//     all there. The root-reserved s_r_blocks_count is not held back
//     from anyone: the backend does not know the caller's credentials,
//     so every caller is treated as root.
//   - Directories with more than 65,000 subdirectories (dir_nlink's
//     count of 1) are EMLINK: they would have to be indexed.
//   - Block allocation has no preallocation, delayed allocation or
//     Orlov spreading of directories; the layouts differ from the
//     kernel's but e2fsck finds nothing wrong with them.
//   - Reads do not update atime (the mount layer asks for no atime
//     updates); new inodes inherit no flags (sync, noatime, projinherit
//     and the like) from their directory. O_SYNC, O_DSYNC and the sync
//     and dirsync mount flags do not write metadata back at each change:
//     fsync, syncfs, remount read-only and umount do.
//
// # Defensive reading
//
// Every on-disk count, offset and block number is checked against the
// structure it lies in and against the filesystem size before use; tree
// walks are iterative with depth limits (extent depth 5, checked level
// by level; htree 2 or 3 levels with cycle checks; indirect blocks 3
// levels), and every loop advances over a bounded range. Metadata goes
// through a bounded block cache; file data is read straight from the
// device into the caller's buffer. Allocation is bounded by the image:
// one small record per group and per inode looked up. The fuzz target
// FuzzImage (patched images, checksums refixed) checks that no input
// panics. A directory larger than 2^22 blocks (4 GiB at 1 KiB blocks,
// beyond any directory without largedir) is EUCLEAN, so that a scan of
// a corrupt one ends.
//
// # What is not supported, and the errno it gets
//
//   - Writing on a read-only mount (or an Open image): EROFS.
//   - External journals (journal_dev, s_journal_inum 0): an image with
//     needs_recovery and one is EINVAL unless mounted "norecovery";
//     journals with fast commits are not replayed (EOPNOTSUPP).
//   - The incompat features Linux knows but this package does not read
//     (encrypt, casefold) and bigalloc: EINVAL at mount. mmp is accepted
//     and ignored, as a read-only Linux mount ignores it; ea_inode
//     values are read from their inodes.
//     Unknown incompat features: EINVAL, as Linux. Unknown ro_compat
//     features are accepted, as on a read-only Linux mount. Files with
//     the encrypt or verity flag open with EOPNOTSUPP.
//   - Orphan processing at mount and the orphan file are ignored (a
//     read-only mount of a writable device would process them on Linux).
//   - A directory block with a bad checksum is EBADMSG for both readdir
//     and lookup (Linux skips such a block in a linear readdir).
//   - Mount options: "norecovery"/"noload", "errors=continue",
//     "errors=remount-ro", "errors=panic" (shown in mountinfo), and "ro",
//     "rw", "user_xattr", "acl", "barrier", "nobarrier" (accepted); any
//     other option is EINVAL.
//
// # Why not github.com/dsoprea/go-ext4
//
// The package our users named was measured against these images: it
// mis-reads htree directories, fast symlinks, device and FIFO inodes,
// sparse files and unwritten extents, assumes 64-byte group descriptors
// whatever s_desc_size says, and verifies no checksum. Its one correct
// part, decoding superblock fields at fixed offsets, is a few lines
// that need our own validation anyway, so nothing of it is used and the
// module does not depend on it. Correctness is judged by the kernel:
// the differential test mounts every fixture with the kernel and with
// this package and requires the same walk (names, types, modes, sizes,
// link counts, owners, device numbers, symlink targets, content hashes,
// xattrs and nanosecond timestamps) and the same statfs.
package ext4
