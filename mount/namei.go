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
// A walker runs with Kernel.mu held for reading.
type walker struct {
	k    *Kernel
	cred *vfs.Cred
	// umount is set for umount2's lookup, which leaves MNT_EXPIRE's mark
	// alone; every other completed lookup clears it on the mount reached.
	umount bool
	root   Location
	cur    Location
	links  int
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
func (w *walker) walkDirs(path string) (last string, kind lastKind, trailing bool, err error) {
	if len(path) > 0 && path[0] == '/' {
		w.cur = w.root
	}
	i, n := 0, len(path)
	for {
		for i < n && path[i] == '/' {
			i++
		}
		if i == n {
			return "", lastRoot, false, nil
		}
		name, hash, end := vfs.ScanName(path, i)
		i = end
		if err := w.mayLookup(); err != nil {
			return "", 0, false, err
		}
		j := i
		for j < n && path[j] == '/' {
			j++
		}
		if j == n {
			kind := lastNorm
			switch name {
			case ".":
				kind = lastDot
			case "..":
				kind = lastDotDot
			}
			return name, kind, i < n, nil
		}
		if err := w.stepHashed(name, hash, true); err != nil {
			return "", 0, false, err
		}
		if !w.cur.Dentry.IsDir() {
			return "", 0, false, vfs.ENOTDIR
		}
		i = j
	}
}

// mayLookup checks search permission on w.cur, which must be a directory.
func (w *walker) mayLookup() error {
	if !w.cur.Dentry.IsDir() {
		return vfs.ENOTDIR
	}
	if w.cred.Caps.Has(vfs.CAP_DAC_OVERRIDE) {
		// generic_permission grants search of any directory.
		return nil
	}
	a, err := w.cur.Dentry.Inode().Getattr()
	if err != nil {
		return err
	}
	return vfs.Permission(&a, w.cred, vfs.MayExec)
}

// step moves w.cur through the component name (which may be "." or
// ".."), crossing mounts and, with follow, symbolic links.
func (w *walker) step(name string, follow bool) error {
	switch name {
	case ".":
		return nil
	case "..":
		return w.dotdot()
	}
	d, err := w.lookup(name)
	if err != nil {
		return err
	}
	next := w.k.crossDown(Location{w.cur.Mount, d})
	if follow && isSymlink(next.Dentry) {
		return w.followLink(next)
	}
	w.cur = next
	return nil
}

// stepHashed is step for a name whose hash vfs.ScanName computed.
func (w *walker) stepHashed(name string, hash uint64, follow bool) error {
	switch name {
	case ".":
		return nil
	case "..":
		return w.dotdot()
	}
	if len(name) > vfs.NameMax {
		return vfs.ENAMETOOLONG
	}
	d, err := w.cur.Dentry.LookupHashed(name, hash)
	if err != nil {
		return err
	}
	next := w.k.crossDown(Location{w.cur.Mount, d})
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

// stepLast resolves the last component found by walkDirs, following a
// final symbolic link when follow is set or slashes trail it.
func (w *walker) stepLast(last string, kind lastKind, follow, trailing bool) error {
	switch kind {
	case lastRoot, lastDot:
		return nil
	case lastDotDot:
		return w.dotdot()
	}
	if err := w.step(last, follow || trailing); err != nil {
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
				w.cur = w.k.crossDown(cur)
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
	w.cur = w.k.crossDown(cur)
	return nil
}

// chooseMountpoint climbs from the root of m to the first mountpoint that
// is not itself the root of its mount.
func (w *walker) chooseMountpoint(m *Mountpoint) (Location, bool) {
	for m.parent != nil {
		mp := m.mountpoint
		m = m.parent
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
	if err != nil {
		w.touch(err)
		return Location{}, err
	}
	err = w.stepLast(last, kind, follow, trailing)
	w.touch(err)
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
	if m := w.cur.Mount; m != nil && m.expiry.Load() {
		m.expiry.Store(false)
	}
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
