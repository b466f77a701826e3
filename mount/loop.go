package mount

import (
	"io"
	"sync"

	"github.com/mountkit/mountkit/internal/ida"
	"github.com/mountkit/mountkit/vfs"
)

// LoopMajor is the block major number of loop devices (loopN is 7:N).
const LoopMajor = 7

// loopTable is the kernel's loop devices: Linux's loop driver with
// /dev/loop-control. A device is bound to a file the kernel holds open
// (the backend inode's own vfs.File, with its dentry held so that an
// unlinked file lives on) and not to any mount, as the Linux runner's
// detached open_tree clone does: unmounting the file's filesystem is not
// blocked by the device.
//
// Locking: bdevMu serialises the mounts of block devices (Linux's sget
// under sb_lock) and is taken before Kernel.mu; mu guards devs and every
// loopDevice's fields and is a leaf, taken under Kernel.mu by
// putSuperblock.
type loopTable struct {
	bdevMu sync.Mutex
	mu     sync.Mutex
	minors ida.Allocator
	devs   map[uint32]*loopDevice
}

// loopDevice is one bound loop device. It implements vfs.BlockDevice.
type loopDevice struct {
	minor  uint32
	dentry *vfs.Dentry
	file   vfs.File
	size   int64

	// Guarded by loopTable.mu.
	fs        vfs.Filesystem // the filesystem mounted from it, if any
	autoclear bool           // detach when fs goes
}

func (d *loopDevice) Dev() uint64 { return vfs.Mkdev(LoopMajor, d.minor) }
func (d *loopDevice) Size() int64 { return d.size }

// ReadAt reads from the backing file; bytes the file no longer has
// (it shrank after the device was bound) read as zeros, as loop's
// short reads are zero-filled.
func (d *loopDevice) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, vfs.EINVAL
	}
	if off >= d.size {
		return 0, io.EOF
	}
	var eof error
	if int64(len(p)) > d.size-off {
		p, eof = p[:d.size-off], io.EOF
	}
	n := 0
	for n < len(p) {
		m, err := d.file.ReadAt(p[n:], off+int64(n))
		n += m
		if err != nil && err != io.EOF {
			return n, err
		}
		if m == 0 {
			clear(p[n:])
			n = len(p)
		}
	}
	return n, eof
}

// WriteAt writes to the backing file, within the device's size (ENOSPC
// beyond, as a write past the end of a block device).
func (d *loopDevice) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, vfs.EINVAL
	}
	if off >= d.size {
		return 0, vfs.ENOSPC
	}
	var short error
	if int64(len(p)) > d.size-off {
		p, short = p[:d.size-off], vfs.ENOSPC
	}
	n, err := d.file.WriteAt(p, off)
	if err != nil {
		return n, err
	}
	return n, short
}

// Losetup binds the regular file at path, resolved as c would (following
// symbolic links), to the lowest free loop device and returns the
// device's number (LOOP_CTL_GET_FREE then LOOP_SET_FD). The file is
// opened for reading and writing: EACCES without permission, EISDIR for a
// directory, EINVAL for anything else that is not a regular file or block
// device, EROFS on a read-only mount. The device keeps its size (the
// file's size rounded down to 512 bytes) while bound. The block-device
// node is the caller's to make (Mknod with the returned number).
func (c *FsContext) Losetup(path string) (uint64, error) {
	f, err := c.Open(path, vfs.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	l := f.loc
	a, err := l.Dentry.Inode().Getattr()
	if err != nil {
		return 0, err
	}
	if !a.Mode.IsRegular() {
		return 0, vfs.EINVAL
	}
	bf, err := l.Dentry.Inode().Open(vfs.O_RDWR)
	if err != nil {
		return 0, err
	}
	t := &c.k.loops
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.devs == nil {
		t.devs = make(map[uint32]*loopDevice)
	}
	d := &loopDevice{minor: t.minors.Get() - 1, dentry: l.Dentry, file: bf, size: a.Size &^ 511}
	l.Dentry.Get()
	t.devs[d.minor] = d
	return d.Dev(), nil
}

// LoopDetach unbinds loop device dev (LOOP_CLR_FD). A device a mounted
// filesystem still uses is marked to detach when that filesystem goes,
// as Linux's autoclear; ENXIO when dev is not a bound loop device.
func (k *Kernel) LoopDetach(dev uint64) error {
	t := &k.loops
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.devs[vfs.Minor(dev)]
	if vfs.Major(dev) != LoopMajor || d == nil {
		return vfs.ENXIO
	}
	if d.fs != nil {
		d.autoclear = true
		return nil
	}
	t.detach(d)
	return nil
}

// detach frees d. t.mu is held.
func (t *loopTable) detach(d *loopDevice) {
	delete(t.devs, d.minor)
	t.minors.Put(d.minor + 1)
	_ = d.file.Close()
	d.dentry.Put()
}

// releaseDev drops the filesystem fs mounted from block device dev, and
// detaches an autoclear device. Called under Kernel.mu.
func (k *Kernel) releaseDev(dev uint64, fs vfs.Filesystem) {
	if vfs.Major(dev) != LoopMajor {
		return
	}
	t := &k.loops
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.devs[vfs.Minor(dev)]
	if d == nil || d.fs != fs {
		return
	}
	d.fs = nil
	if d.autoclear {
		t.detach(d)
	}
}

// blockDevice finds the block device that source names for a mount by c,
// with Linux's errors: see vfs.MountRequest.GetTreeBdev.
func (c *FsContext) blockDevice(source string) (*loopDevice, error) {
	if source == "" {
		return nil, vfs.EINVAL
	}
	l, err := c.lookup(source, true, true)
	if err != nil {
		return nil, err
	}
	defer l.release()
	a, err := l.Dentry.Inode().Getattr()
	if err != nil {
		return nil, err
	}
	if a.Mode.Type() != vfs.ModeBlockDevice {
		return nil, vfs.ENOTBLK
	}
	if l.Mount.flags.Load()&mntNodev != 0 {
		return nil, vfs.EACCES
	}
	if vfs.Major(a.Rdev) != LoopMajor {
		return nil, vfs.ENXIO
	}
	t := &c.k.loops
	t.mu.Lock()
	d := t.devs[vfs.Minor(a.Rdev)]
	t.mu.Unlock()
	if d == nil {
		return nil, vfs.EIO
	}
	return d, nil
}

// getTreeBdev is vfs.MountRequest.GetTreeBdev for a mount by c of type
// fstype. It returns the device the filesystem lives on, and whether the
// filesystem is a new one. t.bdevMu is held.
func (c *FsContext) getTreeBdev(source, fstype string, flags uint64, fill func(vfs.BlockDevice) (vfs.Filesystem, error)) (vfs.Filesystem, *loopDevice, error) {
	d, err := c.blockDevice(source)
	if err != nil {
		return nil, nil, err
	}
	t := &c.k.loops
	t.mu.Lock()
	fs := d.fs
	t.mu.Unlock()
	if fs != nil {
		if fs.Type() != fstype {
			return nil, nil, vfs.EBUSY
		}
		c.k.mu.RLock()
		sb := c.k.sbs[fs]
		c.k.mu.RUnlock()
		if sb != nil && sb.ReadOnly() != (flags&MS_RDONLY != 0) {
			return nil, nil, vfs.EBUSY
		}
		return fs, d, nil
	}
	fs, err = fill(d)
	if err != nil {
		return nil, nil, err
	}
	t.mu.Lock()
	d.fs = fs
	t.mu.Unlock()
	return fs, d, nil
}
