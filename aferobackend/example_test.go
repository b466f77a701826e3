package aferobackend_test

import (
	"fmt"

	"github.com/spf13/afero"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/aferobackend"
	"github.com/mountkit/mountkit/vfs"
)

// Mount an afero.MemMapFs as a filesystem type; what the namespace
// writes, the afero.Fs holds.
func Example() {
	mem := afero.NewMemMapFs()
	afero.WriteFile(mem, "/motd", []byte("welcome\n"), 0o644)

	k := mountkit.NewKernel()
	k.RegisterFilesystem("memmap", aferobackend.Type("memmap", mem), false)
	init, err := k.Boot()
	if err != nil {
		panic(err)
	}
	defer init.Close()
	init.Mkdir("/etc", 0o755)
	if err := init.Mount("mem", "/etc", "memmap", 0, ""); err != nil {
		panic(err)
	}
	f, _ := init.Open("/etc/hostname", vfs.O_WRONLY|vfs.O_CREAT, 0o644)
	f.Write([]byte("box\n"))
	f.Close()

	b, _ := afero.ReadFile(mem, "/hostname")
	fmt.Print(string(b))
	fmt.Println(init.Link("/etc/motd", "/etc/motd2"))
	fmt.Print(init.MountInfo())
	// Output:
	// box
	// operation not permitted
	// 2 1 0:2 / / rw,relatime - tmpfs none rw
	// 3 2 0:3 / /etc rw,relatime - memmap mem rw
}
