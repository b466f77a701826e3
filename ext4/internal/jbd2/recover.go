package jbd2

import (
	"github.com/mountkit/mountkit/vfs"
)

type pass int

const (
	passScan pass = iota
	passRevoke
	passReplay
)

// maxRevokes bounds the revoke table (the kernel's replay table is
// capped at 2^20 hash buckets; a corrupt journal must not make us
// allocate without bound).
const maxRevokes = 1 << 22

// recovery carries what one pass learns to the next (recovery_info).
type recovery struct {
	end       uint32 // the first transaction not to replay
	endSet    bool
	head      uint32 // the log block after the last good commit block
	headSet   bool
	nrRevokes int
	revoked   map[uint64]uint32 // block -> latest transaction revoking it
	replayed  int
	hits      int
}

// Stats reports what the last Recover did.
type Stats struct {
	Start, End uint32 // transactions [Start, End) were replayed
	Replayed   int    // blocks written
	Revokes    int    // revoke records in the log
	RevokeHits int    // logged blocks not written because revoked
}

// Recover replays the journal into the device, as jbd2_journal_recover
// does (three passes over the log: find its end, gather revoke records,
// write every logged block not revoked), then marks the journal empty:
// s_start 0 and s_sequence one past the last transaction found (which
// invalidates the commit records left in the log). Replay stops at the
// first block that is not the next expected one (bad magic, another
// sequence number) or at a commit block whose checksum fails. Errors are
// the kernel's: EBADMSG for a checksum failure the kernel treats as
// corruption, EIO for a device error or passes that disagree, EUCLEAN
// for a log that points outside the journal (or a logged block past
// FSBlocks). On error the superblock is left as it was, so the journal
// still needs recovery. A journal that needs no recovery is left alone.
func (j *Journal) Recover() (Stats, error) {
	if j.sb.start == 0 {
		return Stats{}, nil
	}
	if j.live {
		return Stats{}, vfs.EINVAL
	}
	if j.sb.incompat&FeatureIncompatFastCommit != 0 {
		// Fast-commit blocks after the last full transaction are
		// ext4's to replay, which this package does not do.
		return Stats{}, vfs.EOPNOTSUPP
	}
	info := &recovery{}
	err := j.pass(passScan, info)
	if err == nil {
		err = j.pass(passRevoke, info)
	}
	if err == nil {
		err = j.pass(passReplay, info)
	}
	st := Stats{Start: j.sb.sequence, End: info.end, Replayed: info.replayed, Revokes: info.nrRevokes, RevokeHits: info.hits}
	if err != nil {
		return st, err
	}
	if err := j.flush(); err != nil {
		return st, err
	}
	// As the kernel leaves it (jbd2_mark_journal_empty after the
	// replay, with ext4's JBD2_CYCLE_RECORD): s_head records where the
	// log went on. (e2fsck leaves s_head alone.)
	j.sb.sequence = info.end + 1
	j.sb.start = 0
	j.sb.head = info.head
	return st, j.writeSuper()
}

