package script

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A Token is one argument of a command. Quoted tokens were written in
// double quotes, with their escapes already decoded in Text. The unquoted
// token "-" is a NULL pointer (see IsNull); the quoted "-" is not.
type Token struct {
	Text   string
	Quoted bool
}

// String returns t as a script writes it: quoted (as Quote does) when it
// was quoted or would not read back as itself unquoted.
func (t Token) String() string {
	if t.Quoted || t.Text == "" || needsQuote(t.Text) {
		return Quote(t.Text)
	}
	return t.Text
}

// String returns c as one line of a script, without its line number.
func (c Command) String() string {
	var b strings.Builder
	b.WriteString(c.Name)
	for _, t := range c.Args {
		b.WriteByte(' ')
		b.WriteString(t.String())
	}
	return b.String()
}

// IsNull reports whether t is the NULL pointer, written as an unquoted -.
func (t Token) IsNull() bool { return !t.Quoted && t.Text == "-" }

// A Command is one line of a script.
type Command struct {
	Line int // 1-based line number in the script
	Name string
	Args []Token
}

// A Program is a parsed script whose commands have all been validated.
type Program struct {
	Name     string // the file name, used in messages
	Dir      string // the folder against which image and export resolve host files
	Commands []Command
}

// A SyntaxError reports a malformed script: an unknown command, a wrong
// number of arguments or an argument that does not parse.
type SyntaxError struct {
	Name string // file name
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg)
}

// Parse parses and validates a script. Dir of the result is the folder of
// name. The error, if any, is a *SyntaxError.
func Parse(name string, src []byte) (*Program, error) {
	p := &Program{Name: name, Dir: filepath.Dir(name)}
	line := 0
	for len(src) > 0 {
		line++
		var text []byte
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			text, src = src[:i], src[i+1:]
		} else {
			text, src = src, nil
		}
		c, err := ParseLine(name, line, string(text))
		if err != nil {
			return nil, err
		}
		if c != nil {
			p.Commands = append(p.Commands, *c)
		}
	}
	return p, nil
}

// ParseLine parses and validates the single line numbered line of the
// script name. It returns nil, nil for a blank line or a comment.
func ParseLine(name string, line int, text string) (*Command, error) {
	fail := func(format string, args ...any) error {
		return &SyntaxError{Name: name, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	text = strings.TrimSuffix(text, "\r")
	if !utf8.ValidString(text) {
		return nil, fail("invalid UTF-8")
	}
	if strings.IndexByte(text, 0) >= 0 {
		return nil, fail("NUL byte in line")
	}
	toks, err := lex(text)
	if err != nil {
		return nil, fail("%s", err)
	}
	if len(toks) == 0 {
		return nil, nil
	}
	if toks[0].Quoted {
		return nil, fail("command name must not be quoted")
	}
	c := &Command{Line: line, Name: toks[0].Text, Args: toks[1:]}
	if err := validate(c); err != nil {
		return nil, fail("%s: %s", c.Name, err)
	}
	return c, nil
}

// lex splits a line into tokens. It returns no tokens for a blank line or
// a comment.
func lex(s string) ([]Token, error) {
	var toks []Token
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i == len(s) {
			return toks, nil
		}
		if len(toks) == 0 && s[i] == '#' {
			return nil, nil
		}
		if s[i] != '"' {
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' {
				if s[j] == '"' {
					return nil, fmt.Errorf("unexpected quote inside token %q", s[i:])
				}
				j++
			}
			toks = append(toks, Token{Text: s[i:j]})
			i = j
			continue
		}
		var b strings.Builder
		i++
		for {
			if i == len(s) {
				return nil, fmt.Errorf("unterminated quoted string")
			}
			c := s[i]
			if c == '"' {
				i++
				break
			}
			if c != '\\' {
				b.WriteByte(c)
				i++
				continue
			}
			if i+1 == len(s) {
				return nil, fmt.Errorf("unterminated quoted string")
			}
			switch s[i+1] {
			case '\\':
				b.WriteByte('\\')
			case '"':
				b.WriteByte('"')
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'x':
				if i+4 > len(s) {
					return nil, fmt.Errorf(`\x needs two hex digits`)
				}
				v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
				if err != nil {
					return nil, fmt.Errorf(`\x needs two hex digits`)
				}
				if v == 0 {
					return nil, fmt.Errorf(`\x00: NUL byte in string`)
				}
				b.WriteByte(byte(v))
				i += 2
			default:
				return nil, fmt.Errorf(`unknown escape \%c`, s[i+1])
			}
			i += 2
		}
		if i < len(s) && s[i] != ' ' && s[i] != '\t' {
			return nil, fmt.Errorf("missing space after quoted string")
		}
		toks = append(toks, Token{Text: b.String(), Quoted: true})
	}
}

// argKind is the syntax of one command argument.
type argKind int

const (
	argName        argKind = iota // a process name
	argFD                         // a file-descriptor name
	argPath                       // a path; NULL is EFAULT at run time
	argStr                        // a string that may be NULL (mount, pivot_root)
	argData                       // file data; NULL is EFAULT at run time
	argHost                       // a host file name relative to Program.Dir
	argMSFlags                    // MS_* names or a number
	argUmountFlags                // MNT_* / UMOUNT_NOFOLLOW names or a number
	argOpenFlags                  // O_* names or a number
	argMode                       // octal
	argUint                       // unsigned 32-bit number
	argInt                        // signed 64-bit number
	argCaps                       // CAP_* names or a number
	argNodeType                   // c, b or p
)

