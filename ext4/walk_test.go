package ext4_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/mountkit/mountkit/internal/testenv"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
	"github.com/stretchr/testify/require"
)

func le32(b []byte) uint32       { return binary.LittleEndian.Uint32(b) }
func putLe32(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }

// fixSuperCsum recomputes a metadata_csum superblock's checksum.
func fixSuperCsum(sb []byte) {
	if le32(sb[0x64:])&0x400 == 0 {
		return
	}
	c := ^crc32.Update(0, crc32.MakeTable(crc32.Castagnoli), sb[:0x3FC])
	putLe32(sb[0x3FC:], c)
}

// fileInfo is what the walk records of one file: everything stat,
// readlink, read and the xattr calls tell.
type fileInfo struct {
	mode, nlink, uid, gid uint32
	ino                   uint64
	size, blocks          int64
	rdev                  uint64
	atime, mtime, ctime   vfs.Timespec
}

// walker is one side of the differential: the kernel's mount or the
// library's.
type walker interface {
	lstat(p string) (fileInfo, error)
	readlink(p string) (string, error)
	read(p string) ([]byte, error)
	readAt(p string, off int64, n int) ([]byte, error)
	list(p string) ([]string, error)
	xattrs(p string) (map[string]string, error)
}

// walk lists every file under root as one line each, sorted.
func walk(w walker) ([]string, error) {
	var out []string
	queue := []string{"."}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		st, err := w.lstat(p)
		if err != nil {
			return nil, fmt.Errorf("lstat %s: %w", p, err)
		}
		line := fmt.Sprintf("%q ino=%d mode=%o nlink=%d uid=%d gid=%d size=%d blocks=%d rdev=%d:%d atime=%d.%09d mtime=%d.%09d ctime=%d.%09d",
			p, st.ino, st.mode, st.nlink, st.uid, st.gid, st.size, st.blocks, vfs.Major(st.rdev), vfs.Minor(st.rdev),
			st.atime.Sec, st.atime.Nsec, st.mtime.Sec, st.mtime.Nsec, st.ctime.Sec, st.ctime.Nsec)
		switch vfs.Mode(st.mode).Type() {
		case vfs.ModeSymlink:
			tgt, err := w.readlink(p)
			if err != nil {
				return nil, fmt.Errorf("readlink %s: %w", p, err)
			}
			line += fmt.Sprintf(" target=%q", tgt)
		case vfs.ModeRegular:
			var b []byte
			if st.size <= 64<<20 {
				b, err = w.read(p)
			} else {
				// A huge sparse file: its first and last MiB.
				var head, tail []byte
				if head, err = w.readAt(p, 0, 1<<20); err == nil {
					tail, err = w.readAt(p, st.size-1<<20, 1<<20)
				}
				b = append(head, tail...)
			}
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", p, err)
			}
			sum := sha256.Sum256(b)
			line += fmt.Sprintf(" read=%d sha256=%s", len(b), hex.EncodeToString(sum[:8]))
		case vfs.ModeDir:
			names, err := w.list(p)
			if err != nil {
				return nil, fmt.Errorf("readdir %s: %w", p, err)
			}
			// getdents order: block order, or hash order for an
			// indexed directory.
			order := sha256.Sum256([]byte(strings.Join(names, "/")))
			sort.Strings(names)
			line += fmt.Sprintf(" entries=%d order=%x", len(names), order[:6])
			for _, n := range names {
				queue = append(queue, path.Join(p, n))
			}
		}
		if t := vfs.Mode(st.mode).Type(); t == vfs.ModeRegular || t == vfs.ModeDir {
			xs, err := w.xattrs(p)
			if err != nil {
				return nil, fmt.Errorf("xattrs %s: %w", p, err)
			}
			var keys []string
			for k := range xs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				line += fmt.Sprintf(" xattr:%s=%q", k, xs[k])
			}
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out, nil
}

// hostWalker walks a directory of the host (the kernel's mount).
type hostWalker struct{ root string }

func (h hostWalker) abs(p string) string { return filepath.Join(h.root, p) }

