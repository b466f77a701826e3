package ext4

import (
	"slices"
	"strings"

	"github.com/mountkit/mountkit/vfs"
)

// Extended attributes are written by rebuilding the inode's whole set:
// the changed list is laid out again, in the inode body after
// i_extra_isize as far as it goes and in one xattr block for the rest
// (entries sorted there as ext4 sorts them), with ext4's entry and block
// hashes and checksums. A block shared with other inodes (h_refcount
// above 1) is not changed: the inode gets its own copy.

const (
	xattrCreate  = 1 // XATTR_CREATE
	xattrReplace = 2 // XATTR_REPLACE
	xattrSizeMax = 65536
)

// Setxattr sets an extended attribute (flags XATTR_CREATE, XATTR_REPLACE).
// POSIX ACLs (system.posix_acl_*) are EOPNOTSUPP: ext4 would turn them
// into its compact form and fold them into the mode.
func (n *node) Setxattr(name string, value []byte, flags int) error {
	return n.changeXattr(name, value, flags, false)
}

// Removexattr removes an extended attribute: ENODATA when absent.
func (n *node) Removexattr(name string) error {
	return n.changeXattr(name, nil, 0, true)
}

func (n *node) changeXattr(name string, value []byte, flags int, remove bool) error {
	f := n.f
	f.wmu.Lock()
	defer f.wmu.Unlock()
	if err := f.writable(n); err != nil {
		return err
	}
	if flags&^(xattrCreate|xattrReplace) != 0 {
		return vfs.EINVAL
	}
	idx, suffix, ok := splitXattrName(name)
	if !ok || idx == xattrACLAccess || idx == xattrACLDef {
		return vfs.EOPNOTSUPP
	}
	if len(suffix) > 255 || suffix == "" && idx != 6 && idx != 4 && idx != 1 {
		return vfs.ERANGE
	}
	if suffix == "" {
		return vfs.EINVAL
	}
	if len(value) > xattrSizeMax {
		return vfs.E2BIG
	}
	if f.sb.compat&compatExtAttr == 0 {
		return vfs.EOPNOTSUPP
	}
	xs, err := f.xattrs(n.r)
	if err != nil {
		return err
	}
	at := -1
	for i, x := range xs {
		if x.inum != 0 {
			return vfs.EOPNOTSUPP // values in their own inodes are not rewritten
		}
		if x.index == idx && x.name == suffix {
			at = i
		}
	}
	// Copy every value out of the cache blocks before they are rebuilt.
	for i := range xs {
		xs[i].value = slices.Clone(xs[i].value)
	}
	switch {
	case remove && at < 0:
		return vfs.ENODATA
	case remove:
		xs = slices.Delete(xs, at, at+1)
	case at >= 0 && flags&xattrCreate != 0:
		return vfs.EEXIST
	case at < 0 && flags&xattrReplace != 0:
		return vfs.ENODATA
	case at >= 0:
		xs[at].value = slices.Clone(value)
		xs[at].size = len(value)
	default:
		xs = append(xs, xattr{index: idx, name: suffix, value: slices.Clone(value), size: len(value)})
	}
	if err := f.storeXattrs(n, xs); err != nil {
		return err
	}
	n.r.ctime = now()
	return f.putInode(n.r)
}

// xattrHash is ext4_xattr_hash_entry.
func xattrHash(name string, value []byte) uint32 {
	var h uint32
	for i := 0; i < len(name); i++ {
		h = h<<5 ^ h>>27 ^ uint32(name[i])
	}
	for i := 0; i < len(value); i += 4 {
		var w [4]byte
		copy(w[:], value[i:])
		h = h<<16 ^ h>>16 ^ le.Uint32(w[:])
	}
	return h
}

func xattrEntrySize(x xattr) int { return (16 + len(x.name) + 3) &^ 3 }
func xattrValueSize(x xattr) int { return (len(x.value) + 3) &^ 3 }

