package vfs

import (
	"math/bits"
	"unsafe"
)

// WalkCached advances a path walk from directory d over the components of
// path that start at path[i] (which is not a slash), as far as the dentry
// cache alone allows: through each component that is followed by more
// path, is neither "." nor ".." nor longer than NameMax, and names a
// cached directory with no mount on it. It returns the dentry reached and
// the index of the first component it did not pass (the last component
// is never passed), for the caller's general walk to take on; when it
// scanned that component, key and end are ScanKey's for it (end > i),
// and otherwise they are zero; when it also looked the component up and
// found a cached dentry it could not pass (a mounted directory, or not a
// directory), next is that dentry, and otherwise nil.
//
// It checks no permission: a caller that must check search permission on
// each directory cannot use it. It takes no lock, has no effect, and is
// the hand-inlined hot loop of ScanKey and CachedKey for names of up to 7
// bytes: it calls nothing on that path (a call would spill the walk's
// state), and falls back to ScanKey and lookupName for the rest. The keys
// it computes inline must be ScanKey's (TestWalkCached checks it against
// a walk made of ScanKey and CachedKey).
func (d *Dentry) WalkCached(path string, i int) (*Dentry, int, NameKey, int, *Dentry) {
	const m1 = 0xa0761d6478bd642f
	const dot, dotdot = '.' | 1<<56, '.'<<8 | '.' | 2<<56
	n := len(path)
	// The mask is for a walk from the start of a path (i is 0, or 1 past
	// the root's slash) of up to 64 bytes. A walk resumed mid-path (after
	// crossing a mount, or a dot) has few components left: the mask of
	// what remains would cost more than it saves (Stat10Mounts5: 110 vs
	// 130 ns), and the chain loop takes it on.
	if !d.isDir || n < 8 || n > 64 || i > 1 {
		return d.walkCachedChain(path, i)
	}
	p := unsafe.Pointer(unsafe.StringData(path))
	// m has bit j set for each '/' at path[j], j >= i, and bit n (the
	// end) when n < 64: each component's end is its lowest bit. Finding
	// the ends from a mask made up front, rather than scanning each
	// component from the end of the one before, takes the scan off the
	// walk's dependency chain, which is then the lookups' alone.
	var m uint64
	off := 0
	for ; off+8 <= n; off += 8 {
		m |= slashBits(word8(p, off)) << off
	}
	if off < n {
		m |= slashBits(word8(p, n-8)) << (n - 8)
	}
	m |= 1 << uint(n) // 0 for n == 64: the end is then bit-less
	m &^= 1<<uint(i) - 1
	for {
		end := bits.TrailingZeros64(m) // 64 when n == 64 and no '/' is left
		m &= m - 1
		nb := uint(end - i)
		if nb-1 >= 7 {
			break // a name of 8 bytes or more (or none, if path[i] is a slash)
		}
		var w uint64
		if i <= n-8 {
			w = word8(p, i)
		} else {
			w = word8(p, n-8) >> (8 * uint(i-(n-8)) & 63)
		}
		w &= 1<<(8*nb) - 1
		k := NameKey{hash: mix(nameSeed^w, m1^uint64(nb)), word: w | uint64(nb)<<56}
		// next is where the following component starts; a run of
		// slashes goes to the general loop.
		next := end + 1
		if next >= n || byte(w) == '.' && (k.word == dot || k.word == dotdot) {
			return d, i, k, end, nil // the last component, or dots
		}
		if m&(1<<uint(next)) != 0 {
			break
		}
		s := d.firstSlot(k.hash)
		if s == nil {
			return d, i, k, end, nil
		}
		c := s.d.Load()
		if c == nil {
			return d, i, k, end, nil
		}
		if s.word != k.word {
			break
		}
		if !c.isDir || c.mounts.Load() != 0 {
			if c == tombstone { // (which is not a directory)
				break
			}
			return d, i, k, end, c
		}
		d, i = c, next
	}
	return d.walkCachedSlow(path, i)
}

// firstSlot returns the first slot of the probe for hash in directory
// d's children, nil when d has none: in the inline table, at an address
// that follows from d's (the comparison with the published table is a
// predicted branch, not a wait); otherwise found without a bounds check.
func (d *Dentry) firstSlot(hash uint64) *dirSlot {
	t := d.children.Load()
	if in := d.inline(); t == in {
		return &in.small[hash&(dirTableMinSize-1)]
	}
	if t == nil {
		return nil
	}
	if len(t.slots) == dirTableMinSize {
		return &t.small[hash&(dirTableMinSize-1)]
	}
	return &t.slots[hash&uint64(len(t.slots)-1)]
}

// slashBits returns a bit for each '/' byte of w: bit b is set when byte
// b (little-endian) is '/'. Exact for every byte.
func slashBits(w uint64) uint64 {
	const lows, slashes = 0x7f7f7f7f7f7f7f7f, 0x2f2f2f2f2f2f2f2f
	x := w ^ slashes
	y := ^(x&lows + lows | x | lows) // 0x80 in each byte of x that is 0
	return y >> 7 * 0x0102040810204080 >> 56
}

