package linuxabi

import (
	"sort"
	"testing"
)

// FuzzSyscalls runs sequences of system calls with arguments drawn from a
// palette of interesting values (good and bad pointers, descriptors, flag
// words) or taken raw: nothing may panic, and every result is a value or
// a Linux errno.
func FuzzSyscalls(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14})
	f.Add([]byte{13, 2, 9, 0, 0, 0, 0, 20, 3, 4, 5, 0, 0, 0, 0, 21, 6, 1, 1})
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	f.Fuzz(func(t *testing.T, prog []byte) {
		tr := newTree(t)
		palette := []uint64{
			0, badAddr, edgeString, roBase, tr.str("/d/f"), tr.str("/mnt"), tr.str("x"), tr.str(""),
			tr.str(longName), tr.str("/l"), tr.str("none"), tr.str("tmpfs"), tr.buf(512), 512,
			fd(tr.rd), fd(tr.wr), fd(tr.dir), fd(tr.path), atFDCWD, fd(-1), 0x1000, CLONE_NEWNS, 1 << 31,
		}
		for len(prog) >= 7 && len(prog) < 4000 {
			name := names[int(prog[0])%len(names)]
			var a Args
			for i := range a {
				v := uint64(prog[1+i])
				if int(v) < len(palette) {
					v = palette[v]
				} else {
					v = v << 8 * v
				}
				a[i] = v
			}
			prog = prog[7:]
			r := entries[name](tr.p, &a)
			if r < 0 && -r >= 4096 {
				t.Fatalf("%s%v = %d", name, a, r)
			}
		}
	})
}
