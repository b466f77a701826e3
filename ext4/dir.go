package ext4

import (
	"github.com/mountkit/mountkit/vfs"
)

// File types of directory entries (filetype feature).
var direntType = [8]vfs.Mode{0, vfs.ModeRegular, vfs.ModeDir, vfs.ModeCharDevice,
	vfs.ModeBlockDevice, vfs.ModeFIFO, vfs.ModeSocket, vfs.ModeSymlink}

// dirent is one decoded directory entry.
type dirent struct {
	ino  uint32
	name []byte
	typ  vfs.Mode
	next int // offset of the next entry in its block
}

// recLen decodes rec_len (ext4_rec_len_from_disk: 64 KiB blocks store
// 65536 as 0 or 65535).
func recLen(b []byte, off, bs int) int {
	l := int(u16(b, off+4))
	if bs >= 65536 && (l == 65535 || l == 0) {
		return 65536
	}
	return l
}

// parseDirent decodes the entry at off of block b with
// ext4_check_dir_entry's checks: EUCLEAN for a rec_len below 12, not a
// multiple of 4, too short for the name or running past the block, or an
// inode number past the inode count.
func (f *FS) parseDirent(b []byte, off int) (dirent, error) {
	if off+8 > len(b) {
		return dirent{}, vfs.EUCLEAN
	}
	rl := recLen(b, off, f.sb.blockSize)
	var nl int
	var typ vfs.Mode
	if f.sb.incompat&incompatFiletype != 0 {
		nl = int(b[off+6])
		typ = direntType[b[off+7]&7]
		if b[off+7] > 7 {
			typ = 0
		}
	} else {
		nl = int(u16(b, off+6))
	}
	ino := u32(b, off)
	if rl < 12 || rl%4 != 0 || rl < (8+nl+3)&^3 || off+rl > len(b) || ino > f.sb.inodesCount {
		return dirent{}, vfs.EUCLEAN
	}
	return dirent{ino: ino, name: b[off+8 : off+8+nl], typ: typ, next: off + rl}, nil
}

// dirBlock returns logical block lblk of directory r, checked against its
// metadata_csum tail (EBADMSG on a mismatch), or nil for a hole.
func (f *FS) dirBlock(r *rawInode, lblk uint64) ([]byte, error) {
	b, _, err := f.dirBlockSpan(r, lblk)
	return b, err
}

// dirBlockSpan is dirBlock that also returns, for a hole, how many
// blocks the hole spans, so that a scan skips it at once.
func (f *FS) dirBlockSpan(r *rawInode, lblk uint64) ([]byte, uint64, error) {
	s, err := f.mapBlock(r, lblk)
	if err != nil {
		return nil, 0, err
	}
	if s.zero {
		return nil, max(s.count, 1), nil
	}
	b, err := f.dirBlockAt(r, lblk, s.pblk)
	return b, 1, err
}

func (f *FS) dirBlockAt(r *rawInode, lblk, pblk uint64) ([]byte, error) {
	if !f.sb.csum() {
		return f.dev.block(pblk)
	}
	return f.dev.verifiedBlock(pblk, func(b []byte) error { return f.checkDirBlock(r, b, lblk) })
}

// checkDirBlock verifies a directory block's checksum as
// __ext4_read_dirblock does: in an indexed directory, block 0 and blocks
// whose first entry spans the block are htree nodes with a dx tail;
// every other block is a leaf with a dirent tail. EBADMSG on a mismatch
// or a block with no room for its checksum.
func (f *FS) checkDirBlock(r *rawInode, b []byte, lblk uint64) error {
	bs := len(b)
	seed := f.inodeSeed(r.ino, r.generation)
	if f.isDx(r) && (lblk == 0 || recLen(b, 0, bs) == bs) {
		// get_dx_countlimit: an empty entry spanning the block, or the
		// root's "." and ".." before the root info.
		countOff := -1
		if recLen(b, 0, bs) == bs {
			countOff = 8
		} else if recLen(b, 0, bs) == 12 && recLen(b, 12, bs) == bs-12 && u32(b, 0x18) == 0 && b[0x1D] == 8 {
			countOff = 32
		}
		if countOff < 0 {
			return vfs.EBADMSG
		}
		limit, count := int(u16(b, countOff)), int(u16(b, countOff+2))
		tail := countOff + 8*limit
		if count > limit || tail+8 > bs {
			return vfs.EBADMSG
		}
		c := crc32c(seed, b[:countOff+8*count])
		c = crc32c(c, b[tail:tail+4])
		c = crc32c(c, []byte{0, 0, 0, 0})
		if c != u32(b, tail+4) {
			return vfs.EBADMSG
		}
		return nil
	}
	t := b[bs-12:]
	if u32(t, 0) != 0 || u16(t, 4) != 12 || t[6] != 0 || t[7] != 0xDE {
		return vfs.EBADMSG
	}
	if crc32c(seed, b[:bs-12]) != u32(t, 8) {
		return vfs.EBADMSG
	}
	return nil
}

