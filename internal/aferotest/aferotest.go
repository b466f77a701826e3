// Package aferotest holds the expectations that afero's own test suite
// has of a filesystem (afero_test.go, memmap_test.go, symlink_test.go),
// written as one transcript: a script of afero calls whose results, with
// every error reduced to its Linux errno, can be compared between an
// afero.Fs under test and afero.OsFs over a directory of the real kernel.
package aferotest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/afero"

	"github.com/mountkit/mountkit/vfs"
)

// Errno reduces err to a comparable word: "ok", the Linux errno name, or
// the os sentinel it matches; followed by the io/fs classes it matches.
func Errno(err error) string {
	if err == nil {
		return "ok"
	}
	var s string
	var e vfs.Errno
	var se syscall.Errno
	switch {
	case errors.Is(err, io.EOF):
		return "EOF"
	case errors.Is(err, os.ErrClosed):
		s = "closed"
	case errors.As(err, &e):
		s = e.Name()
	case errors.As(err, &se):
		s = vfs.Errno(se).Name()
	default:
		s = "error"
	}
	var pe *os.PathError
	var le *os.LinkError
	if !errors.As(err, &pe) && !errors.As(err, &le) {
		s += " (not a PathError)"
	}
	if os.IsNotExist(err) != errors.Is(err, fs.ErrNotExist) || os.IsExist(err) != errors.Is(err, fs.ErrExist) {
		s += " (os and io/fs disagree)"
	}
	if os.IsNotExist(err) {
		s += " notexist"
	}
	if os.IsExist(err) {
		s += " exist"
	}
	if os.IsPermission(err) {
		s += " permission"
	}
	return s
}

// Options leave out what a filesystem under test knowingly lacks.
type Options struct {
	NoSymlinks bool // SymlinkIfPossible is not offered (afero.MemMapFs)
}

