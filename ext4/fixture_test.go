package ext4_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/mountkit/mountkit/internal/testenv"
)

// A fixture is an image the tests build with e2fsprogs (and, as root,
// the kernel): nothing large is checked in.
type fixture struct {
	name string
	// mkfs is the mkfs program and its options (before -d and the image).
	mkfs []string
	size string // image size for truncate
	// after runs on the built image (tune2fs, e2fsck -fD, a patch).
	after [][]string
	// kernel: populate through a kernel loop mount instead of mkfs -d
	// (root only): nanosecond timestamps, htree built by the kernel,
	// preallocated (unwritten) extents.
	kernel bool
	// hugeXattr adds an 8000-byte xattr (ea_inode images).
	hugeXattr bool
}

var fixtures = []fixture{
	{name: "4k", mkfs: []string{"mkfs.ext4", "-b", "4096"}, size: "24M"},
	{name: "1k-htree", mkfs: []string{"mkfs.ext4", "-b", "1024"}, size: "24M", after: [][]string{{"e2fsck", "-fyD"}}},
	{name: "32bit-noflex-gdtcsum", mkfs: []string{"mkfs.ext4", "-b", "4096", "-O", "^64bit,^flex_bg,^metadata_csum,uninit_bg"}, size: "24M", after: [][]string{{"e2fsck", "-fyD"}}},
	{name: "64bit-desc-1k", mkfs: []string{"mkfs.ext4", "-b", "1024", "-O", "64bit", "-E", "desc_size=128"}, size: "24M"},
	{name: "ext2", mkfs: []string{"mkfs.ext2", "-b", "1024"}, size: "24M"},
	{name: "ext3-4k", mkfs: []string{"mkfs.ext3", "-b", "4096"}, size: "24M", after: [][]string{{"e2fsck", "-fyD"}}},
	{name: "noextent", mkfs: []string{"mkfs.ext4", "-O", "^extent,^64bit"}, size: "24M"},
	{name: "inline", mkfs: []string{"mkfs.ext4", "-O", "inline_data"}, size: "24M"},
	{name: "small-inodes", mkfs: []string{"mkfs.ext4", "-I", "128", "-O", "^metadata_csum"}, size: "24M"},
	{name: "tea", mkfs: []string{"mkfs.ext4", "-b", "1024"}, size: "24M", after: [][]string{{"tune2fs", "-E", "hash_alg=tea"}, {"e2fsck", "-fyD"}}},
	{name: "legacy-unsigned", mkfs: []string{"mkfs.ext4", "-b", "1024"}, size: "24M", after: [][]string{{"tune2fs", "-E", "hash_alg=legacy"}, {"unsigned"}, {"e2fsck", "-fyD"}}},
	{name: "md4-unsigned", mkfs: []string{"mkfs.ext4", "-b", "4096"}, size: "24M", after: [][]string{{"unsigned"}, {"e2fsck", "-fyD"}}},
	{name: "kernel-ea_inode", mkfs: []string{"mkfs.ext4", "-b", "4096", "-O", "ea_inode"}, size: "24M", kernel: true, hugeXattr: true},
	{name: "kernel-4k", mkfs: []string{"mkfs.ext4", "-b", "4096"}, size: "24M", kernel: true},
	{name: "kernel-1k-inline", mkfs: []string{"mkfs.ext4", "-b", "1024", "-O", "inline_data"}, size: "24M", kernel: true},
}

var fixtureCache struct {
	sync.Mutex
	dir    string
	images map[string]string
}

func isRoot() bool { return os.Geteuid() == 0 }

func needTools(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (apt-get install e2fsprogs): %v", tool, err)
		}
	}
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	// e2fsck exits 1 when it changed something (-D always does).
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && name == "e2fsck" && ee.ExitCode() <= 1 {
			return
		}
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// image returns the path of fixture fx's image, building it once per
// test binary.
func image(t testing.TB, fx fixture) string {
	t.Helper()
	needTools(t, fx.mkfs[0], "e2fsck", "tune2fs")
	if fx.kernel && !isRoot() {
		t.Skip("kernel-populated fixture needs root (loop mount)")
	}
	fixtureCache.Lock()
	defer fixtureCache.Unlock()
	if fixtureCache.images == nil {
		d, err := os.MkdirTemp("", "ext4fixtures")
		if err != nil {
			t.Fatal(err)
		}
		fixtureCache.dir = d
		fixtureCache.images = map[string]string{}
	}
	if p, ok := fixtureCache.images[fx.name]; ok {
		return p
	}
	dir := filepath.Join(fixtureCache.dir, fx.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "img")
	run(t, "truncate", "-s", fx.size, img)
	args := append([]string{}, fx.mkfs[1:]...)
	args = append(args, "-q", "-F", "-E", "root_owner=0:0")
	if !fx.kernel {
		src := filepath.Join(dir, "src")
		populate(t, src, false)
		args = append(args, "-d", src)
	}
	run(t, fx.mkfs[0], append(args, img)...)
	if fx.kernel {
		kernelPopulate(t, dir, img, fx.hugeXattr)
	}
	for _, a := range fx.after {
		if a[0] == "unsigned" {
			setUnsignedHash(t, img)
			continue
		}
		run(t, a[0], append(a[1:], img)...)
	}
	fixtureCache.images[fx.name] = img
	return img
}

