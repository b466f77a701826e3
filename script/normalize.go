package script

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Normalize rewrites the output of p so that it can be compared with the
// output of another system, as SCRIPT.md "Comparing with Linux" says:
// every block of output lines of one mountinfo command is normalised on
// its own (sorted, mount ids, devices and peer groups renumbered, options
// reduced, super options dropped); every other line is kept as it is.
func Normalize(p *Program, out []byte) []byte {
	isInfo := map[string]bool{}
	for _, c := range p.Commands {
		if c.Name == "mountinfo" {
			isInfo[strconv.Itoa(c.Line)] = true
		}
	}
	lines := strings.SplitAfter(string(out), "\n")
	var b bytes.Buffer
	for i := 0; i < len(lines); {
		num, _, ok := strings.Cut(lines[i], ": ")
		if !ok || !isInfo[num] {
			b.WriteString(lines[i])
			i++
			continue
		}
		prefix := num + ": "
		var block []string
		j := i
		for ; j < len(lines) && strings.HasPrefix(lines[j], prefix) && strings.HasSuffix(lines[j], "\n"); j++ {
			block = append(block, strings.TrimSuffix(lines[j][len(prefix):], "\n"))
		}
		if j == i { // an unterminated last line
			b.WriteString(lines[i])
			i++
			continue
		}
		for _, l := range NormalizeMountInfo(block) {
			b.WriteString(prefix)
			b.WriteString(l)
			b.WriteByte('\n')
		}
		i = j
	}
	return b.Bytes()
}

// mountLine is one parsed line of /proc/self/mountinfo.
type mountLine struct {
	id, parent string
	dev        string
	root, mp   string
	opts       string
	optional   []string
	fstype     string
	source     string
	depth      int
}

func parseMountLine(s string) (*mountLine, bool) {
	f := strings.Split(s, " ")
	sep := slices.Index(f, "-")
	if sep < 6 || len(f) < sep+3 {
		return nil, false
	}
	m := &mountLine{
		id: f[0], parent: f[1], dev: f[2], root: f[3], mp: f[4], opts: f[5],
		optional: f[6:sep], fstype: f[sep+1], source: f[sep+2],
	}
	return m, true
}

// NormalizeMountInfo normalises one block of mountinfo lines. A block that
// does not parse as mountinfo (such as "(empty)" or an errno name) is
// returned as it is.
func NormalizeMountInfo(lines []string) []string {
	ms := make([]*mountLine, len(lines))
	byID := map[string]*mountLine{}
	for i, l := range lines {
		m, ok := parseMountLine(l)
		if !ok {
			return lines
		}
		ms[i] = m
		byID[m.id] = m
	}
	for _, m := range ms {
		// Follow parents among the listed mounts; a cycle cannot be
		// longer than the block.
		for p := m; m.depth < len(ms); m.depth++ {
			q, ok := byID[p.parent]
			if !ok || q == p {
				break
			}
			p = q
		}
	}
	slices.SortStableFunc(ms, func(a, b *mountLine) int {
		if c := strings.Compare(a.mp, b.mp); c != 0 {
			return c
		}
		return a.depth - b.depth
	})
	ids := map[string]int{}
	for i, m := range ms {
		ids[m.id] = i + 1
	}
	devs := map[string]int{}
	groups := map[string]int{}
	out := make([]string, len(ms))
	for i, m := range ms {
		parent := ids[m.parent]
		if m.parent == m.id {
			parent = 0
		}
		if devs[m.dev] == 0 {
			devs[m.dev] = len(devs) + 1
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%d %d dev%d %s %s %s", i+1, parent, devs[m.dev], m.root, m.mp, mountOpts(m.opts))
		for _, o := range m.optional {
			b.WriteByte(' ')
			tag, n, ok := strings.Cut(o, ":")
			switch {
			case ok && (tag == "shared" || tag == "master" || tag == "propagate_from"):
				if groups[n] == 0 {
					groups[n] = len(groups) + 1
				}
				fmt.Fprintf(&b, "%s:%d", tag, groups[n])
			default:
				b.WriteString(o)
			}
		}
		fmt.Fprintf(&b, " - %s %s", m.fstype, m.source)
		out[i] = b.String()
	}
	return out
}

// mountOpts keeps ro or rw, nosuid, nodev and noexec, in that order.
func mountOpts(s string) string {
	have := map[string]bool{}
	for o := range strings.SplitSeq(s, ",") {
		have[o] = true
	}
	var keep []string
	switch {
	case have["ro"]:
		keep = append(keep, "ro")
	case have["rw"]:
		keep = append(keep, "rw")
	}
	for _, o := range []string{"nosuid", "nodev", "noexec"} {
		if have[o] {
			keep = append(keep, o)
		}
	}
	return strings.Join(keep, ",")
}

// Diff compares two outputs line by line. It returns "" when they are
// equal, and otherwise a report naming the first differing line, with a
// few lines of context and the rest of both sides (at most 12 lines
// each).
func Diff(aName string, a []byte, bName string, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	al := strings.Split(strings.TrimSuffix(string(a), "\n"), "\n")
	bl := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	i := 0
	for i < len(al) && i < len(bl) && al[i] == bl[i] {
		i++
	}
	const context, maxLines = 3, 12
	var sb strings.Builder
	fmt.Fprintf(&sb, "first difference at output line %d\n", i+1)
	for k := max(0, i-context); k < i; k++ {
		fmt.Fprintf(&sb, "  %s\n", al[k])
	}
	side := func(name string, ls []string) {
		if i >= len(ls) {
			fmt.Fprintf(&sb, "%s: (end of output)\n", name)
			return
		}
		end := min(len(ls), i+maxLines)
		for k := i; k < end; k++ {
			fmt.Fprintf(&sb, "%s: %s\n", name, ls[k])
		}
		if end < len(ls) {
			fmt.Fprintf(&sb, "%s: ... %d more lines\n", name, len(ls)-end)
		}
	}
	side("-"+aName, al)
	side("+"+bName, bl)
	return sb.String()
}
