package memfs

import (
	"sync"
	"sync/atomic"

	"github.com/mountkit/mountkit/vfs"
)

// TmpfsMagic is tmpfs's f_type in statfs(2).
const TmpfsMagic = 0x01021994

// maxFileSize is MAX_LFS_FILESIZE on 64-bit Linux.
const maxFileSize = 1<<63 - 1

// FS is one tmpfs instance. It implements vfs.Filesystem and
// vfs.Reconfigurer. It needs no vfs.Releaser: dropping the last reference
// frees it.
//
// Locking: mu guards every inode of the filesystem and the fields below
// it. Operations that only read take it shared; any change takes it
// exclusively, through lock and unlock. Callbacks into the caller
// (ReadDir's emit) run without it.
//
// seq is a sequence count over mu's exclusive sections (a seqlock): odd
// while a change may be under way, even otherwise. Getattr reads a node's
// attributes, which are atomics, without mu, and keeps them when seq was
// the same even value before and after, so that readers of attributes
// (every stat, every permission check of a path walk) write no shared
// memory and scale across cores.
type FS struct {
	mu  sync.RWMutex
	seq atomic.Uint64

	opts    Options
	machine *Machine
	root    *node

	// nextIno is the next inode number to hand out (Linux's next_ino).
	nextIno uint64
	// usedBlocks counts the pages held by file data and long symlinks.
	usedBlocks uint64
	// freeIspace is the inode budget left, in bytes: each inode and each
	// extra hard link costs bogoInodeSize, each extended attribute its
	// xattrSpace. Meaningful only when opts.Inodes != 0.
	freeIspace uint64
}

var (
	_ vfs.Filesystem   = (*FS)(nil)
	_ vfs.Reconfigurer = (*FS)(nil)
)

// New returns an empty tmpfs with options opts: a root directory of mode
// S_IFDIR|opts.Mode owned by opts.UID and opts.GID, with inode number 1.
func New(opts Options) *FS {
	m := opts.machine
	if m == nil {
		m = &Host
		opts.machine = m
	}
	fsys := &FS{opts: opts, machine: m}
	fsys.freeIspace = opts.Inodes * bogoInodeSize
	// Any inode limit (nr_inodes=0 is unlimited) leaves room for the root.
	root, _ := fsys.newNode(vfs.ModeDir|opts.Mode&0o7777, opts.UID, opts.GID)
	root.d.parent = root
	fsys.root = root
	return fsys
}

// lock takes mu exclusively and opens a change window of seq.
func (fsys *FS) lock() {
	fsys.mu.Lock()
	fsys.seq.Add(1)
}

// unlock closes the change window and releases mu.
func (fsys *FS) unlock() {
	fsys.seq.Add(1)
	fsys.mu.Unlock()
}

// NewFromData makes a tmpfs for mount(2) from its source, MS_* flags and
// data, for a filesystem-type registry. It ignores source and flags
// (the generic flags in data, such as "ro", are the mount layer's: see
// Options.SBFlags) and fails with EINVAL for bad data, including a
// source= option, which Linux refuses when mount(2) was given a source.
// The root belongs to uid 0 and gid 0 unless data says otherwise.
func NewFromData(source string, flags uint64, data string) (vfs.Filesystem, error) {
	opts, err := ParseOptions(data)
	if err != nil {
		return nil, err
	}
	if opts.HasSource {
		return nil, vfs.EINVAL
	}
	return New(opts), nil
}

// Mount is a vfs.NewFilesystemFunc for tmpfs. As Linux does, the root
// directory belongs to the mounting process's fsuid and fsgid unless the
// data names uid= or gid=, and a source= option is accepted only when
// the request has no source.
func Mount(req *vfs.MountRequest) (vfs.Filesystem, error) {
	opts := Host.DefaultOptions()
	if req.Cred != nil {
		opts.UID, opts.GID = req.Cred.UID, req.Cred.GID
	}
	if err := opts.parse(req.Data); err != nil {
		return nil, err
	}
	if opts.HasSource && req.Source != "" {
		return nil, vfs.EINVAL
	}
	return New(opts), nil
}

// Root returns the root directory.
func (fsys *FS) Root() vfs.Inode { return fsys.root }

// Type returns "tmpfs".
func (fsys *FS) Type() string { return "tmpfs" }

// Options returns the super options as Linux's shmem_show_options prints
// them, without the leading comma: "size=1024k,mode=700".
func (fsys *FS) Options() string {
	fsys.mu.RLock()
	defer fsys.mu.RUnlock()
	return fsys.opts.String()
}

// Config returns the filesystem's current options.
func (fsys *FS) Config() Options {
	fsys.mu.RLock()
	defer fsys.mu.RUnlock()
	return fsys.opts
}

