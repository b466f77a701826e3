package ext4_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mountkit/mountkit/internal/testenv"
	"github.com/mountkit/mountkit/vfs"
	"github.com/stretchr/testify/require"
)

// TestWriteOnKernelImage: the library changes an image the kernel wrote
// (unwritten extents, a depth-2 extent tree, a 3,060-entry htree
// directory, xattr blocks, ACLs), e2fsck -fn passes and the kernel reads
// back what the library does; then the kernel writes on top and the
// library reads back what the kernel does.
func TestWriteOnKernelImage(t *testing.T) {
	if !isRoot() {
		t.Skip("the kernel-written image and the kernel readback need root")
	}
	if testenv.Emulated() {
		t.Skip("re-executes its binary under unshare(1)")
	}
	c := libBoot(t, fixtureImage(t, "kernel-4k"))
	defer c.Close()
	put := func(p string, off int64, data string) {
		f, err := c.Open("/mnt/"+p, vfs.O_WRONLY|vfs.O_CREAT, 0o644)
		require.NoError(t, err, p)
		_, err = f.WriteAt([]byte(data), off)
		require.NoError(t, err, p)
		require.NoError(t, f.Close())
	}
	put("prealloc", 100000, "into the unwritten extent")
	put("prealloc", 1<<20+5, "past the preallocation")
	require.NoError(t, c.Truncate("/mnt/fragmented", 8192*1000+1))
	put("fragmented", 8192*1500, "end")
	for i := 0; i < 3000; i += 6 {
		require.NoError(t, c.Unlink(fmt.Sprintf("/mnt/big/entry-%05d-%s", i, strings.Repeat("q", i%40))))
	}
	for i := range 300 {
		put(fmt.Sprintf("big/new-%d", i), 0, fmt.Sprint(i))
	}
	for i := 1; i < 3000; i += 50 {
		n := fmt.Sprintf("entry-%05d-%s", i, strings.Repeat("q", i%40))
		require.NoError(t, c.Rename("/mnt/big/"+n, "/mnt/mid/d000/"+n))
	}
	for i := 100; i < 150; i++ {
		require.NoError(t, c.Rmdir(fmt.Sprintf("/mnt/mid/d%03d", i)))
	}
	require.NoError(t, c.Rename("/mnt/sub", "/mnt/mid/sub2"))
	require.NoError(t, c.Rename("/mnt/mid/d001", "/mnt/mid/d002"))
	require.NoError(t, c.Link("/mnt/f100", "/mnt/mid/hard3"))
	require.NoError(t, c.Unlink("/mnt/hard1"))
	require.NoError(t, c.Unlink("/mnt/sparse"))
	require.NoError(t, c.Unlink("/mnt/huge"))
	require.NoError(t, c.Symlink(strings.Repeat("s", 200), "/mnt/mid/slow"))
	require.NoError(t, c.Symlink("x", "/mnt/mid/fast"))
	loc, err := c.Resolve("/mnt/f61", false)
	require.NoError(t, err)
	in := loc.Dentry.Inode()
	require.NoError(t, in.Setxattr("user.new", []byte("a new value"), 0))
	require.NoError(t, in.Removexattr("user.small"))
	require.NoError(t, c.Umount2("/mnt", 0))

	img := filepath.Join(t.TempDir(), "img")
	require.NoError(t, os.WriteFile(img, libImage(t, c), 0o644))
	fsck(t, img)
	kernelAgrees(t, img)

	// The kernel writes on top; the library reads it back.
	mnt := filepath.Join(t.TempDir(), "mnt")
	require.NoError(t, os.Mkdir(mnt, 0o755))
	script := fmt.Sprintf(`mount -o loop %[1]s %[2]s && echo kernel > %[2]s/big/new-1 && rm %[2]s/big/new-2 && mkdir %[2]s/kdir && echo more >> %[2]s/prealloc && mv %[2]s/mid/sub2 %[2]s/kdir/; rc=$?; umount %[2]s; exit $rc`, img, mnt)
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script).CombinedOutput()
	require.NoError(t, err, "%s", out)
	fsck(t, img)
	kernelAgrees(t, img)
}

