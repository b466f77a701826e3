package jbd2

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/vfs"
)

// memDev is a device in memory; Sync counts flushes.
type memDev struct {
	b     []byte
	syncs int
}

func (d *memDev) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(d.b)) {
		return 0, vfs.EIO
	}
	return copy(p, d.b[off:]), nil
}

func (d *memDev) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > int64(len(d.b)) {
		return 0, vfs.ENOSPC
	}
	return copy(d.b[off:], p), nil
}

func (d *memDev) Sync() error { d.syncs++; return nil }

// Test layout: filesystem blocks [0, fsBlocks), the journal after them.
const fsBlocks = 64

type layout struct {
	name     string
	bs       int
	v1       bool
	compat   uint32
	incompat uint32
}

var layouts = []layout{
	{name: "v1", bs: 1024, v1: true},
	{name: "v2", bs: 1024, incompat: FeatureIncompatRevoke},
	{name: "64bit", bs: 4096, incompat: FeatureIncompatRevoke | FeatureIncompat64Bit},
	{name: "csum1", bs: 1024, compat: FeatureCompatChecksum, incompat: FeatureIncompatRevoke},
	{name: "csum2", bs: 1024, incompat: FeatureIncompatRevoke | FeatureIncompatCsumV2},
	{name: "csum2-64bit", bs: 2048, incompat: FeatureIncompatRevoke | FeatureIncompatCsumV2 | FeatureIncompat64Bit},
	{name: "csum3", bs: 1024, incompat: FeatureIncompatRevoke | FeatureIncompatCsumV3},
	{name: "csum3-64bit-async", bs: 4096, incompat: FeatureIncompatRevoke | FeatureIncompatCsumV3 | FeatureIncompat64Bit | FeatureIncompatAsyncCommit},
}

// mkSuper formats a journal superblock of n blocks into b.
func mkSuper(b []byte, l layout, n uint32, seq uint32) {
	clear(b)
	be.PutUint32(b, Magic)
	if l.v1 {
		be.PutUint32(b[4:], typeSuperV1)
	} else {
		be.PutUint32(b[4:], typeSuperV2)
	}
	be.PutUint32(b[sbBlocksize:], uint32(l.bs))
	be.PutUint32(b[sbMaxlen:], n)
	be.PutUint32(b[sbFirst:], 1)
	be.PutUint32(b[sbSequence:], seq)
	if !l.v1 {
		be.PutUint32(b[sbCompat:], l.compat)
		be.PutUint32(b[sbIncompat:], l.incompat)
		for i := range 16 {
			b[sbUUID+i] = byte(0xA0 + i)
		}
		be.PutUint32(b[0x40:], 1) // s_nr_users
		if l.incompat&(FeatureIncompatCsumV2|FeatureIncompatCsumV3) != 0 {
			b[sbChecksumType] = checksumCRC32C
			s := &super{raw: b}
			be.PutUint32(b[sbChecksum:], s.checksum())
		}
	}
}

// newDev makes a device with a fresh journal of n blocks.
func newDev(l layout, n uint32) *memDev {
	d := &memDev{b: make([]byte, (fsBlocks+int(n))*l.bs)}
	mkSuper(d.b[fsBlocks*l.bs:(fsBlocks+1)*l.bs], l, n, 7)
	return d
}

func bmapFor(n uint32) func(uint32) (uint64, error) {
	return func(l uint32) (uint64, error) {
		if l >= n {
			return 0, vfs.EUCLEAN
		}
		return fsBlocks + uint64(l), nil
	}
}

func openDev(t *testing.T, d *memDev, l layout, n uint32) *Journal {
	t.Helper()
	j, err := Open(d, l.bs, bmapFor(n), n)
	require.NoError(t, err)
	j.FSBlocks = fsBlocks
	return j
}

func fill(bs int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, bs)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func fsBlock(d *memDev, bs int, nr uint64) []byte {
	return d.b[int(nr)*bs : int(nr+1)*bs]
}

