package mount

import (
	"github.com/mountkit/mountkit/vfs"
)

// walker resolves paths for one FsContext, following Linux's namei: every
// component needs search permission on its directory, ".." climbs out of
// mount roots but never above the process root, mounts stacked on a
// dentry are crossed into (the topmost wins), and at most 40 symbolic
// links are followed in one resolution. Starting points (root, cwd) are
// used as stored, without crossing mounts on them.
//
// A walker runs either with Kernel.mu held (for reading, or for writing
// by a mount operation), or lock-free (rcu set, Linux's RCU walk): it then
// reads the mount tree only through atomics and the lock-free mount hash,
// and its caller validates the result against Kernel.seq (see Kernel).
// Every path of a lock-free walker tolerates a torn tree (no nil it could
// meet is dereferenced, every loop over mounts is bounded by raced), and
// it has no side effect on the mount tree before validation (touch is
// the caller's).
type walker struct {
	k    *Kernel
	cred *vfs.Cred
	// umount is set for umount2's lookup, which leaves MNT_EXPIRE's mark
	// alone; every other completed lookup clears it on the mount reached.
	umount bool
	// searchAll is set when cred may search every directory
	// (CAP_DAC_OVERRIDE), sparing a getattr per component.
	searchAll bool
	// rcu marks a lock-free walk started when Kernel.seq was seq.
	rcu   bool
	seq   uint64
	root  Location
	cur   Location
	links int
	// lastKey is the key of the last component walkDirs returned.
	lastKey vfs.NameKey
}

// raced reports whether a lock-free walk overlapped a change of the mount
// tree (and so must be discarded). It is always false under Kernel.mu.
func (w *walker) raced() bool {
	return w.rcu && w.k.seq.Load() != w.seq
}

// lastKind says what the final component of a path is.
type lastKind int

const (
	lastNorm   lastKind = iota // a name
	lastDot                    // "."
	lastDotDot                 // ".."
	lastRoot                   // the path is "/" (or only slashes)
)

// checkPathname applies the length rules of getname: an empty path is
// ENOENT and one of PATH_MAX bytes or more is ENAMETOOLONG.
func checkPathname(path string) error {
	if path == "" {
		return vfs.ENOENT
	}
	if len(path) >= vfs.PathMax {
		return vfs.ENAMETOOLONG
	}
	return nil
}

// walkDirs walks every component of path but the last, from the root for
// an absolute path and from w.cur otherwise, leaving w.cur at the
// directory that holds the last component. It returns that component,
// its kind and whether slashes follow it.
//
// This is the hot loop of every path operation: each component is
// scanned and hashed in one pass, looked up in the dentry cache without a
// lock, and checked against the dentry's mount count before the mount
// hash is consulted. When no component needs a permission check, runs of
// plain cached directories are passed by vfs.Dentry.WalkCached, which
// does all of that in one call.
func (w *walker) walkDirs(path string) (last string, kind lastKind, trailing bool, err error) {
	if len(path) > 0 && path[0] == '/' {
		w.cur = w.root
	}
	i, n := 0, len(path)
	for i < n && path[i] == '/' {
		i++
	}
	if i == n {
		return "", lastRoot, false, nil
	}
	// dir is w.cur.Dentry, kept in a register across the fast path and
	// stored back before anything else reads w.cur. Each turn starts at
	// a component (path[i] is not a slash).
	dir := w.cur.Dentry
	for {
		// Without permission checks to make, the cache takes the walk
		// as far as it can through plain cached directories, in one
		// call; the loop below goes on from the component it stops at.
		var name string
		var key vfs.NameKey
		var found *vfs.Dentry // the cached dentry of name, if looked up
		end := 0
		if w.searchAll {
			dir, i, key, end, found = dir.WalkCached(path, i)
			if found != nil && found.IsDir() {
				// A mounted directory (WalkCached looks up no last
				// component): cross into the topmost mount.
				j := end
				for j < n && path[j] == '/' {
					j++
				}
				if l := w.crossMounts(Location{w.cur.Mount, found}); l.Dentry.IsDir() {
					w.cur, dir, i = l, l.Dentry, j
					continue
				}
			}
		}
		if end > i {
			name = path[i:end] // scanned by WalkCached
		} else {
			name, key, end = vfs.ScanKey(path, i)
		}
		i = end
		if !dir.IsDir() {
			w.cur.Dentry = dir
			return "", 0, false, vfs.ENOTDIR
		}
		if !w.searchAll {
			if err := mayExec(dir, w.cred); err != nil {
				w.cur.Dentry = dir
				return "", 0, false, err
			}
		}
		j := i
		for j < n && path[j] == '/' {
			j++
		}
		if j == n {
			w.cur.Dentry = dir
			kind := lastNorm
			if isDots(name) {
				kind = lastDot
				if len(name) == 2 {
					kind = lastDotDot
				}
			}
			w.lastKey = key
			return name, kind, i < n, nil
		}
		i = j
		// The common case inline: a cached directory with no mount on it.
		if found == nil && !isDots(name) && len(name) <= vfs.NameMax {
			found = dir.CachedKey(name, key)
			if found != nil && found.Mounts() == 0 && found.IsDir() {
				dir = found
				continue
			}
		}
		if found != nil && found.IsDir() {
			// A mounted directory: cross into the topmost mount.
			if l := w.crossMounts(Location{w.cur.Mount, found}); l.Dentry.IsDir() {
				w.cur, dir = l, l.Dentry
				continue
			}
		}
		w.cur.Dentry = dir
		var err error
		if found != nil {
			err = w.stepTo(found, true)
		} else {
			err = w.stepKeyed(name, key, true)
		}
		if err != nil {
			return "", 0, false, err
		}
		dir = w.cur.Dentry
		if !dir.IsDir() {
			return "", 0, false, vfs.ENOTDIR
		}
	}
}

