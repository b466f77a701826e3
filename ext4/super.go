package ext4

import (
	"github.com/mountkit/mountkit/vfs"
)

// Feature bits of the superblock.
const (
	compatHasJournal = 0x4
	compatExtAttr    = 0x8
	compatDirIndex   = 0x20

	incompatCompression = 0x1
	incompatFiletype    = 0x2
	incompatRecover     = 0x4
	incompatJournalDev  = 0x8
	incompatMetaBG      = 0x10
	incompatExtents     = 0x40
	incompat64Bit       = 0x80
	incompatMMP         = 0x100
	incompatFlexBG      = 0x200
	incompatEAInode     = 0x400
	incompatDirData     = 0x1000
	incompatCsumSeed    = 0x2000
	incompatLargeDir    = 0x4000
	incompatInlineData  = 0x8000
	incompatEncrypt     = 0x10000
	incompatCasefold    = 0x20000

	// incompatKnown is what Linux 6.18 mounts (EXT4_FEATURE_INCOMPAT_SUPP).
	incompatKnown = incompatFiletype | incompatRecover | incompatMetaBG |
		incompatExtents | incompat64Bit | incompatMMP | incompatFlexBG |
		incompatEAInode | incompatCsumSeed | incompatLargeDir |
		incompatInlineData | incompatEncrypt | incompatCasefold
	// incompatReadable is what this package reads; the rest of
	// incompatKnown is refused with EINVAL (see the package doc).
	// mmp needs nothing of a read-only mount (Linux checks the MMP block
	// only for read-write ones).
	incompatReadable = incompatFiletype | incompatRecover | incompatMetaBG |
		incompatExtents | incompat64Bit | incompatMMP | incompatFlexBG |
		incompatEAInode | incompatCsumSeed | incompatLargeDir | incompatInlineData

	roCompatSparseSuper  = 0x1
	roCompatLargeFile    = 0x2
	roCompatHugeFile     = 0x8
	roCompatGdtCsum      = 0x10
	roCompatDirNlink     = 0x20
	roCompatExtraIsize   = 0x40
	roCompatBigalloc     = 0x200
	roCompatMetadataCsum = 0x400
)

// s_flags bits.
const (
	flagSignedHash   = 0x1
	flagUnsignedHash = 0x2
)

const (
	superOffset = 1024
	superSize   = 1024
	superMagic  = 0xEF53
	// maxBlocks bounds s_blocks_count so that byte offsets fit in int64.
	maxLogBlockSize = 6 // 64 KiB blocks, Linux's EXT4_MAX_BLOCK_LOG_SIZE - 10
)

// super is the decoded superblock. Every field is validated by
// parseSuper against the others and the device size.
type super struct {
	raw []byte

	inodesCount    uint32
	blocksCount    uint64
	rBlocksCount   uint64
	freeBlocks     uint64
	freeInodes     uint32
	firstDataBlock uint32
	blockSize      int
	blocksPerGroup uint32
	inodesPerGroup uint32
	state          uint16
	revLevel       uint32
	firstIno       uint32
	inodeSize      int
	compat         uint32
	incompat       uint32
	roCompat       uint32
	uuid           [16]byte
	reservedGdt    uint16
	journalInum    uint32
	hashSeed       [4]uint32
	defHashVersion uint8
	descSize       int
	firstMetaBG    uint32
	minExtraIsize  uint16
	flags          uint32
	overhead       uint32
	checksumSeed   uint32 // s_checksum_seed, with incompatCsumSeed
	groups         uint32
	descPerBlock   uint32
	gdtBlocks      uint64 // blocks of group descriptors
}

func (s *super) csum() bool { return s.roCompat&roCompatMetadataCsum != 0 }