// TestWriteEAInode: on an ea_inode image, the file whose xattr value
// lives in its own inode keeps its last link (EOPNOTSUPP) and its
// xattrs; everything else changes, and e2fsck -fn passes.
func TestWriteEAInode(t *testing.T) {
	if !isRoot() {
		t.Skip("the kernel-written ea_inode image needs root")
	}
	c := libBoot(t, fixtureImage(t, "kernel-ea_inode"))
	defer c.Close()
	require.Equal(t, vfs.EOPNOTSUPP, c.Unlink("/mnt/f65536"))
	loc, err := c.Resolve("/mnt/f65536", false)
	require.NoError(t, err)
	require.Equal(t, vfs.EOPNOTSUPP, loc.Dentry.Inode().Setxattr("user.x", []byte("y"), 0))
	require.NoError(t, c.Link("/mnt/f65536", "/mnt/second"))
	require.NoError(t, c.Unlink("/mnt/second"))
	require.NoError(t, c.Unlink("/mnt/f4097"))
	require.NoError(t, c.Mkdir("/mnt/new", 0o755))
	require.NoError(t, c.Umount2("/mnt", 0))
	img := filepath.Join(t.TempDir(), "img")
	require.NoError(t, os.WriteFile(img, libImage(t, c), 0o644))
	fsck(t, img)
}

// TestWriteOverlayUpper uses a read-write ext4 mount as an overlay's
// upper layer (trusted.overlay.* xattrs, whiteouts, copy-up, opaque
// directories); the image then passes e2fsck -fn.
func TestWriteOverlayUpper(t *testing.T) {
	img, err := os.ReadFile(newImage(t, "16M", "-b", "4096"))
	require.NoError(t, err)
	c := libBoot(t, img)
	defer c.Close()
	for _, d := range []string{"/lower", "/lower/dir", "/mnt/up", "/mnt/work", "/merged"} {
		require.NoError(t, c.Mkdir(d, 0o755))
	}
	for _, p := range []string{"/lower/a", "/lower/dir/b", "/lower/gone"} {
		f, err := c.Open(p, vfs.O_WRONLY|vfs.O_CREAT, 0o644)
		require.NoError(t, err)
		_, err = f.Write([]byte("lower " + p))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	}
	require.NoError(t, c.Mount("overlay", "/merged", "overlay", 0, "lowerdir=/lower,upperdir=/mnt/up,workdir=/mnt/work"))
	f, err := c.Open("/merged/a", vfs.O_WRONLY|vfs.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte(" and upper"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, c.Unlink("/merged/gone"))
	require.Equal(t, vfs.EXDEV, c.Rename("/merged/dir", "/merged/dir2"), "no redirect_dir")
	require.NoError(t, c.Rename("/merged/dir/b", "/merged/b2"))
	require.NoError(t, c.Mkdir("/merged/new", 0o700))
	require.NoError(t, c.Umount2("/merged", 0))
	st, err := c.Lstat("/mnt/up/gone")
	require.NoError(t, err)
	require.Equal(t, vfs.ModeCharDevice, st.Mode.Type(), "a whiteout")
	require.NoError(t, c.Umount2("/mnt", 0))
	p := filepath.Join(t.TempDir(), "img")
	require.NoError(t, os.WriteFile(p, libImage(t, c), 0o644))
	fsck(t, p)
}

// fixtureImage returns the bytes of the fixture called name.
func fixtureImage(t *testing.T, name string) []byte {
	for _, fx := range fixtures {
		if fx.name == name {
			b, err := os.ReadFile(image(t, fx))
			require.NoError(t, err)
			return b
		}
	}
	t.Fatalf("no fixture %s", name)
	return nil
}
