// Package jbd2 reads, replays and writes the journal of an ext3/ext4
// filesystem in Linux's jbd2 on-disk format (an internal journal: the
// journal inode's blocks on the filesystem's own device).
//
// # Format
//
// Every field is big-endian. The journal's first block holds the
// journal superblock (v1 or v2): block size, length (s_maxlen), first
// log block (s_first), the sequence number and log block where replay
// starts (s_sequence, s_start; s_start 0 means empty), features and
// UUID. The log is a ring of blocks [s_first, s_maxlen) (less the
// fast-commit area when that feature is on). A transaction is one or
// more descriptor blocks, each followed by the blocks its tags name,
// then a commit block; revoke blocks list filesystem blocks whose
// earlier logged copies must not be replayed. Every log metadata block
// starts with the header (Magic, block type, transaction sequence). A
// logged block that itself starts with Magic is stored with those 4
// bytes zeroed and the tag's escape flag. A tag without the SAME_UUID
// flag is followed by 16 bytes of UUID; the LAST_TAG flag ends a
// descriptor.
//
// Features: revoke, 64bit (64-bit block numbers in tags and
// revoke records), async_commit, the v1 transaction checksum (compat
// CHECKSUM: crc32_be over the descriptor and data blocks, in the commit
// block), and checksums v2 and v3 (crc32c seeded with crc32c of the
// journal UUID: on the superblock, each descriptor and revoke block's
// tail, the commit block, and each logged block in its tag, 16 bits in
// v2 and 32 bits in v3).
//
// # Recovery
//
// Recover follows the kernel's jbd2_journal_recover: PASS_SCAN walks
// the log from s_start looking for the end (the first block without
// Magic or with another sequence number than the next expected one,
// an unknown block type, or a commit block whose checksum fails: with
// async_commit the scan goes on but replay still ends there); a
// descriptor or revoke block with a bad checksum is accepted as stale
// only when the next commit block is older than the last good one, else
// recovery fails with EBADMSG. PASS_REVOKE gathers revoke records (the
// latest transaction revoking each block), PASS_REPLAY writes every
// logged block not revoked by its own or a later transaction to the
// device, skipping (and reporting EBADMSG for) a block whose tag
// checksum fails, as the kernel does. Then s_start is set to 0,
// s_sequence one past the last transaction (invalidating the commit
// records left in the log) and s_head to the log block after the last
// good commit, as Linux 6.18 leaves the superblock (e2fsck leaves
// s_head alone). Clearing the ext4 superblock's needs_recovery flag is
// the caller's job. Tested against journals the kernel wrote: the
// device afterwards is byte for byte what the kernel's own replay
// leaves (ext4/journal_test.go).
//
// # Writing
//
// Commit writes one transaction of whole filesystem blocks (metadata:
// nothing of it is written in place) and flushes before and after the
// commit block; Checkpoint writes the committed blocks in place and
// then empties the log. Revoke records are never written: a caller that
// frees a logged block must Checkpoint before reusing it. Between
// Commit and Checkpoint a crash leaves a journal that Recover, e2fsck
// and Linux all replay to the committed state; a crash before the
// commit block is durable leaves the state before the transaction.
// Tested by cutting the device's power after every write of a commit
// and checkpoint, the writes since the last flush persisting in order
// or as a random subset (crash_test.go: e2fsck's replay and ours give
// the same blocks, the old or the new state, e2fsck -fn clean), and by
// Linux's own mount replaying a transaction left in the log
// (ext4/journal_glue_test.go).
//
// # Not supported
//
//   - Fast commits: a journal with the fast_commit feature is neither
//     recovered nor written (EOPNOTSUPP): replaying its fast-commit
//     area is ext4's job, which this package does not do.
//   - External journals (journal_dev) and the multi-user fields of the
//     superblock.
//   - Asynchronous commit is accepted and replayed as the kernel does,
//     but Commit always flushes before the commit block.
//
// Bad input never panics: every tag, count and offset is bounded by
// the block it lies in, every log position by the journal length, a
// walk of the log by its length (a log that loops is EUCLEAN), and the
// revoke table by a fixed size (ENOMEM). The fuzz target FuzzRecover
// checks it.
package jbd2