// parseSuper decodes and validates the superblock b (1024 bytes) of a
// device of size bytes, with Linux's answers: EINVAL for anything that
// is not a mountable ext2/3/4 superblock, EBADMSG for a bad checksum.
func parseSuper(b []byte, size int64) (*super, error) {
	if len(b) < superSize || u16(b, 0x38) != superMagic {
		return nil, vfs.EINVAL
	}
	s := &super{raw: b}
	s.inodesCount = u32(b, 0x0)
	s.blocksCount = uint64(u32(b, 0x4))
	s.rBlocksCount = uint64(u32(b, 0x8))
	s.freeBlocks = uint64(u32(b, 0xC))
	s.freeInodes = u32(b, 0x10)
	s.firstDataBlock = u32(b, 0x14)
	logBS := u32(b, 0x18)
	s.blocksPerGroup = u32(b, 0x20)
	s.inodesPerGroup = u32(b, 0x28)
	s.state = u16(b, 0x3A)
	s.revLevel = u32(b, 0x4C)
	s.compat = u32(b, 0x5C)
	s.incompat = u32(b, 0x60)
	s.roCompat = u32(b, 0x64)
	copy(s.uuid[:], b[0x68:0x78])
	s.reservedGdt = u16(b, 0xCE)
	s.journalInum = u32(b, 0xE0)
	for i := range s.hashSeed {
		s.hashSeed[i] = u32(b, 0xEC+4*i)
	}
	s.defHashVersion = b[0xFC]
	s.firstMetaBG = u32(b, 0x104)
	s.minExtraIsize = u16(b, 0x15C)
	s.flags = u32(b, 0x160)
	s.overhead = u32(b, 0x248)
	s.checksumSeed = u32(b, 0x270)
	if s.revLevel == 0 {
		s.firstIno, s.inodeSize = 11, 128
		s.compat, s.incompat, s.roCompat = 0, 0, 0
	} else {
		s.firstIno = u32(b, 0x54)
		s.inodeSize = int(u16(b, 0x58))
	}
	if s.incompat&incompat64Bit != 0 {
		s.blocksCount |= uint64(u32(b, 0x150)) << 32
		s.rBlocksCount |= uint64(u32(b, 0x154)) << 32
		s.freeBlocks |= uint64(u32(b, 0x158)) << 32
		s.descSize = int(u16(b, 0xFE))
		if s.descSize < 64 || s.descSize > 1024 || s.descSize&(s.descSize-1) != 0 {
			return nil, vfs.EINVAL
		}
	} else {
		s.descSize = 32
	}
	if s.incompat&^incompatKnown != 0 {
		return nil, vfs.EINVAL
	}
	if s.incompat&^incompatReadable != 0 || s.roCompat&roCompatBigalloc != 0 {
		return nil, vfs.EINVAL
	}
	if s.csum() {
		if b[0x175] != 1 { // s_checksum_type: crc32c
			return nil, vfs.EINVAL
		}
		if crc32c(^uint32(0), b[:0x3FC]) != u32(b, 0x3FC) {
			return nil, vfs.EBADMSG
		}
	}
	if logBS > maxLogBlockSize {
		return nil, vfs.EINVAL
	}
	s.blockSize = 1024 << logBS
	if u32(b, 0x1C) != logBS { // s_log_cluster_size without bigalloc
		return nil, vfs.EINVAL
	}
	bs := uint64(s.blockSize)
	if s.inodeSize < 128 || s.inodeSize > s.blockSize || s.inodeSize&(s.inodeSize-1) != 0 {
		return nil, vfs.EINVAL
	}
	if s.blocksPerGroup == 0 || uint64(s.blocksPerGroup) > 8*bs ||
		s.inodesPerGroup == 0 || uint64(s.inodesPerGroup) > 8*bs {
		return nil, vfs.EINVAL
	}
	if s.firstIno < 11 || s.firstIno >= s.inodesCount && s.inodesCount != 0 {
		return nil, vfs.EINVAL
	}
	if s.blockSize == 1024 && s.firstDataBlock != 1 || s.blockSize > 1024 && s.firstDataBlock != 0 && s.firstDataBlock >= uint32(s.blocksCount) {
		return nil, vfs.EINVAL
	}
	if s.blocksCount <= uint64(s.firstDataBlock) {
		return nil, vfs.EINVAL
	}
	// The device must hold every block (Linux: "bad geometry: block
	// count exceeds size of device", EINVAL).
	if s.blocksCount > uint64(size)/bs {
		return nil, vfs.EINVAL
	}
	groups := (s.blocksCount - uint64(s.firstDataBlock) + uint64(s.blocksPerGroup) - 1) / uint64(s.blocksPerGroup)
	if groups == 0 || groups > 1<<32-1 {
		return nil, vfs.EINVAL
	}
	s.groups = uint32(groups)
	if uint64(s.inodesCount) != uint64(s.groups)*uint64(s.inodesPerGroup) {
		return nil, vfs.EINVAL
	}
	s.descPerBlock = uint32(s.blockSize / s.descSize)
	s.gdtBlocks = (uint64(s.groups) + uint64(s.descPerBlock) - 1) / uint64(s.descPerBlock)
	if s.incompat&incompatMetaBG == 0 && s.gdtBlocks+uint64(s.firstDataBlock)+1 > s.blocksCount {
		return nil, vfs.EINVAL
	}
	if s.incompat&incompatMetaBG != 0 && uint64(s.firstMetaBG) > s.gdtBlocks {
		return nil, vfs.EINVAL
	}
	return s, nil
}

