package ext4

import (
	"io"

	"github.com/mountkit/mountkit/ext4/internal/jbd2"
	"github.com/mountkit/mountkit/vfs"
)

// rwDevice is a device that can be written, as journal replay needs.
type rwDevice interface {
	io.ReaderAt
	io.WriterAt
}

// openJournal opens the internal journal of f (the inode
// s_journal_inum) on dev, as ext4_get_journal_inode and
// jbd2_journal_init_inode do: the inode must be a regular file (else
// EUCLEAN), and its blocks are mapped through its extent tree or block
// map; a hole in it is EUCLEAN.
func (f *FS) openJournal(dev rwDevice) (*jbd2.Journal, error) {
	sb := f.sb
	if sb.journalInum == 0 {
		return nil, vfs.EINVAL // an external journal (journal_dev), not supported
	}
	n, err := f.readInode(sb.journalInum)
	if err != nil {
		return nil, err
	}
	if !n.mode.IsRegular() || n.flags&flagEncrypt != 0 {
		return nil, vfs.EUCLEAN // "invalid journal inode"
	}
	nblocks := uint64(n.size) / uint64(sb.blockSize)
	if nblocks == 0 || nblocks > 1<<32-1 {
		return nil, vfs.EUCLEAN
	}
	bmap := func(lblk uint32) (uint64, error) {
		s, err := f.mapBlock(n, uint64(lblk))
		if err != nil {
			return 0, err
		}
		if s.zero || s.count == 0 {
			return 0, vfs.EUCLEAN
		}
		p := s.pblk + (uint64(lblk) - s.lblk)
		if p >= sb.blocksCount || p < s.pblk {
			return 0, vfs.EUCLEAN
		}
		return p, nil
	}
	j, err := jbd2.Open(dev, sb.blockSize, bmap, uint32(nblocks))
	if err != nil {
		return nil, err
	}
	j.FSBlocks = sb.blocksCount
	return j, nil
}

// replayJournal replays the journal of an image with needs_recovery
// into dev, then clears needs_recovery in the superblock, as a
// read-only Linux mount of a writable device does (ext4_load_journal,
// then ext4_mark_recovery_complete). The caller reads the filesystem
// again afterwards: replay may have rewritten any metadata block.
func (f *FS) replayJournal(dev rwDevice) error {
	j, err := f.openJournal(dev)
	if err != nil {
		return err
	}
	if _, err := j.Recover(); err != nil {
		return err
	}
	return setNeedsRecovery(dev, false)
}

// setNeedsRecovery sets or clears needs_recovery in the superblock on
// dev (which replay may have rewritten: it is read afresh), with its
// checksum.
func setNeedsRecovery(dev rwDevice, on bool) error {
	raw := make([]byte, superSize)
	if n, err := dev.ReadAt(raw, superOffset); n != superSize {
		return ioErrno(err)
	}
	if u16(raw, 0x38) != superMagic {
		return vfs.EUCLEAN
	}
	inc := u32(raw, 0x60)
	if on {
		inc |= incompatRecover
	} else {
		inc &^= incompatRecover
	}
	le.PutUint32(raw[0x60:], inc)
	if u32(raw, 0x64)&roCompatMetadataCsum != 0 {
		le.PutUint32(raw[0x3FC:], crc32c(^uint32(0), raw[:0x3FC]))
	}
	if n, err := dev.WriteAt(raw, superOffset); n != superSize || err != nil {
		return ioErrno(err)
	}
	if s, ok := dev.(interface{ Sync() error }); ok {
		if err := s.Sync(); err != nil {
			return ioErrno(err)
		}
	}
	return nil
}

func ioErrno(err error) error {
	if e, ok := err.(vfs.Errno); ok {
		return e
	}
	return vfs.EIO
}

// journaled is the journal state of a filesystem written through its
// journal.
type journaled struct {
	j   *jbd2.Journal
	dev rwDevice
	on  bool // needs_recovery is set on disk

	// freed holds the blocks freed since the last commit. They are
	// not handed out again until the commit that frees them is
	// durable: file data is written in place at once, and a crash
	// before that commit would leave the old metadata pointing at
	// the new data (Linux's mballoc keeps such blocks busy until the
	// transaction commits, for the same reason).
	freed map[uint64]struct{}
}

// noteFreed records that block b was freed (freeBlocks).
func (f *FS) noteFreed(b uint64) {
	if jd := f.jnl; jd != nil {
		if jd.freed == nil {
			jd.freed = make(map[uint64]struct{})
		}
		jd.freed[b] = struct{}{}
	}
}

