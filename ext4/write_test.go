package ext4_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mountkit/mountkit/ext4"
	"github.com/mountkit/mountkit/mount"
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

// openOrCreate opens the file called name in dir read-write, creating
// it empty first if it is missing.
func openOrCreate(t testing.TB, dir vfs.Inode, name string) (vfs.Inode, vfs.File) {
	f, err := dir.Lookup(name)
	if err == vfs.ENOENT {
		f = writeFile(t, dir, name, nil)
	} else {
		require.NoError(t, err)
	}
	h, err := f.Open(vfs.O_RDWR)
	require.NoError(t, err)
	return f, h
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
	for _, bs := range []string{"1024", "4096", "65536"} {
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

// TestWriteExtentDepth grows a file's extent tree to depth 2 (1 KiB
// blocks: 84 extents a leaf) with every other block written, checks it,
// and shrinks it back to depth 0 by truncation, with e2fsck -fn after
// each stage and the kernel reading it back as root.
func TestWriteExtentDepth(t *testing.T) {
	img := newImage(t, "32M", "-b", "1024")
	stage := func(n int, shrink int64, kernel bool) {
		fsys, fh := openRW(t, img)
		defer fh.Close()
		f, h := openOrCreate(t, fsys.Root(), "frag")
		want := readAll(t, f)
		for i := 0; i < n; i++ {
			// Every other block, backwards, so that no two extents merge
			// and each goes into the middle of the list.
			blk := int64(2 * (n - 1 - i))
			b := bytes.Repeat([]byte{byte(i) | 1}, 1024)
			_, err := h.WriteAt(b, blk*1024)
			require.NoError(t, err)
			if end := int((blk + 1) * 1024); end > len(want) {
				want = append(want, make([]byte, end-len(want))...)
			}
			copy(want[blk*1024:], b)
		}
		if shrink >= 0 {
			require.NoError(t, f.Setattr(&vfs.SetAttr{Mask: vfs.SetSize, Size: shrink}))
			want = want[:shrink]
		}
		require.Equal(t, want, readAll(t, f))
		a, err := f.Getattr()
		require.NoError(t, err)
		t.Logf("size %d blocks %d", a.Size, a.Blocks)
		require.NoError(t, fsys.Release())
		fsck(t, img)
		if isRoot() && kernel {
			kernelAgrees(t, img)
		}
	}
	stage(2000, -1, true)        // depth 2: 24 leaves under an index block
	stage(0, 2000*1024+7, false) // still depth 2, half the extents
	stage(0, 3*1024, true)       // depth 0
	stage(0, 0, false)
}

// TestOpenRWRefuses: what a read-write mount refuses, with Linux's
// errno, and the clean flag kept while mounted.
func TestOpenRWRefuses(t *testing.T) {
	img := newImage(t, "8M", "-b", "4096", "-O", "^metadata_csum")
	patch := func(off int64, or uint32) string {
		b, err := os.ReadFile(img)
		require.NoError(t, err)
		p := filepath.Join(t.TempDir(), "img")
		putLe32(b[1024+off:], le32(b[1024+off:])|or)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	open := func(p string) error {
		fh, err := os.OpenFile(p, os.O_RDWR, 0)
		require.NoError(t, err)
		defer fh.Close()
		st, _ := fh.Stat()
		_, err = ext4.OpenRW(fh, st.Size(), "")
		return err
	}
	// An ro_compat feature Linux does not know (Linux 6.18: EINVAL,
	// "couldn't mount RDWR because of unsupported optional features").
	require.Equal(t, vfs.EINVAL, open(patch(0x64, 0x80000000)))
	// quota, which this package would not keep right.
	require.Equal(t, vfs.EINVAL, open(patch(0x64, 0x100)))
	// needs_recovery with a journal: the journal is replayed first
	// (here an empty one), as Linux does, and the mount goes on; with
	// noload it is refused, as Linux's "required journal recovery
	// suppressed and not mounted read-only".
	// While mounted read-write the flag is set again, as on Linux
	// (the journal is in use); Release clears it.
	rec := patch(0x60, 0x4)
	fh, err := os.OpenFile(rec, os.O_RDWR, 0)
	require.NoError(t, err)
	st, err := fh.Stat()
	require.NoError(t, err)
	_, err = ext4.OpenRW(fh, st.Size(), "noload")
	require.Equal(t, vfs.EINVAL, err)
	rfs, err := ext4.OpenRW(fh, st.Size(), "")
	require.NoError(t, err)
	require.NoError(t, rfs.Release())
	require.NoError(t, fh.Close())
	rb, err := os.ReadFile(rec)
	require.NoError(t, err)
	require.Zero(t, le32(rb[1024+0x60:])&0x4, "needs_recovery left after Release")

	state := func() uint16 {
		b, err := os.ReadFile(img)
		require.NoError(t, err)
		return uint16(b[1024+0x3A]) | uint16(b[1024+0x3B])<<8
	}
	require.Equal(t, uint16(1), state()&1)
	fsys, fh := openRW(t, img)
	defer fh.Close()
	require.Equal(t, uint16(0), state()&1, "not clean while mounted read-write")
	require.NoError(t, fsys.Release())
	require.Equal(t, uint16(1), state()&1, "clean after release")
	fsck(t, img)
}

// TestWriteRemount: remounting read-only writes back and marks the
// image clean; read-write again marks it not clean; umount2 leaves it
// clean and e2fsck happy.
func TestWriteRemount(t *testing.T) {
	img, err := os.ReadFile(newImage(t, "8M", "-b", "4096"))
	require.NoError(t, err)
	c := libBoot(t, img)
	defer c.Close()
	clean := func() bool { return libImage(t, c)[1024+0x3A]&1 != 0 }
	require.False(t, clean())
	f, err := c.Open("/mnt/a", vfs.O_WRONLY|vfs.O_CREAT, 0o644)
	require.NoError(t, err)
	_, err = f.Write([]byte("hello"))
	require.NoError(t, err)
	require.Equal(t, vfs.EBUSY, c.Remount("/mnt", mount.MS_RDONLY, ""), "a file open for writing")
	require.NoError(t, f.Close())
	require.NoError(t, c.Remount("/mnt", mount.MS_RDONLY, ""))
	require.True(t, clean())
	require.Equal(t, vfs.EROFS, c.Mkdir("/mnt/d", 0o755))
	require.NoError(t, c.Remount("/mnt", 0, ""))
	require.False(t, clean())
	require.NoError(t, c.Mkdir("/mnt/d", 0o755))
	require.NoError(t, c.Umount2("/mnt", 0))
	require.True(t, clean())
	p := filepath.Join(t.TempDir(), "img")
	require.NoError(t, os.WriteFile(p, libImage(t, c), 0o644))
	fsck(t, p)
}

// TestWriteHtree adds thousands of names to an indexed directory (1 KiB
// and 4 KiB blocks): the leaves split and the index grows, the
// directory stays indexed, e2fsck -fn passes (it checks every leaf's
// hash range), lookups go through the index, and the kernel reads back
// what the library does.
func TestWriteHtree(t *testing.T) {
	needTools(t, "debugfs")
	for _, v := range []string{"1024", "4096", "1024-new", "4096-new"} {
		bs, fresh, _ := strings.Cut(v, "-")
		t.Run(v, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "src")
			require.NoError(t, os.MkdirAll(filepath.Join(src, "h"), 0o755))
			for i := range 400 {
				if fresh != "" {
					// A new directory: the library indexes it when its
					// first block is full.
					break
				}
				require.NoError(t, os.WriteFile(filepath.Join(src, "h", fmt.Sprintf("old-%04d", i)), nil, 0o644))
			}
			img := filepath.Join(t.TempDir(), "img")
			run(t, "truncate", "-s", "32M", img)
			run(t, "mkfs.ext4", "-q", "-F", "-b", bs, "-E", "root_owner=0:0", "-d", src, img)
			run(t, "e2fsck", "-fyD", img)
			fsys, fh := openRW(t, img)
			defer fh.Close()
			root := fsys.Root()
			h, err := root.Lookup("h")
			require.NoError(t, err)
			for i := range 1500 {
				writeFile(t, h, fmt.Sprintf("new-file-with-a-name-of-some-length-%05d", i), nil)
			}
			for i := 0; i < 400 && fresh == ""; i += 2 {
				require.NoError(t, h.Unlink(fmt.Sprintf("old-%04d", i)))
			}
			for i := 0; i < 1500; i += 3 {
				n := fmt.Sprintf("new-file-with-a-name-of-some-length-%05d", i)
				require.NoError(t, h.Rename(n, h, n+"-renamed", 0))
			}
			require.NoError(t, fsys.Release())
			fsck(t, img)
			out, err := exec.Command("debugfs", "-R", "stat /h", img).CombinedOutput()
			require.NoError(t, err)
			require.Regexp(t, `Flags: 0x[0-9a-f]*1[0-9a-f]{3}\b`, string(out), "still indexed")
			ro, err := ext4.Open(fh, 32<<20, "")
			require.NoError(t, err)
			rh, err := ro.Root().Lookup("h")
			require.NoError(t, err)
			for _, n := range []string{"new-file-with-a-name-of-some-length-00001", "new-file-with-a-name-of-some-length-00003-renamed"} {
				_, err := rh.Lookup(n)
				require.NoError(t, err, n)
			}
			if fresh == "" {
				_, err = rh.Lookup("old-0001")
				require.NoError(t, err)
				_, err = rh.Lookup("old-0000")
				require.Equal(t, vfs.ENOENT, err)
			}
			if isRoot() {
				kernelAgrees(t, img)
			}
		})
	}
}

// failingDisk fails every write once armed, as a dying device would.
type failingDisk struct {
	*os.File
	fail bool
}

func (d *failingDisk) WriteAt(p []byte, off int64) (int, error) {
	if d.fail {
		return 0, vfs.EIO
	}
	return d.File.WriteAt(p, off)
}

// TestWriteReleaseEIO: a writeback that cannot reach the device makes
// Release (and so umount2) EIO, and the image is left not clean.
func TestWriteReleaseEIO(t *testing.T) {
	img := newImage(t, "8M", "-b", "4096")
	fh, err := os.OpenFile(img, os.O_RDWR, 0)
	require.NoError(t, err)
	defer fh.Close()
	d := &failingDisk{File: fh}
	fsys, err := ext4.OpenRW(d, 8<<20, "")
	require.NoError(t, err)
	writeFile(t, fsys.Root(), "a", []byte("data"))
	d.fail = true
	require.Equal(t, vfs.EIO, fsys.Release())
	b := make([]byte, 2)
	_, err = fh.ReadAt(b, 1024+0x3A)
	require.NoError(t, err)
	require.Zero(t, b[0]&1, "not clean")
}

// TestWriteConcurrent runs writers in their own directories next to
// readers of the whole tree (for the race detector).
func TestWriteConcurrent(t *testing.T) {
	img := newImage(t, "32M", "-b", "1024")
	fsys, fh := openRW(t, img)
	defer fh.Close()
	root := fsys.Root()
	done := make(chan error, 6)
	for w := range 4 {
		go func() {
			done <- func() error {
				d, err := root.Mkdir(fmt.Sprintf("w%d", w), vfs.CreateOpts{Mode: 0o755})
				if err != nil {
					return err
				}
				for i := range 60 {
					name := fmt.Sprintf("f%d", i)
					n, err := d.Create(name, vfs.CreateOpts{Mode: 0o644})
					if err != nil {
						return err
					}
					h, err := n.Open(vfs.O_RDWR)
					if err != nil {
						return err
					}
					if _, err := h.WriteAt(bytes.Repeat([]byte{byte(i)}, 3000), int64(i*100)); err != nil {
						return err
					}
					buf := make([]byte, 100)
					if _, err := h.ReadAt(buf, int64(i*100)); err != nil {
						return err
					}
					if i%3 == 0 {
						if err := d.Unlink(name); err != nil {
							return err
						}
					}
				}
				return nil
			}()
		}()
	}
	for range 2 {
		go func() {
			done <- func() error {
				for range 30 {
					h, err := root.Open(vfs.O_RDONLY)
					if err != nil {
						return err
					}
					var names []string
					if err := h.(interface {
						ReadDir(uint64, func(vfs.DirEntry) bool) error
					}).ReadDir(0, func(e vfs.DirEntry) bool { names = append(names, e.Name); return true }); err != nil {
						return err
					}
					for _, n := range names {
						c, err := root.Lookup(n)
						if err == vfs.ENOENT {
							continue
						}
						if err != nil {
							return err
						}
						if _, err := c.Getattr(); err != nil {
							return err
						}
					}
					if _, err := fsys.Statfs(); err != nil {
						return err
					}
				}
				return nil
			}()
		}()
	}
	for range 6 {
		require.NoError(t, <-done)
	}
	require.NoError(t, fsys.Release())
	fsck(t, img)
}

// TestWriteBlockMap writes a block-mapped file (ext2, 1 KiB blocks)
// through its direct, single, double and triple indirect ranges, then
// truncates it back in stages; e2fsck -fn after each, and the kernel
// reads back what the library does.
func TestWriteBlockMap(t *testing.T) {
	needTools(t, "mkfs.ext2")
	img := filepath.Join(t.TempDir(), "img")
	run(t, "truncate", "-s", "32M", img)
	run(t, "mkfs.ext2", "-q", "-F", "-b", "1024", "-E", "root_owner=0:0", img)
	var want []byte
	stage := func(writes []int64, size int64, kernel bool) {
		fsys, fh := openRW(t, img)
		defer fh.Close()
		f, h := openOrCreate(t, fsys.Root(), "map")
		for i, off := range writes {
			b := bytes.Repeat([]byte{byte(i + 1)}, 1500)
			_, err := h.WriteAt(b, off)
			require.NoError(t, err)
			if end := int(off) + len(b); end > len(want) {
				want = append(want, make([]byte, end-len(want))...)
			}
			copy(want[off:], b)
		}
		if size >= 0 {
			require.NoError(t, f.Setattr(&vfs.SetAttr{Mask: vfs.SetSize, Size: size}))
			if int(size) < len(want) {
				want = want[:size]
			} else {
				want = append(want, make([]byte, int(size)-len(want))...)
			}
		}
		got := readAll(t, f)
		require.Equal(t, len(want), len(got))
		require.True(t, bytes.Equal(want, got))
		require.NoError(t, fsys.Release())
		fsck(t, img)
		if isRoot() && kernel {
			kernelAgrees(t, img)
		}
	}
	stage([]int64{0, 5000, 11 * 1024, 12*1024 + 100, 200 << 10, 300 << 10, 10 << 20, 67 << 20, 67<<20 + 70000}, -1, true)
	stage(nil, 10<<20+777, false) // the triple indirect tree goes
	stage(nil, 250<<10, true)     // the double one too
	stage([]int64{100 << 10}, 5000, false)
	stage(nil, 0, false)
}

// TestWriteWhiteout: RENAME_WHITEOUT leaves a 0:0 character device at
// the old name (what overlayfs asks of its upper layer).
func TestWriteWhiteout(t *testing.T) {
	img, err := os.ReadFile(newImage(t, "8M", "-b", "1024"))
	require.NoError(t, err)
	c := libBoot(t, img)
	defer c.Close()
	f, err := c.Open("/mnt/a", vfs.O_WRONLY|vfs.O_CREAT, 0o644)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, c.Mkdir("/mnt/d", 0o755))
	require.NoError(t, c.Renameat2("/mnt/a", "/mnt/d/b", vfs.RENAME_WHITEOUT))
	st, err := c.Lstat("/mnt/a")
	require.NoError(t, err)
	require.Equal(t, vfs.ModeCharDevice, st.Mode.Type())
	require.Zero(t, st.Rdev)
	st, err = c.Lstat("/mnt/d/b")
	require.NoError(t, err)
	require.True(t, st.Mode.IsRegular())
	require.NoError(t, c.Umount2("/mnt", 0))
	p := filepath.Join(t.TempDir(), "img")
	require.NoError(t, os.WriteFile(p, libImage(t, c), 0o644))
	fsck(t, p)
}

