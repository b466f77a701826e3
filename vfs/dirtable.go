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
// A table of dirTableMinSize slots (most directories) keeps them in small,
// inside the table: a probe then computes a slot's address from the table
// pointer alone (see probeSlots) instead of waiting for a load of the
// slots' address, one load fewer on the dependency chain of a path walk.
// Larger tables leave small unused.
type dirTable struct {
	slots []dirSlot // small[:] when len(slots) == dirTableMinSize
	live  int       // entries that are not tombstones; guarded by the directory lock
	used  int       // live entries and tombstones; guarded by the directory lock
	small [dirTableMinSize]dirSlot
}

// dirSlot is one slot of a dirTable. A probe reads it in place: the key
// and, for a short name, the comparison need no other memory.
//
// Invariant: hash, word and name are written once, by the writer that
// fills the empty slot, before it publishes d with an atomic store; a
// reader loads d first and reads them only when d is not nil, so the
// atomic orders the plain fields. Later, d only changes from the dentry
// to tombstone (the other fields stay, and are ignored): a slot is never
// refilled, and a rename removes the entry from one table and adds a new
// one to another.
type dirSlot struct {
	d    atomic.Pointer[Dentry] // nil: empty, ending probes; tombstone: removed
	hash uint64
	word uint64 // NameKey.word of name
	name string
}

// tombstone marks a removed entry; probes continue past it.
var tombstone = &Dentry{}

// NameKey is what the dentry cache finds a name by: its keyed hash and,
// for a name of 1 to 7 bytes, the name's bytes packed little-endian with
// the length in the top byte (0 for any other name). Equal nonzero words
// mean equal names, so such a name is compared without reading it.
type NameKey struct {
	hash, word uint64
}

// Hash returns the hash of the key's name (hashName's value).
func (k NameKey) Hash() uint64 { return k.hash }

// KeyOf returns the NameKey of name.
func KeyOf(name string) NameKey {
	k := NameKey{hash: hashName(name)}
	if n := len(name); n >= 1 && n <= 7 {
		var w uint64
		for i := 0; i < n; i++ {
			w |= uint64(name[i]) << (8 * i)
		}
		k.word = w | uint64(n)<<56
	}
	return k
}

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
// the index just past it.
func ScanName(path string, i int) (name string, hash uint64, end int) {
	name, k, end := ScanKey(path, i)
	return name, k.hash, end
}

// ScanKey returns the path component that starts at path[i] and runs to
// the next '/' or the end, its NameKey (KeyOf's value) and the index just
// past it; a path walk hands the key to LookupKey.
// It reads the component once, a word at a time where the path allows,
// hashing as it scans (as Linux's hash_name).
func ScanKey(path string, i int) (name string, key NameKey, end int) {
	const m1, m2 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db
	const ones, highs, slashes = 0x0101010101010101, 0x8080808080808080, 0x2f2f2f2f2f2f2f2f
	h := nameSeed
	j := i
	var w uint64
	for j+8 <= len(path) {
		s := path[j : j+8]
		w = uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		// The lowest byte of w that is '/' sets the lowest bit of z
		// (bytes above it may set bits of z too).
		x := w ^ slashes
		if z := (x - ones) &^ x & highs; z != 0 {
			nb := bits.TrailingZeros64(z) >> 3
			j += nb
			w &= 1<<(8*uint(nb)) - 1
			return path[i:j], makeKey(h, w, j-i), j
		}
		h = mix(h^w, m2)
		j += 8
	}
	w = 0
	for k := uint(0); j < len(path); k += 8 {
		c := path[j]
		if c == '/' {
			break
		}
		w |= uint64(c) << k
		j++
	}
	return path[i:j], makeKey(h, w, j-i), j
}

// makeKey finishes the key of an n-byte name: h has absorbed its whole
// words and w holds the rest (all of it when n < 8).
func makeKey(h, w uint64, n int) NameKey {
	const m1 = 0xa0761d6478bd642f
	k := NameKey{hash: mix(h^w, m1^uint64(n))}
	if uint(n-1) < 7 {
		k.word = w | uint64(n)<<56
	}
	return k
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// dirTableMinSize is the size of a directory's first table.
const dirTableMinSize = 8

func newDirTable(size int) *dirTable {
	t := &dirTable{}
	if size == dirTableMinSize {
		t.slots = t.small[:]
	} else {
		t.slots = make([]dirSlot, size)
	}
	return t
}

// probeSlots returns t.slots for a lock-free probe: the same slots, but a
// small table's spelt as t.small[:], whose address follows from t without
// a load (the branch on the length is predicted).
func (t *dirTable) probeSlots() []dirSlot {
	if len(t.slots) == dirTableMinSize {
		return t.small[:]
	}
	return t.slots
}

// lookup returns the child called name, or nil. It takes no lock.
func (t *dirTable) lookup(name string) *Dentry {
	return t.lookupKey(name, KeyOf(name))
}

// lookupKey is lookup with the name's key already computed. A short name
// (nonzero word) is matched on the slot alone, in a loop that calls
// nothing; other names go to lookupName.
func (t *dirTable) lookupKey(name string, k NameKey) *Dentry {
	if t == nil {
		return nil
	}
	if k.word == 0 {
		return t.lookupName(name, k.hash)
	}
	slots := t.probeSlots()
	mask := uint64(len(slots) - 1)
	for i, n := k.hash&mask, 0; n < len(slots); i, n = (i+1)&mask, n+1 {
		s := &slots[i]
		d := s.d.Load()
		if d == nil {
			return nil
		}
		if s.word == k.word && s.hash == k.hash && d != tombstone {
			return d
		}
	}
	return nil
}

// lookupName is lookupKey for a name of 8 bytes or more (or empty): it
// compares names.
func (t *dirTable) lookupName(name string, h uint64) *Dentry {
	slots := t.slots
	mask := uint64(len(slots) - 1)
	for i, n := h&mask, 0; n < len(slots); i, n = (i+1)&mask, n+1 {
		s := &slots[i]
		d := s.d.Load()
		if d == nil {
			return nil
		}
		if s.hash == h && s.word == 0 && s.name == name && d != tombstone {
			return d
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
			s := &t.slots[i]
			if c := s.d.Load(); c != nil && c != tombstone {
				n.put(NameKey{s.hash, s.word}, s.name, c)
			}
		}
		t = n
	}
	t.put(KeyOf(name), name, d)
	return t
}

// put stores name → d in the first free slot of its probe sequence,
// publishing d last (see dirSlot).
func (t *dirTable) put(k NameKey, name string, d *Dentry) {
	mask := uint64(len(t.slots) - 1)
	for i := k.hash & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.d.Load() == nil {
			s.hash, s.word, s.name = k.hash, k.word, name
			s.d.Store(d)
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
		s := &t.slots[i]
		d := s.d.Load()
		if d == nil {
			return
		}
		if d != tombstone && s.hash == h && s.name == name {
			s.d.Store(tombstone)
			t.live--
			return
		}
	}
}
