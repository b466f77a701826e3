//go:build linux

package script

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// newLinux returns the Linux reference world, or skips the test.
func newLinux(t testing.TB) System {
	t.Helper()
	sys, err := NewLinux()
	if errors.Is(err, ErrNotPermitted) {
		t.Skipf("no Linux reference run: %v", err)
	}
	require.NoError(t, err)
	return sys
}

func runLinux(t *testing.T, src string) string {
	t.Helper()
	p, err := Parse("x.mnt", []byte(src))
	require.NoError(t, err)
	sys := newLinux(t)
	var out bytes.Buffer
	require.NoError(t, Run(p, sys, &out))
	return string(Normalize(p, out.Bytes()))
}

func TestLinuxBasics(t *testing.T) {
	out := runLinux(t, `mountinfo
getcwd
mkdir /a
write /a/f "hi\n"
cat /a/f
append /a/f "x"
stat /a/f
symlink f /a/l
readlink /a/l
lstat /a/l
mknod /a/p p 0 0
ls /a
ls /
mount none /a tmpfs MS_NOSUID|MS_NODEV "size=1m"
ls /a
mountinfo
chdir /a
getcwd
umount2 /a 0
umount2 /a MNT_DETACH
getcwd
chdir -
mount - /a - MS_SHARED
mount - - - 0
`)
	require.Equal(t, `1: 1 0 dev1 / / rw - tmpfs none
2: /
3: ok
4: ok
5: "hi\n"
6: ok
7: type=reg mode=0644 nlink=1 size=4
8: ok
9: "f"
10: type=lnk mode=0777 size=1
11: ok
12: f l@ p|
13: a/
14: ok
15: (empty)
16: 1 0 dev1 / / rw - tmpfs none
16: 2 1 dev2 / /a rw,nosuid,nodev - tmpfs none
17: ok
18: /a
19: EBUSY
20: ok
21: ENOENT
22: EFAULT
23: EINVAL
24: EFAULT
`, out)
}

func TestLinuxProcs(t *testing.T) {
	out := runLinux(t, `mkdir /a
mkdir /b
chdir /a
fork child
as child
getcwd
unshare
mount none /b tmpfs 0
mountinfo
as init
mountinfo
chroot /a
getcwd
fork c2
as c2
getcwd
mountinfo
kill c2
mountinfo
as init
setcred 1000 1000
mkdir /x
mount none /x tmpfs 0
fork c3
as c3
mount none / tmpfs 0
kill init
getcwd
as init
kill nobody
`)
	require.Equal(t, `1: ok
2: ok
3: ok
4: ok
5: ok
6: /a
7: ok
8: ok
9: 1 0 dev1 / / rw - tmpfs none
9: 2 1 dev2 / /b rw - tmpfs none
10: ok
11: 1 0 dev1 / / rw - tmpfs none
12: ok
13: /
14: ok
15: ok
16: /
17: (empty)
18: ok
19: ESRCH
20: ok
21: ok
22: EACCES
23: ENOENT
24: ok
25: ok
26: EPERM
27: ok
28: /
29: ESRCH
30: ESRCH
`, out)
}

func TestLinuxSetcredCaps(t *testing.T) {
	out := runLinux(t, `mkdir /a 0700
mkdir /a/y
fork other
setcred 1000 1000 CAP_SYS_ADMIN
mkdir /a/x
mount none /a/y tmpfs 0
mount none / tmpfs 0
setcred 0 0
as other
mkdir /a/z
`)
	require.Equal(t, "1: ok\n2: ok\n3: ok\n4: ok\n5: EACCES\n6: EACCES\n7: ok\n8: EPERM\n9: ok\n10: ok\n", out)
}

