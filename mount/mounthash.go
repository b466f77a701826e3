package mount

import (
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/mountkit/mountkit/vfs"
)

// mountHash is the mount hash (Linux's mount_hashtable): every attached
// mount with a parent, keyed by (parent mount, mountpoint dentry).
//
// Locking (RCU-like, as Linux's hlist_add_head_rcu): lookups take no
// lock. A reader loads the current table, then one bucket's chain; chain
// nodes are immutable once published, so the reader sees each chain
// whole, as it was before or after any one change. Writers hold Kernel.mu
// for writing: they replace a bucket's chain (a new head in front of the
// old chain for an insertion, a copy of the prefix before the removed
// node for a removal) and resize by building a new table and publishing
// it. A reader that raced a change may have seen the hash before or after
// it; lock-free path walks detect that with Kernel.seq and retry.
type mountHash struct {
	table atomic.Pointer[hashTable]
	count int // entries; guarded by Kernel.mu
}

type hashTable struct {
	buckets []atomic.Pointer[hashNode]
	mask    uint64
}

type hashNode struct {
	key  hashKey
	m    *Mountpoint
	next *hashNode
}

// hashMinBuckets is the size of the first table; a table of up to
// hashKeepBuckets (8 KiB) is kept when mounts go away, so that mounting
// and unmounting a few hundred mounts over and over does not resize it
// each time.
const hashMinBuckets, hashKeepBuckets = 64, 1024

func newHashTable(n int) *hashTable {
	return &hashTable{buckets: make([]atomic.Pointer[hashNode], n), mask: uint64(n - 1)}
}

// hashOf mixes the addresses of the key's pointers (the Go heap does not
// move objects).
func hashOf(k hashKey) uint64 {
	p := uint64(uintptr(unsafe.Pointer(k.parent)))
	d := uint64(uintptr(unsafe.Pointer(k.dentry)))
	hi, lo := bits.Mul64(p^d*0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9)
	return hi ^ lo
}

// lookup returns the mount hashed under key, or nil. It takes no lock.
func (h *mountHash) lookup(key hashKey) *Mountpoint {
	t := h.table.Load()
	if t == nil {
		return nil
	}
	for n := t.buckets[hashOf(key)&t.mask].Load(); n != nil; n = n.next {
		if n.key == key {
			return n.m
		}
	}
	return nil
}

// insert hashes m under key, replacing any mount hashed there. Kernel.mu
// is held for writing.
func (h *mountHash) insert(key hashKey, m *Mountpoint) {
	if h.remove(key) {
		h.count--
	}
	t := h.table.Load()
	if t == nil || h.count+1 > len(t.buckets) {
		t = h.resize(t, 2)
	}
	b := &t.buckets[hashOf(key)&t.mask]
	// A published node is never written again (readers traverse chains
	// without a lock), so m's own node serves its first insertion only:
	// its m field, nil until then, is never cleared.
	n := &m.hnode
	if n.m != nil {
		n = new(hashNode)
	}
	*n = hashNode{key: key, m: m, next: b.Load()}
	b.Store(n)
	h.count++
}

// delete removes key's entry, if any. Kernel.mu is held for writing.
func (h *mountHash) delete(key hashKey) {
	if !h.remove(key) {
		return
	}
	h.count--
	if t := h.table.Load(); len(t.buckets) > hashKeepBuckets && h.count*8 < len(t.buckets) {
		h.resize(t, 0)
	}
}

// remove unlinks key's node from its chain, copying the nodes before it,
// and reports whether there was one.
func (h *mountHash) remove(key hashKey) bool {
	t := h.table.Load()
	if t == nil {
		return false
	}
	b := &t.buckets[hashOf(key)&t.mask]
	head := b.Load()
	var prefix []*hashNode
	for n := head; n != nil; n = n.next {
		if n.key != key {
			prefix = append(prefix, n)
			continue
		}
		rest := n.next
		for i := len(prefix) - 1; i >= 0; i-- {
			rest = &hashNode{key: prefix[i].key, m: prefix[i].m, next: rest}
		}
		b.Store(rest)
		return true
	}
	return false
}

// resize publishes a table twice as large (grow 2) or half as large
// (grow 0) as t, holding every entry of t, and returns it.
func (h *mountHash) resize(t *hashTable, grow int) *hashTable {
	size := hashMinBuckets
	if t != nil {
		size = len(t.buckets)
		if grow == 2 {
			size *= 2
		} else if size > hashMinBuckets {
			size /= 2
		}
	}
	nt := newHashTable(size)
	if t != nil {
		for i := range t.buckets {
			for n := t.buckets[i].Load(); n != nil; n = n.next {
				b := &nt.buckets[hashOf(n.key)&nt.mask]
				b.Store(&hashNode{key: n.key, m: n.m, next: b.Load()})
			}
		}
	}
	h.table.Store(nt)
	return nt
}

// hashKey is a mount hash key: a mountpoint dentry as seen through its
// parent mount.
type hashKey struct {
	parent *Mountpoint
	dentry *vfs.Dentry
}