// TestCommitRecover: transactions committed and not checkpointed are
// replayed by a journal opened afresh (a crash), in every format, with
// escaped blocks, blocks given twice, and more tags than one descriptor
// holds.
func TestCommitRecover(t *testing.T) {
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			const n = 400
			d := newDev(l, n)
			j := openDev(t, d, l, n)
			require.False(t, j.NeedsRecovery())
			want := map[uint64][]byte{}
			// T1: blocks 1..3, block 2 starting with Magic.
			var t1 []Block
			for nr := uint64(1); nr <= 3; nr++ {
				b := fill(l.bs, nr)
				if nr == 2 {
					be.PutUint32(b, Magic)
				}
				t1 = append(t1, Block{Nr: nr, Data: b})
				want[nr] = b
			}
			// Block 3 twice: the last content counts.
			b3 := fill(l.bs, 33)
			t1 = append(t1, Block{Nr: 3, Data: b3})
			want[3] = b3
			require.NoError(t, j.Commit(t1))
			// T2: every fs block from 4 (more tags than a 1 KiB
			// descriptor holds), and block 1 again.
			var t2 []Block
			for nr := uint64(4); nr < fsBlocks; nr++ {
				b := fill(l.bs, 100+nr)
				t2 = append(t2, Block{Nr: nr, Data: b})
				want[nr] = b
			}
			b1 := fill(l.bs, 11)
			t2 = append(t2, Block{Nr: 1, Data: b1})
			want[1] = b1
			require.NoError(t, j.Commit(t2))
			for nr := range want {
				require.NotEqual(t, want[nr], fsBlock(d, l.bs, nr), "block %d written in place before checkpoint", nr)
			}
			// Crash: reopen and recover.
			j2 := openDev(t, d, l, n)
			require.True(t, j2.NeedsRecovery())
			st, err := j2.Recover()
			require.NoError(t, err)
			require.Equal(t, uint32(8), st.Start)
			require.Equal(t, uint32(10), st.End)
			require.Equal(t, 3+(fsBlocks-4)+1, st.Replayed)
			for nr, b := range want {
				require.Equal(t, b, fsBlock(d, l.bs, nr), "block %d", nr)
			}
			seq, start := j2.Sequence()
			require.Equal(t, uint32(11), seq)
			require.Zero(t, start)
			j3 := openDev(t, d, l, n)
			require.False(t, j3.NeedsRecovery())
			// The first Checkpoint of the first journal would now
			// be wrong to make (the log was recovered); a new
			// transaction after recovery is numbered past it.
			require.NoError(t, j3.Commit([]Block{{Nr: 0, Data: fill(l.bs, 0)}}))
			require.NoError(t, j3.Checkpoint())
			require.Equal(t, fill(l.bs, 0), fsBlock(d, l.bs, 0))
			seq, start = j3.Sequence()
			require.Equal(t, uint32(13), seq)
			require.Zero(t, start)
			st, err = openDev(t, d, l, n).Recover()
			require.NoError(t, err)
			require.Zero(t, st.Replayed)
		})
	}
}

// TestCheckpointWraps: many transactions through a small log, with
// checkpoints made when the log fills, wrap around its end.
func TestCheckpointWraps(t *testing.T) {
	l := layouts[6]
	const n = 40
	d := newDev(l, n)
	j := openDev(t, d, l, n)
	want := map[uint64][]byte{}
	for i := range 50 {
		var tx []Block
		for k := range 1 + i%7 {
			nr := uint64((i*3 + k) % fsBlocks)
			b := fill(l.bs, uint64(1000+i*10+k))
			tx = append(tx, Block{Nr: nr, Data: b})
			want[nr] = b
		}
		require.NoError(t, j.Commit(tx))
		if i%9 == 8 { // a crash now and then
			_, err := openDev(t, d, l, n).Recover()
			require.NoError(t, err)
			for nr, b := range want {
				require.Equal(t, b, fsBlock(d, l.bs, nr))
			}
			j = openDev(t, d, l, n)
		}
	}
	require.NoError(t, j.Checkpoint())
	for nr, b := range want {
		require.Equal(t, b, fsBlock(d, l.bs, nr))
	}
	require.False(t, openDev(t, d, l, n).NeedsRecovery())
	// A transaction larger than the log.
	var big []Block
	for nr := range uint64(fsBlocks) {
		big = append(big, Block{Nr: nr, Data: fill(l.bs, nr)})
	}
	require.Equal(t, vfs.EFBIG, j.Commit(big))
	require.Equal(t, vfs.EINVAL, j.Commit([]Block{{Nr: fsBlocks, Data: fill(l.bs, 1)}}))
	require.Equal(t, vfs.EINVAL, j.Commit([]Block{{Nr: 1, Data: []byte{1}}}))
}

