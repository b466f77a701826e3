package ext4

import (
	"strings"

	"github.com/mountkit/mountkit/vfs"
)

const (
	xattrMagic     = 0xEA020000
	xattrIndexSys  = 7 // "system." (system.data of inline data)
	xattrACLAccess = 2
	xattrACLDef    = 3
)

// xattrPrefixes are the name prefixes by e_name_index that Linux's ext4
// handlers expose. Index 7 (system.data) has none: it is not listed and
// not readable.
var xattrPrefixes = map[uint8]string{
	1: "user.",
	2: "system.posix_acl_access",
	3: "system.posix_acl_default",
	4: "trusted.",
	6: "security.",
}

// xattr is one extended attribute as stored.
type xattr struct {
	index uint8
	name  string
	value []byte
	inum  uint32 // ea_inode: the value is the data of this inode
	size  int    // the value's size
}

// parseXattrs decodes the entries of an xattr region: entries start at
// b[start:], values are at offsets from base, and nothing may reach past
// len(b) (EUCLEAN otherwise, as ext4's check_xattrs).
func parseXattrs(b []byte, start, base int, out []xattr) ([]xattr, error) {
	off := start
	for {
		if off+4 > len(b) {
			return nil, vfs.EUCLEAN
		}
		if u32(b, off) == 0 { // the list's end
			return out, nil
		}
		if off+16 > len(b) {
			return nil, vfs.EUCLEAN
		}
		nl := int(b[off])
		idx := b[off+1]
		voff := int(u16(b, off+2))
		vinum := u32(b, off+4)
		vsize := int(u32(b, off+8))
		if off+16+nl > len(b) {
			return nil, vfs.EUCLEAN
		}
		name := string(b[off+16 : off+16+nl])
		var v []byte
		if vinum != 0 {
			if vsize > 64<<10 { // XATTR_SIZE_MAX
				return nil, vfs.EUCLEAN
			}
		} else if vsize > 0 {
			if vsize > len(b) || base+voff < 0 || base+voff+vsize > len(b) {
				return nil, vfs.EUCLEAN
			}
			v = b[base+voff : base+voff+vsize]
		}
		out = append(out, xattr{index: idx, name: name, value: v, inum: vinum, size: vsize})
		off += (16 + nl + 3) &^ 3
	}
}

