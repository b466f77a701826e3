package ext4

import (
	"math/bits"

	"github.com/mountkit/mountkit/vfs"
)

// This file is the allocator of a read-write mount: the block and inode
// bitmaps, the group descriptors and the superblock's free counts, with
// their checksums. Every function here runs under the write lock
// (FS.wmu).

// gdtCsum reports whether group descriptors carry a checksum
// (ext4_has_group_desc_csum), which is also what makes the uninit
// flags and bg_itable_unused meaningful.
func (s *super) gdtCsum() bool { return s.roCompat&(roCompatGdtCsum|roCompatMetadataCsum) != 0 }

// groupStart returns the first block of group g.
func (s *super) groupStart(g uint32) uint64 {
	return uint64(g)*uint64(s.blocksPerGroup) + uint64(s.firstDataBlock)
}

// groupBlocks returns the blocks of group g (the last one may be short).
func (s *super) groupBlocks(g uint32) uint64 {
	return min(uint64(s.blocksPerGroup), s.blocksCount-s.groupStart(g))
}

// putGroup encodes group g's descriptor back into its (dirty) block,
// with the bitmap checksums and the descriptor checksum.
func (f *FS) putGroup(g uint32) error {
	sb := f.sb
	b, err := f.dev.mut(sb.descBlock(g))
	if err != nil {
		return err
	}
	o := int(g%sb.descPerBlock) * sb.descSize
	d := b[o : o+sb.descSize]
	gr := &f.groups[g]
	le.PutUint16(d[0xC:], uint16(gr.freeBlocks))
	le.PutUint16(d[0xE:], uint16(gr.freeInodes))
	le.PutUint16(d[0x10:], uint16(gr.usedDirs))
	le.PutUint16(d[0x12:], gr.flags)
	le.PutUint16(d[0x1C:], uint16(gr.itableUnused))
	if sb.descSize >= 64 {
		le.PutUint16(d[0x2C:], uint16(gr.freeBlocks>>16))
		le.PutUint16(d[0x2E:], uint16(gr.freeInodes>>16))
		le.PutUint16(d[0x30:], uint16(gr.usedDirs>>16))
		le.PutUint16(d[0x32:], uint16(gr.itableUnused>>16))
	}
	if sb.csum() {
		if gr.flags&bgBlockUninit == 0 {
			bm, err := f.dev.block(gr.blockBitmap)
			if err != nil {
				return err
			}
			c := crc32c(f.seed, bm[:sb.blocksPerGroup/8])
			le.PutUint16(d[0x18:], uint16(c))
			if sb.descSize >= 0x3C {
				le.PutUint16(d[0x38:], uint16(c>>16))
			}
		}
		if gr.flags&bgInodeUninit == 0 {
			bm, err := f.dev.block(gr.inodeBitmap)
			if err != nil {
				return err
			}
			c := crc32c(f.seed, bm[:sb.inodesPerGroup/8])
			le.PutUint16(d[0x1A:], uint16(c))
			if sb.descSize >= 0x3C {
				le.PutUint16(d[0x3A:], uint16(c>>16))
			}
		}
	}
	if sb.gdtCsum() {
		le.PutUint16(d[0x1E:], f.groupCsum(g, d))
	}
	return nil
}

// groupCsum is ext4_group_desc_csum: crc32c with metadata_csum, crc16
// with gdt_csum, over the descriptor less its checksum field.
func (f *FS) groupCsum(g uint32, d []byte) uint16 {
	var gb [4]byte
	le.PutUint32(gb[:], g)
	if f.sb.csum() {
		c := crc32c(f.seed, gb[:])
		c = crc32c(c, d[:0x1E])
		c = crc32c(c, []byte{0, 0})
		c = crc32c(c, d[0x20:])
		return uint16(c)
	}
	c := crc16(0xFFFF, f.sb.uuid[:])
	c = crc16(c, gb[:])
	c = crc16(c, d[:0x1E])
	if f.sb.incompat&incompat64Bit != 0 && len(d) > 0x20 {
		c = crc16(c, d[0x20:])
	}
	return c
}

