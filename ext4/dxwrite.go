package ext4

import (
	"slices"

	"github.com/mountkit/mountkit/vfs"
)

// Adding to an indexed directory keeps its htree (ext4_dx_add_entry):
// the entry goes into the leaf the index picks for its hash; a full
// leaf is split in two by hash, the upper half moving to a new block at
// the end of the directory, and the index node above it gets an entry
// for the new block (with the collision bit when both halves share the
// split hash). Only when that node is full too, or the index is not one
// ext4 understands, does the directory fall back to dropIndex. Removing
// an entry leaves the index alone, as ext4 does.

// setDxCsum stores the dx_tail checksum of an index block whose count
// and limit are at countOff.
func (f *FS) setDxCsum(dir *rawInode, b []byte, countOff int) {
	if !f.sb.csum() {
		return
	}
	limit, count := int(u16(b, countOff)), int(u16(b, countOff+2))
	tail := countOff + 8*limit
	if tail+8 > len(b) {
		return
	}
	c := crc32c(f.inodeSeed(dir.ino, dir.generation), b[:countOff+8*count])
	c = crc32c(c, b[tail:tail+4])
	c = crc32c(c, []byte{0, 0, 0, 0})
	le.PutUint32(b[tail+4:], c)
}

// blockCsum refreshes the checksum of directory block lblk after a
// change: the dx tail of the root of an indexed directory, the dirent
// tail of a leaf.
func (f *FS) blockCsum(dir *rawInode, b []byte, lblk uint64) {
	if f.isDx(dir) && lblk == 0 {
		f.setDxCsum(dir, b, 0x18+int(b[0x1D]))
		return
	}
	f.setDirTail(dir, b)
}

// leafEntry is a live entry of a leaf being split.
type leafEntry struct {
	hash, minor uint32
	ino         uint32
	name        string
	typ         byte
}

// insertInBlock puts name → ino into the first gap of leaf b big
// enough for it (entries end at limit); false when there is none.
func (f *FS) insertInBlock(b []byte, limit int, name string, ino uint32, typ byte) (bool, error) {
	need := direntSize(len(name))
	for off := 0; off < limit; {
		e, err := f.parseDirent(b, off)
		if err != nil {
			return false, err
		}
		rl := e.next - off
		used := 0
		if e.ino != 0 {
			used = direntSize(len(e.name))
		}
		if rl-used >= need {
			if used == 0 {
				f.putDirent(b, off, rl, ino, name, typ)
			} else {
				le.PutUint16(b[off+4:], uint16(used))
				f.putDirent(b, off+used, rl-used, ino, name, typ)
			}
			return true, nil
		}
		off = e.next
	}
	return false, nil
}

