package script

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse checks that Parse never panics, that its errors are
// *SyntaxErrors naming a line of the input, and that every program it
// accepts prints (Command.String) to a script that parses back to the same
// commands.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"# comment\n\nmkdir /a 0755\n",
		`write "a b" "\x41\t\n\\\""` + "\n",
		"mount - /a - MS_BIND|MS_REC\nmount none /a tmpfs 0x21 \"size=1m\"\n",
		"setcred 1000 1000 CAP_SYS_ADMIN|CAP_CHOWN\r\n",
		"mknod /n c 1 3\ntruncate /f -1\numount2 /a MNT_DETACH|UMOUNT_NOFOLLOW\n",
		"open f \"-\" O_RDWR|O_CREAT 0600\nfork p\nas p\nkill p\n",
		"mkdir \"\n",
		"ls \"\\x00\"\n",
	} {
		f.Add([]byte(s))
	}
	paths, _ := filepath.Glob("testdata/*/*.mnt")
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		p, err := Parse("f.mnt", src)
		if err != nil {
			se, ok := err.(*SyntaxError)
			require.True(t, ok, "error %T: %v", err, err)
			require.GreaterOrEqual(t, se.Line, 1)
			require.LessOrEqual(t, se.Line, strings.Count(string(src), "\n")+1)
			return
		}
		var lines []string
		for _, c := range p.Commands {
			lines = append(lines, c.String())
		}
		q, err := Parse("g.mnt", []byte(strings.Join(lines, "\n")))
		require.NoError(t, err, "reprinted:\n%s", strings.Join(lines, "\n"))
		require.Len(t, q.Commands, len(p.Commands))
		for i, c := range p.Commands {
			d := q.Commands[i]
			require.Equal(t, c.Name, d.Name)
			require.Equal(t, len(c.Args), len(d.Args))
			for j, a := range c.Args {
				require.Equal(t, a.Text, d.Args[j].Text)
				require.Equal(t, a.IsNull(), d.Args[j].IsNull())
			}
		}
	})
}
