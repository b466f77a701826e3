package mount_test

import (
	"fmt"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/mount"
)

// A shared mount propagates what is mounted under it to its peers.
func ExampleFsContext_SetPropagation() {
	c, _ := mountkit.Boot()
	defer c.Close()
	for _, d := range []string{"/a", "/b"} {
		c.Mkdir(d, 0o755)
	}
	c.Mount("shared", "/a", "tmpfs", 0, "")
	c.SetPropagation("/a", mount.Shared, false)
	c.Bind("/a", "/b") // a peer of /a
	c.Mkdir("/a/sub", 0o755)
	c.Mount("inner", "/a/sub", "tmpfs", 0, "")
	fmt.Print(c.MountInfo())
	// Output:
	// 2 1 0:2 / / rw,relatime - tmpfs none rw
	// 3 2 0:3 / /a rw,relatime shared:1 - tmpfs shared rw
	// 4 2 0:3 / /b rw,relatime shared:1 - tmpfs shared rw
	// 5 3 0:4 / /a/sub rw,relatime shared:2 - tmpfs inner rw
	// 6 4 0:4 / /b/sub rw,relatime shared:2 - tmpfs inner rw
}

// A lazy unmount takes the mount out of the tree at once; files open in
// it keep working.
func ExampleFsContext_Unmount() {
	c, _ := mountkit.Boot()
	defer c.Close()
	c.Mkdir("/m", 0o755)
	c.Mount("none", "/m", "tmpfs", 0, "")
	c.Chdir("/m")
	fmt.Println(c.Unmount("/m", mount.UnmountOptions{}))
	fmt.Println(c.Unmount("/m", mount.UnmountOptions{Detach: true}))
	_, err := c.Getcwd()
	fmt.Println(err)
	// Output:
	// device or resource busy
	// <nil>
	// no such file or directory
}

func ExampleFsContext_Mounts() {
	c, _ := mountkit.Boot()
	defer c.Close()
	c.Mkdir("/ro", 0o755)
	c.Mount("data", "/ro", "tmpfs", mount.MS_RDONLY|mount.MS_NODEV, "size=1m")
	fmt.Print(c.Mounts())
	// Output:
	// none / tmpfs rw,relatime 0 0
	// data /ro tmpfs ro,nodev,relatime,size=1024k 0 0
}
