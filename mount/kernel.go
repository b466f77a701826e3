package mount

import (
	"sync"
	"sync/atomic"

	"github.com/mountkit/mountkit/internal/ida"
	"github.com/mountkit/mountkit/propagation"
	"github.com/mountkit/mountkit/vfs"
)

// DefaultMountMax is the default fs.mount-max: how many mounts one
// namespace may hold.
const DefaultMountMax = 100000

// Kernel holds what Linux keeps globally for the mount layer: the
// registered filesystem types, the mount-ID and anonymous-device
// allocators, the table of superblocks and the mount hash. Every
// Namespace belongs to one Kernel; namespaces of different kernels never
// meet.
//
// Locking order: Kernel.mu (the mount lock: writers change the tree,
// readers read it and resolve paths for operations that change
// directories), then vfs.Superblock.renameMu, then vfs.Dentry locks, then
// Kernel.ctxMu, then an FsContext's own mutex.
//
// Lock-free path walks (Linux's RCU walk): operations that only look a
// path up (stat, lstat, readlink, open without O_CREAT, chdir, getcwd,
// Resolve) take no lock that a mount operation holds. They read only
// immutable fields, atomics and the lock-free mount hash and dentry
// tables, and bracket the walk with two loads of seq: a writer makes seq
// odd (lockMounts) before it changes anything and even again
// (unlockMounts) after, so an unchanged even seq proves that no change
// overlapped the walk, which is then exactly what a walk under mu.RLock
// would have produced. A walk that raced a change is retried, and after
// rcuTries attempts (or at once when a writer is active) repeated under
// mu.RLock. A raced walk may see a torn tree (a mount's parent without
// its mountpoint, a hash entry without the dentry's mount count); every
// loop over such state is bounded by a periodic seq check and every nil a
// torn state can show is tolerated, so a raced walk always ends, and its
// result and side effects are discarded. Walks also trust the per-dentry
// mount counts (vfs.Dentry.Mounts) to skip hash lookups, including after
// a crossing (see walker.crossMounts): the counts change only in
// hashMount and unhashMount, inside a change window, so a walk that read
// a stale count is one that fails validation.
type Kernel struct {
	typesMu sync.RWMutex
	types   map[string]fsType

	// seq is the mount sequence count (Linux's mount_lock seqcount):
	// odd while a writer holding mu for writing may be changing the
	// tree, even otherwise. See lockMounts. Every lock-free walk reads
	// it twice, so it has a cache line of its own: nothing that readers
	// falling back to mu.RLock, or anything else, write shares it.
	_   [64]byte
	seq atomic.Uint64
	_   [56]byte

	mu         sync.RWMutex
	mountIDs   ida.Allocator
	groups     propagation.Groups
	devMinors  ida.Allocator
	nextUnique uint64
	hash       mountHash
	mountsOn   map[*vfs.Dentry]*Mountpoint // the first of the mounts hashed on each dentry (a ring through onNext)
	sbs        map[vfs.Filesystem]*superblock
	mountMax   int

	ctxMu    sync.Mutex
	contexts map[*FsContext]struct{} // every open FsContext, for pivot_root

	pipesMu sync.Mutex
	pipes   map[vfs.Inode]*pipe // FIFOs open at either end

	// unprotectedHardlinks is fs.protected_hardlinks = 0.
	unprotectedHardlinks atomic.Bool
	loops                loopTable

	// releaseErr is the first error a filesystem's Release returned
	// since umount2 last looked (guarded by mu): a non-lazy umount2
	// that releases the superblock returns it as EIO.
	releaseErr error
}

type fsType struct {
	name      string
	newFS     vfs.NewFilesystemFunc
	requiresD bool
}

// superblock is the mount layer's record of a vfs.Superblock: how many
// mounts use it, so that the filesystem is released with the last one.
type superblock struct {
	*vfs.Superblock
	k       *Kernel
	mounts  int
	writers atomic.Int64 // files open for writing
}

// NewKernel returns a kernel with no filesystem types registered.
func NewKernel() *Kernel {
	k := &Kernel{
		types:    make(map[string]fsType),
		mountsOn: make(map[*vfs.Dentry]*Mountpoint),
		sbs:      make(map[vfs.Filesystem]*superblock),
		mountMax: DefaultMountMax,
		pipes:    make(map[vfs.Inode]*pipe),
		contexts: make(map[*FsContext]struct{}),
	}
	return k
}

