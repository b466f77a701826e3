//go:build !linux

package bench

import "testing"

func newKernelWorld(b *testing.B) (world, string) {
	b.Skip("the kernel comparison runs on Linux only")
	return nil, ""
}
