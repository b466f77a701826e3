package script_test

import (
	"os"

	"github.com/mountkit/mountkit/script"
)

// A mount script runs on the library exactly as it would on Linux.
func Example() {
	src := []byte(`mkdir /mnt
mount scratch /mnt tmpfs MS_NOSUID "size=1m"
write /mnt/hello "hi\n"
cat /mnt/hello
umount2 /mnt 0
mount none /mnt/x tmpfs 0
mountinfo
`)
	p, err := script.Parse("example.mnt", src)
	if err != nil {
		panic(err)
	}
	if err := script.Run(p, script.NewLibrary(), os.Stdout); err != nil {
		panic(err)
	}
	// Output:
	// 1: ok
	// 2: ok
	// 3: ok
	// 4: "hi\n"
	// 5: ok
	// 6: ENOENT
	// 7: 2 1 0:2 / / rw,relatime - tmpfs none rw
}