// pass is do_one_pass: one walk of the log from s_start.
func (j *Journal) pass(p pass, info *recovery) error {
	sb := j.sb
	next := sb.sequence
	blk := sb.start
	head := blk
	var result error
	crcSum := ^uint32(0)
	needCheckTime := false
	var lastTime, commitTime uint64
	// A log can never be walked past its own length: the tail would be
	// overwritten. Walking further means the blocks loop back on
	// themselves (a corrupt log), which the bound stops.
	budget := int64(sb.last() - sb.first)
	b := make([]byte, j.bs)
	data := make([]byte, j.bs)
	// step reads the next log block into buf.
	step := func(buf []byte) (uint32, error) {
		if budget--; budget < 0 {
			return 0, vfs.EUCLEAN
		}
		at := blk
		blk = j.wrap(blk + 1)
		return at, j.read(buf, at)
	}

loop:
	for {
		if p != passScan && tidGEQ(next, info.end) {
			break
		}
		if _, err := step(b); err != nil {
			return err
		}
		if be.Uint32(b) != Magic || be.Uint32(b[8:]) != next {
			break
		}
		switch be.Uint32(b[4:]) {
		case typeDescriptor:
			if !sb.tailOK(b) {
				// The scan may meet stale blocks of a lazily
				// initialised journal: decided at the commit block.
				if p != passScan {
					return vfs.EBADMSG
				}
				needCheckTime = true
			}
			tags := j.tags(b)
			switch {
			case p == passScan && sb.compat&FeatureCompatChecksum != 0 && !info.endSet:
				crcSum = crc32be(crcSum, b)
				for range tags {
					if _, err := step(data); err != nil {
						if err == vfs.EUCLEAN && budget < 0 {
							return err
						}
						break loop // calc_chksums failed: the end of the log
					}
					crcSum = crc32be(crcSum, data)
				}
			case p != passReplay:
				for range tags {
					if budget--; budget < 0 {
						return vfs.EUCLEAN
					}
					blk = j.wrap(blk + 1)
				}
			default:
				for _, t := range tags {
					if _, err := step(data); err != nil {
						if err == vfs.EUCLEAN && budget < 0 {
							return err
						}
						result = err // recover what we can
						continue
					}
					if r, ok := info.revoked[t.blocknr]; ok && !tidGT(next, r) {
						info.hits++
						continue
					}
					if !sb.tagCsumOK(t, next, data) {
						result = vfs.EBADMSG
						continue
					}
					if j.FSBlocks != 0 && t.blocknr >= j.FSBlocks {
						result = vfs.EUCLEAN
						continue
					}
					if t.flags&flagEscape != 0 {
						be.PutUint32(data, Magic)
					}
					if err := writeAt(j.dev, data, t.blocknr, j.bs); err != nil {
						result = err
						continue
					}
					info.replayed++
				}
			}

		case typeCommit:
			if p != passScan {
				next++
				continue
			}
			commitTime = be.Uint64(b[0x30:])
			if needCheckTime {
				if commitTime >= lastTime {
					return vfs.EBADMSG // "Invalid checksum found in transaction"
				}
				break loop // stale blocks of an older journal: the end
			}
			ok := false
			if sb.compat&FeatureCompatChecksum != 0 {
				if info.endSet {
					break loop
				}
				typ, size, found := b[0xC], b[0xD], be.Uint32(b[0x10:])
				ok = crcSum == found && typ == checksumCRC32 && size == 4 ||
					typ == 0 && size == 0 && found == 0
				crcSum = ^uint32(0)
			} else {
				ok = sb.commitOK(b)
			}
			if !ok {
				if commitTime < lastTime {
					break loop
				}
				info.end, info.endSet = next, true
				info.head, info.headSet = head, true
				if sb.incompat&FeatureIncompatAsyncCommit == 0 {
					break loop // the failed commit ends the log
				}
			}
			lastTime = commitTime
			head = blk
			next++

		case typeRevoke:
			if p == passReplay {
				continue
			}
			if p == passScan && !sb.tailOK(b) {
				needCheckTime = true
			}
			if err := j.scanRevoke(p, b, next, info); err != nil {
				return err
			}

		default:
			break loop
		}
	}
	if p == passScan {
		if !info.endSet {
			info.end, info.endSet = next, true
		}
		if !info.headSet {
			info.head, info.headSet = head, true
		}
	} else if info.end != next && result == nil {
		result = vfs.EIO // passes ended at different places
	}
	return result
}

// tags decodes the tags of descriptor block b (count_tags and the
// replay's walk): they run from the header to the tail (csum v2/v3)
// or the block's end, until one with flagLastTag.
func (j *Journal) tags(b []byte) []tag {
	sb := j.sb
	size := len(b)
	if sb.csumV2or3 {
		size -= tailSize
	}
	n := sb.tagBytes()
	var out []tag
	for off := headerSize; off+n <= size; {
		t := sb.readTag(b[off:])
		out = append(out, t)
		off += n
		if t.flags&flagSameUUID == 0 {
			off += 16
		}
		if t.flags&flagLastTag != 0 {
			break
		}
	}
	return out
}

// scanRevoke is scan_revoke_records: r_count bytes of records, 4 or 8
// bytes each, after the 16-byte header.
func (j *Journal) scanRevoke(p pass, b []byte, seq uint32, info *recovery) error {
	rcount := be.Uint32(b[12:])
	limit := uint32(len(b))
	if j.sb.csumV2or3 {
		limit -= tailSize
	}
	if rcount > limit {
		return vfs.EINVAL
	}
	rec := uint32(4)
	if j.sb.bit64() != 0 {
		rec = 8
	}
	if p == passScan {
		if rcount > revokeHeader {
			info.nrRevokes += int((rcount - revokeHeader) / rec)
		}
		return nil
	}
	if info.revoked == nil {
		info.revoked = make(map[uint64]uint32)
	}
	for off := uint32(revokeHeader); off+rec <= rcount; off += rec {
		var nr uint64
		if rec == 4 {
			nr = uint64(be.Uint32(b[off:]))
		} else {
			nr = be.Uint64(b[off:])
		}
		old, ok := info.revoked[nr]
		if !ok && len(info.revoked) >= maxRevokes {
			return vfs.ENOMEM
		}
		if !ok || tidGT(seq, old) {
			info.revoked[nr] = seq
		}
	}
	return nil
}
