package ext4

import "github.com/mountkit/mountkit/vfs"

// An inline directory keeps its parent's inode number in the first 4
// bytes of i_block, then entries in the other 56 bytes and in the value
// of system.data. Cookies are 2 plus offsets into that concatenation.

// inlineDirRegions returns the two entry regions of an inline directory.
func (f *FS) inlineDirRegions(r *rawInode) (first, rest []byte, err error) {
	ib := r.iblock()
	first = ib[4:]
	xs, err := f.xattrs(r)
	if err != nil {
		return nil, nil, err
	}
	for _, x := range xs {
		if x.index == xattrIndexSys && x.name == "data" {
			rest = x.value
		}
	}
	return first, rest, nil
}

func (f *FS) readInlineDir(r *rawInode, pos uint64, emit func(vfs.DirEntry) bool) error {
	first, rest, err := f.inlineDirRegions(r)
	if err != nil {
		return err
	}
	base := uint64(0)
	for _, reg := range [][]byte{first, rest} {
		for off := 0; off < len(reg); {
			e, err := f.parseDirent(reg, off)
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
		base += uint64(len(reg))
	}
	return nil
}

func (f *FS) lookupInline(r *rawInode, name string) (uint32, error) {
	first, rest, err := f.inlineDirRegions(r)
	if err != nil {
		return 0, err
	}
	for _, reg := range [][]byte{first, rest} {
		if len(reg) == 0 {
			continue
		}
		ino, err := f.searchBlock(reg, name)
		if err != nil || ino != 0 {
			return ino, err
		}
	}
	return 0, vfs.ENOENT
}