// populate makes the tree the fixtures hold: every file type, sizes
// around block and inline limits, a sparse file, hard links, fast and
// slow symlinks, xattrs, odd names and a 3,000-entry directory (htree
// once e2fsck -D or the kernel indexes it).
func populate(t testing.TB, root string, kernel bool) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(root, 0o755))
	rng := rand.New(rand.NewPCG(1, 2))
	data := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for _, n := range []int{0, 1, 59, 60, 61, 100, 1023, 1024, 1025, 4095, 4096, 4097, 65536, 300000, 2 << 20} {
		must(os.WriteFile(filepath.Join(root, fmt.Sprintf("f%d", n)), data(n), 0o644))
	}
	sparse, err := os.Create(filepath.Join(root, "sparse"))
	must(err)
	_, err = sparse.WriteAt([]byte("middle"), 5<<20)
	must(err)
	_, err = sparse.WriteAt([]byte("end"), 9<<20)
	must(err)
	// Past 64 MiB: triple-indirect blocks in a 1 KiB block map.
	_, err = sparse.WriteAt([]byte("far"), 100<<20)
	must(err)
	// Past 4 GiB: a 64-bit size.
	huge, err := os.Create(filepath.Join(root, "huge"))
	must(err)
	_, err = huge.WriteAt([]byte("beyond 4 GiB"), 4<<30+12345)
	must(err)
	must(huge.Close())
	must(sparse.Close())
	must(os.Symlink("f1", filepath.Join(root, "fast")))
	must(os.Symlink(strings.Repeat("long/", 40)+"target", filepath.Join(root, "slow")))
	must(os.Symlink(strings.Repeat("z", 59), filepath.Join(root, "fast59")))
	must(os.Symlink(strings.Repeat("y", 60), filepath.Join(root, "slow60")))
	must(os.Link(filepath.Join(root, "f100"), filepath.Join(root, "hard1")))
	must(os.MkdirAll(filepath.Join(root, "sub", "deeper", "deepest"), 0o750))
	must(os.Link(filepath.Join(root, "f100"), filepath.Join(root, "sub", "hard2")))
	must(os.WriteFile(filepath.Join(root, "sub", "deeper", "deepest", "leaf"), []byte("leaf\n"), 0o600))
	must(os.WriteFile(filepath.Join(root, "name with spaces"), []byte("x"), 0o644))
	must(os.WriteFile(filepath.Join(root, strings.Repeat("n", 255)), []byte("long name"), 0o644))
	must(os.WriteFile(filepath.Join(root, "suid"), []byte("s"), 0o644))
	must(syscall.Chmod(filepath.Join(root, "suid"), 0o4755))
	must(syscall.Mkfifo(filepath.Join(root, "fifo"), 0o640))
	if isRoot() {
		must(syscall.Mknod(filepath.Join(root, "null"), syscall.S_IFCHR|0o666, int(mkdev(1, 3))))
		must(syscall.Mknod(filepath.Join(root, "blk"), syscall.S_IFBLK|0o600, int(mkdev(259, 70000))))
		must(os.Lchown(filepath.Join(root, "f1"), 1234, 5678))
		must(os.Lchown(filepath.Join(root, "f0"), 70000, 80000))
	}
	// xattrs, when the source filesystem takes user.* ones.
	x := filepath.Join(root, "f61")
	if syscall.Setxattr(x, "user.small", []byte("v"), 0) == nil {
		must(syscall.Setxattr(x, "user.big", bytes.Repeat([]byte("B"), 700), 0))
		must(syscall.Setxattr(filepath.Join(root, "sub"), "user.dir", []byte("on a dir"), 0))
	}
	if isRoot() {
		_ = syscall.Setxattr(x, "trusted.t", []byte("trusted value"), 0)
	}
	big := filepath.Join(root, "big")
	must(os.Mkdir(big, 0o755))
	for i := range 3000 {
		must(os.WriteFile(filepath.Join(big, fmt.Sprintf("entry-%05d-%s", i, strings.Repeat("q", i%40))), nil, 0o644))
	}
	for i := range 60 { // bytes from 0x80: signed and unsigned hashes differ
		must(os.WriteFile(filepath.Join(big, fmt.Sprintf("h\xe9\xfc\xff-%d", i)), []byte{byte(i)}, 0o644))
	}
	mid := filepath.Join(root, "mid")
	must(os.Mkdir(mid, 0o755))
	for i := range 200 {
		must(os.Mkdir(filepath.Join(mid, fmt.Sprintf("d%03d", i)), 0o755))
	}
	if kernel {
		// What only a kernel-populated image has: nanosecond times, an
		// epoch-bit time past 2038, preallocated extents.
		f, err := os.Create(filepath.Join(root, "prealloc"))
		must(err)
		must(syscall.Fallocate(int(f.Fd()), 0, 0, 1<<20))
		_, err = f.WriteAt([]byte("written"), 4096)
		must(err)
		must(f.Close())
		// 2,000 extents separated by holes: an extent tree of depth 2.
		frag, err := os.Create(filepath.Join(root, "fragmented"))
		must(err)
		for i := range 2000 {
			_, err = frag.WriteAt([]byte{byte(i), byte(i >> 8)}, int64(i)*8192)
			must(err)
		}
		must(frag.Close())
		// A POSIX ACL, which ext4 stores in its compact form.
		acl := []byte{2, 0, 0, 0}
		for _, e := range []struct {
			tag, perm uint16
			id        uint32
		}{{1, 6, 0xFFFFFFFF}, {2, 4, 1000}, {4, 4, 0xFFFFFFFF}, {8, 2, 2000}, {0x10, 6, 0xFFFFFFFF}, {0x20, 4, 0xFFFFFFFF}} {
			acl = binary.LittleEndian.AppendUint16(acl, e.tag)
			acl = binary.LittleEndian.AppendUint16(acl, e.perm)
			acl = binary.LittleEndian.AppendUint32(acl, e.id)
		}
		must(syscall.Setxattr(filepath.Join(root, "f4096"), "system.posix_acl_access", acl, 0))
		must(syscall.Setxattr(filepath.Join(root, "sub"), "system.posix_acl_default", acl, 0))
		must(syscall.UtimesNano(filepath.Join(root, "f1"), []syscall.Timespec{{Sec: 1000000000, Nsec: 123456789}, {Sec: 1700000000, Nsec: 987654321}}))
		must(syscall.UtimesNano(filepath.Join(root, "f59"), []syscall.Timespec{{Sec: 4102444800, Nsec: 1}, {Sec: 5000000000, Nsec: 999999999}}))
		must(syscall.UtimesNano(filepath.Join(root, "f60"), []syscall.Timespec{{Sec: -1000, Nsec: 5}, {Sec: 0, Nsec: 0}}))
	}
}

