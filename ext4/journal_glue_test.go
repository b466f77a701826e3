package ext4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/ext4/internal/jbd2"
)

// cutDev is a device whose power is cut at its limit-th write: writes
// since the last Sync persist all in order, or a random subset of them
// (rnd); later writes are lost. Reads see every write made.
type cutDev struct {
	view, durable []byte
	epoch         [][2]int64 // offset, length of the volatile writes
	saved         [][]byte
	n, limit      int
	cut           bool
	rnd           *rand.Rand
}

func newCutDev(img []byte, limit int, rnd *rand.Rand) *cutDev {
	return &cutDev{view: bytes.Clone(img), durable: bytes.Clone(img), limit: limit, rnd: rnd}
}

func (d *cutDev) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(d.view)) {
		return 0, errors.New("read past the device")
	}
	return copy(p, d.view[off:]), nil
}

func (d *cutDev) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(d.view)) {
		return 0, errors.New("write past the device")
	}
	copy(d.view[off:], p)
	if d.n == d.limit {
		d.powerCut()
	}
	d.n++
	if !d.cut {
		d.epoch = append(d.epoch, [2]int64{off, int64(len(p))})
		d.saved = append(d.saved, bytes.Clone(p))
	}
	return len(p), nil
}

func (d *cutDev) Sync() error {
	if !d.cut {
		for i, w := range d.epoch {
			copy(d.durable[w[0]:], d.saved[i])
		}
		d.epoch, d.saved = nil, nil
	}
	return nil
}

func (d *cutDev) powerCut() {
	if d.cut {
		return
	}
	d.cut = true
	for i, w := range d.epoch {
		if d.rnd == nil || d.rnd.IntN(2) == 0 {
			copy(d.durable[w[0]:], d.saved[i])
		}
	}
	d.epoch, d.saved = nil, nil
}

func (d *cutDev) image() []byte { d.powerCut(); return d.durable }

func fsckCode(t *testing.T, img string, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command("e2fsck", append(args, img)...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err, "%s", out)
	return 0, string(out)
}

