package script

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The normal form of SCRIPT.md sorts every mountinfo block by mount point
// and renumbers mount ids and peer groups in that sorted order, so it
// cannot see in which order the lines are listed (creation order, the
// depth-first order of a namespace copy, the order of propagated copies)
// nor which ids are reused. The scripts of testdata/order are compared in
// a stricter form, strictNormalize: the raw mountinfo lines in their
// original order, with only what differs between two systems renumbered.
// goldenScripts leaves testdata/order out; their .out files hold the
// strict form of Linux's output.

// strictNormalize rewrites the output of p: every line of a mountinfo
// block keeps its place and its fields, except that
//
//   - mount ids (the mount's own and its parent's) are renumbered 1, 2, 3
//     ... by first appearance within the block, in the original line
//     order. Not over the whole output: Linux allocates the lowest id
//     free in the whole system, and which lower ids the host happens to
//     have free is not the script's business (a mount made after a umount
//     may or may not take the freed id);
//   - peer groups (shared:N, master:N, propagate_from:N) are renumbered by
//     first appearance over the whole output, so that a reused group id
//     (E50) keeps its number: the host has no shared mounts, so the
//     script's groups are the lowest ones;
//   - major:minor becomes dev1, dev2 ... by first appearance within the
//     block (the kernel frees device numbers at times of its own).
//
// Every other line is kept as it is.
func strictNormalize(p *Program, out []byte) []byte {
	isInfo := map[string]bool{}
	for _, c := range p.Commands {
		if c.Name == "mountinfo" {
			isInfo[strconv.Itoa(c.Line)] = true
		}
	}
	groups := map[string]int{}
	renumber := func(m map[string]int, s string) int {
		if m[s] == 0 {
			m[s] = len(m) + 1
		}
		return m[s]
	}
	var b bytes.Buffer
	var ids, devs map[string]int
	block := ""
	for l := range strings.SplitAfterSeq(string(out), "\n") {
		num, rest, ok := strings.Cut(l, ": ")
		f := strings.Split(strings.TrimSuffix(rest, "\n"), " ")
		if !ok || !isInfo[num] || len(f) < 10 {
			b.WriteString(l)
			continue
		}
		if num != block {
			ids, devs, block = map[string]int{}, map[string]int{}, num
		}
		f[0] = strconv.Itoa(renumber(ids, f[0]))
		f[1] = strconv.Itoa(renumber(ids, f[1]))
		f[2] = fmt.Sprintf("dev%d", renumber(devs, f[2]))
		for i := 6; i < len(f) && f[i] != "-"; i++ {
			tag, n, ok := strings.Cut(f[i], ":")
			if ok && (tag == "shared" || tag == "master" || tag == "propagate_from") {
				f[i] = fmt.Sprintf("%s:%d", tag, renumber(groups, n))
			}
		}
		fmt.Fprintf(&b, "%s: %s\n", num, strings.Join(f, " "))
	}
	return b.Bytes()
}

func TestStrictNormalize(t *testing.T) {
	p, err := Parse("x.mnt", []byte("mountinfo\ngetcwd\nmountinfo\n"))
	require.NoError(t, err)
	out := "1: 65 43 0:40 / / rw,relatime shared:7 - tmpfs none rw\n" +
		"1: 67 66 0:41 / /a/b rw,relatime master:9 propagate_from:7 - tmpfs t2 rw\n" +
		"1: 66 65 0:41 / /a rw,relatime shared:9 - tmpfs t1 rw,size=8k\n" +
		"2: /\n" +
		"3: 65 43 0:40 / / rw,relatime shared:9 - tmpfs none rw\n" +
		"3: 68 65 0:42 / /c rw,relatime - tmpfs t3 rw\n"
	want := "1: 1 2 dev1 / / rw,relatime shared:1 - tmpfs none rw\n" +
		"1: 3 4 dev2 / /a/b rw,relatime master:2 propagate_from:1 - tmpfs t2 rw\n" +
		"1: 4 1 dev2 / /a rw,relatime shared:2 - tmpfs t1 rw,size=8k\n" +
		"2: /\n" +
		"3: 1 2 dev1 / / rw,relatime shared:2 - tmpfs none rw\n" +
		"3: 3 1 dev2 / /c rw,relatime - tmpfs t3 rw\n"
	require.Equal(t, want, string(strictNormalize(p, []byte(out))))
}

// orderScripts lists testdata/order/*.mnt.
func orderScripts(t *testing.T) []golden {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "order", "*.mnt"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	var gs []golden
	for _, path := range paths {
		base := strings.TrimSuffix(path, ".mnt")
		gs = append(gs, golden{name: filepath.Base(base), mnt: path, out: base + ".out"})
	}
	return gs
}

// runStrict runs the script of g in sys and returns its output in the
// strict normal form.
func runStrict(t *testing.T, g golden, sys System) []byte {
	t.Helper()
	src, err := os.ReadFile(g.mnt)
	require.NoError(t, err)
	p, err := Parse(g.mnt, src)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, Run(p, sys, &out), "output so far:\n%s", out.String())
	return strictNormalize(p, out.Bytes())
}

// olderKernelEnv names the environment variable that turns Linux's
// differences from the .out files into log lines marked olderKernelMark.
const (
	olderKernelEnv  = "MOUNTKIT_OLDER_KERNEL"
	olderKernelMark = "OLDER-KERNEL-DIFF"
)

// TestOrder runs the scripts of testdata/order on the library, and on
// Linux when it can (root), and compares their outputs in the strict
// normal form with the .out files; with -update it rewrites the .out
// files from Linux's output instead.
//
// Peer groups are global on Linux and allocated lowest free: shared
// mounts made at the same time by another process of the machine change
// the groups a script sees. A Linux run that differs is therefore tried
// again, up to three times.
//
// With $MOUNTKIT_OLDER_KERNEL set (the riscv64 guest, whose kernel is
// older than the one the .out files came from) a Linux difference is
// logged under olderKernelMark instead of failing; the library must still
// agree.
func TestOrder(t *testing.T) {
	_, noLinux := newLinuxSystem(t)
	for _, g := range orderScripts(t) {
		t.Run(g.name, func(t *testing.T) {
			if noLinux == nil {
				var got []byte
				for try := 0; try < 3; try++ {
					sys, err := newLinuxSystem(t)
					require.NoError(t, err)
					got = runStrict(t, g, sys)
					if *update {
						require.NoError(t, os.WriteFile(g.out, got, 0o644))
						break
					}
					want, err := os.ReadFile(g.out)
					require.NoError(t, err)
					if bytes.Equal(got, want) {
						break
					}
					if try == 2 && os.Getenv(olderKernelEnv) != "" {
						t.Logf("%s: %s: this kernel differs from the golden output:\n%s", olderKernelMark, g.out, Diff(g.out, want, "linux", got))
					} else if try == 2 {
						t.Errorf("%s: Linux differs (go test ./script -run TestOrder -update):\n%s", g.out, Diff(g.out, want, "linux", got))
					}
				}
			}
			want, err := os.ReadFile(g.out)
			require.NoError(t, err)
			got := runStrict(t, g, NewLibrary())
			if d := Diff(g.out, want, "library", got); d != "" {
				t.Errorf("%s: the library differs from Linux:\n%s", g.mnt, d)
			}
		})
	}
}
