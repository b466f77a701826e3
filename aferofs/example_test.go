package aferofs_test

import (
	"fmt"
	"os"

	"github.com/spf13/afero"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/aferofs"
	"github.com/mountkit/mountkit/mount"
)

// Code written against afero runs in a mount namespace: here afero's
// helpers write into a tmpfs mounted on /data and hit a read-only mount.
func Example() {
	init, err := mountkit.Boot()
	if err != nil {
		panic(err)
	}
	defer init.Close()
	var fsys afero.Fs = aferofs.New(init)

	fsys.MkdirAll("/data/ro", 0o755)
	init.Mount("none", "/data", "tmpfs", 0, "size=1m")
	fsys.Mkdir("/data/ro", 0o755)
	init.Mount("none", "/data/ro", "tmpfs", mount.MS_RDONLY, "")

	afero.WriteFile(fsys, "/data/hello.txt", []byte("hello\n"), 0o644)
	b, _ := afero.ReadFile(fsys, "/data/hello.txt")
	fmt.Print(string(b))

	_, err = fsys.Create("/data/ro/x")
	fmt.Println(err, os.IsPermission(err))
	_, err = fsys.Stat("/data/missing")
	fmt.Println(os.IsNotExist(err), aferofs.Errno(err).Name())
	// Output:
	// hello
	// open /data/ro/x: read-only file system false
	// true ENOENT
}