// xattrs returns the inode's extended attributes: those in the inode
// after i_extra_isize, then those of its xattr block.
func (f *FS) xattrs(r *rawInode) ([]xattr, error) {
	var out []xattr
	var err error
	if len(r.raw) > 128 {
		start := 128 + r.extraIsize
		if start+4 <= len(r.raw) && u32(r.raw, start) == xattrMagic {
			if out, err = parseXattrs(r.raw, start+4, start+4, out); err != nil {
				return nil, err
			}
		}
	}
	if r.fileACL != 0 {
		b, err := f.dev.verifiedBlock(r.fileACL, func(b []byte) error {
			if u32(b, 0) != xattrMagic || u32(b, 8) != 1 {
				return vfs.EUCLEAN
			}
			if f.sb.csum() {
				var nb [8]byte
				le.PutUint64(nb[:], r.fileACL)
				c := crc32c(f.seed, nb[:])
				c = crc32c(c, b[:0x10])
				c = crc32c(c, []byte{0, 0, 0, 0})
				c = crc32c(c, b[0x14:])
				if c != u32(b, 0x10) {
					return vfs.EBADMSG
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if out, err = parseXattrs(b, 32, 0, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// splitXattrName maps a user-visible name to its stored index and
// suffix; ok is false for a namespace ext4 does not handle.
func splitXattrName(name string) (idx uint8, suffix string, ok bool) {
	for i, p := range xattrPrefixes {
		if i == xattrACLAccess || i == xattrACLDef {
			if name == p {
				return i, "", true
			}
			continue
		}
		if s, found := strings.CutPrefix(name, p); found && s != "" {
			return i, s, true
		}
	}
	return 0, "", false
}

// Getxattr returns an extended attribute's value: ENODATA when absent,
// EOPNOTSUPP for a namespace ext4 has no handler for. POSIX ACLs are
// converted from ext4's compact form to the xattr form.
func (n *node) Getxattr(name string) ([]byte, error) {
	if n.err != nil {
		return nil, n.err
	}
	n.f.wmu.RLock()
	defer n.f.wmu.RUnlock()
	idx, suffix, ok := splitXattrName(name)
	if !ok {
		return nil, vfs.EOPNOTSUPP
	}
	xs, err := n.f.xattrs(n.r)
	if err != nil {
		return nil, err
	}
	for _, x := range xs {
		if x.index == idx && x.name == suffix {
			v := x.value
			if x.inum != 0 {
				if v, err = n.f.eaInodeValue(x); err != nil {
					return nil, err
				}
			}
			if idx == xattrACLAccess || idx == xattrACLDef {
				return aclToXattr(v)
			}
			return append([]byte{}, v...), nil
		}
	}
	return nil, vfs.ENODATA
}

// Listxattr returns the names of the attributes Linux lists.
func (n *node) Listxattr() ([]string, error) {
	if n.err != nil {
		return nil, n.err
	}
	n.f.wmu.RLock()
	defer n.f.wmu.RUnlock()
	xs, err := n.f.xattrs(n.r)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, x := range xs {
		if p, ok := xattrPrefixes[x.index]; ok {
			names = append(names, p+x.name)
		}
	}
	return names, nil
}

// aclToXattr converts an ext4 ACL (version 1, short entries for the
// owner, group-owner, mask and other tags) into the posix_acl_xattr
// form (version 2, every entry with an id, -1 for the short ones).
func aclToXattr(v []byte) ([]byte, error) {
	if len(v) < 4 || u32(v, 0) != 1 {
		return nil, vfs.EINVAL
	}
	out := []byte{2, 0, 0, 0}
	for off := 4; off < len(v); {
		if off+4 > len(v) {
			return nil, vfs.EINVAL
		}
		tag, perm := u16(v, off), u16(v, off+2)
		id := uint32(0xFFFFFFFF)
		switch tag {
		case 0x01, 0x04, 0x10, 0x20: // USER_OBJ GROUP_OBJ MASK OTHER
			off += 4
		case 0x02, 0x08: // USER GROUP
			if off+8 > len(v) {
				return nil, vfs.EINVAL
			}
			id = u32(v, off+4)
			off += 8
		default:
			return nil, vfs.EINVAL
		}
		var e [8]byte
		le.PutUint16(e[0:], tag)
		le.PutUint16(e[2:], perm)
		le.PutUint32(e[4:], id)
		out = append(out, e[:]...)
	}
	return out, nil
}

// inlineData returns an inline-data inode's bytes: i_block then the
// value of its system.data attribute (ext4_read_inline_data).
func (f *FS) inlineData(r *rawInode) ([]byte, error) {
	d := append([]byte{}, r.iblock()...)
	if int64(len(d)) >= r.size {
		return d[:r.size], nil
	}
	xs, err := f.xattrs(r)
	if err != nil {
		return nil, err
	}
	for _, x := range xs {
		if x.index == xattrIndexSys && x.name == "data" {
			d = append(d, x.value...)
			break
		}
	}
	if int64(len(d)) < r.size {
		return nil, vfs.EUCLEAN
	}
	return d[:r.size], nil
}

// eaInodeValue reads a value kept in its own inode (ea_inode), which
// must be flagged as one and hold exactly the value's size.
func (f *FS) eaInodeValue(x xattr) ([]byte, error) {
	if f.sb.incompat&incompatEAInode == 0 {
		return nil, vfs.EUCLEAN
	}
	r, err := f.readInode(x.inum)
	if err != nil {
		return nil, vfs.EUCLEAN
	}
	if r.flags&flagEAInode == 0 || !r.mode.IsRegular() || r.size != int64(x.size) {
		return nil, vfs.EUCLEAN
	}
	v := make([]byte, x.size)
	if _, err := f.readData(r, v, 0); err != nil {
		return nil, err
	}
	return v, nil
}
