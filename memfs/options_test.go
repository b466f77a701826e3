package memfs

import (
	"testing"

	"github.com/mountkit/mountkit/vfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// linuxHost is the machine the table below was recorded on: Linux 6.18.44
// with 6171021 pages of RAM, one NUMA node, transparent huge pages, and
// CONFIG_TMPFS_INODE64, CONFIG_TMPFS_QUOTA and CONFIG_UNICODE off.
var linuxHost = Machine{RAMPages: 6171021, MemoryNodes: []int{0}, THP: true}

// linuxOptions maps mount data to the super options Linux printed in
// mountinfo for mount("none", dir, "tmpfs", 0, data), or to "EINVAL".
// Recorded with a raw mount(2) inside unshare --mount as root.
var linuxOptions = []struct{ data, want string }{
	{"", ""},
	{"size=1m", "size=1024k"},
	{"mode=700", "mode=700"},
	{"uid=5", "uid=5"},
	{"gid=7", "gid=7"},
	{"nr_inodes=10", "nr_inodes=10"},
	{"size=0", "size=0k"},
	{"nr_inodes=0", "nr_inodes=0"},
	{"size=1m,nr_inodes=10,mode=0700,uid=5,gid=6", "size=1024k,nr_inodes=10,mode=700,uid=5,gid=6"},
	{"size=50%", "size=12342044k"},
	{"nr_blocks=3", "size=12k"},
	{"size=1000", "size=4k"},
	{"size=4097", "size=8k"},
	{"huge=never", ""},
	{"huge=always", "huge=always"},
	{"huge=within_size", "huge=within_size"},
	{"huge=advise", "huge=advise"},
	{"inode32", ""},
	{"inode64", "inode64"},
	{"noswap", "noswap"},
	{"mpol=default", ""},
	{"mpol=local", "mpol=local"},
	{"mpol=prefer:0", "mpol=prefer:0"},
	{"mpol=bind:0", "mpol=bind:0"},
	{"mpol=interleave", "mpol=interleave:0"},
	{"mpol=interleave:0", "mpol=interleave:0"},
	{"mode=01777", ""},
	{"mode=0", "mode=000"},
	{"mode=17777", "mode=7777"},
	{"mpol=bind=static:0", "mpol=bind=static:0"},
	{"quota", "EINVAL"},
	{"usrquota", "EINVAL"},
	{"grpquota", "EINVAL"},
	{"quota,usrquota_block_hardlimit=1m", "EINVAL"},
	{"size=1k", "size=4k"},
	{"size=1g", "size=1048576k"},
	{"size=1t", "size=1073741824k"},
	{"size=1e", "size=1125899906842624k"},
	{"size=1p", "size=1099511627776k"},
	{"ro", ""},
	{"rw", ""},
	{"sync", ""},
	{"nomand", ""},
	{"size=", "EINVAL"},
	{"size", "EINVAL"},
	{"noswap=1", "EINVAL"},
	{"=foo", ""},
	{",,size=1m,,", "size=1024k"},
	{"size=1m,5", "EINVAL"},
	{"size=010", "size=4k"},
	{"size=0x10k", "size=16k"},
	{"size=0x", "EINVAL"},
	{"size=-1", "EINVAL"},
	{"size=+1", "EINVAL"},
	{"uid=+5", "uid=5"},
	{"uid=0x10", "uid=16"},
	{"uid=010", "uid=8"},
	{"uid=5\n", "uid=5"},
	{"uid=4294967295", "EINVAL"},
	{"uid=4294967294", "uid=4294967294"},
	{"gid=-1", "EINVAL"},
	{"mode=0x1", "EINVAL"},
	{"mode=8", "EINVAL"},
	{"mode=+7", "mode=007"},
	{"mode=7\n", "mode=007"},
	{"mode=37777777777", "mode=7777"},
	{"mode=77777777777", "EINVAL"},
	{"huge=deny", "EINVAL"},
	{"huge=force", "EINVAL"},
	{"huge=", "EINVAL"},
	{"huge=Always", "EINVAL"},
	{"nr_inodes=1k", "nr_inodes=1024"},
	{"nr_inodes=010", "nr_inodes=8"},
	{"nr_blocks=1k", "size=4096k"},
	{"nr_blocks=9223372036854775807", "size=18446744073709551612k"},
	{"nr_blocks=9223372036854775808", "EINVAL"},
	{"size=16e", "size=0k"},
	{"size=18446744073709551615", "size=0k"},
	{"size=99999999999999999999", "size=7584257452590080k"},
	{"size=1%", "size=246844k"},
	{"size=100%", "size=24684084k"},
	{"size=200%", "size=49368168k"},
	{"size=1k%", "size=252765024k"},
	{"size=1%k", "EINVAL"},
	{"nr_inodes=18014398509481983", "nr_inodes=18014398509481983"},
	{"nr_inodes=18014398509481984", "EINVAL"},
	{"casefold", "EINVAL"},
	{"casefold=utf8-12.1.0", "EINVAL"},
	{"strict_encoding", "EINVAL"},
	{"inode64,inode32", ""},
	{"inode32,inode64", "inode64"},
	{"mpol=prefer", "mpol=local"},
	{"mpol=prefer:1", "EINVAL"},
	{"mpol=bind", "EINVAL"},
	{"mpol=local:0", "EINVAL"},
	{"mpol=default:0", "EINVAL"},
	{"mpol=interleave:0-0", "mpol=interleave:0"},
	{"mpol=weighted-interleave", "EINVAL"},
	{"mpol=preferred-many:0", "EINVAL"},
	{"mpol=prefer=relative:0", "mpol=prefer=relative:0"},
	{"mpol=bind=static", "EINVAL"},
	{"mpol=interleave=relative", "mpol=interleave=relative:0"},
	{"mpol=bogus", "EINVAL"},
	{"mpol=bind:0,size=1m", "size=1024k,mpol=bind:0"},
	{"mpol=bind:0,1", "EINVAL"},
	{"SIZE=1m", "EINVAL"},
	{"size=1K", "size=4k"},
	{"size=1M", "size=1024k"},
	{"nr_inodes=0x10", "nr_inodes=16"},
	{"uid=5,uid=6", "uid=6"},
	{"size=1m,size=0", "size=0k"},
	{"mode=0777", "mode=777"},
	{"mode=1777", ""},
	{"noswap,noswap", "noswap"},
	{"huge=never,huge=always", "huge=always"},
	{"mpol=weighted interleave", "mpol=weighted interleave:0"},
	{"mpol=weighted interleave:0", "mpol=weighted interleave:0"},
	{"mpol=prefer (many):0", "mpol=prefer (many):0"},
	{"mpol=prefer (many)", "EINVAL"},
	{"mpol=prefer:", "EINVAL"},
	{"mpol=bind:", "EINVAL"},
	{"mpol=interleave:", "EINVAL"},
	{"mpol=prefer=static", "EINVAL"},
	{"mpol=local=static", "EINVAL"},
	{"mpol=default=static", ""},
	{"mpol=default=bogus", ""},
	{"mpol=bind:0-0:1/1", "mpol=bind:0"},
	{"mpol=bind:0-N", "EINVAL"},
	{"mpol=bind:all", "EINVAL"},
	{"mpol=bind:00", "mpol=bind:0"},
	{"mpol=prefer:00", "mpol=prefer:0"},
	{"mpol=prefer:0-0", "EINVAL"},
	{"mpol=bind: 0", "mpol=bind:0"},
	{"mpol=bind:0,0", "mpol=bind:0"},
	{"mpol=interleave=relative:0", "mpol=interleave=relative:0"},
	{"mpol=bind=:0", "EINVAL"},
	{"mpol=", "EINVAL"},
	{"mpol", "EINVAL"},
	{"ro=xyz", ""},
	{"noatime", "EINVAL"},
	{"nosuid", "EINVAL"},
	{"dev", "EINVAL"},
	{"exec", "EINVAL"},
	{"relatime", "EINVAL"},
	{"silent", "EINVAL"},
	{"defaults", "EINVAL"},
	{"user_xattr", "EINVAL"},
	{"acl", "EINVAL"},
	{"size=1m,=x,nr_inodes=5", "size=1024k,nr_inodes=5"},
	{"x=", "EINVAL"},
	{"mode=", "EINVAL"},
	{"uid=", "EINVAL"},
	{"nr_inodes=-0", "EINVAL"},
	{"size=1g\n", "EINVAL"},
	{"size=1 ", "EINVAL"},
	{"size= 1", "EINVAL"},
}

func TestParseOptionsLinux(t *testing.T) {
	for _, tc := range linuxOptions {
		o, err := linuxHost.ParseOptions(tc.data)
		if tc.want == "EINVAL" {
			assert.Equal(t, vfs.EINVAL, err, "data %q", tc.data)
			continue
		}
		if assert.NoError(t, err, "data %q", tc.data) {
			assert.Equal(t, tc.want, o.String(), "data %q", tc.data)
		}
	}
}

func TestParseOptionsSBFlags(t *testing.T) {
	for _, tc := range []struct {
		data        string
		flags, mask uint32
	}{
		{"ro", vfs.SB_RDONLY, vfs.SB_RDONLY},
		{"ro=xyz", vfs.SB_RDONLY, vfs.SB_RDONLY},
		{"rw,ro", vfs.SB_RDONLY, vfs.SB_RDONLY},
		{"ro,rw", 0, vfs.SB_RDONLY},
		{"sync,dirsync,lazytime,mand", vfs.SB_SYNCHRONOUS | vfs.SB_DIRSYNC | vfs.SB_LAZYTIME | vfs.SB_MANDLOCK, vfs.SB_SYNCHRONOUS | vfs.SB_DIRSYNC | vfs.SB_LAZYTIME | vfs.SB_MANDLOCK},
		{"async,nolazytime,nomand", 0, vfs.SB_SYNCHRONOUS | vfs.SB_LAZYTIME | vfs.SB_MANDLOCK},
	} {
		o, err := linuxHost.ParseOptions(tc.data)
		require.NoError(t, err, tc.data)
		assert.Equal(t, tc.flags, o.SBFlags, tc.data)
		assert.Equal(t, tc.mask, o.SBFlagsMask, tc.data)
	}
}

func TestParseOptionsValues(t *testing.T) {
	o, err := linuxHost.ParseOptions("size=1m,nr_inodes=10,mode=0700,uid=5,gid=6,inode64,noswap,huge=advise")
	require.NoError(t, err)
	assert.Equal(t, vfs.Mode(0o700), o.Mode)
	assert.Equal(t, uint32(5), o.UID)
	assert.Equal(t, uint32(6), o.GID)
	assert.Equal(t, uint64(256), o.Blocks)
	assert.Equal(t, uint64(10), o.Inodes)
	assert.True(t, o.Inode64)
	assert.True(t, o.NoSwap)
	assert.Equal(t, HugeAdvise, o.Huge)

	d := linuxHost.DefaultOptions()
	assert.Equal(t, vfs.Mode(0o1777), d.Mode)
	assert.Equal(t, uint64(3085510), d.Blocks)
	assert.Equal(t, uint64(3085510), d.Inodes)
}

func TestParseOptionsMachine(t *testing.T) {
	noNUMA := Machine{RAMPages: 1 << 18}
	_, err := noNUMA.ParseOptions("mpol=local")
	assert.Equal(t, vfs.EINVAL, err)
	_, err = noNUMA.ParseOptions("huge=always")
	assert.Equal(t, vfs.EINVAL, err)
	o, err := noNUMA.ParseOptions("huge=never")
	require.NoError(t, err)
	assert.Equal(t, "", o.String())

	numa := Machine{RAMPages: 1 << 18, MemoryNodes: []int{0, 1, 2, 3, 5}, Inode64: true}
	o, err = numa.ParseOptions("mpol=bind:0-3,5")
	require.NoError(t, err)
	assert.Equal(t, "inode64,mpol=bind:0-3,5", o.String())
	o, err = numa.ParseOptions("mpol=interleave,inode32")
	require.NoError(t, err)
	assert.Equal(t, "inode32,mpol=interleave:0-3,5", o.String())
	o, err = numa.ParseOptions("mpol=bind:0-3:1/2")
	require.NoError(t, err)
	assert.Equal(t, "inode64,mpol=bind:0,2", o.String())
	_, err = numa.ParseOptions("mpol=bind:4")
	assert.Equal(t, vfs.EINVAL, err)
	o, err = numa.ParseOptions("mpol=prefer:3")
	require.NoError(t, err)
	assert.Equal(t, "inode64,mpol=prefer:3", o.String())
	o, err = numa.ParseOptions("mpol=bind:2=static")
	require.NoError(t, err)
	assert.Equal(t, "inode64,mpol=bind=static:2", o.String())
}

func TestNodeList(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want []int
		ok   bool
	}{
		{"", []int{}, true},
		{"0", []int{0}, true},
		{"0-3", []int{0, 1, 2, 3}, true},
		{"0-7:2/4", []int{0, 1, 4, 5}, true},
		{"1,3", []int{1, 3}, true},
		{" 2 ,\n", []int{2}, true},
		{"N", []int{7}, true},
		{"all", []int{0, 1, 2, 3, 4, 5, 6, 7}, true},
		{"3-1", nil, false},
		{"8", nil, false},
		{"0-3:5/4", nil, false},
		{"0-3:1/0", nil, false},
		{"x", nil, false},
		{"1-", nil, false},
		{"99999999999", nil, false},
	} {
		got, ok := parseNodeList(tc.s, 8)
		assert.Equal(t, tc.ok, ok, "%q", tc.s)
		if tc.ok {
			assert.Equal(t, tc.want, got, "%q", tc.s)
		}
	}
	assert.Equal(t, "0-3,5,7-8", formatNodeList([]int{0, 1, 2, 3, 5, 7, 8}))
}

func TestNewFromData(t *testing.T) {
	fsys, err := NewFromData("none", 0, "size=1m,mode=700,uid=5")
	require.NoError(t, err)
	assert.Equal(t, "tmpfs", fsys.Type())
	a, err := fsys.Root().Getattr()
	require.NoError(t, err)
	assert.Equal(t, vfs.ModeDir|0o700, a.Mode)
	assert.Equal(t, uint32(5), a.UID)
	assert.Equal(t, uint64(1), a.Ino)

	_, err = NewFromData("none", 0, "bogusopt=1")
	assert.Equal(t, vfs.EINVAL, err)
	_, err = NewFromData("none", 0, "source=x")
	assert.Equal(t, vfs.EINVAL, err)

	fs2, err := Mount(&vfs.MountRequest{Data: "source=x", Cred: &vfs.Cred{UID: 7, GID: 8}})
	require.NoError(t, err)
	a, err = fs2.Root().Getattr()
	require.NoError(t, err)
	assert.Equal(t, uint32(7), a.UID)
	assert.Equal(t, uint32(8), a.GID)
	_, err = Mount(&vfs.MountRequest{Source: "none", Data: "source=x"})
	assert.Equal(t, vfs.EINVAL, err)
}
