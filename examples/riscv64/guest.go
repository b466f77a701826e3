//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mountkit/mountkit/script"
)

// testTimeout bounds one test binary in the guest.
const testTimeout = 20 * time.Minute

// olderKernelMark starts the log lines in which the script tests report
// what this kernel prints differently from the golden files.
const olderKernelMark = "OLDER-KERNEL-DIFF"

// corpusDir is where the golden corpus lies in the initramfs.
const corpusDir = "/pkg/script/testdata"

// guestMain is /init: it never returns; it powers the machine off.
func guestMain() {
	failed := true
	defer func() {
		if r := recover(); r != nil {
			fmt.Printf("/init panicked: %v\n", r)
			failed = true
		}
		verdict := "PASS"
		if failed {
			verdict = "FAIL"
		}
		fmt.Println(resultLine + verdict)
		syscall.Sync()
		syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
		select {}
	}()
	failed = !guest()
}

// guest runs everything and reports whether all passed.
func guest() bool {
	start := time.Now()
	for _, m := range []struct{ src, dir, typ string }{
		{"proc", "/proc", "proc"}, {"sysfs", "/sys", "sysfs"}, {"devtmpfs", "/dev", "devtmpfs"}, {"tmpfs", "/tmp", "tmpfs"},
	} {
		if err := syscall.Mount(m.src, m.dir, m.typ, 0, ""); err != nil {
			fmt.Printf("mount %s: %v\n", m.dir, err)
			return false
		}
	}
	var u syscall.Utsname
	syscall.Uname(&u)
	fmt.Printf("guest: Linux %s on %s, up %.1fs\n", cstr(u.Release[:]), cstr(u.Machine[:]), uptime())
	if !loadModules() {
		return false
	}
	// The golden outputs came from a machine whose fs.protected_hardlinks
	// is 1, as distributions set it (the library's default too); the
	// kernel's own default is 0.
	if err := os.WriteFile("/proc/sys/fs/protected_hardlinks", []byte("1\n"), 0); err != nil {
		fmt.Println(err)
	}
	os.Setenv("PATH", "/")
	os.Setenv("HOME", "/root")
	os.Setenv("TMPDIR", "/tmp")
	// The script tests log, rather than fail on, what this kernel prints
	// differently from the newer kernel the golden files came from.
	os.Setenv("MOUNTKIT_OLDER_KERNEL", "1")

	ok := true
	var totals [3]int // passed, failed, skipped
	manifest, err := os.ReadFile("/tests")
	if err != nil {
		fmt.Println(err)
		return false
	}
	for _, line := range strings.Split(strings.TrimSpace(string(manifest)), "\n") {
		pkg, bin, found := strings.Cut(line, " ")
		if !found {
			continue
		}
		counts, pass := runTestBinary(pkg, "/"+bin)
		for i := range totals {
			totals[i] += counts[i]
		}
		ok = ok && pass
	}
	corpusOK, corpus := runCorpus()
	ok = ok && corpusOK
	fmt.Println()
	fmt.Println("== summary")
	fmt.Printf("tests: %d passed, %d failed, %d skipped (test functions and subtests)\n", totals[0], totals[1], totals[2])
	fmt.Println(corpus)
	fmt.Printf("guest time %.1fs (uptime %.1fs)\n", time.Since(start).Seconds(), uptime())
	return ok
}

func cstr[T int8 | uint8](b []T) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

func uptime() float64 {
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return 0
	}
	return float64(si.Uptime)
}

// loadModules loads /modules/*.ko.xz in the order of /modules/order with
// finit_module(2); a module the kernel already has (EEXIST) is fine.
func loadModules() bool {
	order, err := os.ReadFile("/modules/order")
	if err != nil {
		fmt.Println(err)
		return false
	}
	var loaded []string
	for _, m := range strings.Fields(string(order)) {
		f, err := os.Open("/modules/" + m)
		if err != nil {
			fmt.Println(err)
			return false
		}
		var flags uintptr
		if strings.HasSuffix(m, ".xz") {
			flags = moduleInitCompressedFile
		}
		e := finitModule(f.Fd(), flags)
		f.Close()
		if e != nil && e != syscall.EEXIST {
			fmt.Printf("finit_module %s: %v\n", m, e)
			return false
		}
		loaded = append(loaded, strings.TrimSuffix(m, ".ko.xz"))
	}
	fmt.Printf("guest: modules loaded: %s\n", strings.Join(loaded, " "))
	return true
}

