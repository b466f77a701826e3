package linuxabi_test

import (
	"fmt"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/linuxabi"
)

// A kernel's trap handler hands the system-call number and argument
// registers of a task to its Process.
func ExampleProcess_Syscall() {
	ctx, _ := mountkit.Boot()
	mem := &linuxabi.Memory{}
	user := make([]byte, 4096)
	mem.Map(0x1000, user)
	copy(user, "/mnt\x00none\x00tmpfs\x00")
	p := linuxabi.NewProcess(ctx, mem)
	defer p.Exit()

	fmt.Println(p.Mkdirat(linuxabi.AT_FDCWD, 0x1000, 0o755))
	fmt.Println(p.Mount(0x1005, 0x1000, 0x100a, 0, 0))
	fmt.Println(p.Mount(0x1005, 0x1000, 0xdead0000, 0, 0)) // -EFAULT
	fmt.Println(p.Umount2(0x1000, 0))
	fmt.Println(p.Umount2(0x1000, 0))               // -EINVAL: not a mount any more
	fmt.Println(p.Syscall(100000, linuxabi.Args{})) // -ENOSYS
	// Output:
	// 0
	// 0
	// -14
	// 0
	// -22
	// -38
}