// RegisterFilesystem registers the filesystem type name. requiresDev
// marks a type whose source is a block device (FS_REQUIRES_DEV), which
// the mount layer resolves and checks before calling newFS.
// Registering a name twice replaces the earlier type.
func (k *Kernel) RegisterFilesystem(name string, newFS vfs.NewFilesystemFunc, requiresDev bool) {
	k.typesMu.Lock()
	k.types[name] = fsType{name: name, newFS: newFS, requiresD: requiresDev}
	k.typesMu.Unlock()
}

func (k *Kernel) fsType(name string) (fsType, bool) {
	k.typesMu.RLock()
	t, ok := k.types[name]
	k.typesMu.RUnlock()
	return t, ok
}

// Filesystems lists the registered type names, as /proc/filesystems.
func (k *Kernel) Filesystems() []string {
	k.typesMu.RLock()
	defer k.typesMu.RUnlock()
	names := make([]string, 0, len(k.types))
	for n := range k.types {
		names = append(names, n)
	}
	return names
}

// SetMountMax sets fs.mount-max, the number of mounts a namespace may
// hold (ENOSPC beyond). Linux's default is 100000.
func (k *Kernel) SetMountMax(n int) {
	k.mu.Lock()
	k.mountMax = n
	k.mu.Unlock()
}

// SetProtectedHardlinks sets fs.protected_hardlinks. On (the default
// here, as distributions configure Linux: systemd sets it), link(2) of
// a file the caller neither owns nor may read and write, or of a
// set-ID or non-regular file, is EPERM without CAP_FOWNER. Linux's own
// default is off.
func (k *Kernel) SetProtectedHardlinks(on bool) { k.unprotectedHardlinks.Store(!on) }

// lockMounts takes the mount lock for writing and opens a change window
// (seq odd) for lock-free walkers. Everything that changes the mount
// tree (the mount hash, a mount's parent and mountpoint, per-mount
// flags) does so between lockMounts and unlockMounts.
func (k *Kernel) lockMounts() {
	k.mu.Lock()
	k.seq.Add(1)
}

// unlockMounts closes the change window (seq even) and drops the lock.
func (k *Kernel) unlockMounts() {
	k.seq.Add(1)
	k.mu.Unlock()
}

func (k *Kernel) register(c *FsContext) {
	k.ctxMu.Lock()
	k.contexts[c] = struct{}{}
	k.ctxMu.Unlock()
}

func (k *Kernel) unregister(c *FsContext) {
	k.ctxMu.Lock()
	delete(k.contexts, c)
	k.ctxMu.Unlock()
}

// superblockOf returns the superblock record for fs, making one (with a
// new anonymous device number, major 0) the first time. k.mu is held.
func (k *Kernel) superblockOf(fs vfs.Filesystem, sbFlags uint32) *superblock {
	return k.superblockOn(fs, sbFlags, 0)
}

// superblockOn is superblockOf for a filesystem on block device dev, or
// on an anonymous device when dev is 0. k.mu is held.
func (k *Kernel) superblockOn(fs vfs.Filesystem, sbFlags uint32, dev uint64) *superblock {
	if sb := k.sbs[fs]; sb != nil {
		return sb
	}
	if dev == 0 {
		dev = vfs.Mkdev(0, k.devMinors.Get())
	}
	sb := &superblock{Superblock: vfs.NewSuperblock(fs, dev, sbFlags), k: k}
	k.sbs[fs] = sb
	return sb
}

// putSuperblock drops one mount's use of sb, releasing the filesystem
// with the last. k.mu is held.
func (k *Kernel) putSuperblock(sb *superblock) {
	sb.mounts--
	if sb.mounts > 0 {
		return
	}
	delete(k.sbs, sb.Filesystem())
	if vfs.Major(sb.Dev()) == 0 {
		k.devMinors.Put(vfs.Minor(sb.Dev()))
	} else {
		k.releaseDev(sb.Dev(), sb.Filesystem())
	}
	if r, ok := sb.Filesystem().(vfs.Releaser); ok {
		if err := r.Release(); err != nil && k.releaseErr == nil {
			k.releaseErr = err
		}
	}
}
