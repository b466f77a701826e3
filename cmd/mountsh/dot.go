package main

import (
	"fmt"
	"sort"
	"strings"
)

// dot renders mountinfo lines as a Graphviz digraph: one box per mount,
// an arrow from each mount to the mounts on top of it, the members of a
// peer group inside one dashed cluster, and a dashed red arrow from a
// peer group to each of its slaves (labelled master:N). A master group
// none of whose members is listed (it lies in another namespace or
// outside the process root) is drawn as an ellipse of its own.
func dot(lines []string) string {
	all := parseMountinfo(lines)
	var b strings.Builder
	b.WriteString("digraph mounts {\n")
	b.WriteString("\tgraph [rankdir=LR, compound=true, fontname=\"Helvetica\", fontsize=11, nodesep=0.25];\n")
	b.WriteString("\tnode [shape=box, style=\"rounded\", fontname=\"Helvetica\", fontsize=11];\n")
	b.WriteString("\tedge [fontname=\"Helvetica\", fontsize=10];\n")
	byID := map[string]*mount{}
	groups := map[string][]*mount{}
	for _, m := range all {
		byID[m.id] = m
		if m.shared != "" {
			groups[m.shared] = append(groups[m.shared], m)
		}
	}
	for _, m := range all {
		if m.shared != "" {
			continue
		}
		fmt.Fprintf(&b, "\t%s;\n", node(m))
	}
	for _, g := range sortedKeys(groups) {
		fmt.Fprintf(&b, "\tsubgraph cluster_peer%s {\n", g)
		fmt.Fprintf(&b, "\t\tlabel=%s; labelloc=b; style=dashed; color=\"#1f77b4\"; fontcolor=\"#1f77b4\";\n", quote("peer group "+g))
		for _, m := range groups[g] {
			fmt.Fprintf(&b, "\t\t%s;\n", node(m))
		}
		b.WriteString("\t}\n")
	}
	for _, m := range all {
		if p, ok := byID[m.parent]; ok && p != m {
			fmt.Fprintf(&b, "\tm%s -> m%s;\n", p.id, m.id)
		}
	}
	outside := map[string]bool{}
	for _, m := range all {
		if m.master == "" {
			continue
		}
		style := "style=dashed, color=\"#d62728\", fontcolor=\"#d62728\", constraint=false"
		if members := groups[m.master]; len(members) > 0 {
			fmt.Fprintf(&b, "\tm%s -> m%s [%s, ltail=cluster_peer%s, label=%s];\n",
				members[0].id, m.id, style, m.master, quote("master:"+m.master))
			continue
		}
		if !outside[m.master] {
			outside[m.master] = true
			fmt.Fprintf(&b, "\tg%s [shape=ellipse, style=dashed, label=%s];\n",
				m.master, quote("peer group "+m.master+"\n(not listed)"))
		}
		fmt.Fprintf(&b, "\tg%s -> m%s [%s, label=%s];\n", m.master, m.id, style, quote("master:"+m.master))
	}
	b.WriteString("}\n")
	return b.String()
}

// node is the DOT statement of m's box.
func node(m *mount) string {
	var opts []string
	for o := range strings.SplitSeq(m.mountOpts, ",") {
		if o != "relatime" {
			opts = append(opts, o)
		}
	}
	label := m.target + "\n" + m.source + " (" + m.fstype + ")\n" + m.propagation() + "  " + strings.Join(opts, ",")
	return fmt.Sprintf("m%s [label=%s]", m.id, quote(label))
}

// quote makes s a DOT string.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func sortedKeys(m map[string][]*mount) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) < len(keys[j])
		}
		return keys[i] < keys[j]
	})
	return keys
}