// runTestBinary runs one package's test binary in its package directory
// and returns the counts of passed, failed and skipped tests.
func runTestBinary(pkg, bin string) ([3]int, bool) {
	args := []string{"-test.v", "-test.timeout", testTimeout.String()}
	if n := rapidChecks(); n > 0 && hasFlag(bin, "rapid.checks") {
		args = append(args, fmt.Sprintf("-rapid.checks=%d", n))
	}
	if filepath.Base(bin) == "script.test" {
		// /init runs the corpus on this kernel itself and tabulates
		// what 6.12 prints differently from the 6.18 goldens.
		args = append(args, "-test.skip", "^TestGoldenLinux$")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = filepath.Dir(bin)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	var counts [3]int
	var notes []string
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "--- PASS:"):
			counts[0]++
		case strings.HasPrefix(t, "--- FAIL:"):
			counts[1]++
		case strings.HasPrefix(t, "--- SKIP:"):
			counts[2]++
			if strings.HasPrefix(l, "--- SKIP:") && i > 0 {
				notes = append(notes, fmt.Sprintf("  skip %s: %s", strings.Fields(t)[2], strings.TrimSpace(lines[i-1])))
			}
		}
		if strings.Contains(l, olderKernelMark) {
			notes = append(notes, "  kernel difference: "+strings.TrimSpace(l))
			for _, d := range lines[i+1 : min(i+12, len(lines))] {
				if strings.HasPrefix(strings.TrimSpace(d), "--- ") || strings.HasPrefix(strings.TrimSpace(d), "=== ") {
					break
				}
				notes = append(notes, "  | "+d)
			}
		}
	}
	status := "ok"
	pass := err == nil && counts[1] == 0
	if !pass {
		status = "FAIL"
	}
	fmt.Printf("%s %s: %d passed, %d failed, %d skipped (%.1fs) %s\n", status, pkg, counts[0], counts[1], counts[2], time.Since(start).Seconds(), strings.Join(args[3:], " "))
	for _, n := range notes {
		fmt.Println(n)
	}
	if !pass {
		if err != nil {
			fmt.Printf("  %s: %v\n", bin, err)
		}
		shown := 0
		for _, l := range lines {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- PASS") || strings.HasPrefix(t, "--- SKIP") {
				continue
			}
			if shown++; shown > 300 {
				fmt.Println("  ... (output cut)")
				break
			}
			fmt.Println("  | " + l)
		}
	}
	return counts, pass
}

// rapidChecks is the number of cases per rapid test the harness asked
// for (/rapid-checks): the property tests are the bulk of the guest's time
// under emulation, and they run at full count on the host and under
// qemu-user.
func rapidChecks() int {
	b, _ := os.ReadFile("/rapid-checks")
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// hasFlag reports whether test binary bin defines flag name (rapid's
// flags exist only in binaries that link rapid).
func hasFlag(bin, name string) bool {
	out, _ := exec.Command(bin, "-test.run=^$", "-"+name+"=1").CombinedOutput()
	return !strings.Contains(string(out), "flag provided but not defined")
}

// golden is one corpus script with an .out file.
type golden struct{ name, mnt, out string }

// corpus lists the scripts as the script package's golden tests do:
// every testdata/**/*.mnt with an .out, less fuzz/ and order/ (which has
// its own test in the script binary).
func corpus() ([]golden, error) {
	var gs []golden
	err := filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "fuzz" || d.Name() == "order") && filepath.Dir(p) == corpusDir {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".mnt") {
			return nil
		}
		g := golden{mnt: p, out: strings.TrimSuffix(p, ".mnt") + ".out"}
		g.name = strings.TrimSuffix(strings.TrimPrefix(p, corpusDir+"/"), ".mnt")
		if _, err := os.Stat(g.out); err == nil {
			gs = append(gs, g)
		}
		return nil
	})
	slices.SortFunc(gs, func(a, b golden) int { return strings.Compare(a.name, b.name) })
	return gs, err
}