var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA001
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crc16 is the kernel's crc16 (polynomial 0x8005, reflected).
func crc16(c uint16, p []byte) uint16 {
	for _, b := range p {
		c = c>>8 ^ crc16Table[byte(c)^b]
	}
	return c
}

// blockBitmap returns group g's block bitmap for changing,
// initialising it first when the group is BLOCK_UNINIT
// (ext4_init_block_bitmap): the superblock and descriptor copies, the
// group's own bitmaps and inode table when they lie in it, and the
// padding past the group's end are in use. The result must agree with
// the descriptor's free count, else the group is EUCLEAN.
func (f *FS) blockBitmap(g uint32) ([]byte, error) {
	gr := &f.groups[g]
	if gr.flags&bgBlockUninit == 0 || !f.sb.gdtCsum() {
		return f.dev.mut(gr.blockBitmap)
	}
	b, err := f.dev.fresh(gr.blockBitmap)
	if err != nil {
		return nil, err
	}
	sb := f.sb
	start := sb.groupStart(g)
	n := sb.groupBlocks(g)
	for i := range sb.baseMeta(g) {
		setBit(b, i)
	}
	itb := (uint64(sb.inodesPerGroup)*uint64(sb.inodeSize) + uint64(sb.blockSize) - 1) / uint64(sb.blockSize)
	in := func(x uint64) bool { return x >= start && x < start+n }
	if in(gr.blockBitmap) {
		setBit(b, gr.blockBitmap-start)
	}
	if in(gr.inodeBitmap) {
		setBit(b, gr.inodeBitmap-start)
	}
	for i := range itb {
		if in(gr.inodeTable + i) {
			setBit(b, gr.inodeTable+i-start)
		}
	}
	for i := n; i < uint64(8*sb.blockSize); i++ {
		setBit(b, i)
	}
	used := uint64(0)
	for i := range n {
		if testBit(b, i) {
			used++
		}
	}
	if n-used != uint64(gr.freeBlocks) {
		f.dev.forget(gr.blockBitmap)
		return nil, vfs.EUCLEAN
	}
	gr.flags &^= bgBlockUninit
	return b, f.putGroup(g)
}

// inodeBitmap returns group g's inode bitmap for changing, initialised
// (all free, padding in use) when the group is INODE_UNINIT.
func (f *FS) inodeBitmap(g uint32) ([]byte, error) {
	gr := &f.groups[g]
	if gr.flags&bgInodeUninit == 0 || !f.sb.gdtCsum() {
		return f.dev.mut(gr.inodeBitmap)
	}
	b, err := f.dev.fresh(gr.inodeBitmap)
	if err != nil {
		return nil, err
	}
	for i := uint64(f.sb.inodesPerGroup); i < uint64(8*f.sb.blockSize); i++ {
		setBit(b, i)
	}
	gr.flags &^= bgInodeUninit
	return b, f.putGroup(g)
}

func setBit(b []byte, i uint64)       { b[i/8] |= 1 << (i % 8) }
func clearBit(b []byte, i uint64)     { b[i/8] &^= 1 << (i % 8) }
func testBit(b []byte, i uint64) bool { return b[i/8]&(1<<(i%8)) != 0 }

// findZero returns the first clear bit of b in [from, to), or to.
func findZero(b []byte, from, to uint64) uint64 {
	for i := from; i < to; {
		if i%64 == 0 && i+64 <= to {
			w := le.Uint64(b[i/8:])
			if w == ^uint64(0) {
				i += 64
				continue
			}
			return i + uint64(bits.TrailingZeros64(^w))
		}
		if !testBit(b, i) {
			return i
		}
		i++
	}
	return to
}

// flexGroup returns the first group of g's flex group.
func (f *FS) flexGroup(g uint32) uint32 {
	if f.sb.incompat&incompatFlexBG == 0 {
		return g
	}
	log := f.sb.raw[0x174]
	if log > 31 {
		return g
	}
	return g &^ (1<<log - 1)
}

