package ext4

import (
	"math/rand/v2"

	"github.com/mountkit/mountkit/vfs"
)

// now is the clock of timestamps (current_time).
func now() vfs.Timespec { return vfs.Now() }

// putTime encodes ts at off, with its _extra word at extra when the
// inode has room for it (ext4_encode_extra_time).
func (n *rawInode) putTime(off, extra int, ts vfs.Timespec) {
	le.PutUint32(n.raw[off:], uint32(int32(ts.Sec)))
	if 128+n.extraIsize >= extra+4 {
		epoch := uint32((ts.Sec-int64(int32(ts.Sec)))>>32) & 3
		le.PutUint32(n.raw[extra:], epoch|uint32(ts.Nsec)<<2)
	}
}

// putInode encodes r's decoded fields into r.raw, computes its checksum
// and copies it into its inode-table block, which becomes dirty.
func (f *FS) putInode(r *rawInode) error {
	sb := f.sb
	raw := r.raw
	le.PutUint16(raw[0:], uint16(r.mode))
	le.PutUint16(raw[0x2:], uint16(r.uid))
	le.PutUint16(raw[0x78:], uint16(r.uid>>16))
	le.PutUint16(raw[0x18:], uint16(r.gid))
	le.PutUint16(raw[0x7A:], uint16(r.gid>>16))
	le.PutUint16(raw[0x1A:], r.links)
	le.PutUint32(raw[0x20:], r.flags)
	le.PutUint32(raw[0x64:], r.generation)
	le.PutUint32(raw[0x68:], uint32(r.fileACL))
	le.PutUint16(raw[0x76:], uint16(r.fileACL>>32))
	le.PutUint32(raw[0x4:], uint32(r.size))
	le.PutUint32(raw[0x6C:], uint32(uint64(r.size)>>32))
	blocks := r.blocks
	le.PutUint32(raw[0x1C:], uint32(blocks))
	if sb.roCompat&roCompatHugeFile != 0 {
		if r.flags&flagHugeFile != 0 {
			blocks /= int64(sb.blockSize / 512)
			le.PutUint32(raw[0x1C:], uint32(blocks))
		}
		le.PutUint16(raw[0x74:], uint16(blocks>>32))
	}
	r.putTime(0x8, 0x8C, r.atime)
	r.putTime(0x10, 0x88, r.mtime)
	r.putTime(0xC, 0x84, r.ctime)
	if sb.csum() {
		r.setCsum(f)
	}
	g := (r.ino - 1) / sb.inodesPerGroup
	off := uint64((r.ino-1)%sb.inodesPerGroup) * uint64(sb.inodeSize)
	b, err := f.dev.mut(f.groups[g].inodeTable + off/uint64(sb.blockSize))
	if err != nil {
		return err
	}
	copy(b[off%uint64(sb.blockSize):], raw)
	return nil
}

// setCsum stores the inode's crc32c (ext4_inode_csum_set).
func (r *rawInode) setCsum(f *FS) {
	raw := r.raw
	le.PutUint16(raw[0x7C:], 0)
	hasHi := len(raw) > 128 && r.extraIsize >= 4
	if hasHi {
		le.PutUint16(raw[0x82:], 0)
	}
	c := f.inodeSeed(r.ino, r.generation)
	c = crc32c(c, raw)
	le.PutUint16(raw[0x7C:], uint16(c))
	if hasHi {
		le.PutUint16(raw[0x82:], uint16(c>>16))
	}
}

