package ext4

import (
	"io"

	"github.com/mountkit/mountkit/vfs"
)

// Superblock state bits (s_state).
const (
	stateValid  = 0x1
	stateErrors = 0x2
)

// ro_compat features Linux 6.18 knows (EXT4_FEATURE_RO_COMPAT_SUPP),
// and those this package keeps right when it writes.
const (
	roCompatBtreeDir      = 0x4
	roCompatQuota         = 0x100
	roCompatReadonly      = 0x1000
	roCompatProject       = 0x2000
	roCompatVerity        = 0x8000
	roCompatOrphanPresent = 0x10000

	roCompatKnown = roCompatSparseSuper | roCompatLargeFile | roCompatGdtCsum |
		roCompatDirNlink | roCompatExtraIsize | roCompatBtreeDir | roCompatHugeFile |
		roCompatBigalloc | roCompatMetadataCsum | roCompatQuota | roCompatProject |
		roCompatVerity | roCompatOrphanPresent
	roCompatWritable = roCompatSparseSuper | roCompatLargeFile | roCompatGdtCsum |
		roCompatDirNlink | roCompatExtraIsize | roCompatHugeFile | roCompatMetadataCsum
)

// openRW opens a filesystem for a read-write mount (ext4_feature_set_ok
// and the rw checks of ext4_fill_super): EINVAL for ro_compat features
// Linux does not know (as Linux: "couldn't mount RDWR because of
// unsupported optional features") and for those it knows that this
// package does not keep (quota, project, verity, orphan_present), and
// for an image that needs recovery; EOPNOTSUPP for mmp and for images
// without extents. The readonly feature makes the mount read-only, as on
// Linux. The superblock is marked not clean at once.
func openRW(r io.ReaderAt, w io.WriterAt, size int64, o options) (*FS, error) {
	f, err := open(r, size, o)
	if err != nil {
		return nil, err
	}
	if f.sb.roCompat&roCompatReadonly != 0 {
		return f, nil
	}
	if err := f.rwCheck(); err != nil {
		return nil, err
	}
	f.dev.w = w
	if err := f.journalStart(w, o); err != nil {
		return nil, err
	}
	f.rw = true
	f.wmu.Lock()
	defer f.wmu.Unlock()
	f.markDirty()
	mc := u16(f.sb.raw, 0x34)
	le.PutUint16(f.sb.raw[0x34:], mc+1) // s_mnt_count
	if err := f.flush(); err != nil {
		return nil, err
	}
	return f, nil
}

// rwCheck refuses what a read-write mount of f refuses.
func (f *FS) rwCheck() error {
	sb := f.sb
	switch {
	case sb.roCompat&roCompatReadonly != 0:
		return vfs.EROFS
	case sb.roCompat&^roCompatWritable != 0:
		return vfs.EINVAL
	case sb.incompat&incompatRecover != 0:
		return vfs.EINVAL // the journal is not replayed
	case sb.incompat&incompatMMP != 0:
		return vfs.EOPNOTSUPP
	}
	return nil
}

// markDirty clears the clean bit and stamps s_mtime: the state while
// mounted read-write.
func (f *FS) markDirty() {
	f.sb.state &^= stateValid
	le.PutUint32(f.sb.raw[0x2C:], uint32(now().Sec)) // s_mtime
}

// flush writes every dirty block back through f.commit, the superblock
// (with its counts) among them. Data was written when it was given, so
// it reaches the device before the metadata that points at it. The
// caller holds wmu for writing.
func (f *FS) flush() error {
	if !f.rw {
		return nil
	}
	t := now()
	le.PutUint32(f.sb.raw[0x30:], uint32(t.Sec)) // s_wtime
	if err := f.putSuper(); err != nil {
		return err
	}
	blocks := f.dev.dirtyBlocks()
	if err := f.commit(blocks); err != nil {
		f.setErr(err)
		return vfs.EIO
	}
	f.dev.cleaned(blocks)
	if s, ok := f.dev.w.(interface{ Sync() error }); ok {
		if err := s.Sync(); err != nil {
			f.setErr(err)
			return vfs.EIO
		}
	}
	return nil
}

