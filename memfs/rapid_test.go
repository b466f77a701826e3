package memfs

import (
	"bytes"
	"slices"
	"testing"

	"github.com/mountkit/mountkit/vfs"
	"pgregory.net/rapid"
)

// model is the expected state of a memfs with two directories (the root
// and "sub") holding files, hard links and empty directories.
type model struct {
	fsys  *FS
	dirs  [2]vfs.Inode
	names [2]map[string]entry
	data  map[int][]byte // file id to content
	next  int
	// cookies remembers each entry's readdir cookie, to check that
	// entries keep theirs.
	cookies [2]map[string]uint64
}

type entry struct {
	dir bool
	id  int // file id; unused for directories
}

var (
	genName = rapid.SampledFrom([]string{"a", "b", "c", "d"})
	genDir  = rapid.IntRange(0, 1)
)

func newModel(t *rapid.T) *model {
	fsys := New(linuxHost.DefaultOptions())
	sub, err := fsys.Root().Mkdir("sub", dir)
	if err != nil {
		t.Fatal(err)
	}
	m := &model{fsys: fsys, dirs: [2]vfs.Inode{fsys.Root(), sub}, data: map[int][]byte{}}
	for i := range m.names {
		m.names[i] = map[string]entry{}
		m.cookies[i] = map[string]uint64{}
	}
	return m
}

func expectErr(t *rapid.T, op string, got, want error) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: got %v, want %v", op, got, want)
	}
}

func (m *model) lookupFile(t *rapid.T, d int, name string) vfs.Inode {
	ino, err := m.dirs[d].Lookup(name)
	if err != nil {
		t.Fatalf("lookup %d/%s: %v", d, name, err)
	}
	return ino
}

