package ext4

import (
	"github.com/mountkit/mountkit/vfs"
)

// node is an inode of the filesystem as the vfs layer sees it. Its
// fields change only under the filesystem's write lock (FS.wmu); readers
// hold the read lock.
type node struct {
	f   *FS
	r   *rawInode
	err error // set only for a root that could not be read again

	// A writer's state: the holders the vfs layer has pinned (open
	// files, cwds), whether the inode is freed, and the extent list
	// (see extwrite.go).
	pins      int
	freed     bool
	ext       []extent
	tree      []uint64
	extLoaded bool
	idx       dirIdx // a directory's name index (dirindex.go)
}

// Getattr returns the inode's stat fields.
func (n *node) Getattr() (vfs.Attr, error) {
	if n.err != nil {
		return vfs.Attr{}, n.err
	}
	n.f.wmu.RLock()
	defer n.f.wmu.RUnlock()
	r := n.r
	a := vfs.Attr{
		Ino: uint64(r.ino), Mode: r.mode, Nlink: uint32(r.links),
		UID: r.uid, GID: r.gid, Size: r.size, Blocks: r.blocks,
		Blksize: int32(n.f.sb.blockSize),
		Atime:   r.atime, Mtime: r.mtime, Ctime: r.ctime,
	}
	if r.mode.IsDir() && r.links == 1 && n.f.sb.roCompat&roCompatDirNlink != 0 {
		a.Nlink = 1 // a directory past 65000 links
	}
	if r.mode.IsRegular() && r.flags&flagInlineData != 0 {
		// ext4_file_getattr reports at least the data's sectors.
		a.Blocks += (r.size + 511) >> 9
	}
	switch r.mode.Type() {
	case vfs.ModeCharDevice, vfs.ModeBlockDevice:
		a.Rdev = r.rdev()
	}
	return a, nil
}