func mkdev(major, minor uint32) uint64 {
	return uint64(minor&0xff) | uint64(major&0xfff)<<8 | uint64(minor&^0xff)<<12 | uint64(major&^0xfff)<<32
}

// kernelPopulate fills img through a kernel loop mount, in a private
// mount namespace: the test binary re-runs itself as TestHelperPopulate.
func kernelPopulate(t testing.TB, dir, img string, hugeXattr bool) {
	t.Helper()
	if testenv.Emulated() {
		t.Skip("the test re-executes its binary under unshare(1), which cannot run it directly under an emulator (qemu-user)")
	}
	mnt := filepath.Join(dir, "mnt")
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("mount -o loop %s %s && %s -test.run=^TestHelperPopulate$ -test.count=1; rc=$?; umount %s; exit $rc",
		img, mnt, os.Args[0], mnt)
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "EXT4_POPULATE="+mnt)
	if hugeXattr {
		cmd.Env = append(cmd.Env, "EXT4_HUGE_XATTR=1")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kernel populate: %v\n%s", err, out)
	}
}

// TestHelperPopulate is the child side of kernelPopulate.
func TestHelperPopulate(t *testing.T) {
	mnt := os.Getenv("EXT4_POPULATE")
	if mnt == "" {
		t.Skip("helper of the kernel-populated fixtures")
	}
	populate(t, mnt, true)
	if os.Getenv("EXT4_HUGE_XATTR") != "" {
		if err := syscall.Setxattr(filepath.Join(mnt, "f65536"), "user.huge", bytes.Repeat([]byte("H"), 8000), 0); err != nil {
			t.Fatal(err)
		}
	}
}

// setUnsignedHash sets EXT2_FLAGS_UNSIGNED_HASH in the superblock (and
// refixes its checksum), so that e2fsck -D indexes with unsigned hashes.
func setUnsignedHash(t testing.TB, img string) {
	t.Helper()
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sb := make([]byte, 1024)
	if _, err := f.ReadAt(sb, 1024); err != nil {
		t.Fatal(err)
	}
	fl := le32(sb[0x160:])
	putLe32(sb[0x160:], fl&^1|2)
	fixSuperCsum(sb)
	if _, err := f.WriteAt(sb, 1024); err != nil {
		t.Fatal(err)
	}
}

// TestMain removes the fixtures the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureCache.dir != "" {
		os.RemoveAll(fixtureCache.dir)
	}
	os.Exit(code)
}