// TestJournalCommitCrash: journalCommit (the write path's commitFunc on
// a filesystem with a journal) and journalClose, with the power cut
// after each of their writes in turn; Open (which replays) must then
// give the state before or after the change, byte for byte outside the
// journal, the latter whenever journalCommit had returned, and e2fsck
// -fn must find it clean.
func TestJournalCommitCrash(t *testing.T) {
	for _, tool := range []string{"mkfs.ext4", "debugfs", "e2fsck"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (e2fsprogs)", tool)
		}
	}
	for _, c := range []struct {
		mkfs []string
		size string
	}{{[]string{"-t", "ext4", "-b", "1024"}, "4M"}, {[]string{"-t", "ext4", "-b", "4096"}, "8M"}, {[]string{"-t", "ext3", "-b", "1024"}, "4M"}} {
		mkfs := c.mkfs
		t.Run(mkfs[1]+"-"+mkfs[len(mkfs)-1], func(t *testing.T) {
			dir := t.TempDir()
			a := filepath.Join(dir, "a.img")
			out, err := exec.Command("mkfs.ext4", append(append([]string{"-q", "-F"}, mkfs...), a, c.size)...).CombinedOutput()
			require.NoError(t, err, "%s", out)
			imgA, err := os.ReadFile(a)
			require.NoError(t, err)
			b := filepath.Join(dir, "b.img")
			require.NoError(t, os.WriteFile(b, imgA, 0o644))
			script := filepath.Join(dir, "script")
			require.NoError(t, os.WriteFile(script, []byte("mkdir d\ncd d\nmkdir e\nsymlink l /etc\nmknod p p\n"), 0o644))
			out, err = exec.Command("debugfs", "-w", "-f", script, b).CombinedOutput()
			require.NoError(t, err, "%s", out)
			imgB, err := os.ReadFile(b)
			require.NoError(t, err)
			code, out1 := fsckCode(t, b, "-fn")
			require.Zero(t, code, "the changed image: %s", out1)
			fa, err := Open(bytes.NewReader(imgA), int64(len(imgA)), "")
			require.NoError(t, err)
			bs := fa.sb.blockSize
			jn, err := fa.readInode(fa.sb.journalInum)
			require.NoError(t, err)
			inJournal := map[uint64]bool{}
			for l := uint64(0); l < uint64(jn.size)/uint64(bs); l++ {
				s, err := fa.mapBlock(jn, l)
				require.NoError(t, err)
				inJournal[s.pblk+l-s.lblk] = true
			}
			var tx []metaBlock
			for nr := 0; nr < len(imgA)/bs; nr++ {
				if !bytes.Equal(imgA[nr*bs:(nr+1)*bs], imgB[nr*bs:(nr+1)*bs]) {
					require.False(t, inJournal[uint64(nr)])
					tx = append(tx, metaBlock{Nr: uint64(nr), Data: imgB[nr*bs : (nr+1)*bs]})
				}
			}
			require.NotEmpty(t, tx)
			// same reports whether x and y agree outside the journal.
			same := func(x, y []byte) bool {
				for nr := 0; nr < len(x)/bs; nr++ {
					if !inJournal[uint64(nr)] && !bytes.Equal(x[nr*bs:(nr+1)*bs], y[nr*bs:(nr+1)*bs]) {
						return false
					}
				}
				return true
			}
			committedAt := -1
			sequence := func(d *cutDev) {
				f, err := Open(d, int64(len(d.view)), "")
				require.NoError(t, err)
				require.NoError(t, f.journalOpen(d))
				var commit commitFunc = f.journalCommit
				require.NoError(t, commit(tx))
				if committedAt < 0 {
					committedAt = d.n
				}
				require.NoError(t, f.journalClose())
			}
			full := newCutDev(imgA, -1, nil)
			sequence(full)
			require.True(t, same(full.image(), imgB))
			cut := filepath.Join(dir, "cut.img")
			var seen [2]int
			for limit := 0; limit <= full.n; limit++ {
				for _, rnd := range []*rand.Rand{nil, rand.New(rand.NewPCG(uint64(limit), 3))} {
					d := newCutDev(imgA, limit, rnd)
					sequence(d)
					m := &memImage{b: d.image()}
					_, err := Open(m, int64(len(m.b)), "")
					require.NoError(t, err, "cut at %d", limit)
					isB := same(m.b, imgB)
					require.True(t, isB || same(m.b, imgA), "cut at %d: neither the old nor the new state", limit)
					if limit >= committedAt {
						require.True(t, isB, "cut at %d, after the commit returned: the old state", limit)
					}
					if isB {
						seen[1]++
					} else {
						seen[0]++
					}
					if rnd == nil {
						require.NoError(t, os.WriteFile(cut, m.b, 0o644))
						code, out := fsckCode(t, cut, "-fn")
						require.Zero(t, code, "cut at %d: %s", limit, out)
					}
				}
			}
			t.Logf("%d blocks, %d writes: %d cuts gave the old state, %d the new", len(tx), full.n, seen[0], seen[1])
			require.NotZero(t, seen[0])
			require.NotZero(t, seen[1])
		})
	}
}

