package ext4

import (
	"slices"

	"github.com/mountkit/mountkit/vfs"
)

// A writer keeps a file's extent tree as a sorted list of extents in its
// node (loaded on the first change), changes the list, and then writes
// the whole tree back from it (storeExtents): as few levels as hold the
// list, leaves and index nodes filled in order, reusing the file's old
// tree blocks first. So the tree grows and shrinks at any depth, and it
// is always as shallow and narrow as e2fsck wants it.

const (
	maxInitLen   = 32768 // EXT_INIT_MAX_LEN
	maxUninitLen = 32767 // EXT_UNWRITTEN_MAX_LEN
)

// extent is one leaf entry: len blocks from lblk at pblk.
type extent struct {
	lblk      uint64
	len       uint64
	pblk      uint64
	unwritten bool
}

func (e extent) end() uint64 { return e.lblk + e.len }

// initExtentRoot writes an empty depth-0 extent header in i_block.
func initExtentRoot(ib []byte) {
	clear(ib)
	le.PutUint16(ib[0:], extentMagic)
	le.PutUint16(ib[4:], 4)
}

// loadExtents reads n's extent tree into n.ext and n.tree (its non-root
// blocks) once.
func (f *FS) loadExtents(n *node) error {
	if n.extLoaded {
		return nil
	}
	r := n.r
	if r.flags&flagExtents == 0 {
		return vfs.EOPNOTSUPP // block-mapped files are not written
	}
	var exts []extent
	var tree []uint64
	var walk func(b []byte, depth int) error
	walk = func(b []byte, depth int) error {
		entries, d, err := extentHeader(b, depth)
		if err != nil {
			return err
		}
		for i := range entries {
			e := b[12+12*i:]
			if d == 0 {
				l := uint64(u16(e, 4))
				x := extent{lblk: uint64(u32(e, 0)), pblk: uint64(u32(e, 8)) | uint64(u16(e, 6))<<32}
				if l > maxInitLen {
					l -= maxInitLen
					x.unwritten = true
				}
				x.len = l
				if l == 0 || x.pblk < uint64(f.sb.firstDataBlock) || x.pblk+l > f.sb.blocksCount ||
					len(exts) > 0 && exts[len(exts)-1].end() > x.lblk || x.end() > maxLogical {
					return vfs.EUCLEAN
				}
				exts = append(exts, x)
				continue
			}
			child := uint64(u32(e, 4)) | uint64(u16(e, 8))<<32
			if len(tree) > maxDirBlocks {
				return vfs.EUCLEAN
			}
			tree = append(tree, child)
			cb, err := f.dev.verifiedBlock(child, func(b []byte) error {
				if _, _, err := extentHeader(b, d-1); err != nil {
					return err
				}
				if f.sb.csum() {
					return f.checkExtentTail(r, b)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if err := walk(cb, d-1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(r.iblock(), -1); err != nil {
		return err
	}
	n.ext, n.tree, n.extLoaded = exts, tree, true
	return nil
}

// findExtent returns the index of the extent holding lblk, or -1 and
// the index of the first extent after lblk.
func findExtent(exts []extent, lblk uint64) (int, int) {
	i, _ := slices.BinarySearchFunc(exts, lblk, func(e extent, l uint64) int {
		if e.end() <= l {
			return -1
		}
		if e.lblk > l {
			return 1
		}
		return 0
	})
	if i < len(exts) && exts[i].lblk <= lblk && lblk < exts[i].end() {
		return i, i
	}
	return -1, i
}

// splitAt makes lblk the first block of an extent when one holds it.
func (n *node) splitAt(lblk uint64) {
	i, _ := findExtent(n.ext, lblk)
	if i < 0 || n.ext[i].lblk == lblk {
		return
	}
	e := n.ext[i]
	head := lblk - e.lblk
	a := extent{lblk: e.lblk, len: head, pblk: e.pblk, unwritten: e.unwritten}
	b := extent{lblk: lblk, len: e.len - head, pblk: e.pblk + head, unwritten: e.unwritten}
	n.ext[i] = a
	n.ext = slices.Insert(n.ext, i+1, b)
}

// mergeExtents joins neighbouring extents that continue each other.
func (n *node) mergeExtents() {
	out := n.ext[:0]
	for _, e := range n.ext {
		if k := len(out); k > 0 {
			p := &out[k-1]
			lim := uint64(maxInitLen)
			if e.unwritten {
				lim = maxUninitLen
			}
			if p.unwritten == e.unwritten && p.end() == e.lblk && p.pblk+p.len == e.pblk && p.len+e.len <= lim {
				p.len += e.len
				continue
			}
		}
		out = append(out, e)
	}
	n.ext = out
}

// dataBlocks counts the blocks the extents map.
func (n *node) dataBlocks() uint64 {
	var s uint64
	for _, e := range n.ext {
		s += e.len
	}
	return s
}

// storeExtents writes n.ext back as n's extent tree and sets i_blocks.
// It does not write the inode.
func (f *FS) storeExtents(n *node) error {
	r := n.r
	bs := f.sb.blockSize
	per := (bs - 12) / 12 // entries of a tree block
	ib := r.iblock()
	type entry struct {
		lblk uint64
		blk  uint64
	}
	var level []entry // the entries of the level being built, bottom up
	var blocks []uint64
	nextBlock := func() (uint64, error) {
		if len(blocks) < len(n.tree) {
			b := n.tree[len(blocks)]
			blocks = append(blocks, b)
			return b, nil
		}
		goal := uint64(0)
		if len(n.ext) > 0 {
			goal = n.ext[0].pblk
		}
		b, _, err := f.allocBlocks(goal, 1)
		if err != nil {
			return 0, err
		}
		blocks = append(blocks, b)
		return b, nil
	}
	put := func(b []byte, entries, max, depth int) {
		le.PutUint16(b[0:], extentMagic)
		le.PutUint16(b[2:], uint16(entries))
		le.PutUint16(b[4:], uint16(max))
		le.PutUint16(b[6:], uint16(depth))
		le.PutUint32(b[8:], 0)
	}
	putLeaf := func(b []byte, exts []extent) {
		for i, e := range exts {
			x := b[12+12*i:]
			le.PutUint32(x[0:], uint32(e.lblk))
			l := e.len
			if e.unwritten {
				l += maxInitLen
			}
			le.PutUint16(x[4:], uint16(l))
			le.PutUint16(x[6:], uint16(e.pblk>>32))
			le.PutUint32(x[8:], uint32(e.pblk))
		}
	}
	putIndex := func(b []byte, es []entry) {
		for i, e := range es {
			x := b[12+12*i:]
			le.PutUint32(x[0:], uint32(e.lblk))
			le.PutUint32(x[4:], uint32(e.blk))
			le.PutUint16(x[8:], uint16(e.blk>>32))
			le.PutUint16(x[10:], 0)
		}
	}
	tail := func(b []byte) {
		if f.sb.csum() {
			off := 12 + 12*per
			le.PutUint32(b[off:], crc32c(f.inodeSeed(r.ino, r.generation), b[:off]))
		}
	}
	depth := 0
	if len(n.ext) <= 4 {
		clear(ib)
		put(ib, len(n.ext), 4, 0)
		putLeaf(ib, n.ext)
	} else {
		for i := 0; i < len(n.ext); i += per {
			chunk := n.ext[i:min(i+per, len(n.ext))]
			blk, err := nextBlock()
			if err != nil {
				return err
			}
			b, err := f.dev.fresh(blk)
			if err != nil {
				return err
			}
			put(b, len(chunk), per, 0)
			putLeaf(b, chunk)
			tail(b)
			level = append(level, entry{chunk[0].lblk, blk})
		}
		depth = 1
		for len(level) > 4 {
			var up []entry
			for i := 0; i < len(level); i += per {
				chunk := level[i:min(i+per, len(level))]
				blk, err := nextBlock()
				if err != nil {
					return err
				}
				b, err := f.dev.fresh(blk)
				if err != nil {
					return err
				}
				put(b, len(chunk), per, depth)
				putIndex(b, chunk)
				tail(b)
				up = append(up, entry{chunk[0].lblk, blk})
			}
			level = up
			depth++
		}
		if depth > maxExtentDepth {
			return vfs.EFBIG
		}
		clear(ib)
		put(ib, len(level), 4, depth)
		putIndex(ib, level)
	}
	for _, b := range n.tree[min(len(blocks), len(n.tree)):] {
		if err := f.freeBlocks(b, 1); err != nil {
			return err
		}
	}
	n.tree = blocks
	f.setBlocks(n)
	return nil
}

// setBlocks recomputes i_blocks from the data, tree and xattr blocks.
func (f *FS) setBlocks(n *node) {
	r := n.r
	nb := n.dataBlocks() + uint64(len(n.tree))
	if r.fileACL != 0 {
		nb++
	}
	r.blocks = int64(nb) * int64(f.sb.blockSize/512)
	if r.flags&flagHugeFile != 0 {
		r.flags &^= flagHugeFile
	}
}
