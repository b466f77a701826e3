package ext4

import "github.com/mountkit/mountkit/vfs"

// group is a decoded group descriptor. The reader needs only
// inodeTable; a writer keeps every field and encodes them back (putGroup).
type group struct {
	inodeTable   uint64
	blockBitmap  uint64
	inodeBitmap  uint64
	freeBlocks   uint32
	freeInodes   uint32
	usedDirs     uint32
	flags        uint16
	itableUnused uint32
}

// Group descriptor flags.
const (
	bgInodeUninit = 0x1
	bgBlockUninit = 0x2
	bgInodeZeroed = 0x4
)

// readGroups reads and checks every group descriptor
// (ext4_check_descriptors): bitmaps and inode table must lie inside the
// filesystem (and inside their group without flex_bg), else EUCLEAN.
// Descriptor checksums are not checked: a read-only Linux mount only
// logs a mismatch.
// It also returns the free block and inode counts the groups record.
func (f *FS) readGroups() (freeBlocks, freeInodes uint64, err error) {
	sb := f.sb
	f.groups = make([]group, sb.groups)
	itb := (uint64(sb.inodesPerGroup)*uint64(sb.inodeSize) + uint64(sb.blockSize) - 1) / uint64(sb.blockSize)
	for g := range sb.groups {
		blk := sb.descBlock(g)
		b, err := f.dev.block(blk)
		if err != nil {
			return 0, 0, err
		}
		o := int(g%sb.descPerBlock) * sb.descSize
		d := b[o : o+sb.descSize]
		bbitmap := uint64(u32(d, 0x0))
		ibitmap := uint64(u32(d, 0x4))
		itable := uint64(u32(d, 0x8))
		fb := uint64(u16(d, 0xC))
		fi := uint64(u16(d, 0xE))
		dirs := uint32(u16(d, 0x10))
		unused := uint32(u16(d, 0x1C))
		if sb.descSize >= 64 {
			bbitmap |= uint64(u32(d, 0x20)) << 32
			ibitmap |= uint64(u32(d, 0x24)) << 32
			itable |= uint64(u32(d, 0x28)) << 32
			fb |= uint64(u16(d, 0x2C)) << 16
			fi |= uint64(u16(d, 0x2E)) << 16
			dirs |= uint32(u16(d, 0x30)) << 16
			unused |= uint32(u16(d, 0x32)) << 16
		}
		first := uint64(sb.firstDataBlock)
		last := sb.blocksCount - 1
		if sb.incompat&incompatFlexBG == 0 {
			first = uint64(g)*uint64(sb.blocksPerGroup) + uint64(sb.firstDataBlock)
			last = min(first+uint64(sb.blocksPerGroup)-1, last)
		}
		if bbitmap < first || bbitmap > last || ibitmap < first || ibitmap > last ||
			itable < first || itable > last || itb > last-itable+1 {
			return 0, 0, vfs.EUCLEAN
		}
		f.groups[g] = group{inodeTable: itable, blockBitmap: bbitmap, inodeBitmap: ibitmap,
			freeBlocks: uint32(fb), freeInodes: uint32(fi), usedDirs: dirs,
			flags: u16(d, 0x12), itableUnused: unused}
		freeBlocks += fb
		freeInodes += fi
	}
	return freeBlocks, freeInodes, nil
}

// overhead computes the blocks the filesystem's own structures take
// (ext4_calculate_overhead), unless the superblock records it.
func (f *FS) overhead(journalBlocks uint64) uint64 {
	sb := f.sb
	if sb.overhead != 0 {
		return uint64(sb.overhead)
	}
	itb := (uint64(sb.inodesPerGroup)*uint64(sb.inodeSize) + uint64(sb.blockSize) - 1) / uint64(sb.blockSize)
	o := uint64(sb.firstDataBlock)
	for g := range sb.groups {
		o += sb.baseMeta(g) + itb + 2
	}
	return o + journalBlocks
}
