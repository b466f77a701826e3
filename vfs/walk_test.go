package vfs

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// walkCachedModel is WalkCached spelt with ScanKey and CachedKey.
func walkCachedModel(d *Dentry, path string, i int) (*Dentry, int, *Dentry) {
	for d.IsDir() {
		name, k, end := ScanKey(path, i)
		j := end
		for j < len(path) && path[j] == '/' {
			j++
		}
		if j == len(path) || name == "" || name == "." || name == ".." || len(name) > NameMax {
			return d, i, nil
		}
		c := d.CachedKey(name, k)
		if c == nil || c.Mounts() != 0 || !c.IsDir() {
			return d, i, c
		}
		d, i = c, j
	}
	return d, i, nil
}

// TestWalkCached compares WalkCached with its model on random trees and
// paths: names of every length around the 8-byte words, dots, non-NUL
// bytes next to '/', files, mounted directories, paths ending anywhere.
func TestWalkCached(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	names := []string{"a", "b", ".", "..", "...", ".a", "a\x00", "\x00", "\xaf", "abcdefg", "abcdefgh",
		"abcdefghi", "0123456789abcdef", "0123456789abcdefg", strings.Repeat("n", NameMax), strings.Repeat("n", NameMax+1)}
	passed := 0
	for round := range 200 {
		root := &Dentry{isDir: true}
		dirs := []*Dentry{root}
		kids := map[*Dentry][]string{}
		for range 60 {
			p := dirs[r.IntN(len(dirs))]
			name := names[r.IntN(len(names))]
			if p.Cached(name) != nil {
				continue
			}
			c := &Dentry{isDir: r.IntN(4) != 0}
			if r.IntN(8) == 0 {
				c.mounts.Store(1)
			}
			p.setChild(name, c)
			kids[p] = append(kids[p], name)
			if c.isDir {
				dirs = append(dirs, c)
			}
		}
		for range 300 {
			// Mostly follow the tree, sometimes stray from it.
			var b strings.Builder
			at := root
			for range 1 + r.IntN(8) {
				name := names[r.IntN(len(names))]
				if k := kids[at]; len(k) > 0 && r.IntN(5) != 0 {
					name = k[r.IntN(len(k))]
				}
				if at != nil {
					at = at.Cached(name)
				}
				b.WriteString(name)
				b.WriteString(strings.Repeat("/", r.IntN(3)))
			}
			path := b.String()
			i := 0
			for i < len(path) && path[i] == '/' {
				i++
			}
			if i == len(path) {
				continue
			}
			gd, gi, gk, gend, gnext := root.WalkCached(path, i)
			wd, wi, wnext := walkCachedModel(root, path, i)
			if gend != 0 {
				_, k, end := ScanKey(path, gi)
				if gend != end || gk != k {
					t.Fatalf("round %d: WalkCached(%q) scanned %d as %v, ScanKey %v", round, path, gi, gk, k)
				}
			}
			if gi > i {
				passed++
			}
			if gd != wd || gi != wi || gnext != wnext {
				t.Fatalf("round %d: WalkCached(%q) stopped at %d, model at %d", round, path, gi, wi)
			}
		}
	}
	if passed < 5000 {
		t.Fatalf("only %d walks passed a component", passed)
	}
}

// BenchmarkWalkCached walks the 9 directories of a 10-component path.
func BenchmarkWalkCached(b *testing.B) {
	root := &Dentry{isDir: true}
	d := root
	for _, n := range strings.Fields("a b c d e f g h i") {
		c := &Dentry{isDir: true}
		d.setChild(n, c)
		d = c
	}
	d.setChild("file", &Dentry{})
	path := "/a/b/c/d/e/f/g/h/i/file"
	for b.Loop() {
		if got, i, _, _, _ := root.WalkCached(path, 1); got != d || i != 19 {
			b.Fatal(got, i)
		}
	}
}
