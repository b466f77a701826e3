package ext4_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/ext4"
	"github.com/mountkit/mountkit/internal/testenv"
	"github.com/mountkit/mountkit/vfs"
)

// fsckStatus runs e2fsck with args on img and returns its exit status
// and output.
func fsckStatus(t testing.TB, img string, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command("e2fsck", append(args, img)...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, "%s", out)
	return 0, string(out)
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, b, 0o644))
}

// kernelJournal makes an image whose journal holds transactions the
// kernel committed and did not checkpoint: the image is loop-mounted
// with commit=1, changed, and copied while still mounted once the
// commits are done (the kernel writes the metadata in place only when
// the flusher or a checkpoint gets to it, 30 s later). The copy has
// needs_recovery, as after a crash.
func kernelJournal(t *testing.T, dir string, mkfs ...string) (img string) {
	t.Helper()
	if !isRoot() {
		t.Skip("needs root to loop-mount an image")
	}
	if testenv.Emulated() {
		t.Skip("loop mounts by the kernel under an emulator (qemu-user) are not the target's")
	}
	needTools(t, "mkfs.ext4", "e2fsck", "debugfs", "unshare", "losetup")
	live := filepath.Join(dir, "live.img")
	run(t, "mkfs.ext4", append(append([]string{"-q", "-F"}, mkfs...), live, "16M")...)
	mnt := filepath.Join(dir, "mnt")
	require.NoError(t, os.Mkdir(mnt, 0o755))
	img = filepath.Join(dir, "crashed.img")
	// d2's directory block is logged in the first transaction and
	// freed in the second: the second carries a revoke record for it.
	script := fmt.Sprintf(`set -e
mount -o loop,commit=1 %[1]s %[2]s
mkdir %[2]s/d %[2]s/d2
for i in 1 2 3 4 5 6 7 8; do yes "file $i" | head -c $((i*2500)) > %[2]s/d/f$i; done
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo $i > %[2]s/d2/entry-with-a-long-name-$i; done
ln -s d/f1 %[2]s/link
sync %[2]s/d/f*
sleep 1.5
rm -r %[2]s/d2
echo late > %[2]s/d/late
sync %[2]s/d/late
setfattr -n user.k -v value %[2]s/d/f2 2>/dev/null || true
sleep 2.5
cp %[1]s %[3]s
umount %[2]s`, live, mnt, img)
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return img
}