// freedUncommitted reports whether block b was freed after the last
// commit, so that allocBlocks passes it by.
func (f *FS) freedUncommitted(b uint64) bool {
	if jd := f.jnl; jd != nil && len(jd.freed) > 0 {
		_, ok := jd.freed[b]
		return ok
	}
	return false
}

// journalCommit is the commitFunc of a filesystem with a journal: the
// blocks go to the log as one transaction, which is then checkpointed
// (written in place, the log emptied). Before the first transaction
// needs_recovery is set in the superblock, so that Linux and e2fsck
// replay the log after a crash (the kernel wipes a log it finds
// without the flag); journalClose clears it. A crash at any write
// leaves either the state before the transaction or after it, once
// replayed (see the package doc for what is tested).
func (f *FS) journalCommit(blocks []metaBlock) error {
	jd := f.jnl
	if jd == nil {
		return vfs.EROFS
	}
	if !jd.on {
		if err := setNeedsRecovery(jd.dev, true); err != nil {
			return err
		}
		jd.on = true
	}
	// The superblock's copy in the transaction keeps needs_recovery:
	// checkpointed before the rest, a copy without it would let Linux
	// wipe the log whose blocks are not all in place yet.
	sbBlock := uint64(superOffset / f.sb.blockSize)
	list := make([]jbd2.Block, len(blocks))
	for i, b := range blocks {
		d := b.Data
		if b.Nr == sbBlock && len(d) == f.sb.blockSize {
			off := superOffset % f.sb.blockSize
			d = append([]byte(nil), d...)
			raw := d[off : off+superSize]
			le.PutUint32(raw[0x60:], u32(raw, 0x60)|incompatRecover)
			if u32(raw, 0x64)&roCompatMetadataCsum != 0 {
				le.PutUint32(raw[0x3FC:], crc32c(^uint32(0), raw[:0x3FC]))
			}
		}
		list[i] = jbd2.Block{Nr: b.Nr, Data: d}
	}
	// A set larger than the log goes as several transactions, each
	// atomic on its own (the kernel bounds a transaction by the log
	// too, and commits the rest in the next one).
	for max := jd.j.MaxBlocks(); len(list) > 0; {
		n := min(len(list), max)
		if err := jd.j.Commit(list[:n]); err != nil {
			return err
		}
		if err := jd.j.Checkpoint(); err != nil {
			return err
		}
		list = list[n:]
	}
	// Every free so far is in what was committed (the caller holds
	// the write lock): the blocks may be reused.
	clear(jd.freed)
	return nil
}

// splitDev is a device read through one interface and written
// through another (openRW's r and w), passing Sync through.
type splitDev struct {
	io.ReaderAt
	io.WriterAt
}

func (d splitDev) Sync() error {
	if s, ok := d.WriterAt.(interface{ Sync() error }); ok {
		return s.Sync()
	}
	return nil
}

// journalStart makes the writes of a read-write mount go through the
// journal, when the filesystem has one and the mount did not say
// "norecovery"/"noload" (with which Linux writes without the journal).
// open has replayed any log already, so a log found now is EUCLEAN.
func (f *FS) journalStart(w io.WriterAt, o options) error {
	if f.sb.compat&compatHasJournal == 0 || o.norecovery {
		return nil
	}
	if err := f.journalOpen(splitDev{f.dev.r, w}); err != nil {
		return err
	}
	f.commit = f.journalCommit
	return nil
}

// journalOpen prepares f for journaled writes on dev (without
// installing journalCommit as f.commit: the tests call it directly).
func (f *FS) journalOpen(dev rwDevice) error {
	j, err := f.openJournal(dev)
	if err != nil {
		return err
	}
	if j.NeedsRecovery() {
		return vfs.EUCLEAN
	}
	f.jnl = &journaled{j: j, dev: dev, on: f.sb.incompat&incompatRecover != 0}
	return nil
}

// journalClose checkpoints and clears needs_recovery on disk: the end
// of a read-write mount (ext4_put_super) or a remount read-only. The
// journal stays open for a later remount read-write.
func (f *FS) journalClose() error {
	jd := f.jnl
	if jd == nil {
		return nil
	}
	if err := jd.j.Checkpoint(); err != nil {
		return err
	}
	if jd.on {
		if err := setNeedsRecovery(jd.dev, false); err != nil {
			return err
		}
		jd.on = false
	}
	return nil
}
