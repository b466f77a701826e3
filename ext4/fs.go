package ext4

import (
	"io"
	"strings"
	"sync"

	"github.com/mountkit/mountkit/vfs"
)

const (
	rootIno = 2
	magic   = 0xEF53 // statfs f_type
)

// FS is a mounted ext2, ext3 or ext4 filesystem. It implements
// vfs.Filesystem, and vfs.Releaser for a read-write one.
//
// Locking: wmu is taken for reading by every operation that only reads
// and for writing by every change (and by writeback), before mu; mu
// guards inodes and is a leaf. The device's own lock is a leaf under
// both.
type FS struct {
	wmu    sync.RWMutex
	rw     bool       // a read-write mount
	commit commitFunc // where dirty metadata goes (default: in place)
	werr   error      // the first writeback or release error, for umount
	dev    *device
	sb     *super
	seed   uint32 // metadata_csum seed
	groups []group

	hashVersionAdd uint8 // 3 when the superblock asks for unsigned hashes
	opts           string

	blocks, bfree, bavail uint64
	ffree                 uint64

	mu     sync.Mutex
	inodes map[uint32]*node // live inodes, so that hard links share one

	jnl *journaled // journaled writes (journal.go), nil when not writing
}

// Mount is the "ext4" filesystem type for mount.Kernel.RegisterFilesystem
// (registered as requiring a block device). It parses the mount data
// and reads the filesystem from the device req.GetTreeBdev hands it,
// read-only with MS_RDONLY and read-write otherwise (see openRW for what
// a read-write mount refuses).
func Mount(req *vfs.MountRequest) (vfs.Filesystem, error) {
	o, err := parseOptions(req.Data)
	if err != nil {
		return nil, err
	}
	if req.GetTreeBdev == nil {
		return nil, vfs.ENOTBLK
	}
	return req.GetTreeBdev(func(dev vfs.BlockDevice) (vfs.Filesystem, error) {
		if req.Flags&vfs.SB_RDONLY == 0 {
			o.rw = true
			f, err := openRW(dev, dev, dev.Size(), o)
			if err == nil && !f.rw {
				req.Flags |= vfs.SB_RDONLY // the readonly feature
			}
			return f, err
		}
		return open(dev, dev.Size(), o)
	})
}

type options struct {
	rw         bool
	norecovery bool
	replayed   bool // open replayed the journal already
	show       []string
}

// parseOptions accepts the ext4 options this package knows (those of a
// read-only mount, which a read-write one takes too); anything else is
// EINVAL, as ext4's parser says.
func parseOptions(data string) (options, error) {
	var o options
	if data == "" {
		return o, nil
	}
	for _, opt := range strings.Split(data, ",") {
		switch opt {
		case "":
		case "noload", "norecovery":
			o.norecovery = true
			o.show = append(o.show, "norecovery")
		case "ro", "rw", "user_xattr", "acl", "barrier", "nobarrier", "relatime", "noatime":
		case "errors=continue", "errors=remount-ro", "errors=panic":
			o.show = append(o.show, opt)
		default:
			return o, vfs.EINVAL
		}
	}
	return o, nil
}

// Open reads the ext4 filesystem of the image r of size bytes, as a
// read-only mount would, without a mount layer: the Filesystem can be
// mounted with a Kernel or walked through its Root. data is the mount
// data ("norecovery", ...).
func Open(r io.ReaderAt, size int64, data string) (*FS, error) {
	o, err := parseOptions(data)
	if err != nil {
		return nil, err
	}
	return open(r, size, o)
}

// OpenRW opens the image rw of size bytes read-write, as a read-write
// mount would (see the package doc for what is refused). Release writes
// everything back and marks the filesystem clean; until then the image
// is marked not clean.
func OpenRW(rw interface {
	io.ReaderAt
	io.WriterAt
}, size int64, data string) (*FS, error) {
	o, err := parseOptions(data)
	if err != nil {
		return nil, err
	}
	o.rw = true
	return openRW(rw, rw, size, o)
}