type cmdSpec struct {
	args     []argKind
	optional int // how many trailing args may be left out
}

var commands = map[string]cmdSpec{
	"fork":     {args: []argKind{argName}},
	"as":       {args: []argKind{argName}},
	"unshare":  {},
	"kill":     {args: []argKind{argName}},
	"setcred":  {args: []argKind{argUint, argUint, argCaps}, optional: 1},
	"chdir":    {args: []argKind{argPath}},
	"chroot":   {args: []argKind{argPath}},
	"getcwd":   {},
	"open":     {args: []argKind{argFD, argPath, argOpenFlags, argMode}, optional: 1},
	"close":    {args: []argKind{argFD}},
	"fchdir":   {args: []argKind{argFD}},
	"mkdir":    {args: []argKind{argPath, argMode}, optional: 1},
	"rmdir":    {args: []argKind{argPath}},
	"unlink":   {args: []argKind{argPath}},
	"rename":   {args: []argKind{argPath, argPath}},
	"symlink":  {args: []argKind{argPath, argPath}},
	"link":     {args: []argKind{argPath, argPath}},
	"mknod":    {args: []argKind{argPath, argNodeType, argUint, argUint}},
	"write":    {args: []argKind{argPath, argData}},
	"append":   {args: []argKind{argPath, argData}},
	"truncate": {args: []argKind{argPath, argInt}},
	"chmod":    {args: []argKind{argPath, argMode}},
	"cat":      {args: []argKind{argPath}},
	"ls":       {args: []argKind{argPath}},
	"stat":     {args: []argKind{argPath}},
	"lstat":    {args: []argKind{argPath}},
	"readlink": {args: []argKind{argPath}},
	"image":    {args: []argKind{argPath, argHost}},
	"export":   {args: []argKind{argPath, argHost}},
	"losetup":  {args: []argKind{argPath, argPath}},
	"mount":    {args: []argKind{argStr, argStr, argStr, argMSFlags, argStr}, optional: 1},
	"umount2":  {args: []argKind{argPath, argUmountFlags}},
	"pivot_root": {
		args: []argKind{argStr, argStr},
	},
	"mountinfo": {},
}

// validate checks the arity and the syntax of every argument of c.
func validate(c *Command) error {
	spec, ok := commands[c.Name]
	if !ok {
		return fmt.Errorf("unknown command")
	}
	max := len(spec.args)
	min := max - spec.optional
	if n := len(c.Args); n < min || n > max {
		if min == max {
			return fmt.Errorf("want %d arguments, have %d", max, n)
		}
		return fmt.Errorf("want %d to %d arguments, have %d", min, max, n)
	}
	for i, t := range c.Args {
		if err := checkArg(spec.args[i], t); err != nil {
			return fmt.Errorf("argument %d: %v", i+1, err)
		}
	}
	return nil
}

func checkArg(k argKind, t Token) error {
	switch k {
	case argPath, argStr, argData:
		return nil
	case argName, argFD, argHost:
		if t.IsNull() || t.Text == "" {
			return fmt.Errorf("a name is required, not %q", t.Text)
		}
		return nil
	}
	if t.IsNull() {
		return fmt.Errorf("NULL (-) is not a number")
	}
	var err error
	switch k {
	case argMSFlags:
		_, err = parseFlags(t.Text, msFlags)
	case argUmountFlags:
		_, err = parseFlags(t.Text, umountFlags)
	case argOpenFlags:
		_, err = parseFlags(t.Text, openFlags)
	case argCaps:
		_, err = parseFlags(t.Text, capFlags)
	case argMode:
		_, err = parseMode(t.Text)
	case argUint:
		_, err = parseUint32(t.Text)
	case argInt:
		_, err = strconv.ParseInt(t.Text, 10, 64)
		if err != nil {
			err = fmt.Errorf("bad integer %q", t.Text)
		}
	case argNodeType:
		_, err = parseNodeType(t.Text)
	}
	return err
}

// parseNumber parses a decimal or 0x-hexadecimal unsigned number.
func parseNumber(s string, bits int) (uint64, error) {
	var v uint64
	var err error
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		v, err = strconv.ParseUint(h, 16, bits)
	} else if s != "" && s[0] >= '0' && s[0] <= '9' {
		v, err = strconv.ParseUint(s, 10, bits)
	} else {
		err = strconv.ErrSyntax
	}
	if err != nil {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return v, nil
}

func parseUint32(s string) (uint32, error) {
	v, err := parseNumber(s, 32)
	return uint32(v), err
}

// parseMode parses an octal mode such as 0755.
func parseMode(s string) (uint32, error) {
	if s == "" || s[0] < '0' || s[0] > '7' {
		return 0, fmt.Errorf("bad octal mode %q", s)
	}
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil {
		return 0, fmt.Errorf("bad octal mode %q", s)
	}
	return uint32(v), nil
}

// parseFlags parses names from table joined by |; each part may also be a
// number.
func parseFlags(s string, table map[string]uint64) (uint64, error) {
	var v uint64
	for part := range strings.SplitSeq(s, "|") {
		if f, ok := table[part]; ok {
			v |= f
			continue
		}
		n, err := parseNumber(part, 64)
		if err != nil {
			return 0, fmt.Errorf("unknown flag %q", part)
		}
		v |= n
	}
	return v, nil
}

func parseNodeType(s string) (uint32, error) {
	switch s {
	case "c":
		return sIFCHR, nil
	case "b":
		return sIFBLK, nil
	case "p":
		return sIFIFO, nil
	}
	return 0, fmt.Errorf("node type must be c, b or p, not %q", s)
}
