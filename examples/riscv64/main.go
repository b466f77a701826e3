// Command riscv64 boots the library on a real riscv64 Linux kernel under
// QEMU and runs its tests there.
//
//	go run ./examples/riscv64 boot
//
// On the host (boot) it installs qemu-system-misc when qemu-system-riscv64
// is missing, fetches Debian trixie's riscv64 kernel package with apt in a
// private state (never touching the machine's apt sources), extracts the
// uncompressed Image and the overlay and ext4 modules with their
// dependencies, cross-compiles every package's tests and itself for
// riscv64 (CGO_ENABLED=0), writes a newc cpio initramfs, boots
//
//	qemu-system-riscv64 -machine virt -m 1G -smp 1 -nographic -kernel Image -initrd initrd
//
// under a timeout and exits 0 only when qemu exits 0 and the guest printed
// its final result line with PASS. Downloads and the extracted kernel are
// cached in $XDG_CACHE_HOME/mountkit-riscv64 (~/.cache/mountkit-riscv64),
// so a second run spends its time in the guest, not in setup.
//
// In the guest the same program is /init (process 1): it loads the
// modules, mounts proc, sysfs, devtmpfs and a tmpfs on /tmp, runs every
// test binary, runs the golden mount-script corpus on the library (any
// difference from the .out files fails) and on the guest kernel through
// the Linux reference runner (differences, the kernel being older than the
// 6.18 the corpus came from, are printed as a table and do not fail),
// prints a summary and the result line, and powers the machine off.
//
// qemu's exit status carries no verdict: the kernel powers off through the
// sifive_test device with its "pass" code, and /dev/mem cannot reach the
// device to write a failure code (CONFIG_IO_STRICT_DEVMEM), while a kernel
// panic (panic=-1 with -no-reboot) also ends qemu with status 0. The
// result line is the verdict.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if os.Getpid() == 1 {
		guestMain()
		return
	}
	if len(os.Args) < 2 || os.Args[1] != "boot" {
		fmt.Fprintln(os.Stderr, "usage: go run ./examples/riscv64 boot [-timeout D] [-cache DIR] [-refresh] [-keep]")
		os.Exit(2)
	}
	fl := flag.NewFlagSet("boot", flag.ExitOnError)
	o := bootOptions{}
	fl.DurationVar(&o.timeout, "timeout", 15*time.Minute, "how long the guest may run")
	fl.StringVar(&o.cache, "cache", defaultCache(), "where downloads and the extracted kernel are kept")
	fl.BoolVar(&o.refresh, "refresh", false, "ask apt for a newer kernel even if one is cached")
	fl.BoolVar(&o.keep, "keep", false, "keep the build directory (initramfs, test binaries)")
	fl.StringVar(&o.run, "run", "", "run only the test binaries whose package path contains this")
	fl.IntVar(&o.rapidChecks, "rapid-checks", 25, "rapid property-test cases per test in the guest (0: rapid's default of 100)")
	fl.Parse(os.Args[2:])
	os.Exit(boot(o))
}

func defaultCache() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return d + "/mountkit-riscv64"
	}
	if h, err := os.UserHomeDir(); err == nil {
		return h + "/.cache/mountkit-riscv64"
	}
	return os.TempDir() + "/mountkit-riscv64"
}