// layXattrs writes entries xs into region b (entries from start, values
// from the end down, offsets relative to base) and returns how many
// fitted; the 4-byte end marker always has room.
func layXattrs(b []byte, start, base int, xs []xattr) int {
	off, vend := start, len(b)
	k := 0
	for _, x := range xs {
		es, vs := xattrEntrySize(x), xattrValueSize(x)
		if off+es+4 > vend-vs {
			break
		}
		vend -= vs
		e := b[off:]
		e[0] = byte(len(x.name))
		e[1] = x.index
		voff := 0
		if len(x.value) > 0 {
			voff = vend - base
			copy(b[vend:], x.value)
			clear(b[vend+len(x.value) : vend+vs])
		}
		le.PutUint16(e[2:], uint16(voff))
		le.PutUint32(e[4:], 0)
		le.PutUint32(e[8:], uint32(len(x.value)))
		le.PutUint32(e[12:], xattrHash(x.name, x.value))
		copy(e[16:], x.name)
		clear(e[16+len(x.name) : es])
		off += es
		k++
	}
	clear(b[off:vend])
	return k
}

// storeXattrs lays xs out in n's inode body and xattr block.
func (f *FS) storeXattrs(n *node, xs []xattr) error {
	r := n.r
	had := r.fileACL != 0
	defer func() { f.setBlocksXattr(n, had) }()
	rest := xs
	if len(r.raw) > 128 && 128+r.extraIsize+8 <= len(r.raw) {
		start := 128 + r.extraIsize
		body := r.raw[start:]
		le.PutUint32(body[0:], xattrMagic)
		k := layXattrs(body, 4, 4, xs)
		if k == 0 {
			clear(body)
		}
		rest = xs[k:]
	}
	if len(rest) == 0 {
		if r.fileACL != 0 {
			if err := f.dropXattrBlock(r); err != nil {
				return err
			}
		}
		return nil
	}
	rest = slices.Clone(rest)
	slices.SortStableFunc(rest, func(a, b xattr) int {
		if a.index != b.index {
			return int(a.index) - int(b.index)
		}
		if len(a.name) != len(b.name) {
			return len(a.name) - len(b.name)
		}
		return strings.Compare(a.name, b.name)
	})
	bs := f.sb.blockSize
	tmp := make([]byte, bs)
	if layXattrs(tmp, 32, 0, rest) < len(rest) {
		return vfs.ENOSPC
	}
	blk := r.fileACL
	if blk != 0 {
		b, err := f.dev.block(blk)
		if err != nil {
			return err
		}
		if u32(b, 4) > 1 { // shared: leave it to the others
			if err := f.dropXattrBlock(r); err != nil {
				return err
			}
			blk = 0
		}
	}
	if blk == 0 {
		goal := f.sb.groupStart(f.flexGroup((r.ino - 1) / f.sb.inodesPerGroup))
		if len(n.ext) > 0 {
			goal = n.ext[0].pblk
		}
		b, _, err := f.allocData(goal, 1)
		if err != nil {
			return err
		}
		blk = b
	}
	b, err := f.dev.fresh(blk)
	if err != nil {
		return err
	}
	copy(b, tmp)
	le.PutUint32(b[0:], xattrMagic)
	le.PutUint32(b[4:], 1) // h_refcount
	le.PutUint32(b[8:], 1) // h_blocks
	var h uint32
	for off := 32; u32(b, off) != 0; off += (16 + int(b[off]) + 3) &^ 3 {
		h = h<<16 ^ h>>16 ^ u32(b, off+12)
	}
	le.PutUint32(b[0xC:], h)
	f.setXattrBlockCsum(blk, b)
	r.fileACL = blk
	return nil
}

// setBlocksXattr recomputes i_blocks after the xattr block may have
// come or gone (had: the inode had one before).
func (f *FS) setBlocksXattr(n *node, had bool) {
	r := n.r
	if r.flags&flagExtents != 0 {
		if err := f.loadExtents(n); err == nil {
			f.setBlocks(n)
			return
		}
	}
	// Fast symlinks, devices, block maps: adjust by one block.
	per := int64(f.sb.blockSize / 512)
	switch has := r.fileACL != 0; {
	case has && !had:
		r.blocks += per
	case !has && had:
		r.blocks = max(0, r.blocks-per)
	}
}
