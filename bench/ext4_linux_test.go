//go:build linux

package bench

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// The ext4 benchmarks read one image, built once per run with
// e2fsprogs: a 100 MiB file and a 3,000-entry directory indexed by
// e2fsck -D. The library mounts it from a loop device over its own
// tmpfs copy of the image; the kernel from a loop device over the host
// file, in a private mount namespace, with a warm page cache.

const (
	ext4FileSize = 100 << 20
	ext4Entries  = 3000
)

var ext4Image struct {
	once sync.Once
	path string
	err  error
}

func ext4Img(b *testing.B) string {
	for _, tool := range []string{"mkfs.ext4", "e2fsck"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s not installed (e2fsprogs)", tool)
		}
	}
	ext4Image.once.Do(func() {
		dir, err := os.MkdirTemp("", "mountkit-ext4-bench-")
		if err != nil {
			ext4Image.err = err
			return
		}
		src := filepath.Join(dir, "src")
		ext4Image.err = func() error {
			if err := os.MkdirAll(filepath.Join(src, "htree"), 0o755); err != nil {
				return err
			}
			data := make([]byte, ext4FileSize)
			rng := rand.New(rand.NewPCG(3, 4))
			for i := 0; i+8 <= len(data); i += 8 {
				v := rng.Uint64()
				for j := range 8 {
					data[i+j] = byte(v >> (8 * j))
				}
			}
			if err := os.WriteFile(filepath.Join(src, "big"), data, 0o644); err != nil {
				return err
			}
			for i := range ext4Entries {
				if err := os.WriteFile(filepath.Join(src, "htree", fmt.Sprintf("file-%05d", i)), nil, 0o644); err != nil {
					return err
				}
			}
			img := filepath.Join(dir, "img")
			for _, c := range [][]string{
				{"truncate", "-s", "140M", img},
				{"mkfs.ext4", "-q", "-F", "-b", "4096", "-d", src, img},
				{"e2fsck", "-fyD", img},
			} {
				out, err := exec.Command(c[0], c[1:]...).CombinedOutput()
				if ee, ok := err.(*exec.ExitError); err != nil && !(ok && c[0] == "e2fsck" && ee.ExitCode() <= 1) {
					return fmt.Errorf("%v: %v\n%s", c, err, out)
				}
			}
			ext4Image.path = img
			return os.RemoveAll(src)
		}()
	})
	if ext4Image.err != nil {
		b.Fatal(ext4Image.err)
	}
	return ext4Image.path
}

// libExt4 mounts the image on a library kernel at /mnt.
func libExt4(b *testing.B) *mount.FsContext {
	src, err := os.Open(ext4Img(b))
	require.NoError(b, err)
	defer src.Close()
	c := libLoopMount(b, src, mount.MS_RDONLY)
	b.Cleanup(func() { c.Close() })
	return c
}

// libLoopMount boots a library kernel, copies src to its /img and mounts
// that, with flags, at /mnt through a loop device.
func libLoopMount(b *testing.B, src io.Reader, flags uint64) *mount.FsContext {
	c, err := mountkit.Boot()
	require.NoError(b, err)
	f, err := c.Open("/img", vfs.O_WRONLY|vfs.O_CREAT, 0o644)
	require.NoError(b, err)
	_, err = io.Copy(f, src)
	require.NoError(b, err)
	require.NoError(b, f.Close())
	dev, err := c.Losetup("/img")
	require.NoError(b, err)
	require.NoError(b, c.Mknod("/loop0", uint32(vfs.ModeBlockDevice|0o600), dev))
	require.NoError(b, c.Mkdir("/mnt", 0o755))
	require.NoError(b, c.Mount("/loop0", "/mnt", "ext4", flags, ""))
	return c
}

// kernelExt4 mounts the image read-only from a free loop device in the
// benchmark thread's private namespace and returns the mount point.
func kernelExt4(b *testing.B) string {
	_, dir := newKernelWorld(b)
	mnt := filepath.Join(dir, "mnt")
	umount := kernelLoopMount(b, ext4Img(b), mnt, syscall.MS_RDONLY)
	b.Cleanup(umount)
	return mnt
}

// kernelLoopMount attaches img to a free loop device and mounts it, with
// flags, on mnt (made if missing); the function returned unmounts it and
// detaches the device.
func kernelLoopMount(b *testing.B, img, mnt string, flags uintptr) func() {
	mode := os.O_RDWR
	if flags&syscall.MS_RDONLY != 0 {
		mode = os.O_RDONLY
	}
	backing, err := os.OpenFile(img, mode, 0)
	require.NoError(b, err)
	defer backing.Close()
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		b.Skipf("no loop devices: %v", err)
	}
	defer ctl.Close()
	n, _, e := syscall.Syscall(syscall.SYS_IOCTL, ctl.Fd(), 0x4C82, 0) // LOOP_CTL_GET_FREE
	require.Zero(b, e)
	loop, err := os.OpenFile(fmt.Sprintf("/dev/loop%d", n), mode, 0)
	require.NoError(b, err)
	_, _, e = syscall.Syscall(syscall.SYS_IOCTL, loop.Fd(), 0x4C00, backing.Fd()) // LOOP_SET_FD
	require.Zero(b, e)
	require.NoError(b, os.MkdirAll(mnt, 0o755))
	require.NoError(b, syscall.Mount(loop.Name(), mnt, "ext4", flags, ""))
	return func() {
		require.NoError(b, syscall.Unmount(mnt, 0))
		syscall.Syscall(syscall.SYS_IOCTL, loop.Fd(), 0x4C01, 0) // LOOP_CLR_FD
		loop.Close()
	}
}

