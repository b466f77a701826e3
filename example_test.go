package mountkit_test

import (
	"fmt"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/mount"
)

func Example() {
	init, err := mountkit.Boot()
	if err != nil {
		panic(err)
	}
	defer init.Close()

	init.Mkdir("/mnt", 0o755)
	init.Mount("scratch", "/mnt", "tmpfs", mount.MS_NOSUID|mount.MS_NODEV, "size=1m,mode=700")
	init.Mkdir("/mnt/sub", 0o755)

	// A second tmpfs hides the first one's contents until it is unmounted.
	init.Mount("none", "/mnt", "tmpfs", 0, "")
	_, err = init.Stat("/mnt/sub")
	fmt.Println("while stacked:", err)
	init.Umount2("/mnt", 0)
	_, err = init.Stat("/mnt/sub")
	fmt.Println("after umount:", err)

	fmt.Print(init.MountInfo())
	// Output:
	// while stacked: no such file or directory
	// after umount: <nil>
	// 2 1 0:2 / / rw,relatime - tmpfs none rw
	// 3 2 0:3 / /mnt rw,nosuid,nodev,relatime - tmpfs scratch rw,size=1024k,mode=700
}
