package ext4

import (
	"github.com/mountkit/mountkit/vfs"
)

// Inode flags (i_flags).
const (
	flagIndex      = 0x1000
	flagHugeFile   = 0x40000
	flagExtents    = 0x80000
	flagEAInode    = 0x200000
	flagInlineData = 0x10000000
	flagEncrypt    = 0x800
	flagCasefold   = 0x40000000
	flagVerity     = 0x100000
)

const (
	// maxDirBlocks bounds a directory's size, so that a linear scan of
	// a corrupt one ends in bounded time (4 GiB at 1 KiB blocks: larger
	// than any directory without largedir can be).
	maxDirBlocks = 1 << 22
	nBlocks      = 15 // i_block words
	iBlockOff    = 0x28
	iBlockBytes  = 4 * nBlocks
)

// rawInode is a decoded on-disk inode. raw keeps its bytes for the
// in-inode xattrs and i_block.
type rawInode struct {
	ino        uint32
	raw        []byte
	mode       vfs.Mode
	uid, gid   uint32
	size       int64
	links      uint16
	blocks     int64 // 512-byte units
	flags      uint32
	generation uint32
	fileACL    uint64
	extraIsize int
	atime      vfs.Timespec
	mtime      vfs.Timespec
	ctime      vfs.Timespec
}

// iblock returns i_block, the 60 bytes of block pointers, extent root,
// inline data or fast-symlink target.
func (n *rawInode) iblock() []byte { return n.raw[iBlockOff : iBlockOff+iBlockBytes] }

// csumSeed returns the inode's metadata_csum seed (ext4's i_csum_seed).
func (f *FS) inodeSeed(ino, gen uint32) uint32 {
	var b [4]byte
	le.PutUint32(b[:], ino)
	c := crc32c(f.seed, b[:])
	le.PutUint32(b[:], gen)
	return crc32c(c, b[:])
}

// readInode reads inode ino from its group's inode table (ext4_iget):
// EUCLEAN for a number outside the table or a malformed inode, EBADMSG
// for a bad checksum, ESTALE for a deleted inode.
func (f *FS) readInode(ino uint32) (*rawInode, error) {
	sb := f.sb
	if ino == 0 || ino > sb.inodesCount || ino < sb.firstIno && ino != rootIno && ino != sb.journalInum {
		return nil, vfs.EUCLEAN
	}
	g := (ino - 1) / sb.inodesPerGroup
	idx := uint64((ino - 1) % sb.inodesPerGroup)
	off := idx * uint64(sb.inodeSize)
	blk := f.groups[g].inodeTable + off/uint64(sb.blockSize)
	b, err := f.dev.block(blk)
	if err != nil {
		return nil, err
	}
	o := int(off % uint64(sb.blockSize))
	raw := make([]byte, sb.inodeSize)
	copy(raw, b[o:o+sb.inodeSize])
	n := &rawInode{ino: ino, raw: raw}
	n.mode = vfs.Mode(u16(raw, 0))
	n.uid = uint32(u16(raw, 0x2)) | uint32(u16(raw, 0x78))<<16
	n.gid = uint32(u16(raw, 0x18)) | uint32(u16(raw, 0x7A))<<16
	n.links = u16(raw, 0x1A)
	n.flags = u32(raw, 0x20)
	n.generation = u32(raw, 0x64)
	n.fileACL = uint64(u32(raw, 0x68)) | uint64(u16(raw, 0x76))<<32
	if sb.inodeSize > 128 {
		n.extraIsize = int(u16(raw, 0x80))
		if 128+n.extraIsize > sb.inodeSize || n.extraIsize&3 != 0 {
			return nil, vfs.EUCLEAN
		}
	}
	if sb.csum() {
		if err := f.checkInodeCsum(n); err != nil {
			return nil, err
		}
	}
	if n.links == 0 && !(n.mode.IsDir() && sb.roCompat&roCompatDirNlink != 0 && n.mode != 0) {
		return nil, vfs.ESTALE
	}
	size := int64(u32(raw, 0x4))
	if n.mode.IsRegular() || n.mode.IsDir() && sb.incompat&incompatLargeDir != 0 {
		size |= int64(u32(raw, 0x6C)) << 32
	}
	if size < 0 || n.mode.IsDir() && size > maxDirBlocks*int64(sb.blockSize) {
		return nil, vfs.EUCLEAN
	}
	n.size = size
	blocks := int64(u32(raw, 0x1C))
	if sb.roCompat&roCompatHugeFile != 0 {
		blocks |= int64(u16(raw, 0x74)) << 32
		if n.flags&flagHugeFile != 0 {
			blocks *= int64(sb.blockSize / 512)
		}
	}
	n.blocks = blocks
	n.atime = n.time(0x8, 0x8C)
	n.mtime = n.time(0x10, 0x88)
	n.ctime = n.time(0xC, 0x84)
	if n.fileACL != 0 && n.fileACL >= sb.blocksCount {
		return nil, vfs.EUCLEAN
	}
	return n, nil
}

// time decodes a timestamp: seconds at off, and when the inode is large
// enough its _extra word at extra (2 epoch bits, 30 nanosecond bits), as
// ext4_decode_extra_time.
func (n *rawInode) time(off, extra int) vfs.Timespec {
	ts := vfs.Timespec{Sec: int64(int32(u32(n.raw, off)))}
	if 128+n.extraIsize >= extra+4 {
		x := u32(n.raw, extra)
		ts.Sec += int64(x&3) << 32
		ts.Nsec = int64(x >> 2)
		if ts.Nsec > 999999999 {
			ts.Nsec = 999999999
		}
	}
	return ts
}

// checkInodeCsum verifies the inode's crc32c (ext4_inode_csum_verify).
func (f *FS) checkInodeCsum(n *rawInode) error {
	raw := n.raw
	c := f.inodeSeed(n.ino, n.generation)
	var zero [2]byte
	c = crc32c(c, raw[:0x7C])
	c = crc32c(c, zero[:])
	c = crc32c(c, raw[0x7E:128])
	want := uint32(u16(raw, 0x7C))
	hasHi := len(raw) > 128 && n.extraIsize >= 4
	if len(raw) > 128 {
		if hasHi {
			c = crc32c(c, raw[0x80:0x82])
			c = crc32c(c, zero[:])
			c = crc32c(c, raw[0x84:])
			want |= uint32(u16(raw, 0x82)) << 16
		} else {
			c = crc32c(c, raw[0x80:])
		}
	}
	if !hasHi {
		c &= 0xFFFF
	}
	if c != want {
		return vfs.EBADMSG
	}
	return nil
}

// rdev decodes a device inode's number from i_block (old 16-bit or new
// 32-bit encoding).
func (n *rawInode) rdev() uint64 {
	b := n.iblock()
	if x := u32(b, 0); x != 0 {
		return vfs.Mkdev((x>>8)&0xff, x&0xff)
	}
	x := u32(b, 4)
	return vfs.Mkdev((x&0xfff00)>>8, (x&0xff)|((x>>12)&0xfff00))
}
