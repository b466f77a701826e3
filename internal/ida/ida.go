// Package ida allocates small integer IDs as Linux's IDA does: the lowest
// free one, reused once freed. Mount IDs, anonymous device minors and
// peer-group IDs all come from one.
package ida

// Allocator hands out IDs from 1 up. The zero value is ready to use. It is
// not safe for concurrent use.
type Allocator struct {
	used map[uint32]bool
	next uint32 // no free ID is below next (0 means 1)
}

// Get returns the lowest free ID and marks it used.
func (a *Allocator) Get() uint32 {
	if a.used == nil {
		a.used = make(map[uint32]bool)
	}
	if a.next == 0 {
		a.next = 1
	}
	id := a.next
	for a.used[id] {
		id++
	}
	a.used[id] = true
	a.next = id + 1
	return id
}

// Put frees id.
func (a *Allocator) Put(id uint32) {
	delete(a.used, id)
	if id < a.next {
		a.next = id
	}
}

// InUse returns the number of IDs allocated.
func (a *Allocator) InUse() int { return len(a.used) }
