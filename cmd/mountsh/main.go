// Mountsh runs mount scripts (see SCRIPT.md) on the mountkit library or on
// the real Linux kernel, and compares the two.
//
// Usage:
//
//	mountsh run [--linux] FILE...   run scripts and print their output
//	mountsh diff FILE...            run on both, normalise and compare
//	mountsh demo                    run the built-in example and show the mount tree
//	mountsh tree [SCRIPT]           run a script (the demo by default), print its mount tree
//	mountsh dot [SCRIPT]            the same tree as Graphviz DOT, with peer groups and slaves
//	mountsh fuse [--script FILE] DIR  serve a library world on DIR through FUSE
//	mountsh [--linux]               interactive shell reading commands from stdin
//	mountsh help [COMMAND]          this list, or a command's usage
//
// Every command takes --help. The interactive shell edits lines (arrows,
// history, ^A ^E ^K ^U ^W) when standard input is a terminal.
//
// A malformed script is reported with its line and makes mountsh exit
// with status 2. diff exits with status 1 when the outputs differ; any
// failure of a runner is also status 1.
package main

// The picture of the demo's mount tree in the README (needs graphviz):
//go:generate sh -c "go run . dot > ../../doc/demo-tree.dot && dot -Tsvg ../../doc/demo-tree.dot > ../../doc/demo-tree.svg"

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/mountkit/mountkit/script"
)

//go:embed demo.mnt
var demoScript []byte

// exitError carries an exit status out of a sub-command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	err := mountsh(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if err == nil {
		return
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		err = ee.err
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "mountsh:", err)
	}
	if errors.Is(err, flag.ErrHelp) {
		code = 0
	}
	os.Exit(code)
}

const usage = `usage:
  mountsh run [--linux] FILE...     run scripts and print their output
  mountsh diff FILE...              run on the library and on Linux, compare
  mountsh demo                      run the built-in example, show the mount tree
  mountsh tree [SCRIPT]             run a script (default: the demo), print its mount tree
  mountsh dot [SCRIPT]              the same as Graphviz DOT, with peer groups and slaves
  mountsh fuse [--script FILE] DIR  serve a library world on DIR through FUSE
  mountsh [--linux]                 interactive shell (commands from stdin)
  mountsh help [COMMAND]            this list, or a command's usage
`

// mountsh runs the command line args.
func mountsh(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return cmdRun(args, stdout, stderr)
	case "diff":
		return cmdDiff(args, stdout, stderr)
	case "demo":
		return cmdDemo(args, stdout, stderr)
	case "tree":
		return cmdTree(args, stdout, stderr)
	case "dot":
		return cmdDot(args, stdout, stderr)
	case "fuse":
		return cmdFuse(args, stdout, stderr)
	case "", "shell":
		return cmdShell(args, stdin, stdout, stderr)
	case "help":
		if len(args) == 1 && args[0] != "help" {
			// The command's own usage, on stdout.
			err := mountsh([]string{args[0], "--help"}, stdin, stdout, stdout)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &exitError{2, fmt.Errorf("unknown command %q", cmd)}
}

func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// newLibrary returns the library world.
func newLibrary() (script.System, error) { return script.NewLibrary(), nil }

func newSystem(linux bool) (script.System, error) {
	if linux {
		return script.NewLinux()
	}
	return newLibrary()
}

// parseFile reads and parses a script; a malformed one is exit status 2.
func parseFile(name string) (*script.Program, error) {
	src, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	p, err := script.Parse(name, src)
	if err != nil {
		return nil, &exitError{2, err}
	}
	return p, nil
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "mountsh run [--linux] FILE...\n\nRuns each script (on the library, or with --linux on the real kernel in a\nthrow-away mount namespace) and prints its output.", stderr)
	linux := fs.Bool("linux", false, "run on the real kernel (needs root)")
	if err := fs.Parse(args); err != nil {
		return &exitError{2, err}
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return &exitError{2, errors.New("run: no script given")}
	}
	progs, err := parseAll(fs.Args())
	if err != nil {
		return err
	}
	for _, p := range progs {
		if len(progs) > 1 {
			fmt.Fprintf(stdout, "==> %s <==\n", p.Name)
		}
		sys, err := newSystem(*linux)
		if err != nil {
			return err
		}
		if err := script.Run(p, sys, stdout); err != nil {
			return err
		}
	}
	return nil
}

// parseAll parses every file before anything runs.
func parseAll(names []string) ([]*script.Program, error) {
	var progs []*script.Program
	for _, name := range names {
		p, err := parseFile(name)
		if err != nil {
			return nil, err
		}
		progs = append(progs, p)
	}
	return progs, nil
}

