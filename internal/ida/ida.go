// Package ida allocates small integer IDs as Linux's IDA does: the lowest
// free one, reused once freed. Mount IDs, anonymous device minors and
// peer-group IDs all come from one.
package ida

import "math/bits"

// Allocator hands out IDs from 1 up. The zero value is ready to use. It is
// not safe for concurrent use.
//
// The IDs in use are the set bits of a bitmap (bit i of words[i/64] for
// ID i; bit 0 is never set), which grows to the highest ID ever handed out
// and does not shrink: 8 KiB for 65,536 IDs.
type Allocator struct {
	words []uint64
	inUse int
	next  uint32 // no free ID is below next (0 means 1)
}

// Get returns the lowest free ID and marks it used.
func (a *Allocator) Get() uint32 {
	if a.next == 0 {
		a.next = 1
	}
	id := a.next
	w := int(id / 64)
	for {
		if w == len(a.words) {
			a.words = append(a.words, 0)
		}
		// The bits below id are taken (next's invariant) or, in later
		// words, not masked at all.
		free := ^a.words[w]
		if w == int(id/64) {
			free &^= 1<<(id%64) - 1
		}
		if free != 0 {
			id = uint32(w*64 + bits.TrailingZeros64(free))
			break
		}
		w++
	}
	a.words[w] |= 1 << (id % 64)
	a.inUse++
	a.next = id + 1
	return id
}

// Put frees id. Freeing an ID that is not in use does nothing.
func (a *Allocator) Put(id uint32) {
	w := int(id / 64)
	if id == 0 || w >= len(a.words) || a.words[w]&(1<<(id%64)) == 0 {
		return
	}
	a.words[w] &^= 1 << (id % 64)
	a.inUse--
	if id < a.next {
		a.next = id
	}
}

// InUse returns the number of IDs allocated.
func (a *Allocator) InUse() int { return a.inUse }
