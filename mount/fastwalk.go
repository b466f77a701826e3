package mount

import "github.com/mountkit/mountkit/vfs"

// lookupFast is lookup's fast path for its commonest case: a lock-free
// lookup, not held, by a caller that may search every directory
// (CAP_DAC_OVERRIDE), of a path whose components are all cached names
// of directories, but the last, which is any cached name (no "." or
// "..", no run of slashes, no trailing slash, and no symbolic link but a
// final one not followed), but the last, which may also be a name the
// filesystem is asked for (found, or ENOENT); mounts on the way are
// crossed. It does what walker.resolve does in that case, in one
// function, with no walker, and returns its result with ok set.
//
// Anything else reports !ok, as does a change of the mount tree during
// the walk (Kernel.seq); lookup then walks from the start, which is the
// same as not having tried: the fast path has no effect until it
// completes (but for caching a dentry, as any walk does), when it
// touches the mount reached as every completed lookup does (see
// walker.touch).
func (c *FsContext) lookupFast(path string, follow bool) (_ Location, _ error, ok bool) {
	k := c.k
	seq := k.seq.Load()
	n := len(path)
	if seq&1 != 0 || n == 0 || n >= vfs.PathMax {
		return Location{}, nil, false
	}
	s := c.state()
	if !s.cred.Caps.Has(vfs.CAP_DAC_OVERRIDE) {
		return Location{}, nil, false
	}
	l, i := s.cwd, 0
	if path[0] == '/' {
		l = s.root
		for i < n && path[i] == '/' {
			i++
		}
		if i == n {
			return Location{}, nil, false
		}
	}
	for {
		d, j, key, end, found := l.Dentry.WalkCached(path, i)
		l.Dentry = d
		if found != nil {
			// A directory with mounts on it (or a non-directory)
			// before the last component.
			if !found.IsDir() {
				return Location{}, nil, false
			}
			l = k.crossMounts(Location{l.Mount, found}, true, seq)
			if !l.Dentry.IsDir() {
				return Location{}, nil, false
			}
			for i = end; i < n && path[i] == '/'; i++ {
			}
			continue
		}
		// WalkCached stopped at path[j:end]: the end must be the
		// path's, and the name a plain cached one.
		if end != n || end <= j {
			return Location{}, nil, false
		}
		name := path[j:end]
		if isDots(name) || len(name) > vfs.NameMax {
			return Location{}, nil, false
		}
		child := d.CachedKey(name, key)
		if child == nil {
			var err error
			if child, err = d.LookupKey(name, key); err != nil {
				if k.seq.Load() != seq {
					return Location{}, nil, false
				}
				touchMount(l.Mount)
				return Location{}, err, true
			}
		}
		l.Dentry = child
		if child.Mounts() != 0 {
			l = k.crossMounts(l, true, seq)
		}
		if follow && isSymlink(l.Dentry) || k.seq.Load() != seq {
			return Location{}, nil, false
		}
		touchMount(l.Mount)
		return l, nil, true
	}
}

// touchMount clears MNT_EXPIRE's mark on m (see walker.touch).
func touchMount(m *Mountpoint) {
	if m != nil && m.expiry.Load() {
		m.expiry.Store(false)
	}
}
