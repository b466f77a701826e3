package mount

import (
	"sync"
	"sync/atomic"

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
// readers resolve paths and read it), then vfs.Superblock.renameMu, then
// vfs.Dentry locks, then Kernel.ctxMu, then an FsContext's own mutex.
type Kernel struct {
	typesMu sync.RWMutex
	types   map[string]fsType

	mu         sync.RWMutex
	mountIDs   idAllocator
	groups     propagation.Groups
	devMinors  idAllocator
	nextUnique uint64
	hash       map[hashKey]*Mountpoint
	mountsOn   map[*vfs.Dentry][]*Mountpoint // the mounts hashed on each dentry
	sbs        map[vfs.Filesystem]*superblock
	mountMax   int

	ctxMu    sync.Mutex
	contexts map[*FsContext]struct{} // every open FsContext, for pivot_root

	pipesMu sync.Mutex
	pipes   map[vfs.Inode]*pipe // FIFOs open at either end
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
	mounts  int
	writers atomic.Int64 // files open for writing
}

// NewKernel returns a kernel with no filesystem types registered.
func NewKernel() *Kernel {
	k := &Kernel{
		types:    make(map[string]fsType),
		hash:     make(map[hashKey]*Mountpoint),
		mountsOn: make(map[*vfs.Dentry][]*Mountpoint),
		sbs:      make(map[vfs.Filesystem]*superblock),
		mountMax: DefaultMountMax,
		pipes:    make(map[vfs.Inode]*pipe),
		contexts: make(map[*FsContext]struct{}),
	}
	k.mountIDs.next = 1
	k.devMinors.next = 1
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

// idAllocator hands out the lowest free positive integer, as Linux's IDA.
type idAllocator struct {
	used map[uint32]bool
	next uint32 // no id below next is free
}

func (a *idAllocator) get() uint32 {
	if a.used == nil {
		a.used = make(map[uint32]bool)
	}
	id := a.next
	for a.used[id] {
		id++
	}
	a.used[id] = true
	a.next = id + 1
	return id
}

func (a *idAllocator) put(id uint32) {
	delete(a.used, id)
	if id < a.next {
		a.next = id
	}
}

// superblockOf returns the superblock record for fs, making one (with a
// new anonymous device number, major 0) the first time. k.mu is held.
func (k *Kernel) superblockOf(fs vfs.Filesystem, sbFlags uint32) *superblock {
	if sb := k.sbs[fs]; sb != nil {
		return sb
	}
	dev := vfs.Mkdev(0, k.devMinors.get())
	sb := &superblock{Superblock: vfs.NewSuperblock(fs, dev, sbFlags)}
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
		k.devMinors.put(vfs.Minor(sb.Dev()))
	}
	if r, ok := sb.Filesystem().(vfs.Releaser); ok {
		_ = r.Release()
	}
}
