package script

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLex(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Token
	}{
		{"", nil},
		{"   \t ", nil},
		{"# comment", nil},
		{"  # indented comment", nil},
		{"a b\tc", []Token{{Text: "a"}, {Text: "b"}, {Text: "c"}}},
		{"a#b", []Token{{Text: "a#b"}}},
		{"x # not a comment", []Token{{Text: "x"}, {Text: "#"}, {Text: "not"}, {Text: "a"}, {Text: "comment"}}},
		{`""`, []Token{{Text: "", Quoted: true}}},
		{`"-" -`, []Token{{Text: "-", Quoted: true}, {Text: "-"}}},
		{`"a b"`, []Token{{Text: "a b", Quoted: true}}},
		{`"\\ \" \n \t \x41\xff"`, []Token{{Text: "\\ \" \n \t A\xff", Quoted: true}}},
		{`a\b`, []Token{{Text: `a\b`}}},
		{"é", []Token{{Text: "é"}}},
	} {
		got, err := lex(tc.in)
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func TestLexErrors(t *testing.T) {
	for _, in := range []string{
		`"abc`, `"abc\`, `"\q"`, `"\x4"`, `"\xzz"`, `"\x00"`, `"a"b`, `a"b"`,
	} {
		_, err := lex(in)
		require.Error(t, err, in)
	}
}

func TestParse(t *testing.T) {
	src := "# demo\n\nmkdir /a 0700\r\nmount none /a tmpfs MS_NOSUID|MS_NODEV \"size=1m\"\n  umount2 - MNT_DETACH|0x8\nsetcred 1000 0x3e8 CAP_SYS_ADMIN|CAP_CHOWN\nmknod /p p 0 0\n"
	p, err := Parse("dir/x.mnt", []byte(src))
	require.NoError(t, err)
	require.Equal(t, "dir", p.Dir)
	require.Equal(t, "dir/x.mnt", p.Name)
	require.Len(t, p.Commands, 5)
	require.Equal(t, Command{Line: 3, Name: "mkdir", Args: []Token{{Text: "/a"}, {Text: "0700"}}}, p.Commands[0])
	require.Equal(t, 4, p.Commands[1].Line)
	require.Equal(t, Token{Text: "size=1m", Quoted: true}, p.Commands[1].Args[4])
	require.True(t, p.Commands[2].Args[0].IsNull())
	require.Equal(t, 7, p.Commands[4].Line)
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, msg string }{
		{"frobnicate", "x.mnt:1: frobnicate: unknown command"},
		{"\n\nmkdir", "x.mnt:3: mkdir: want 1 to 2 arguments, have 0"},
		{"getcwd x", "x.mnt:1: getcwd: want 0 arguments, have 1"},
		{"mount a b c MS_BOGUS", `x.mnt:1: mount: argument 4: unknown flag "MS_BOGUS"`},
		{"mount a b c MS_BIND|", `x.mnt:1: mount: argument 4: unknown flag ""`},
		{"umount2 /a MS_BIND", `x.mnt:1: umount2: argument 2: unknown flag "MS_BIND"`},
		{"open f /a O_CREAT|MNT_DETACH", `x.mnt:1: open: argument 3: unknown flag "MNT_DETACH"`},
		{"mkdir /a 0789", `x.mnt:1: mkdir: argument 2: bad octal mode "0789"`},
		{"mkdir /a -", `x.mnt:1: mkdir: argument 2: NULL (-) is not a number`},
		{"setcred 1 2 CAP_NOPE", `x.mnt:1: setcred: argument 3: unknown flag "CAP_NOPE"`},
		{"setcred -1 0", `x.mnt:1: setcred: argument 1: bad number "-1"`},
		{"setcred 4294967296 0", `x.mnt:1: setcred: argument 1: bad number "4294967296"`},
		{"mknod /x d 1 2", `x.mnt:1: mknod: argument 2: node type must be c, b or p, not "d"`},
		{"truncate /x 1.5", `x.mnt:1: truncate: argument 2: bad integer "1.5"`},
		{"fork -", `x.mnt:1: fork: argument 1: a name is required, not "-"`},
		{`"mkdir" /a`, "x.mnt:1: command name must not be quoted"},
		{`mkdir "/a`, "x.mnt:1: unterminated quoted string"},
		{"mkdir /\xff", "x.mnt:1: invalid UTF-8"},
	} {
		_, err := Parse("x.mnt", []byte(tc.src))
		var se *SyntaxError
		require.True(t, errors.As(err, &se), tc.src)
		require.Equal(t, tc.msg, err.Error(), tc.src)
	}
}

func TestParseFlagValues(t *testing.T) {
	v, err := parseFlags("MS_BIND|MS_REC", msFlags)
	require.NoError(t, err)
	require.Equal(t, uint64(0x5000), v)
	v, err = parseFlags("0x20|MS_RDONLY|16", msFlags)
	require.NoError(t, err)
	require.Equal(t, uint64(0x31), v)
	v, err = parseFlags("CAP_SYS_ADMIN|CAP_CHECKPOINT_RESTORE", capFlags)
	require.NoError(t, err)
	require.Equal(t, uint64(1<<21|1<<40), v)
	require.Len(t, capNames, 41)
	for i, n := range capNames {
		require.NotEmpty(t, n, "capability %d", i)
	}
	require.Equal(t, uint64(0x0103), mkdev(1, 3))
	require.Equal(t, uint64(7<<8|0x12345&0xff|(0x12345&^0xff)<<12), mkdev(7, 0x12345))
}