// isDots reports whether a path component is "." or "..".
func isDots(name string) bool {
	return name[0] == '.' && (len(name) == 1 || len(name) == 2 && name[1] == '.')
}

// mayExec checks search permission on the directory dir.
func mayExec(dir *vfs.Dentry, cred *vfs.Cred) error {
	a, err := dir.Inode().Getattr()
	if err != nil {
		return err
	}
	return vfs.Permission(&a, cred, vfs.MayExec)
}

// stepKeyed moves w.cur through the component name (which may be "." or
// ".."), whose key vfs.ScanKey computed, crossing mounts and, with
// follow, symbolic links.
func (w *walker) stepKeyed(name string, key vfs.NameKey, follow bool) error {
	if isDots(name) {
		if len(name) == 1 {
			return nil
		}
		return w.dotdot()
	}
	if len(name) > vfs.NameMax {
		return vfs.ENAMETOOLONG
	}
	d := w.cur.Dentry.CachedKey(name, key)
	if d == nil {
		var err error
		if d, err = w.cur.Dentry.LookupKey(name, key); err != nil {
			return err
		}
	}
	return w.stepTo(d, follow)
}

// stepTo moves w.cur to its child d (a name, not "." or ".."), crossing
// mounts and, with follow, symbolic links.
func (w *walker) stepTo(d *vfs.Dentry, follow bool) error {
	next := Location{w.cur.Mount, d}
	if d.Mounts() != 0 {
		next = w.crossMounts(next)
	}
	if follow && isSymlink(next.Dentry) {
		return w.followLink(next)
	}
	w.cur = next
	return nil
}

// lookup finds name in w.cur.
func (w *walker) lookup(name string) (*vfs.Dentry, error) {
	if len(name) > vfs.NameMax {
		return nil, vfs.ENAMETOOLONG
	}
	return w.cur.Dentry.Lookup(name)
}

// crossDown moves l onto the root of the topmost mount stacked on it.
func (w *walker) crossDown(l Location) Location {
	if l.Dentry.Mounts() == 0 {
		return l
	}
	return w.crossMounts(l)
}

// crossMounts is crossDown past the mount-count check. A lock-free walk
// rechecks Kernel.seq every so often, so that a cycle a torn tree may
// show cannot hold it.
//
// After a crossing, the next lookup is spared when the mount counts show
// nothing can be mounted on the new location: its dentry has no mount,
// or it is the very dentry just crossed (a directory bound on itself)
// and its only mount is the one just crossed, which is not its own
// parent. (The counts change only while Kernel.seq is odd, so a
// lock-free walk that read a stale one is discarded.)
func (w *walker) crossMounts(l Location) Location {
	return w.k.crossMounts(l, w.rcu, w.seq)
}

// crossMounts is walker.crossMounts for a walk that is lock-free (rcu)
// from Kernel.seq seq, or under Kernel.mu.
func (k *Kernel) crossMounts(l Location, rcu bool, seq uint64) Location {
	for n := 1; ; n++ {
		c := k.lookupChild(l.Mount, l.Dentry)
		if c == nil {
			return l
		}
		prev := l.Dentry
		l = Location{c, c.root}
		if m := c.root.Mounts(); m == 0 || m == 1 && c.root == prev {
			return l
		}
		if n%256 == 0 && rcu && k.seq.Load() != seq {
			return l
		}
	}
}

