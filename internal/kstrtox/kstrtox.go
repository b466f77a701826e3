// Package kstrtox is the Linux kernel's number parsing (lib/kstrtox.c and
// lib/cmdline.c's memparse), with its quirks: the base guessed from a
// "0x" or "0" prefix, an optional '+', one trailing newline accepted,
// overflow reported as ERANGE by the kstrto* functions and wrapping in
// Memparse. Filesystems use it to parse mount options and interface-file
// writes exactly as the kernel does.
package kstrtox

import (
	"math"
	"math/bits"

	"github.com/mountkit/mountkit/vfs"
)

// IsDigit reports whether c is a decimal digit.
func IsDigit(c byte) bool { return '0' <= c && c <= '9' }

// IsXDigit reports whether c is a hexadecimal digit.
func IsXDigit(c byte) bool { return IsDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f' }

// FixupRadix picks the base for base 0 as _parse_integer_fixup_radix:
// "0x" followed by a hex digit is 16, a leading 0 is 8, else 10; and it
// skips a "0x" prefix in base 16.
func FixupRadix(s string, base int) (string, int) {
	if base == 0 {
		switch {
		case len(s) > 0 && s[0] == '0':
			if len(s) > 2 && s[1]|0x20 == 'x' && IsXDigit(s[2]) {
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

// ParseInteger is _parse_integer: the value of the leading digits of s in
// base (wrapping modulo 2^64), how many digits it read and whether the
// value overflowed.
func ParseInteger(s string, base int) (v uint64, n int, overflow bool) {
	for n < len(s) {
		c := s[n]
		var d uint64
		switch {
		case IsDigit(c):
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

// Uint is kstrtoull: an optional '+', digits in base (0 picks it from the
// prefix), an optional single trailing newline and nothing else; EINVAL
// when malformed, ERANGE on overflow.
func Uint(s string, base int) (uint64, error) {
	if len(s) > 0 && s[0] == '+' {
		s = s[1:]
	}
	s, base = FixupRadix(s, base)
	v, n, overflow := ParseInteger(s, base)
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

// Uint32 is kstrtouint: Uint with ERANGE beyond 32 bits.
func Uint32(s string, base int) (uint32, error) {
	v, err := Uint(s, base)
	if err != nil {
		return 0, err
	}
	if v > math.MaxUint32 {
		return 0, vfs.ERANGE
	}
	return uint32(v), nil
}

// Int is kstrtoll: Uint with an optional '-' instead of the '+'.
func Int(s string, base int) (int64, error) {
	if len(s) > 0 && s[0] == '-' {
		v, err := Uint(s[1:], base)
		if err != nil {
			return 0, err
		}
		if v > 1<<63 {
			return 0, vfs.ERANGE
		}
		return -int64(v), nil
	}
	v, err := Uint(s, base)
	if err != nil {
		return 0, err
	}
	if v > math.MaxInt64 {
		return 0, vfs.ERANGE
	}
	return int64(v), nil
}

// Int32 is kstrtoint: Int with ERANGE beyond 32 bits.
func Int32(s string, base int) (int, error) {
	v, err := Int(s, base)
	if err != nil {
		return 0, err
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, vfs.ERANGE
	}
	return int(v), nil
}

// Memparse is memparse: simple_strtoull in base 0 followed by an optional
// K, M, G, T, P or E suffix (either case), which applies even when no
// digit came before it ("k" is 0). It returns the value and what follows
// it; overflow wraps, as in the kernel.
func Memparse(s string) (uint64, string) {
	s, base := FixupRadix(s, 0)
	v, n, _ := ParseInteger(s, base)
	rest := s[n:]
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
	if shift > 0 {
		v <<= shift
		rest = rest[1:]
	}
	return v, rest
}