// walkCachedChain is WalkCached for a path too long or too short for its
// mask: it scans each component from the end of the one before.
func (d *Dentry) walkCachedChain(path string, i int) (*Dentry, int, NameKey, int, *Dentry) {
	const m1 = 0xa0761d6478bd642f
	const ones, highs, slashes = 0x0101010101010101, 0x8080808080808080, 0x2f2f2f2f2f2f2f2f
	const dot, dotdot = '.' | 1<<56, '.'<<8 | '.' | 2<<56
	n := len(path)
	if !d.isDir || n < 8 {
		return d.walkCachedSlow(path, i)
	}
	p := unsafe.Pointer(unsafe.StringData(path))
	for {
		// w holds the next 8 bytes from path[i], or, near the end,
		// the rest of the path (zero bytes above it, which are not
		// '/'): one load either way, in bounds as n >= 8.
		var w uint64
		tail := i > n-8
		if !tail {
			w = word8(p, i)
		} else {
			w = word8(p, n-8) >> (8 * uint(i-(n-8)) & 63)
		}
		// As in ScanKey: the lowest '/' byte sets z's lowest bit; the
		// bits below that bit, shifted down by 7, mask the bytes of
		// the name.
		x := w ^ slashes
		z := (x - ones) &^ x & highs
		var nb uint
		if z != 0 {
			nb = uint(bits.TrailingZeros64(z)) >> 3
			w &= (z - 1) &^ z >> 7
		} else if tail {
			nb = uint(n - i) // the name runs to the end
		} else {
			break // a name of 8 bytes or more
		}
		if nb == 0 {
			break // path[i] is a slash
		}
		end := i + int(nb)
		next := end + 1
		k := NameKey{hash: mix(nameSeed^w, m1^uint64(nb)), word: w | uint64(nb)<<56}
		if next >= n || byte(w) == '.' && (k.word == dot || k.word == dotdot) {
			return d, i, k, end, nil // the last component, or dots
		}
		if *(*byte)(unsafe.Add(p, next)) == '/' {
			break
		}
		s := d.firstSlot(k.hash)
		if s == nil {
			return d, i, k, end, nil
		}
		c := s.d.Load()
		if c == nil {
			return d, i, k, end, nil
		}
		if s.word != k.word {
			break
		}
		if !c.isDir || c.mounts.Load() != 0 {
			if c == tombstone {
				break
			}
			return d, i, k, end, c
		}
		d, i = c, next
	}
	return d.walkCachedSlow(path, i)
}

// word8 returns the 8 bytes at p+i as a little-endian word; the caller
// guarantees they lie in one string. (One load where the compiler merges
// the byte loads, with no bounds check.)
func word8(p unsafe.Pointer, i int) uint64 {
	s := (*[8]byte)(unsafe.Add(p, i))
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// walkCachedSlow is WalkCached for what its fast loop leaves: names of 8
// bytes or more, runs of slashes, a first slot holding another name.
func (d *Dentry) walkCachedSlow(path string, i int) (_ *Dentry, _ int, key NameKey, end int, next *Dentry) {
	const m1 = 0xa0761d6478bd642f
	const ones, highs, slashes = 0x0101010101010101, 0x8080808080808080, 0x2f2f2f2f2f2f2f2f
	const dot, dotdot = '.' | 1<<56, '.'<<8 | '.' | 2<<56
	n := len(path)
	for d.isDir {
		var k NameKey
		var name string
		end = i + 8
		if end <= n {
			s := path[i:end]
			w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
				uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
			// As in ScanKey: the lowest '/' byte sets z's lowest bit.
			x := w ^ slashes
			z := (x - ones) &^ x & highs
			if z == 0 {
				name, k, end = ScanKey(path, i)
			} else {
				nb := bits.TrailingZeros64(z) >> 3
				end = i + nb
				w &= 1<<(8*uint(nb)) - 1
				// (nb is 0 only if path[i] is a slash, which the
				// caller rules out; the word is then 0 and the
				// empty name stops the walk below.)
				k = NameKey{hash: mix(nameSeed^w, m1^uint64(nb)), word: w | uint64(nb)<<56}
			}
		} else {
			// Fewer than 8 bytes are left: the name is short.
			var w uint64
			end = i
			for sh := uint(0); end < n && path[end] != '/'; sh += 8 {
				w |= uint64(path[end]) << sh
				end++
			}
			nb := end - i
			k = NameKey{hash: mix(nameSeed^w, m1^uint64(nb)), word: w | uint64(nb)<<56}
		}
		j := end
		for j < n && path[j] == '/' {
			j++
		}
		if j == n || k.word == dot || k.word == dotdot || end-i > NameMax || end == i {
			return d, i, k, end, nil
		}
		t := d.children.Load()
		if t == nil {
			return d, i, k, end, nil
		}
		var c *Dentry
		if k.word != 0 {
			slots := t.probeSlots()
			mask := uint64(len(slots) - 1)
			for p, q := k.hash&mask, 0; q < len(slots); p, q = (p+1)&mask, q+1 {
				s := &slots[p]
				e := s.d.Load()
				if e == nil {
					break
				}
				if s.word == k.word && s.hash == k.hash && e != tombstone {
					c = e
					break
				}
			}
		} else {
			c = t.lookupName(name, k.hash) // name came from ScanKey
		}
		if c == nil || c.mounts.Load() != 0 || !c.isDir {
			return d, i, k, end, c
		}
		d, i = c, j
	}
	return d, i, NameKey{}, 0, nil
}
