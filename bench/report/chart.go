package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// series are the worlds a chart compares, in drawing order, with their
// colours.
var series = []struct{ key, label, colour string }{
	{"mountkit", "mountkit", "#1f77b4"},
	{"afero-memmap", "afero MemMapFs", "#ff7f0e"},
	{"go-billy-memfs", "go-billy memfs", "#2ca02c"},
	{"kernel", "Linux kernel", "#7f7f7f"},
}

// group is a cluster of bars: one figure per series that has it.
type group struct {
	label string
	bars  []bar
}

type bar struct {
	series int
	value  float64
}

// panel is one horizontal bar chart on a logarithmic axis.
type panel struct {
	title, unit string
	groups      []group
}

// walkPanel and propPanel pick the charted figures from the results.
func walkPanel(res results) panel {
	p := panel{title: "stat() of a 10-component path", unit: "ns per call"}
	for _, g := range []struct{ label, bench string }{
		{"hit, no mounts", "Stat10"},
		{"ENOENT", "Stat10Missing"},
		{"hit, across 5 mounts", "Stat10Mounts5"},
	} {
		p.groups = append(p.groups, pick(res, g.label, func(s string) string { return g.bench + "/" + s }, "ns/op"))
	}
	return p
}

func propPanel(res results) panel {
	p := panel{title: "one mount propagated to P peers", unit: "ns per copy"}
	for _, n := range []string{"10", "100", "1000"} {
		p.groups = append(p.groups, pick(res, "P = "+n, func(s string) string { return "Propagate/" + s + "/" + n }, "ns/copy"))
	}
	return p
}

func pick(res results, label string, name func(series string) string, unit string) group {
	g := group{label: label}
	for i, s := range series {
		if v, ok := res.get(name(s.key), unit); ok && v > 0 {
			g.bars = append(g.bars, bar{i, v})
		}
	}
	return g
}

// Chart geometry, in SVG user units.
const (
	chartWidth = 720
	labelWidth = 150
	plotWidth  = 500
	barHeight  = 14
	groupGap   = 12
	panelGap   = 40
)

// chart renders the walk and propagation figures as an SVG document.
func chart(res results) string {
	panels := []panel{walkPanel(res), propPanel(res)}
	var body strings.Builder
	y := 30.0
	for _, p := range panels {
		y = p.draw(&body, y) + panelGap
	}
	// Legend.
	x := float64(labelWidth)
	for _, s := range series {
		fmt.Fprintf(&body, `<rect x="%.0f" y="%.0f" width="12" height="12" fill="%s"/>`+"\n", x, y-12, s.colour)
		fmt.Fprintf(&body, `<text x="%.0f" y="%.0f">%s</text>`+"\n", x+16, y-2, html.EscapeString(s.label))
		x += 130
	}
	height := y + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%.0f" viewBox="0 0 %d %.0f" font-family="sans-serif" font-size="12">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	b.WriteString(body.String())
	b.WriteString("</svg>\n")
	return b.String()
}

// draw renders p with its title's baseline at y and returns the y below
// its axis labels.
func (p panel) draw(b *strings.Builder, y float64) float64 {
	fmt.Fprintf(b, `<text x="10" y="%.0f" font-size="14" font-weight="bold">%s (%s, log scale)</text>`+"\n",
		y, html.EscapeString(p.title), html.EscapeString(p.unit))
	y += 12
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, g := range p.groups {
		for _, br := range g.bars {
			lo, hi = math.Min(lo, br.value), math.Max(hi, br.value)
		}
	}
	if math.IsInf(lo, 1) {
		fmt.Fprintf(b, `<text x="%d" y="%.0f">not measured</text>`+"\n", labelWidth, y+12)
		return y + 20
	}
	// Decades from below the smallest to above the largest figure.
	d0 := math.Floor(math.Log10(lo))
	d1 := math.Ceil(math.Log10(hi))
	if d1 <= d0 {
		d1 = d0 + 1
	}
	xOf := func(v float64) float64 {
		return labelWidth + (math.Log10(v)-d0)/(d1-d0)*plotWidth
	}
	top := y
	for _, g := range p.groups {
		h := float64(len(g.bars)) * barHeight
		if h == 0 {
			h = barHeight
		}
		fmt.Fprintf(b, `<text x="%d" y="%.0f" text-anchor="end">%s</text>`+"\n",
			labelWidth-8, y+h/2+4, html.EscapeString(g.label))
		for _, br := range g.bars {
			w := math.Max(xOf(br.value)-labelWidth, 1)
			fmt.Fprintf(b, `<rect x="%d" y="%.0f" width="%.1f" height="%d" fill="%s"/>`+"\n",
				labelWidth, y, w, barHeight-2, series[br.series].colour)
			fmt.Fprintf(b, `<text x="%.1f" y="%.0f" font-size="10">%s</text>`+"\n",
				labelWidth+w+4, y+barHeight-4, short(br.value))
			y += barHeight
		}
		if len(g.bars) == 0 {
			y += barHeight
		}
		y += groupGap
	}
	// Axis with a tick per decade.
	fmt.Fprintf(b, `<line x1="%d" y1="%.0f" x2="%d" y2="%.0f" stroke="black"/>`+"\n", labelWidth, top, labelWidth, y)
	fmt.Fprintf(b, `<line x1="%d" y1="%.0f" x2="%d" y2="%.0f" stroke="black"/>`+"\n", labelWidth, y, labelWidth+plotWidth, y)
	for d := d0; d <= d1; d++ {
		x := xOf(math.Pow(10, d))
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#ccc"/>`+"\n", x, top, x, y)
		fmt.Fprintf(b, `<text x="%.1f" y="%.0f" text-anchor="middle" font-size="10">%s</text>`+"\n",
			x, y+12, short(math.Pow(10, d)))
	}
	return y + 16
}

// short formats a time in ns compactly.
func short(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.3g ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.3g µs", ns/1e3)
	}
	return fmt.Sprintf("%.3g ns", ns)
}
