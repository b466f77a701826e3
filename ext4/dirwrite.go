package ext4

import (
	"github.com/mountkit/mountkit/vfs"
)

// Directory entries are added and removed as ext4 does in a linear
// directory: a new entry takes the first gap big enough for it (the
// unused room at the end of a live entry's rec_len, or an empty entry),
// else a new block at the end; a removed entry is merged into the one
// before it in its block, or emptied when it is the first. An indexed
// (htree) directory loses its index first (dropIndex): the kernel
// permits a directory with EXT4_INDEX_FL cleared, and reads it linearly.

// direntSize is the room an entry with a name of n bytes takes.
func direntSize(n int) int { return (8 + n + 3) &^ 3 }

// dirTailSize is the room the metadata_csum tail takes in a leaf.
func (f *FS) dirTailSize() int {
	if f.sb.csum() {
		return 12
	}
	return 0
}

// direntFileType returns the file-type byte of mode for a directory
// entry, 0 without the filetype feature.
func (f *FS) direntFileType(m vfs.Mode) byte {
	if f.sb.incompat&incompatFiletype == 0 {
		return 0
	}
	for i, t := range direntType {
		if i > 0 && t == m.Type() {
			return byte(i)
		}
	}
	return 0
}

// putDirent writes an entry at off of b.
func (f *FS) putDirent(b []byte, off, recLen int, ino uint32, name string, typ byte) {
	le.PutUint32(b[off:], ino)
	if recLen == 65536 {
		le.PutUint16(b[off+4:], 65535)
	} else {
		le.PutUint16(b[off+4:], uint16(recLen))
	}
	if f.sb.incompat&incompatFiletype != 0 {
		b[off+6] = byte(len(name))
		b[off+7] = typ
	} else {
		le.PutUint16(b[off+6:], uint16(len(name)))
	}
	copy(b[off+8:], name)
}

// setDirTail writes the metadata_csum tail of a leaf block.
func (f *FS) setDirTail(dir *rawInode, b []byte) {
	if !f.sb.csum() {
		return
	}
	bs := len(b)
	t := b[bs-12:]
	le.PutUint32(t[0:], 0)
	le.PutUint16(t[4:], 12)
	t[6], t[7] = 0, 0xDE
	le.PutUint32(t[8:], crc32c(f.inodeSeed(dir.ino, dir.generation), b[:bs-12]))
}

// dirLeaf returns logical block lblk of directory dir for changing, with
// its physical block; nil for a hole.
func (f *FS) dirLeaf(dir *rawInode, lblk uint64) ([]byte, uint64, error) {
	s, err := f.mapBlock(dir, lblk)
	if err != nil {
		return nil, 0, err
	}
	if s.zero {
		return nil, 0, nil
	}
	if _, err := f.dirBlockAt(dir, lblk, s.pblk); err != nil {
		return nil, 0, err
	}
	b, err := f.dev.mut(s.pblk)
	return b, s.pblk, err
}

// checkDirWritable refuses changes to directories this package does not
// write: inline ones (EOPNOTSUPP).
func (f *FS) checkDirWritable(dir *node) error {
	if dir.r.flags&flagInlineData != 0 {
		return vfs.EOPNOTSUPP
	}
	return nil
}

