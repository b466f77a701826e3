package memfs_test

import (
	"fmt"

	"github.com/mountkit/mountkit/memfs"
	"github.com/mountkit/mountkit/vfs"
)

func Example() {
	opts, err := memfs.ParseOptions("size=1m,mode=0755,nr_inodes=100")
	if err != nil {
		panic(err)
	}
	fsys := memfs.New(opts)
	fmt.Println(fsys.Type(), fsys.Options())

	root := fsys.Root()
	f, _ := root.Create("hello.txt", vfs.CreateOpts{Mode: 0o644})
	w, _ := f.Open(vfs.O_WRONLY)
	w.WriteAt([]byte("hello, tmpfs\n"), 0)
	w.Close()

	a, _ := f.Getattr()
	fmt.Printf("ino=%d size=%d blocks=%d\n", a.Ino, a.Size, a.Blocks)

	d, _ := root.Open(vfs.O_RDONLY | vfs.O_DIRECTORY)
	d.ReadDir(2, func(e vfs.DirEntry) bool {
		fmt.Println(e.Name, e.Next)
		return true
	})
	d.Close()

	st, _ := fsys.Statfs()
	fmt.Printf("blocks %d free %d, files %d free %d\n", st.Blocks, st.Bfree, st.Files, st.Ffree)
	// Output:
	// tmpfs size=1024k,nr_inodes=100,mode=755
	// ino=2 size=13 blocks=8
	// hello.txt 3
	// blocks 256 free 255, files 100 free 98
}
