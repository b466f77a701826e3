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
	p, err := script.Parse("demo.mnt", demoScript)
	if err != nil {
		return err
	}
	sys, err := newLibrary()
	if err != nil {
		return err
	}
	in, err := script.NewInterp(sys, p.Name, ".", w)
	if err != nil {
		return err
	}
	defer in.Close()
	fmt.Fprintln(w, "# script output")
	for i := range p.Commands {
		if err := in.Exec(&p.Commands[i]); err != nil {
			return err
		}
	}
	var b bytes.Buffer
	in2 := &script.Command{Line: 0, Name: "mountinfo"}
	if err := execTo(in, in2, &b, w); err != nil {
		return err
	}
	var lines []string
	for l := range strings.SplitSeq(strings.TrimSuffix(b.String(), "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "0: "))
	}
	fmt.Fprintln(w, "\n# mount tree")
	fmt.Fprint(w, findmnt(lines))
	fmt.Fprintln(w, "\n# mountinfo")
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	return in.Close()
}

// execTo runs c with its output going to b instead of w.
func execTo(in *script.Interp, c *script.Command, b *bytes.Buffer, w io.Writer) error {
	in.SetOutput(b)
	defer in.SetOutput(w)
	return in.Exec(c)
}

// mount is one mountinfo line, for the tree.
type mount struct {
	id, parent     string
	target, source string
	fstype, opts   string
	children       []*mount
}

// findmnt renders mountinfo lines as findmnt does: TARGET SOURCE FSTYPE
// OPTIONS columns, children under their parents in listing order. Lines
// that do not parse are left out; a non-mountinfo answer (such as
// "(empty)") is printed as it is.
func findmnt(lines []string) string {
	var all []*mount
	byID := map[string]*mount{}
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
		m := &mount{id: f[0], parent: f[1], target: f[4], fstype: f[sep+1], source: f[sep+2], opts: opts}
		all = append(all, m)
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
	type row struct{ target, source, fstype, opts string }
	rows := []row{{"TARGET", "SOURCE", "FSTYPE", "OPTIONS"}}
	seen := map[*mount]bool{}
	var walk func(m *mount, prefix, branch string)
	walk = func(m *mount, prefix, branch string) {
		if seen[m] {
			return
		}
		seen[m] = true
		rows = append(rows, row{prefix + branch + m.target, m.source, m.fstype, m.opts})
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
	var w [3]int
	for _, r := range rows {
		w[0] = max(w[0], len([]rune(r.target)))
		w[1] = max(w[1], len([]rune(r.source)))
		w[2] = max(w[2], len([]rune(r.fstype)))
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s %s %s %s\n", pad(r.target, w[0]), pad(r.source, w[1]), pad(r.fstype, w[2]), r.opts)
	}
	return b.String()
}

func pad(s string, n int) string {
	return s + strings.Repeat(" ", n-len([]rune(s)))
}