// dxAdd adds name → ino to indexed directory dir; false (and nothing
// changed) when the index cannot take it.
func (f *FS) dxAdd(dir *node, name string, ino uint32, mode vfs.Mode) (bool, error) {
	r := dir.r
	hv, err := f.dxVersion(r)
	if err == errBadDx {
		return false, nil
	} else if err != nil {
		return false, err
	}
	hash := dxHash([]byte(name), hv, f.sb.hashSeed)
	frames, err := f.dxProbe(r, hash)
	if err == errBadDx {
		return false, nil
	} else if err != nil {
		return false, err
	}
	bs := f.sb.blockSize
	limit := bs - f.dirTailSize()
	typ := f.direntFileType(mode)
	last := len(frames) - 1
	leafLblk := frames[last].block(frames[last].at)
	leaf, _, err := f.dirLeaf(r, leafLblk)
	if err != nil {
		return false, err
	}
	if leaf == nil {
		return false, vfs.EUCLEAN
	}
	if ok, err := f.insertInBlock(leaf, limit, name, ino, typ); err != nil {
		return false, err
	} else if ok {
		f.setDirTail(r, leaf)
		dir.noteEntry(name, ino, leafLblk)
		return true, nil
	}
	// Split the leaf: there must be room for one more index entry.
	fr := frames[last]
	if fr.count >= int(u16(fr.b, fr.entries)) {
		// Make room in the index (a new level, or a split node), then
		// start again: each round either adds or gives up.
		if grown, err := f.dxGrow(dir, frames); !grown || err != nil {
			return false, err
		}
		return f.dxAdd(dir, name, ino, mode)
	}
	nodeLblk := uint64(0)
	if last > 0 {
		nodeLblk = frames[last-1].block(frames[last-1].at)
	}
	ns, err := f.mapBlock(r, nodeLblk)
	if err != nil || ns.zero {
		return false, vfs.EUCLEAN
	}
	node, err := f.dev.mut(ns.pblk) // dirty, so it stays cached
	if err != nil {
		return false, err
	}
	var ents []leafEntry
	for off := 0; off < limit; {
		e, err := f.parseDirent(leaf, off)
		if err != nil {
			return false, err
		}
		if e.ino != 0 {
			h, m := dxHash2(e.name, hv, f.sb.hashSeed)
			ents = append(ents, leafEntry{hash: h, minor: m, ino: e.ino, name: string(e.name), typ: leaf[off+7]})
		}
		off = e.next
	}
	if f.sb.incompat&incompatFiletype == 0 {
		for i := range ents {
			ents[i].typ = 0
		}
	}
	if len(ents) < 2 {
		return false, nil
	}
	slices.SortStableFunc(ents, func(a, b leafEntry) int {
		switch {
		case a.hash != b.hash:
			if a.hash < b.hash {
				return -1
			}
			return 1
		case a.minor != b.minor:
			if a.minor < b.minor {
				return -1
			}
			return 1
		}
		return 0
	})
	// Half the bytes stay (dx_make_map and the split of do_split).
	total, size, split := 0, 0, 0
	for _, e := range ents {
		total += direntSize(len(e.name))
	}
	for split < len(ents)-1 && size+direntSize(len(ents[split].name)) <= total/2 {
		size += direntSize(len(ents[split].name))
		split++
	}
	if split == 0 {
		split = 1
	}
	hash2 := ents[split].hash
	continued := uint32(0)
	if hash2 == ents[split-1].hash {
		continued = 1
	}
	b2, err := f.appendDirBlock(dir)
	if err != nil {
		return false, err
	}
	newLblk := uint64(r.size)/uint64(bs) - 1
	fill := func(b []byte, es []leafEntry, lblk uint64) {
		clear(b)
		off := 0
		for i, e := range es {
			rl := direntSize(len(e.name))
			if i == len(es)-1 {
				rl = limit - off
			}
			f.putDirent(b, off, rl, e.ino, e.name, e.typ)
			off += rl
		}
		if len(es) == 0 {
			f.putDirent(b, 0, limit, 0, "", 0)
		}
		for _, e := range es {
			dir.noteEntry(e.name, e.ino, lblk)
		}
	}
	fill(leaf, ents[:split], leafLblk)
	fill(b2, ents[split:], newLblk)
	// The index entry for the new leaf, after the one of the old.
	at := fr.entries + 8*(fr.at+1)
	end := fr.entries + 8*fr.count
	copy(node[at+8:end+8], node[at:end])
	le.PutUint32(node[at:], hash2|continued)
	le.PutUint32(node[at+4:], uint32(newLblk))
	le.PutUint16(node[fr.entries+2:], uint16(fr.count+1))
	f.setDxCsum(r, node, fr.entries)
	target, tl := leaf, leafLblk
	if hash >= hash2 {
		target, tl = b2, newLblk
	}
	ok, err := f.insertInBlock(target, limit, name, ino, typ)
	f.setDirTail(r, leaf)
	f.setDirTail(r, b2)
	if err != nil {
		return false, err
	}
	if !ok {
		// Still no room (long names in small blocks): the split is a
		// legal index, but the entry goes in linearly.
		return false, nil
	}
	dir.noteEntry(name, ino, tl)
	return true, nil
}

