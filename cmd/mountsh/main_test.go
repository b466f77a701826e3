package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/term"

	"github.com/mountkit/mountkit/script"
)

func TestFindmnt(t *testing.T) {
	got := findmnt([]string{
		"2 1 0:2 / / rw,relatime - tmpfs none rw",
		"3 2 0:3 / /a rw,nosuid,relatime - tmpfs none rw,size=1024k",
		"4 3 0:4 / /a/b ro,relatime - tmpfs x ro",
		"5 2 0:5 / /c rw,relatime shared:1 - tmpfs y rw",
	})
	require.Equal(t, `TARGET   SOURCE FSTYPE PROPAGATION OPTIONS
/        none   tmpfs  private     rw,relatime
├─/a     none   tmpfs  private     rw,nosuid,relatime,size=1024k
│ └─/a/b x      tmpfs  private     ro,relatime
└─/c     y      tmpfs  shared:1    rw,relatime
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
	for _, cmd := range []string{"run", "diff", "demo", "tree", "dot", "fuse", "shell"} {
		for _, h := range []string{"--help", "-h"} {
			var out, errb bytes.Buffer
			err := mountsh([]string{cmd, h}, strings.NewReader(""), &out, &errb)
			require.ErrorIs(t, err, flag.ErrHelp, cmd)
			require.Contains(t, errb.String(), "usage: mountsh", cmd)
			require.Empty(t, out.String())
		}
		var out bytes.Buffer
		require.NoError(t, mountsh([]string{"help", cmd}, nil, &out, &out), cmd)
		require.Contains(t, out.String(), "usage: mountsh", cmd)
	}
	var out, errb bytes.Buffer
	require.ErrorIs(t, mountsh([]string{"--help"}, strings.NewReader(""), &out, &errb), flag.ErrHelp)
	require.Contains(t, errb.String(), "usage: mountsh [--linux]")
	out.Reset()
	require.NoError(t, mountsh([]string{"help"}, nil, &out, &out))
	for _, cmd := range []string{"run", "diff", "demo", "tree", "dot", "fuse"} {
		require.Contains(t, out.String(), "mountsh "+cmd+" ")
	}
	err := mountsh([]string{"help", "nope"}, nil, &out, &errb)
	var ee *exitError
	require.True(t, errors.As(err, &ee))
	require.Equal(t, 2, ee.code)
}

// demoTree is the mount tree the demo ends with.
const demoTree = `TARGET               SOURCE FSTYPE PROPAGATION OPTIONS
/                    none   tmpfs  private     rw,relatime
├─/tmp               none   tmpfs  private     rw,nosuid,nodev,relatime,size=1024k
│ └─/tmp             cache  tmpfs  private     ro,relatime
├─/srv/data          data   tmpfs  shared:1    rw,noexec,relatime,size=2048k
│ └─/srv/data/logs   logs   tmpfs  shared:2    rw,relatime
├─/mnt/peer          data   tmpfs  shared:1    rw,noexec,relatime,size=2048k
│ └─/mnt/peer/logs   logs   tmpfs  shared:2    rw,relatime
└─/mnt/slave         data   tmpfs  master:1    rw,noexec,relatime,size=2048k
  ├─/mnt/slave/logs  logs   tmpfs  master:2    rw,relatime
  └─/mnt/slave/local local  tmpfs  private     rw,relatime
`

func TestTree(t *testing.T) {
	var out, errb bytes.Buffer
	require.NoError(t, mountsh([]string{"tree"}, nil, &out, &errb))
	require.Equal(t, demoTree, out.String())
	require.Empty(t, errb.String())

	name := filepath.Join(t.TempDir(), "x.mnt")
	require.NoError(t, os.WriteFile(name, []byte("mkdir /a\nmount none /a tmpfs MS_RDONLY\nmount - /a - MS_UNBINDABLE\n"), 0o644))
	out.Reset()
	require.NoError(t, mountsh([]string{"tree", name}, nil, &out, &errb))
	require.Equal(t, `TARGET SOURCE FSTYPE PROPAGATION OPTIONS
/      none   tmpfs  private     rw,relatime
└─/a   none   tmpfs  unbindable  ro,relatime
`, out.String())
	err := mountsh([]string{"tree", name, name}, nil, &out, &errb)
	var ee *exitError
	require.True(t, errors.As(err, &ee))
	require.Equal(t, 2, ee.code)
}

func TestDot(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, mountsh([]string{"dot"}, nil, &out, &out))
	g := out.String()
	require.True(t, strings.HasPrefix(g, "digraph mounts {\n"))
	require.True(t, strings.HasSuffix(g, "}\n"))
	for _, want := range []string{
		"subgraph cluster_peer1 {",
		`m5 [label="/srv/data\ndata (tmpfs)\nshared:1  rw,noexec"];`,
		`m6 [label="/mnt/peer\ndata (tmpfs)\nshared:1  rw,noexec"];`,
		"subgraph cluster_peer2 {",
		"\tm2 -> m5;\n",
		"\tm7 -> m11;\n",
		`m5 -> m7 [style=dashed, color="#d62728", fontcolor="#d62728", constraint=false, ltail=cluster_peer1, label="master:1"];`,
		`m8 -> m10 [style=dashed, color="#d62728", fontcolor="#d62728", constraint=false, ltail=cluster_peer2, label="master:2"];`,
	} {
		require.Contains(t, g, want)
	}
	// The members of a cluster are exactly the group's.
	c1 := g[strings.Index(g, "subgraph cluster_peer1"):]
	c1 = c1[:strings.Index(c1, "}")]
	require.Equal(t, 2, strings.Count(c1, "[label="))
	require.Equal(t, 10, strings.Count(g, "[label=\"/"), "one box per mount")
}

func TestDotMasterOutside(t *testing.T) {
	// A slave whose master group is in another namespace.
	g := dot([]string{
		"2 1 0:2 / / rw,relatime - tmpfs none rw",
		"3 2 0:3 / /a rw,relatime master:7 - tmpfs a rw",
		"4 2 0:4 / /b rw,relatime master:7 - tmpfs \"b\\x\" rw",
	})
	require.Equal(t, 1, strings.Count(g, "g7 [shape=ellipse"))
	require.Contains(t, g, `g7 -> m3 [`)
	require.Contains(t, g, `g7 -> m4 [`)
	require.Contains(t, g, `label="/b\n\"b\\x\" (tmpfs)\nmaster:7  rw"`)
	require.Equal(t, "digraph mounts {\n\tgraph [rankdir=LR, compound=true, fontname=\"Helvetica\", fontsize=11, nodesep=0.25];\n\tnode [shape=box, style=\"rounded\", fontname=\"Helvetica\", fontsize=11];\n\tedge [fontname=\"Helvetica\", fontsize=10];\n}\n", dot([]string{"(empty)"}))
}

// TestLineEditing feeds keystrokes to the shell's terminal: a line edited
// with backspace and ^U, and history recall with the up arrow.
func TestLineEditing(t *testing.T) {
	sys, err := newLibrary()
	require.NoError(t, err)
	in, err := script.NewInterp(sys, "<stdin>", ".", io.Discard)
	require.NoError(t, err)
	defer in.Close()
	keys := "mkdir /b\x7fa\r" + // backspace: mkdir /a
		"junk\x15getcwd\r" + // ^U kills the line
		"\x1b[A\x1b[A\r" + // up twice: mkdir /a again
		"\x04" // ^D
	var screen bytes.Buffer
	tm := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{strings.NewReader(keys), &screen}, "mountsh> ")
	var out bytes.Buffer
	in.SetOutput(&out)
	require.NoError(t, shellLoop(in, tm.ReadLine, &out))
	require.Equal(t, "1: ok\n2: /\n3: EEXIST\n", out.String())
}

// TestDotDoc checks that the README's picture source is what mountsh dot
// prints now (go generate ./cmd/mountsh rewrites it and the SVG).
func TestDotDoc(t *testing.T) {
	if _, err := os.Stat("../../doc"); errors.Is(err, fs.ErrNotExist) {
		t.Skip("the module's doc/ folder is not here (the riscv64 guest ships the packages' folders only)")
	}
	want, err := os.ReadFile("../../doc/demo-tree.dot")
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, mountsh([]string{"dot"}, nil, &out, &out))
	require.Equal(t, string(want), out.String(), "doc/demo-tree.dot is stale: go generate ./cmd/mountsh")
}

// TestDemoAgreesWithLinux runs the demo (whose tree the README pictures)
// on the library and on the kernel: the normalised outputs must agree.
func TestDemoAgreesWithLinux(t *testing.T) {
	sys, err := script.NewLinux()
	if err != nil {
		t.Skipf("the Linux reference runner cannot run: %v", err)
	}
	sys.Close()
	name := filepath.Join(t.TempDir(), "demo.mnt")
	require.NoError(t, os.WriteFile(name, demoScript, 0o644))
	var out, errb bytes.Buffer
	require.NoError(t, mountsh([]string{"diff", name}, nil, &out, &errb), "%s%s", out.String(), errb.String())
	require.Contains(t, out.String(), "demo.mnt: same <==")
}
