package aferotest

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/afero"
	"pgregory.net/rapid"
)

// names are the paths random operations work on: few enough that
// operations meet (rename over, remove a parent, create below a file).
var names = []string{"/a", "/b", "/a/c", "/a/d", "/b/c", "/a/c/e"}

// Side is one filesystem of a comparison and the directory it works in.
type Side struct {
	Name string
	Fs   afero.Fs
	Root string
}

// Compare runs a random sequence of afero calls on every side and fails
// t at the first call whose result (value and errno) differs from the
// first side's. Symbolic links are used only with symlinks set.
func Compare(t *rapid.T, sides []Side, symlinks bool) {
	fss := make([]afero.Fs, len(sides))
	for i, s := range sides {
		fss[i] = Prefix(s.Fs, s.Root)
	}
	name := rapid.SampledFrom(names)
	data := rapid.SampledFrom([]string{"", "x", "hello", strings.Repeat("z", 5000)})
	perm := rapid.SampledFrom([]os.FileMode{0o755, 0o700, 0o644, 0o600, 0o4755})
	ops := map[string]func(*rapid.T) func(afero.Fs) string{
		"mkdir": func(t *rapid.T) func(afero.Fs) string {
			p, m := name.Draw(t, "path"), perm.Draw(t, "perm")
			return func(f afero.Fs) string { return Errno(f.Mkdir(p, m)) }
		},
		"mkdirall": func(t *rapid.T) func(afero.Fs) string {
			p := name.Draw(t, "path")
			return func(f afero.Fs) string { return Errno(f.MkdirAll(p, 0o755)) }
		},
		"write": func(t *rapid.T) func(afero.Fs) string {
			p, d := name.Draw(t, "path"), data.Draw(t, "data")
			return func(f afero.Fs) string { return Errno(afero.WriteFile(f, p, []byte(d), 0o644)) }
		},
		"append": func(t *rapid.T) func(afero.Fs) string {
			p, d := name.Draw(t, "path"), data.Draw(t, "data")
			return func(f afero.Fs) string {
				file, err := f.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					return Errno(err)
				}
				_, err = file.Write([]byte(d))
				file.Close()
				return Errno(err)
			}
		},
		"truncate": func(t *rapid.T) func(afero.Fs) string {
			p, n := name.Draw(t, "path"), rapid.Int64Range(0, 6000).Draw(t, "size")
			return func(f afero.Fs) string {
				file, err := f.OpenFile(p, os.O_RDWR, 0)
				if err != nil {
					return Errno(err)
				}
				err = file.Truncate(n)
				file.Close()
				return Errno(err)
			}
		},
		"read": func(t *rapid.T) func(afero.Fs) string {
			p := name.Draw(t, "path")
			off := rapid.Int64Range(0, 6000).Draw(t, "off")
			return func(f afero.Fs) string {
				file, err := f.Open(p)
				if err != nil {
					return Errno(err)
				}
				defer file.Close()
				b := make([]byte, 100)
				n, err := file.ReadAt(b, off)
				all, aerr := io.ReadAll(file)
				return fmt.Sprintf("%q %s %d %s", b[:n], Errno(err), len(all), Errno(aerr))
			}
		},
		"remove": func(t *rapid.T) func(afero.Fs) string {
			p := name.Draw(t, "path")
			return func(f afero.Fs) string { return Errno(f.Remove(p)) }
		},
		"removeall": func(t *rapid.T) func(afero.Fs) string {
			p := name.Draw(t, "path")
			return func(f afero.Fs) string { return Errno(f.RemoveAll(p)) }
		},
		"rename": func(t *rapid.T) func(afero.Fs) string {
			p, q := name.Draw(t, "old"), name.Draw(t, "new")
			return func(f afero.Fs) string { return Errno(f.Rename(p, q)) }
		},
		"chmod": func(t *rapid.T) func(afero.Fs) string {
			p, m := name.Draw(t, "path"), perm.Draw(t, "perm")
			return func(f afero.Fs) string { return Errno(f.Chmod(p, m)) }
		},
		"stat": func(t *rapid.T) func(afero.Fs) string {
			p := name.Draw(t, "path")
			return func(f afero.Fs) string { return stat(f.Stat(p)) }
		},
		"readdir": func(t *rapid.T) func(afero.Fs) string {
			p := name.Draw(t, "path")
			return func(f afero.Fs) string {
				d, err := f.Open(p)
				if err != nil {
					return Errno(err)
				}
				defer d.Close()
				infos, err := d.Readdir(-1)
				var s []string
				for _, fi := range infos {
					s = append(s, stat(fi, nil))
				}
				slices.Sort(s)
				return strings.Join(s, " | ") + " " + Errno(err)
			}
		},
	}
	if symlinks {
		// Neither absolute nor climbing: the sides live at different
		// depths of their trees.
		target := rapid.SampledFrom([]string{"c", "a", "a/c", "nowhere", "c/e"})
		ops["symlink"] = func(t *rapid.T) func(afero.Fs) string {
			p, tg := name.Draw(t, "path"), target.Draw(t, "target")
			return func(f afero.Fs) string {
				l, ok := f.(afero.Symlinker)
				if !ok {
					return "no symlinks"
				}
				return Errno(l.SymlinkIfPossible(tg, p))
			}
		}
		ops["lstat"] = func(t *rapid.T) func(afero.Fs) string {
			p := name.Draw(t, "path")
			return func(f afero.Fs) string {
				l, ok := f.(afero.Symlinker)
				if !ok {
					return "no symlinks"
				}
				fi, _, err := l.LstatIfPossible(p)
				s := stat(fi, err)
				if t, err := l.ReadlinkIfPossible(p); err == nil {
					s += " -> " + t
				}
				return s
			}
		}
	}
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	steps := rapid.IntRange(1, 60).Draw(t, "steps")
	for i := range steps {
		op := rapid.SampledFrom(keys).Draw(t, fmt.Sprintf("op%d", i))
		call := ops[op](t)
		want := call(fss[0])
		for j := 1; j < len(fss); j++ {
			if got := call(fss[j]); got != want {
				t.Fatalf("step %d %s: %s says %q, %s says %q", i, op, sides[0].Name, want, sides[j].Name, got)
			}
		}
	}
}

// stat describes a FileInfo without what filesystems may differ in: the
// size of a directory and the times.
func stat(fi os.FileInfo, err error) string {
	if err != nil {
		return Errno(err)
	}
	size := fi.Size()
	if fi.IsDir() {
		size = -1
	}
	return fmt.Sprintf("%s %v %d", fi.Name(), fi.Mode(), size)
}
