package fuseexport_test

import (
	"log"
	"os"
	"os/exec"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/fuseexport"
)

// Serve a library namespace on /mnt/mountkit and run ls(1) on it. As root
// the mount is made with mount(2) directly; otherwise go-fuse runs
// fusermount3. (No Output: the example needs FUSE and a mount point.)
func Example() {
	init, err := mountkit.Boot()
	if err != nil {
		log.Fatal(err)
	}
	defer init.Close()
	init.Mkdir("/etc", 0o755)
	init.Mount("none", "/etc", "tmpfs", 0, "size=1m")

	srv, err := fuseexport.Mount("/mnt/mountkit", init, &fuse.MountOptions{DirectMount: os.Getuid() == 0})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Unmount()
	ls := exec.Command("ls", "-la", "/mnt/mountkit/etc")
	ls.Stdout = os.Stdout
	ls.Run()
}
