package main

import (
	"fmt"
	"io"
	"strings"
)

// fig names one figure of the results: a benchmark and a unit.
type fig struct{ name, unit string }

// goalKind says how a target compares its figures.
type goalKind int

const (
	// atLeast: peer/lib (how many times faster the library is) ≥ k.
	atLeast goalKind = iota
	// within: lib/peer (how many times slower) ≤ k.
	within
	// atMost: lib ≤ k, with no peer in the ratio (the peer is shown).
	atMost
	// info: peer/lib, for comparison; no goal.
	info
)

// target is one row of the report.
type target struct {
	what      string
	lib, peer fig
	peerName  string
	kind      goalKind
	k         float64
}

var targets = []target{
	{what: "walk, 10 components, hit (issue 2)", lib: fig{"Stat10/mountkit", "ns/op"},
		peer: fig{"Stat10/afero-memmap", "ns/op"}, peerName: "afero MemMapFs", kind: atLeast, k: 2},
	{what: "walk, 10 components, hit, Stat() by value", lib: fig{"Stat10/mountkit-value", "ns/op"},
		peer: fig{"Stat10/afero-memmap", "ns/op"}, peerName: "afero MemMapFs", kind: info},
	{what: "walk, 10 components, hit: allocs", lib: fig{"Stat10/mountkit", "allocs/op"}, kind: atMost, k: 0},
	{what: "walk, 10 components, hit", lib: fig{"Stat10/mountkit", "ns/op"},
		peer: fig{"Stat10/go-billy-memfs", "ns/op"}, peerName: "go-billy memfs", kind: info},
	{what: "walk, 10 components, hit", lib: fig{"Stat10/mountkit", "ns/op"},
		peer: fig{"Stat10/kernel", "ns/op"}, peerName: "kernel stat(2)", kind: info},
	{what: "walk, 10 components, ENOENT", lib: fig{"Stat10Missing/mountkit", "ns/op"},
		peer: fig{"Stat10Missing/afero-memmap", "ns/op"}, peerName: "afero MemMapFs", kind: info},
	{what: "walk, 10 components, ENOENT: allocs", lib: fig{"Stat10Missing/mountkit", "allocs/op"}, kind: atMost, k: 0},
	{what: "walk, 10 components, ENOENT", lib: fig{"Stat10Missing/mountkit", "ns/op"},
		peer: fig{"Stat10Missing/kernel", "ns/op"}, peerName: "kernel stat(2)", kind: info},
	{what: "walk across 5 mounts", lib: fig{"Stat10Mounts5/mountkit", "ns/op"},
		peer: fig{"Stat10Mounts5/kernel", "ns/op"}, peerName: "kernel stat(2)", kind: atLeast, k: 4},
	{what: "walk across 5 mounts", lib: fig{"Stat10Mounts5/mountkit", "ns/op"},
		peer: fig{"Stat10Mounts5/afero-memmap", "ns/op"}, peerName: "afero MemMapFs (no mounts)", kind: atLeast, k: 1},
	{what: "walk across 5 mounts: allocs", lib: fig{"Stat10Mounts5/mountkit", "allocs/op"}, kind: atMost, k: 0},
	{what: "walk with 10,000 mounts vs 10", lib: fig{"Stat10UnderMounts/mountkit/10000", "ns/op"},
		peer: fig{"Stat10UnderMounts/mountkit/10", "ns/op"}, peerName: "same, 10 mounts", kind: within, k: 1.1},
	{what: "lookup under the last of 10,000 binds vs 10", lib: fig{"LookupUnderMounts/mountkit/10000", "ns/op"},
		peer: fig{"LookupUnderMounts/mountkit/10", "ns/op"}, peerName: "same, 10 binds", kind: within, k: 1.1},
	{what: "2 walkers vs 1", lib: fig{"Stat10Parallel/mountkit/goroutines=2", "ns/op"},
		peer: fig{"Stat10Parallel/mountkit/goroutines=1", "ns/op"}, peerName: "1 walker", kind: atLeast, k: 1.8},
	{what: "2 walkers vs 1, while mounting", lib: fig{"Stat10Parallel/mountkit/goroutines=2/mounting", "ns/op"},
		peer: fig{"Stat10Parallel/mountkit/goroutines=1/mounting", "ns/op"}, peerName: "1 walker", kind: atLeast, k: 1.8},
	{what: "2 walkers vs 1: CPU time per stat", lib: fig{"Stat10Parallel/mountkit/goroutines=2", "cpu-ns/op"},
		peer: fig{"Stat10Parallel/mountkit/goroutines=1", "cpu-ns/op"}, peerName: "1 walker", kind: within, k: 1.1},
	{what: "2 walkers vs 1, while mounting: CPU time per stat", lib: fig{"Stat10Parallel/mountkit/goroutines=2/mounting", "cpu-ns/op"},
		peer: fig{"Stat10Parallel/mountkit/goroutines=1", "cpu-ns/op"}, peerName: "1 walker, no mounting", kind: within, k: 1.1},
	{what: "bind mount (ns)", lib: fig{"Bind/mountkit", "ns/bind"},
		peer: fig{"Bind/kernel", "ns/bind"}, peerName: "kernel", kind: atMost, k: 1000},
	{what: "propagation to 1,000 peers (ns/copy)", lib: fig{"Propagate/mountkit/1000", "ns/copy"},
		peer: fig{"Propagate/kernel/1000", "ns/copy"}, peerName: "kernel", kind: atMost, k: 300},
	{what: "propagation to 1,000 peers, CPU time (ns/copy)", lib: fig{"Propagate/mountkit/1000", "cpu-ns/copy"},
		peer: fig{"Propagate/kernel/1000", "cpu-ns/copy"}, peerName: "kernel", kind: atMost, k: 300},
	{what: "mountinfo (ns/line)", lib: fig{"MountInfo/mountkit", "ns/line"},
		peer: fig{"MountInfo/kernel", "ns/line"}, peerName: "kernel", kind: atMost, k: 300},
	{what: "memory per mount (B)", lib: fig{"Memory/mountkit/mount", "B/mount"}, kind: atMost, k: 400},
	{what: "memory per memfs inode with its dentry (B)", lib: fig{"Memory/mountkit/inode", "B/inode"},
		peer: fig{"Memory/afero-memmap/inode", "B/inode"}, peerName: "afero MemMapFs", kind: atMost, k: 200},
	{what: "memory per memfs inode, memfs alone (B)", lib: fig{"Memory/memfs/inode", "B/inode"},
		peer: fig{"Memory/afero-memmap/inode", "B/inode"}, peerName: "afero MemMapFs", kind: atMost, k: 200},
}