// TestReplayKernelJournal: an image the kernel left with a live journal
// is replayed by Open as by e2fsck: the same blocks, e2fsck -fn clean,
// and the files written before the copy present.
func TestReplayKernelJournal(t *testing.T) {
	for _, c := range []struct {
		name string
		mkfs []string
	}{
		{"ext4-1k", []string{"-t", "ext4", "-b", "1024"}},
		{"ext4-4k", []string{"-t", "ext4", "-b", "4096"}},
		{"ext3", []string{"-t", "ext3", "-b", "1024"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			img := kernelJournal(t, dir, c.mkfs...)
			crashed, err := os.ReadFile(img)
			require.NoError(t, err)
			// The copy needs recovery, with transactions in the log.
			require.NotZero(t, le32(crashed[1024+0x60:])&4, "needs_recovery")
			old, err := ext4.Open(bytes.NewReader(crashed), int64(len(crashed)), "norecovery")
			require.NoError(t, err)
			needs, st, err := ext4.JournalReplay(crashed)
			require.NoError(t, err)
			require.True(t, needs, "s_start is 0: the kernel checkpointed everything")
			require.Greater(t, st.End-st.Start, uint32(1), "transactions in the log")
			require.NotZero(t, st.Revokes, "no revoke record: rm -r d2 should have left some")
			t.Logf("kernel journal: transactions %d..%d, %d blocks replayed, %d revoke records, %d revoked copies skipped",
				st.Start, st.End-1, st.Replayed, st.Revokes, st.RevokeHits)
			// The state without replay lacks the files.
			_, err = lookupPath(old, "d/late")
			require.Equal(t, vfs.ENOENT, err, "the last transaction's file is in place without replay")

			// A device that cannot be written: EROFS, as Linux's
			// "write access unavailable, cannot proceed".
			_, err = ext4.Open(bytes.NewReader(crashed), int64(len(crashed)), "")
			require.Equal(t, vfs.EROFS, err)
			ro, err := os.Open(img) // an io.WriterAt whose writes fail
			require.NoError(t, err)
			_, err = ext4.Open(ro, int64(len(crashed)), "")
			require.Equal(t, vfs.EROFS, err)
			require.NoError(t, ro.Close())

			// Ours: Open on a writable file replays.
			ours := filepath.Join(dir, "ours.img")
			copyFile(t, img, ours)
			f, err := os.OpenFile(ours, os.O_RDWR, 0)
			require.NoError(t, err)
			fs, err := ext4.Open(f, int64(len(crashed)), "")
			require.NoError(t, err)
			// (fsync'd: with delayed allocation a file not synced
			// would have no blocks yet, on Linux too.)
			n, err := lookupPath(fs, "d/late")
			require.NoError(t, err)
			a, err := n.Getattr()
			require.NoError(t, err)
			require.Equal(t, int64(5), a.Size)
			n, err = lookupPath(fs, "d/f8")
			require.NoError(t, err)
			a, err = n.Getattr()
			require.NoError(t, err)
			require.Equal(t, int64(8*2500), a.Size)
			_, err = lookupPath(fs, "d2")
			require.Equal(t, vfs.ENOENT, err)
			require.NoError(t, f.Close())
			code, out := fsckStatus(t, ours, "-fn")
			require.Zero(t, code, "e2fsck -fn after our replay:\n%s", out)

			// e2fsck's replay of another copy: the same blocks but
			// for the superblock (e2fsck's own fields).
			theirs := filepath.Join(dir, "theirs.img")
			copyFile(t, img, theirs)
			code, out = fsckStatus(t, theirs, "-y", "-E", "journal_only")
			require.LessOrEqual(t, code, 1, "%s", out)
			bs := 1024 << le32(crashed[1024+0x18:])
			// e2fsck leaves the journal superblock's s_head as it
			// was; the kernel and we record the log's head there.
			jsb := journalSuperBlock(t, ours)
			diff := diffBlocks(t, ours, theirs, bs)
			require.True(t, len(diff) == 0 || len(diff) == 1 && diff[0] == jsb, "blocks that differ from e2fsck's replay: %v", diff)

			// The kernel's replay (a read-only loop mount of a
			// writable device replays): the same blocks again.
			kernels := filepath.Join(dir, "kernel.img")
			copyFile(t, img, kernels)
			kernelReplay(t, dir, kernels)
			require.Empty(t, diffBlocks(t, ours, kernels, bs), "blocks that differ from the kernel's replay")

			// Through the mount layer (a loop device over a file of
			// the library's memfs): the same tree as e2fsck's image.
			c1, _ := libMount(t, img, "")
			w1, err := walk(libWalker{c1})
			require.NoError(t, err)
			c2, _ := libMount(t, theirs, "")
			w2, err := walk(libWalker{c2})
			require.NoError(t, err)
			require.Equal(t, w2, w1)
		})
	}
}

// kernelReplay mounts img read-only through a writable loop device,
// which replays its journal, and unmounts it. (mount -o ro,loop would
// bind a read-only loop device, on which the kernel refuses to mount
// an image that needs recovery: "write access unavailable".)
func kernelReplay(t *testing.T, dir, img string) {
	t.Helper()
	mnt := filepath.Join(dir, "kmnt")
	require.NoError(t, os.MkdirAll(mnt, 0o755))
	script := fmt.Sprintf(`set -e; dev=$(losetup -f --show %s); trap 'losetup -d $dev' EXIT; mount -o ro $dev %s; umount %s`, img, mnt, mnt)
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script).CombinedOutput()
	require.NoError(t, err, "%s", out)
}

// diffBlocks lists the blocks of two images that differ, but for the
// superblock's (whose check times, counts and flags each tool keeps
// its own way).
func diffBlocks(t *testing.T, x, y string, bs int) []int {
	t.Helper()
	a, err := os.ReadFile(x)
	require.NoError(t, err)
	b, err := os.ReadFile(y)
	require.NoError(t, err)
	require.Equal(t, len(a), len(b))
	var diff []int
	for nr := 0; nr < len(a)/bs; nr++ {
		if nr != 1024/bs && !bytes.Equal(a[nr*bs:(nr+1)*bs], b[nr*bs:(nr+1)*bs]) {
			diff = append(diff, nr)
		}
	}
	return diff
}

// journalSuperBlock returns the block of img's journal superblock.
func journalSuperBlock(t *testing.T, img string) int {
	t.Helper()
	out, err := exec.Command("debugfs", "-R", "bmap <8> 0", img).Output()
	require.NoError(t, err)
	var n int
	_, err = fmt.Sscan(string(out), &n)
	require.NoError(t, err)
	return n
}

// lookupPath looks up a relative path from the root of f.
func lookupPath(f *ext4.FS, p string) (vfs.Inode, error) {
	n := f.Root()
	for _, name := range splitPath(p) {
		var err error
		if n, err = n.Lookup(name); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func splitPath(p string) []string {
	var out []string
	for p != "" {
		d, f := filepath.Split(p)
		out = append([]string{f}, out...)
		p = filepath.Clean(d)
		if p == "." || p == "/" {
			break
		}
	}
	return out
}