func (m *model) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"create": func(t *rapid.T) {
			d, name := genDir.Draw(t, "dir"), genName.Draw(t, "name")
			_, err := m.dirs[d].Create(name, reg)
			if _, ok := m.names[d][name]; ok {
				expectErr(t, "create", err, vfs.EEXIST)
				return
			}
			expectErr(t, "create", err, nil)
			m.names[d][name] = entry{id: m.next}
			m.data[m.next] = nil
			m.next++
		},
		"mkdir": func(t *rapid.T) {
			d, name := genDir.Draw(t, "dir"), genName.Draw(t, "name")
			_, err := m.dirs[d].Mkdir(name, dir)
			if _, ok := m.names[d][name]; ok {
				expectErr(t, "mkdir", err, vfs.EEXIST)
				return
			}
			expectErr(t, "mkdir", err, nil)
			m.names[d][name] = entry{dir: true}
		},
		"write": func(t *rapid.T) {
			d, name := genDir.Draw(t, "dir"), genName.Draw(t, "name")
			e, ok := m.names[d][name]
			if !ok || e.dir {
				t.Skip("no file")
			}
			off := rapid.IntRange(0, 20000).Draw(t, "off")
			p := bytes.Repeat([]byte{rapid.Byte().Draw(t, "b")}, rapid.IntRange(0, 6000).Draw(t, "len"))
			f, err := m.lookupFile(t, d, name).Open(vfs.O_RDWR)
			expectErr(t, "open", err, nil)
			n, err := f.WriteAt(p, int64(off))
			expectErr(t, "write", err, nil)
			if n != len(p) {
				t.Fatalf("short write %d of %d", n, len(p))
			}
			expectErr(t, "close", f.Close(), nil)
			c := m.data[e.id]
			if len(p) > 0 {
				if off+len(p) > len(c) {
					c = append(c, make([]byte, off+len(p)-len(c))...)
				}
				copy(c[off:], p)
			}
			m.data[e.id] = c
		},
		"truncate": func(t *rapid.T) {
			d, name := genDir.Draw(t, "dir"), genName.Draw(t, "name")
			e, ok := m.names[d][name]
			if !ok || e.dir {
				t.Skip("no file")
			}
			size := rapid.IntRange(0, 20000).Draw(t, "size")
			err := m.lookupFile(t, d, name).Setattr(&vfs.SetAttr{Mask: vfs.SetSize, Size: int64(size)})
			expectErr(t, "truncate", err, nil)
			c := m.data[e.id]
			if size <= len(c) {
				c = c[:size:size]
			} else {
				c = append(c, make([]byte, size-len(c))...)
			}
			m.data[e.id] = c
		},
		"unlink": func(t *rapid.T) {
			d, name := genDir.Draw(t, "dir"), genName.Draw(t, "name")
			err := m.dirs[d].Unlink(name)
			e, ok := m.names[d][name]
			switch {
			case !ok:
				expectErr(t, "unlink", err, vfs.ENOENT)
			case e.dir:
				expectErr(t, "unlink", err, vfs.EISDIR)
			default:
				expectErr(t, "unlink", err, nil)
				m.remove(d, name)
			}
		},
		"rmdir": func(t *rapid.T) {
			d, name := genDir.Draw(t, "dir"), genName.Draw(t, "name")
			err := m.dirs[d].Rmdir(name)
			e, ok := m.names[d][name]
			switch {
			case !ok:
				expectErr(t, "rmdir", err, vfs.ENOENT)
			case !e.dir:
				expectErr(t, "rmdir", err, vfs.ENOTDIR)
			default:
				expectErr(t, "rmdir", err, nil)
				m.remove(d, name)
			}
		},
		"link": func(t *rapid.T) {
			d1, n1 := genDir.Draw(t, "dir1"), genName.Draw(t, "name1")
			d2, n2 := genDir.Draw(t, "dir2"), genName.Draw(t, "name2")
			e, ok := m.names[d1][n1]
			if !ok || e.dir {
				t.Skip("no file")
			}
			err := m.dirs[d2].Link(n2, m.lookupFile(t, d1, n1))
			if _, ok := m.names[d2][n2]; ok {
				expectErr(t, "link", err, vfs.EEXIST)
				return
			}
			expectErr(t, "link", err, nil)
			m.names[d2][n2] = e
		},
		"rename": func(t *rapid.T) {
			d1, n1 := genDir.Draw(t, "dir1"), genName.Draw(t, "name1")
			d2, n2 := genDir.Draw(t, "dir2"), genName.Draw(t, "name2")
			flags := rapid.SampledFrom([]uint32{0, vfs.RENAME_NOREPLACE, vfs.RENAME_EXCHANGE}).Draw(t, "flags")
			err := m.dirs[d1].Rename(n1, m.dirs[d2], n2, flags)
			src, ok := m.names[d1][n1]
			dst, exists := m.names[d2][n2]
			sameFile := exists && !src.dir && !dst.dir && src.id == dst.id
			switch {
			case !ok:
				expectErr(t, "rename", err, vfs.ENOENT)
			case exists && flags == vfs.RENAME_NOREPLACE:
				expectErr(t, "rename", err, vfs.EEXIST)
			case !exists && flags == vfs.RENAME_EXCHANGE:
				expectErr(t, "rename", err, vfs.ENOENT)
			case sameFile || d1 == d2 && n1 == n2:
				expectErr(t, "rename", err, nil)
			case flags == vfs.RENAME_EXCHANGE:
				expectErr(t, "rename", err, nil)
				m.names[d1][n1], m.names[d2][n2] = dst, src
			case exists && src.dir && !dst.dir:
				expectErr(t, "rename", err, vfs.ENOTDIR)
			case exists && !src.dir && dst.dir:
				expectErr(t, "rename", err, vfs.EISDIR)
			default:
				expectErr(t, "rename", err, nil)
				if exists {
					m.remove(d2, n2)
				}
				delete(m.names[d1], n1)
				delete(m.cookies[d1], n1)
				m.names[d2][n2] = src
			}
		},
		"": m.check,
	}
}

func (m *model) remove(d int, name string) {
	e := m.names[d][name]
	delete(m.names[d], name)
	delete(m.cookies[d], name)
	if e.dir {
		return
	}
	for _, names := range m.names {
		for _, o := range names {
			if !o.dir && o.id == e.id {
				return
			}
		}
	}
	delete(m.data, e.id)
}

