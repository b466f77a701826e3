package fsbackend_test

import (
	"fmt"
	"io/fs"
	"testing/fstest"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/fsbackend"
	"github.com/mountkit/mountkit/mount"
)

// Mount an fs.FS (here a MapFS; an embed.FS or a zip.Reader works the
// same) read-only in a namespace.
func Example() {
	assets := fstest.MapFS{"index.html": {Data: []byte("<h1>hi</h1>\n"), Mode: 0o644}}
	k := mountkit.NewKernel()
	k.RegisterFilesystem("assetfs", fsbackend.Type("assetfs", assets), false)
	init, err := k.Boot()
	if err != nil {
		panic(err)
	}
	defer init.Close()
	init.Mkdir("/srv", 0o755)
	if err := init.Mount("assets", "/srv", "assetfs", mount.MS_RDONLY|mount.MS_NODEV, ""); err != nil {
		panic(err)
	}
	b, _ := fs.ReadFile(init.FS(), "srv/index.html")
	fmt.Print(string(b))
	fmt.Println(init.Mkdir("/srv/new", 0o755))
	fmt.Print(init.MountInfo())
	// Output:
	// <h1>hi</h1>
	// read-only file system
	// 2 1 0:2 / / rw,relatime - tmpfs none rw
	// 3 2 0:3 / /srv ro,nodev,relatime - assetfs assets ro
}
