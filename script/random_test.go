package script

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mountkit/mountkit/vfs"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// randomChecks is how many scripts the random property tests run when
// neither -rapid.checks nor RAPID_CHECKS says otherwise.
const randomChecks = 1000

// withRapidDefaults sets rapid's number of checks to n and turns off its
// fail files (which would land in testdata/), unless the command line or
// the environment chose; it returns a function restoring the old values.
func withRapidDefaults(t *testing.T, n int) func() {
	t.Helper()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var restore []func()
	for name, val := range map[string]string{
		"rapid.checks":     fmt.Sprint(n),
		"rapid.nofailfile": "true",
	} {
		env := "RAPID_" + strings.ToUpper(strings.TrimPrefix(name, "rapid."))
		f := flag.Lookup(name)
		if f == nil || set[name] || os.Getenv(env) != "" {
			continue
		}
		old := f.Value.String()
		require.NoError(t, f.Value.Set(val))
		restore = append(restore, func() { f.Value.Set(old) })
	}
	return func() {
		for _, f := range restore {
			f()
		}
	}
}

// numbered returns src with line numbers, as the output refers to them.
func numbered(src string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimSuffix(src, "\n"), "\n") {
		fmt.Fprintf(&b, "%3d  %s\n", i+1, l)
	}
	return b.String()
}

// runNormalized runs p in sys and returns its normalised output.
func runNormalized(p *Program, sys System) ([]byte, error) {
	var out bytes.Buffer
	err := Run(p, sys, &out)
	return Normalize(p, out.Bytes()), err
}

// libraryTimeout bounds one run of a random script on the library (a few
// milliseconds normally).
const libraryTimeout = 20 * time.Second

// guarded calls f, failing t if it does not return within libraryTimeout
// (a hang of the library: the message shows the script and every
// goroutine's stack). A panic of f is raised again on t's goroutine, so
// that rapid reports and shrinks it.
func guarded(t *rapid.T, src string, f func()) {
	t.Helper()
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		f()
	}()
	select {
	case v := <-done:
		if v != nil {
			panic(v)
		}
	case <-time.After(libraryTimeout):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("the library hung for %v on:\n%s\ngoroutines:\n%s", libraryTimeout, numbered(src), buf)
	}
}

// trackSystem is the library world, remembering every process it starts.
type trackSystem struct {
	System
	procs []*libProc
}

type trackProc struct {
	Proc
	s *trackSystem
}

func (s *trackSystem) Init() (Proc, error) {
	p, err := s.System.Init()
	if err != nil {
		return nil, err
	}
	s.procs = append(s.procs, p.(*libProc))
	return trackProc{p, s}, nil
}

func (p trackProc) Fork() (Proc, error) {
	c, err := p.Proc.Fork()
	if err != nil {
		return nil, err
	}
	p.s.procs = append(p.s.procs, c.(*libProc))
	return trackProc{c, p.s}, nil
}

// TestRandomScriptsLibrary runs random scripts on the library alone (no
// root needed): the library never panics, every failure is an errno (Run
// returns no error), the output is deterministic, and when the world is
// closed every process has exited and released its FsContext.
func TestRandomScriptsLibrary(t *testing.T) { checkRandomLibrary(t, scriptGen) }

// TestRandomMountScriptsLibrary is TestRandomScriptsLibrary for the mount
// scripts of gen_mount_test.go.
func TestRandomMountScriptsLibrary(t *testing.T) { checkRandomLibrary(t, mountScriptGen) }

// checkRandomLibrary is the library-only property of
// TestRandomScriptsLibrary, on scripts drawn from gen.
func checkRandomLibrary(t *testing.T, gen *rapid.Generator[string]) {
	defer withRapidDefaults(t, randomChecks)()
	rapid.Check(t, func(t *rapid.T) {
		src := gen.Draw(t, "script")
		p, err := Parse("random.mnt", []byte(src))
		require.NoError(t, err, "the generator wrote a bad script:\n%s", numbered(src))
		var outs [2][]byte
		for i := range outs {
			sys := &trackSystem{System: NewLibrary()}
			var out bytes.Buffer
			var err error
			guarded(t, src, func() { err = Run(p, sys, &out) })
			require.NoError(t, err, "on:\n%s", numbered(src))
			outs[i] = out.Bytes()
			require.Equal(t, len(p.Commands), bytes.Count(out.Bytes(), []byte("\n"))-extraLines(p, out.Bytes()),
				"not one line per command on:\n%s\n%s", numbered(src), out.String())
			for _, lp := range sys.procs {
				require.True(t, lp.exited, "a process did not exit, on:\n%s", numbered(src))
				// A closed FsContext refuses a second Close.
				require.ErrorIs(t, lp.c.Close(), vfs.EBADF, "a process kept its FsContext, on:\n%s", numbered(src))
			}
		}
		require.Equal(t, string(outs[0]), string(outs[1]), "two runs differ on:\n%s", numbered(src))
	})
}

// extraLines counts the output lines beyond the first of each command
// (mountinfo prints one line per mount).
func extraLines(p *Program, out []byte) int {
	seen := map[string]bool{}
	extra := 0
	for l := range strings.SplitSeq(strings.TrimSuffix(string(out), "\n"), "\n") {
		num, _, _ := strings.Cut(l, ": ")
		if seen[num] {
			extra++
		}
		seen[num] = true
	}
	return extra
}
