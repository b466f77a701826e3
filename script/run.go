package script

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mountkit/mountkit/vfs"
)

// Run runs p in sys and writes its output to w. It starts the world with
// sys.Init and ends it with sys.Close, whatever happens in between. The
// error is nil when every command ran (an errno is output, not an error);
// otherwise it is the first failure of sys, of w or of a host file.
func Run(p *Program, sys System, w io.Writer) error {
	in, err := NewInterp(sys, p.Name, p.Dir, w)
	if err != nil {
		return err
	}
	for i := range p.Commands {
		if err = in.Exec(&p.Commands[i]); err != nil {
			break
		}
	}
	if cerr := in.Close(); err == nil {
		err = cerr
	}
	return err
}

// An Interp runs validated commands one at a time in a System, keeping the
// names of processes and of their open files between commands. Run uses
// one for a whole program; the interactive shell feeds it line by line.
// An Interp is not safe for concurrent use.
type Interp struct {
	sys   System
	name  string // script name, for messages
	dir   string // folder of host files
	w     io.Writer
	procs map[string]*proc
	cur   *proc // nil when the current process was killed
	buf   bytes.Buffer
}

// proc is a named process of the script and its named open files.
type proc struct {
	name string
	p    Proc
	fds  map[string]Handle
}

// NewInterp starts the world of sys (sys.Init) as process "init". Host
// files of image and export are taken relative to dir; name is used in
// error messages.
func NewInterp(sys System, name, dir string, w io.Writer) (*Interp, error) {
	p, err := sys.Init()
	if err != nil {
		sys.Close()
		return nil, fmt.Errorf("%s: starting the world: %w", name, err)
	}
	init := &proc{name: "init", p: p, fds: map[string]Handle{}}
	return &Interp{
		sys:   sys,
		name:  name,
		dir:   dir,
		w:     w,
		procs: map[string]*proc{"init": init},
		cur:   init,
	}, nil
}

// SetOutput makes the following commands print to w.
func (in *Interp) SetOutput(w io.Writer) { in.w = w }

// Close ends the world (sys.Close).
func (in *Interp) Close() error {
	if in.sys == nil {
		return nil
	}
	err := in.sys.Close()
	in.sys = nil
	if err != nil {
		return fmt.Errorf("%s: closing the world: %w", in.name, err)
	}
	return nil
}

// Exec runs one validated command and writes its output lines. Errno
// results are output; the error is non-nil only when the System fails
// with something else, when a host file cannot be read or written, or
// when writing the output fails.
func (in *Interp) Exec(c *Command) error {
	in.buf.Reset()
	err := in.exec(c)
	if err == nil {
		_, err = in.w.Write(in.buf.Bytes())
		return err
	}
	if e, ok := err.(vfs.Errno); ok {
		in.println(c, e.Name())
		_, err = in.w.Write(in.buf.Bytes())
		return err
	}
	return fmt.Errorf("%s:%d: %s: %w", in.name, c.Line, c.Name, err)
}

func (in *Interp) println(c *Command, s string) {
	in.buf.WriteString(strconv.Itoa(c.Line))
	in.buf.WriteString(": ")
	in.buf.WriteString(s)
	in.buf.WriteByte('\n')
}

