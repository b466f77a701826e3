package jbd2

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/mountkit/mountkit/vfs"
)

// be is the journal's byte order: every jbd2 field is big-endian.
var be = binary.BigEndian

// Magic starts every journal metadata block (journal_header_t.h_magic).
const Magic = 0xC03B3998

// Block types (h_blocktype).
const (
	typeDescriptor = 1
	typeCommit     = 2
	typeSuperV1    = 3
	typeSuperV2    = 4
	typeRevoke     = 5
)

// Feature bits of a v2 journal superblock.
const (
	// FeatureCompatChecksum is the v1 transaction checksum: crc32_be of
	// every descriptor and data block, kept in the commit block.
	FeatureCompatChecksum = 0x1

	FeatureIncompatRevoke      = 0x1
	FeatureIncompat64Bit       = 0x2
	FeatureIncompatAsyncCommit = 0x4
	FeatureIncompatCsumV2      = 0x8
	FeatureIncompatCsumV3      = 0x10
	FeatureIncompatFastCommit  = 0x20

	knownIncompat = FeatureIncompatRevoke | FeatureIncompat64Bit |
		FeatureIncompatAsyncCommit | FeatureIncompatCsumV2 |
		FeatureIncompatCsumV3 | FeatureIncompatFastCommit
	knownRoCompat = 0
)

// Tag flags (t_flags).
const (
	flagEscape   = 0x1 // the block began with Magic; its first 4 bytes are zeroed in the log
	flagSameUUID = 0x2 // no 16-byte UUID follows the tag
	flagDeleted  = 0x4 // unused by jbd2
	flagLastTag  = 0x8 // the descriptor's last tag
)

const (
	headerSize      = 12   // journal_header_t
	superSize       = 1024 // sizeof(journal_superblock_t)
	tailSize        = 4    // jbd2_journal_block_tail
	revokeHeader    = 16   // jbd2_journal_revoke_header_t
	commitHeader    = 0x3C // sizeof(struct commit_header)
	checksumCRC32C  = 4    // JBD2_CRC32C_CHKSUM
	checksumCRC32   = 1    // JBD2_CRC32_CHKSUM (v1 transaction checksum)
	defaultFCBlocks = 256  // JBD2_DEFAULT_FAST_COMMIT_BLOCKS
)