func open(r io.ReaderAt, size int64, o options) (*FS, error) {
	if size < superOffset+superSize {
		return nil, vfs.EINVAL
	}
	raw := make([]byte, superSize)
	if n, err := r.ReadAt(raw, superOffset); n != superSize {
		if err != nil {
			if e, ok := err.(vfs.Errno); ok {
				return nil, e
			}
		}
		return nil, vfs.EIO
	}
	sb, err := parseSuper(raw, size)
	if err != nil {
		return nil, err
	}
	f := &FS{sb: sb, inodes: make(map[uint32]*node), opts: strings.Join(o.show, ",")}
	f.dev = newDevice(r, sb.blockSize, sb.blocksCount)
	f.commit = f.dev.writeInPlace
	if sb.csum() {
		f.seed = sb.seed()
	}
	if sb.flags&flagUnsignedHash != 0 {
		f.hashVersionAdd = 3
	}
	bfree, ifree, err := f.readGroups()
	if err != nil {
		return nil, err
	}
	if sb.incompat&incompatRecover != 0 && sb.compat&compatHasJournal != 0 && !o.norecovery {
		// Replay the journal (journal.go) and read the result, as
		// Linux does even for a read-only mount, when the device can
		// be written ("write access unavailable": EROFS otherwise).
		w, ok := r.(rwDevice)
		if !ok || o.replayed {
			return nil, vfs.EROFS
		}
		if err := f.replayJournal(w); err != nil {
			return nil, err
		}
		o.replayed = true
		return open(r, size, o)
	}
	root, err := f.readInode(rootIno)
	if err != nil {
		return nil, err
	}
	if !root.mode.IsDir() || root.size == 0 || root.blocks == 0 {
		return nil, vfs.EUCLEAN // "root inode unallocated"/"corrupt root inode"
	}
	var jblocks uint64
	if sb.compat&compatHasJournal != 0 && sb.journalInum != 0 {
		j, err := f.readInode(sb.journalInum)
		if err != nil {
			return nil, err
		}
		jblocks = uint64(j.size) / uint64(sb.blockSize)
	}
	f.blocks = sb.blocksCount - min(f.overhead(jblocks), sb.blocksCount)
	f.bfree = bfree
	resv := uint64(0)
	if sb.incompat&incompatExtents != 0 {
		resv = min(sb.blocksCount/50, 4096)
	}
	if r := sb.rBlocksCount + resv; bfree > r {
		f.bavail = bfree - r
	}
	f.ffree = ifree
	return f, nil
}

// Type returns "ext4".
func (f *FS) Type() string { return "ext4" }

// Options returns ext4's own super options.
func (f *FS) Options() string { return f.opts }

// Statfs reports the figures ext4_statfs does.
func (f *FS) Statfs() (vfs.Statfs, error) {
	f.wmu.RLock()
	defer f.wmu.RUnlock()
	bs := int64(f.sb.blockSize)
	return vfs.Statfs{
		Type: magic, Bsize: bs, Frsize: bs,
		Blocks: f.blocks, Bfree: f.bfree, Bavail: f.bavail,
		Files: uint64(f.sb.inodesCount), Ffree: f.ffree,
		Namelen: 255,
	}, nil
}

// Root returns the root directory.
func (f *FS) Root() vfs.Inode {
	n, err := f.inode(rootIno)
	if err != nil { // open read it once already; a device error now
		return &node{f: f, err: err}
	}
	return n
}

// inode returns the live node of inode ino, reading it the first time.
func (f *FS) inode(ino uint32) (*node, error) {
	f.mu.Lock()
	n := f.inodes[ino]
	f.mu.Unlock()
	if n != nil {
		return n, nil
	}
	r, err := f.readInode(ino)
	if err != nil {
		return nil, err
	}
	n = &node{f: f, r: r}
	f.mu.Lock()
	if m := f.inodes[ino]; m != nil {
		n = m
	} else {
		f.inodes[ino] = n
	}
	f.mu.Unlock()
	return n, nil
}
