//go:build linux

package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
)

// The ext4 write benchmarks start every iteration from the same empty
// 256 MiB image (4 KiB blocks, mkfs.ext4 defaults): the library mounts
// it read-write from a loop device over its own tmpfs copy; the kernel
// from a loop device over a copy on a host tmpfs, in a private mount
// namespace. Both count the writeback: the library's fsync and umount,
// the kernel's fsync and umount.

const ext4WriteFiles = 10000

var ext4Empty struct {
	once sync.Once
	img  []byte
	err  error
}

func ext4EmptyImage(b *testing.B) []byte {
	for _, tool := range []string{"mkfs.ext4"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s not installed (e2fsprogs)", tool)
		}
	}
	ext4Empty.once.Do(func() {
		dir, err := os.MkdirTemp("", "mountkit-ext4w-bench-")
		if err != nil {
			ext4Empty.err = err
			return
		}
		defer os.RemoveAll(dir)
		img := filepath.Join(dir, "img")
		for _, c := range [][]string{
			{"truncate", "-s", "256M", img},
			{"mkfs.ext4", "-q", "-F", "-b", "4096", img},
		} {
			if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
				ext4Empty.err = fmt.Errorf("%v: %v\n%s", c, err, out)
				return
			}
		}
		ext4Empty.img, ext4Empty.err = os.ReadFile(img)
	})
	if ext4Empty.err != nil {
		b.Fatal(ext4Empty.err)
	}
	return ext4Empty.img
}

// libExt4RW boots a library kernel with a fresh copy of the empty image
// mounted read-write at /mnt.
func libExt4RW(b *testing.B) *mount.FsContext {
	return libLoopMount(b, bytes.NewReader(ext4EmptyImage(b)), 0)
}

// kernelExt4RW mounts a fresh copy of the empty image read-write from a
// free loop device under dir and returns the mount point and the
// unmount (which detaches the loop device too).
func kernelExt4RW(b *testing.B, dir string) (string, func()) {
	img := filepath.Join(dir, "img")
	require.NoError(b, os.WriteFile(img, ext4EmptyImage(b), 0o644))
	mnt := filepath.Join(dir, "mnt")
	umount := kernelLoopMount(b, img, mnt, 0)
	return mnt, func() {
		umount()
		os.Remove(img)
	}
}

type writer interface {
	Write(p []byte) (int, error)
	Sync() error
	Close() error
}

func writeSeq(b *testing.B, f writer) {
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	for range ext4FileSize / len(buf) {
		if _, err := f.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	require.NoError(b, f.Sync())
	require.NoError(b, f.Close())
}

// BenchmarkExt4Write100M writes a 100 MiB file sequentially in 1 MiB
// writes, with fsync and umount (MB/s).
func BenchmarkExt4Write100M(b *testing.B) {
	b.Run("mountkit", func(b *testing.B) {
		b.SetBytes(ext4FileSize)
		for range b.N {
			b.StopTimer()
			c := libExt4RW(b)
			b.StartTimer()
			f, err := c.Open("/mnt/big", vfs.O_WRONLY|vfs.O_CREAT, 0o644)
			require.NoError(b, err)
			writeSeq(b, f)
			require.NoError(b, c.Umount2("/mnt", 0))
			b.StopTimer()
			c.Close()
			b.StartTimer()
		}
	})
	b.Run("kernel", func(b *testing.B) {
		_, dir := newKernelWorld(b)
		b.SetBytes(ext4FileSize)
		for range b.N {
			b.StopTimer()
			mnt, umount := kernelExt4RW(b, dir)
			b.StartTimer()
			f, err := os.OpenFile(filepath.Join(mnt, "big"), os.O_WRONLY|os.O_CREATE, 0o644)
			require.NoError(b, err)
			writeSeq(b, f)
			umount()
		}
	})
}

// BenchmarkExt4Create10k creates 10,000 empty files in one directory,
// then syncs and unmounts (files/s).
func BenchmarkExt4Create10k(b *testing.B) {
	b.Run("mountkit", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			c := libExt4RW(b)
			require.NoError(b, c.Mkdir("/mnt/d", 0o755))
			b.StartTimer()
			for i := range ext4WriteFiles {
				f, err := c.Open(fmt.Sprintf("/mnt/d/file-%05d", i), vfs.O_WRONLY|vfs.O_CREAT|vfs.O_EXCL, 0o644)
				if err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
			require.NoError(b, c.Umount2("/mnt", 0))
			b.StopTimer()
			c.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(ext4WriteFiles*b.N)/b.Elapsed().Seconds(), "files/s")
	})
	b.Run("kernel", func(b *testing.B) {
		_, dir := newKernelWorld(b)
		for range b.N {
			b.StopTimer()
			mnt, umount := kernelExt4RW(b, dir)
			d := filepath.Join(mnt, "d")
			require.NoError(b, os.Mkdir(d, 0o755))
			b.StartTimer()
			for i := range ext4WriteFiles {
				fd, err := syscall.Open(filepath.Join(d, fmt.Sprintf("file-%05d", i)), syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL, 0o644)
				if err != nil {
					b.Fatal(err)
				}
				syscall.Close(fd)
			}
			syscall.Sync()
			umount()
		}
		b.ReportMetric(float64(ext4WriteFiles*b.N)/b.Elapsed().Seconds(), "files/s")
	})
}