// TestLinuxNoLeaks checks that Close ends every thread, removes the
// sandbox and leaves no mount on the host.
func TestLinuxNoLeaks(t *testing.T) {
	before, err := os.ReadFile("/proc/self/mountinfo")
	require.NoError(t, err)
	sys := newLinux(t).(*linuxSystem)
	init, err := sys.Init()
	require.NoError(t, err)
	child, err := init.Fork()
	require.NoError(t, err)
	_, err = child.Open("/", 0, 0)
	require.NoError(t, err)
	require.NoError(t, child.Mount(Str{S: "none"}, Str{S: "/"}, Str{S: "tmpfs"}, 0, Str{Null: true}))
	tids := []int{init.(*linuxProc).tid, child.(*linuxProc).tid}
	require.NoError(t, sys.Close())
	for _, tid := range tids {
		_, err := os.Stat(fmt.Sprintf("/proc/self/task/%d", tid))
		require.True(t, os.IsNotExist(err), "thread %d still alive", tid)
	}
	_, err = os.Stat(sys.dir)
	require.True(t, os.IsNotExist(err), "sandbox %s left behind", sys.dir)
	after, err := os.ReadFile("/proc/self/mountinfo")
	require.NoError(t, err)
	require.Equal(t, string(before), string(after))
	require.NotContains(t, string(after), sys.dir)
}

func TestLinuxTimeout(t *testing.T) {
	sys := newLinux(t).(*linuxSystem)
	defer sys.Close()
	sys.timeout = 50 * time.Millisecond
	init, err := sys.Init()
	require.NoError(t, err)
	p := init.(*linuxProc)
	release := make(chan struct{})
	defer close(release)
	err = p.do(func() error { <-release; return nil })
	require.ErrorContains(t, err, "timed out")
	err = p.Mkdir("/a", 0o755)
	require.ErrorContains(t, err, "hung")
	require.False(t, strings.Contains(err.Error(), "EEXIST"))
}

// skipWithoutOpenTree skips a test when open_tree(2), which Losetup
// uses, answers ENOSYS, as it does under qemu-user 7.2, which does not
// implement it. The probe passes invalid flags, so a kernel that has
// open_tree answers EINVAL and nothing is cloned.
func skipWithoutOpenTree(t *testing.T) {
	t.Helper()
	root := []byte("/\x00")
	_, _, e := syscall.Syscall(sysOpenTree, uintptr(atFDCWD), uintptr(unsafe.Pointer(&root[0])), ^uintptr(0)>>32)
	if e == syscall.ENOSYS {
		t.Skip("open_tree(2) answers ENOSYS: an emulator (qemu-user 7.2) that does not implement it; the riscv64 guest kernel runs this test")
	}
}

func TestLinuxLosetup(t *testing.T) {
	skipWithoutOpenTree(t)
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		t.Skip("no mkfs.ext4")
	}
	dir := t.TempDir()
	img := filepath.Join(dir, "fs.img")
	require.NoError(t, exec.Command("truncate", "-s", "4M", img).Run())
	outb, err := exec.Command(mkfs, "-q", "-F", img).CombinedOutput()
	require.NoError(t, err, string(outb))
	p, err := Parse(filepath.Join(dir, "x.mnt"), []byte(`image /fs.img fs.img
losetup /loop /fs.img
stat /loop
mkdir /m
mount /loop /m ext4 0
write /m/hello "hi"
umount2 /m 0
mount /loop /m ext4 MS_RDONLY
cat /m/hello
mountinfo
umount2 /m 0
export /fs.img out.img
mount /loop /m ext4 0
`))
	require.NoError(t, err)
	before, err := exec.Command("losetup", "-a").Output()
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, Run(p, newLinux(t), &out))
	require.Equal(t, `1: ok
2: ok
3: type=blk mode=0644
4: ok
5: ok
6: ok
7: ok
8: ok
9: "hi"
10: 1 0 dev1 / / rw - tmpfs none
10: 2 1 dev2 / /m ro - ext4 /loop
11: ok
12: ok
13: ok
`, string(Normalize(p, out.Bytes())))
	outb, err = exec.Command("e2fsck", "-n", "-f", filepath.Join(dir, "out.img")).CombinedOutput()
	require.NoError(t, err, string(outb))
	// The last mount dies with the namespace, asynchronously.
	var after []byte
	for range 250 {
		after, err = exec.Command("losetup", "-a").Output()
		if string(after) == string(before) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, err)
	require.Equal(t, string(before), string(after), "loop device left attached")
}
