// Command report runs mountkit's benchmarks (package bench) and prints
// how each of the performance targets fares: the library's figure, the
// peer's figure measured in the same run, their ratio and the goal. It
// also writes an SVG chart of the path-walk figures and of the cost of
// propagation against the kernel, for the README.
//
// Usage:
//
//	go run ./bench/report [-rounds 3] [-benchtime 1s] [-bench REGEXP] [-svg FILE] [-raw FILE]
//
// The benchmarks are built once and run -rounds times over (each round
// runs every benchmark once), and each figure is the minimum over the
// rounds: on a shared machine the minimum is the run least disturbed by
// other work, and rounds interleave the peers so that a burst of load
// hits them alike. As root the kernel peers run too (in a private mount
// namespace of a benchmark thread); otherwise their rows say "skipped".
//
// Report measures; it never fails because a target is missed. It exits
// non-zero only when the benchmarks cannot be built or run.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

func main() {
	rounds := flag.Int("rounds", 3, "times to run the whole suite; figures are the minimum")
	benchtime := flag.String("benchtime", "1s", "go test -benchtime for each benchmark")
	bench := flag.String("bench", ".", "go test -bench: which benchmarks to run")
	svg := flag.String("svg", "", "write the chart to this file (default: bench/report/chart.svg in the module)")
	raw := flag.String("raw", "", "also write the raw benchmark output to this file")
	flag.Parse()

	root, err := moduleRoot()
	if err != nil {
		fatal(err)
	}
	if *svg == "" {
		*svg = filepath.Join(root, "bench", "report", "chart.svg")
	}
	dir, err := os.MkdirTemp("", "mountkit-report-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bench.test")
	build := exec.Command("go", "test", "-c", "-o", bin, "./bench")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fatal(fmt.Errorf("building the benchmarks: %w", err))
	}

	var out bytes.Buffer
	res := results{}
	var loads []string
	for r := 1; r <= *rounds; r++ {
		fmt.Fprintf(os.Stderr, "round %d of %d\n", r, *rounds)
		loads = append(loads, loadAvg())
		run := exec.Command(bin, "-test.run", "^$", "-test.bench", *bench,
			"-test.benchmem", "-test.benchtime", *benchtime)
		run.Dir = filepath.Join(root, "bench")
		var buf bytes.Buffer
		run.Stdout = io.MultiWriter(&buf, &out)
		run.Stderr = os.Stderr
		if err := run.Run(); err != nil {
			os.Stderr.Write(buf.Bytes())
			fatal(fmt.Errorf("running the benchmarks: %w", err))
		}
		res.add(parse(&buf))
	}
	if *raw != "" {
		if err := os.WriteFile(*raw, out.Bytes(), 0o644); err != nil {
			fatal(err)
		}
	}
	loads = append(loads, loadAvg())
	printTable(os.Stdout, res, *rounds)
	// The machine's load says how far the wall-clock figures (parallel
	// scaling above all) can be trusted; the CPU-time ones depend on it
	// less.
	fmt.Printf("\nload average (1, 5, 15 min) at the start of each round and at the end: %s\n",
		strings.Join(loads, "; "))
	if err := os.WriteFile(*svg, []byte(chart(res)), 0o644); err != nil {
		fatal(err)
	}
	fmt.Printf("\nchart written to %s\n", *svg)
}

// loadAvg returns the first three fields of /proc/loadavg, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "report:", err)
	os.Exit(1)
}

// moduleRoot returns the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("not inside the mountkit module")
	}
	return filepath.Dir(mod), nil
}

// results maps a benchmark's name (without the -GOMAXPROCS suffix) to its
// figures by unit ("ns/op", "allocs/op", "ns/copy", ...).
type results map[string]map[string]float64

// add keeps, for every figure of r, the minimum of it and the one held.
func (res results) add(r results) {
	for name, units := range r {
		if res[name] == nil {
			res[name] = map[string]float64{}
		}
		for u, v := range units {
			if old, ok := res[name][u]; !ok || v < old {
				res[name][u] = v
			}
		}
	}
}

// get returns a figure and whether it was measured.
func (res results) get(name, unit string) (float64, bool) {
	v, ok := res[name][unit]
	return v, ok
}

var procSuffix = regexp.MustCompile(`-\d+$`)

// parse reads go test -bench output: lines of a name, an iteration count
// and value-unit pairs. Other lines are ignored.
func parse(r io.Reader) results {
	res := results{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		units := map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			units[f[i+1]] = v
		}
		res[name] = units
	}
	return res
}
