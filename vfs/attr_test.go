package vfs

import (
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// glibcMakedev is glibc's __SYSMACROS_DEFINE_MAKEDEV written out by hand.
func glibcMakedev(major, minor uint32) uint64 {
	var dev uint64
	dev = (uint64(major) & 0x00000fff) << 8
	dev |= (uint64(major) & 0xfffff000) << 32
	dev |= (uint64(minor) & 0x000000ff) << 0
	dev |= (uint64(minor) & 0xffffff00) << 12
	return dev
}

func glibcMajor(dev uint64) uint32 {
	return uint32((dev&0x00000000000fff00)>>8 | (dev&0xfffff00000000000)>>32)
}

func glibcMinor(dev uint64) uint32 {
	return uint32((dev&0x00000000000000ff)>>0 | (dev&0x00000ffffff00000)>>12)
}

func TestMkdevKnownValues(t *testing.T) {
	cases := []struct {
		major, minor uint32
		dev          uint64
	}{
		{0, 0, 0},
		{1, 3, 0x103},     // /dev/null
		{8, 1, 0x801},     // /dev/sda1
		{8, 16, 0x810},    // /dev/sdb
		{7, 0, 0x700},     // /dev/loop0
		{259, 0, 0x10300}, // first blkext (nvme) device
		{259, 70000, 0x11110370},
		{0xfff, 0xff, 0xfffff},
		{0x1000, 0, 0x0000100000000000},
		{0, 0x100, 0x100000},
		{0xffffffff, 0xffffffff, 0xffffffffffffffff},
	}
	for _, c := range cases {
		require.Equal(t, c.dev, Mkdev(c.major, c.minor), "makedev(%d, %d)", c.major, c.minor)
		require.Equal(t, c.dev, glibcMakedev(c.major, c.minor))
		require.Equal(t, c.major, Major(c.dev))
		require.Equal(t, c.minor, Minor(c.dev))
	}
}

func TestMkdevRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		major := rapid.Uint32().Draw(t, "major")
		minor := rapid.Uint32().Draw(t, "minor")
		dev := Mkdev(major, minor)
		if dev != glibcMakedev(major, minor) {
			t.Fatalf("Mkdev(%#x, %#x) = %#x, glibc %#x", major, minor, dev, glibcMakedev(major, minor))
		}
		if Major(dev) != major || Minor(dev) != minor {
			t.Fatalf("round trip of (%#x, %#x) gave (%#x, %#x)", major, minor, Major(dev), Minor(dev))
		}
	})
	rapid.Check(t, func(t *rapid.T) {
		// Every 64-bit dev_t splits as glibc splits it, and rebuilding it
		// from its parts gives it back (the encoding is a bijection).
		dev := rapid.Uint64().Draw(t, "dev")
		if Major(dev) != glibcMajor(dev) || Minor(dev) != glibcMinor(dev) {
			t.Fatalf("dev %#x: got (%#x, %#x), glibc (%#x, %#x)", dev, Major(dev), Minor(dev), glibcMajor(dev), glibcMinor(dev))
		}
		if Mkdev(Major(dev), Minor(dev)) != dev {
			t.Fatalf("dev %#x does not round trip", dev)
		}
	})
}

func TestModePredicates(t *testing.T) {
	types := []Mode{ModeSocket, ModeSymlink, ModeRegular, ModeBlockDevice, ModeDir, ModeCharDevice, ModeFIFO}
	for _, typ := range types {
		m := typ | ModeSetuid | ModeSticky | 0o751
		require.Equal(t, typ, m.Type())
		require.Equal(t, ModeSetuid|ModeSticky|0o751, m.Perm())
		require.Equal(t, typ == ModeDir, m.IsDir())
		require.Equal(t, typ == ModeRegular, m.IsRegular())
		require.Equal(t, typ == ModeSymlink, m.IsSymlink())
	}
	// Linux's numeric values.
	require.Equal(t, Mode(0o170000), ModeType)
	require.Equal(t, Mode(0o040755), ModeDir|0o755)
	require.Equal(t, Mode(0o100644), ModeRegular|0o644)
	require.Equal(t, Mode(0o7777), ModeSetuid|ModeSetgid|ModeSticky|ModePerm)
	// A mode with no type bits is none of them.
	require.Equal(t, Mode(0), Mode(0o644).Type())
	require.False(t, Mode(0o644).IsRegular())
}