// row is a target evaluated on the results.
type row struct {
	what, lib, peer, ratio, goal, met string
}

func evaluate(t target, res results) row {
	r := row{what: t.what, peer: "-", ratio: "-"}
	lib, okLib := res.get(t.lib.name, t.lib.unit)
	peer, okPeer := res.get(t.peer.name, t.peer.unit)
	if t.peerName != "" {
		r.peer = t.peerName + ": skipped"
		if okPeer {
			r.peer = t.peerName + ": " + num(peer, t.peer.unit)
		}
	}
	r.lib = "not run"
	if okLib {
		r.lib = num(lib, t.lib.unit)
	}
	switch t.kind {
	case atLeast:
		r.goal = fmt.Sprintf("≥ %gx faster", t.k)
		if okLib && okPeer && lib > 0 {
			x := peer / lib
			r.ratio = fmt.Sprintf("%.2fx faster", x)
			r.met = yesNo(x >= t.k)
		}
	case within:
		r.goal = fmt.Sprintf("≤ %gx", t.k)
		if okLib && okPeer && peer > 0 {
			x := lib / peer
			r.ratio = fmt.Sprintf("%.2fx", x)
			r.met = yesNo(x <= t.k)
		}
	case info:
		r.goal, r.met = "-", "-"
		if okLib && okPeer && lib > 0 {
			r.ratio = fmt.Sprintf("%.2fx faster", peer/lib)
		}
	case atMost:
		r.goal = "≤ " + num(t.k, t.lib.unit)
		if okPeer && peer > 0 && okLib && t.lib.unit == t.peer.unit && lib > 0 {
			r.ratio = fmt.Sprintf("%.2fx of peer", lib/peer)
		}
		if okLib {
			r.met = yesNo(lib <= t.k)
		}
	}
	if r.met == "" {
		r.met = "?"
	}
	return r
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

// num formats a figure with its unit, in ns, µs or ms for times.
func num(v float64, unit string) string {
	if strings.HasPrefix(unit, "ns/") {
		what := strings.TrimPrefix(unit, "ns/")
		switch {
		case v >= 1e6:
			return fmt.Sprintf("%.2f ms/%s", v/1e6, what)
		case v >= 1e4:
			return fmt.Sprintf("%.1f µs/%s", v/1e3, what)
		case v >= 1e3:
			return fmt.Sprintf("%.2f µs/%s", v/1e3, what)
		}
		return fmt.Sprintf("%.1f ns/%s", v, what)
	}
	return fmt.Sprintf("%g %s", v, unit)
}

// printTable writes the targets as a Markdown table.
func printTable(w io.Writer, res results, rounds int) {
	fmt.Fprintf(w, "mountkit performance targets (minimum of %d rounds)\n\n", rounds)
	fmt.Fprintln(w, "| target | mountkit | peer | ratio | goal | met |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, t := range targets {
		r := evaluate(t, res)
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.what, r.lib, r.peer, r.ratio, r.goal, r.met)
	}
}