// logWriter appends raw blocks to the log of a journal whose last
// transaction is committed, for tests of what Commit never writes.
func appendRaw(t testing.TB, j *Journal, b []byte) {
	t.Helper()
	require.NoError(t, j.write(b, j.head))
	j.head = j.wrap(j.head + 1)
	j.used++
}

func revokeBlock(j *Journal, seq uint32, nrs ...uint64) []byte {
	b := make([]byte, j.bs)
	j.header(b, typeRevoke, seq)
	off := revokeHeader
	for _, nr := range nrs {
		if j.sb.bit64() != 0 {
			be.PutUint64(b[off:], nr)
			off += 8
		} else {
			be.PutUint32(b[off:], uint32(nr))
			off += 4
		}
	}
	be.PutUint32(b[12:], uint32(off))
	if j.sb.csumV2or3 {
		be.PutUint32(b[j.bs-tailSize:], tailCsum(j.sb.seed(), b))
	}
	return b
}

func commitBlock(j *Journal, seq uint32, sec uint64) []byte {
	c := make([]byte, j.bs)
	j.header(c, typeCommit, seq)
	be.PutUint64(c[0x30:], sec)
	if j.sb.csumV2or3 {
		be.PutUint32(c[0x10:], commitCsum(j.sb.seed(), c))
	}
	return c
}

// TestRevoke: a revoke record hides the block's copies in its own and
// earlier transactions, not in later ones.
func TestRevoke(t *testing.T) {
	for _, l := range layouts[1:] {
		if l.compat&FeatureCompatChecksum != 0 {
			continue // the raw blocks would need the v1 running sum
		}
		t.Run(l.name, func(t *testing.T) {
			const n = 100
			d := newDev(l, n)
			j := openDev(t, d, l, n)
			j.Now = func() time.Time { return time.Unix(1000, 0) }
			old5, old6 := fsBlock(d, l.bs, 5), fsBlock(d, l.bs, 6)
			old5, old6 = bytes.Clone(old5), bytes.Clone(old6)
			require.NoError(t, j.Commit([]Block{{Nr: 5, Data: fill(l.bs, 5)}, {Nr: 6, Data: fill(l.bs, 6)}}))
			// T(next): revokes 5 and 9.
			tid := j.nextTID
			appendRaw(t, j, revokeBlock(j, tid, 5, 9))
			appendRaw(t, j, commitBlock(j, tid, 1000))
			j.nextTID++
			// Then 9 logged again: replayed.
			nine := fill(l.bs, 9)
			require.NoError(t, j.Commit([]Block{{Nr: 9, Data: nine}}))
			st, err := openDev(t, d, l, n).Recover()
			require.NoError(t, err)
			require.Equal(t, 2, st.Replayed)
			require.Equal(t, old5, fsBlock(d, l.bs, 5))
			require.NotEqual(t, old6, fsBlock(d, l.bs, 6))
			require.Equal(t, nine, fsBlock(d, l.bs, 9))
		})
	}
}

