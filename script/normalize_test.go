package script

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalizeMountInfo(t *testing.T) {
	in := []string{
		"412 388 0:95 / / rw,relatime shared:301 - tmpfs none rw,inode64",
		"420 412 0:97 / /b rw,nosuid,nodev,noexec,relatime master:301 - tmpfs x rw,size=1024k",
		"415 412 0:96 / /a ro,nosuid,relatime shared:305 master:301 propagate_from:7 unbindable - tmpfs none ro",
		"421 415 0:96 /sub /a rw,noatime - tmpfs none rw",
		"422 999 0:95 /d /c rw - tmpfs none rw",
	}
	require.Equal(t, []string{
		"1 0 dev1 / / rw shared:1 - tmpfs none",
		"2 1 dev2 / /a ro,nosuid shared:2 master:1 propagate_from:3 unbindable - tmpfs none",
		"3 2 dev2 /sub /a rw - tmpfs none",
		"4 1 dev3 / /b rw,nosuid,nodev,noexec master:1 - tmpfs x",
		"5 0 dev1 /d /c rw - tmpfs none",
	}, NormalizeMountInfo(in))

	// Stacked mounts listed child first keep parent-chain order; a mount
	// that is its own parent gets parent 0.
	require.Equal(t, []string{
		"1 0 dev1 / / rw - tmpfs none",
		"2 1 dev2 / / rw - tmpfs none",
	}, NormalizeMountInfo([]string{
		"30 20 0:2 / / rw - tmpfs none rw",
		"20 20 0:1 / / rw - tmpfs none rw",
	}))

	for _, odd := range [][]string{{"(empty)"}, {"ENOENT"}, {"1 2 3"}} {
		require.Equal(t, odd, NormalizeMountInfo(odd))
	}
}

func TestNormalize(t *testing.T) {
	p, err := Parse("x.mnt", []byte("mkdir /a\nmountinfo\nmountinfo\nmountinfo\n"))
	require.NoError(t, err)
	out := "1: ok\n" +
		"2: 50 40 0:9 / / rw,relatime - tmpfs none rw\n" +
		"2: 51 50 0:9 / /a rw,relatime - tmpfs none rw\n" +
		"3: (empty)\n" +
		"4: 60 51 0:3 / /a rw - tmpfs none rw\n" +
		"4: 59 40 0:8 / / rw - tmpfs none rw\n"
	require.Equal(t, "1: ok\n"+
		"2: 1 0 dev1 / / rw - tmpfs none\n"+
		"2: 2 1 dev1 / /a rw - tmpfs none\n"+
		"3: (empty)\n"+
		"4: 1 0 dev1 / / rw - tmpfs none\n"+
		"4: 2 0 dev2 / /a rw - tmpfs none\n", string(Normalize(p, []byte(out))))
}

func TestDiff(t *testing.T) {
	require.Empty(t, Diff("a", []byte("x\ny\n"), "b", []byte("x\ny\n")))
	d := Diff("want", []byte("1: ok\n2: ok\n"), "got", []byte("1: ok\n2: EBUSY\n"))
	require.Contains(t, d, "first difference at output line 2")
	require.Contains(t, d, "-want: 2: ok")
	require.Contains(t, d, "+got: 2: EBUSY")
}
