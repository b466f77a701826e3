package fuseexport_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mountkit/mountkit/internal/testenv"

	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/fuseexport"
	"github.com/mountkit/mountkit/mount"
)

const inNamespace = "FUSEEXPORT_TEST_IN_NAMESPACE"

// inPrivateNamespace re-runs the test named name inside
// `unshare --mount --propagation private`, so that its mounts never reach
// the host, and reports whether the caller is already inside.
func inPrivateNamespace(t *testing.T, name string) bool {
	if os.Getenv(inNamespace) != "" {
		return true
	}
	if os.Getuid() != 0 {
		t.Skip("needs root: mounts FUSE and tmpfs in a private mount namespace")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skipf("no FUSE device: %v", err)
	}
	if testenv.Emulated() {
		t.Skip("the test re-executes its binary under unshare(1), which cannot run it directly under an emulator (qemu-user)")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("needs unshare(1) from util-linux")
	}
	cmd := exec.Command(unshare, "--mount", "--propagation", "private",
		os.Args[0], "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), inNamespace+"=1")
	out, err := cmd.CombinedOutput()
	t.Logf("in the private namespace:\n%s", out)
	require.NoError(t, err)
	require.Contains(t, string(out), "--- PASS: "+name, "the test must run, not skip, in the namespace")
	return false
}

// export boots a library namespace and serves it on dir.
func export(t *testing.T, dir string) *mount.FsContext {
	c, err := mountkit.Boot()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	srv, err := fuseexport.Mount(dir, c, &fuse.MountOptions{DirectMount: true, DirectMountStrict: true})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, srv.Unmount()) })
	return c
}

// source makes a tree on the host for cp -a to copy.
func source(t *testing.T, dir string) {
	must := func(err error) { require.NoError(t, err) }
	must(os.MkdirAll(filepath.Join(dir, "sub", "deeper"), 0o750))
	must(os.WriteFile(filepath.Join(dir, "hello.txt"), []byte("hello, world\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "exec.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "sub", "big"), bytes.Repeat([]byte("0123456789abcdef"), 20000), 0o600))
	must(os.WriteFile(filepath.Join(dir, "sub", "deeper", "empty"), nil, 0o640))
	must(os.Symlink("hello.txt", filepath.Join(dir, "link")))
	must(os.Symlink("/nowhere/at/all", filepath.Join(dir, "sub", "dangling")))
	must(os.Link(filepath.Join(dir, "hello.txt"), filepath.Join(dir, "sub", "hard")))
	must(os.Chown(filepath.Join(dir, "exec.sh"), 1234, 5678))
	must(os.Chmod(filepath.Join(dir, "sub"), 0o2775))
}

// session is what the test runs on each side, from inside the directory.
const session = `
set -u
step() { echo "== $*"; }
step cp -a; cp -a "$SRC" copy; echo "exit $?"
step find; find . -mindepth 1 ! -type l -printf '%y %m %s %n %U:%G %T@ %P\n' | sort
step find links; find . -type l -printf '%y %l %U:%G %T@ %P\n' | sort
step ls -l; ls -lR --time-style=+%s copy
step stat; stat -c '%A %h %s %F %u:%g %N' copy copy/hello.txt copy/link copy/sub/hard copy/sub/big
step cmp; cmp "$SRC/sub/big" copy/sub/big && echo same
step mv; mv copy/hello.txt copy/renamed.txt; echo "exit $?"; mv copy/sub copy/moved; echo "exit $?"
step mv over dir; mkdir copy/d1 copy/d2; touch copy/d2/x; mv -T copy/d1 copy/d2 2>&1 | sed 's/^mv: //'
step ln; ln copy/renamed.txt copy/hardlink; echo "exit $?"; ln -s renamed.txt copy/symlink; echo "exit $?"
step ln exists; ln copy/renamed.txt copy/hardlink 2>&1 | sed 's/^ln: //'
step stat after; stat -c '%A %h %s %F %N' copy/renamed.txt copy/hardlink copy/symlink copy/moved/hard
step cat; cat copy/symlink copy/hardlink
step append; echo more >> copy/hardlink; cat copy/renamed.txt
step truncate; truncate -s 3 copy/renamed.txt; cat copy/hardlink; echo
step chmod; chmod 0700 copy/exec.sh; stat -c '%A' copy/exec.sh
step touch; touch -h -d @1000000000 copy/symlink; touch -d @2000000000 copy/renamed.txt; stat -c '%Y %N' copy/symlink copy/renamed.txt
step errors; cat copy/missing 2>&1 | sed 's/^cat: //'; mkdir copy/moved 2>&1 | sed 's/^mkdir: //'; rmdir copy/moved 2>&1 | sed 's/^rmdir: //'
step ls -la; ls -la --time-style=+%s copy | sed 1d | awk '{print $1, $2, $5, $NF}'
step exec; cp /bin/echo copy/echo; ./copy/echo run from the mount; sh copy/exec.sh
step rm -r; rm -r copy; echo "exit $?"; find . | sort
`