func (h hostWalker) lstat(p string) (fileInfo, error) {
	var st syscall.Stat_t
	if err := syscall.Lstat(h.abs(p), &st); err != nil {
		return fileInfo{}, err
	}
	return fileInfo{mode: st.Mode, nlink: uint32(st.Nlink), uid: st.Uid, gid: st.Gid, ino: st.Ino,
		size: st.Size, blocks: st.Blocks, rdev: st.Rdev,
		atime: vfs.Timespec{Sec: st.Atim.Sec, Nsec: st.Atim.Nsec},
		mtime: vfs.Timespec{Sec: st.Mtim.Sec, Nsec: st.Mtim.Nsec},
		ctime: vfs.Timespec{Sec: st.Ctim.Sec, Nsec: st.Ctim.Nsec}}, nil
}
func (h hostWalker) readlink(p string) (string, error) { return os.Readlink(h.abs(p)) }
func (h hostWalker) read(p string) ([]byte, error)     { return os.ReadFile(h.abs(p)) }
func (h hostWalker) readAt(p string, off int64, n int) ([]byte, error) {
	f, err := os.Open(h.abs(p))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	m, err := f.ReadAt(b, off)
	if err == io.EOF {
		err = nil
	}
	return b[:m], err
}

func (h hostWalker) list(p string) ([]string, error) {
	f, err := os.Open(h.abs(p))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1) // in getdents order
}
func (h hostWalker) xattrs(p string) (map[string]string, error) {
	buf := make([]byte, 64<<10)
	n, err := syscall.Listxattr(h.abs(p), buf)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if name == "" {
			continue
		}
		v := make([]byte, 64<<10)
		k, err := syscall.Getxattr(h.abs(p), name, v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		m[name] = string(v[:k])
	}
	return m, nil
}

// libWalker walks the library's mount at /mnt.
type libWalker struct{ c *mount.FsContext }

func (l libWalker) abs(p string) string { return path.Join("/mnt", p) }