// dxGrow makes room for one more entry in the full index node of the
// last frame: under a full root with one level, a new level (the root's
// entries move into a new node); under a root with room, the node is
// split in two (dx_insert_block into the root). false when the index
// is at its largest (two levels, three with largedir, and full).
func (f *FS) dxGrow(dir *node, frames []dxFrame) (bool, error) {
	r := dir.r
	bs := f.sb.blockSize
	tail := 0
	if f.sb.csum() {
		tail = 8
	}
	nodeLimit := (bs - 8 - tail) / 8
	maxLevels := 2
	if f.sb.incompat&incompatLargeDir != 0 {
		maxLevels = 3
	}
	last := len(frames) - 1
	lblkOf := func(i int) uint64 {
		if i == 0 {
			return 0
		}
		return frames[i-1].block(frames[i-1].at)
	}
	mutNode := func(lblk uint64) ([]byte, error) {
		s, err := f.mapBlock(r, lblk)
		if err != nil {
			return nil, err
		}
		if s.zero {
			return nil, vfs.EUCLEAN
		}
		return f.dev.mut(s.pblk)
	}
	// The deepest frame with room is the parent of the split; if the
	// root is full, a level is added under it.
	p := last - 1
	for p >= 0 && frames[p].count >= int(u16(frames[p].b, frames[p].entries)) {
		p--
	}
	if p < 0 {
		if len(frames) >= maxLevels {
			return false, nil
		}
		root, err := mutNode(0)
		if err != nil {
			return false, err
		}
		rf := frames[0]
		nb, err := f.appendDirBlock(dir)
		if err != nil {
			return false, err
		}
		nl := uint64(r.size)/uint64(bs) - 1
		clear(nb)
		f.putDirent(nb, 0, bs, 0, "", 0)
		le.PutUint16(nb[4:], uint16(min(bs, 65535)))
		copy(nb[8:], root[rf.entries:rf.entries+8*rf.count])
		le.PutUint16(nb[8:], uint16(nodeLimit))
		le.PutUint16(nb[10:], uint16(rf.count))
		f.setDxCsum(r, nb, 8)
		le.PutUint16(root[rf.entries+2:], 1)
		le.PutUint32(root[rf.entries+4:], uint32(nl))
		root[0x1E]++ // indirect_levels
		f.setDxCsum(r, root, rf.entries)
		return true, nil
	}
	// Split frame p+1 (full) in two; frame p gets the new half.
	parent, err := mutNode(lblkOf(p))
	if err != nil {
		return false, err
	}
	full, err := mutNode(lblkOf(p + 1))
	if err != nil {
		return false, err
	}
	pf, cf := frames[p], frames[p+1]
	nb, err := f.appendDirBlock(dir)
	if err != nil {
		return false, err
	}
	nl := uint64(r.size)/uint64(bs) - 1
	half := cf.count / 2
	moved := cf.count - half
	splitHash := u32(full, cf.entries+8*half)
	clear(nb)
	f.putDirent(nb, 0, bs, 0, "", 0)
	le.PutUint16(nb[4:], uint16(min(bs, 65535)))
	copy(nb[8:], full[cf.entries+8*half:cf.entries+8*cf.count])
	le.PutUint16(nb[8:], uint16(nodeLimit))
	le.PutUint16(nb[10:], uint16(moved))
	f.setDxCsum(r, nb, 8)
	le.PutUint16(full[cf.entries+2:], uint16(half))
	f.setDxCsum(r, full, cf.entries)
	at := pf.entries + 8*(pf.at+1)
	end := pf.entries + 8*pf.count
	copy(parent[at+8:end+8], parent[at:end])
	le.PutUint32(parent[at:], splitHash)
	le.PutUint32(parent[at+4:], uint32(nl))
	le.PutUint16(parent[pf.entries+2:], uint16(pf.count+1))
	f.setDxCsum(r, parent, pf.entries)
	return true, nil
}

// makeIndexed turns a one-block linear directory whose block is full
// into an indexed one (make_indexed_dir): its entries after "." and ".."
// move to a new block 1, and block 0 becomes the htree root with one
// entry for it. false when block 0 is not laid out as ext4 lays it.
func (f *FS) makeIndexed(dir *node) (bool, error) {
	r := dir.r
	bs := f.sb.blockSize
	root, _, err := f.dirLeaf(r, 0)
	if err != nil || root == nil {
		return false, err
	}
	dot, err := f.parseDirent(root, 0)
	if err != nil || string(dot.name) != "." || dot.next != 12 {
		return false, nil
	}
	dotdot, err := f.parseDirent(root, 12)
	if err != nil || string(dotdot.name) != ".." {
		return false, nil
	}
	if f.sb.defHashVersion > hashTea {
		return false, nil
	}
	limit := bs - f.dirTailSize()
	// The entries after "..".
	var ents []leafEntry
	for off := dotdot.next; off < limit; {
		e, err := f.parseDirent(root, off)
		if err != nil {
			return false, err
		}
		if e.ino != 0 {
			ents = append(ents, leafEntry{ino: e.ino, name: string(e.name), typ: root[off+7]})
		}
		off = e.next
	}
	if f.sb.incompat&incompatFiletype == 0 {
		for i := range ents {
			ents[i].typ = 0
		}
	}
	b1, err := f.appendDirBlock(dir)
	if err != nil {
		return false, err
	}
	clear(b1)
	off := 0
	for i, e := range ents {
		rl := direntSize(len(e.name))
		if i == len(ents)-1 {
			rl = limit - off
		}
		f.putDirent(b1, off, rl, e.ino, e.name, e.typ)
		off += rl
		dir.noteEntry(e.name, e.ino, 1)
	}
	if len(ents) == 0 {
		f.putDirent(b1, 0, limit, 0, "", 0)
	}
	f.setDirTail(r, b1)
	// The root: "." and ".." (its rec_len to the block's end), the
	// dx_root_info, one entry.
	self, parent := dot.ino, dotdot.ino
	dt := f.direntFileType(vfs.ModeDir)
	clear(root)
	f.putDirent(root, 0, 12, self, ".", dt)
	f.putDirent(root, 12, bs-12, parent, "..", dt)
	root[0x1C] = f.sb.defHashVersion
	root[0x1D] = 8 // info_length
	root[0x1E] = 0 // indirect_levels
	tail := 0
	if f.sb.csum() {
		tail = 8
	}
	le.PutUint16(root[0x20:], uint16((bs-0x20-tail)/8))
	le.PutUint16(root[0x22:], 1)
	le.PutUint32(root[0x24:], 1)
	r.flags |= flagIndex
	f.setDxCsum(r, root, 0x20)
	return true, f.putInode(r)
}
