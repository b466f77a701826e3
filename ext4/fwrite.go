package ext4

import (
	"github.com/mountkit/mountkit/vfs"
)

// maxFileBlocks is the first logical block a written file may not reach
// (ext4's s_maxbytes for extent files: 2^32 - 1 blocks).
const maxFileBlocks = maxLogical - 1

// writeData writes p at off into n's data: existing blocks are
// overwritten in place, unwritten extents that the write reaches become
// written, holes get new blocks; the parts of new blocks the write does
// not cover are zeroed. Data goes to the device at once; the extent tree
// and the inode are written to the cache afterwards (ordered).
func (f *FS) writeData(n *node, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if off < 0 {
		return 0, vfs.EINVAL
	}
	bs := uint64(f.sb.blockSize)
	end := uint64(off) + uint64(len(p))
	if (end+bs-1)/bs > maxFileBlocks {
		if uint64(off) >= maxFileBlocks*bs {
			return 0, vfs.EFBIG
		}
		end = maxFileBlocks * bs
		p = p[:end-uint64(off)]
	}
	if n.r.flags&flagExtents != 0 {
		if err := f.loadExtents(n); err != nil {
			return 0, err
		}
	}
	// As ext4's write path, page by page: a page whose new blocks are
	// not all there is not written, and the write stops before it (a
	// short count, or ENOSPC when nothing was written).
	if fit, err := f.fitWrite(n, uint64(off), end); err != nil {
		return 0, err
	} else if fit == uint64(off) {
		return 0, vfs.ENOSPC
	} else if fit < end {
		end = fit
		p = p[:end-uint64(off)]
	}
	if n.r.flags&flagExtents == 0 {
		return f.bmapWrite(n, p, off)
	}
	first, last := uint64(off)/bs, (end-1)/bs+1
	n.splitAt(first)
	n.splitAt(last)
	written := 0
	var err error
	for lblk := first; lblk < last; {
		i, next := findExtent(n.ext, lblk)
		var pblk, count uint64
		fresh := false
		if i >= 0 {
			e := &n.ext[i]
			pblk, count = e.pblk, e.len
			if e.unwritten {
				e.unwritten = false
				fresh = true
			}
		} else {
			hole := last - lblk
			if next < len(n.ext) {
				hole = min(hole, n.ext[next].lblk-lblk)
			}
			goal := uint64(0)
			if next > 0 {
				pe := n.ext[next-1]
				goal = pe.pblk + pe.len + (lblk - pe.end())
			} else {
				goal = f.sb.groupStart(f.flexGroup((n.r.ino - 1) / f.sb.inodesPerGroup))
			}
			pblk, count, err = f.allocData(goal, min(hole, maxInitLen))
			if err != nil {
				break
			}
			n.ext = insertExtent(n.ext, next, extent{lblk: lblk, len: count, pblk: pblk})
			fresh = true
		}
		// The byte range of this run that p covers.
		rs, re := lblk*bs, (lblk+count)*bs
		ws, we := max(rs, uint64(off)), min(re, end)
		if fresh {
			if ws > rs {
				if err = f.dev.writeBlocks(make([]byte, ws-rs), pblk, 0); err != nil {
					break
				}
			}
			if we < re {
				if err = f.dev.writeBlocks(make([]byte, re-we), pblk+(we-rs)/bs, int((we-rs)%bs)); err != nil {
					break
				}
			}
		}
		if err = f.dev.writeBlocks(p[ws-uint64(off):we-uint64(off)], pblk+(ws-rs)/bs, int((ws-rs)%bs)); err != nil {
			break
		}
		written = int(we - uint64(off))
		lblk += count
	}
	n.mergeExtents()
	r := n.r
	if written > 0 && off+int64(written) > r.size {
		r.size = off + int64(written)
	}
	if written > 0 {
		t := now()
		r.mtime, r.ctime = t, t
	}
	if serr := f.storeExtents(n); serr != nil && err == nil {
		err = serr
	}
	if perr := f.putInode(r); perr != nil && err == nil {
		err = perr
	}
	return written, err
}