func run(t *testing.T, dir, src string) string {
	cmd := exec.Command("sh", "-c", session)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SRC="+src, "LC_ALL=C", "TZ=UTC")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	return strings.ReplaceAll(string(out), dir, "DIR")
}

// TestCoreutils runs the same coreutils session on a real tmpfs and on the
// library's tmpfs served through FUSE; the outputs must be the same.
func TestCoreutils(t *testing.T) {
	for _, tool := range []string{"sh", "cp", "find", "ls", "stat", "cmp", "mv", "ln", "cat", "truncate", "chmod", "touch", "rm", "sed", "awk", "sort", "mkdir", "rmdir"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the session needs %s (coreutils, findutils, diffutils, sed, awk)", tool)
		}
	}
	if !inPrivateNamespace(t, "TestCoreutils") {
		return
	}
	base := t.TempDir()
	src := filepath.Join(base, "src")
	source(t, src)
	real := filepath.Join(base, "tmpfs")
	lib := filepath.Join(base, "fuse")
	require.NoError(t, os.Mkdir(real, 0o755))
	require.NoError(t, os.Mkdir(lib, 0o755))
	require.NoError(t, syscall.Mount("none", real, "tmpfs", 0, ""))
	t.Cleanup(func() { syscall.Unmount(real, syscall.MNT_DETACH) })
	export(t, lib)

	want := run(t, real, src)
	got := run(t, lib, src)
	assert.Equal(t, want, got)
	t.Logf("session output (both sides):\n%s", want)
}

// TestLibraryAndKernelTogether touches the mount from the test process
// itself while the library changes the namespace under it: new mounts
// show through the export at once, and nothing deadlocks.
func TestLibraryAndKernelTogether(t *testing.T) {
	if !inPrivateNamespace(t, "TestLibraryAndKernelTogether") {
		return
	}
	dir := t.TempDir()
	c := export(t, dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), []byte("from the kernel"), 0o644))
	b, err := readLib(c, "/f")
	require.NoError(t, err)
	assert.Equal(t, "from the kernel", b)

	require.NoError(t, c.Mkdir("/m", 0o755))
	require.NoError(t, c.Mount("none", "/m", "tmpfs", mount.MS_RDONLY, "size=1m"))
	err = os.WriteFile(filepath.Join(dir, "m", "x"), nil, 0o644)
	assert.ErrorIs(t, err, syscall.EROFS)
	var a, m syscall.Stat_t
	require.NoError(t, syscall.Stat(dir, &a))
	require.NoError(t, syscall.Stat(filepath.Join(dir, "m"), &m))
	assert.NotEqual(t, a.Ino, m.Ino, "two library superblocks, two export inode numbers")
	var sfs syscall.Statfs_t
	require.NoError(t, syscall.Statfs(filepath.Join(dir, "m"), &sfs))
	assert.Equal(t, uint64(256), sfs.Blocks, "size=1m is 256 pages")
	assert.ErrorIs(t, os.Rename(filepath.Join(dir, "f"), filepath.Join(dir, "m", "f")), syscall.EXDEV)
	require.NoError(t, c.Umount2("/m", 0))

	for i := range 200 {
		name := filepath.Join(dir, fmt.Sprintf("n%d", i))
		require.NoError(t, os.WriteFile(name, []byte(name), 0o600))
		_, err := c.Stat(fmt.Sprintf("/n%d", i))
		require.NoError(t, err)
		require.NoError(t, c.Unlink(fmt.Sprintf("/n%d", i)))
		_, err = os.Stat(name)
		require.ErrorIs(t, err, os.ErrNotExist)
	}
}

