package memfs

// Machine describes the parts of the machine that tmpfs mount options
// depend on: the amount of RAM (for the default limits and for size=N%),
// the NUMA nodes with memory (for mpol=), whether transparent huge pages
// exist (for huge=) and the CONFIG_TMPFS_INODE64 default.
type Machine struct {
	// RAMPages is Linux's totalram_pages(): RAM in 4096-byte pages.
	RAMPages uint64
	// MemoryNodes lists the NUMA nodes with memory (N_MEMORY), in
	// increasing order. Empty means a kernel without NUMA, where mpol= is
	// rejected.
	MemoryNodes []int
	// THP reports transparent huge pages; without them only huge=never
	// is accepted.
	THP bool
	// Inode64 is CONFIG_TMPFS_INODE64: 64-bit inode numbers by default,
	// and inode32/inode64 always shown in the options.
	Inode64 bool
}

// Host is the machine ParseOptions, DefaultOptions and New use. On Linux
// it is read from the running system (sysinfo(2) and sysfs); elsewhere it
// is a machine with 4 GiB of RAM and one NUMA node. Tests may replace it.
var Host = hostMachine()

// DefaultBlocks returns the default size limit in pages: half of RAM.
func (m *Machine) DefaultBlocks() uint64 { return m.RAMPages / 2 }

// DefaultInodes returns the default inode limit: one per page of half
// of RAM (there is no highmem on 64-bit machines).
func (m *Machine) DefaultInodes() uint64 {
	return min(m.RAMPages/2, maxInodesLimit)
}

func (m *Machine) hasNode(n int) bool {
	for _, x := range m.MemoryNodes {
		if x == n {
			return true
		}
	}
	return false
}
