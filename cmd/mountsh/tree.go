package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/mountkit/mountkit/script"
)

// runDemo runs the embedded demo script on the library, then prints the
// final mount tree of its current process and the raw mountinfo.
func runDemo(w io.Writer) error {
	fmt.Fprintln(w, "# script output")
	in, err := runOnLibrary("", w)
	if err != nil {
		return err
	}
	defer in.Close()
	lines, err := mountinfoOf(in)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "\n# mount tree")
	fmt.Fprint(w, findmnt(lines))
	fmt.Fprintln(w, "\n# mountinfo")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return in.Close()
}

// runOnLibrary runs the script file name (the demo when name is "") on
// the library, its output going to w, and returns the interpreter with the
// world still alive; the caller closes it.
func runOnLibrary(name string, w io.Writer) (*script.Interp, error) {
	p, err := script.Parse("demo.mnt", demoScript)
	if name != "" {
		p, err = parseFile(name)
	}
	if err != nil {
		return nil, err
	}
	sys, err := newLibrary()
	if err != nil {
		return nil, err
	}
	in, err := script.NewInterp(sys, p.Name, p.Dir, w)
	if err != nil {
		return nil, err
	}
	for i := range p.Commands {
		if err := in.Exec(&p.Commands[i]); err != nil {
			in.Close()
			return nil, err
		}
	}
	return in, nil
}

// mountinfoOf returns the mountinfo lines of in's current process.
func mountinfoOf(in *script.Interp) ([]string, error) {
	var b bytes.Buffer
	in.SetOutput(&b)
	err := in.Exec(&script.Command{Line: 0, Name: "mountinfo"})
	in.SetOutput(io.Discard)
	if err != nil {
		return nil, err
	}
	var lines []string
	for l := range strings.SplitSeq(strings.TrimSuffix(b.String(), "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "0: "))
	}
	return lines, nil
}

// mount is one mountinfo line, for the tree.
type mount struct {
	id, parent     string
	target, source string
	fstype, opts   string
	mountOpts      string // the per-mount options alone
	shared, master string // peer group numbers, "" when none
	unbindable     bool
	children       []*mount
}

// propagation describes m's propagation as findmnt's PROPAGATION column
// does, with the peer-group numbers of mountinfo: "private", "shared:1",
// "master:1", "shared:2,master:1", "unbindable".
func (m *mount) propagation() string {
	var p []string
	if m.shared != "" {
		p = append(p, "shared:"+m.shared)
	}
	if m.master != "" {
		p = append(p, "master:"+m.master)
	}
	if m.unbindable {
		p = append(p, "unbindable")
	}
	if len(p) == 0 {
		return "private"
	}
	return strings.Join(p, ",")
}

// parseMountinfo parses mountinfo lines, leaving out those that do not
// parse.
func parseMountinfo(lines []string) []*mount {
	var all []*mount
	for _, l := range lines {
		f := strings.Fields(l)
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || len(f) < sep+3 {
			continue
		}
		opts := f[5]
		if len(f) > sep+3 { // super options, less their ro/rw
			for o := range strings.SplitSeq(f[sep+3], ",") {
				if o != "ro" && o != "rw" {
					opts += "," + o
				}
			}
		}
		m := &mount{id: f[0], parent: f[1], target: f[4], fstype: f[sep+1], source: f[sep+2], opts: opts, mountOpts: f[5]}
		for _, o := range f[6:sep] {
			switch {
			case strings.HasPrefix(o, "shared:"):
				m.shared = o[len("shared:"):]
			case strings.HasPrefix(o, "master:"):
				m.master = o[len("master:"):]
			case o == "unbindable":
				m.unbindable = true
			}
		}
		all = append(all, m)
	}
	return all
}

// findmnt renders mountinfo lines as findmnt -o
// TARGET,SOURCE,FSTYPE,PROPAGATION,OPTIONS does: children under their
// parents in listing order. Lines that do not parse are left out; a
// non-mountinfo answer (such as "(empty)") is printed as it is.
func findmnt(lines []string) string {
	all := parseMountinfo(lines)
	byID := map[string]*mount{}
	for _, m := range all {
		byID[m.id] = m
	}
	if len(all) == 0 {
		return strings.Join(lines, "\n") + "\n"
	}
	var roots []*mount
	for _, m := range all {
		if p, ok := byID[m.parent]; ok && p != m {
			p.children = append(p.children, m)
		} else {
			roots = append(roots, m)
		}
	}
	type row struct{ target, source, fstype, prop, opts string }
	rows := []row{{"TARGET", "SOURCE", "FSTYPE", "PROPAGATION", "OPTIONS"}}
	seen := map[*mount]bool{}
	var walk func(m *mount, prefix, branch string)
	walk = func(m *mount, prefix, branch string) {
		if seen[m] {
			return
		}
		seen[m] = true
		rows = append(rows, row{prefix + branch + m.target, m.source, m.fstype, m.propagation(), m.opts})
		child := prefix
		switch branch {
		case "├─":
			child += "│ "
		case "└─":
			child += "  "
		}
		for i, c := range m.children {
			b := "├─"
			if i == len(m.children)-1 {
				b = "└─"
			}
			walk(c, child, b)
		}
	}
	for _, r := range roots {
		walk(r, "", "")
	}
	// Mounts whose parents form a cycle (only in corrupt input) are
	// drawn as roots too.
	for _, m := range all {
		walk(m, "", "")
	}
	var w [4]int
	for _, r := range rows {
		w[0] = max(w[0], len([]rune(r.target)))
		w[1] = max(w[1], len([]rune(r.source)))
		w[2] = max(w[2], len([]rune(r.fstype)))
		w[3] = max(w[3], len([]rune(r.prop)))
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s %s %s %s %s\n", pad(r.target, w[0]), pad(r.source, w[1]), pad(r.fstype, w[2]), pad(r.prop, w[3]), r.opts)
	}
	return b.String()
}

func pad(s string, n int) string {
	return s + strings.Repeat(" ", n-len([]rune(s)))
}