// TestKernelReplaysOurCommit: a transaction journalCommit wrote and did
// not checkpoint (the power cut just after the commit block) is
// replayed by Linux's own mount: the image then holds the committed
// state, and e2fsck -fn finds it clean.
func TestKernelReplaysOurCommit(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to loop-mount an image")
	}
	for _, tool := range []string{"mkfs.ext4", "debugfs", "e2fsck", "losetup", "unshare"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	for _, mkfs := range [][]string{{"-t", "ext4", "-b", "1024"}, {"-t", "ext4", "-b", "4096"}, {"-t", "ext3", "-b", "1024"}} {
		t.Run(mkfs[1]+"-"+mkfs[3], func(t *testing.T) {
			dir := t.TempDir()
			a := filepath.Join(dir, "a.img")
			out, err := exec.Command("mkfs.ext4", append(append([]string{"-q", "-F"}, mkfs...), a, "8M")...).CombinedOutput()
			require.NoError(t, err, "%s", out)
			mnt := filepath.Join(dir, "mnt")
			require.NoError(t, os.Mkdir(mnt, 0o755))
			imgA, err := os.ReadFile(a)
			require.NoError(t, err)
			if mkfs[1] == "ext4" {
				// The journal features the kernel writes a
				// metadata_csum filesystem's log with (while
				// mounted): checksums v3 and 64bit.
				fa, err := Open(bytes.NewReader(imgA), int64(len(imgA)), "")
				require.NoError(t, err)
				jn, err := fa.readInode(fa.sb.journalInum)
				require.NoError(t, err)
				s, err := fa.mapBlock(jn, 0)
				require.NoError(t, err)
				bs := fa.sb.blockSize
				jsb := imgA[int(s.pblk)*bs : int(s.pblk)*bs+1024]
				binary.BigEndian.PutUint32(jsb[0x28:], 0x10|0x2) // CSUM_V3 | 64BIT
				jsb[0x50] = 4                                    // crc32c
				clear(jsb[0xFC:0x100])
				binary.BigEndian.PutUint32(jsb[0xFC:], crc32c(^uint32(0), jsb))
			}
			b := filepath.Join(dir, "b.img")
			require.NoError(t, os.WriteFile(b, imgA, 0o644))
			src := filepath.Join(dir, "src")
			require.NoError(t, os.WriteFile(src, bytes.Repeat([]byte("journaled\n"), 1000), 0o644))
			script := filepath.Join(dir, "script")
			require.NoError(t, os.WriteFile(script, []byte("mkdir d\ncd d\nwrite "+src+" f\nmkdir e\nsymlink l /etc\n"), 0o644))
			out, err = exec.Command("debugfs", "-w", "-f", script, b).CombinedOutput()
			require.NoError(t, err, "%s", out)
			imgB, err := os.ReadFile(b)
			require.NoError(t, err)
			// The transaction: every block debugfs changed. (The
			// file's data blocks too: here they are logged like
			// metadata, which replay writes all the same.)
			fa, err := Open(bytes.NewReader(imgA), int64(len(imgA)), "")
			require.NoError(t, err)
			bs := fa.sb.blockSize
			var tx []metaBlock
			for nr := 0; nr < len(imgA)/bs; nr++ {
				if !bytes.Equal(imgA[nr*bs:(nr+1)*bs], imgB[nr*bs:(nr+1)*bs]) {
					tx = append(tx, metaBlock{Nr: uint64(nr), Data: imgB[nr*bs : (nr+1)*bs]})
				}
			}
			// Run to the end of the commit, then cut the power.
			probe := newCutDev(imgA, -1, nil)
			f, err := Open(probe, int64(len(imgA)), "")
			require.NoError(t, err)
			require.NoError(t, f.journalOpen(probe))
			jd := f.jnl
			compat, incompat := jd.j.Features()
			t.Logf("journal features: compat %#x incompat %#x", compat, incompat)
			if mkfs[1] == "ext4" {
				require.Equal(t, uint32(0x12), incompat)
			}
			require.NoError(t, setNeedsRecovery(probe, true))
			jd.on = true
			require.NoError(t, jd.j.Commit(toJBD2(f, tx)))
			d := newCutDev(imgA, probe.n, nil)
			f, err = Open(d, int64(len(imgA)), "")
			require.NoError(t, err)
			require.NoError(t, f.journalOpen(d))
			require.NoError(t, f.journalCommit(tx))
			crashed := filepath.Join(dir, "crashed.img")
			require.NoError(t, os.WriteFile(crashed, d.image(), 0o644))
			sh := fmt.Sprintf(`set -e; dev=$(losetup -f --show %s); trap 'losetup -d $dev' EXIT; mount -o ro $dev %s; cat %s/d/f > %s/got; umount %s`, crashed, mnt, mnt, dir, mnt)
			out, err = exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", sh).CombinedOutput()
			require.NoError(t, err, "%s", out)
			got, err := os.ReadFile(filepath.Join(dir, "got"))
			require.NoError(t, err)
			require.Equal(t, bytes.Repeat([]byte("journaled\n"), 1000), got)
			code, out1 := fsckCode(t, crashed, "-fn")
			require.Zero(t, code, "%s", out1)
			replayed, err := os.ReadFile(crashed)
			require.NoError(t, err)
			for _, m := range tx {
				if m.Nr == uint64(superOffset/bs) {
					continue // the kernel rewrites its own fields
				}
				require.Equal(t, m.Data, replayed[int(m.Nr)*bs:int(m.Nr+1)*bs], "block %d", m.Nr)
			}
		})
	}
}

func toJBD2(f *FS, blocks []metaBlock) []jbd2.Block {
	out := make([]jbd2.Block, len(blocks))
	for i, b := range blocks {
		out[i] = jbd2.Block{Nr: b.Nr, Data: b.Data}
	}
	return out
}
