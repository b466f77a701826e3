package jbd2

import (
	"time"

	"github.com/mountkit/mountkit/vfs"
)

// Commit writes blocks to the log as one transaction and returns once it
// is durable: after Commit returns, a crash leaves a journal whose
// replay (Recover, e2fsck, or Linux's mount) writes every block of it.
// Nothing is written in place; Checkpoint does that. A block given twice
// is logged once, with its last content.
//
// The order of writes, with a flush after each step, is: the journal
// superblock pointing s_start at the transaction (when the log was
// empty), the descriptor blocks with the logged blocks, the commit
// block. A crash before the commit block is durable leaves a log whose
// replay stops before this transaction.
//
// A transaction larger than the log is EFBIG; one that does not fit
// behind the transactions still in the log checkpoints them first.
// A journal that needs recovery must be recovered first (EINVAL), and
// one with fast commits is not written (EOPNOTSUPP).
func (j *Journal) Commit(blocks []Block) (err error) {
	if j.aborted {
		return vfs.EROFS
	}
	defer j.abortOn(&err)
	if j.NeedsRecovery() {
		return vfs.EINVAL
	}
	if j.sb.incompat&FeatureIncompatFastCommit != 0 {
		return vfs.EOPNOTSUPP
	}
	// The latest content of each block, in first-seen order.
	var list []Block
	seen := make(map[uint64]int, len(blocks))
	for _, b := range blocks {
		if len(b.Data) != j.bs || j.FSBlocks != 0 && b.Nr >= j.FSBlocks {
			return vfs.EINVAL
		}
		if i, ok := seen[b.Nr]; ok {
			list[i].Data = b.Data
			continue
		}
		seen[b.Nr] = len(list)
		list = append(list, b)
	}
	if len(list) == 0 {
		return nil
	}
	descs := j.descriptorsFor(len(list))
	need := uint32(descs + len(list) + 1)
	logLen := j.sb.last() - j.sb.first
	if uint64(descs+len(list)+1) > uint64(logLen) {
		return vfs.EFBIG
	}
	if j.live && j.used+need > logLen {
		if err := j.Checkpoint(); err != nil {
			return err
		}
	}
	if !j.live {
		// An empty log: the transaction starts at s_first, numbered
		// after s_sequence, and the superblock points at it before
		// any of it is written.
		j.nextTID = j.sb.sequence + 1
		j.head = j.sb.first
		j.used = 0
		j.sb.sequence = j.nextTID
		j.sb.start = j.sb.first
		if err := j.writeSuper(); err != nil {
			return err
		}
		j.live = true
	}
	tid := j.nextTID
	pos := j.head
	crcSum := ^uint32(0)
	put := func(b []byte) error {
		if j.sb.compat&FeatureCompatChecksum != 0 {
			crcSum = crc32be(crcSum, b)
		}
		err := j.write(b, pos)
		pos = j.wrap(pos + 1)
		return err
	}
	desc := make([]byte, j.bs)
	for i := 0; i < len(list); {
		n := j.tagsPerDescriptor()
		n = min(n, len(list)-i)
		j.header(desc, typeDescriptor, tid)
		off := headerSize
		tb := j.sb.tagBytes()
		// The logged copies of this descriptor's blocks, escaped.
		copies := make([][]byte, n)
		for k := range n {
			b := list[i+k]
			c := make([]byte, j.bs)
			copy(c, b.Data)
			t := tag{blocknr: b.Nr}
			if be.Uint32(c) == Magic {
				clear(c[:4])
				t.flags |= flagEscape
			}
			if k > 0 {
				t.flags |= flagSameUUID
			}
			if k == n-1 {
				t.flags |= flagLastTag
			}
			if j.sb.csumV2or3 {
				t.csum = j.sb.blockCsum(tid, c)
				if j.sb.incompat&FeatureIncompatCsumV3 == 0 {
					t.csum &= 0xFFFF
				}
			}
			j.sb.writeTag(desc[off:], t)
			off += tb
			if k == 0 {
				copy(desc[off:], j.sb.uuid[:])
				off += 16
			}
			copies[k] = c
		}
		if j.sb.csumV2or3 {
			be.PutUint32(desc[j.bs-tailSize:], tailCsum(j.sb.seed(), desc))
		}
		if err := put(desc); err != nil {
			return err
		}
		for _, c := range copies {
			if err := put(c); err != nil {
				return err
			}
		}
		i += n
	}
	if err := j.flush(); err != nil {
		return err
	}
	// The commit block.
	c := make([]byte, j.bs)
	j.header(c, typeCommit, tid)
	now := time.Now()
	if j.Now != nil {
		now = j.Now()
	}
	be.PutUint64(c[0x30:], uint64(now.Unix()))
	be.PutUint32(c[0x38:], uint32(now.Nanosecond()))
	switch {
	case j.sb.compat&FeatureCompatChecksum != 0:
		c[0xC], c[0xD] = checksumCRC32, 4
		be.PutUint32(c[0x10:], crcSum)
	case j.sb.csumV2or3:
		be.PutUint32(c[0x10:], commitCsum(j.sb.seed(), c))
	}
	if err := j.write(c, pos); err != nil {
		return err
	}
	pos = j.wrap(pos + 1)
	if err := j.flush(); err != nil {
		return err
	}
	j.head = pos
	j.used += need
	j.nextTID = tid + 1
	for _, b := range list {
		d := make([]byte, j.bs)
		copy(d, b.Data)
		if i, ok := j.index[b.Nr]; ok {
			j.pending[i].Data = d
			continue
		}
		j.index[b.Nr] = len(j.pending)
		j.pending = append(j.pending, Block{Nr: b.Nr, Data: d})
	}
	return nil
}

