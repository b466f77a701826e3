package cgroupfs

import (
	"strconv"
	"strings"

	"github.com/mountkit/mountkit/internal/kstrtox"
	"github.com/mountkit/mountkit/vfs"
)

// The kernel's sscanf conversions and bitmap lists, over the number
// parsers of internal/kstrtox: EINVAL for anything malformed, ERANGE for
// a number out of range.

// strstrip trims leading and trailing white space as the kernel's
// strstrip (isspace: space, \t, \n, \v, \f, \r).
func strstrip(s string) string {
	return strings.Trim(s, " \t\n\v\f\r")
}

// sscanfU64 reads an unsigned decimal number at the start of s after
// optional white space, as the kernel's sscanf("%llu") (and "%u"): it
// returns ok=false when no digit follows the white space (the kernel's
// vsscanf takes no sign for an unsigned conversion).
func sscanfU64(s string) (v uint64, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	v, n, _ := kstrtox.ParseInteger(s, 10)
	if n == 0 {
		return 0, s, false
	}
	return v, s[n:], true
}

// sscanfWord reads a white-space delimited word of at most max bytes, as
// sscanf("%<max>s"): ok=false when s holds nothing but white space.
func sscanfWord(s string, max int) (word, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	if s == "" {
		return "", s, false
	}
	i := 0
	for i < len(s) && i < max && !strings.ContainsRune(" \t\n\v\f\r", rune(s[i])) {
		i++
	}
	return s[:i], s[i:], true
}

// cpuList is a set of CPU or memory-node numbers.
type cpuList []bool

// parseList parses a bitmap list as bitmap_parselist: comma-separated
// numbers and ranges "a-b", optionally "a-b:used/group"; nbits bounds the
// numbers (ERANGE beyond it). An empty string (or only white space) is the
// empty set.
func parseList(s string, nbits int) (cpuList, error) {
	set := cpuList{}
	s = strstrip(s)
	if s == "" {
		return set, nil
	}
	for _, chunk := range strings.Split(s, ",") {
		if chunk == "" {
			return nil, vfs.EINVAL
		}
		lo, rest, ok := listNumber(chunk)
		if !ok {
			return nil, vfs.EINVAL
		}
		hi, used, group := lo, uint64(1), uint64(1)
		if rest != "" && rest[0] == '-' {
			if hi, rest, ok = listNumber(rest[1:]); !ok {
				return nil, vfs.EINVAL
			}
			if rest != "" && rest[0] == ':' {
				if used, rest, ok = listNumber(rest[1:]); !ok || rest == "" || rest[0] != '/' {
					return nil, vfs.EINVAL
				}
				if group, rest, ok = listNumber(rest[1:]); !ok {
					return nil, vfs.EINVAL
				}
			}
		}
		if rest != "" {
			return nil, vfs.EINVAL
		}
		if lo > hi || used == 0 || used > group {
			return nil, vfs.EINVAL
		}
		if hi >= uint64(nbits) {
			return nil, vfs.ERANGE
		}
		for i := lo; i <= hi; i++ {
			if (i-lo)%group < used {
				set = set.with(int(i))
			}
		}
	}
	return set, nil
}

func listNumber(s string) (uint64, string, bool) {
	v, n, overflow := kstrtox.ParseInteger(s, 10)
	if n == 0 || overflow {
		return 0, s, false
	}
	return v, s[n:], true
}

func (l cpuList) with(i int) cpuList {
	for len(l) <= i {
		l = append(l, false)
	}
	l[i] = true
	return l
}

func (l cpuList) has(i int) bool { return i < len(l) && l[i] }

func (l cpuList) empty() bool {
	for _, b := range l {
		if b {
			return false
		}
	}
	return true
}

func (l cpuList) subsetOf(o cpuList) bool {
	for i, b := range l {
		if b && !o.has(i) {
			return false
		}
	}
	return true
}

func (l cpuList) and(o cpuList) cpuList {
	r := cpuList{}
	for i, b := range l {
		if b && o.has(i) {
			r = r.with(i)
		}
	}
	return r
}

// String renders the set as "%*pbl" does: "0-3,5", "" for the empty set.
func (l cpuList) String() string {
	var b strings.Builder
	for i := 0; i < len(l); i++ {
		if !l[i] {
			continue
		}
		j := i
		for j+1 < len(l) && l[j+1] {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(i))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(j))
		}
		i = j
	}
	return b.String()
}
