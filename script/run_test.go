package script

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mountkit/mountkit/vfs"
	"github.com/stretchr/testify/require"
)

// fakeSystem records the calls of its processes and answers from tables.
type fakeSystem struct {
	log    []string
	files  map[string][]byte
	errs   map[string]error // by method name
	closed bool
	next   int
}

type fakeProc struct {
	sys *fakeSystem
	id  int
}

func (s *fakeSystem) Init() (Proc, error) { return s.newProc(), nil }
func (s *fakeSystem) Close() error        { s.closed = true; return nil }
func (s *fakeSystem) newProc() *fakeProc {
	s.next++
	return &fakeProc{sys: s, id: s.next}
}

func (p *fakeProc) call(name string, args ...any) error {
	s := fmt.Sprintf("p%d %s", p.id, name)
	for _, a := range args {
		s += fmt.Sprintf(" %v", a)
	}
	p.sys.log = append(p.sys.log, s)
	return p.sys.errs[name]
}

func (p *fakeProc) Fork() (Proc, error) { return p.sys.newProc(), p.call("Fork") }
func (p *fakeProc) Exit() error         { return p.call("Exit") }
func (p *fakeProc) Unshare() error      { return p.call("Unshare") }
func (p *fakeProc) Setcred(uid, gid uint32, caps vfs.CapSet) error {
	return p.call("Setcred", uid, gid, fmt.Sprintf("%#x", uint64(caps)))
}
func (p *fakeProc) Chdir(path string) error  { return p.call("Chdir", path) }
func (p *fakeProc) Fchdir(h Handle) error    { return p.call("Fchdir", h) }
func (p *fakeProc) Chroot(path string) error { return p.call("Chroot", path) }
func (p *fakeProc) Getcwd() (string, error)  { return "/a b", p.call("Getcwd") }
func (p *fakeProc) Open(path string, flags int, mode uint32) (Handle, error) {
	return "h:" + path, p.call("Open", path, fmt.Sprintf("%#o %#o", flags, mode))
}
func (p *fakeProc) Close(h Handle) error { return p.call("Close", h) }
func (p *fakeProc) Mkdir(path string, mode uint32) error {
	return p.call("Mkdir", path, fmt.Sprintf("%#o", mode))
}
func (p *fakeProc) Rmdir(path string) error      { return p.call("Rmdir", path) }
func (p *fakeProc) Unlink(path string) error     { return p.call("Unlink", path) }
func (p *fakeProc) Rename(o, n string) error     { return p.call("Rename", o, n) }
func (p *fakeProc) Symlink(t, path string) error { return p.call("Symlink", t, path) }
func (p *fakeProc) Link(o, n string) error       { return p.call("Link", o, n) }
func (p *fakeProc) Mknod(path string, mode uint32, dev uint64) error {
	return p.call("Mknod", path, fmt.Sprintf("%#o %#x", mode, dev))
}
func (p *fakeProc) WriteFile(path string, data []byte, app bool) error {
	return p.call("WriteFile", path, fmt.Sprintf("%q", data), app)
}
func (p *fakeProc) Truncate(path string, n int64) error { return p.call("Truncate", path, n) }
func (p *fakeProc) Chmod(path string, mode uint32) error {
	return p.call("Chmod", path, fmt.Sprintf("%#o", mode))
}
func (p *fakeProc) ReadFile(path string) ([]byte, error) {
	return p.sys.files[path], p.call("ReadFile", path)
}
func (p *fakeProc) Readlink(path string) (string, error) { return "t\x01", p.call("Readlink", path) }
func (p *fakeProc) Image(path string, data []byte) error {
	return p.call("Image", path, fmt.Sprintf("%q", data))
}
func (p *fakeProc) Export(path string) ([]byte, error)     { return []byte("out"), p.call("Export", path) }
func (p *fakeProc) Losetup(dev, file string) error         { return p.call("Losetup", dev, file) }
func (p *fakeProc) Umount2(target string, flags int) error { return p.call("Umount2", target, flags) }
func (p *fakeProc) MountInfo() ([]string, error) {
	return []string{"1 0 0:1 / / rw - tmpfs none rw"}, p.call("MountInfo")
}
func (p *fakeProc) ReadDir(path string) ([]DirEntry, error) {
	if path == "/empty" {
		return nil, p.call("ReadDir", path)
	}
	return []DirEntry{
		{Name: "z", Type: vfs.ModeRegular},
		{Name: "d", Type: vfs.ModeDir},
		{Name: "a b", Type: vfs.ModeSymlink},
		{Name: "p", Type: vfs.ModeFIFO},
		{Name: "c", Type: vfs.ModeCharDevice},
		{Name: "B", Type: vfs.ModeBlockDevice},
		{Name: "é", Type: vfs.ModeRegular},
	}, p.call("ReadDir", path)
}
func (p *fakeProc) Stat(path string) (Stat, error) {
	return Stat{Mode: vfs.ModeRegular | 0o4755, Nlink: 2, Size: 9}, p.call("Stat", path)
}
func (p *fakeProc) Lstat(path string) (Stat, error) {
	return Stat{Mode: vfs.ModeSymlink | 0o777, Nlink: 1, Size: 3}, p.call("Lstat", path)
}
func (p *fakeProc) Mount(src, tgt, fstype Str, flags uint64, data Str) error {
	return p.call("Mount", src, tgt, fstype, fmt.Sprintf("%#x", flags), data)
}
func (p *fakeProc) PivotRoot(n, o Str) error { return p.call("PivotRoot", n, o) }

