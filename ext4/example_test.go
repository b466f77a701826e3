package ext4_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/ext4"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// An image file of the namespace is bound to a loop device and mounted
// read-only, as losetup and mount do on Linux.
func Example() {
	img, err := os.ReadFile("testdata/fuzzbase.img")
	if err != nil {
		panic(err)
	}
	init, _ := mountkit.Boot()
	defer init.Close()
	f, _ := init.Open("/disk.img", vfs.O_WRONLY|vfs.O_CREAT, 0o644)
	f.Write(img)
	f.Close()

	dev, _ := init.Losetup("/disk.img")
	init.Mknod("/loop0", uint32(vfs.ModeBlockDevice|0o600), dev)
	init.Mkdir("/mnt", 0o755)
	if err := init.Mount("/loop0", "/mnt", "ext4", mount.MS_RDONLY, ""); err != nil {
		panic(err)
	}
	st, _ := init.Stat("/mnt/d/name-number-42")
	fmt.Println(vfs.Major(st.Dev), vfs.Minor(st.Dev), st.Mode.IsRegular())
	target, _ := init.Readlink("/mnt/l")
	fmt.Println(target)
	fmt.Println(init.Mount("/loop0", "/mnt", "ext4", 0, "")) // read-write while mounted read-only
	for _, line := range strings.Split(init.MountInfo(), "\n") {
		if strings.Contains(line, "ext4") {
			fmt.Println(line[strings.Index(line, " 7:"):])
		}
	}
	// Output:
	// 7 0 true
	// small
	// device or resource busy
	//  7:0 / /mnt ro,relatime - ext4 /loop0 ro
}

// Open reads an image without a mount layer; the result is a
// vfs.Filesystem.
func ExampleOpen() {
	f, err := os.Open("testdata/fuzzbase.img")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	fs, err := ext4.Open(f, st.Size(), "")
	if err != nil {
		panic(err)
	}
	small, _ := fs.Root().Lookup("small")
	h, _ := small.Open(vfs.O_RDONLY)
	buf := make([]byte, 16)
	n, _ := h.ReadAt(buf, 0)
	v, _ := small.Getxattr("user.a")
	fmt.Printf("%q %s\n", buf[:n], v)
	s, _ := fs.Statfs()
	fmt.Printf("%#x %d\n", s.Type, s.Bsize)
	// Output:
	// "hi\n" hello
	// 0xef53 1024
}

// OpenRW changes an image in place; Release writes everything back and
// marks it clean (what umount2 of the last mount does).
func ExampleOpenRW() {
	img, err := os.ReadFile("testdata/fuzzbase.img")
	if err != nil {
		panic(err)
	}
	tmp, err := os.CreateTemp("", "ext4-example-")
	if err != nil {
		panic(err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	tmp.Write(img)

	fs, err := ext4.OpenRW(tmp, int64(len(img)), "")
	if err != nil {
		panic(err)
	}
	n, _ := fs.Root().Create("greeting", vfs.CreateOpts{Mode: 0o644})
	h, _ := n.Open(vfs.O_WRONLY)
	h.WriteAt([]byte("hello, ext4\n"), 0)
	h.Close()
	fmt.Println(fs.Release())

	ro, _ := ext4.Open(tmp, int64(len(img)), "")
	g, _ := ro.Root().Lookup("greeting")
	a, _ := g.Getattr()
	fmt.Printf("%d %o\n", a.Size, a.Mode)
	// Output:
	// <nil>
	// 12 100644
}
