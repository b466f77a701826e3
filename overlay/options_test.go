package overlay

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/vfs"
)

func TestSplitLowers(t *testing.T) {
	cases := []struct {
		in   string
		want []layerArg
		err  error
	}{
		{"/a", []layerArg{{path: "/a", raw: "/a"}}, nil},
		{"/a:/b", []layerArg{{path: "/a", raw: "/a"}, {path: "/b", raw: "/b"}}, nil},
		{`/a\:b:/c`, []layerArg{{path: "/a:b", raw: `/a\:b`}, {path: "/c", raw: "/c"}}, nil},
		{"/a::/b", []layerArg{{path: "/a", raw: "/a"}, {path: "/b", raw: "/b", data: true}}, nil},
		{"/a::/b::/c", []layerArg{{path: "/a", raw: "/a"}, {path: "/b", raw: "/b", data: true}, {path: "/c", raw: "/c", data: true}}, nil},
		{"/a::/b:/c", nil, vfs.EINVAL},
		{"/a:", nil, vfs.EINVAL},
		{":/a", nil, vfs.EINVAL},
		{"/a:::/b", nil, vfs.EINVAL},
	}
	for _, tc := range cases {
		got, err := splitLowers(tc.in)
		assert.Equal(t, tc.err, err, tc.in)
		if tc.err == nil {
			assert.Equal(t, tc.want, got, tc.in)
		}
	}
}

func TestNextOpt(t *testing.T) {
	var opts []string
	for rest, more := `a=1,b=x\,y,,c`, true; more; {
		var o string
		o, rest, more = nextOpt(rest)
		opts = append(opts, o)
	}
	assert.Equal(t, []string{"a=1", `b=x\,y`, "", "c"}, opts)
	assert.Equal(t, "a,b", unescape(`a\,b`))
	assert.Equal(t, "ab", unescape(`ab\`))
}

func TestParseOrder(t *testing.T) {
	var resolved []string
	resolve := func(key, path string) error {
		resolved = append(resolved, key+"="+path)
		if path == "/missing" {
			return vfs.ENOENT
		}
		return nil
	}
	_, err := parseConfig("lowerdir=/l,upperdir=/missing,bogus", resolve)
	assert.Equal(t, vfs.ENOENT, err, "layers are resolved as they are parsed")
	_, err = parseConfig("lowerdir=/l,bogus,upperdir=/missing", resolve)
	assert.Equal(t, vfs.EINVAL, err)
	c, err := parseConfig("lowerdir=/l:/l2,uuid=on", resolve)
	require.NoError(t, err)
	assert.Equal(t, "lowerdir=/l:/l2,redirect_dir=on,uuid=null", c.String(true))
}

// FuzzParseConfig checks that no option string makes the parser or the
// renderer panic, and that a parsed configuration names a lower layer.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"lowerdir=/l,upperdir=/u,workdir=/w",
		`lowerdir=/a\:b::/c,uuid=on,xino=auto`,
		"lowerdir+=/a,datadir+=/b,userxattr,volatile",
		`lowerdir=\`, "lowerdir=::", ",,,", "redirect_dir=off,metacopy=on",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		c, err := parseConfig(data, func(string, string) error { return nil })
		if err != nil {
			return
		}
		if len(c.lowers) == 0 {
			t.Fatalf("%q parsed without a lower layer", data)
		}
		_ = c.String(false)
		_ = c.unsupported()
	})
}
