//go:build linux

package memfs

import (
	"os"
	"syscall"
)

func hostMachine() Machine {
	m := Machine{RAMPages: 1 << 20, MemoryNodes: []int{0}}
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil && si.Unit != 0 {
		m.RAMPages = uint64(si.Totalram) * uint64(si.Unit) / pageSize
	}
	if b, err := os.ReadFile("/sys/devices/system/node/has_memory"); err == nil {
		if nodes, ok := parseNodeList(string(b), maxNumNodes); ok && len(nodes) > 0 {
			m.MemoryNodes = nodes
		}
	}
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage"); err == nil {
		m.THP = true
	}
	return m
}