func isSymlink(d *vfs.Dentry) bool { return d.Type() == vfs.ModeSymlink }

// followLink resolves the symbolic link at link, relative to w.cur (the
// directory holding it), leaving w.cur at its target.
func (w *walker) followLink(link Location) error {
	if link.Mount.flags.Load()&mntNosymfollow != 0 {
		return vfs.ELOOP
	}
	w.links++
	if w.links > vfs.SymlinkMax {
		return vfs.ELOOP
	}
	target, err := link.Dentry.Inode().Readlink()
	if err != nil {
		return err
	}
	if target == "" {
		return vfs.ENOENT
	}
	last, kind, trailing, err := w.walkDirs(target)
	if err != nil {
		return err
	}
	return w.stepLast(last, kind, true, trailing)
}

// stepLast resolves the last component found by the latest walkDirs
// (whose key is w.lastKey), following a final symbolic link when follow
// is set or slashes trail it.
func (w *walker) stepLast(last string, kind lastKind, follow, trailing bool) error {
	switch kind {
	case lastRoot, lastDot:
		return nil
	case lastDotDot:
		return w.dotdot()
	}
	if err := w.stepKeyed(last, w.lastKey, follow || trailing); err != nil {
		return err
	}
	if trailing && !w.cur.Dentry.IsDir() {
		return vfs.ENOTDIR
	}
	return nil
}

// dotdot moves w.cur to its parent as Linux's follow_dotdot does: it stays
// at the process root; at a mount root it climbs to the mountpoint in the
// parent mount (through stacks) first, staying put when that climb meets
// the process root or a mount without a parent; it then crosses the mounts
// on the resulting dentry.
func (w *walker) dotdot() error {
	cur := w.cur
	if cur != w.root {
		if cur.IsMountRoot() {
			if up, ok := w.chooseMountpoint(cur.Mount); ok {
				cur = up
			} else {
				w.cur = w.crossDown(cur)
				return nil
			}
		}
		parent := cur.Dentry.Parent()
		m := cur.Mount
		if m.root != m.sb.Root() && !parent.IsAncestor(m.root) {
			return vfs.ENOENT
		}
		cur = Location{m, parent}
	}
	w.cur = w.crossDown(cur)
	return nil
}

// chooseMountpoint climbs from the root of m to the first mountpoint that
// is not itself the root of its mount.
//
// A lock-free walker may find a torn link (a parent without a
// mountpoint): it then stays put, and its caller's validation fails.
func (w *walker) chooseMountpoint(m *Mountpoint) (Location, bool) {
	for n := 1; ; n++ {
		p := m.parent.Load()
		if p == nil {
			break
		}
		mp := m.mountpoint.Load()
		if mp == nil || n%256 == 0 && w.raced() {
			break
		}
		m = p
		if w.root.Mount == m && w.root.Dentry == mp {
			break
		}
		if mp != m.root {
			return Location{m, mp}, true
		}
	}
	return Location{}, false
}

// resolve resolves path to a Location, following a final symbolic link
// when follow is set.
func (w *walker) resolve(path string, follow bool) (Location, error) {
	if err := checkPathname(path); err != nil {
		return Location{}, err
	}
	last, kind, trailing, err := w.walkDirs(path)
	if err == nil {
		err = w.stepLast(last, kind, follow, trailing)
	}
	if !w.rcu {
		w.touch(err)
	}
	if err != nil {
		return Location{}, err
	}
	return w.cur, nil
}

// touch clears MNT_EXPIRE's mark on the mount a lookup ended in, as
// Linux's final path_put (mntput) does; umount2's own successful lookup
// leaves it.
func (w *walker) touch(err error) {
	if w.umount && err == nil {
		return
	}
	touchMount(w.cur.Mount)
}

// resolveParent resolves all of path but its last component, which it
// returns with its kind and trailing-slash flag; w.cur is the directory.
func (w *walker) resolveParent(path string) (last string, kind lastKind, trailing bool, err error) {
	if err := checkPathname(path); err != nil {
		return "", 0, false, err
	}
	last, kind, trailing, err = w.walkDirs(path)
	w.touch(err)
	return last, kind, trailing, err
}