// TestCorruptLog: how damage to the log ends or fails recovery, as the
// kernel's do_one_pass decides.
func TestCorruptLog(t *testing.T) {
	l := layouts[6] // csum v3, 1 KiB
	const n = 100
	// Two transactions: T8 = {1, 2} at log 1..4, T9 = {3} at log 5..7.
	setup := func(t *testing.T) (*memDev, *Journal) {
		d := newDev(l, n)
		j := openDev(t, d, l, n)
		sec := int64(100)
		j.Now = func() time.Time { sec++; return time.Unix(sec, 0) }
		require.NoError(t, j.Commit([]Block{{Nr: 1, Data: fill(l.bs, 1)}, {Nr: 2, Data: fill(l.bs, 2)}}))
		require.NoError(t, j.Commit([]Block{{Nr: 3, Data: fill(l.bs, 3)}}))
		return d, j
	}
	logBlock := func(d *memDev, i int) []byte { return fsBlock(d, l.bs, uint64(fsBlocks+i)) }
	replayed := func(d *memDev) []bool {
		var r []bool
		for nr := uint64(1); nr <= 3; nr++ {
			r = append(r, bytes.Equal(fsBlock(d, l.bs, nr), fill(l.bs, nr)))
		}
		return r
	}
	t.Run("commit checksum ends the log", func(t *testing.T) {
		d, _ := setup(t)
		logBlock(d, 7)[0x39] ^= 1 // in the header (the checksum of a
		// commit block whose header was written alone covers no more)
		st, err := openDev(t, d, l, n).Recover()
		require.NoError(t, err)
		require.Equal(t, uint32(9), st.End)
		require.Equal(t, []bool{true, true, false}, replayed(d))
	})
	t.Run("data checksum skips the block", func(t *testing.T) {
		d, _ := setup(t)
		logBlock(d, 2)[100] ^= 1 // block 1's copy
		_, err := openDev(t, d, l, n).Recover()
		require.Equal(t, vfs.EBADMSG, err)
		require.Equal(t, []bool{false, true, true}, replayed(d))
		// The superblock still asks for recovery.
		require.True(t, openDev(t, d, l, n).NeedsRecovery())
	})
	t.Run("descriptor checksum with a newer commit fails", func(t *testing.T) {
		d, _ := setup(t)
		logBlock(d, 5)[500] ^= 1 // T9's descriptor (a tag-free area)
		_, err := openDev(t, d, l, n).Recover()
		require.Equal(t, vfs.EBADMSG, err)
		require.Equal(t, []bool{false, false, false}, replayed(d))
	})
	t.Run("stale descriptor with an older commit ends the log", func(t *testing.T) {
		d, j := setup(t)
		// Rewrite T9's commit block with an older time than T8's.
		copy(logBlock(d, 7), commitBlock(j, 9, 50))
		logBlock(d, 5)[500] ^= 1
		st, err := openDev(t, d, l, n).Recover()
		require.NoError(t, err)
		require.Equal(t, uint32(9), st.End)
		require.Equal(t, []bool{true, true, false}, replayed(d))
	})
	t.Run("sequence mismatch ends the log", func(t *testing.T) {
		d, _ := setup(t)
		be.PutUint32(logBlock(d, 5)[8:], 42)
		st, err := openDev(t, d, l, n).Recover()
		require.NoError(t, err)
		require.Equal(t, uint32(9), st.End)
		require.Equal(t, []bool{true, true, false}, replayed(d))
	})
	t.Run("unknown block type ends the log", func(t *testing.T) {
		d, _ := setup(t)
		be.PutUint32(logBlock(d, 5)[4:], 9)
		st, err := openDev(t, d, l, n).Recover()
		require.NoError(t, err)
		require.Equal(t, uint32(9), st.End)
	})
	t.Run("block past the filesystem", func(t *testing.T) {
		d := newDev(l, n)
		j := openDev(t, d, l, n)
		j.FSBlocks = 0
		require.NoError(t, j.Commit([]Block{{Nr: fsBlocks + 90, Data: fill(l.bs, 1)}, {Nr: 1, Data: fill(l.bs, 1)}}))
		_, err := openDev(t, d, l, n).Recover()
		require.Equal(t, vfs.EUCLEAN, err)
		require.Equal(t, fill(l.bs, 1), fsBlock(d, l.bs, 1))
	})
	t.Run("log looping on itself", func(t *testing.T) {
		// Every log block a descriptor of the same transaction with
		// one tag: the scan would go round forever.
		d := newDev(layouts[1], 8)
		j := openDev(t, d, layouts[1], 8)
		desc := make([]byte, 1024)
		j.header(desc, typeDescriptor, 8)
		j.sb.writeTag(desc[headerSize:], tag{blocknr: 1, flags: flagLastTag | flagSameUUID})
		for i := 1; i < 8; i++ {
			copy(fsBlock(d, 1024, uint64(fsBlocks+i)), desc)
		}
		j.sb.sequence, j.sb.start = 8, 1
		require.NoError(t, j.writeSuper())
		_, err := openDev(t, d, layouts[1], 8).Recover()
		require.Equal(t, vfs.EUCLEAN, err)
	})
}