// logBlockSize returns log2 of the block size.
func (s *super) logBlockSize() uint {
	n := uint(10)
	for 1<<n < s.blockSize {
		n++
	}
	return n
}

// seed returns the checksum seed of metadata_csum.
func (s *super) seed() uint32 {
	if s.incompat&incompatCsumSeed != 0 {
		return s.checksumSeed
	}
	return crc32c(^uint32(0), s.uuid[:])
}

// hasSuper reports whether group g holds a superblock backup
// (sparse_super: groups 0, 1 and powers of 3, 5 and 7).
func (s *super) hasSuper(g uint32) bool {
	if g == 0 || s.roCompat&roCompatSparseSuper == 0 {
		return true
	}
	if g&1 == 0 {
		return false
	}
	for _, b := range []uint32{3, 5, 7} {
		n := uint64(b)
		for n < uint64(g) {
			n *= uint64(b)
		}
		if n == uint64(g) {
			return true
		}
	}
	return g == 1
}

// descBlock returns the block holding the descriptor of group g
// (Linux's descriptor_loc).
func (s *super) descBlock(g uint32) uint64 {
	idx := uint64(g / s.descPerBlock)
	first := uint64(s.firstDataBlock)
	if s.incompat&incompatMetaBG == 0 || idx < uint64(s.firstMetaBG) {
		return first + 1 + idx
	}
	bg := uint32(idx) * s.descPerBlock
	var hs uint64
	if s.hasSuper(bg) {
		hs = 1
	}
	// The first group of a meta group, with the superblock backup the
	// group may hold (a 1 KiB-block group 0 starts at block 1).
	start := uint64(bg)*uint64(s.blocksPerGroup) + first
	return start + hs
}

// numGDB returns the group-descriptor blocks in group g (Linux's
// ext4_bg_num_gdb).
func (s *super) numGDB(g uint32) uint64 {
	metaGroup := uint64(g / s.descPerBlock)
	if s.incompat&incompatMetaBG == 0 || metaGroup < uint64(s.firstMetaBG) {
		if !s.hasSuper(g) {
			return 0
		}
		return s.gdtBlocks
	}
	i := g % s.descPerBlock
	if i == 0 || i == 1 || i == s.descPerBlock-1 {
		return 1
	}
	return 0
}

// baseMeta returns the blocks of superblock and descriptors at the start
// of group g (ext4_num_base_meta_clusters).
func (s *super) baseMeta(g uint32) uint64 {
	var n uint64
	if s.hasSuper(g) {
		n = 1
	}
	metaGroup := uint64(g / s.descPerBlock)
	if s.incompat&incompatMetaBG == 0 || metaGroup < uint64(s.firstMetaBG) {
		if n != 0 {
			n += s.numGDB(g) + uint64(s.reservedGdt)
		}
	} else {
		n += s.numGDB(g)
	}
	return n
}