// addEntry adds name → ino to directory dir.
func (f *FS) addEntry(dir *node, name string, ino uint32, mode vfs.Mode) error {
	if err := f.checkDirWritable(dir); err != nil {
		return err
	}
	r := dir.r
	if f.isDx(r) {
		if ok, err := f.dxAdd(dir, name, ino, mode); ok || err != nil {
			return err
		}
	}
	if r.flags&flagIndex != 0 {
		if err := f.dropIndex(dir); err != nil {
			return err
		}
	}
	bs := f.sb.blockSize
	limit := bs - f.dirTailSize()
	typ := f.direntFileType(mode)
	nblk := uint64(r.size) / uint64(bs)
	try := func(lblk uint64) (bool, error) {
		b, _, err := f.dirLeaf(r, lblk)
		if err != nil || b == nil {
			return false, err
		}
		ok, err := f.insertInBlock(b, limit, name, ino, typ)
		if ok {
			f.setDirTail(r, b)
			dir.noteEntry(name, ino, lblk)
		}
		return ok, err
	}
	if nblk > 0 {
		if ok, err := try(nblk - 1); ok || err != nil {
			return err
		}
	}
	for lblk := uint64(0); lblk+1 < nblk; lblk++ {
		if ok, err := try(lblk); ok || err != nil {
			return err
		}
	}
	// A full one-block directory becomes indexed, as in ext4.
	if nblk == 1 && f.sb.compat&compatDirIndex != 0 {
		if ok, err := f.makeIndexed(dir); err != nil {
			return err
		} else if ok {
			if ok, err := f.dxAdd(dir, name, ino, mode); ok || err != nil {
				return err
			}
			if err := f.dropIndex(dir); err != nil {
				return err
			}
			return f.addEntry(dir, name, ino, mode)
		}
	}
	// A new block at the end.
	b, err := f.appendDirBlock(dir)
	if err != nil {
		return err
	}
	f.putDirent(b, 0, limit, ino, name, typ)
	f.setDirTail(r, b)
	dir.noteEntry(name, ino, uint64(r.size)/uint64(bs)-1)
	return nil
}

// appendDirBlock gives directory dir a new last block, zeroed, and
// returns it for filling (the caller writes its entries and tail).
func (f *FS) appendDirBlock(dir *node) ([]byte, error) {
	r := dir.r
	bs := uint64(f.sb.blockSize)
	lblk := uint64(r.size) / bs
	if lblk >= maxDirBlocks {
		return nil, vfs.ENOSPC
	}
	if r.flags&flagExtents == 0 {
		goal := f.sb.groupStart(f.flexGroup((r.ino - 1) / f.sb.inodesPerGroup))
		if lblk > 0 {
			if s, err := f.mapIndirect(r, lblk-1); err == nil && !s.zero {
				goal = s.pblk + 1
			}
		}
		pblk, err := f.bmapAlloc(dir, lblk, goal)
		if err != nil {
			return nil, err
		}
		b, err := f.dev.fresh(pblk)
		if err != nil {
			return nil, err
		}
		r.size = int64((lblk + 1) * bs)
		return b, f.putInode(r)
	}
	if err := f.loadExtents(dir); err != nil {
		return nil, err
	}
	goal := f.sb.groupStart(f.flexGroup((r.ino - 1) / f.sb.inodesPerGroup))
	if k := len(dir.ext); k > 0 {
		goal = dir.ext[k-1].pblk + dir.ext[k-1].len
	}
	pblk, _, err := f.allocData(goal, 1)
	if err != nil {
		return nil, err
	}
	_, next := findExtent(dir.ext, lblk)
	dir.ext = insertExtent(dir.ext, next, extent{lblk: lblk, len: 1, pblk: pblk})
	dir.mergeExtents()
	b, err := f.dev.fresh(pblk)
	if err != nil {
		return nil, err
	}
	r.size = int64((lblk + 1) * bs)
	if err := f.storeExtents(dir); err != nil {
		return nil, err
	}
	return b, f.putInode(r)
}

// entryLoc is where an entry lies: block b (dirty once changed) and the
// entry's offset, with the previous entry's offset (-1 for the first).
type entryLoc struct {
	b         []byte
	off, prev int
	ino       uint32
	name      string
	lblk      uint64
}

// findEntry looks name up in directory dir for changing it.
func (f *FS) findEntry(dir *node, name string) (entryLoc, error) {
	if err := f.checkDirWritable(dir); err != nil {
		return entryLoc{}, err
	}
	r := dir.r
	bs := uint64(f.sb.blockSize)
	from, to := uint64(0), (uint64(r.size)+bs-1)/bs
	if s, ok, err := f.slotOf(dir, name); err != nil {
		return entryLoc{}, err
	} else if ok {
		from, to = s.lblk, s.lblk+1
	}
	for lblk := from; lblk < to; lblk++ {
		b, err := f.dirBlock(r, lblk)
		if err != nil {
			return entryLoc{}, err
		}
		if b == nil {
			continue
		}
		prev := -1
		for off := 0; off < len(b); {
			e, err := f.parseDirent(b, off)
			if err != nil {
				return entryLoc{}, err
			}
			if e.ino != 0 && string(e.name) == name {
				mb, _, err := f.dirLeaf(r, lblk)
				if err != nil {
					return entryLoc{}, err
				}
				return entryLoc{b: mb, off: off, prev: prev, ino: e.ino, name: name, lblk: lblk}, nil
			}
			prev = off
			off = e.next
		}
	}
	return entryLoc{}, vfs.ENOENT
}