type reader interface {
	Read(p []byte) (int, error)
	Close() error
}

// readAll reads a whole file with 1 MiB reads and returns the count.
func readAll(b *testing.B, open func() (reader, error)) int64 {
	f, err := open()
	require.NoError(b, err)
	defer f.Close()
	buf := make([]byte, 1<<20)
	var total int64
	for {
		n, err := f.Read(buf)
		total += int64(n)
		if err == io.EOF || n == 0 {
			return total
		}
		require.NoError(b, err)
	}
}

// BenchmarkExt4Read100M reads the 100 MiB file sequentially (MB/s):
// mountkit's ext4 over its loop device against the kernel's loop mount,
// warm.
func BenchmarkExt4Read100M(b *testing.B) {
	b.Run("mountkit", func(b *testing.B) {
		c := libExt4(b)
		open := func() (reader, error) { return c.Open("/mnt/big", vfs.O_RDONLY, 0) }
		readAll(b, open)
		b.SetBytes(ext4FileSize)
		for b.Loop() {
			if readAll(b, open) != ext4FileSize {
				b.Fatal("short read")
			}
		}
	})
	b.Run("kernel", func(b *testing.B) {
		mnt := kernelExt4(b)
		open := func() (reader, error) { return os.Open(filepath.Join(mnt, "big")) }
		readAll(b, open)
		b.SetBytes(ext4FileSize)
		for b.Loop() {
			if readAll(b, open) != ext4FileSize {
				b.Fatal("short read")
			}
		}
	})
}

// BenchmarkExt4HtreeList lists the 3,000-entry directory (entries/s).
func BenchmarkExt4HtreeList(b *testing.B) {
	b.Run("mountkit", func(b *testing.B) {
		c := libExt4(b)
		for b.Loop() {
			f, err := c.Open("/mnt/htree", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
			require.NoError(b, err)
			ents, err := f.ReadDir(0)
			require.NoError(b, err)
			f.Close()
			if len(ents) != ext4Entries+2 {
				b.Fatalf("%d entries", len(ents))
			}
		}
		b.ReportMetric(float64(ext4Entries*b.N)/b.Elapsed().Seconds(), "entries/s")
	})
	b.Run("kernel", func(b *testing.B) {
		mnt := kernelExt4(b)
		for b.Loop() {
			f, err := os.Open(filepath.Join(mnt, "htree"))
			require.NoError(b, err)
			names, err := f.Readdirnames(-1)
			require.NoError(b, err)
			f.Close()
			if len(names) != ext4Entries {
				b.Fatalf("%d entries", len(names))
			}
		}
		b.ReportMetric(float64(ext4Entries*b.N)/b.Elapsed().Seconds(), "entries/s")
	})
}

// BenchmarkExt4HtreeLookup looks one name up in the 3,000-entry
// directory. "ext4-index" calls the backend's Lookup, below the dentry
// cache, so that every iteration walks the htree; "mountkit" and
// "kernel" stat through the whole stack (both answer from their dentry
// caches once warm).
func BenchmarkExt4HtreeLookup(b *testing.B) {
	names := make([]string, ext4Entries)
	for i := range names {
		names[i] = fmt.Sprintf("file-%05d", i)
	}
	b.Run("ext4-index", func(b *testing.B) {
		c := libExt4(b)
		loc, err := c.Resolve("/mnt/htree", true)
		require.NoError(b, err)
		dir := loc.Dentry.Inode()
		i := 0
		for b.Loop() {
			if _, err := dir.Lookup(names[i%ext4Entries]); err != nil {
				b.Fatal(err)
			}
			i += 7
		}
	})
	b.Run("mountkit", func(b *testing.B) {
		c := libExt4(b)
		i := 0
		for b.Loop() {
			if _, err := c.Stat("/mnt/htree/" + names[i%ext4Entries]); err != nil {
				b.Fatal(err)
			}
			i += 7
		}
	})
	b.Run("kernel", func(b *testing.B) {
		mnt := kernelExt4(b)
		i := 0
		var st syscall.Stat_t
		for b.Loop() {
			if err := syscall.Stat(filepath.Join(mnt, "htree", names[i%ext4Entries]), &st); err != nil {
				b.Fatal(err)
			}
			i += 7
		}
	})
}
