package ext4

import "github.com/mountkit/mountkit/vfs"

const (
	extentMagic    = 0xF30A
	maxExtentDepth = 5 // EXT4_MAX_EXTENT_DEPTH
	// maxLogical is the first logical block no file can have (2^32).
	maxLogical = 1 << 32
	uninitMax  = 32768 // ee_len above this marks an unwritten extent
)

// span is a run of logical blocks of a file: count blocks from lblk that
// map to physical blocks from pblk, or read as zeros when zero is set (a
// hole or an unwritten extent).
type span struct {
	lblk, count uint64
	pblk        uint64
	zero        bool
}

// mapBlock returns the span of n's data holding logical block lblk.
func (f *FS) mapBlock(n *rawInode, lblk uint64) (span, error) {
	if lblk >= maxLogical {
		return span{lblk: lblk, count: 1, zero: true}, nil
	}
	if n.flags&flagExtents != 0 {
		return f.mapExtent(n, lblk)
	}
	return f.mapIndirect(n, lblk)
}

// extentHeader checks the extent header at the start of b, whose room
// for entries is len(b)-12 bytes, at the expected depth (depth < 0: any,
// for the root). It returns the entry count and the node's depth.
func extentHeader(b []byte, depth int) (entries, d int, err error) {
	if len(b) < 12 || u16(b, 0) != extentMagic {
		return 0, 0, vfs.EUCLEAN
	}
	entries = int(u16(b, 2))
	maxE := int(u16(b, 4))
	d = int(u16(b, 6))
	room := (len(b) - 12) / 12
	if maxE == 0 || maxE > room || entries > maxE || d > maxExtentDepth || depth >= 0 && d != depth {
		return 0, 0, vfs.EUCLEAN
	}
	return entries, d, nil
}

// mapExtent walks the extent tree from the root in i_block down to the
// leaf covering lblk; the depth is bounded by the root's header and each
// level must be one less than its parent, so the walk ends.
func (f *FS) mapExtent(n *rawInode, lblk uint64) (span, error) {
	node := n.iblock()
	entries, depth, err := extentHeader(node, -1)
	if err != nil {
		return span{}, err
	}
	end := uint64(maxLogical) // the first block the node does not cover
	for depth > 0 {
		// The last index whose first block is at or before lblk.
		i := searchEntries(node, entries, lblk)
		if i < 0 {
			first := uint64(maxLogical)
			if entries > 0 {
				first = uint64(u32(node, 12))
			}
			return span{lblk: lblk, count: first - lblk, zero: true}, nil
		}
		e := node[12+12*i:]
		if i+1 < entries {
			end = min(end, uint64(u32(node, 12+12*(i+1))))
		}
		child := uint64(u32(e, 4)) | uint64(u16(e, 8))<<32
		depth--
		b, err := f.dev.verifiedBlock(child, func(b []byte) error {
			if _, _, err := extentHeader(b, depth); err != nil {
				return err
			}
			if f.sb.csum() {
				return f.checkExtentTail(n, b)
			}
			return nil
		})
		if err != nil {
			return span{}, err
		}
		// The header is checked again: a block verified at another
		// depth (a corrupt tree sharing blocks) must not pass here.
		if entries, _, err = extentHeader(b, depth); err != nil {
			return span{}, err
		}
		node = b
	}
	i := searchEntries(node, entries, lblk)
	if i < 0 {
		first := end
		if entries > 0 {
			first = min(first, uint64(u32(node, 12)))
		}
		return span{lblk: lblk, count: first - lblk, zero: true}, nil
	}
	e := node[12+12*i:]
	start := uint64(u32(e, 0))
	length := uint64(u16(e, 4))
	zero := false
	if length > uninitMax {
		length -= uninitMax
		zero = true
	}
	pblk := uint64(u32(e, 8)) | uint64(u16(e, 6))<<32
	if length == 0 || pblk < uint64(f.sb.firstDataBlock) || pblk >= f.sb.blocksCount || length > f.sb.blocksCount-pblk || start+length > maxLogical {
		return span{}, vfs.EUCLEAN
	}
	if lblk >= start+length {
		next := end
		if i+1 < entries {
			next = min(next, uint64(u32(node, 12+12*(i+1))))
		}
		if next <= lblk { // overlapping or unsorted extents
			return span{}, vfs.EUCLEAN
		}
		return span{lblk: lblk, count: next - lblk, zero: true}, nil
	}
	return span{lblk: lblk, count: start + length - lblk, pblk: pblk + lblk - start, zero: zero}, nil
}