func cmdDiff(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("diff", "mountsh diff FILE...\n\nRuns each script on the library and on the real kernel, normalises both\noutputs (SCRIPT.md) and prints them and their first difference. Exits 1\nwhen some outputs differ.", stderr)
	if err := fs.Parse(args); err != nil {
		return &exitError{2, err}
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return &exitError{2, errors.New("diff: no script given")}
	}
	progs, err := parseAll(fs.Args())
	if err != nil {
		return err
	}
	differ := 0
	for _, p := range progs {
		var outs [2][]byte
		for i, linux := range []bool{false, true} {
			sys, err := newSystem(linux)
			if err != nil {
				return err
			}
			var b bytes.Buffer
			if err := script.Run(p, sys, &b); err != nil {
				return err
			}
			outs[i] = script.Normalize(p, b.Bytes())
		}
		fmt.Fprintf(stdout, "==> %s: library <==\n%s", p.Name, outs[0])
		fmt.Fprintf(stdout, "==> %s: linux <==\n%s", p.Name, outs[1])
		if d := script.Diff("library", outs[0], "linux", outs[1]); d != "" {
			differ++
			fmt.Fprintf(stdout, "==> %s: DIFFERENT <==\n%s", p.Name, d)
		} else {
			fmt.Fprintf(stdout, "==> %s: same <==\n", p.Name)
		}
	}
	if differ > 0 {
		return &exitError{1, fmt.Errorf("%d of %d scripts differ", differ, len(progs))}
	}
	return nil
}

func cmdShell(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("mountsh", "mountsh [--linux]\n\nReads script commands from standard input, one per line, and runs each\nat once (on the library, or with --linux on the real kernel). A malformed\nline is reported and skipped.", stderr)
	linux := fs.Bool("linux", false, "run on the real kernel (needs root)")
	if err := fs.Parse(args); err != nil {
		return &exitError{2, err}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &exitError{2, fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	sys, err := newSystem(*linux)
	if err != nil {
		return err
	}
	in, err := script.NewInterp(sys, "<stdin>", ".", stdout)
	if err != nil {
		return err
	}
	prompt := ""
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			prompt = "mountsh> "
		}
	}
	if prompt != "" {
		f := stdin.(*os.File)
		if old, err := term.MakeRaw(int(f.Fd())); err == nil {
			defer term.Restore(int(f.Fd()), old)
			t := term.NewTerminal(struct {
				io.Reader
				io.Writer
			}{stdin, stdout}, prompt)
			in.SetOutput(t)
			err := shellLoop(in, t.ReadLine, t)
			if cerr := in.Close(); err == nil {
				err = cerr
			}
			return err
		}
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	err = shellLoop(in, func() (string, error) {
		fmt.Fprint(stdout, prompt)
		if !sc.Scan() {
			if err := sc.Err(); err != nil {
				return "", err
			}
			return "", io.EOF
		}
		return sc.Text(), nil
	}, stderr)
	if prompt != "" {
		fmt.Fprintln(stdout)
	}
	if cerr := in.Close(); err == nil {
		err = cerr
	}
	return err
}

// shellLoop runs the lines readLine returns until io.EOF; a malformed
// line is reported on stderr and skipped.
func shellLoop(in *script.Interp, readLine func() (string, error), stderr io.Writer) error {
	for line := 1; ; line++ {
		text, err := readLine()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		c, err := script.ParseLine("<stdin>", line, text)
		if err != nil {
			fmt.Fprintln(stderr, err)
			continue
		}
		if c == nil {
			continue
		}
		if err := in.Exec(c); err != nil {
			return err
		}
	}
}

func cmdDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "mountsh demo\n\nRuns a built-in example script on the library, prints its output, then\nthe final mount tree (findmnt style) and the raw mountinfo.", stderr)
	show := fs.Bool("script", false, "print the demo script instead of running it")
	if err := fs.Parse(args); err != nil {
		return &exitError{2, err}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &exitError{2, fmt.Errorf("demo: unexpected argument %q", fs.Arg(0))}
	}
	if *show {
		_, err := stdout.Write(demoScript)
		return err
	}
	return runDemo(stdout)
}

// finalTree parses the optional SCRIPT argument of tree and dot, runs it
// (or the demo) on the library without showing its output, and returns
// the mountinfo lines of its current process at the end.
func finalTree(name, synopsis string, args []string, stderr io.Writer) ([]string, error) {
	fs := newFlags(name, synopsis, stderr)
	if err := fs.Parse(args); err != nil {
		return nil, &exitError{2, err}
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return nil, &exitError{2, fmt.Errorf("%s: want at most one script", name)}
	}
	in, err := runOnLibrary(fs.Arg(0), io.Discard)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	lines, err := mountinfoOf(in)
	if err != nil {
		return nil, err
	}
	return lines, in.Close()
}

func cmdTree(args []string, stdout, stderr io.Writer) error {
	lines, err := finalTree("tree", "mountsh tree [SCRIPT]\n\nRuns SCRIPT (the built-in demo when none is given) on the library and prints\nthe mount tree its current process ends with, as findmnt prints it, with a\nPROPAGATION column (private, shared:N, master:N, unbindable).", args, stderr)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(stdout, findmnt(lines))
	return err
}

func cmdDot(args []string, stdout, stderr io.Writer) error {
	lines, err := finalTree("dot", "mountsh dot [SCRIPT]\n\nRuns SCRIPT (the built-in demo when none is given) on the library and prints\nthe mount tree its current process ends with as a Graphviz digraph: mounts\nas boxes, arrows to the mounts on top of them, peer groups as dashed\nclusters and red dashed arrows from a master peer group to its slaves.\nRender it with: mountsh dot | dot -Tsvg > tree.svg", args, stderr)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(stdout, dot(lines))
	return err
}