// abortOn aborts the journal when a write or flush failed: what lies
// in the log is then unknown, so nothing more is written (the kernel
// aborts the journal and the filesystem turns read-only, EROFS).
func (j *Journal) abortOn(err *error) {
	if *err != nil && *err != vfs.EINVAL && *err != vfs.EFBIG && *err != vfs.EOPNOTSUPP {
		j.aborted = true
	}
}

// MaxBlocks returns the most blocks one Commit can take (the log's
// length less its descriptor and commit blocks).
func (j *Journal) MaxBlocks() int {
	logLen := int(j.sb.last() - j.sb.first)
	n := logLen - 2
	for n > 0 && j.descriptorsFor(n)+n+1 > logLen {
		n--
	}
	return n
}

// header writes a journal block header at the start of a cleared b.
func (j *Journal) header(b []byte, typ, seq uint32) {
	clear(b)
	be.PutUint32(b, Magic)
	be.PutUint32(b[4:], typ)
	be.PutUint32(b[8:], seq)
}

// tagsPerDescriptor is how many tags one descriptor block holds: the
// first with the 16-byte UUID, the rest with flagSameUUID.
func (j *Journal) tagsPerDescriptor() int {
	room := j.bs - headerSize - 16
	if j.sb.csumV2or3 {
		room -= tailSize
	}
	return room / j.sb.tagBytes()
}

// descriptorsFor returns the descriptor blocks n logged blocks need.
func (j *Journal) descriptorsFor(n int) int {
	per := j.tagsPerDescriptor()
	return (n + per - 1) / per
}

// Checkpoint writes every committed block in place, flushes, and then
// marks the journal empty (s_start 0, s_sequence the next transaction),
// flushing again. A crash during it leaves the log in force, so replay
// writes the blocks again. With nothing committed it does nothing.
func (j *Journal) Checkpoint() (err error) {
	if j.aborted {
		return vfs.EROFS
	}
	defer j.abortOn(&err)
	if !j.live {
		return nil
	}
	for _, b := range j.pending {
		if err := writeAt(j.dev, b.Data, b.Nr, j.bs); err != nil {
			return err
		}
	}
	if err := j.flush(); err != nil {
		return err
	}
	j.sb.sequence = j.nextTID
	j.sb.start = 0
	j.sb.head = j.head // as jbd2_mark_journal_empty records it
	if err := j.writeSuper(); err != nil {
		return err
	}
	j.live = false
	j.pending = nil
	clear(j.index)
	j.used = 0
	return nil
}
