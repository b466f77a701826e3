package memfs

import (
	"strconv"
	"strings"

	"github.com/mountkit/mountkit/internal/kstrtox"
)

// NUMA policy modes, in Linux's numbering, and their names as mpol= takes
// and mountinfo shows them.
const (
	mpolDefault = iota
	mpolPreferred
	mpolBind
	mpolInterleave
	mpolLocal
	mpolPreferredMany
	mpolWeightedInterleave
)

var mpolNames = [...]string{
	mpolDefault:            "default",
	mpolPreferred:          "prefer",
	mpolBind:               "bind",
	mpolInterleave:         "interleave",
	mpolLocal:              "local",
	mpolPreferredMany:      "prefer (many)",
	mpolWeightedInterleave: "weighted interleave",
}

// parseMpol parses the value of mpol= as Linux's mpol_parse_str and
// returns it as mpol_to_str prints it ("" for the default policy).
//
// The value is MODE[=FLAGS][:NODELIST]; Linux cuts it at the first '='
// and the first ':' wherever they are, so "bind:0=static" is
// "bind=static:0".
func parseMpol(s string, m *Machine) (string, bool) {
	colon := strings.IndexByte(s, ':')
	eq := strings.IndexByte(s, '=')
	mode, flags, nodelist := s, "", ""
	hasFlags, hasNodes := eq >= 0, colon >= 0
	if hasFlags {
		end := len(s)
		if colon > eq {
			end = colon
		}
		flags = s[eq+1 : end]
		mode = s[:eq]
	}
	if hasNodes {
		end := len(s)
		if eq > colon {
			end = eq
		}
		nodelist = s[colon+1 : end]
		if colon < len(mode) {
			mode = s[:colon]
		}
	}
	var nodes []int
	if hasNodes {
		var ok bool
		nodes, ok = parseNodeList(nodelist, maxNumNodes)
		if !ok {
			return "", false
		}
		for _, n := range nodes {
			if !m.hasNode(n) {
				return "", false
			}
		}
	}
	mi := -1
	for i, name := range mpolNames {
		if name == mode {
			mi = i
		}
	}
	switch mi {
	case -1:
		return "", false
	case mpolPreferred:
		if hasNodes {
			for i := 0; i < len(nodelist); i++ {
				if !kstrtox.IsDigit(nodelist[i]) {
					return "", false
				}
			}
			if len(nodes) == 0 {
				return "", false
			}
		}
	case mpolInterleave, mpolWeightedInterleave:
		if !hasNodes {
			nodes = m.MemoryNodes
		}
	case mpolLocal:
		if hasNodes {
			return "", false
		}
	case mpolDefault:
		return "", !hasNodes
	case mpolPreferredMany, mpolBind:
		if !hasNodes {
			return "", false
		}
	}
	switch flags {
	case "", "static", "relative":
		if hasFlags && flags == "" {
			return "", false
		}
	default:
		return "", false
	}
	// mpol_new's checks.
	switch {
	case mi == mpolPreferred && len(nodes) == 0:
		if flags != "" {
			return "", false
		}
		mi = mpolLocal
	case mi == mpolLocal:
		if len(nodes) > 0 || flags != "" {
			return "", false
		}
	case len(nodes) == 0:
		return "", false
	}
	if mi == mpolPreferred {
		nodes = nodes[:1]
	}
	out := mpolNames[mi]
	if mi == mpolLocal {
		return out, true
	}
	if flags != "" {
		out += "=" + flags
	}
	if len(nodes) > 0 {
		out += ":" + formatNodeList(nodes)
	}
	return out, true
}

func isSpace(c byte) bool {
	return c == ' ' || ('\t' <= c && c <= '\r')
}

// parseNodeList parses a list of bit numbers below nbits as Linux's
// bitmap_parselist: regions "N", "A-B" or "A-B:USED/GROUP" separated by
// commas or white space, "all" for every bit and "N" as a number for the
// last one. It returns the set bits in increasing order.
func parseNodeList(s string, nbits int) ([]int, bool) {
	set := make(map[int]bool)
	last := uint64(nbits - 1)
	endOfStr := func(i int) bool { return i >= len(s) || s[i] == '\n' }
	endOfRegion := func(i int) bool { return endOfStr(i) || isSpace(s[i]) || s[i] == ',' }
	getnum := func(i int) (uint64, int, bool) {
		if i < len(s) && s[i] == 'N' {
			return last, i + 1, true
		}
		v, n, overflow := kstrtox.ParseInteger(s[i:], 10)
		if n == 0 || overflow || v > uint64(^uint32(0)) {
			return 0, i, false
		}
		return v, i + n, true
	}
	i := 0
	for {
		for i < len(s) && (isSpace(s[i]) || s[i] == ',') {
			i++
		}
		if endOfStr(i) {
			break
		}
		var start, end, off, group uint64
		var ok bool
		pattern := false
		if len(s)-i >= 3 && strings.EqualFold(s[i:i+3], "all") {
			start, end = 0, last
			i += 3
		} else {
			if start, i, ok = getnum(i); !ok {
				return nil, false
			}
			end = start
			if !endOfRegion(i) {
				if s[i] != '-' {
					return nil, false
				}
				if end, i, ok = getnum(i + 1); !ok {
					return nil, false
				}
			}
		}
		if !endOfRegion(i) {
			if s[i] != ':' {
				return nil, false
			}
			if off, i, ok = getnum(i + 1); !ok {
				return nil, false
			}
			if i >= len(s) || s[i] != '/' {
				return nil, false
			}
			if group, i, ok = getnum(i + 1); !ok {
				return nil, false
			}
			pattern = true
		}
		if !pattern {
			off, group = end+1, end+1
		}
		if start > end || group == 0 || off > group || end >= uint64(nbits) {
			return nil, false
		}
		for b := start; b <= end; b += group {
			for k := b; k < b+off && k <= end; k++ {
				set[int(k)] = true
			}
		}
		if !pattern && endOfStr(i) {
			break
		}
	}
	nodes := make([]int, 0, len(set))
	for n := 0; n < nbits && len(nodes) < len(set); n++ {
		if set[n] {
			nodes = append(nodes, n)
		}
	}
	return nodes, true
}

// formatNodeList prints increasing bit numbers as Linux's "%*pbl": ranges
// joined by commas ("0-3,5").
func formatNodeList(nodes []int) string {
	var b strings.Builder
	for i := 0; i < len(nodes); {
		j := i
		for j+1 < len(nodes) && nodes[j+1] == nodes[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(nodes[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(nodes[j]))
		}
		i = j + 1
	}
	return b.String()
}