// Offsets in the journal superblock.
const (
	sbBlocksize    = 0x0C
	sbMaxlen       = 0x10
	sbFirst        = 0x14
	sbSequence     = 0x18
	sbStart        = 0x1C
	sbErrno        = 0x20
	sbCompat       = 0x24
	sbIncompat     = 0x28
	sbRoCompat     = 0x2C
	sbUUID         = 0x30
	sbChecksumType = 0x50
	sbNumFCBlocks  = 0x54
	sbHead         = 0x58
	sbChecksum     = 0xFC
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c is the kernel's crc32c(seed, p) as jbd2_chksum uses it: no
// inversion on entry or exit (Go's crc32.Update inverts both).
func crc32c(seed uint32, p []byte) uint32 {
	return ^crc32.Update(^seed, castagnoli, p)
}

// crcBE is the table of the kernel's crc32_be (polynomial 0x04C11DB7,
// most significant bit first), the v1 transaction checksum.
var crcBE = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04C11DB7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crc32be is the kernel's crc32_be(seed, p): no inversion.
func crc32be(crc uint32, p []byte) uint32 {
	for _, b := range p {
		crc = crc<<8 ^ crcBE[byte(crc>>24)^b]
	}
	return crc
}

// super is the decoded journal superblock; raw is the whole first
// journal block, written back with the fields a commit changes.
type super struct {
	raw       []byte
	v2        bool
	maxlen    uint32
	first     uint32
	sequence  uint32
	start     uint32
	head      uint32 // s_head (v2): where the log went on when it was emptied
	compat    uint32
	incompat  uint32
	uuid      [16]byte
	fcBlocks  uint32 // fast-commit blocks at the end of the journal
	csumV2or3 bool
}

// parseSuper decodes and checks the journal superblock in b (one journal
// block) of a journal of nblocks blocks of bs bytes, as
// journal_get_superblock and load_superblock do: EINVAL for anything
// that is not a usable journal superblock, EBADMSG for a bad checksum.
func parseSuper(b []byte, bs int, nblocks uint32) (*super, error) {
	if len(b) < superSize || be.Uint32(b) != Magic {
		return nil, vfs.EINVAL
	}
	s := &super{raw: b}
	switch be.Uint32(b[4:]) {
	case typeSuperV1:
	case typeSuperV2:
		s.v2 = true
	default:
		return nil, vfs.EINVAL
	}
	if be.Uint32(b[sbBlocksize:]) != uint32(bs) {
		return nil, vfs.EINVAL
	}
	s.maxlen = be.Uint32(b[sbMaxlen:])
	if s.maxlen > nblocks { // "journal file too short"
		return nil, vfs.EINVAL
	}
	s.first = be.Uint32(b[sbFirst:])
	if s.first == 0 || s.first >= s.maxlen {
		return nil, vfs.EINVAL
	}
	s.sequence = be.Uint32(b[sbSequence:])
	s.start = be.Uint32(b[sbStart:])
	if s.v2 {
		s.compat = be.Uint32(b[sbCompat:])
		s.incompat = be.Uint32(b[sbIncompat:])
		if be.Uint32(b[sbRoCompat:])&^knownRoCompat != 0 || s.incompat&^knownIncompat != 0 {
			return nil, vfs.EINVAL // "Unrecognised features on journal"
		}
		copy(s.uuid[:], b[sbUUID:])
		s.head = be.Uint32(b[sbHead:])
	}
	v2, v3 := s.incompat&FeatureIncompatCsumV2 != 0, s.incompat&FeatureIncompatCsumV3 != 0
	if v2 && v3 {
		return nil, vfs.EINVAL
	}
	s.csumV2or3 = v2 || v3
	if s.csumV2or3 {
		if s.compat&FeatureCompatChecksum != 0 || b[sbChecksumType] != checksumCRC32C {
			return nil, vfs.EINVAL
		}
		if s.checksum() != be.Uint32(b[sbChecksum:]) {
			return nil, vfs.EBADMSG
		}
	}
	if s.incompat&FeatureIncompatFastCommit != 0 {
		s.fcBlocks = be.Uint32(b[sbNumFCBlocks:])
		if s.fcBlocks == 0 {
			s.fcBlocks = defaultFCBlocks
		}
		if s.fcBlocks >= s.maxlen-s.first {
			return nil, vfs.EINVAL
		}
	}
	// The log must hold a transaction: a descriptor, a block and a
	// commit block.
	if s.last()-s.first < 3 || s.start != 0 && (s.start < s.first || s.start >= s.last()) {
		return nil, vfs.EINVAL
	}
	return s, nil
}

// last returns the first block past the log (j_last).
func (s *super) last() uint32 { return s.maxlen - s.fcBlocks }

// checksum is jbd2_superblock_csum: crc32c of the 1024-byte superblock
// with s_checksum zeroed, seeded with ~0.
func (s *super) checksum() uint32 {
	var zero [4]byte
	c := crc32c(^uint32(0), s.raw[:sbChecksum])
	c = crc32c(c, zero[:])
	return crc32c(c, s.raw[sbChecksum+4:superSize])
}

// encode writes sequence and start back into raw, with the checksum.
func (s *super) encode() {
	be.PutUint32(s.raw[sbSequence:], s.sequence)
	be.PutUint32(s.raw[sbStart:], s.start)
	if s.v2 {
		be.PutUint32(s.raw[sbHead:], s.head)
	}
	if s.csumV2or3 {
		be.PutUint32(s.raw[sbChecksum:], s.checksum())
	}
}

// tagBytes is journal_tag_bytes: the size of a descriptor tag, without
// the UUID that follows one without flagSameUUID.
func (s *super) tagBytes() int {
	if s.incompat&FeatureIncompatCsumV3 != 0 {
		return 16 // journal_block_tag3_t
	}
	n := 12 // journal_block_tag_t
	if s.incompat&FeatureIncompatCsumV2 != 0 {
		n += 2
	}
	if s.incompat&FeatureIncompat64Bit == 0 {
		n -= 4
	}
	return n
}

// tag is one decoded descriptor tag.
type tag struct {
	blocknr uint64
	flags   uint16
	csum    uint32 // 16 bits with csum v2, 32 with v3
}

// readTag decodes the tag at b (tagBytes long). Flags are the 16 bits
// at offset 6 in every format (the low half of tag3's 32-bit t_flags),
// as the kernel reads them.
func (s *super) readTag(b []byte) tag {
	t := tag{blocknr: uint64(be.Uint32(b)), flags: be.Uint16(b[6:])}
	if s.bit64() != 0 { // t_blocknr_high is at offset 8 in both formats
		t.blocknr |= uint64(be.Uint32(b[8:])) << 32
	}
	if s.incompat&FeatureIncompatCsumV3 != 0 {
		t.csum = be.Uint32(b[12:])
	} else {
		t.csum = uint32(be.Uint16(b[4:]))
	}
	return t
}

func (s *super) bit64() uint64 {
	if s.incompat&FeatureIncompat64Bit != 0 {
		return 1
	}
	return 0
}

// writeTag encodes t at b (tagBytes long).
func (s *super) writeTag(b []byte, t tag) {
	clear(b[:s.tagBytes()])
	be.PutUint32(b, uint32(t.blocknr))
	if s.incompat&FeatureIncompatCsumV3 != 0 {
		be.PutUint32(b[4:], uint32(t.flags))
		if s.bit64() != 0 {
			be.PutUint32(b[8:], uint32(t.blocknr>>32))
		}
		be.PutUint32(b[12:], t.csum)
		return
	}
	be.PutUint16(b[4:], uint16(t.csum))
	be.PutUint16(b[6:], t.flags)
	if s.bit64() != 0 {
		be.PutUint32(b[8:], uint32(t.blocknr>>32))
	}
}

// seed returns j_csum_seed: crc32c of the journal UUID.
func (s *super) seed() uint32 { return crc32c(^uint32(0), s.uuid[:]) }

// tailCsum computes the checksum of a descriptor or revoke block (the
// block with its last 4 bytes zeroed).
func tailCsum(seed uint32, b []byte) uint32 {
	var zero [tailSize]byte
	c := crc32c(seed, b[:len(b)-tailSize])
	return crc32c(c, zero[:])
}

// tailOK is jbd2_descriptor_block_csum_verify.
func (s *super) tailOK(b []byte) bool {
	return !s.csumV2or3 || be.Uint32(b[len(b)-tailSize:]) == tailCsum(s.seed(), b)
}

// commitCsum computes a commit block's checksum (h_chksum[0] zeroed).
func commitCsum(seed uint32, b []byte) uint32 {
	var zero [4]byte
	c := crc32c(seed, b[:0x10])
	c = crc32c(c, zero[:])
	return crc32c(c, b[0x14:])
}

// commitOK is jbd2_commit_block_csum_verify, and its _partial variant
// (a checksum over the commit header followed by zeros, which a kernel
// writing a partial commit block leaves).
func (s *super) commitOK(b []byte) bool {
	if !s.csumV2or3 {
		return true
	}
	want := be.Uint32(b[0x10:])
	if want == commitCsum(s.seed(), b) {
		return true
	}
	tmp := make([]byte, len(b))
	copy(tmp, b[:commitHeader])
	return want == commitCsum(s.seed(), tmp)
}

// blockCsum is the checksum of a logged block (as it lies in the log,
// escaped) in transaction seq, as jbd2_block_tag_csum_verify computes it.
func (s *super) blockCsum(seq uint32, b []byte) uint32 {
	var sb [4]byte
	be.PutUint32(sb[:], seq)
	return crc32c(crc32c(s.seed(), sb[:]), b)
}

// tagCsumOK checks a logged block against its tag.
func (s *super) tagCsumOK(t tag, seq uint32, b []byte) bool {
	if !s.csumV2or3 {
		return true
	}
	c := s.blockCsum(seq, b)
	if s.incompat&FeatureIncompatCsumV3 == 0 {
		c &= 0xFFFF
	}
	return c == t.csum
}

// tidGT is tid_gt: a is later than b, modulo 2^32.
func tidGT(a, b uint32) bool { return int32(a-b) > 0 }

// tidGEQ is tid_geq.
func tidGEQ(a, b uint32) bool { return int32(a-b) >= 0 }