// isDx reports whether directory r is indexed (ext4's is_dx).
func (f *FS) isDx(r *rawInode) bool {
	return r.flags&flagIndex != 0 && f.sb.compat&compatDirIndex != 0
}

// readDir emits the entries of directory r from cookie on: an indexed
// directory in hash order (dxReadDir), any other in block order, where a
// cookie is 2 plus the byte offset of an entry in the directory, so it
// stays valid (entries of a linear directory never move: a new one takes
// a gap, a removed one leaves one). A malformed entry ends
// the listing of its block, as ext4_readdir skips to the next block.
func (f *FS) readDir(r *rawInode, cookie uint64, emit func(vfs.DirEntry) bool) error {
	if cookie < 2 {
		cookie = 2
	}
	pos := cookie - 2
	if f.hashOrder(r) {
		if err := f.dxReadDir(r, cookie, emit); err != errBadDx {
			return err
		}
	}
	if r.flags&flagInlineData != 0 {
		return f.readInlineDir(r, pos, emit)
	}
	bs := uint64(f.sb.blockSize)
	size := uint64(r.size)
	for pos < size {
		lblk := pos / bs
		b, hole, err := f.dirBlockSpan(r, lblk)
		if err != nil {
			return err
		}
		base := lblk * bs
		if b == nil {
			pos = base + hole*bs
			continue
		}
		// Entries are found by walking the block from its start, so a
		// cookie inside an entry resumes at the next one.
		off := 0
		for off < int(bs) {
			e, err := f.parseDirent(b, off)
			if err != nil {
				break
			}
			if base+uint64(off) >= pos && e.ino != 0 && !isDot(e.name) {
				if !emit(vfs.DirEntry{Name: string(e.name), Ino: uint64(e.ino), Type: e.typ, Next: 2 + base + uint64(e.next)}) {
					return nil
				}
			}
			off = e.next
		}
		pos = base + bs
	}
	return nil
}

func isDot(name []byte) bool {
	return len(name) == 1 && name[0] == '.' || len(name) == 2 && name[0] == '.' && name[1] == '.'
}

// searchBlock looks for name among the entries of a directory block:
// its inode, 0 when absent, EUCLEAN for a malformed entry.
func (f *FS) searchBlock(b []byte, name string) (uint32, error) {
	for off := 0; off < len(b); {
		e, err := f.parseDirent(b, off)
		if err != nil {
			return 0, err
		}
		if e.ino != 0 && string(e.name) == name {
			return e.ino, nil
		}
		off = e.next
	}
	return 0, nil
}

// lookup returns the inode number of name in directory r: through the
// htree index when the directory has one (falling back to a linear scan
// when the index is not one ext4 understands, as ext4's dx_fallback),
// else by a scan of every block.
func (f *FS) lookup(r *rawInode, name string) (uint32, error) {
	if r.flags&flagInlineData != 0 {
		return f.lookupInline(r, name)
	}
	if f.isDx(r) {
		ino, err := f.dxLookup(r, name)
		if err != errBadDx {
			if err == nil && ino == 0 {
				return 0, vfs.ENOENT
			}
			return ino, err
		}
	}
	bs := uint64(f.sb.blockSize)
	for lblk := uint64(0); lblk*bs < uint64(r.size); {
		b, n, err := f.dirBlockSpan(r, lblk)
		if err != nil {
			return 0, err
		}
		lblk += n
		if b == nil {
			continue
		}
		ino, err := f.searchBlock(b, name)
		if err != nil || ino != 0 {
			return ino, err
		}
	}
	return 0, vfs.ENOENT
}