// runScript runs g in sys and returns the normalised output. A script that
// exports files runs with its folder copied under /tmp.
func runScript(g golden, sys script.System) ([]byte, error) {
	defer sys.Close()
	src, err := os.ReadFile(g.mnt)
	if err != nil {
		return nil, err
	}
	p, err := script.Parse(g.mnt, src)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(p.Commands, func(c script.Command) bool { return c.Name == "export" }) {
		tmp, err := os.MkdirTemp("", "corpus-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		ents, _ := os.ReadDir(p.Dir)
		for _, e := range ents {
			if data, err := os.ReadFile(filepath.Join(p.Dir, e.Name())); err == nil && e.Type().IsRegular() {
				os.WriteFile(filepath.Join(tmp, e.Name()), data, 0o644)
			}
		}
		p.Dir = tmp
	}
	var out bytes.Buffer
	if err := script.Run(p, sys, &out); err != nil {
		return nil, fmt.Errorf("%w (output so far: %q)", err, out.String())
	}
	return script.Normalize(p, out.Bytes()), nil
}

// runCorpus runs the corpus on the library (a difference from .out
// fails) and on this kernel (differences are tabulated). It returns the
// verdict and a summary line.
func runCorpus() (bool, string) {
	fmt.Println()
	fmt.Println("== golden corpus")
	gs, err := corpus()
	if err != nil || len(gs) == 0 {
		fmt.Printf("corpus: %v (%d scripts)\n", err, len(gs))
		return false, "corpus: none"
	}
	ok := true
	libAgree, kernAgree, known := 0, 0, 0
	var rows [][4]string
	start := time.Now()
	for _, g := range gs {
		want, err := os.ReadFile(g.out)
		if err != nil {
			fmt.Println(err)
			ok = false
			continue
		}
		if strings.HasPrefix(g.name, "known/") {
			known++ // a known deviation of the library: Linux only
		} else if got, err := runScript(g, script.NewLibrary()); err != nil {
			fmt.Printf("FAIL library %s: %v\n", g.name, err)
			ok = false
		} else if d := script.Diff(g.name+".out", want, "library", got); d != "" {
			fmt.Printf("FAIL library %s differs from the golden output:\n%s\n", g.name, d)
			ok = false
		} else {
			libAgree++
		}
		sys, err := script.NewLinux()
		if err != nil {
			fmt.Printf("FAIL kernel %s: no Linux reference runner: %v\n", g.name, err)
			ok = false
			continue
		}
		got, err := runScript(g, sys)
		if err != nil {
			rows = append(rows, [4]string{g.name, "-", "(runs)", "error: " + err.Error()})
			continue
		}
		if bytes.Equal(got, want) {
			kernAgree++
			continue
		}
		rows = append(rows, diffRows(g.name, want, got)...)
	}
	differ := len(gs) - kernAgree
	fmt.Printf("corpus: %d scripts in %.1fs; library: %d agree with the goldens, %d known deviations skipped; kernel: %d agree, %d differ\n",
		len(gs), time.Since(start).Seconds(), libAgree, known, kernAgree, differ)
	if len(rows) > 0 {
		fmt.Println()
		fmt.Println("| script | line | golden (Linux 6.18) | this kernel |")
		fmt.Println("| --- | --- | --- | --- |")
		for _, r := range rows {
			fmt.Printf("| %s | %s | %s | %s |\n", r[0], r[1], cell(r[2]), cell(r[3]))
		}
	}
	return ok, fmt.Sprintf("corpus: %d scripts; library %d agree (%d known deviations skipped); guest kernel %d agree, %d differ from 6.18",
		len(gs), libAgree, known, kernAgree, differ)
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	if s == "" {
		return "(none)"
	}
	return s
}

// diffRows compares two normalised outputs command by command (each line
// starts with the command's line number) and returns one row per command
// whose output differs.
func diffRows(name string, want, got []byte) [][4]string {
	byLine := func(b []byte) (map[string][]string, []string) {
		m := map[string][]string{}
		var order []string
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			n, rest, _ := strings.Cut(sc.Text(), ": ")
			if _, seen := m[n]; !seen {
				order = append(order, n)
			}
			m[n] = append(m[n], rest)
		}
		return m, order
	}
	w, order := byLine(want)
	g, gorder := byLine(got)
	for _, n := range gorder {
		if _, ok := w[n]; !ok {
			order = append(order, n)
		}
	}
	var rows [][4]string
	for _, n := range order {
		a, b := w[n], g[n]
		if slices.Equal(a, b) {
			continue
		}
		if len(a) <= 1 && len(b) <= 1 {
			rows = append(rows, [4]string{name, n, strings.Join(a, ""), strings.Join(b, "")})
			continue
		}
		// A mountinfo block: its size and first differing line.
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		at := func(ls []string) string {
			if i < len(ls) {
				return fmt.Sprintf("%d lines, line %d: %s", len(ls), i+1, ls[i])
			}
			return fmt.Sprintf("%d lines", len(ls))
		}
		rows = append(rows, [4]string{name, n, at(a), at(b)})
	}
	return rows
}
