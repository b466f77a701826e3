//go:build !(linux && (amd64 || riscv64 || arm64))

package linuxabi

func sysNumbers() map[uint64]string { return nil }
