//go:build !linux

package bench

import "testing"

func newKernelWorld(b *testing.B) (world, string) {
	b.Skip("the kernel comparison runs on Linux only")
	return nil, ""
}

func chdirThread(string) error { return nil }
func kernelStat(string) error  { return nil }