// newInode allocates and initialises an inode of mode for a new file in
// directory dir (ext4_new_inode): owner and rdev from o, the three
// times and crtime now, extents for regular files, directories and
// symlinks when the filesystem has them. The inode is written.
func (f *FS) newInode(dir *rawInode, o vfs.CreateOpts) (*node, error) {
	sb := f.sb
	g := (dir.ino - 1) / sb.inodesPerGroup
	isDir := o.Mode.IsDir()
	ino, err := f.allocInode(g, isDir)
	if err != nil {
		return nil, err
	}
	r := &rawInode{ino: ino, raw: make([]byte, sb.inodeSize)}
	r.mode = o.Mode
	r.uid, r.gid = o.UID, o.GID
	r.links = 1
	r.generation = rand.Uint32()
	if sb.inodeSize > 128 {
		want := int(u16(sb.raw, 0x15E)) // s_want_extra_isize
		if want < 32 {
			want = 32
		}
		r.extraIsize = min(want, sb.inodeSize-128)
		le.PutUint16(r.raw[0x80:], uint16(r.extraIsize))
	}
	t := now()
	r.atime, r.mtime, r.ctime = t, t, t
	if 128+r.extraIsize >= 0x98 {
		r.putTime(0x90, 0x94, t)
	}
	switch o.Mode.Type() {
	case vfs.ModeRegular, vfs.ModeDir, vfs.ModeSymlink:
		if sb.incompat&incompatExtents != 0 {
			r.flags |= flagExtents
			initExtentRoot(r.iblock())
		}
	case vfs.ModeCharDevice, vfs.ModeBlockDevice:
		putRdev(r.iblock(), o.Rdev)
	}
	if err := f.putInode(r); err != nil {
		return nil, err
	}
	n := &node{f: f, r: r}
	f.mu.Lock()
	f.inodes[ino] = n
	f.mu.Unlock()
	return n, nil
}

// putRdev encodes a device number in i_block as ext4 does: the old
// 16-bit form when major and minor fit a byte, the new form otherwise.
func putRdev(b []byte, dev uint64) {
	ma, mi := vfs.Major(dev), vfs.Minor(dev)
	if ma < 256 && mi < 256 {
		le.PutUint32(b[0:], ma<<8|mi)
		return
	}
	le.PutUint32(b[4:], mi&0xff|ma<<8|(mi&^0xff)<<12)
}

// releaseInode frees a node's inode once it has no link and nobody
// holds it (ext4_evict_inode): its blocks, its xattr block, then the
// inode itself, with i_dtime set.
func (f *FS) releaseInode(n *node) error {
	r := n.r
	if err := f.truncate(n, 0); err != nil {
		return err
	}
	if r.fileACL != 0 {
		if err := f.dropXattrBlock(r); err != nil {
			return err
		}
	}
	t := now()
	le.PutUint32(r.raw[0x14:], uint32(t.Sec))
	r.ctime = t
	if err := f.putInode(r); err != nil {
		return err
	}
	f.mu.Lock()
	delete(f.inodes, r.ino)
	f.mu.Unlock()
	n.freed = true
	return f.freeInode(r.ino, r.mode.IsDir())
}

// dropXattrBlock takes r's reference to its xattr block: the block is
// freed with its last reference, else its count goes down (with the
// block's checksum). The inode is not written.
func (f *FS) dropXattrBlock(r *rawInode) error {
	blk := r.fileACL
	b, err := f.dev.mut(blk)
	if err != nil {
		return err
	}
	if u32(b, 0) != xattrMagic {
		return vfs.EUCLEAN
	}
	refs := u32(b, 4)
	r.fileACL = 0
	if refs <= 1 {
		return f.freeBlocks(blk, 1)
	}
	le.PutUint32(b[4:], refs-1)
	f.setXattrBlockCsum(blk, b)
	return nil
}

// setXattrBlockCsum stores an xattr block's crc32c (metadata_csum).
func (f *FS) setXattrBlockCsum(blk uint64, b []byte) {
	if !f.sb.csum() {
		return
	}
	var nb [8]byte
	le.PutUint64(nb[:], blk)
	le.PutUint32(b[0x10:], 0)
	c := crc32c(f.seed, nb[:])
	c = crc32c(c, b)
	le.PutUint32(b[0x10:], c)
}