func runFake(t *testing.T, sys *fakeSystem, src string) string {
	t.Helper()
	p, err := Parse(filepath.Join(t.TempDir(), "x.mnt"), []byte(src))
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, Run(p, sys, &out))
	require.True(t, sys.closed)
	return out.String()
}

func TestRunOutput(t *testing.T) {
	sys := &fakeSystem{files: map[string][]byte{"/f": []byte("a\"\\\n\t\x00\x7f\xc3\xa9 z")}}
	out := runFake(t, sys, strings.Join([]string{
		"mkdir /d",
		"cat /f",
		"ls /",
		"ls /empty",
		"stat /f",
		"lstat /l",
		"readlink /l",
		"getcwd",
		"mountinfo",
		"chdir -",
		"mount - /m - MS_BIND|MS_REC",
		"mount none /m tmpfs 0 \"\"",
		"pivot_root - .",
		"umount2 - 0",
		"write /f -",
		"close nofd",
		"open f /f O_RDWR|O_CREAT 0600",
		"fchdir f",
		"close f",
		"close f",
		"mknod /c c 1 3",
		"setcred 1000 1000 CAP_SYS_ADMIN",
		"as nobody",
		"fork child",
		"fork child",
		"kill init",
		"mkdir /x",
		"as child",
		"mkdir /x",
	}, "\n"))
	require.Equal(t, `1: ok
2: "a\"\\\n\t\x00\x7f\xc3\xa9 z"
3: B% "a b"@ c% d/ p| z "\xc3\xa9"
4: (empty)
5: type=reg mode=4755 nlink=2 size=9
6: type=lnk mode=0777 size=3
7: "t\x01"
8: /a b
9: 1 0 0:1 / / rw - tmpfs none rw
10: EFAULT
11: ok
12: ok
13: ok
14: EFAULT
15: EFAULT
16: EBADF
17: ok
18: ok
19: ok
20: EBADF
21: ok
22: ok
23: ESRCH
24: ok
25: EEXIST
26: ok
27: ESRCH
28: ok
29: ok
`, out)
	require.Contains(t, sys.log, "p1 Mount { true} {/m false} { true} 0x5000 { true}")
	require.Contains(t, sys.log, "p1 Mount {none false} {/m false} {tmpfs false} 0x0 { false}")
	require.Contains(t, sys.log, "p1 PivotRoot { true} {. false}")
	require.Contains(t, sys.log, "p1 Open /f 0102 0600")
	require.Contains(t, sys.log, "p1 Mknod /c 020644 0x103")
	require.Contains(t, sys.log, "p1 Setcred 1000 1000 0x200000")
	require.Contains(t, sys.log, "p1 Exit")
	require.Contains(t, sys.log, "p2 Mkdir /x 0755")
}

func TestRunErrors(t *testing.T) {
	sys := &fakeSystem{errs: map[string]error{"Rmdir": vfs.EBUSY, "Unlink": errors.New("runner broke")}}
	p, err := Parse("x.mnt", []byte("rmdir /a\nunlink /a\nmkdir /b\n"))
	require.NoError(t, err)
	var out bytes.Buffer
	err = Run(p, sys, &out)
	require.EqualError(t, err, "x.mnt:2: unlink: runner broke")
	require.Equal(t, "1: EBUSY\n", out.String())
	require.True(t, sys.closed)
}

func TestRunHostFiles(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "in.img"), []byte("IMG"), 0o644))
	p, err := Parse(filepath.Join(dir, "x.mnt"), []byte("image /i in.img\nexport /i out.img\nimage /j missing.img\n"))
	require.NoError(t, err)
	sys := &fakeSystem{}
	var out bytes.Buffer
	err = Run(p, sys, &out)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Equal(t, "1: ok\n2: ok\n", out.String())
	require.Contains(t, sys.log, `p1 Image /i "IMG"`)
	data, err := os.ReadFile(filepath.Join(dir, "out.img"))
	require.NoError(t, err)
	require.Equal(t, "out", string(data))
}
