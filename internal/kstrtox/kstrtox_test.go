package kstrtox

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/vfs"
)

func TestUint(t *testing.T) {
	for _, c := range []struct {
		s    string
		base int
		v    uint64
		err  error
	}{
		{"0", 0, 0, nil}, {"+12\n", 0, 12, nil}, {"0x1f", 0, 31, nil}, {"0X1F", 16, 31, nil},
		{"017", 0, 15, nil}, {"0x", 0, 0, vfs.EINVAL}, {"08", 0, 0, vfs.EINVAL}, {"1f", 16, 31, nil},
		{"", 0, 0, vfs.EINVAL}, {"12\n\n", 0, 0, vfs.EINVAL}, {" 1", 0, 0, vfs.EINVAL}, {"-1", 0, 0, vfs.EINVAL},
		{"18446744073709551615", 10, 1<<64 - 1, nil}, {"18446744073709551616", 10, 0, vfs.ERANGE},
	} {
		v, err := Uint(c.s, c.base)
		require.Equal(t, c.err, err, "%q", c.s)
		require.Equal(t, c.v, v, "%q", c.s)
	}
	_, err := Uint32("4294967296", 10)
	require.Equal(t, vfs.ERANGE, err)
	n, err := Int("-9223372036854775808", 10)
	require.NoError(t, err)
	require.Equal(t, int64(-1<<63), n)
	_, err = Int("9223372036854775808", 10)
	require.Equal(t, vfs.ERANGE, err)
	_, err = Int32("-2147483649", 10)
	require.Equal(t, vfs.ERANGE, err)
}

func TestMemparse(t *testing.T) {
	for _, c := range []struct {
		s, rest string
		v       uint64
	}{
		{"1k", "", 1 << 10}, {"2M", "", 2 << 20}, {"0x10g", "", 16 << 30}, {"3e", "", 3 << 60},
		{"k", "", 0}, // the suffix applies even after no digits, as in the kernel
		{"12x", "x", 12}, {"", "", 0}, {"1K\n", "\n", 1 << 10}, {"010", "", 8},
		{"16E", "", 0}, // overflow wraps
	} {
		v, rest := Memparse(c.s)
		require.Equal(t, c.v, v, "%q", c.s)
		require.Equal(t, c.rest, rest, "%q", c.s)
	}
}
