package vfs

import "math/bits"

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
	const ones, highs, slashes = 0x0101010101010101, 0x8080808080808080, 0x2f2f2f2f2f2f2f2f
	const dot, dotdot = '.' | 1<<56, '.'<<8 | '.' | 2<<56
	n := len(path)
	if !d.isDir {
		return d.walkCachedSlow(path, i)
	}
	for {
		// w holds the next 8 bytes from path[i], or, near the end,
		// the rest of the path (zero bytes above it, which are not
		// '/'): one load either way.
		rem := uint(n - i)
		var w uint64
		if rem >= 8 {
			w = load64(path, i)
		} else if n >= 8 {
			w = load64(path, n-8) >> (8 * (8 - rem) & 63)
		} else {
			for j := n - 1; j >= i; j-- {
				w = w<<8 | uint64(path[j])
			}
		}
		// As in ScanKey: the lowest '/' byte sets z's lowest bit, and
		// keep masks the bytes below it.
		x := w ^ slashes
		z := (x - ones) &^ x & highs
		var nb uint
		keep := ^uint64(0)
		if z != 0 {
			nb = uint(bits.TrailingZeros64(z)) >> 3
			keep = (z&-z)>>7 - 1
		} else if rem < 8 {
			nb = rem
		} else {
			break // a name of 8 bytes or more
		}
		end := i + int(nb)
		// next is where the following component starts; a run of
		// slashes or an empty name goes to the general loop.
		next := uint(end + 1)
		if nb == 0 || next < uint(n) && path[next] == '/' {
			break
		}
		w &= keep
		k := NameKey{hash: mix(nameSeed^w, m1^uint64(nb)), word: w | uint64(nb)<<56}
		if next >= uint(n) || k.word == dot || k.word == dotdot {
			return d, i, k, end, nil // the last component, or dots
		}
		t := d.children.Load()
		if t == nil {
			return d, i, k, end, nil
		}
		// The first slot of the probe, found without a bounds check in
		// a small table. Equal words mean equal names (so equal
		// hashes). A first slot that holds another name or a removed
		// entry ends the fast loop, and the general one (which calls
		// nothing either) takes the walk on from there.
		var s *dirSlot
		if len(t.slots) == dirTableMinSize {
			s = &t.small[k.hash&(dirTableMinSize-1)]
		} else {
			s = &t.slots[k.hash&uint64(len(t.slots)-1)]
		}
		c := s.d.Load()
		if c == nil {
			return d, i, k, end, nil
		}
		if s.word != k.word || c == tombstone {
			break
		}
		if c.mounts.Load() != 0 || !c.isDir {
			return d, i, k, end, c
		}
		d, i = c, int(next)
	}
	return d.walkCachedSlow(path, i)
}

// load64 returns the 8 bytes of path from i as a little-endian word
// (one load: the compiler merges the byte loads).
func load64(path string, i int) uint64 {
	s := path[i : i+8]
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
