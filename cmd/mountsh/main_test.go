package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFindmnt(t *testing.T) {
	got := findmnt([]string{
		"2 1 0:2 / / rw,relatime - tmpfs none rw",
		"3 2 0:3 / /a rw,nosuid,relatime - tmpfs none rw,size=1024k",
		"4 3 0:4 / /a/b ro,relatime - tmpfs x ro",
		"5 2 0:5 / /c rw,relatime shared:1 - tmpfs y rw",
	})
	require.Equal(t, `TARGET   SOURCE FSTYPE OPTIONS
/        none   tmpfs  rw,relatime
├─/a     none   tmpfs  rw,nosuid,relatime,size=1024k
│ └─/a/b x      tmpfs  ro,relatime
└─/c     y      tmpfs  rw,relatime
`, got)
	require.Equal(t, "(empty)\n", findmnt([]string{"(empty)"}))
}

func TestRunMalformed(t *testing.T) {
	name := filepath.Join(t.TempDir(), "bad.mnt")
	require.NoError(t, os.WriteFile(name, []byte("mkdir /a\n\nmount a b\n"), 0o644))
	var out, errb bytes.Buffer
	err := mountsh([]string{"run", name}, nil, &out, &errb)
	var ee *exitError
	require.True(t, errors.As(err, &ee))
	require.Equal(t, 2, ee.code)
	require.Contains(t, err.Error(), "bad.mnt:3: mount: want 4 to 5 arguments, have 2")
	require.Empty(t, out.String())
}

func TestShell(t *testing.T) {
	var out, errb bytes.Buffer
	in := strings.NewReader("mkdir /a\nnope\n# comment\nmkdir /a\ngetcwd\n")
	require.NoError(t, mountsh(nil, in, &out, &errb))
	require.Equal(t, "1: ok\n4: EEXIST\n5: /\n", out.String())
	require.Equal(t, "<stdin>:2: nope: unknown command\n", errb.String())
}

func TestDemo(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, mountsh([]string{"demo"}, nil, &out, &out))
	require.Contains(t, out.String(), "# mount tree\nTARGET")
	require.Contains(t, out.String(), "# mountinfo\n")
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"run", "--help"}, {"diff", "-h"}, {"demo", "--help"}, {"--help"}} {
		var out, errb bytes.Buffer
		err := mountsh(args, strings.NewReader(""), &out, &errb)
		require.Error(t, err, args)
		require.Contains(t, errb.String(), "usage: mountsh", args)
	}
}