// pageSize is the unit ext4's buffered writes take (PAGE_SIZE).
const pageSize = 4096

// fitWrite returns how far from off a write toward end can go with the
// usable blocks: whole pages (or blocks, when larger) whose holes all
// get a block.
func (f *FS) fitWrite(n *node, off, end uint64) (uint64, error) {
	bs := uint64(f.sb.blockSize)
	unit := max(uint64(pageSize), bs)
	avail := f.usableBlocks()
	pos := off
	for pos < end {
		ue := min(end, (pos/unit+1)*unit)
		need := uint64(0)
		for lblk := pos / bs; lblk < (ue+bs-1)/bs; lblk++ {
			hole := false
			if n.r.flags&flagExtents != 0 {
				i, _ := findExtent(n.ext, lblk)
				hole = i < 0
			} else {
				s, err := f.mapIndirect(n.r, lblk)
				if err != nil {
					return 0, err
				}
				hole = s.zero
			}
			if hole {
				need++
			}
		}
		if need > avail {
			return pos, nil
		}
		avail -= need
		pos = ue
	}
	return end, nil
}

func insertExtent(exts []extent, i int, e extent) []extent {
	exts = append(exts, extent{})
	copy(exts[i+1:], exts[i:])
	exts[i] = e
	return exts
}

// truncate sets n's size: shrinking frees the blocks past the new end
// (and the tree blocks no longer needed) and zeroes the tail of the last
// partial block; growing leaves a hole. The inode is written.
func (f *FS) truncate(n *node, size int64) error {
	r := n.r
	if size < 0 {
		return vfs.EINVAL
	}
	bs := uint64(f.sb.blockSize)
	if (uint64(size)+bs-1)/bs > maxFileBlocks {
		return vfs.EFBIG
	}
	if r.flags&flagExtents == 0 {
		switch {
		case r.flags&flagInlineData != 0:
			return vfs.EOPNOTSUPP
		case r.mode.IsSymlink() && f.fastSymlink(r), !r.mode.IsRegular() && !r.mode.IsDir() && !r.mode.IsSymlink():
			// A fast symlink or a device: no blocks.
		default:
			if rem := uint64(size) % bs; rem != 0 && size < r.size {
				if s, err := f.mapIndirect(r, uint64(size)/bs); err == nil && !s.zero {
					if err := f.dev.writeBlocks(make([]byte, bs-rem), s.pblk, int(rem)); err != nil {
						return err
					}
				}
			}
			if err := f.bmapTruncate(r, (uint64(size)+bs-1)/bs); err != nil {
				return err
			}
		}
		r.size = size
		return f.putInode(r)
	}
	if err := f.loadExtents(n); err != nil {
		return err
	}
	// Blocks past the new end go whatever i_size said (rmdir has set a
	// directory's size to 0 already).
	{
		cut := (uint64(size) + bs - 1) / bs
		if rem := uint64(size) % bs; rem != 0 && size < r.size {
			if i, _ := findExtent(n.ext, uint64(size)/bs); i >= 0 && !n.ext[i].unwritten {
				e := n.ext[i]
				if err := f.dev.writeBlocks(make([]byte, bs-rem), e.pblk+uint64(size)/bs-e.lblk, int(rem)); err != nil {
					return err
				}
			}
		}
		n.splitAt(cut)
		keep := n.ext[:0]
		for _, e := range n.ext {
			if e.lblk >= cut {
				if err := f.freeBlocks(e.pblk, e.len); err != nil {
					return err
				}
				continue
			}
			keep = append(keep, e)
		}
		n.ext = keep
	}
	r.size = size
	if err := f.storeExtents(n); err != nil {
		return err
	}
	return f.putInode(r)
}
