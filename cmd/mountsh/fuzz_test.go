package main

import (
	"strings"
	"testing"
)

// FuzzTree feeds arbitrary mountinfo text to the tree and DOT renderers:
// they must not panic, must keep every parsed mount, and must produce a
// closed digraph.
func FuzzTree(f *testing.F) {
	f.Add("2 1 0:2 / / rw,relatime - tmpfs none rw\n3 2 0:3 / /a rw shared:1 master:2 - tmpfs a rw,size=1k")
	f.Add("3 3 0:3 / /loop rw - tmpfs x rw\n4 5 0:4 / /orphan ro unbindable - t \"q\\\\\" ro")
	f.Add("(empty)")
	f.Add("1 2 - - - - - - -\n2 1 x y z w shared: - a b")
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		n := len(parseMountinfo(lines))
		tree := findmnt(lines)
		if n > 0 && strings.Count(tree, "\n") < n+1 {
			// A mount is left out only when its ID repeats one already
			// drawn.
			ids := map[string]bool{}
			for _, m := range parseMountinfo(lines) {
				ids[m.id] = true
			}
			if strings.Count(tree, "\n") < len(ids)+1 {
				t.Fatalf("tree has %d lines for %d mounts:\n%s", strings.Count(tree, "\n"), len(ids), tree)
			}
		}
		g := dot(lines)
		if !strings.HasPrefix(g, "digraph mounts {\n") || !strings.HasSuffix(g, "}\n") {
			t.Fatalf("not a digraph:\n%s", g)
		}
	})
}
