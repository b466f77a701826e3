package jbd2

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// crashDev is a device whose power is cut at its limit-th write. Writes
// since the last Sync are volatile: at the cut, a chosen subset of them
// (all of them in order, or a random subset) reaches the medium; writes
// after the cut are lost. Reads see every write made.
type crashDev struct {
	view, durable []byte
	epoch         []wr
	n, limit      int
	cut           bool
	rnd           *rand.Rand // nil: the epoch's writes persist in order
}

type wr struct {
	off int64
	b   []byte
}

func newCrashDev(img []byte, limit int, rnd *rand.Rand) *crashDev {
	return &crashDev{view: bytes.Clone(img), durable: bytes.Clone(img), limit: limit, rnd: rnd}
}

func (d *crashDev) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(d.view)) {
		return 0, errors.New("read past the device")
	}
	return copy(p, d.view[off:]), nil
}

func (d *crashDev) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(d.view)) {
		return 0, errors.New("write past the device")
	}
	copy(d.view[off:], p)
	if d.n == d.limit {
		d.powerCut()
	}
	d.n++
	if !d.cut {
		d.epoch = append(d.epoch, wr{off, bytes.Clone(p)})
	}
	return len(p), nil
}

func (d *crashDev) Sync() error {
	if !d.cut {
		for _, w := range d.epoch {
			copy(d.durable[w.off:], w.b)
		}
		d.epoch = nil
	}
	return nil
}

// powerCut decides which volatile writes survive.
func (d *crashDev) powerCut() {
	if d.cut {
		return
	}
	d.cut = true
	for _, w := range d.epoch {
		if d.rnd == nil || d.rnd.IntN(2) == 0 {
			copy(d.durable[w.off:], w.b)
		}
	}
	d.epoch = nil
}

// image returns what the medium holds after the cut (or, with no cut,
// after a final flush).
func (d *crashDev) image() []byte {
	d.powerCut()
	return d.durable
}

func needTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"mkfs.ext4", "debugfs", "e2fsck"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (e2fsprogs)", tool)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s %v: %s%s", name, args, out, stderr.Bytes())
	return string(out)
}

// fsck runs e2fsck with args on img and returns its exit status.
func fsck(t *testing.T, img string, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command("e2fsck", append(args, img)...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	require.NoError(t, err)
	return 0, string(out)
}

// journalBlocks lists the device blocks of the journal inode's logical
// blocks, in order, from debugfs's stat (block-map and extent forms:
// "(0-11):562-573, (IND):574, (12):575" or "(2-16):83-97").
func journalBlocks(t *testing.T, img string) []uint64 {
	out := run(t, "debugfs", "-R", "stat <8>", img)
	i := strings.Index(out, "BLOCKS:")
	if j := strings.Index(out, "EXTENTS:"); j >= 0 {
		i = j
	}
	require.GreaterOrEqual(t, i, 0, out)
	var blocks []uint64
	for _, f := range strings.FieldsFunc(strings.SplitN(out[i:], "\n", 3)[1], func(r rune) bool { return r == ',' || r == ' ' }) {
		lr, pr, ok := strings.Cut(f, ":")
		require.True(t, ok, f)
		if !strings.HasPrefix(lr, "(") || lr[1] < '0' || lr[1] > '9' {
			continue // (IND), (DIND), (ETB0): mapping blocks
		}
		lo, hi, _ := strings.Cut(strings.Trim(lr, "()"), "-")
		plo, _, _ := strings.Cut(pr, "-")
		a, err := strconv.ParseUint(lo, 10, 64)
		require.NoError(t, err)
		b := a
		if hi != "" {
			b, err = strconv.ParseUint(hi, 10, 64)
			require.NoError(t, err)
		}
		p, err := strconv.ParseUint(plo, 10, 64)
		require.NoError(t, err)
		require.Equal(t, uint64(len(blocks)), a, "journal with holes: %s", f)
		for k := range b - a + 1 {
			blocks = append(blocks, p+k)
		}
	}
	return blocks
}

// setRecover sets or clears needs_recovery in the ext4 superblock of
// img, refreshing its metadata_csum checksum, as the ext4 side does.
func setRecover(img []byte, on bool) []byte {
	sb := img[1024:2048]
	le := binary.LittleEndian
	inc := le.Uint32(sb[0x60:])
	if on {
		inc |= 0x4
	} else {
		inc &^= 0x4
	}
	le.PutUint32(sb[0x60:], inc)
	if le.Uint32(sb[0x64:])&0x400 != 0 {
		le.PutUint32(sb[0x3FC:], crc32c(^uint32(0), sb[:0x3FC]))
	}
	return sb
}

type crashCase struct {
	name     string
	mkfs     []string
	size     string
	compat   uint32 // journal features the kernel would set at mount
	incompat uint32
}

// TestCrashE2fsck: a metadata transaction (every block a debugfs change
// touched) is committed and checkpointed on a real ext4 image through a
// device whose power is cut after each of its writes in turn. After
// each cut, Recover (and clearing needs_recovery) must give the image
// before or after the change, byte for byte outside the journal, and
// the latter whenever the commit had returned; e2fsck -fn must find it
// clean. e2fsck -fy's own replay of the same cut image must reach the
// same state.
func TestCrashE2fsck(t *testing.T) {
	needTools(t)
	cases := []crashCase{
		{name: "ext4-1k-csum3", size: "4M", mkfs: []string{"-t", "ext4", "-b", "1024"}, incompat: FeatureIncompatCsumV3 | FeatureIncompatRevoke},
		{name: "ext4-4k-csum3-64bit", size: "8M", mkfs: []string{"-t", "ext4", "-b", "4096"}, incompat: FeatureIncompatCsumV3 | FeatureIncompat64Bit},
		// ext3 (a block-mapped journal inode), with the v1
		// transaction checksum.
		{name: "ext3-v1csum", size: "4M", mkfs: []string{"-t", "ext3", "-b", "1024"}, compat: FeatureCompatChecksum, incompat: FeatureIncompatRevoke},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { crashCaseRun(t, c) })
	}
}

