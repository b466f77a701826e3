package cgroupfs

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mountkit/mountkit/vfs"
)

// The files of testdata/linux were captured from the reference machine
// (Linux 6.18, cgroup v1 controllers bound, so the cgroup2 root offers
// only hugetlb and the implicit perf_event) by mounting cgroup2 in a
// private mount namespace, listing and reading the root, and creating,
// listing, reading, writing and removing one child cgroup (see
// testdata/linux/README). A hierarchy with no controllers bound must show
// the same, less what belongs to hugetlb, which cgroupfs does not have.

// bareHierarchy is the machine's cgroup2 hierarchy as cgroupfs models it.
func bareHierarchy(t testing.TB) *Hierarchy {
	h, err := New(Config{Controllers: []string{}, CPUs: 2})
	require.NoError(t, err)
	return h
}

// dirListing returns "name mode" lines for the regular files of a
// directory inode, read through the vfs interfaces.
func dirListing(t *testing.T, d vfs.Inode) []string {
	t.Helper()
	f, err := d.Open(vfs.O_RDONLY | vfs.O_DIRECTORY)
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	require.NoError(t, f.ReadDir(2, func(e vfs.DirEntry) bool {
		if e.Type != vfs.ModeRegular {
			return true
		}
		in, err := d.Lookup(e.Name)
		require.NoError(t, err)
		a, err := in.Getattr()
		require.NoError(t, err)
		lines = append(lines, fmt.Sprintf("%s %04o", e.Name, a.Mode.Perm()))
		return true
	}))
	sort.Strings(lines)
	return lines
}

// dirContents renders every regular file of d as the capture script did:
// "== name" and the content, or "ERR ERRNO".
func dirContents(t *testing.T, d vfs.Inode) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range dirListing(t, d) {
		name := strings.Fields(l)[0]
		in, err := d.Lookup(name)
		require.NoError(t, err)
		f, err := in.Open(vfs.O_RDONLY)
		require.NoError(t, err)
		buf := make([]byte, 65536)
		n, err := f.ReadAt(buf, 0)
		if err != nil {
			out[name] = "ERR " + vfs.ToErrno(err).Name() + "\n"
		} else {
			out[name] = string(buf[:n])
		}
		f.Close()
	}
	return out
}

func readLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "linux", name))
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// parseContents splits a capture of "== name" blocks.
func parseContents(t *testing.T, name string) map[string]string {
	t.Helper()
	out := map[string]string{}
	cur := ""
	for _, l := range readLines(t, name) {
		if n, ok := strings.CutPrefix(l, "== "); ok {
			cur = n
			out[cur] = ""
			continue
		}
		out[cur] += l + "\n"
	}
	return out
}

// withoutHugetlb drops the lines of the hugetlb controller, which the
// machine has and cgroupfs does not.
func withoutHugetlb(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.Contains(l, "hugetlb") {
			b.WriteString(l)
		}
	}
	return b.String()
}

var digits = regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)

func TestLinuxRootListing(t *testing.T) {
	h := bareHierarchy(t)
	require.Equal(t, readLines(t, "root.modes"), dirListing(t, h.FS().Root()))
}

func TestLinuxRootContents(t *testing.T) {
	h := bareHierarchy(t)
	want := parseContents(t, "root.contents")
	got := dirContents(t, h.FS().Root())
	require.Equal(t, len(want), len(got))
	for name, w := range want {
		g, ok := got[name]
		require.True(t, ok, name)
		switch name {
		case "cgroup.procs", "cgroup.threads":
			// The machine's processes; cgroupfs starts with none.
			require.Equal(t, "", g, name)
		case "cgroup.controllers":
			require.Equal(t, "hugetlb\n", w)
			require.Equal(t, "", g)
		default:
			// Same lines and keys; the machine's own figures differ.
			require.Equal(t, digits.ReplaceAllString(withoutHugetlb(w), "N"), digits.ReplaceAllString(g, "N"), name)
		}
	}
}

func TestLinuxChild(t *testing.T) {
	h := bareHierarchy(t)
	d, err := h.FS().Root().Mkdir("mkt_cap", vfs.CreateOpts{Mode: 0o755})
	require.NoError(t, err)
	a, err := d.Getattr()
	require.NoError(t, err)
	require.Equal(t, readLines(t, "child.dirmode")[0], strconv.FormatUint(uint64(a.Mode.Perm()), 8))
	require.Equal(t, readLines(t, "child.modes"), dirListing(t, d))
	want := parseContents(t, "child.contents")
	got := dirContents(t, d)
	require.Equal(t, len(want), len(got))
	for name, w := range want {
		require.Equal(t, withoutHugetlb(w), got[name], name)
	}
}