// Statfs reports usage as Linux's shmem_statfs: block and inode counts
// are 0 when the corresponding limit is unlimited.
func (fsys *FS) Statfs() (vfs.Statfs, error) {
	fsys.mu.RLock()
	defer fsys.mu.RUnlock()
	st := vfs.Statfs{
		Type:    TmpfsMagic,
		Bsize:   pageSize,
		Namelen: vfs.NameMax,
		Frsize:  pageSize,
	}
	if fsys.opts.Blocks != 0 {
		st.Blocks = fsys.opts.Blocks
		if fsys.usedBlocks < fsys.opts.Blocks {
			st.Bfree = fsys.opts.Blocks - fsys.usedBlocks
		}
		st.Bavail = st.Bfree
	}
	if fsys.opts.Inodes != 0 {
		st.Files = fsys.opts.Inodes
		st.Ffree = fsys.freeIspace / bogoInodeSize
	}
	return st, nil
}

// ParseReconfigure checks a remount's data without applying it
// (vfs.ReconfigureParser).
func (fsys *FS) ParseReconfigure(data string) error {
	ctx := Options{machine: fsys.machine}
	return ctx.parse(data)
}

// Reconfigure applies a remount's data as Linux's shmem_reconfigure: size,
// nr_blocks, nr_inodes, huge, inode32/inode64, mpol and noswap change;
// mode, uid and gid are parsed and ignored. It fails with EINVAL, changing
// nothing, for bad data, for a limit on an unlimited instance or below
// current use, for inode32 once inode numbers passed 2^32, and for
// noswap on an instance that swaps.
func (fsys *FS) Reconfigure(data string) error {
	fsys.lock()
	defer fsys.unlock()
	ctx := Options{machine: fsys.machine}
	if err := ctx.parse(data); err != nil {
		return err
	}
	o := &fsys.opts
	usedIspace := o.Inodes*bogoInodeSize - fsys.freeIspace
	if ctx.seen&seenBlocks != 0 && ctx.Blocks != 0 {
		if o.Blocks == 0 || fsys.usedBlocks > ctx.Blocks {
			return vfs.EINVAL
		}
	}
	if ctx.seen&seenInodes != 0 && ctx.Inodes != 0 {
		if o.Inodes == 0 || ctx.Inodes*bogoInodeSize < usedIspace {
			return vfs.EINVAL
		}
	}
	if ctx.seen&seenInums != 0 && !ctx.Inode64 && fsys.nextIno > 1<<32-1 {
		return vfs.EINVAL
	}
	if ctx.NoSwap && !o.NoSwap {
		return vfs.EINVAL
	}
	if ctx.seen&seenHuge != 0 {
		o.Huge = ctx.Huge
	}
	if ctx.seen&seenInums != 0 {
		o.Inode64 = ctx.Inode64
	}
	if ctx.seen&seenBlocks != 0 {
		o.Blocks = ctx.Blocks
	}
	if ctx.seen&seenInodes != 0 {
		o.Inodes = ctx.Inodes
		fsys.freeIspace = ctx.Inodes*bogoInodeSize - usedIspace
	}
	if ctx.Mpol != "" {
		o.Mpol = ctx.Mpol
	}
	return nil
}

// reserveIspace takes n bytes of the inode budget; mu is held.
func (fsys *FS) reserveIspace(n uint64) error {
	if fsys.opts.Inodes == 0 {
		return nil
	}
	if fsys.freeIspace < n {
		return vfs.ENOSPC
	}
	fsys.freeIspace -= n
	return nil
}

// unreserveIspace returns n bytes to the inode budget; mu is held.
func (fsys *FS) unreserveIspace(n uint64) {
	if fsys.opts.Inodes != 0 {
		fsys.freeIspace += n
	}
}

// allocBlock charges one page against the size limit; mu is held.
func (fsys *FS) allocBlock() bool {
	if fsys.opts.Blocks != 0 && fsys.usedBlocks >= fsys.opts.Blocks {
		return false
	}
	fsys.usedBlocks++
	return true
}

// freeBlocks returns n pages; mu is held.
func (fsys *FS) freeBlocks(n uint64) { fsys.usedBlocks -= n }

// newIno hands out the next inode number as Linux's shmem_reserve_inode:
// never 0, and wrapping to 1 past 2^32-1 without inode64; mu is held.
func (fsys *FS) newIno() uint64 {
	ino := fsys.nextIno
	fsys.nextIno++
	if uint32(ino) == 0 { // Linux's is_zero_ino
		ino = fsys.nextIno
		fsys.nextIno++
	}
	if !fsys.opts.Inode64 && ino > 1<<32-1 {
		fsys.nextIno = 1
		ino = fsys.nextIno
		fsys.nextIno++
	}
	return ino
}