func (l libWalker) lstat(p string) (fileInfo, error) {
	st, err := l.c.Lstat(l.abs(p))
	if err != nil {
		return fileInfo{}, err
	}
	return fileInfo{mode: uint32(st.Mode), nlink: st.Nlink, uid: st.UID, gid: st.GID, ino: st.Ino,
		size: st.Size, blocks: st.Blocks, rdev: st.Rdev, atime: st.Atime, mtime: st.Mtime, ctime: st.Ctime}, nil
}
func (l libWalker) readlink(p string) (string, error) { return l.c.Readlink(l.abs(p)) }
func (l libWalker) read(p string) ([]byte, error) {
	f, err := l.c.Open(l.abs(p), vfs.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []byte
	buf := make([]byte, 256<<10)
	for {
		n, err := f.Read(buf)
		if err != nil && err != io.EOF {
			return nil, err
		}
		if n == 0 {
			return out, nil
		}
		out = append(out, buf[:n]...)
	}
}
func (l libWalker) readAt(p string, off int64, n int) ([]byte, error) {
	f, err := l.c.Open(l.abs(p), vfs.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	m, err := f.ReadAt(b, off)
	if err == io.EOF {
		err = nil
	}
	return b[:m], err
}

func (l libWalker) list(p string) ([]string, error) {
	f, err := l.c.Open(l.abs(p), vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ents, err := f.ReadDir(0)
	var names []string
	for _, e := range ents {
		if e.Name != "." && e.Name != ".." {
			names = append(names, e.Name)
		}
	}
	return names, err
}
func (l libWalker) xattrs(p string) (map[string]string, error) {
	loc, err := l.c.Resolve(l.abs(p), false)
	if err != nil {
		return nil, err
	}
	in := loc.Dentry.Inode()
	names, err := in.Listxattr()
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, n := range names {
		v, err := in.Getxattr(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		m[n] = string(v)
	}
	return m, nil
}

// libMount boots a library kernel, copies img into it, binds a loop
// device and mounts it read-only at /mnt.
func libMount(t testing.TB, img string, data string) (*mount.FsContext, vfs.Filesystem) {
	t.Helper()
	b, err := os.ReadFile(img)
	require.NoError(t, err)
	c, err := mountkit.Boot()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	f, err := c.Open("/img", vfs.O_WRONLY|vfs.O_CREAT, 0o644)
	require.NoError(t, err)
	_, err = f.Write(b)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	dev, err := c.Losetup("/img")
	require.NoError(t, err)
	require.NoError(t, c.Mknod("/loop0", uint32(vfs.ModeBlockDevice|0o600), dev))
	require.NoError(t, c.Mkdir("/mnt", 0o755))
	require.NoError(t, c.Mount("/loop0", "/mnt", "ext4", mount.MS_RDONLY, data))
	loc, err := c.Resolve("/mnt", true)
	require.NoError(t, err)
	return c, loc.Dentry.Superblock().Filesystem()
}

// kernelWalk loop-mounts img read-only in a private mount namespace and
// returns the walk and statfs the kernel gives (the test binary re-runs
// itself as TestHelperWalk inside unshare).
// kernelAgrees requires the library's walk and statfs of img to be what
// the kernel's loop mount shows (root), and returns the walk.
func kernelAgrees(t *testing.T, img string) []string {
	want, wantStatfs := kernelWalk(t, img)
	c, fs := libMount(t, img, "")
	got, err := walk(libWalker{c})
	require.NoError(t, err)
	require.Equal(t, want, got, img)
	st, err := fs.Statfs()
	require.NoError(t, err)
	require.Equal(t, wantStatfs, statfsLine(st), img)
	return got
}

func kernelWalk(t *testing.T, img string) (lines []string, statfs string) {
	t.Helper()
	if testenv.Emulated() {
		t.Skip("the test re-executes its binary under unshare(1), which cannot run it directly under an emulator (qemu-user)")
	}
	dir := t.TempDir()
	mnt := filepath.Join(dir, "mnt")
	require.NoError(t, os.Mkdir(mnt, 0o755))
	out := filepath.Join(dir, "walk")
	script := fmt.Sprintf("mount -o ro,loop %s %s && %s -test.run=^TestHelperWalk$ -test.count=1; rc=$?; umount %s; exit $rc",
		img, mnt, os.Args[0], mnt)
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "EXT4_WALK="+mnt, "EXT4_WALK_OUT="+out)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	all := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	return all[1:], all[0]
}

// TestHelperWalk is the child side of kernelWalk.
func TestHelperWalk(t *testing.T) {
	mnt := os.Getenv("EXT4_WALK")
	if mnt == "" {
		t.Skip("helper of the differential test")
	}
	lines, err := walk(hostWalker{mnt})
	require.NoError(t, err)
	var s syscall.Statfs_t
	require.NoError(t, syscall.Statfs(mnt, &s))
	st := statfsLine(vfs.Statfs{Type: s.Type, Bsize: s.Bsize, Blocks: s.Blocks, Bfree: s.Bfree, Bavail: s.Bavail,
		Files: s.Files, Ffree: s.Ffree, Namelen: s.Namelen, Frsize: s.Frsize})
	require.NoError(t, os.WriteFile(os.Getenv("EXT4_WALK_OUT"), []byte(st+"\n"+strings.Join(lines, "\n")+"\n"), 0o644))
}

func statfsLine(s vfs.Statfs) string {
	return fmt.Sprintf("type=%#x bsize=%d blocks=%d bfree=%d bavail=%d files=%d ffree=%d namelen=%d frsize=%d",
		s.Type, s.Bsize, s.Blocks, s.Bfree, s.Bavail, s.Files, s.Ffree, s.Namelen, s.Frsize)
}

// TestKernelDifferential mounts every fixture with the kernel and with
// the library and requires the same walk and statfs.
func TestKernelDifferential(t *testing.T) {
	if !isRoot() {
		t.Skip("the kernel side needs root (loop mount in a private namespace)")
	}
	needTools(t, "unshare", "mount")
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			img := image(t, fx)
			got := kernelAgrees(t, img)
			require.Greater(t, len(got), 3060)
		})
	}
}
