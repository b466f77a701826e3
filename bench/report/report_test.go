package main

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sample = `goos: linux
BenchmarkStat10/mountkit-2         	 6864829	       90.5 ns/op	       0 B/op	       0 allocs/op
BenchmarkStat10/afero-memmap-2     	 8357665	       100 ns/op	      40 B/op	       2 allocs/op
BenchmarkStat10/kernel-2           	  535771	      600 ns/op	      24 B/op	       1 allocs/op
BenchmarkBind/mountkit-2           	       3	   2211145 ns/op	      1232 ns/bind	       978.5 ns/umount
BenchmarkPropagate/mountkit/1000-8 	      10	   300000 ns/op	   250 ns/copy
--- SKIP: BenchmarkPropagate/kernel/1000
PASS
`

func TestParse(t *testing.T) {
	res := parse(strings.NewReader(sample))
	assert.Equal(t, 90.5, res["Stat10/mountkit"]["ns/op"])
	assert.Equal(t, 0.0, res["Stat10/mountkit"]["allocs/op"])
	assert.Equal(t, 1232.0, res["Bind/mountkit"]["ns/bind"])
	assert.Equal(t, 250.0, res["Propagate/mountkit/1000"]["ns/copy"])
	assert.NotContains(t, res, "Propagate/kernel/1000")
	assert.Len(t, res, 5)
}

func TestAddKeepsMinimum(t *testing.T) {
	res := results{}
	res.add(results{"a": {"ns/op": 10}})
	res.add(results{"a": {"ns/op": 7, "allocs/op": 1}})
	res.add(results{"a": {"ns/op": 9, "allocs/op": 0}})
	assert.Equal(t, map[string]float64{"ns/op": 7, "allocs/op": 0}, res["a"])
}

func TestEvaluate(t *testing.T) {
	res := parse(strings.NewReader(sample))
	r := evaluate(targets[0], res) // 2x faster than MemMapFs
	assert.Equal(t, "1.10x faster", r.ratio)
	assert.Equal(t, "NO", r.met)
	r = evaluate(target{lib: fig{"Stat10/mountkit", "ns/op"}, peer: fig{"Stat10/kernel", "ns/op"},
		peerName: "kernel", kind: atLeast, k: 4}, res)
	assert.Equal(t, "yes", r.met)
	r = evaluate(target{lib: fig{"Stat10/mountkit", "allocs/op"}, kind: atMost, k: 0}, res)
	assert.Equal(t, "yes", r.met)
	r = evaluate(target{lib: fig{"Bind/mountkit", "ns/bind"}, peer: fig{"Bind/kernel", "ns/bind"},
		peerName: "kernel", kind: atMost, k: 1000}, res)
	assert.Equal(t, "NO", r.met)
	assert.Equal(t, "kernel: skipped", r.peer)
	r = evaluate(target{lib: fig{"Stat10/mountkit", "ns/op"}, peer: fig{"Stat10/kernel", "ns/op"},
		peerName: "kernel", kind: info}, res)
	assert.Equal(t, "6.63x faster", r.ratio)
	assert.Equal(t, "-", r.met)
	r = evaluate(target{lib: fig{"Missing/x", "ns/op"}, kind: within, k: 1.1}, res)
	assert.Equal(t, "?", r.met)
	assert.Equal(t, "not run", r.lib)
}

func TestChartIsWellFormedSVG(t *testing.T) {
	for _, in := range []string{sample, ""} {
		svg := chart(parse(strings.NewReader(in)))
		d := xml.NewDecoder(strings.NewReader(svg))
		n := 0
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			if _, ok := tok.(xml.StartElement); ok {
				n++
			}
		}
		assert.Greater(t, n, 3)
		assert.True(t, strings.HasPrefix(svg, "<svg "))
	}
	svg := chart(parse(strings.NewReader(sample)))
	assert.Contains(t, svg, "90.5 ns")
	assert.Contains(t, svg, "250 ns")
}

func TestNum(t *testing.T) {
	assert.Equal(t, "90.5 ns/op", num(90.5, "ns/op"))
	assert.Equal(t, "1.23 µs/bind", num(1232, "ns/bind"))
	assert.Equal(t, "743.0 µs/op", num(743000, "ns/op"))
	assert.Equal(t, "376 B/mount", num(376, "B/mount"))
}

func TestCPUPerStat(t *testing.T) {
	res := parse(strings.NewReader(`BenchmarkStat10Parallel/mountkit/goroutines=1-2 	15158709	       109.5 ns/op	        81.38 cpu-ns/op	       0 B/op	       0 allocs/op
BenchmarkStat10Parallel/mountkit/goroutines=2-2 	14177348	       150.2 ns/op	        83.52 cpu-ns/op	       0 B/op	       0 allocs/op
BenchmarkStat10Parallel/mountkit/goroutines=2/mounting-2 	19919744	        73.07 ns/op	        95.00 cpu-ns/op	       386.1 mounts/s	       0 B/op	       0 allocs/op
`))
	var rows []row
	for _, tg := range targets {
		if tg.lib.unit == "cpu-ns/op" {
			rows = append(rows, evaluate(tg, res))
		}
	}
	require.Len(t, rows, 2)
	assert.Equal(t, "1.03x", rows[0].ratio)
	assert.Equal(t, "yes", rows[0].met)
	assert.Equal(t, "1.17x", rows[1].ratio)
	assert.Equal(t, "NO", rows[1].met)
}
