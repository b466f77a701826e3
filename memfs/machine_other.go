//go:build !linux

package memfs

func hostMachine() Machine {
	return Machine{RAMPages: 1 << 20, MemoryNodes: []int{0}, THP: true}
}
