package ext4

import (
	"slices"

	"github.com/mountkit/mountkit/vfs"
)

// dxEntry is an entry of an indexed directory with its hashes.
type dxEntry struct {
	hash, minor uint32
	e           dirent
}

// dxPos is the position of a hash pair, as ext4's hash2pos for 64-bit
// offsets: the major hash (always even) halved in the high word, the
// minor hash in the low word.
func dxPos(hash, minor uint32) uint64 { return uint64(hash>>1)<<32 | uint64(minor) }

// hashOrder reports whether ext4 lists directory r in hash order
// (is_dx_dir): with dir_index, an indexed directory, a directory of one
// block, or an inline one.
func (f *FS) hashOrder(r *rawInode) bool {
	return f.sb.compat&compatDirIndex != 0 && (r.flags&flagIndex != 0 ||
		r.size>>f.sb.logBlockSize() == 1 || r.flags&flagInlineData != 0)
}

// dxReadDir lists directory r in hash order, as ext4_dx_readdir: entries
// sorted by (major, minor) hash, leaf after leaf in index order; an
// unindexed directory (one block, or inline) is one batch hashed with
// the superblock's default hash version. A cookie is 2 plus the
// position of the first entry not yet returned, so a listing resumes at
// the leaf that holds it. errBadDx for an index ext4 would not use (the
// caller lists the blocks instead, as ext4 does once it clears the
// index flag).
func (f *FS) dxReadDir(r *rawInode, cookie uint64, emit func(vfs.DirEntry) bool) error {
	pos := cookie - 2
	if pos >= 1<<63 {
		return nil // past every position
	}
	if r.flags&flagIndex == 0 {
		hv := f.sb.defHashVersion
		if hv <= hashTea {
			hv += f.hashVersionAdd
		}
		var regions [][]byte
		if r.flags&flagInlineData != 0 {
			first, rest, err := f.inlineDirRegions(r)
			if err != nil {
				return err
			}
			regions = [][]byte{first, rest}
		} else {
			b, err := f.dirBlock(r, 0)
			if err != nil || b == nil {
				return err
			}
			regions = [][]byte{b}
		}
		var ents []dxEntry
		for _, b := range regions {
			ents = f.hashEntries(b, hv, pos, ents)
		}
		emitSorted(ents, emit)
		return nil
	}
	hv, err := f.dxVersion(r)
	if err != nil {
		return err
	}
	frames, err := f.dxProbe(r, uint32(pos>>32)<<1)
	if err != nil {
		return err
	}
	var ents []dxEntry
	for {
		b, err := f.dxLeaf(r, frames)
		if err != nil {
			return err
		}
		ents = f.hashEntries(b, hv, pos, ents[:0])
		if !emitSorted(ents, emit) {
			return nil
		}
		more, err := f.dxNext(r, frames, 0, true)
		if err != nil || !more {
			return err
		}
	}
}

// hashEntries appends the entries of block b at or after position pos,
// with their hashes. A malformed entry ends the block, as ext4 skips
// the rest of it.
func (f *FS) hashEntries(b []byte, hv uint8, pos uint64, ents []dxEntry) []dxEntry {
	for off := 0; off < len(b); {
		e, err := f.parseDirent(b, off)
		if err != nil {
			break
		}
		off = e.next
		if e.ino == 0 || isDot(e.name) {
			continue
		}
		h, m := dxHash2(e.name, hv, f.sb.hashSeed)
		if dxPos(h, m) >= pos {
			ents = append(ents, dxEntry{hash: h, minor: m, e: e})
		}
	}
	return ents
}

// emitSorted emits ents in hash order; false when emit stopped.
func emitSorted(ents []dxEntry, emit func(vfs.DirEntry) bool) bool {
	slices.SortStableFunc(ents, func(a, b dxEntry) int {
		pa, pb := dxPos(a.hash, a.minor), dxPos(b.hash, b.minor)
		switch {
		case pa < pb:
			return -1
		case pa > pb:
			return 1
		}
		return 0
	})
	for _, x := range ents {
		next := 2 + dxPos(x.hash, x.minor) + 1
		if !emit(vfs.DirEntry{Name: string(x.e.name), Ino: uint64(x.e.ino), Type: x.e.typ, Next: next}) {
			return false
		}
	}
	return true
}