// exec runs c; a vfs.Errno it returns is printed as the command's result.
func (in *Interp) exec(c *Command) error {
	a := c.Args
	switch c.Name {
	case "as":
		p, ok := in.procs[a[0].Text]
		if !ok {
			return vfs.ESRCH
		}
		in.cur = p
		in.println(c, "ok")
		return nil
	case "kill":
		p, ok := in.procs[a[0].Text]
		if !ok {
			return vfs.ESRCH
		}
		delete(in.procs, p.name)
		if in.cur == p {
			in.cur = nil
		}
		if err := p.p.Exit(); err != nil {
			return err
		}
		in.println(c, "ok")
		return nil
	}
	if in.cur == nil {
		return vfs.ESRCH
	}
	cur := in.cur
	p := cur.p
	// path returns argument i as a path; NULL is EFAULT.
	path := func(i int) (string, error) {
		if a[i].IsNull() {
			return "", vfs.EFAULT
		}
		return a[i].Text, nil
	}
	path1 := func() (string, error) { return path(0) }
	path2 := func() (string, string, error) {
		x, err := path(0)
		if err != nil {
			return "", "", err
		}
		y, err := path(1)
		return x, y, err
	}
	ok := func(err error) error {
		if err == nil {
			in.println(c, "ok")
		}
		return err
	}

	switch c.Name {
	case "fork":
		name := a[0].Text
		if _, dup := in.procs[name]; dup {
			return vfs.EEXIST
		}
		np, err := p.Fork()
		if err != nil {
			return err
		}
		in.procs[name] = &proc{name: name, p: np, fds: map[string]Handle{}}
		return ok(nil)
	case "unshare":
		return ok(p.Unshare())
	case "setcred":
		uid, _ := parseUint32(a[0].Text)
		gid, _ := parseUint32(a[1].Text)
		var caps uint64
		if len(a) > 2 {
			caps, _ = parseFlags(a[2].Text, capFlags)
		}
		return ok(p.Setcred(uid, gid, vfs.CapSet(caps)))
	case "chdir", "chroot", "rmdir", "unlink", "cat", "ls", "stat", "lstat", "readlink":
		name, err := path1()
		if err != nil {
			return err
		}
		return in.onePath(c, p, name)
	case "getcwd":
		s, err := p.Getcwd()
		if err != nil {
			return err
		}
		in.println(c, s)
		return nil
	case "open":
		name, err := path(1)
		if err != nil {
			return err
		}
		flags, _ := parseFlags(a[2].Text, openFlags)
		mode := uint32(0o644)
		if len(a) > 3 {
			mode, _ = parseMode(a[3].Text)
		}
		h, err := p.Open(name, int(flags), mode)
		if err != nil {
			return err
		}
		cur.fds[a[0].Text] = h
		return ok(nil)
	case "close", "fchdir":
		h, found := cur.fds[a[0].Text]
		if !found {
			return vfs.EBADF
		}
		if c.Name == "fchdir" {
			return ok(p.Fchdir(h))
		}
		delete(cur.fds, a[0].Text)
		return ok(p.Close(h))
	case "mkdir":
		name, err := path1()
		if err != nil {
			return err
		}
		mode := uint32(0o755)
		if len(a) > 1 {
			mode, _ = parseMode(a[1].Text)
		}
		return ok(p.Mkdir(name, mode))
	case "rename", "symlink", "link":
		x, y, err := path2()
		if err != nil {
			return err
		}
		switch c.Name {
		case "rename":
			err = p.Rename(x, y)
		case "symlink":
			err = p.Symlink(x, y)
		default:
			err = p.Link(x, y)
		}
		return ok(err)
	case "mknod":
		name, err := path1()
		if err != nil {
			return err
		}
		typ, _ := parseNodeType(a[1].Text)
		major, _ := parseUint32(a[2].Text)
		minor, _ := parseUint32(a[3].Text)
		return ok(p.Mknod(name, typ|0o644, mkdev(major, minor)))
	case "write", "append":
		name, err := path(0)
		if err != nil {
			return err
		}
		if a[1].IsNull() {
			return vfs.EFAULT
		}
		return ok(p.WriteFile(name, []byte(a[1].Text), c.Name == "append"))
	case "truncate":
		name, err := path1()
		if err != nil {
			return err
		}
		n, _ := strconv.ParseInt(a[1].Text, 10, 64)
		return ok(p.Truncate(name, n))
	case "chmod":
		name, err := path1()
		if err != nil {
			return err
		}
		mode, _ := parseMode(a[1].Text)
		return ok(p.Chmod(name, mode))
	case "image":
		name, err := path1()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(in.hostPath(a[1].Text))
		if err != nil {
			return fmt.Errorf("image: %w", err)
		}
		return ok(p.Image(name, data))
	case "export":
		name, err := path1()
		if err != nil {
			return err
		}
		data, err := p.Export(name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(in.hostPath(a[1].Text), data, 0o644); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		return ok(nil)
	case "losetup":
		x, y, err := path2()
		if err != nil {
			return err
		}
		return ok(p.Losetup(x, y))
	case "mount":
		flags, _ := parseFlags(a[3].Text, msFlags)
		data := Str{Null: true}
		if len(a) > 4 {
			data = str(a[4])
		}
		return ok(p.Mount(str(a[0]), str(a[1]), str(a[2]), flags, data))
	case "umount2":
		name, err := path1()
		if err != nil {
			return err
		}
		flags, _ := parseFlags(a[1].Text, umountFlags)
		return ok(p.Umount2(name, int(flags)))
	case "pivot_root":
		return ok(p.PivotRoot(str(a[0]), str(a[1])))
	case "mountinfo":
		lines, err := p.MountInfo()
		if err != nil {
			return err
		}
		if len(lines) == 0 {
			in.println(c, "(empty)")
		}
		for _, l := range lines {
			in.println(c, l)
		}
		return nil
	}
	return fmt.Errorf("unknown command %q", c.Name)
}

// onePath runs the commands whose only argument is a path.
func (in *Interp) onePath(c *Command, p Proc, name string) error {
	switch c.Name {
	case "chdir":
		return errOK(in, c, p.Chdir(name))
	case "chroot":
		return errOK(in, c, p.Chroot(name))
	case "rmdir":
		return errOK(in, c, p.Rmdir(name))
	case "unlink":
		return errOK(in, c, p.Unlink(name))
	case "cat":
		data, err := p.ReadFile(name)
		if err != nil {
			return err
		}
		in.println(c, Quote(string(data)))
	case "ls":
		ents, err := p.ReadDir(name)
		if err != nil {
			return err
		}
		in.println(c, FormatDir(ents))
	case "stat", "lstat":
		var st Stat
		var err error
		if c.Name == "stat" {
			st, err = p.Stat(name)
		} else {
			st, err = p.Lstat(name)
		}
		if err != nil {
			return err
		}
		in.println(c, FormatStat(st))
	case "readlink":
		s, err := p.Readlink(name)
		if err != nil {
			return err
		}
		in.println(c, Quote(s))
	}
	return nil
}

func errOK(in *Interp, c *Command, err error) error {
	if err == nil {
		in.println(c, "ok")
	}
	return err
}

func (in *Interp) hostPath(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(in.dir, name)
}

func str(t Token) Str {
	if t.IsNull() {
		return Str{Null: true}
	}
	return Str{S: t.Text}
}

// Quote writes s in double quotes as the cat command prints file contents:
// \\, \", \n and \t escaped, and every other byte below 0x20 or from 0x7f
// up as \xHH with lower-case hex digits.
func Quote(s string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '"':
			b = append(b, `\"`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c < 0x20 || c >= 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return string(append(b, '"'))
}

// FormatDir formats directory entries as the ls command prints them.
func FormatDir(ents []DirEntry) string {
	if len(ents) == 0 {
		return "(empty)"
	}
	ents = slices.Clone(ents)
	slices.SortFunc(ents, func(x, y DirEntry) int { return strings.Compare(x.Name, y.Name) })
	var b strings.Builder
	for i, e := range ents {
		if i > 0 {
			b.WriteByte(' ')
		}
		name := e.Name
		if needsQuote(name) {
			name = Quote(name)
		}
		b.WriteString(name)
		switch e.Type.Type() {
		case vfs.ModeDir:
			b.WriteByte('/')
		case vfs.ModeSymlink:
			b.WriteByte('@')
		case vfs.ModeFIFO:
			b.WriteByte('|')
		case vfs.ModeCharDevice, vfs.ModeBlockDevice:
			b.WriteByte('%')
		}
	}
	return b.String()
}

func needsQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}

// FormatStat formats st as the stat and lstat commands print it.
func FormatStat(st Stat) string {
	var t string
	switch st.Mode.Type() {
	case vfs.ModeRegular:
		t = "reg"
	case vfs.ModeDir:
		t = "dir"
	case vfs.ModeSymlink:
		t = "lnk"
	case vfs.ModeCharDevice:
		t = "chr"
	case vfs.ModeBlockDevice:
		t = "blk"
	case vfs.ModeFIFO:
		t = "fifo"
	case vfs.ModeSocket:
		t = "sock"
	default:
		t = fmt.Sprintf("0%o", uint32(st.Mode.Type()))
	}
	s := fmt.Sprintf("type=%s mode=%04o", t, uint32(st.Mode.Perm()))
	switch st.Mode.Type() {
	case vfs.ModeRegular:
		s += fmt.Sprintf(" nlink=%d size=%d", st.Nlink, st.Size)
	case vfs.ModeSymlink:
		s += fmt.Sprintf(" size=%d", st.Size)
	}
	return s
}