// removeAt removes the entry at l (ext4_generic_delete_entry).
func (f *FS) removeAt(dir *node, l entryLoc) {
	b := l.b
	if l.prev >= 0 {
		rl := recLen(b, l.prev, len(b)) + recLen(b, l.off, len(b))
		le.PutUint16(b[l.prev+4:], uint16(min(rl, 65535)))
	} else {
		le.PutUint32(b[l.off:], 0)
	}
	f.blockCsum(dir.r, b, l.lblk)
	dir.noteEntry(l.name, 0, 0)
}

// setAt points the entry at l to ino, with mode's file type.
func (f *FS) setAt(dir *node, l entryLoc, ino uint32, mode vfs.Mode) {
	le.PutUint32(l.b[l.off:], ino)
	if f.sb.incompat&incompatFiletype != 0 {
		l.b[l.off+7] = f.direntFileType(mode)
	}
	f.blockCsum(dir.r, l.b, l.lblk)
	dir.noteEntry(l.name, ino, l.lblk)
}

// dirEmpty reports whether directory dir holds nothing but "." and "..".
func (f *FS) dirEmpty(dir *node) (bool, error) {
	empty := true
	if dir.r.flags&flagInlineData != 0 {
		err := f.readDir(dir.r, 2, func(vfs.DirEntry) bool { empty = false; return false })
		return empty, err
	}
	r := dir.r
	bs := uint64(f.sb.blockSize)
	for lblk := uint64(0); lblk*bs < uint64(r.size); lblk++ {
		b, err := f.dirBlock(r, lblk)
		if err != nil || b == nil {
			if err != nil {
				return false, err
			}
			continue
		}
		for off := 0; off < len(b); {
			e, err := f.parseDirent(b, off)
			if err != nil {
				return false, err
			}
			if e.ino != 0 && !isDot(e.name) {
				return false, nil
			}
			off = e.next
		}
	}
	return true, nil
}

// initDirBlock fills the first block of a new directory: "." and "..".
func (f *FS) initDirBlock(dir *rawInode, b []byte, parent uint32) {
	limit := len(b) - f.dirTailSize()
	dt := f.direntFileType(vfs.ModeDir)
	f.putDirent(b, 0, 12, dir.ino, ".", dt)
	f.putDirent(b, 12, limit-12, parent, "..", dt)
	f.setDirTail(dir, b)
}

// dropIndex turns an indexed directory into a linear one: EXT4_INDEX_FL
// cleared, the root block rewritten as "." and ".." only, and every
// interior index node rewritten as an empty leaf (with its checksum
// tail under metadata_csum). The leaves are kept as they are.
func (f *FS) dropIndex(dir *node) error {
	r := dir.r
	bs := uint64(f.sb.blockSize)
	wasDx := f.isDx(r)
	r.flags &^= flagIndex
	if !wasDx {
		return f.putInode(r)
	}
	for lblk := uint64(0); lblk*bs < uint64(r.size); lblk++ {
		s, err := f.mapBlock(r, lblk)
		if err != nil {
			return err
		}
		if s.zero {
			continue
		}
		b, err := f.dev.mut(s.pblk)
		if err != nil {
			return err
		}
		switch {
		case lblk == 0:
			parent := u32(b, 12)
			self := u32(b, 0)
			clear(b)
			f.initDirBlock(r, b, parent)
			le.PutUint32(b[0:], self)
			f.setDirTail(r, b)
		case u32(b, 0) == 0 && recLen(b, 0, int(bs)) == int(bs):
			clear(b)
			f.putDirent(b, 0, int(bs)-f.dirTailSize(), 0, "", 0)
			f.setDirTail(r, b)
		}
	}
	return f.putInode(r)
}