func TestModeFileMode(t *testing.T) {
	cases := []struct {
		m    Mode
		want fs.FileMode
	}{
		{ModeRegular | 0o644, 0o644},
		{ModeDir | 0o755, fs.ModeDir | 0o755},
		{ModeSymlink | 0o777, fs.ModeSymlink | 0o777},
		{ModeFIFO | 0o600, fs.ModeNamedPipe | 0o600},
		{ModeSocket | 0o755, fs.ModeSocket | 0o755},
		{ModeCharDevice | 0o666, fs.ModeDevice | fs.ModeCharDevice | 0o666},
		{ModeBlockDevice | 0o660, fs.ModeDevice | 0o660},
		{ModeRegular | ModeSetuid | 0o755, fs.ModeSetuid | 0o755},
		{ModeRegular | ModeSetgid | 0o755, fs.ModeSetgid | 0o755},
		{ModeDir | ModeSticky | 0o777, fs.ModeDir | fs.ModeSticky | 0o777},
		{ModeDir | ModeSetgid | ModeSetuid | ModeSticky | 0o700,
			fs.ModeDir | fs.ModeSetgid | fs.ModeSetuid | fs.ModeSticky | 0o700},
		{0o644, 0o644}, // no type: treated as regular
	}
	for _, c := range cases {
		got := c.m.FileMode()
		require.Equal(t, c.want, got, "%#o", uint32(c.m))
		require.Equal(t, c.m.IsDir(), got.IsDir())
		require.Equal(t, c.m.IsRegular() || c.m.Type() == 0, got.IsRegular())
		require.Equal(t, fs.FileMode(c.m&ModePerm), got.Perm())
	}
	// Every mode maps its type and special bits independently.
	rapid.Check(t, func(t *rapid.T) {
		typ := rapid.SampledFrom([]Mode{0, ModeSocket, ModeSymlink, ModeRegular, ModeBlockDevice, ModeDir, ModeCharDevice, ModeFIFO}).Draw(t, "type")
		perm := Mode(rapid.IntRange(0, 0o7777).Draw(t, "perm"))
		fm := (typ | perm).FileMode()
		if fm.Perm() != fs.FileMode(perm&ModePerm) {
			t.Fatalf("perm bits %#o became %v", perm, fm)
		}
		if (fm&fs.ModeSetuid != 0) != (perm&ModeSetuid != 0) ||
			(fm&fs.ModeSetgid != 0) != (perm&ModeSetgid != 0) ||
			(fm&fs.ModeSticky != 0) != (perm&ModeSticky != 0) {
			t.Fatalf("special bits of %#o became %v", perm, fm)
		}
		if fm.Type() != (typ | 0o644).FileMode().Type() {
			t.Fatalf("type of %#o depends on the permission bits", typ|perm)
		}
	})
}

func TestTimespec(t *testing.T) {
	tm := time.Date(2024, 2, 29, 12, 34, 56, 789, time.UTC)
	ts := TimespecOf(tm)
	require.Equal(t, Timespec{Sec: tm.Unix(), Nsec: 789}, ts)
	require.True(t, ts.Time().Equal(tm))
	// Before the epoch the nanoseconds stay in [0, 1e9), as in Linux.
	pre := time.Unix(-1, 500)
	require.Equal(t, Timespec{Sec: -1, Nsec: 500}, TimespecOf(pre))
	require.True(t, TimespecOf(pre).Time().Equal(pre))
	require.Equal(t, Timespec{}, TimespecOf(time.Unix(0, 0)))
	now := Now()
	require.GreaterOrEqual(t, now.Nsec, int64(0))
	require.Less(t, now.Nsec, int64(time.Second))
}

func TestLinuxConstants(t *testing.T) {
	// Values from the x86-64/generic uapi headers.
	require.Equal(t, 0o100, O_CREAT)
	require.Equal(t, 0o200000, O_DIRECTORY)
	require.Equal(t, 0o400000, O_NOFOLLOW)
	require.Equal(t, 0o10000000, O_PATH)
	require.Equal(t, O_DIRECTORY|0o20000000, O_TMPFILE)
	require.Equal(t, 0o4000000|O_DSYNC, O_SYNC)
	require.Equal(t, 1, RENAME_NOREPLACE)
	require.Equal(t, 2, RENAME_EXCHANGE)
	require.Equal(t, 4, RENAME_WHITEOUT)
	require.Equal(t, 255, NameMax)
	require.Equal(t, 4096, PathMax)
	require.Equal(t, 40, SymlinkMax)
}