// allocBlocks allocates a run of at most want blocks (want >= 1): from
// goal when it is free, else the first free block after it, wrapping
// around the groups. ENOSPC when every block is taken. The blocks are
// dropped from the cache: the caller writes them as data or takes them
// fresh as metadata.
func (f *FS) allocBlocks(goal, want uint64) (uint64, uint64, error) {
	sb := f.sb
	if goal < uint64(sb.firstDataBlock) || goal >= sb.blocksCount {
		goal = uint64(sb.firstDataBlock)
	}
	g0 := uint32((goal - uint64(sb.firstDataBlock)) / uint64(sb.blocksPerGroup))
	for i := uint32(0); i <= sb.groups; i++ {
		g := (g0 + i) % sb.groups
		gr := &f.groups[g]
		if gr.freeBlocks == 0 {
			continue
		}
		start := sb.groupStart(g)
		n := sb.groupBlocks(g)
		from := uint64(0)
		if i == 0 {
			from = goal - start
		}
		bm, err := f.blockBitmap(g)
		if err != nil {
			return 0, 0, err
		}
		// i == sb.groups is the first group again, from its start.
		z := findZero(bm, from, n)
		for z < n && f.freedUncommitted(start+z) { // see journal.go
			z = findZero(bm, z+1, n)
		}
		if z == n {
			continue
		}
		run := uint64(0)
		for z+run < n && run < want && !testBit(bm, z+run) && !f.freedUncommitted(start+z+run) {
			setBit(bm, z+run)
			run++
		}
		gr.freeBlocks -= uint32(run)
		if err := f.putGroup(g); err != nil {
			return 0, 0, err
		}
		f.sb.freeBlocks -= run
		f.bfree -= min(f.bfree, run)
		f.bavail = f.availFrom(f.bfree)
		for b := range run {
			f.dev.forget(start + z + b)
		}
		return start + z, run, nil
	}
	return 0, 0, vfs.ENOSPC
}

// resvBlocks is ext4's s_resv_clusters (ext4_calculate_resv_clusters):
// 2% of the blocks, at most 4,096, on a filesystem with extents; no
// ordinary allocation may take them, not even root's.
func (f *FS) resvBlocks() uint64 {
	if f.sb.incompat&incompatExtents == 0 {
		return 0
	}
	return min(f.sb.blocksCount/50, 4096)
}

// usableBlocks is how many blocks an ordinary allocation (file data,
// directory and xattr blocks) may still take: the free ones less the
// reserved pool (ext4_has_free_clusters for a caller with
// CAP_SYS_RESOURCE; the root-reserved s_r_blocks_count is the vfs
// layer's business, which knows the credentials).
func (f *FS) usableBlocks() uint64 {
	return f.sb.freeBlocks - min(f.sb.freeBlocks, f.resvBlocks())
}

// allocData is allocBlocks for an ordinary allocation: at most the
// usable blocks, ENOSPC when there are none. Extent-tree and indirect
// blocks use allocBlocks, which may dip into the reserved pool.
func (f *FS) allocData(goal, want uint64) (uint64, uint64, error) {
	u := f.usableBlocks()
	if u == 0 {
		return 0, 0, vfs.ENOSPC
	}
	return f.allocBlocks(goal, min(want, u))
}

// freeBlocks returns count blocks from start to the free pool.
func (f *FS) freeBlocks(start, count uint64) error {
	sb := f.sb
	for count > 0 {
		if start < uint64(sb.firstDataBlock) || start >= sb.blocksCount {
			return vfs.EUCLEAN
		}
		g := uint32((start - uint64(sb.firstDataBlock)) / uint64(sb.blocksPerGroup))
		gs := sb.groupStart(g)
		n := min(count, gs+sb.groupBlocks(g)-start)
		bm, err := f.blockBitmap(g)
		if err != nil {
			return err
		}
		for i := range n {
			bit := start - gs + i
			if !testBit(bm, bit) {
				return vfs.EUCLEAN // freeing a free block
			}
			clearBit(bm, bit)
			f.dev.forget(start + i)
			f.noteFreed(start + i)
		}
		f.groups[g].freeBlocks += uint32(n)
		if err := f.putGroup(g); err != nil {
			return err
		}
		sb.freeBlocks += n
		f.bfree += n
		f.bavail = f.availFrom(f.bfree)
		start += n
		count -= n
	}
	return nil
}