// Transcript runs afero's expectations on fsys in the empty directory
// root ("" for the root of fsys) and returns one line per call.
func Transcript(fsys afero.Fs, root string, o Options) []string {
	fsys = Prefix(fsys, root)
	var out []string
	say := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	e := Errno

	// Create, write, read back; EOF.
	f, err := fsys.Create("/f")
	say("create /f: %s", e(err))
	if err == nil {
		n, err := f.WriteString("hello, world")
		say("write: %d %s", n, e(err))
		say("close: %s", e(f.Close()))
		say("close again: %s", e(f.Close()))
		_, err = f.Write([]byte("x"))
		say("write closed: %s", e(err))
	}
	b, err := afero.ReadFile(fsys, "/f")
	say("readfile /f: %q %s", b, e(err))
	if f, err := fsys.Open("/f"); err == nil {
		p := make([]byte, 5)
		n, err := f.Read(p)
		say("read: %q %s", p[:n], e(err))
		n, err = f.ReadAt(p, 10)
		say("readat 10: %q %s", p[:n], e(err))
		n, err = f.ReadAt(p, 100)
		say("readat 100: %d %s", n, e(err))
		off, err := f.Seek(-2, io.SeekEnd)
		say("seek -2 end: %d %s", off, e(err))
		n, err = f.Read(p)
		say("read: %q %s", p[:n], e(err))
		n, err = f.Read(p)
		say("read at end: %d %s", n, e(err))
		_, err = f.Write([]byte("x"))
		say("write read-only: %s", e(err))
		fi, err := f.Stat()
		if err == nil {
			say("fstat: %s %d %v %v", fi.Name(), fi.Size(), fi.IsDir(), fi.Mode())
		}
		f.Close()
	}

	// Open's errors.
	_, err = fsys.Open("/missing")
	say("open missing: %s", e(err))
	_, err = fsys.OpenFile("/f", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	say("open excl existing: %s", e(err))
	_, err = fsys.Open("/f/x")
	say("open below file: %s", e(err))
	_, err = fsys.OpenFile("/nodir/x", os.O_CREATE|os.O_WRONLY, 0o644)
	say("create in missing dir: %s", e(err))

	// Append, truncate, WriteAt.
	if f, err := fsys.OpenFile("/f", os.O_WRONLY|os.O_APPEND, 0); err == nil {
		n, err := f.Write([]byte("!"))
		say("append: %d %s", n, e(err))
		_, err = f.WriteAt([]byte("x"), 0)
		say("writeat on append: %v", err != nil)
		f.Close()
	}
	if f, err := fsys.OpenFile("/f", os.O_RDWR, 0); err == nil {
		say("truncate 5: %s", e(f.Truncate(5)))
		n, err := f.WriteAt([]byte("XY"), 8)
		say("writeat 8: %d %s", n, e(err))
		f.Close()
	}
	b, err = afero.ReadFile(fsys, "/f")
	say("readfile /f: %q %s", b, e(err))
	if f, err := fsys.OpenFile("/f", os.O_RDWR|os.O_TRUNC, 0); err == nil {
		fi, _ := f.Stat()
		say("o_trunc size: %d", fi.Size())
		f.Close()
	}

	// Directories.
	say("mkdir /d: %s", e(fsys.Mkdir("/d", 0o755)))
	say("mkdir /d again: %s", e(fsys.Mkdir("/d", 0o755)))
	say("mkdir /nodir/x: %s", e(fsys.Mkdir("/nodir/x", 0o755)))
	say("mkdir /f/x: %s", e(fsys.Mkdir("/f/x", 0o755)))
	say("mkdirall /a/b/c: %s", e(fsys.MkdirAll("/a/b/c", 0o755)))
	say("mkdirall /a/b/c again: %s", e(fsys.MkdirAll("/a/b/c", 0o755)))
	say("mkdirall /f/x: %s", e(fsys.MkdirAll("/f/x", 0o755)))
	for _, name := range []string{"/d/1", "/d/2", "/d/3", "/a/b/c/deep"} {
		say("writefile %s: %s", name, e(afero.WriteFile(fsys, name, []byte(name), 0o640)))
	}
	if d, err := fsys.Open("/d"); err == nil {
		_, err := d.Read(make([]byte, 1))
		say("read dir: %s", e(err))
		var all []string
		for {
			infos, err := d.Readdir(2)
			for _, fi := range infos {
				all = append(all, fmt.Sprintf("%s:%d:%v", fi.Name(), fi.Size(), fi.Mode()))
			}
			if err != nil {
				say("readdir(2) end: %s", e(err))
				break
			}
		}
		slices.Sort(all)
		say("readdir: %s", strings.Join(all, " "))
		infos, err := d.Readdir(0)
		say("readdir(0) at end: %d %s", len(infos), e(err))
		d.Close()
	}
	if d, err := fsys.Open("/d"); err == nil {
		names, err := d.Readdirnames(-1)
		slices.Sort(names)
		say("readdirnames: %v %s", names, e(err))
		d.Close()
	}
	_, err = fsys.Create("/d")
	say("create on dir: %s", e(err))

	// Stat.
	for _, name := range []string{"/d", "/d/1", "/missing", "/f/x"} {
		fi, err := fsys.Stat(name)
		if err != nil {
			say("stat %s: %s", name, e(err))
			continue
		}
		size := fi.Size()
		if fi.IsDir() {
			size = -1 // directory sizes are the filesystem's own
		}
		say("stat %s: %q %d %v %v", name, fi.Name(), size, fi.IsDir(), fi.Mode())
	}

	// Chmod, Chown, Chtimes.
	say("chmod 0600: %s", e(fsys.Chmod("/d/1", 0o600)))
	say("chmod setuid: %s", e(fsys.Chmod("/d/2", 0o755|os.ModeSetuid)))
	say("chmod missing: %s", e(fsys.Chmod("/missing", 0o600)))
	for _, name := range []string{"/d/1", "/d/2"} {
		if fi, err := fsys.Stat(name); err == nil {
			say("mode %s: %v", name, fi.Mode())
		}
	}
	say("chown missing: %s", e(fsys.Chown("/missing", 0, 0)))
	mt := time.Date(2020, 2, 3, 4, 5, 6, 0, time.UTC)
	say("chtimes: %s", e(fsys.Chtimes("/d/1", mt, mt)))
	if fi, err := fsys.Stat("/d/1"); err == nil {
		say("mtime: %v", fi.ModTime().UTC())
	}
	mt2 := mt.Add(time.Hour)
	say("chtimes zero atime: %s", e(fsys.Chtimes("/d/1", time.Time{}, mt2)))
	if fi, err := fsys.Stat("/d/1"); err == nil {
		say("mtime: %v", fi.ModTime().UTC())
	}
	say("chtimes missing: %s", e(fsys.Chtimes("/missing", mt, mt)))

	// Rename.
	say("rename file: %s", e(fsys.Rename("/d/1", "/d/one")))
	say("rename over file: %s", e(fsys.Rename("/d/2", "/d/one")))
	b, err = afero.ReadFile(fsys, "/d/one")
	say("renamed content: %q %s", b, e(err))
	say("rename missing: %s", e(fsys.Rename("/d/missing", "/d/x")))
	say("rename dir: %s", e(fsys.Rename("/a/b", "/a/bb")))
	b, err = afero.ReadFile(fsys, "/a/bb/c/deep")
	say("moved subtree: %q %s", b, e(err))
	say("mkdir /e: %s", e(fsys.Mkdir("/e", 0o755)))
	say("rename dir over empty dir: %s", e(fsys.Rename("/e", "/a/bb/c/empty")))
	say("rename dir over file: %s", e(fsys.Rename("/a/bb", "/d/3")))
	say("rename file over dir: %s", e(fsys.Rename("/d/3", "/a")))
	say("rename dir into itself: %s", e(fsys.Rename("/a", "/a/bb/x")))

	// Symbolic links.
	if !o.NoSymlinks {
		if l, ok := fsys.(afero.Symlinker); ok {
			say("symlink: %s", e(l.SymlinkIfPossible("d/one", "/link")))
			say("symlink exists: %s", e(l.SymlinkIfPossible("x", "/link")))
			t, err := l.ReadlinkIfPossible("/link")
			say("readlink: %q %s", t, e(err))
			_, err = l.ReadlinkIfPossible("/d")
			say("readlink dir: %s", e(err))
			fi, _, err := l.LstatIfPossible("/link")
			if err == nil {
				say("lstat link: %v", fi.Mode().Type())
			}
			b, err := afero.ReadFile(fsys, "/link")
			say("read through link: %q %s", b, e(err))
			say("remove link: %s", e(fsys.Remove("/link")))
		}
	}

	// Remove and RemoveAll.
	say("remove missing: %s", e(fsys.Remove("/missing")))
	say("remove non-empty dir: %s", e(fsys.Remove("/d")))
	say("remove file: %s", e(fsys.Remove("/d/one")))
	say("remove empty dir: %s", e(fsys.Remove("/a/bb/c/empty")))
	say("removeall missing: %s", e(fsys.RemoveAll("/missing")))
	say("removeall tree: %s", e(fsys.RemoveAll("/a")))
	_, err = fsys.Stat("/a")
	say("stat removed: %s", e(err))
	say("removeall file: %s", e(fsys.RemoveAll("/f")))
	say("removeall d: %s", e(fsys.RemoveAll("/d")))
	if d, err := fsys.Open("/"); err == nil {
		names, err := d.Readdirnames(-1)
		say("left: %v %s", names, e(err))
		d.Close()
	}
	return out
}

// Prefix returns fsys with root put in front of every name (and of no
// symbolic link's target, unlike afero.BasePathFs).
func Prefix(fsys afero.Fs, root string) afero.Fs {
	if _, ok := fsys.(afero.Symlinker); ok {
		return symlinker{prefixFs{fsys, root}}
	}
	return prefixFs{fsys, root}
}

// prefixFs puts root in front of every name.
type prefixFs struct {
	afero.Fs
	root string
}

func (p prefixFs) Create(name string) (afero.File, error) { return p.Fs.Create(p.root + name) }
func (p prefixFs) Mkdir(name string, perm os.FileMode) error {
	return p.Fs.Mkdir(p.root+name, perm)
}
func (p prefixFs) MkdirAll(name string, perm os.FileMode) error {
	return p.Fs.MkdirAll(p.root+name, perm)
}
func (p prefixFs) Open(name string) (afero.File, error) { return p.Fs.Open(p.root + name) }
func (p prefixFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	return p.Fs.OpenFile(p.root+name, flag, perm)
}
func (p prefixFs) Remove(name string) error    { return p.Fs.Remove(p.root + name) }
func (p prefixFs) RemoveAll(name string) error { return p.Fs.RemoveAll(p.root + name) }
func (p prefixFs) Rename(o, n string) error    { return p.Fs.Rename(p.root+o, p.root+n) }
func (p prefixFs) Stat(name string) (os.FileInfo, error) {
	return p.Fs.Stat(p.root + name)
}
func (p prefixFs) Chmod(name string, mode os.FileMode) error {
	return p.Fs.Chmod(p.root+name, mode)
}
func (p prefixFs) Chown(name string, uid, gid int) error {
	return p.Fs.Chown(p.root+name, uid, gid)
}
func (p prefixFs) Chtimes(name string, a, m time.Time) error {
	return p.Fs.Chtimes(p.root+name, a, m)
}

// symlinker is a prefixFs over an afero.Symlinker.
type symlinker struct{ prefixFs }

func (s symlinker) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	return s.Fs.(afero.Lstater).LstatIfPossible(s.root + name)
}
func (s symlinker) SymlinkIfPossible(o, n string) error {
	return s.Fs.(afero.Linker).SymlinkIfPossible(o, s.root+n)
}
func (s symlinker) ReadlinkIfPossible(name string) (string, error) {
	return s.Fs.(afero.LinkReader).ReadlinkIfPossible(s.root + name)
}
