package ext4_test

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/mountkit/mountkit"
	"github.com/mountkit/mountkit/mount"
	"github.com/mountkit/mountkit/vfs"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// A write model: what the tree should hold after a sequence of
// operations. Files are shared by their hard links.
type mFile struct {
	data   []byte
	mode   uint32
	xattrs map[string]string
}

type mEnt struct {
	dir    bool
	mode   uint32 // directories
	file   *mFile
	target string // symlinks
	xattrs map[string]string
}

// xattrs is the model's xattr map of e, made on first use.
func (e *mEnt) xattrMap() map[string]string {
	if e.file != nil {
		if e.file.xattrs == nil {
			e.file.xattrs = map[string]string{}
		}
		return e.file.xattrs
	}
	if e.xattrs == nil {
		e.xattrs = map[string]string{}
	}
	return e.xattrs
}

func xattrSuffix(m map[string]string) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for _, k := range keys {
		s += fmt.Sprintf(" xattr:%s=%q", k, m[k])
	}
	return s
}

type model struct {
	ents map[string]*mEnt // by path relative to the root, "" is the root
}

func (m *model) children(dir string) []string {
	var out []string
	for p := range m.ents {
		if p != "" && path.Dir(p) == dirOrDot(dir) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func dirOrDot(d string) string {
	if d == "" {
		return "."
	}
	return d
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// lines renders the model as reduceWalk renders a walk.
func (m *model) lines() []string {
	var out []string
	for p, e := range m.ents {
		name := p
		if p == "" {
			name = "."
		}
		switch {
		case e.dir:
			subdirs := 0
			kids := m.children(p)
			for _, k := range kids {
				if m.ents[k].dir {
					subdirs++
				}
			}
			out = append(out, fmt.Sprintf("%q mode=%o nlink=%d entries=%d", name, uint32(vfs.ModeDir)|e.mode, 2+subdirs, len(kids))+xattrSuffix(e.xattrs))
		case e.file != nil:
			n := 0
			for _, o := range m.ents {
				if o.file == e.file {
					n++
				}
			}
			sum := sha256.Sum256(e.file.data)
			out = append(out, fmt.Sprintf("%q mode=%o nlink=%d size=%d sha256=%s", name, uint32(vfs.ModeRegular)|e.file.mode, n, len(e.file.data), hex.EncodeToString(sum[:8]))+xattrSuffix(e.file.xattrs))
		default:
			out = append(out, fmt.Sprintf("%q mode=%o nlink=1 size=%d target=%q", name, uint32(vfs.ModeSymlink)|0o777, len(e.target), e.target))
		}
	}
	sort.Strings(out)
	return out
}

var (
	walkPath   = regexp.MustCompile(`^("(?:[^"\\]|\\.)*")`)
	walkFields = regexp.MustCompile(` (mode|nlink|size|entries|sha256|target|xattr:[^=]+)=("(?:[^"\\]|\\.)*"|\S+)`)
)

// reduceWalk keeps of walk lines what the model knows (no inode
// numbers, times or block counts; directory sizes neither).
func reduceWalk(lines []string) []string {
	var out []string
	for _, l := range lines {
		s := walkPath.FindString(l)
		dir := strings.Contains(l, " entries=")
		for _, m := range walkFields.FindAllStringSubmatch(l, -1) {
			if dir && m[1] == "size" {
				continue
			}
			s += " " + m[1] + "=" + m[2]
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// template images, built once: ext4, ext2 (block maps) and ext3, 1 KiB
// and 4 KiB blocks, with an htree directory "h" of 300 entries or
// without.
var templates struct {
	sync.Mutex
	imgs map[string][]byte
}

func templateImage(t testing.TB, kind string, bs int, htree bool) []byte {
	t.Helper()
	key := fmt.Sprint(kind, bs, htree)
	templates.Lock()
	defer templates.Unlock()
	if b, ok := templates.imgs[key]; ok {
		return b
	}
	needTools(t, "mkfs.ext4", "e2fsck")
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	require.NoError(t, os.MkdirAll(src, 0o755))
	if htree {
		require.NoError(t, os.Mkdir(filepath.Join(src, "h"), 0o755))
		for i := range 300 {
			require.NoError(t, os.WriteFile(filepath.Join(src, "h", fmt.Sprintf("entry-with-a-longish-name-%03d", i)), []byte{byte(i)}, 0o644))
		}
	}
	img := filepath.Join(dir, "img")
	run(t, "truncate", "-s", "8M", img)
	run(t, "mkfs."+kind, "-b", fmt.Sprint(bs), "-q", "-F", "-E", "root_owner=0:0", "-d", src, img)
	if htree {
		run(t, "e2fsck", "-fyD", img)
	}
	b, err := os.ReadFile(img)
	require.NoError(t, err)
	if templates.imgs == nil {
		templates.imgs = map[string][]byte{}
	}
	templates.imgs[key] = b
	return b
}

// libBoot boots a library kernel with img's bytes at /img, mounted
// read-write from a loop device at /mnt.
func libBoot(t testing.TB, img []byte) *mount.FsContext {
	c, err := mountkit.Boot()
	require.NoError(t, err)
	f, err := c.Open("/img", vfs.O_WRONLY|vfs.O_CREAT, 0o644)
	require.NoError(t, err)
	_, err = f.Write(img)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	dev, err := c.Losetup("/img")
	require.NoError(t, err)
	require.NoError(t, c.Mknod("/loop0", uint32(vfs.ModeBlockDevice|0o600), dev))
	require.NoError(t, c.Mkdir("/mnt", 0o755))
	require.NoError(t, c.Mount("/loop0", "/mnt", "ext4", 0, ""))
	return c
}

// libImage reads /img back out of a library kernel.
func libImage(t testing.TB, c *mount.FsContext) []byte {
	f, err := c.Open("/img", vfs.O_RDONLY, 0)
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	b := make([]byte, st.Size)
	n, err := f.ReadAt(b, 0)
	require.NoError(t, err)
	require.Equal(t, len(b), n)
	return b
}

// modelOf reads the tree at /mnt of c into a model.
func modelOf(t testing.TB, c *mount.FsContext) *model {
	m := &model{ents: map[string]*mEnt{}}
	byIno := map[uint64]*mFile{}
	var visit func(p string)
	visit = func(p string) {
		abs := path.Join("/mnt", p)
		st, err := c.Lstat(abs)
		require.NoError(t, err)
		switch vfs.Mode(st.Mode).Type() {
		case vfs.ModeDir:
			m.ents[p] = &mEnt{dir: true, mode: uint32(st.Mode) & 0o7777}
			names, err := libWalker{c}.list(p)
			require.NoError(t, err)
			for _, n := range names {
				visit(join(p, n))
			}
		case vfs.ModeSymlink:
			tg, err := c.Readlink(abs)
			require.NoError(t, err)
			m.ents[p] = &mEnt{target: tg}
		default:
			f := byIno[st.Ino]
			if f == nil {
				b, err := libWalker{c}.read(p)
				require.NoError(t, err)
				f = &mFile{data: b, mode: uint32(st.Mode) & 0o7777}
				byIno[st.Ino] = f
			}
			m.ents[p] = &mEnt{file: f}
		}
	}
	visit("")
	return m
}

// names is the small alphabet the operations draw from, so that they
// collide.
var names = []string{"a", "b", "c", "dd", "a-rather-long-name-to-fill-directory-blocks-faster-" + strings.Repeat("x", 150)}

// writeState is one run of the property: the library kernel and the
// model of what /mnt holds.
type writeState struct {
	c  *mount.FsContext
	m  *model
	bs int
	// open is a file held open (and maybe unlinked) across operations.
	open     *mount.File
	openFile *mFile
}

func (s *writeState) abs(p string) string { return path.Join("/mnt", p) }

func (s *writeState) dirs() []string {
	var out []string
	for p, e := range s.m.ents {
		if e.dir {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (s *writeState) paths(pred func(*mEnt) bool) []string {
	var out []string
	for p, e := range s.m.ents {
		if p != "" && pred(e) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (s *writeState) newPath(t *rapid.T) string {
	d := rapid.SampledFrom(s.dirs()).Draw(t, "dir")
	return join(d, rapid.SampledFrom(names).Draw(t, "name"))
}

func (s *writeState) data(t *rapid.T) []byte {
	n := rapid.IntRange(0, 3*s.bs+5).Draw(t, "len")
	b := make([]byte, n)
	seed := byte(rapid.IntRange(1, 255).Draw(t, "seed"))
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

func writeModel(f *mFile, b []byte, off int) {
	if end := off + len(b); end > len(f.data) {
		f.data = append(f.data, make([]byte, end-len(f.data))...)
	}
	copy(f.data[off:], b)
}

func (s *writeState) offset(t *rapid.T, size int) int {
	switch rapid.IntRange(0, 3).Draw(t, "where") {
	case 0:
		return 0
	case 1:
		return size
	case 2:
		return rapid.IntRange(0, size+2*s.bs).Draw(t, "off")
	}
	return size + rapid.IntRange(10, 40).Draw(t, "holeBlocks")*s.bs + rapid.IntRange(0, 9).Draw(t, "odd")
}

func isFile(e *mEnt) bool      { return e.file != nil }
func isNonDir(e *mEnt) bool    { return !e.dir }
func isDirEnt(e *mEnt) bool    { return e.dir }
func isAnyEnt(e *mEnt) bool    { return true }
func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// step runs one random operation on the library and the model.
func (s *writeState) step(t *rapid.T) {
	c, m := s.c, s.m
	switch rapid.IntRange(0, 17).Draw(t, "op") {
	case 16: // chown, with 32-bit ids (the model leaves owners to the kernel's readback)
		ps := append(s.paths(isAnyEnt), "")
		p := rapid.SampledFrom(ps).Draw(t, "chownPath")
		id := rapid.SampledFrom([]uint32{0, 1000, 70000, 1 << 31}).Draw(t, "id")
		require.NoError(t, c.Lchown(s.abs(p), id, id+1))
	case 17: // utimes, before 1970 and past 2038 (checked by the kernel's readback)
		ps := append(s.paths(func(e *mEnt) bool { return e.target == "" }), "")
		p := rapid.SampledFrom(ps).Draw(t, "utimesPath")
		sec := rapid.SampledFrom([]int64{-1000, 0, 1700000000, 4102444800, 16000000000}).Draw(t, "sec")
		ts := vfs.Timespec{Sec: sec, Nsec: int64(rapid.IntRange(0, 999999999).Draw(t, "nsec"))}
		require.NoError(t, c.Utimes(s.abs(p), ts, ts))
	case 15: // RENAME_EXCHANGE
		ps := s.paths(isAnyEnt)
		if len(ps) < 2 {
			return
		}
		a := rapid.SampledFrom(ps).Draw(t, "xa")
		b := rapid.SampledFrom(ps).Draw(t, "xb")
		if under(a, b) || under(b, a) {
			return
		}
		require.NoError(t, c.Renameat2(s.abs(a), s.abs(b), vfs.RENAME_EXCHANGE), "exchange %s %s", a, b)
		moved := map[string]*mEnt{}
		for p, e := range m.ents {
			switch {
			case under(p, a):
				moved[b+strings.TrimPrefix(p, a)] = e
				delete(m.ents, p)
			case under(p, b):
				moved[a+strings.TrimPrefix(p, b)] = e
				delete(m.ents, p)
			}
		}
		for p, e := range moved {
			m.ents[p] = e
		}
	case 0, 1: // write (creating)
		p := s.newPath(t)
		e := m.ents[p]
		if e != nil && e.file == nil {
			return
		}
		f, err := c.Open(s.abs(p), vfs.O_WRONLY|vfs.O_CREAT, 0o640)
		require.NoError(t, err, "open %s", p)
		if e == nil {
			e = &mEnt{file: &mFile{mode: 0o640 &^ 0o022}}
			m.ents[p] = e
		}
		b := s.data(t)
		off := s.offset(t, len(e.file.data))
		n, err := f.WriteAt(b, int64(off))
		require.NoError(t, err, "write %s", p)
		require.Equal(t, len(b), n)
		require.NoError(t, f.Close())
		if len(b) > 0 {
			writeModel(e.file, b, off)
		}
	case 2: // truncate
		ps := s.paths(isFile)
		if len(ps) == 0 {
			return
		}
		p := rapid.SampledFrom(ps).Draw(t, "file")
		f := m.ents[p].file
		size := rapid.IntRange(0, len(f.data)+2*s.bs).Draw(t, "size")
		require.NoError(t, c.Truncate(s.abs(p), int64(size)), "truncate %s", p)
		if size < len(f.data) {
			f.data = f.data[:size]
		} else {
			f.data = append(f.data, make([]byte, size-len(f.data))...)
		}
	case 3: // unlink
		ps := s.paths(isNonDir)
		if len(ps) == 0 {
			return
		}
		p := rapid.SampledFrom(ps).Draw(t, "victim")
		require.NoError(t, c.Unlink(s.abs(p)), "unlink %s", p)
		delete(m.ents, p)
	case 4: // mkdir
		p := s.newPath(t)
		if m.ents[p] != nil || strings.Count(p, "/") > 3 {
			return
		}
		require.NoError(t, c.Mkdir(s.abs(p), 0o755), "mkdir %s", p)
		m.ents[p] = &mEnt{dir: true, mode: 0o755}
	case 5: // rmdir
		ps := s.paths(isDirEnt)
		if len(ps) == 0 {
			return
		}
		p := rapid.SampledFrom(ps).Draw(t, "dir")
		if len(m.children(p)) > 0 {
			require.Equal(t, vfs.ENOTEMPTY, c.Rmdir(s.abs(p)))
			return
		}
		require.NoError(t, c.Rmdir(s.abs(p)), "rmdir %s", p)
		delete(m.ents, p)
	case 6, 7: // rename
		ps := s.paths(isAnyEnt)
		if len(ps) == 0 {
			return
		}
		src := rapid.SampledFrom(ps).Draw(t, "src")
		dst := s.newPath(t)
		se, de := m.ents[src], m.ents[dst]
		if dst == src || se.dir && under(dst, src) {
			return
		}
		if de != nil {
			if se.dir != de.dir || de.dir && len(m.children(dst)) > 0 || under(src, dst) {
				return
			}
			if de.file != nil && de.file == se.file {
				// Two links of one file: rename does nothing.
				require.NoError(t, c.Rename(s.abs(src), s.abs(dst)))
				return
			}
		}
		require.NoError(t, c.Rename(s.abs(src), s.abs(dst)), "rename %s %s", src, dst)
		moved := map[string]*mEnt{}
		for p, e := range m.ents {
			if under(p, src) {
				moved[dst+strings.TrimPrefix(p, src)] = e
				delete(m.ents, p)
			}
		}
		delete(m.ents, dst)
		for p, e := range moved {
			m.ents[p] = e
		}
	case 8: // link
		ps := s.paths(isFile)
		if len(ps) == 0 {
			return
		}
		src := rapid.SampledFrom(ps).Draw(t, "src")
		dst := s.newPath(t)
		if m.ents[dst] != nil {
			return
		}
		require.NoError(t, c.Link(s.abs(src), s.abs(dst)), "link %s %s", src, dst)
		m.ents[dst] = &mEnt{file: m.ents[src].file}
	case 9: // symlink
		dst := s.newPath(t)
		if m.ents[dst] != nil {
			return
		}
		tg := strings.Repeat("t", rapid.SampledFrom([]int{1, 59, 60, 300, s.bs - 1}).Draw(t, "targetLen"))
		require.NoError(t, c.Symlink(tg, s.abs(dst)), "symlink %s", dst)
		m.ents[dst] = &mEnt{target: tg}
	case 10: // chmod
		ps := s.paths(isFile)
		if len(ps) == 0 {
			return
		}
		p := rapid.SampledFrom(ps).Draw(t, "file")
		mode := uint32(rapid.IntRange(0, 0o777).Draw(t, "mode"))
		require.NoError(t, c.Chmod(s.abs(p), mode))
		m.ents[p].file.mode = mode
	case 11: // an open file unlinked and written, closed later
		if s.open != nil {
			require.NoError(t, s.open.Close())
			s.open = nil
			return
		}
		ps := s.paths(isFile)
		if len(ps) == 0 {
			return
		}
		p := rapid.SampledFrom(ps).Draw(t, "file")
		f, err := c.Open(s.abs(p), vfs.O_RDWR, 0)
		require.NoError(t, err)
		fe := m.ents[p].file
		require.NoError(t, c.Unlink(s.abs(p)))
		delete(m.ents, p)
		b := s.data(t)
		_, err = f.WriteAt(b, 0)
		require.NoError(t, err)
		writeModel(fe, b, 0)
		s.open, s.openFile = f, fe
	case 14: // many names at once in one directory: leaf and index splits
		d := rapid.SampledFrom(s.dirs()).Draw(t, "bulkDir")
		n := rapid.IntRange(1, 150).Draw(t, "bulkN")
		base := rapid.IntRange(0, 3).Draw(t, "bulkBase")
		for i := range n {
			p := join(d, fmt.Sprintf("bulk-%d-%s", (base*37+i*13)%200, strings.Repeat("z", i%23)))
			if e := m.ents[p]; e != nil {
				if e.file != nil {
					require.NoError(t, c.Unlink(s.abs(p)), "unlink %s", p)
					delete(m.ents, p)
				}
				continue
			}
			f, err := c.Open(s.abs(p), vfs.O_WRONLY|vfs.O_CREAT|vfs.O_EXCL, 0o600)
			require.NoError(t, err, "create %s", p)
			require.NoError(t, f.Close())
			m.ents[p] = &mEnt{file: &mFile{mode: 0o600}}
		}
	case 12: // setxattr
		ps := s.paths(func(e *mEnt) bool { return e.target == "" })
		ps = append(ps, "")
		p := rapid.SampledFrom(ps).Draw(t, "xattrPath")
		key := "user." + rapid.SampledFrom([]string{"a", "bb", "a-long-attribute-name"}).Draw(t, "key")
		v := strings.Repeat(rapid.SampledFrom([]string{"v", "w"}).Draw(t, "ch"), rapid.SampledFrom([]int{0, 1, 30, 100, s.bs / 3}).Draw(t, "vlen"))
		in := s.inode(t, p)
		err := in.Setxattr(key, []byte(v), 0)
		if err == vfs.ENOSPC {
			return // the inode body and the block are full
		}
		require.NoError(t, err, "setxattr %s %s", p, key)
		m.ents[p].xattrMap()[key] = v
	case 13: // removexattr
		ps := s.paths(func(e *mEnt) bool { return e.target == "" })
		ps = append(ps, "")
		p := rapid.SampledFrom(ps).Draw(t, "xattrPath")
		xm := m.ents[p].xattrMap()
		var keys []string
		for k := range xm {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		in := s.inode(t, p)
		if len(keys) == 0 {
			require.Equal(t, vfs.ENODATA, in.Removexattr("user.a"))
			return
		}
		k := rapid.SampledFrom(keys).Draw(t, "rmkey")
		require.NoError(t, in.Removexattr(k))
		delete(xm, k)
	}
}

func (s *writeState) inode(t *rapid.T, p string) vfs.Inode {
	loc, err := s.c.Resolve(s.abs(p), false)
	require.NoError(t, err)
	return loc.Dentry.Inode()
}

// TestWriteRapid runs random sequences of changes through a read-write
// library mount of ext4, ext3 and ext2 images of 1 KiB and 4 KiB
// blocks, with and without an htree directory, and then requires e2fsck -fn to pass and the image,
// read back, to hold what the model says. As root, some of the images
// are also mounted by the kernel, whose walk must equal the library's.
func TestWriteRapid(t *testing.T) {
	needTools(t, "mkfs.ext4", "e2fsck")
	if f := flag.Lookup("rapid.checks"); raceEnabled && f != nil && f.Value.String() == f.DefValue {
		// 100 runs take minutes under the race detector; the
		// concurrency the detector watches is in TestWriteConcurrent.
		require.NoError(t, f.Value.Set("25"))
		defer f.Value.Set(f.DefValue)
	}
	var kernelImgs []string
	dir := t.TempDir()
	iter := 0
	rapid.Check(t, func(rt *rapid.T) {
		kind := rapid.SampledFrom([]string{"ext4", "ext4", "ext2", "ext3"}).Draw(rt, "kind")
		bs := rapid.SampledFrom([]int{1024, 4096}).Draw(rt, "bs")
		htree := rapid.Bool().Draw(rt, "htree")
		c := libBoot(t, templateImage(t, kind, bs, htree))
		defer c.Close()
		s := &writeState{c: c, m: modelOf(t, c), bs: bs}
		for range rapid.IntRange(1, 60).Draw(rt, "steps") {
			s.step(rt)
		}
		if s.open != nil {
			require.NoError(rt, s.open.Close())
		}
		loc, err := c.Resolve("/mnt", true)
		require.NoError(rt, err)
		rwStatfs, err := loc.Dentry.Superblock().Filesystem().Statfs()
		require.NoError(rt, err)
		require.NoError(rt, c.Umount2("/mnt", 0))
		img := filepath.Join(dir, fmt.Sprintf("img%d", iter))
		iter++
		require.NoError(rt, os.WriteFile(img, libImage(t, c), 0o644))
		fsck(rt, img)
		// Read back with a fresh read-only library mount.
		require.NoError(rt, c.Mount("/loop0", "/mnt", "ext4", mount.MS_RDONLY, ""))
		got, err := walk(libWalker{c})
		require.NoError(rt, err)
		require.Equal(rt, s.m.lines(), reduceWalk(got))
		loc, err = c.Resolve("/mnt", true)
		require.NoError(rt, err)
		roStatfs, err := loc.Dentry.Superblock().Filesystem().Statfs()
		require.NoError(rt, err)
		require.Equal(rt, roStatfs, rwStatfs, "statfs of the read-write mount, and read back")
		// Some images spread over the run (rapid's first ones are small)
		// go to the kernel too.
		if iter%16 == 5 && len(kernelImgs) < 6 && (!raceEnabled || len(kernelImgs) < 3) {
			kernelImgs = append(kernelImgs, img)
		}
	})
	if !isRoot() {
		t.Log("not root: kernel readback skipped")
		return
	}
	t.Logf("%d images read back by the kernel", len(kernelImgs))
	for _, img := range kernelImgs {
		kernelAgrees(t, img)
	}
}
