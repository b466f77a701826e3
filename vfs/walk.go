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
// and otherwise they are zero.
//
// It checks no permission: a caller that must check search permission on
// each directory cannot use it. It takes no lock, has no effect, and is
// the hand-inlined hot loop of ScanKey and CachedKey for names of up to 7
// bytes: it calls nothing on that path (a call would spill the walk's
// state), and falls back to ScanKey and lookupName for the rest. The keys
// it computes inline must be ScanKey's (TestWalkCached checks it against
// a walk made of ScanKey and CachedKey).
func (d *Dentry) WalkCached(path string, i int) (_ *Dentry, _ int, key NameKey, end int) {
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
			return d, i, k, end
		}
		t := d.children.Load()
		if t == nil {
			return d, i, k, end
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
			return d, i, k, end
		}
		d, i = c, j
	}
	return d, i, NameKey{}, 0
}