// fsckReplay runs e2fsck -fy on a copy of img, checks that e2fsck -fn
// then finds it clean, and returns the result.
func fsckReplay(t *testing.T, path string, img []byte, limit int) []byte {
	require.NoError(t, os.WriteFile(path, img, 0o644))
	code, out := fsck(t, path, "-fy")
	require.LessOrEqual(t, code, 1, "cut at %d: e2fsck -fy: %s", limit, out)
	code, out = fsck(t, path, "-fn")
	require.Zero(t, code, "cut at %d: e2fsck -fn after e2fsck -fy: %s", limit, out)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func crashCaseRun(t *testing.T, c crashCase) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.img")
	run(t, "mkfs.ext4", append([]string{"-q", "-F", "-E", "lazy_itable_init=0", "-U", "6f0ab2ff-21a5-4d8c-9e0b-7f0d9e6a0001"}, append(c.mkfs, a, c.size)...)...)
	jblocks := journalBlocks(t, a)
	imgA, err := os.ReadFile(a)
	require.NoError(t, err)
	bs := 1024
	if slices := c.mkfs; slices[len(slices)-1] == "4096" {
		bs = 4096
	}
	// The journal superblock as the kernel leaves it after a mount.
	jsb := imgA[int(jblocks[0])*bs : int(jblocks[0]+1)*bs]
	if c.compat != 0 || c.incompat != 0 {
		be.PutUint32(jsb[sbCompat:], c.compat)
		be.PutUint32(jsb[sbIncompat:], c.incompat)
		if c.incompat&(FeatureIncompatCsumV2|FeatureIncompatCsumV3) != 0 {
			jsb[sbChecksumType] = checksumCRC32C
			be.PutUint32(jsb[sbChecksum:], (&super{raw: jsb}).checksum())
		}
		if c.compat&FeatureCompatChecksum != 0 {
			jsb[sbChecksumType] = checksumCRC32
		}
		require.NoError(t, os.WriteFile(a, imgA, 0o644))
	}
	// B: a few changes made by debugfs.
	b := filepath.Join(dir, "b.img")
	require.NoError(t, os.WriteFile(b, imgA, 0o644))
	src := filepath.Join(dir, "src")
	require.NoError(t, os.WriteFile(src, bytes.Repeat([]byte("committed data\n"), 300), 0o644))
	script := filepath.Join(dir, "script")
	require.NoError(t, os.WriteFile(script, []byte("mkdir d\nwrite "+src+" d/f\nsymlink l /d/f\nmkdir d/e\n"), 0o644))
	run(t, "debugfs", "-w", "-f", script, b)
	imgB, err := os.ReadFile(b)
	require.NoError(t, err)
	code, out := fsck(t, b, "-fn")
	require.Zero(t, code, out)
	inJournal := map[uint64]bool{}
	for _, n := range jblocks {
		inJournal[n] = true
	}
	var tx []Block
	for nr := uint64(0); nr < uint64(len(imgA)/bs); nr++ {
		x, y := imgA[int(nr)*bs:int(nr+1)*bs], imgB[int(nr)*bs:int(nr+1)*bs]
		if !bytes.Equal(x, y) {
			require.False(t, inJournal[nr])
			tx = append(tx, Block{Nr: nr, Data: y})
		}
	}
	require.NotEmpty(t, tx)
	bmap := func(l uint32) (uint64, error) {
		if int(l) >= len(jblocks) {
			return 0, errors.New("past the journal")
		}
		return jblocks[l], nil
	}
	// The sequence under test: needs_recovery on, commit, checkpoint,
	// needs_recovery off. committedAt is the write count when Commit
	// returned.
	committedAt := -1
	sequence := func(d *crashDev) {
		j, err := Open(d, bs, bmap, uint32(len(jblocks)))
		require.NoError(t, err)
		_, err = d.WriteAt(setRecover(bytes.Clone(d.view), true), 1024)
		require.NoError(t, err)
		require.NoError(t, d.Sync())
		require.NoError(t, j.Commit(tx))
		if committedAt < 0 {
			committedAt = d.n
		}
		require.NoError(t, j.Checkpoint())
		_, err = d.WriteAt(setRecover(bytes.Clone(d.view), false), 1024)
		require.NoError(t, err)
		require.NoError(t, d.Sync())
	}
	full := newCrashDev(imgA, -1, nil)
	sequence(full)
	total := full.n
	require.Greater(t, total, 2*len(tx)+4)
	// same reports whether x and y agree outside the journal (and,
	// with skipSuper, outside the superblock's block).
	sbBlock := uint64(1024 / bs)
	same := func(x, y []byte, skipSuper bool) (bool, uint64) {
		for nr := uint64(0); nr < uint64(len(x)/bs); nr++ {
			if inJournal[nr] || skipSuper && nr == sbBlock {
				continue
			}
			if !bytes.Equal(x[nr*uint64(bs):(nr+1)*uint64(bs)], y[nr*uint64(bs):(nr+1)*uint64(bs)]) {
				return false, nr
			}
		}
		return true, 0
	}
	ok, _ := same(full.image(), imgB, false)
	require.True(t, ok)
	cut := filepath.Join(dir, "cut.img")
	var seen [2]int
	for limit := 0; limit <= total; limit++ {
		for _, model := range []*rand.Rand{nil, rand.New(rand.NewPCG(uint64(limit), 7))} {
			d := newCrashDev(imgA, limit, model)
			sequence(d)
			img := d.image()
			// e2fsck's replay, on a copy (of the in-order cuts: the
			// random ones are checked through our replay only).
			var fsckImg []byte
			if model == nil {
				fsckImg = fsckReplay(t, cut, img, limit)
			}
			// Ours.
			rd := newCrashDev(img, -1, nil)
			j, err := Open(rd, bs, bmap, uint32(len(jblocks)))
			require.NoError(t, err)
			_, err = j.Recover()
			require.NoError(t, err)
			setRecover(rd.view, false)
			isB, _ := same(rd.view, imgB, false)
			isA, _ := same(rd.view, imgA, false)
			require.True(t, isB || isA, "cut at %d: neither the old nor the new state", limit)
			if limit >= committedAt {
				require.True(t, isB, "cut at %d, after the commit returned: the old state", limit)
			}
			if isB {
				seen[1]++
			} else {
				seen[0]++
			}
			if fsckImg == nil {
				// Byte for byte the old or the new state outside
				// the journal: e2fsck -fn is run on the in-order
				// cuts only.
				continue
			}
			require.NoError(t, os.WriteFile(cut, rd.view, 0o644))
			code, out := fsck(t, cut, "-fn")
			require.Zero(t, code, "cut at %d: e2fsck -fn after Recover: %s", limit, out)
			// e2fsck reached the same blocks (its superblock differs:
			// check times and counts it keeps).
			ok, nr := same(rd.view, fsckImg, true)
			require.True(t, ok, "cut at %d: block %d differs from e2fsck's replay", limit, nr)
		}
	}
	t.Logf("%d blocks in the transaction, %d writes, %d cuts gave the old state, %d the new", len(tx), total, seen[0], seen[1])
	require.NotZero(t, seen[0])
	require.NotZero(t, seen[1])
}
