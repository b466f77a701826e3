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
		root := newDentry(nil, nil, ModeDir)
		dirs := []*Dentry{root}
		kids := map[*Dentry][]string{}
		for range 60 {
			p := dirs[r.IntN(len(dirs))]
			name := names[r.IntN(len(names))]
			if p.Cached(name) != nil {
				continue
			}
			typ := ModeRegular
			if r.IntN(4) != 0 {
				typ = ModeDir
			}
			c := newDentry(nil, nil, typ)
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
	root := newDentry(nil, nil, ModeDir)
	d := root
	for _, n := range strings.Fields("a b c d e f g h i") {
		c := newDentry(nil, nil, ModeDir)
		d.setChild(n, c)
		d = c
	}
	d.setChild("file", newDentry(nil, nil, ModeRegular))
	path := "/a/b/c/d/e/f/g/h/i/file"
	for b.Loop() {
		if got, i, _, _, _ := root.WalkCached(path, 1); got != d || i != 19 {
			b.Fatal(got, i)
		}
	}
}

// TestWalkCachedLengths walks paths of every length around the 64 bytes
// of WalkCached's slash mask (and its other loop beyond), down a chain
// of directories named "a", with runs of slashes, trailing slashes and
// dot components at every place, against the model.
func TestWalkCachedLengths(t *testing.T) {
	root := newDentry(nil, nil, ModeDir)
	d := root
	for range 40 {
		c := newDentry(nil, nil, ModeDir)
		d.setChild("a", c)
		d = c
	}
	d.setChild("f", newDentry(nil, nil, ModeRegular))
	for n := 1; n <= 40; n++ {
		base := strings.Repeat("a/", n)
		for _, tail := range []string{"f", "f/", "a", "a/", "x", "", "/f", "./f", "../f", "abcdefgh/f"} {
			path := base + tail
			for cut := 0; cut < len(path); cut += 2 {
				// Doubling one slash, or replacing a name by "."
				for _, p := range []string{path, path[:cut] + "/" + path[cut:], path[:cut] + "." + path[cut+1:]} {
					// From the first component, and from each
					// later one (as after crossing a mount).
					for i := range len(p) {
						if p[i] == '/' || i > 0 && p[i-1] != '/' {
							continue
						}
						from := root
						if i > 0 {
							from, _, _ = walkCachedModel(root, p[:i]+"x", 0)
						}
						gd, gi, _, _, gnext := from.WalkCached(p, i)
						wd, wi, wnext := walkCachedModel(from, p, i)
						if gd != wd || gi != wi || gnext != wnext {
							t.Fatalf("WalkCached(%q, %d) (%d bytes) stopped at %d, model at %d", p, i, len(p), gi, wi)
						}
					}
				}
			}
		}
	}
}