// Lookup finds name in the directory.
func (n *node) Lookup(name string) (vfs.Inode, error) {
	if n.err != nil {
		return nil, n.err
	}
	n.f.wmu.RLock()
	defer n.f.wmu.RUnlock()
	if !n.r.mode.IsDir() {
		return nil, vfs.ENOTDIR
	}
	if len(name) > vfs.NameMax {
		return nil, vfs.ENAMETOOLONG
	}
	ino, err := n.f.lookupNode(n, name)
	if err != nil {
		return nil, err
	}
	c, err := n.f.inode(ino)
	if err == vfs.ESTALE {
		return nil, vfs.EUCLEAN // "deleted inode referenced"
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Readlink returns a symbolic link's target: from i_block for a fast
// symlink, from inline data, or from the link's first block.
func (n *node) Readlink() (string, error) {
	if n.err != nil {
		return "", n.err
	}
	n.f.wmu.RLock()
	defer n.f.wmu.RUnlock()
	r := n.r
	if !r.mode.IsSymlink() {
		return "", vfs.EINVAL
	}
	if r.size == 0 || r.size >= 4096 || r.size >= int64(n.f.sb.blockSize) && r.flags&flagInlineData == 0 {
		return "", vfs.EUCLEAN
	}
	if n.f.fastSymlink(r) {
		if r.size >= iBlockBytes {
			return "", vfs.EUCLEAN
		}
		t := r.iblock()[:r.size]
		for _, c := range t {
			if c == 0 {
				return "", vfs.EUCLEAN
			}
		}
		return string(t), nil
	}
	b := make([]byte, r.size)
	m, err := n.f.readData(r, b, 0)
	if err != nil {
		return "", err
	}
	return string(b[:m]), nil
}

// fastSymlink reports whether the link's target lives in i_block
// (ext4_inode_is_fast_symlink).
func (f *FS) fastSymlink(r *rawInode) bool {
	if r.flags&flagEAInode != 0 {
		return r.size > 0 && r.size < iBlockBytes
	}
	if r.flags&flagInlineData != 0 {
		return false
	}
	ea := int64(0)
	if r.fileACL != 0 {
		ea = int64(f.sb.blockSize >> 9)
	}
	return r.blocks-ea == 0
}

// Open opens the inode: EROFS for writing on a read-only filesystem,
// EOPNOTSUPP for encrypted and verity files.
func (n *node) Open(flags int) (vfs.File, error) {
	if n.err != nil {
		return nil, n.err
	}
	n.f.wmu.RLock()
	defer n.f.wmu.RUnlock()
	if (flags&vfs.O_ACCMODE != vfs.O_RDONLY || flags&vfs.O_TRUNC != 0) && !n.f.rw {
		return nil, vfs.EROFS
	}
	if n.r.flags&(flagEncrypt|flagVerity) != 0 {
		return nil, vfs.EOPNOTSUPP
	}
	return &file{n: n, flags: flags}, nil
}

// file is an open inode.
type file struct {
	n     *node
	flags int
}

// ReadAt reads the file's data; EISDIR for a directory.
func (h *file) ReadAt(p []byte, off int64) (int, error) {
	h.n.f.wmu.RLock()
	defer h.n.f.wmu.RUnlock()
	r := h.n.r
	if r.mode.IsDir() {
		return 0, vfs.EISDIR
	}
	if off < 0 {
		return 0, vfs.EINVAL
	}
	return h.n.f.readData(r, p, off)
}

// WriteAt writes as pwrite(2) (at the end with O_APPEND): EBADF unless
// open for writing, EOPNOTSUPP for inline-data and block-mapped files.
func (h *file) WriteAt(p []byte, off int64) (int, error) {
	f := h.n.f
	if h.flags&vfs.O_ACCMODE == vfs.O_RDONLY {
		return 0, vfs.EBADF
	}
	f.wmu.Lock()
	defer f.wmu.Unlock()
	r := h.n.r
	switch r.mode.Type() {
	case vfs.ModeDir:
		return 0, vfs.EISDIR
	case vfs.ModeRegular:
	default:
		return 0, vfs.EINVAL
	}
	if off < 0 || off+int64(len(p)) < 0 {
		return 0, vfs.EINVAL
	}
	if h.flags&vfs.O_APPEND != 0 {
		off = r.size
	}
	if err := f.writable(h.n); err != nil {
		return 0, err
	}
	defer f.maybeFlush()
	return f.writeData(h.n, p, off)
}

// Sync writes every dirty block back (fsync, as a full sync).
func (h *file) Sync() error {
	if !h.n.f.rw {
		return nil
	}
	h.n.f.wmu.Lock()
	defer h.n.f.wmu.Unlock()
	return h.n.f.flush()
}

func (h *file) Close() error { return nil }

// ReadDir lists the directory from cookie on; see readDir. The entries
// are gathered under the read lock and emitted after it, so that emit
// may call back into the filesystem.
func (h *file) ReadDir(cookie uint64, emit func(vfs.DirEntry) bool) error {
	h.n.f.wmu.RLock()
	if !h.n.r.mode.IsDir() {
		h.n.f.wmu.RUnlock()
		return vfs.ENOTDIR
	}
	var ents []vfs.DirEntry
	err := h.n.f.readDir(h.n.r, cookie, func(e vfs.DirEntry) bool {
		ents = append(ents, e)
		return true
	})
	h.n.f.wmu.RUnlock()
	for _, e := range ents {
		if !emit(e) {
			return nil
		}
	}
	return err
}

// readData reads an inode's data at off into p, as pread: short at end
// of file. Holes and unwritten extents read as zeros; data runs are read
// from the device in one call each.
func (f *FS) readData(r *rawInode, p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, nil
	}
	if int64(len(p)) > r.size-off {
		p = p[:r.size-off]
	}
	if r.flags&flagInlineData != 0 {
		d, err := f.inlineData(r)
		if err != nil {
			return 0, err
		}
		n := 0
		if off < int64(len(d)) {
			n = copy(p, d[off:])
		}
		clear(p[n:])
		return len(p), nil
	}
	bs := int64(f.sb.blockSize)
	done := 0
	for done < len(p) {
		pos := off + int64(done)
		lblk := uint64(pos / bs)
		skip := int(pos % bs)
		s, err := f.mapBlock(r, lblk)
		if err != nil {
			return done, err
		}
		n := int64(s.count)*bs - int64(skip)
		if n > int64(len(p)-done) || n <= 0 {
			n = int64(len(p) - done)
		}
		q := p[done : done+int(n)]
		if s.zero {
			clear(q)
		} else if err := f.dev.readBlocks(q, s.pblk, skip); err != nil {
			return done, err
		}
		done += int(n)
	}
	return done, nil
}
