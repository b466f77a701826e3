package linuxabi

import (
	"sort"

	"github.com/mountkit/mountkit/vfs"
)

// Linux's limits on what the kernel copies in from user memory.
const (
	PathMax  = 4096 // PATH_MAX: a path or mount string with its NUL
	PageSize = 4096 // the data argument of mount(2) is one page
)

// UserMemory is the address space of the calling task. ReadAt and WriteAt
// copy from and to user address addr; at the first address that is not
// mapped (or not writable, for WriteAt) they stop and return the count
// copied so far with a non-nil error. Address 0 is never mapped.
type UserMemory interface {
	ReadAt(p []byte, addr uint64) (n int, err error)
	WriteAt(p []byte, addr uint64) (n int, err error)
}

// Memory is a UserMemory made of mapped regions of Go memory, for tests and
// for kernels that keep a task's memory as byte slices. The zero value maps
// nothing.
type Memory struct {
	regions []region // sorted by addr, disjoint
}

type region struct {
	addr     uint64
	b        []byte
	readOnly bool
}

// Map maps b at user address addr (reads and writes reach b). It returns
// EINVAL when the range is empty, includes address 0, wraps around, or
// overlaps a mapped region.
func (m *Memory) Map(addr uint64, b []byte) error { return m.mapRegion(addr, b, false) }

// MapReadOnly maps b at addr for reading only: writes there fault.
func (m *Memory) MapReadOnly(addr uint64, b []byte) error { return m.mapRegion(addr, b, true) }

func (m *Memory) mapRegion(addr uint64, b []byte, ro bool) error {
	end := addr + uint64(len(b))
	if len(b) == 0 || addr == 0 || end < addr {
		return vfs.EINVAL
	}
	i := sort.Search(len(m.regions), func(i int) bool { return m.regions[i].addr >= addr })
	if i > 0 && m.regions[i-1].addr+uint64(len(m.regions[i-1].b)) > addr {
		return vfs.EINVAL
	}
	if i < len(m.regions) && m.regions[i].addr < end {
		return vfs.EINVAL
	}
	m.regions = append(m.regions, region{})
	copy(m.regions[i+1:], m.regions[i:])
	m.regions[i] = region{addr: addr, b: b, readOnly: ro}
	return nil
}

// find returns the region holding addr.
func (m *Memory) find(addr uint64) *region {
	i := sort.Search(len(m.regions), func(i int) bool { return m.regions[i].addr > addr })
	if i == 0 {
		return nil
	}
	r := &m.regions[i-1]
	if addr-r.addr >= uint64(len(r.b)) {
		return nil
	}
	return r
}

// ReadAt implements UserMemory.
func (m *Memory) ReadAt(p []byte, addr uint64) (int, error) {
	return m.copy(p, addr, false)
}

// WriteAt implements UserMemory.
func (m *Memory) WriteAt(p []byte, addr uint64) (int, error) {
	return m.copy(p, addr, true)
}

func (m *Memory) copy(p []byte, addr uint64, write bool) (int, error) {
	n := 0
	for n < len(p) {
		a := addr + uint64(n)
		if a < addr {
			return n, vfs.EFAULT
		}
		r := m.find(a)
		if r == nil || (write && r.readOnly) {
			return n, vfs.EFAULT
		}
		b := r.b[a-r.addr:]
		if write {
			n += copy(b, p[n:])
		} else {
			n += copy(p[n:], b)
		}
	}
	return n, nil
}

// readCString reads the NUL-terminated string at addr of at most max bytes
// with its NUL. It returns EFAULT when a byte before the NUL is unmapped,
// and tooLong when no NUL lies in the first max bytes.
func readCString(mem UserMemory, addr uint64, max int, tooLong vfs.Errno) (string, error) {
	if addr == 0 {
		return "", vfs.EFAULT
	}
	var buf []byte
	var chunk [256]byte
	for len(buf) < max {
		k := min(len(chunk), max-len(buf))
		// Never read across a page boundary in one piece, so that a
		// string ending just before an unmapped page is found.
		if rest := PageSize - int((addr+uint64(len(buf)))%PageSize); k > rest {
			k = rest
		}
		n, err := mem.ReadAt(chunk[:k], addr+uint64(len(buf)))
		for i := 0; i < n; i++ {
			if chunk[i] == 0 {
				return string(append(buf, chunk[:i]...)), nil
			}
		}
		buf = append(buf, chunk[:n]...)
		if err != nil || n < k {
			return "", vfs.EFAULT
		}
	}
	return "", tooLong
}

// readPath is getname: a path name for a path system call.
func readPath(mem UserMemory, addr uint64) (string, error) {
	s, err := readCString(mem, addr, PathMax, vfs.ENAMETOOLONG)
	if err == nil && s == "" {
		return "", vfs.ENOENT
	}
	return s, err
}

// readPathEmptyOK is getname_flags with LOOKUP_EMPTY (AT_EMPTY_PATH).
func readPathEmptyOK(mem UserMemory, addr uint64) (string, error) {
	return readCString(mem, addr, PathMax, vfs.ENAMETOOLONG)
}

// readMountString is copy_mount_string: NULL stays nil.
func readMountString(mem UserMemory, addr uint64) (*string, error) {
	if addr == 0 {
		return nil, nil
	}
	s, err := readCString(mem, addr, PathMax, vfs.EINVAL)
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// readMountData is copy_mount_options: one page, as much of it as is
// mapped (EFAULT when none is), the string up to the first NUL, the page's
// last byte forced to NUL as path_mount does.
func readMountData(mem UserMemory, addr uint64) (*string, error) {
	if addr == 0 {
		return nil, nil
	}
	page := make([]byte, PageSize)
	n, _ := mem.ReadAt(page, addr)
	if n < PageSize {
		// Byte at a time past the first fault, as the kernel does
		// when copy_from_user is not exact.
		for n < PageSize {
			if k, err := mem.ReadAt(page[n:n+1], addr+uint64(n)); k != 1 || err != nil {
				break
			}
			n++
		}
	}
	if n == 0 {
		return nil, vfs.EFAULT
	}
	page[PageSize-1] = 0
	s := string(page[:n])
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			s = s[:i]
			break
		}
	}
	return &s, nil
}
