package ext4

import (
	"errors"

	"github.com/mountkit/mountkit/vfs"
)

// errBadDx says the htree index is not one ext4 understands
// (ERR_BAD_DX_DIR): the lookup falls back to a linear scan.
var errBadDx = errors.New("ext4: bad htree index")

// dxFrame is one level of an htree walk: a node's entries and the one
// taken.
type dxFrame struct {
	b       []byte
	entries int // offset of the count/limit header
	count   int
	at      int // index of the entry taken
}

func (fr *dxFrame) hash(i int) uint32 { return u32(fr.b, fr.entries+8*i) }
func (fr *dxFrame) block(i int) uint64 {
	return uint64(u32(fr.b, fr.entries+8*i+4) & 0x0fffffff)
}

// dxLookup finds name through the htree index of directory r (dx_probe
// and ext4_dx_find_entry): the root and at most two (three with
// largedir) levels of index nodes pick one leaf block, and the leaves
// after it are searched only while their starting hash continues name's
// (a hash collision across blocks). It returns 0 when name is absent.
func (f *FS) dxLookup(r *rawInode, name string) (uint32, error) {
	hv, err := f.dxVersion(r)
	if err != nil {
		return 0, err
	}
	hash := dxHash([]byte(name), hv, f.sb.hashSeed)
	frames, err := f.dxProbe(r, hash)
	if err != nil {
		return 0, err
	}
	for {
		b, err := f.dxLeaf(r, frames)
		if err != nil {
			return 0, err
		}
		ino, err := f.searchBlock(b, name)
		if err != nil {
			return 0, errBadDx
		}
		if ino != 0 {
			return ino, nil
		}
		more, err := f.dxNext(r, frames, hash, false)
		if err != nil || !more {
			return 0, err
		}
	}
}

// dxVersion returns the hash version of indexed directory r, with the
// superblock's unsigned flag applied; errBadDx for an index ext4 does
// not understand.
func (f *FS) dxVersion(r *rawInode) (uint8, error) {
	root, err := f.dirBlock(r, 0)
	if err != nil {
		return 0, err
	}
	if root == nil {
		return 0, vfs.EUCLEAN
	}
	hv, uflags := root[0x1C], root[0x1F]
	if hv > hashTea || uflags&1 != 0 {
		return 0, errBadDx
	}
	return hv + f.hashVersionAdd, nil
}

// dxProbe walks the index from the root to the leaf whose hash range
// holds hash (dx_probe) and returns the frames of the walk, the leaf's
// index entry last.
func (f *FS) dxProbe(r *rawInode, hash uint32) ([]dxFrame, error) {
	root, err := f.dirBlock(r, 0)
	if err != nil {
		return nil, err
	}
	if root == nil {
		return nil, vfs.EUCLEAN
	}
	bs := len(root)
	infoLen, levels := int(root[0x1D]), int(root[0x1E])
	maxLevels := 2
	if f.sb.incompat&incompatLargeDir != 0 {
		maxLevels = 3
	}
	if levels >= maxLevels {
		return nil, errBadDx
	}
	tail := 0
	if f.sb.csum() {
		tail = 8
	}
	frames := make([]dxFrame, levels+1)
	var seen [4]uint64
	fr := dxFrame{b: root, entries: 0x18 + infoLen}
	if fr.entries+8 > bs || int(u16(root, fr.entries)) != (bs-24-infoLen-tail)/8 {
		return nil, errBadDx
	}
	maxBlock := uint64(r.size) / uint64(bs)
	level := 0
	for {
		limit := int(u16(fr.b, fr.entries))
		fr.count = int(u16(fr.b, fr.entries+2))
		if fr.count == 0 || fr.count > limit {
			return nil, errBadDx
		}
		// The last entry whose hash is at most hash; entry 0 has none.
		lo, hi := 1, fr.count-1
		for lo <= hi {
			m := lo + (hi-lo)/2
			if fr.hash(m) > hash {
				hi = m - 1
			} else {
				lo = m + 1
			}
		}
		fr.at = lo - 1
		blk := fr.block(fr.at)
		for i := 0; i <= level; i++ {
			if seen[i] == blk {
				return nil, errBadDx // a cycle back to the root or a parent
			}
		}
		if blk >= maxBlock {
			return nil, vfs.EUCLEAN
		}
		frames[level] = fr
		if level == levels {
			return frames, nil
		}
		level++
		seen[level] = blk
		b, err := f.dxNode(r, blk)
		if err != nil {
			return nil, err
		}
		fr = dxFrame{b: b, entries: 8}
		if int(u16(b, 8)) != (bs-8-tail)/8 {
			return nil, errBadDx
		}
	}
}

// dxLeaf reads the leaf block the last frame points at.
func (f *FS) dxLeaf(r *rawInode, frames []dxFrame) ([]byte, error) {
	fr := &frames[len(frames)-1]
	blk := fr.block(fr.at)
	if blk >= uint64(r.size)/uint64(f.sb.blockSize) {
		return nil, vfs.EUCLEAN
	}
	b, err := f.dirBlock(r, blk)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, vfs.EUCLEAN
	}
	return b, nil
}

// dxNode reads an htree index node, which must look like one: an empty
// entry spanning the block.
func (f *FS) dxNode(r *rawInode, blk uint64) ([]byte, error) {
	b, err := f.dirBlock(r, blk)
	if err != nil {
		return nil, err
	}
	if b == nil || u32(b, 0) != 0 || recLen(b, 0, len(b)) != len(b) {
		return nil, vfs.EUCLEAN
	}
	return b, nil
}

// dxNext advances frames to the next leaf (ext4_htree_next_block) and
// reports whether there is one that may still hold hash (any next leaf
// with always). Every call moves the walk forward, so a walk reads each
// leaf at most once.
func (f *FS) dxNext(r *rawInode, frames []dxFrame, hash uint32, always bool) (bool, error) {
	i := len(frames) - 1
	for {
		frames[i].at++
		if frames[i].at < frames[i].count {
			break
		}
		if i == 0 {
			return false, nil
		}
		i--
	}
	if !always && frames[i].hash(frames[i].at)&^1 != hash {
		return false, nil
	}
	bs := int(f.sb.blockSize)
	for ; i < len(frames)-1; i++ {
		b, err := f.dxNode(r, frames[i].block(frames[i].at))
		if err != nil {
			return false, err
		}
		fr := dxFrame{b: b, entries: 8, count: int(u16(b, 10))}
		if fr.count == 0 || fr.count > int(u16(b, 8)) || 8+8*fr.count > bs {
			return false, vfs.EUCLEAN
		}
		frames[i+1] = fr
	}
	return true, nil
}
