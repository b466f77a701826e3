package mount_test

import (
	"fmt"
	"io/fs"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/vfs"
)

// The io/fs view walks the tree a process sees, across its mounts.
func ExampleFsContext_FS() {
	init, err := mountkit.Boot()
	if err != nil {
		panic(err)
	}
	defer init.Close()
	init.Mkdir("/etc", 0o755)
	init.Mkdir("/run", 0o755)
	init.Mount("none", "/run", "tmpfs", 0, "")
	f, _ := init.Open("/run/pid", vfs.O_WRONLY|vfs.O_CREAT, 0o644)
	f.Write([]byte("1\n"))
	f.Close()
	init.Symlink("../run/pid", "/etc/pid")

	fsys := init.FS()
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		fmt.Println(p, d.Type())
		return err
	})
	target, _ := fs.ReadLink(fsys, "etc/pid")
	data, _ := fs.ReadFile(fsys, "etc/pid")
	fmt.Printf("%s -> %s: %q\n", "etc/pid", target, data)
	_, err = fs.Stat(fsys, "etc/missing")
	fmt.Println(err)
	// Output:
	// . d---------
	// etc d---------
	// etc/pid L---------
	// run d---------
	// run/pid ----------
	// etc/pid -> ../run/pid: "1\n"
	// stat etc/missing: no such file or directory
}
