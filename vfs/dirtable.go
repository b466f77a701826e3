package vfs

import (
	"math/bits"
	"math/rand/v2"
	"sync/atomic"
)

// dirTable is the set of cached children of a directory dentry: an
// open-addressing hash table whose slots are read without locks. Writers
// (holding the directory's lock) fill empty slots, turn removed entries
// into tombstones and, when the table is too full, build a larger one and
// publish it atomically; readers see either table, each consistent.
//
// Entries are immutable: a rename removes the entry from one table and
// adds a new one to another.
type dirTable struct {
	slots []atomic.Pointer[dirEntry]
	live  int // entries that are not tombstones; guarded by the directory lock
	used  int // live entries and tombstones; guarded by the directory lock
}

type dirEntry struct {
	hash uint64
	name string
	d    *Dentry
}

// tombstone marks a removed entry; probes continue past it.
var tombstone = &dirEntry{}

// nameSeed keys hashName, so that names that collide cannot be chosen in
// advance.
var nameSeed = rand.Uint64() | 1

// hashName hashes a file name with a keyed multiply-and-fold mix (in the
// manner of wyhash): cheap for the short names path walks meet most.
func hashName(name string) uint64 {
	const m1, m2 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db
	h := nameSeed
	n := len(name)
	for len(name) >= 8 {
		w := uint64(name[0]) | uint64(name[1])<<8 | uint64(name[2])<<16 | uint64(name[3])<<24 |
			uint64(name[4])<<32 | uint64(name[5])<<40 | uint64(name[6])<<48 | uint64(name[7])<<56
		h = mix(h^w, m2)
		name = name[8:]
	}
	var w uint64
	for i := 0; i < len(name); i++ {
		w |= uint64(name[i]) << (8 * i)
	}
	return mix(h^w, m1^uint64(n))
}

// ScanName returns the path component that starts at path[i] and runs to
// the next '/' or the end, its hash as the dentry cache computes it, and
// the index just past it; a path walk hands the hash to LookupHashed.
// It reads the component once, a word at a time where the path allows,
// hashing as it scans (as Linux's hash_name): the value is hashName's.
func ScanName(path string, i int) (name string, hash uint64, end int) {
	const m1, m2 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db
	const ones, highs, slashes = 0x0101010101010101, 0x8080808080808080, 0x2f2f2f2f2f2f2f2f
	h := nameSeed
	j := i
	for j+8 <= len(path) {
		s := path[j : j+8]
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		// The lowest byte of w that is '/' sets the lowest bit of z
		// (bytes above it may set bits of z too).
		x := w ^ slashes
		if z := (x - ones) &^ x & highs; z != 0 {
			nb := bits.TrailingZeros64(z) >> 3
			j += nb
			w &= 1<<(8*uint(nb)) - 1
			return path[i:j], mix(h^w, m1^uint64(j-i)), j
		}
		h = mix(h^w, m2)
		j += 8
	}
	var w uint64
	for k := uint(0); j < len(path); k += 8 {
		c := path[j]
		if c == '/' {
			break
		}
		w |= uint64(c) << k
		j++
	}
	return path[i:j], mix(h^w, m1^uint64(j-i)), j
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// dirTableMinSize is the size of a directory's first table.
const dirTableMinSize = 8

func newDirTable(size int) *dirTable {
	return &dirTable{slots: make([]atomic.Pointer[dirEntry], size)}
}

// lookup returns the child called name, or nil. It takes no lock.
func (t *dirTable) lookup(name string) *Dentry {
	return t.lookupHashed(name, hashName(name))
}

// lookupHashed is lookup with the name's hash already computed.
func (t *dirTable) lookupHashed(name string, h uint64) *Dentry {
	if t == nil {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i, n := h&mask, 0; n < len(t.slots); i, n = (i+1)&mask, n+1 {
		e := t.slots[i].Load()
		if e == nil {
			return nil
		}
		if e.hash == h && e.name == name && e != tombstone {
			return e.d
		}
	}
	return nil
}

// insert adds name → d, which must not be present, and returns the table
// to publish (t itself, or a larger copy). The directory lock is held.
func (t *dirTable) insert(name string, d *Dentry) *dirTable {
	if t == nil {
		t = newDirTable(dirTableMinSize)
	}
	if (t.used+1)*4 > len(t.slots)*3 {
		size := len(t.slots)
		for (t.live+1)*2 > size {
			size *= 2
		}
		n := newDirTable(size)
		for i := range t.slots {
			if e := t.slots[i].Load(); e != nil && e != tombstone {
				n.put(e)
			}
		}
		t = n
	}
	t.put(&dirEntry{hash: hashName(name), name: name, d: d})
	return t
}

// put stores e in the first free slot of its probe sequence.
func (t *dirTable) put(e *dirEntry) {
	mask := uint64(len(t.slots) - 1)
	for i := e.hash & mask; ; i = (i + 1) & mask {
		if t.slots[i].Load() == nil {
			t.slots[i].Store(e)
			t.live++
			t.used++
			return
		}
	}
}

// remove turns name's entry into a tombstone. The directory lock is held.
func (t *dirTable) remove(name string) {
	if t == nil {
		return
	}
	h := hashName(name)
	mask := uint64(len(t.slots) - 1)
	for i, n := h&mask, 0; n < len(t.slots); i, n = (i+1)&mask, n+1 {
		e := t.slots[i].Load()
		if e == nil {
			return
		}
		if e != tombstone && e.hash == h && e.name == name {
			t.slots[i].Store(tombstone)
			t.live--
			return
		}
	}
}