// TestLinuxChildWrites replays, in order, the writes the capture made to
// the child with one write(2) each, and the reads that followed.
func TestLinuxChildWrites(t *testing.T) {
	h := bareHierarchy(t)
	d, err := h.FS().Root().Mkdir("mkt_cap", vfs.CreateOpts{Mode: 0o755})
	require.NoError(t, err)
	line := regexp.MustCompile(`^mkt_cap/(\S+) (\[.*\]|read) (.*)$`)
	n := 0
	for _, l := range readLines(t, "child.writes") {
		m := line.FindStringSubmatch(l)
		require.NotNil(t, m, l)
		in, err := d.Lookup(m[1])
		require.NoError(t, err, l)
		if m[2] == "read" {
			f, err := in.Open(vfs.O_RDONLY)
			require.NoError(t, err)
			buf := make([]byte, 4096)
			k, err := f.ReadAt(buf, 0)
			got := ""
			if err != nil {
				got = vfs.ToErrno(err).Name()
			} else {
				got = "b" + pyRepr(string(buf[:k]))
			}
			f.Close()
			require.Equal(t, strings.ReplaceAll(m[3], "ENOTSUP", "EOPNOTSUPP"), got, l)
			continue
		}
		data := pyUnrepr(t, strings.TrimSuffix(strings.TrimPrefix(m[2], "["), "]"))
		f, err := in.Open(vfs.O_WRONLY)
		require.NoError(t, err)
		k, err := f.WriteAt([]byte(data), 0)
		got := fmt.Sprintf("ok %d", k)
		if err != nil {
			got = vfs.ToErrno(err).Name()
		}
		f.Close()
		require.Equal(t, m[3], got, l)
		n++
	}
	require.Greater(t, n, 40)
}

// pyUnrepr decodes the Python repr of a str of printable ASCII with \n
// escapes, as w.py printed them.
func pyUnrepr(t *testing.T, s string) string {
	t.Helper()
	require.True(t, len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'', s)
	v, err := strconv.Unquote(`"` + s[1:len(s)-1] + `"`)
	require.NoError(t, err)
	return v
}

func pyRepr(s string) string {
	q := strconv.Quote(s)
	return "'" + q[1:len(q)-1] + "'"
}

func TestLinuxMountinfoOptions(t *testing.T) {
	// The captured line ends in "- cgroup2 none rw": no super options
	// beyond rw for a mount without options.
	l := readLines(t, "mountinfo")[0]
	_, tail, ok := strings.Cut(l, " - ")
	require.True(t, ok)
	f := strings.Fields(tail)
	require.Equal(t, "cgroup2", f[0])
	h := bareHierarchy(t)
	fsys, err := h.Mount(&vfs.MountRequest{Source: "none"})
	require.NoError(t, err)
	require.Equal(t, "cgroup2", fsys.Type())
	require.Equal(t, f[2], strings.Join(append([]string{"rw"}, nonEmpty(fsys.Options())...), ","))
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// TestLinuxParsing holds further write results observed on the reference
// machine in a private mount, on an empty child cgroup, with the same
// hierarchy (no controllers available to the child). The machine's root
// lacks CAP_SYS_RESOURCE, for which pressure triggers need a window that
// is a multiple of 2s; cgroupfs's writer is privileged, so only triggers
// valid for both are here.
func TestLinuxParsing(t *testing.T) {
	h := bareHierarchy(t)
	c, err := h.Root().Mkdir("mkt_b")
	require.NoError(t, err)
	for _, tc := range []struct {
		file, data string
		err        vfs.Errno
	}{
		{"memory.pressure", "some 1 10000000", 0},
		{"memory.pressure", "some 1 10000001", vfs.EINVAL},
		{"cpu.pressure", " some 150000 2000000", vfs.EINVAL},
		{"cpu.pressure", "some 150000", vfs.EINVAL},
		{"cgroup.pressure", " 1 ", 0},
		{"cgroup.max.depth", "+5", 0},
		{"cgroup.max.depth", "5\n\n", 0},
		{"cgroup.max.depth", "05", 0},
		{"cgroup.max.depth", "0x", vfs.EINVAL},
		{"cgroup.subtree_control", "+memory\x00+bogus", vfs.ENOENT},
		{"cgroup.subtree_control", "\t+memory", vfs.ENOENT},
		{"cgroup.subtree_control", "+memory\t+pids", vfs.EINVAL},
		{"cgroup.freeze", "+1", 0},
		{"cgroup.freeze", "0", 0},
	} {
		err := c.Write(tc.file, tc.data)
		if tc.err == 0 {
			require.NoError(t, err, "%s %q", tc.file, tc.data)
		} else {
			require.Equal(t, tc.err, err, "%s %q", tc.file, tc.data)
		}
	}
}
