package ext4_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mountkit/mountkit/ext4"
	"github.com/mountkit/mountkit/vfs"
	"github.com/stretchr/testify/require"
)

// newImage makes an empty image with mkfs.ext4 and the given options.
func newImage(t testing.TB, size string, opts ...string) string {
	t.Helper()
	needTools(t, "mkfs.ext4", "e2fsck")
	img := filepath.Join(t.TempDir(), "img")
	run(t, "truncate", "-s", size, img)
	args := append(append([]string{}, opts...), "-q", "-F", "-E", "root_owner=0:0", img)
	run(t, "mkfs.ext4", args...)
	return img
}

// tb is what testing.TB and rapid.T share that the helpers need.
type tb interface {
	Helper()
	Errorf(format string, args ...any)
	FailNow()
}

// fsck requires e2fsck -fn to find nothing wrong with img.
func fsck(t tb, img string) {
	t.Helper()
	out, err := exec.Command("e2fsck", "-fn", img).CombinedOutput()
	require.NoError(t, err, "e2fsck -fn:\n%s", out)
}

// openRW opens img read-write through the library.
func openRW(t testing.TB, img string) (*ext4.FS, *os.File) {
	t.Helper()
	fh, err := os.OpenFile(img, os.O_RDWR, 0)
	require.NoError(t, err)
	st, err := fh.Stat()
	require.NoError(t, err)
	fsys, err := ext4.OpenRW(fh, st.Size(), "")
	require.NoError(t, err)
	return fsys, fh
}

func writeFile(t testing.TB, dir vfs.Inode, name string, data []byte) vfs.Inode {
	t.Helper()
	n, err := dir.Create(name, vfs.CreateOpts{Mode: 0o644})
	require.NoError(t, err)
	f, err := n.Open(vfs.O_RDWR)
	require.NoError(t, err)
	if len(data) > 0 {
		m, err := f.WriteAt(data, 0)
		require.NoError(t, err)
		require.Equal(t, len(data), m)
	}
	require.NoError(t, f.Close())
	return n
}

func readAll(t testing.TB, n vfs.Inode) []byte {
	t.Helper()
	a, err := n.Getattr()
	require.NoError(t, err)
	f, err := n.Open(vfs.O_RDONLY)
	require.NoError(t, err)
	b := make([]byte, a.Size)
	m, err := f.ReadAt(b, 0)
	require.NoError(t, err)
	require.Equal(t, int(a.Size), m)
	return b
}

func TestWriteBasic(t *testing.T) {
	for _, bs := range []string{"1024", "4096"} {
		t.Run(bs, func(t *testing.T) {
			img := newImage(t, "32M", "-b", bs)
			fsys, fh := openRW(t, img)
			defer fh.Close()
			root := fsys.Root()
			big := bytes.Repeat([]byte("0123456789abcdef"), 300000/16)
			writeFile(t, root, "big", big)
			writeFile(t, root, "empty", nil)
			for i := range 200 {
				writeFile(t, root, fmt.Sprintf("file-%03d", i), []byte(fmt.Sprint(i)))
			}
			for i := 0; i < 200; i += 3 {
				require.NoError(t, root.Unlink(fmt.Sprintf("file-%03d", i)))
			}
			n, err := root.Lookup("big")
			require.NoError(t, err)
			require.Equal(t, big, readAll(t, n))
			require.NoError(t, n.Setattr(&vfs.SetAttr{Mask: vfs.SetSize, Size: 5000}))
			require.Equal(t, big[:5000], readAll(t, n))
			require.NoError(t, fsys.Release())
			fsck(t, img)
		})
	}
}