// setErr records the first error of a writeback nobody waits for.
func (f *FS) setErr(err error) {
	if f.werr == nil {
		f.werr = err
	}
}

// Sync writes every dirty block back (syncfs).
func (f *FS) Sync() error {
	f.wmu.Lock()
	defer f.wmu.Unlock()
	return f.flush()
}

// Release is the end of the last mount (kill_sb): inodes left without a
// link are freed, everything is written back and the superblock is
// marked clean. A failure on the way is EIO, and the filesystem stays
// marked not clean.
func (f *FS) Release() error {
	f.wmu.Lock()
	defer f.wmu.Unlock()
	if !f.rw && f.dev.w != nil && f.hasOrphans() {
		// Read-only since a remount, with removed inodes still held
		// then: they go now, as Linux's orphan list would have them.
		f.rw = true
		f.markDirty()
	}
	if !f.rw {
		return nil
	}
	f.mu.Lock()
	var orphans []*node
	for _, n := range f.inodes {
		if n.r != nil && n.r.links == 0 && !n.freed {
			orphans = append(orphans, n)
		}
	}
	f.mu.Unlock()
	for _, n := range orphans {
		if err := f.releaseInode(n); err != nil {
			f.setErr(err)
		}
	}
	if f.werr == nil {
		f.sb.state |= stateValid
	}
	err := f.flush()
	if err == nil {
		err = f.journalClose()
	}
	f.rw = false
	if err != nil || f.werr != nil {
		return vfs.EIO
	}
	return nil
}

// ParseReconfigure checks a remount's data (vfs.ReconfigureParser).
func (f *FS) ParseReconfigure(data string) error {
	_, err := parseOptions(data)
	return err
}

// ReconfigureFlags is a remount (vfs.FlagReconfigurer). Becoming
// read-only writes everything back and marks the filesystem clean;
// becoming read-write needs a writable device and passes the checks of
// a read-write mount (see openRW), then marks the filesystem not clean.
// The options themselves change nothing a remount may change here.
func (f *FS) ReconfigureFlags(data string, sbFlags uint32) error {
	if _, err := parseOptions(data); err != nil {
		return err
	}
	f.wmu.Lock()
	defer f.wmu.Unlock()
	ro := sbFlags&vfs.SB_RDONLY != 0
	switch {
	case ro && f.rw:
		f.sb.state |= stateValid
		if f.werr != nil {
			f.sb.state &^= stateValid
		}
		if err := f.flush(); err != nil {
			return err
		}
		if err := f.journalClose(); err != nil {
			return vfs.EIO
		}
		f.rw = false
	case !ro && !f.rw:
		w, ok := f.dev.r.(io.WriterAt)
		if !ok {
			return vfs.EROFS
		}
		if err := f.rwCheck(); err != nil {
			return err
		}
		f.dev.w = w
		if f.jnl == nil {
			o, _ := parseOptions(f.opts) // norecovery, as mounted
			if err := f.journalStart(w, o); err != nil {
				return err
			}
		}
		f.rw = true
		f.markDirty()
		if err := f.flush(); err != nil {
			return err
		}
	}
	return nil
}

// hasOrphans reports whether an inode without links is still allocated.
func (f *FS) hasOrphans() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.inodes {
		if n.r != nil && n.r.links == 0 && !n.freed {
			return true
		}
	}
	return false
}

// maxDirty is how many dirty metadata blocks a change may leave before
// they are written back at its end, bounding the cache.
const maxDirty = 4 * cacheBlocks

// maybeFlush writes back when too many blocks are dirty; a failure is
// kept for umount (the change itself succeeded). wmu is held.
func (f *FS) maybeFlush() {
	f.dev.mu.Lock()
	n := f.dev.dirty
	f.dev.mu.Unlock()
	if n > maxDirty {
		if err := f.flush(); err != nil {
			f.setErr(err)
		}
	}
}
