package ext4

import (
	"github.com/mountkit/mountkit/vfs"
)

// Block-mapped files (ext2, ext3, and files left from them on ext4):
// 12 direct pointers in i_block, then single, double and triple
// indirect blocks. A write allocates the blocks of the holes it reaches
// and the indirect blocks on their paths (zeroed, as metadata in the
// cache); a truncation frees the data blocks past the new end and every
// indirect block left pointing at nothing, as ext4_ind_truncate does.

// bmapPath returns the pointer indexes of lblk's path, one per level
// from i_block down, and their count; ok is false past the triple
// indirect tree.
func (f *FS) bmapPath(lblk uint64) (path [4]uint64, depth int, ok bool) {
	per := uint64(f.sb.blockSize / 4)
	switch l := lblk; {
	case l < 12:
		return [4]uint64{l}, 1, true
	case l-12 < per:
		return [4]uint64{12, l - 12}, 2, true
	case l-12-per < per*per:
		l -= 12 + per
		return [4]uint64{13, l / per, l % per}, 3, true
	case l-12-per-per*per < per*per*per:
		l -= 12 + per + per*per
		return [4]uint64{14, l / (per * per), l / per % per, l % per}, 4, true
	}
	return path, 0, false
}

// bmapAlloc gives hole lblk of n a new block (near goal) and returns it,
// allocating the indirect blocks on its path; i_blocks follows.
func (f *FS) bmapAlloc(n *node, lblk, goal uint64) (uint64, error) {
	r := n.r
	path, depth, ok := f.bmapPath(lblk)
	if !ok {
		return 0, vfs.EFBIG
	}
	per512 := int64(f.sb.blockSize / 512)
	ptrs := r.iblock()
	for lvl := 0; ; lvl++ {
		slot := int(4 * path[lvl])
		p := uint64(u32(ptrs, slot))
		if p == 0 {
			alloc := f.allocBlocks // indirect blocks may use the reserve
			if lvl == depth-1 {
				alloc = f.allocData
			}
			b, _, err := alloc(goal, 1)
			if err != nil {
				return 0, err
			}
			le.PutUint32(ptrs[slot:], uint32(b))
			r.blocks += per512
			if lvl == depth-1 {
				return b, nil
			}
			if _, err := f.dev.fresh(b); err != nil {
				return 0, err
			}
			p = b
			goal = b + 1
		} else if lvl == depth-1 {
			return p, nil // not a hole after all
		} else if p < uint64(f.sb.firstDataBlock) || p >= f.sb.blocksCount {
			return 0, vfs.EUCLEAN
		}
		var err error
		if ptrs, err = f.dev.mut(p); err != nil {
			return 0, err
		}
	}
}

// bmapWrite is writeData for a block-mapped file: block by block.
func (f *FS) bmapWrite(n *node, p []byte, off int64) (int, error) {
	r := n.r
	bs := uint64(f.sb.blockSize)
	end := uint64(off) + uint64(len(p))
	first, last := uint64(off)/bs, (end-1)/bs+1
	written := 0
	var err error
	goal := uint64(0)
	for lblk := first; lblk < last; lblk++ {
		var s span
		if s, err = f.mapIndirect(r, lblk); err != nil {
			break
		}
		pblk, fresh := s.pblk, false
		if s.zero {
			if goal == 0 {
				goal = f.sb.groupStart(f.flexGroup((r.ino - 1) / f.sb.inodesPerGroup))
				if lblk > 0 {
					if ps, e := f.mapIndirect(r, lblk-1); e == nil && !ps.zero {
						goal = ps.pblk + 1
					}
				}
			}
			if pblk, err = f.bmapAlloc(n, lblk, goal); err != nil {
				break
			}
			fresh = true
		}
		goal = pblk + 1
		rs, re := lblk*bs, (lblk+1)*bs
		ws, we := max(rs, uint64(off)), min(re, end)
		if fresh && (ws > rs || we < re) {
			if err = f.dev.writeBlocks(make([]byte, bs), pblk, 0); err != nil {
				break
			}
		}
		if err = f.dev.writeBlocks(p[ws-uint64(off):we-uint64(off)], pblk, int(ws-rs)); err != nil {
			break
		}
		written = int(we - uint64(off))
	}
	if written > 0 {
		if off+int64(written) > r.size {
			r.size = off + int64(written)
		}
		t := now()
		r.mtime, r.ctime = t, t
	}
	if perr := f.putInode(r); perr != nil && err == nil {
		err = perr
	}
	return written, err
}

// bmapTruncate frees every block of r's map from logical block cut on,
// and the indirect blocks left empty.
func (f *FS) bmapTruncate(r *rawInode, cut uint64) error {
	per := uint64(f.sb.blockSize / 4)
	per512 := int64(f.sb.blockSize / 512)
	var free func(ptrs []byte, slot int, level int, base uint64) error
	// free handles the pointer at ptrs[slot] heading a subtree of
	// level (0: a data block) whose first logical block is base.
	free = func(ptrs []byte, slot int, level int, base uint64) error {
		p := uint64(u32(ptrs, slot))
		if p == 0 {
			return nil
		}
		if p < uint64(f.sb.firstDataBlock) || p >= f.sb.blocksCount {
			return vfs.EUCLEAN
		}
		if level > 0 {
			span := uint64(1)
			for range level - 1 {
				span *= per
			}
			b, err := f.dev.mut(p)
			if err != nil {
				return err
			}
			for i := range per {
				if base+(i+1)*span <= cut {
					continue
				}
				if err := free(b, int(4*i), level-1, base+i*span); err != nil {
					return err
				}
			}
		}
		if base >= cut {
			le.PutUint32(ptrs[slot:], 0)
			r.blocks = max(0, r.blocks-per512)
			return f.freeBlocks(p, 1)
		}
		return nil
	}
	ib := r.iblock()
	for i := range uint64(12) {
		if i >= cut {
			if err := free(ib, int(4*i), 0, i); err != nil {
				return err
			}
		}
	}
	base, span := uint64(12), per
	for lvl := 1; lvl <= 3; lvl++ {
		if base+span > cut {
			if err := free(ib, 4*(11+lvl), lvl, base); err != nil {
				return err
			}
		}
		base += span
		span *= per
	}
	return nil
}
