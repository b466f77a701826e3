package overlay_test

import (
	"fmt"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/vfs"
)

// An overlay of a lower and an upper directory: writing a lower file
// copies it up, removing one leaves a whiteout in the upper layer.
func Example() {
	c, _ := mountkit.Boot()
	defer c.Close()
	for _, d := range []string{"/lower", "/upper", "/work", "/merged"} {
		c.Mkdir(d, 0o755)
	}
	for _, name := range []string{"/lower/a", "/lower/b"} {
		f, _ := c.Open(name, vfs.O_WRONLY|vfs.O_CREAT, 0o644)
		f.Write([]byte("lower data"))
		f.Close()
	}
	err := c.Mount("overlay", "/merged", "overlay", 0, "lowerdir=/lower,upperdir=/upper,workdir=/work")
	fmt.Println("mount:", err)

	f, _ := c.Open("/merged/a", vfs.O_WRONLY|vfs.O_APPEND, 0)
	f.Write([]byte(", changed"))
	f.Close()
	c.Unlink("/merged/b")

	for _, dir := range []string{"/merged", "/upper"} {
		d, _ := c.Open(dir, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
		es, _ := d.ReadDir(-1)
		d.Close()
		for _, e := range es {
			if e.Name == "." || e.Name == ".." {
				continue
			}
			st, _ := c.Lstat(dir + "/" + e.Name)
			kind := "file"
			if st.Mode.Type() == vfs.ModeCharDevice && st.Rdev == 0 {
				kind = "whiteout"
			}
			fmt.Printf("%s/%s: %s, %d bytes\n", dir, e.Name, kind, st.Size)
		}
	}
	// Output:
	// mount: <nil>
	// /merged/a: file, 19 bytes
	// /upper/a: file, 19 bytes
	// /upper/b: whiteout, 0 bytes
}