func readLib(c *mount.FsContext, p string) (string, error) {
	f, err := c.Open(p, 0, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b := make([]byte, 100)
	n, err := f.Read(b)
	return string(b[:n]), err
}

// userSession runs as uid 1000, gid 1000, with the supplementary group
// 2000, in a sticky world-writable directory that holds root's files.
const userSession = `
set -u
step() { echo "== $*"; }
step id; id -u; id -g; id -G
step create; echo mine > mine; mkdir mydir; ln -s mine mylink; stat -c '%U:%G %a %n' mine mydir; stat -c '%U:%G %n' mylink
step chgrp member; chgrp 2000 mine; echo "exit $?"; stat -c '%u:%g %n' mine
step chgrp other; chgrp 3000 mine 2>&1 | sed 's/^chgrp: //'
step chown; chown 0 mine 2>&1 | sed 's/^chown: //'
step chmod setgid; chgrp 2000 mydir; chmod 2755 mydir; stat -c '%a %n' mydir; touch mydir/inherit; stat -c '%u:%g %n' mydir/inherit
step read root; cat secret 2>&1 | sed 's/^cat: //'
step write root; echo x >> rootfile 2>&1 | sed 's/^.*: //'
step sticky; rm -f rootfile 2>&1 | sed 's/^rm: //'; mv rootfile stolen 2>&1 | sed 's/^mv: //'
step chmod root; chmod 777 rootfile 2>&1 | sed 's/^chmod: //'
step touch root; touch rootfile 2>&1 | sed 's/^touch: //'; touch -d @5 rootfile 2>&1 | sed 's/^touch: //'
step rootdir; ls rootdir 2>&1 | sed 's/^ls: //'; touch rootdir/x 2>&1 | sed 's/^touch: //'
step ls; ls -ln --time-style=+ . | sed 1d | awk '{print $1, $3, $4, $NF}'
step cleanup; rm -r mine mydir mylink; echo "exit $?"
`

// TestAsUser runs a session as an unprivileged user on a real tmpfs and
// on the export mounted with allow_other: the library, running each
// request with the caller's credentials, must answer as the kernel does.
func TestAsUser(t *testing.T) {
	for _, tool := range []string{"setpriv", "id", "chgrp", "chown", "stat", "awk", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the session needs %s", tool)
		}
	}
	if !inPrivateNamespace(t, "TestAsUser") {
		return
	}
	base := t.TempDir()
	require.NoError(t, os.Chmod(base, 0o755))
	real := filepath.Join(base, "tmpfs")
	lib := filepath.Join(base, "fuse")
	require.NoError(t, os.Mkdir(real, 0o755))
	require.NoError(t, os.Mkdir(lib, 0o755))
	require.NoError(t, syscall.Mount("none", real, "tmpfs", 0, ""))
	t.Cleanup(func() { syscall.Unmount(real, syscall.MNT_DETACH) })
	c, err := mountkit.Boot()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	srv, err := fuseexport.Mount(lib, c, &fuse.MountOptions{DirectMount: true, DirectMountStrict: true, AllowOther: true})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, srv.Unmount()) })

	var outs []string
	for _, dir := range []string{real, lib} {
		setup := exec.Command("sh", "-c", "echo s > secret && chmod 600 secret && echo r > rootfile && mkdir -m 700 rootdir && ls -ld . | cut -c1-10")
		setup.Dir = dir
		out, err := setup.CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Equal(t, "drwxrwxrwt\n", string(out), "a sticky world-writable root, as tmpfs makes it")
		cmd := exec.Command("setpriv", "--reuid=1000", "--regid=1000", "--groups=2000", "sh", "-c", userSession)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LC_ALL=C", "HOME=/")
		out, err = cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		outs = append(outs, string(out))
	}
	assert.Equal(t, outs[0], outs[1])
	t.Logf("session output (both sides):\n%s", outs[0])
}