// availFrom is statfs's f_bavail for bfree free blocks.
func (f *FS) availFrom(bfree uint64) uint64 {
	resv := uint64(0)
	if f.sb.incompat&incompatExtents != 0 {
		resv = min(f.sb.blocksCount/50, 4096)
	}
	if r := f.sb.rBlocksCount + resv; bfree > r {
		return bfree - r
	}
	return 0
}

// allocInode allocates an inode, looking first in group g0 and then in
// the following groups; dir counts it in bg_used_dirs_count. ENOSPC
// when every inode is taken.
func (f *FS) allocInode(g0 uint32, dir bool) (uint32, error) {
	sb := f.sb
	for i := range sb.groups {
		g := (g0 + i) % sb.groups
		gr := &f.groups[g]
		if gr.freeInodes == 0 {
			continue
		}
		if gr.flags&bgBlockUninit != 0 && sb.gdtCsum() {
			// ext4_new_inode initialises the group's block bitmap too.
			if _, err := f.blockBitmap(g); err != nil {
				return 0, err
			}
		}
		bm, err := f.inodeBitmap(g)
		if err != nil {
			return 0, err
		}
		from := uint64(0)
		if g == 0 {
			from = uint64(sb.firstIno - 1)
		}
		z := findZero(bm, from, uint64(sb.inodesPerGroup))
		if z == uint64(sb.inodesPerGroup) {
			continue
		}
		setBit(bm, z)
		gr.freeInodes--
		if dir {
			gr.usedDirs++
		}
		if sb.gdtCsum() {
			if free := uint64(sb.inodesPerGroup) - uint64(gr.itableUnused); z >= free {
				gr.itableUnused = sb.inodesPerGroup - uint32(z) - 1
			}
		}
		if err := f.putGroup(g); err != nil {
			return 0, err
		}
		sb.freeInodes--
		f.ffree--
		return g*sb.inodesPerGroup + uint32(z) + 1, nil
	}
	return 0, vfs.ENOSPC
}

// freeInode returns inode ino to its group.
func (f *FS) freeInode(ino uint32, dir bool) error {
	sb := f.sb
	g := (ino - 1) / sb.inodesPerGroup
	bm, err := f.inodeBitmap(g)
	if err != nil {
		return err
	}
	bit := uint64((ino - 1) % sb.inodesPerGroup)
	if !testBit(bm, bit) {
		return vfs.EUCLEAN
	}
	clearBit(bm, bit)
	gr := &f.groups[g]
	gr.freeInodes++
	if dir && gr.usedDirs > 0 {
		gr.usedDirs--
	}
	sb.freeInodes++
	f.ffree++
	return f.putGroup(g)
}

// putSuper encodes the superblock's counts and state back into the
// block that holds it, with its checksum.
func (f *FS) putSuper() error {
	sb := f.sb
	blk := uint64(superOffset / sb.blockSize)
	b, err := f.dev.mut(blk)
	if err != nil {
		return err
	}
	r := sb.raw
	le.PutUint32(r[0xC:], uint32(sb.freeBlocks))
	le.PutUint32(r[0x10:], sb.freeInodes)
	le.PutUint16(r[0x3A:], sb.state)
	if sb.incompat&incompat64Bit != 0 {
		le.PutUint32(r[0x158:], uint32(sb.freeBlocks>>32))
	}
	if sb.csum() {
		le.PutUint32(r[0x3FC:], crc32c(^uint32(0), r[:0x3FC]))
	}
	copy(b[superOffset%sb.blockSize:], r[:superSize])
	return nil
}
