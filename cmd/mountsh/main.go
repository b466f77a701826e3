// Mountsh runs mount scripts (see SCRIPT.md) on the mountkit library or on
// the real Linux kernel, and compares the two.
//
// Usage:
//
//	mountsh run [--linux] FILE...   run scripts and print their output
//	mountsh diff FILE...            run on both, normalise and compare
//	mountsh demo                    run the built-in example and show the mount tree
//	mountsh [--linux]               interactive shell reading commands from stdin
//
// A malformed script is reported with its line and makes mountsh exit
// with status 2. diff exits with status 1 when the outputs differ; any
// failure of a runner is also status 1.
package main

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
  mountsh run [--linux] FILE...   run scripts and print their output
  mountsh diff FILE...            run on the library and on Linux, compare
  mountsh demo                    run the built-in example, show the mount tree
  mountsh [--linux]               interactive shell (commands from stdin)
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
	case "", "shell":
		return cmdShell(args, stdin, stdout, stderr)
	case "help":
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
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for {
		fmt.Fprint(stdout, prompt)
		if !sc.Scan() {
			break
		}
		line++
		c, err := script.ParseLine("<stdin>", line, sc.Text())
		if err != nil {
			fmt.Fprintln(stderr, err)
			continue
		}
		if c == nil {
			continue
		}
		if err := in.Exec(c); err != nil {
			in.Close()
			return err
		}
	}
	if prompt != "" {
		fmt.Fprintln(stdout)
	}
	if err := sc.Err(); err != nil {
		in.Close()
		return err
	}
	return in.Close()
}

func cmdDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", "mountsh demo\n\nRuns a built-in example script on the library, prints its output, then\nthe final mount tree (findmnt style) and the raw mountinfo.", stderr)
	show := fs.Bool("script", false, "print the demo script instead of running it")
	if err := fs.Parse(args); err != nil {
		return &exitError{2, err}
	}
	if *show {
		_, err := stdout.Write(demoScript)
		return err
	}
	return runDemo(stdout)
}
