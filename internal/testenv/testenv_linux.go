//go:build linux

package testenv

import (
	"os"
	"runtime"
	"strings"
)

// machines maps the kernel's machine name to GOARCH.
var machines = map[string]string{
	"x86_64": "amd64", "aarch64": "arm64", "riscv64": "riscv64", "i686": "386",
	"armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x", "loongarch64": "loong64",
}

// Emulated reports whether the test binary runs under a user-mode
// emulator (qemu-user): its GOARCH is not the kernel's machine, as
// /proc/sys/kernel/arch tells it (uname(2) answers with the emulated
// machine). Such a binary cannot be executed again directly (a test that
// re-executes itself under unshare(1) must skip), and the emulator may
// lack system calls (open_tree on qemu 7.2).
func Emulated() bool {
	b, err := os.ReadFile("/proc/sys/kernel/arch")
	if err != nil {
		return false
	}
	arch, ok := machines[strings.TrimSpace(string(b))]
	return ok && arch != runtime.GOARCH
}
