package memfs

import "hash/maphash"

// nameIndex finds a directory's entries by name: an open-addressing hash
// table of the entries with linear probing, at most 3/4 full, keyed by a
// seeded hash (names that collide cannot be chosen in advance), with
// backward-shift deletion, so that it has no tombstones. It costs a
// pointer and a quarter or more per entry, where a map[string]*dirent
// costs three words and a byte. Guarded by fs.mu.
//
// Invariant: every entry lies in the run of occupied slots that starts
// at or after its home slot (hash & mask) and reaches it.
type nameIndex struct {
	slots []*dirent // nil, or a power of two of them
	n     int
}

var nameSeed = maphash.MakeSeed()

const nameIndexMin = 8

func (x *nameIndex) home(name string) uint64 {
	return maphash.String(nameSeed, name) & uint64(len(x.slots)-1)
}

// slot returns the index of name's entry, or -1.
func (x *nameIndex) slot(name string) int {
	if x.n == 0 {
		return -1
	}
	mask := uint64(len(x.slots) - 1)
	for i := x.home(name); ; i = (i + 1) & mask {
		e := x.slots[i]
		if e == nil {
			return -1
		}
		if e.name == name {
			return int(i)
		}
	}
}

// find returns name's entry, or nil.
func (x *nameIndex) find(name string) *dirent {
	if i := x.slot(name); i >= 0 {
		return x.slots[i]
	}
	return nil
}

// insert adds e, whose name is not in x.
func (x *nameIndex) insert(e *dirent) {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.resize(max(nameIndexMin, 2*len(x.slots)))
	}
	x.put(e)
	x.n++
}

func (x *nameIndex) put(e *dirent) {
	mask := uint64(len(x.slots) - 1)
	i := x.home(e.name)
	for x.slots[i] != nil {
		i = (i + 1) & mask
	}
	x.slots[i] = e
}

// remove takes name's entry out of x and returns it, or nil.
func (x *nameIndex) remove(name string) *dirent {
	s := x.slot(name)
	if s < 0 {
		return nil
	}
	i := uint64(s)
	e := x.slots[i]
	mask := uint64(len(x.slots) - 1)
	// Shift back each entry of the run after i that may live at i (its
	// home is not cyclically within (i, j]), closing the hole.
	for j := (i + 1) & mask; x.slots[j] != nil; j = (j + 1) & mask {
		k := x.home(x.slots[j].name)
		var stays bool
		if i <= j {
			stays = i < k && k <= j
		} else {
			stays = i < k || k <= j
		}
		if !stays {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = nil
	x.n--
	if len(x.slots) > nameIndexMin && x.n*8 < len(x.slots) {
		x.resize(len(x.slots) / 2)
	}
	return e
}

// resize rebuilds x with size slots.
func (x *nameIndex) resize(size int) {
	old := x.slots
	x.slots = make([]*dirent, size)
	for _, e := range old {
		if e != nil {
			x.put(e)
		}
	}
}
