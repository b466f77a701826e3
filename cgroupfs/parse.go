package cgroupfs

import (
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/mountkit/mountkit/vfs"
)

// The number parsers of lib/kstrtox.c and lib/cmdline.c, with their errnos:
// EINVAL for anything malformed, ERANGE for a number out of range.

// strstrip trims leading and trailing white space as the kernel's
// strstrip (isspace: space, \t, \n, \v, \f, \r).
func strstrip(s string) string {
	return strings.Trim(s, " \t\n\v\f\r")
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isXDigit(c byte) bool {
	return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f'
}

// fixupRadix picks the base for base 0 as _parse_integer_fixup_radix:
// "0x" followed by a hex digit is 16, a leading 0 is 8, else 10; and skips
// a "0x" prefix in base 16.
func fixupRadix(s string, base int) (string, int) {
	if base == 0 {
		switch {
		case len(s) > 0 && s[0] == '0':
			if len(s) > 2 && s[1]|0x20 == 'x' && isXDigit(s[2]) {
				base = 16
			} else {
				base = 8
			}
		default:
			base = 10
		}
	}
	if base == 16 && len(s) >= 2 && s[0] == '0' && s[1]|0x20 == 'x' {
		s = s[2:]
	}
	return s, base
}

// parseInteger is _parse_integer: the digits of s in base, how many it
// read and whether the value overflowed 64 bits.
func parseInteger(s string, base int) (v uint64, n int, overflow bool) {
	for n < len(s) {
		c := s[n]
		var d uint64
		switch {
		case isDigit(c):
			d = uint64(c - '0')
		case 'a' <= c|0x20 && c|0x20 <= 'f':
			d = uint64(c|0x20-'a') + 10
		default:
			return v, n, overflow
		}
		if d >= uint64(base) {
			return v, n, overflow
		}
		hi, lo := bits.Mul64(v, uint64(base))
		lo, carry := bits.Add64(lo, d, 0)
		if hi != 0 || carry != 0 {
			overflow = true
		}
		v = lo
		n++
	}
	return v, n, overflow
}

// kstrtoull is the kernel's kstrtoull: an optional '+', digits in base
// (0 picks it from the prefix), an optional single trailing newline and
// nothing else.
func kstrtoull(s string, base int) (uint64, error) {
	if len(s) > 0 && s[0] == '+' {
		s = s[1:]
	}
	s, base = fixupRadix(s, base)
	v, n, overflow := parseInteger(s, base)
	if n == 0 {
		return 0, vfs.EINVAL
	}
	if overflow {
		return 0, vfs.ERANGE
	}
	s = s[n:]
	if len(s) > 0 && s[0] == '\n' {
		s = s[1:]
	}
	if s != "" {
		return 0, vfs.EINVAL
	}
	return v, nil
}

// kstrtoll is the kernel's kstrtoll: kstrtoull with an optional '-'.
func kstrtoll(s string, base int) (int64, error) {
	if len(s) > 0 && s[0] == '-' {
		v, err := kstrtoull(s[1:], base)
		if err != nil {
			return 0, err
		}
		if v > 1<<63 {
			return 0, vfs.ERANGE
		}
		return -int64(v), nil
	}
	v, err := kstrtoull(s, base)
	if err != nil {
		return 0, err
	}
	if v > math.MaxInt64 {
		return 0, vfs.ERANGE
	}
	return int64(v), nil
}

// kstrtoint is the kernel's kstrtoint.
func kstrtoint(s string, base int) (int, error) {
	v, err := kstrtoll(s, base)
	if err != nil {
		return 0, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, vfs.ERANGE
	}
	return int(v), nil
}

// memparse is lib/cmdline.c's memparse: simple_strtoull in base 0 followed
// by an optional K, M, G, T, P or E suffix (either case). It returns the
// value and what follows it. Overflow wraps, as in the kernel.
func memparse(s string) (uint64, string) {
	t, base := fixupRadix(s, 0)
	v, n, _ := parseInteger(t, base)
	if n == 0 {
		// simple_strtoull consumed nothing (but a "0x" prefix of a
		// number with no digits is not consumed either).
		return 0, s
	}
	rest := t[n:]
	if rest == "" {
		return v, rest
	}
	shift := 0
	switch rest[0] | 0x20 {
	case 'e':
		shift = 60
	case 'p':
		shift = 50
	case 't':
		shift = 40
	case 'g':
		shift = 30
	case 'm':
		shift = 20
	case 'k':
		shift = 10
	}
	if shift != 0 {
		v <<= shift
		rest = rest[1:]
	}
	return v, rest
}

// sscanfU64 reads an unsigned decimal number at the start of s after
// optional white space, as the kernel's sscanf("%llu") (and "%u"): it
// returns ok=false when no digit follows the white space (the kernel's
// vsscanf takes no sign for an unsigned conversion).
func sscanfU64(s string) (v uint64, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	v, n, _ := parseInteger(s, 10)
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
	v, n, overflow := parseInteger(s, 10)
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