// check compares the filesystem with the model: directory listings,
// cookies of surviving entries, nlink, sizes, contents, block accounting.
func (m *model) check(t *rapid.T) {
	links := map[int]uint32{}
	for _, names := range m.names {
		for _, e := range names {
			if !e.dir {
				links[e.id]++
			}
		}
	}
	var pages uint64
	for d, dirIno := range m.dirs {
		f, err := dirIno.Open(vfs.O_RDONLY)
		expectErr(t, "opendir", err, nil)
		var got []string
		cookies := map[string]uint64{}
		err = f.ReadDir(firstCookie, func(e vfs.DirEntry) bool {
			if d == 0 && e.Name == "sub" {
				return true
			}
			got = append(got, e.Name)
			cookies[e.Name] = e.Next - 1
			return true
		})
		expectErr(t, "readdir", err, nil)
		f.Close()
		var want []string
		subdirs := uint32(0)
		for name, e := range m.names[d] {
			want = append(want, name)
			if e.dir {
				subdirs++
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("dir %d: entries %v, want %v", d, got, want)
		}
		for name, c := range m.cookies[d] {
			if cookies[name] != c {
				t.Fatalf("dir %d: %s moved from cookie %d to %d", d, name, c, cookies[name])
			}
		}
		m.cookies[d] = cookies
		if d == 0 {
			subdirs++ // sub
		}
		a := attr(t, dirIno)
		if a.Nlink != 2+subdirs {
			t.Fatalf("dir %d: nlink %d, want %d", d, a.Nlink, 2+subdirs)
		}
		if want := int64(40 + 20*len(cookies)); d == 1 && a.Size != want {
			t.Fatalf("dir %d: size %d, want %d", d, a.Size, want)
		}
		for name, e := range m.names[d] {
			ino := m.lookupFile(t, d, name)
			a := attr(t, ino)
			if e.dir {
				if a.Nlink != 2 || !a.Mode.IsDir() {
					t.Fatalf("%d/%s: dir attr %+v", d, name, a)
				}
				continue
			}
			c := m.data[e.id]
			if a.Nlink != links[e.id] || a.Size != int64(len(c)) {
				t.Fatalf("%d/%s: nlink %d size %d, want %d %d", d, name, a.Nlink, a.Size, links[e.id], len(c))
			}
			f, err := ino.Open(vfs.O_RDONLY)
			expectErr(t, "open", err, nil)
			buf := make([]byte, len(c)+10)
			n, err := f.ReadAt(buf, 0)
			expectErr(t, "read", err, nil)
			f.Close()
			if !bytes.Equal(buf[:n], c) {
				t.Fatalf("%d/%s: content differs", d, name)
			}
		}
	}
	seen := map[*node]bool{}
	for d := range m.dirs {
		for name, e := range m.names[d] {
			n := m.lookupFile(t, d, name).(*node)
			if !e.dir && !seen[n] {
				seen[n] = true
				pages += uint64(len(n.pages()))
			}
		}
	}
	if m.fsys.usedBlocks != pages {
		t.Fatalf("used blocks %d, pages held %d", m.fsys.usedBlocks, pages)
	}
}

func TestModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := newModel(t)
		t.Repeat(m.actions())
	})
}

// TestLimitsProperty checks that the block and inode budgets are never
// exceeded and are fully returned when everything is removed.
func TestLimitsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fsys := newFS(t, "size=32k,nr_inodes=6")
		root := fsys.Root()
		for i := range rapid.IntRange(1, 30).Draw(t, "ops") {
			name := genName.Draw(t, "name")
			switch rapid.IntRange(0, 4).Draw(t, "op") {
			case 0:
				_, _ = root.Create(name, reg)
			case 1:
				if ino, err := root.Lookup(name); err == nil {
					if f, err := ino.Open(vfs.O_RDWR); err == nil {
						_, _ = f.WriteAt(make([]byte, rapid.IntRange(1, 20000).Draw(t, "len")), int64(rapid.IntRange(0, 40000).Draw(t, "off")))
						f.Close()
					}
				}
			case 2:
				if ino, err := root.Lookup(name); err == nil {
					_ = root.Link(genName.Draw(t, "to")+string(rune('0'+i%3)), ino)
				}
			case 3:
				_ = root.Unlink(name)
			case 4:
				if ino, err := root.Lookup(name); err == nil {
					_ = ino.Setxattr("user.x", make([]byte, rapid.IntRange(0, 2000).Draw(t, "xlen")), 0)
				}
			}
			if fsys.usedBlocks > 8 {
				t.Fatalf("used %d blocks of 8", fsys.usedBlocks)
			}
			if fsys.freeIspace > 6*bogoInodeSize {
				t.Fatalf("free ispace %d", fsys.freeIspace)
			}
		}
		f := open(t, root, vfs.O_RDONLY)
		var all []string
		_ = f.ReadDir(0, func(e vfs.DirEntry) bool { all = append(all, e.Name); return true })
		for _, n := range all {
			_ = root.Unlink(n)
		}
		if fsys.usedBlocks != 0 || fsys.freeIspace != 5*bogoInodeSize {
			t.Fatalf("after removing all: blocks %d ispace %d", fsys.usedBlocks, fsys.freeIspace)
		}
	})
}