// TestWriteManyGroups fills blocks and inodes past the first groups of
// images whose other groups are BLOCK_UNINIT and INODE_UNINIT (flex_bg,
// metadata_csum; and gdt_csum without flex_bg), so that the allocator
// initialises their bitmaps; e2fsck -fn and the kernel agree.
func TestWriteManyGroups(t *testing.T) {
	for _, v := range []struct {
		name string
		opts []string
	}{
		{"flex-csum-1k", []string{"-b", "1024", "-N", "4096"}},
		{"noflex-gdtcsum-4k", []string{"-b", "4096", "-g", "2048", "-N", "2048", "-O", "^64bit,^flex_bg,^metadata_csum,uninit_bg"}},
	} {
		t.Run(v.name, func(t *testing.T) {
			img := newImage(t, "64M", v.opts...)
			fsys, fh := openRW(t, img)
			defer fh.Close()
			root := fsys.Root()
			big := bytes.Repeat([]byte("group-spanning data "), 30<<20/20)
			writeFile(t, root, "big", big)
			d, err := root.Mkdir("many", vfs.CreateOpts{Mode: 0o755})
			require.NoError(t, err)
			for i := range 1500 {
				writeFile(t, d, fmt.Sprintf("f%04d", i), []byte(fmt.Sprint(i)))
			}
			for i := range 30 {
				_, err := root.Mkdir(fmt.Sprintf("dir%02d", i), vfs.CreateOpts{Mode: 0o755})
				require.NoError(t, err)
			}
			n, err := root.Lookup("big")
			require.NoError(t, err)
			require.True(t, bytes.Equal(big, readAll(t, n)))
			require.NoError(t, fsys.Release())
			fsck(t, img)
			if isRoot() {
				kernelAgrees(t, img)
			}
		})
	}
}
