package jbd2

import (
	"errors"
	"io"
	"syscall"
	"time"

	"github.com/mountkit/mountkit/vfs"
)

// Device is the block device holding the journal and the filesystem
// (an internal journal: the same device). If it also has a Sync method,
// Sync is called wherever jbd2 issues a cache flush; without one,
// writes are taken as durable in the order they were made.
type Device interface {
	io.ReaderAt
	io.WriterAt
}

// Block is one filesystem block: its number on the device and its
// content (one filesystem block).
type Block struct {
	Nr   uint64
	Data []byte
}

// Journal is an internal jbd2 journal opened on a device. It is not
// safe for concurrent use: the caller serialises Commit, Checkpoint and
// Recover.
type Journal struct {
	dev     Device
	bs      int
	bmap    func(lblk uint32) (uint64, error)
	nblocks uint32
	sb      *super

	// FSBlocks, when non-zero, is the size of the filesystem in blocks:
	// a logged block at or past it is not written by Recover (which then
	// fails with EUCLEAN) and is refused by Commit.
	FSBlocks uint64

	// Now gives commit blocks their time (h_commit_sec); time.Now when nil.
	Now func() time.Time

	// Log state while transactions this Journal committed are not
	// checkpointed (live: sb.start != 0 because of our own commits).
	live    bool
	aborted bool    // a write failed: Commit and Checkpoint are EROFS
	head    uint32  // the next free log block
	used    uint32  // log blocks from sb.start to head
	nextTID uint32  // the next transaction's sequence number
	pending []Block // committed blocks, latest version of each, in first-commit order
	index   map[uint64]int
}

// Open opens the journal whose nblocks blocks of fsBlockSize bytes are
// mapped to device blocks by bmap (logical journal block to device
// block). It reads and checks the journal superblock: EINVAL for a bad
// or unsupported one (wrong block size, s_maxlen past nblocks, unknown
// features), EBADMSG for a bad superblock checksum.
func Open(dev Device, fsBlockSize int, bmap func(lblk uint32) (uint64, error), nblocks uint32) (*Journal, error) {
	if fsBlockSize < 1024 || fsBlockSize > 65536 || fsBlockSize&(fsBlockSize-1) != 0 || bmap == nil {
		return nil, vfs.EINVAL
	}
	j := &Journal{dev: dev, bs: fsBlockSize, bmap: bmap, nblocks: nblocks, index: make(map[uint64]int)}
	b := make([]byte, fsBlockSize)
	if nblocks == 0 {
		return nil, vfs.EINVAL
	}
	if err := j.read(b, 0); err != nil {
		return nil, err
	}
	sb, err := parseSuper(b, fsBlockSize, nblocks)
	if err != nil {
		return nil, err
	}
	j.sb = sb
	j.nblocks = sb.maxlen // j_total_len
	return j, nil
}

// NeedsRecovery reports whether the journal holds transactions not yet
// known to be checkpointed (s_start is not 0), which Recover replays.
func (j *Journal) NeedsRecovery() bool { return j.sb.start != 0 && !j.live }

// Features returns the journal's compat and incompat feature words
// (zeros for a v1 superblock).
func (j *Journal) Features() (compat, incompat uint32) { return j.sb.compat, j.sb.incompat }

// Sequence returns the superblock's s_sequence and s_start.
func (j *Journal) Sequence() (sequence, start uint32) { return j.sb.sequence, j.sb.start }

// read reads journal block lblk into b (jread): EUCLEAN past the
// journal, the mapping's error, EIO for a short read.
func (j *Journal) read(b []byte, lblk uint32) error {
	if lblk >= j.nblocks {
		return vfs.EUCLEAN // "corrupted journal superblock"
	}
	pblk, err := j.bmap(lblk)
	if err != nil {
		return err
	}
	return readAt(j.dev, b, pblk, j.bs)
}

// write writes b to journal block lblk.
func (j *Journal) write(b []byte, lblk uint32) error {
	if lblk >= j.nblocks {
		return vfs.EUCLEAN
	}
	pblk, err := j.bmap(lblk)
	if err != nil {
		return err
	}
	return writeAt(j.dev, b, pblk, j.bs)
}

func readAt(dev Device, b []byte, blk uint64, bs int) error {
	if blk > (1<<63-1)/uint64(bs) {
		return vfs.EUCLEAN
	}
	n, err := dev.ReadAt(b, int64(blk)*int64(bs))
	if n == len(b) {
		return nil
	}
	return ioErr(err)
}

func writeAt(dev Device, b []byte, blk uint64, bs int) error {
	if blk > (1<<63-1)/uint64(bs) {
		return vfs.EUCLEAN
	}
	n, err := dev.WriteAt(b, int64(blk)*int64(bs))
	if n == len(b) && err == nil {
		return nil
	}
	return ioErr(err)
}

// ioErr keeps a device's errno and makes anything else EIO; a file
// opened read-only (EBADF on write) is a read-only device, EROFS.
func ioErr(err error) error {
	var e vfs.Errno
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, syscall.EBADF) {
		return vfs.EROFS
	}
	return vfs.EIO
}

// flush issues a cache flush when the device can.
func (j *Journal) flush() error {
	if s, ok := j.dev.(interface{ Sync() error }); ok {
		if err := s.Sync(); err != nil {
			return ioErr(err)
		}
	}
	return nil
}

// writeSuper writes the superblock with its current sequence and start,
// then flushes.
func (j *Journal) writeSuper() error {
	j.sb.encode()
	if err := j.write(j.sb.raw, 0); err != nil {
		return err
	}
	return j.flush()
}

// wrap maps a log position past the log's end back to its start.
func (j *Journal) wrap(blk uint32) uint32 {
	if blk >= j.sb.last() {
		blk -= j.sb.last() - j.sb.first
	}
	return blk
}