// TestOpenErrors: superblocks the kernel refuses.
func TestOpenErrors(t *testing.T) {
	l := layouts[6]
	const n = 100
	for _, c := range []struct {
		name  string
		patch func(b []byte)
		want  error
	}{
		{"magic", func(b []byte) { b[0] = 0 }, vfs.EINVAL},
		{"type", func(b []byte) { be.PutUint32(b[4:], typeCommit) }, vfs.EINVAL},
		{"block size", func(b []byte) { be.PutUint32(b[sbBlocksize:], 2048) }, vfs.EINVAL},
		{"too long", func(b []byte) { be.PutUint32(b[sbMaxlen:], n+1) }, vfs.EINVAL},
		{"first 0", func(b []byte) { be.PutUint32(b[sbFirst:], 0) }, vfs.EINVAL},
		{"first past", func(b []byte) { be.PutUint32(b[sbFirst:], n) }, vfs.EINVAL},
		{"start past", func(b []byte) { be.PutUint32(b[sbStart:], n) }, vfs.EINVAL},
		{"unknown incompat", func(b []byte) { be.PutUint32(b[sbIncompat:], FeatureIncompatCsumV3|0x100) }, vfs.EINVAL},
		{"unknown ro_compat", func(b []byte) { be.PutUint32(b[sbRoCompat:], 1) }, vfs.EINVAL},
		{"v2 and v3", func(b []byte) { be.PutUint32(b[sbIncompat:], FeatureIncompatCsumV3|FeatureIncompatCsumV2) }, vfs.EINVAL},
		{"v1 and v3", func(b []byte) { be.PutUint32(b[sbCompat:], FeatureCompatChecksum) }, vfs.EINVAL},
		{"checksum type", func(b []byte) { b[sbChecksumType] = 1 }, vfs.EINVAL},
		{"checksum", func(b []byte) { b[0x200] ^= 1 }, vfs.EBADMSG},
	} {
		d := newDev(l, n)
		sb := fsBlock(d, l.bs, fsBlocks)
		c.patch(sb)
		if c.want != vfs.EBADMSG {
			s := &super{raw: sb}
			be.PutUint32(sb[sbChecksum:], s.checksum())
		}
		_, err := Open(d, l.bs, bmapFor(n), n)
		require.Equal(t, c.want, err, c.name)
	}
	d := newDev(l, n)
	_, err := Open(d, 1000, bmapFor(n), n)
	require.Equal(t, vfs.EINVAL, err)
	_, err = Open(d, l.bs, func(uint32) (uint64, error) { return 0, vfs.EIO }, n)
	require.Equal(t, vfs.EIO, err)
	_, err = Open(d, l.bs, func(uint32) (uint64, error) { return 1 << 40, nil }, n)
	require.Equal(t, vfs.EIO, err)
	// A shorter s_maxlen than the inode is fine (j_total_len shrinks).
	sb := fsBlock(d, l.bs, fsBlocks)
	be.PutUint32(sb[sbMaxlen:], n-10)
	be.PutUint32(sb[sbChecksum:], (&super{raw: sb}).checksum())
	_, err = Open(d, l.bs, bmapFor(n), n)
	require.NoError(t, err)
	// Fast commits are not recovered nor written.
	be.PutUint32(sb[sbIncompat:], FeatureIncompatCsumV3|FeatureIncompatFastCommit)
	be.PutUint32(sb[sbStart:], 1)
	be.PutUint32(sb[sbNumFCBlocks:], 10)
	be.PutUint32(sb[sbChecksum:], (&super{raw: sb}).checksum())
	j, err := Open(d, l.bs, bmapFor(n), n)
	require.NoError(t, err)
	_, err = j.Recover()
	require.Equal(t, vfs.EOPNOTSUPP, err)
}

// failDev fails every write from the n-th on.
type failDev struct {
	*memDev
	n int
}

func (d *failDev) WriteAt(p []byte, off int64) (int, error) {
	if d.n--; d.n < 0 {
		return 0, vfs.EIO
	}
	return d.memDev.WriteAt(p, off)
}

// TestAbort: after a failed write the journal writes nothing more.
func TestAbort(t *testing.T) {
	l := layouts[6]
	const n = 100
	for k := range 8 {
		d := &failDev{memDev: newDev(l, n), n: k}
		j, err := Open(d, l.bs, bmapFor(n), n)
		require.NoError(t, err)
		err = j.Commit([]Block{{Nr: 1, Data: fill(l.bs, 1)}, {Nr: 2, Data: fill(l.bs, 2)}})
		if err == nil {
			err = j.Checkpoint()
		}
		if k < 6 { // 1 superblock + 1 descriptor + 2 blocks + commit + 2 in place
			require.Equal(t, vfs.EIO, err, fmt.Sprint(k))
			require.Equal(t, vfs.EROFS, j.Commit([]Block{{Nr: 1, Data: fill(l.bs, 1)}}))
			require.Equal(t, vfs.EROFS, j.Checkpoint())
		}
	}
}