// searchEntries returns the last of the entries (index or leaf, 12 bytes
// each after the header) whose first logical block is at most lblk, or -1.
func searchEntries(node []byte, entries int, lblk uint64) int {
	lo, hi := 0, entries // entries[lo-1] <= lblk < entries[hi]
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if uint64(u32(node, 12+12*m)) <= lblk {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

// checkExtentTail verifies the crc32c after the entries of an extent
// block (struct ext4_extent_tail).
func (f *FS) checkExtentTail(n *rawInode, b []byte) error {
	off := 12 + 12*int(u16(b, 4))
	if off+4 > len(b) {
		return vfs.EUCLEAN
	}
	if crc32c(f.inodeSeed(n.ino, n.generation), b[:off]) != u32(b, off) {
		return vfs.EBADMSG
	}
	return nil
}

// mapIndirect maps lblk through the ext2/ext3 block map: 12 direct
// pointers, then single, double and triple indirect blocks. The span
// covers the following pointers of the same block that continue the run.
func (f *FS) mapIndirect(n *rawInode, lblk uint64) (span, error) {
	per := uint64(f.sb.blockSize / 4)
	ib := n.iblock()
	var path [4]uint64
	var depth int
	switch l := lblk; {
	case l < 12:
		path[0], depth = l, 1
	case l-12 < per:
		path[0], path[1], depth = 12, l-12, 2
	case l-12-per < per*per:
		l -= 12 + per
		path[0], path[1], path[2], depth = 13, l/per, l%per, 3
	case l-12-per-per*per < per*per*per:
		l -= 12 + per + per*per
		path[0], path[1], path[2], path[3], depth = 14, l/(per*per), l/per%per, l%per, 4
	default:
		return span{lblk: lblk, count: 1, zero: true}, nil
	}
	ptrs := ib[:4*12]
	if depth > 1 {
		ptrs = ib
	}
	for lvl := 0; ; lvl++ {
		p := uint64(u32(ptrs, int(4*path[lvl])))
		if p != 0 && (p < uint64(f.sb.firstDataBlock) || p >= f.sb.blocksCount) {
			return span{}, vfs.EUCLEAN
		}
		if p == 0 {
			// The hole covers the rest of the subtree under p.
			sub := uint64(1)
			for range depth - 1 - lvl {
				sub *= per
			}
			if lvl == 0 {
				sub = 1 // the direct pointers and the top of each tree
				if depth > 1 {
					sub = holeTop(depth, per, lblk)
				}
			} else {
				sub -= treeOffset(depth, per, lblk) % sub
			}
			return span{lblk: lblk, count: sub, zero: true}, nil
		}
		if lvl == depth-1 {
			// Extend the run over the following pointers of this block.
			count := uint64(1)
			for i := path[lvl] + 1; int(4*i) < len(ptrs) && (depth > 1 || i < 12); i++ {
				if uint64(u32(ptrs, int(4*i))) != p+count {
					break
				}
				count++
			}
			return span{lblk: lblk, count: count, pblk: p}, nil
		}
		b, err := f.dev.block(p)
		if err != nil {
			return span{}, err
		}
		ptrs = b
	}
}

// treeOffset returns lblk's index inside the indirect tree of the given
// depth (2 single, 3 double, 4 triple).
func treeOffset(depth int, per, lblk uint64) uint64 {
	switch depth {
	case 2:
		return lblk - 12
	case 3:
		return lblk - 12 - per
	}
	return lblk - 12 - per - per*per
}

// holeTop returns how many blocks from lblk on a missing top-level
// indirect pointer leaves unmapped: the rest of its whole tree.
func holeTop(depth int, per, lblk uint64) uint64 {
	size := per
	for range depth - 2 {
		size *= per
	}
	return size - treeOffset(depth, per, lblk)
}
