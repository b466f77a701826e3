package mount

import (
	"sync"
	"sync/atomic"

	"github.com/mountkit/mountkit/vfs"
)

// FsContext is what one process brings to a path operation: its root and
// working directory, umask, credentials and mount namespace (Linux's
// fs_struct together with the task's creds and nsproxy). Every path
// operation is a method of FsContext.
//
// An FsContext holds references on the mounts of its root and working
// directory until Close; a mount so held cannot be unmounted without
// MNT_DETACH. FsContext is safe for concurrent use.
type FsContext struct {
	k *Kernel

	mu     sync.Mutex // serialises changes of st; guards closed
	st     atomic.Pointer[fsState]
	closed bool
}

// fsState is an FsContext's state. It is immutable once published: a
// change publishes a new one, so that path walks read it without a lock.
type fsState struct {
	ns    *Namespace
	root  Location
	cwd   Location
	umask uint32
	cred  *vfs.Cred
}

func newFsContext(k *Kernel, s fsState) *FsContext {
	c := &FsContext{k: k}
	c.st.Store(&s)
	return c
}

// state returns c's current state.
func (c *FsContext) state() *fsState { return c.st.Load() }

// update publishes a copy of c's state changed by f and returns the old
// state.
func (c *FsContext) update(f func(s *fsState)) *fsState {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.st.Load()
	s := *old
	f(&s)
	c.st.Store(&s)
	return old
}

// Kernel returns the kernel c's namespace belongs to.
func (c *FsContext) Kernel() *Kernel { return c.k }

// Namespace returns c's mount namespace.
func (c *FsContext) Namespace() *Namespace { return c.state().ns }

// Root returns c's root directory.
func (c *FsContext) Root() Location { return c.state().root }

// Cwd returns c's working directory.
func (c *FsContext) Cwd() Location { return c.state().cwd }

// Umask sets the umask to mask&0777 and returns the previous one.
func (c *FsContext) Umask(mask uint32) uint32 {
	return c.update(func(s *fsState) { s.umask = mask & 0o777 }).umask
}

// Cred returns a copy of c's credentials.
func (c *FsContext) Cred() vfs.Cred {
	cr := *c.state().cred
	cr.Groups = append([]uint32(nil), cr.Groups...)
	return cr
}

// SetCred replaces c's credentials.
func (c *FsContext) SetCred(cred vfs.Cred) {
	cr := cred
	cr.Groups = append([]uint32(nil), cred.Groups...)
	c.update(func(s *fsState) { s.cred = &cr })
}

// Fork returns a new FsContext with c's namespace, root, working
// directory, umask and credentials (a child process, or clone without
// CLONE_FS).
func (c *FsContext) Fork() *FsContext {
	c.k.mu.Lock()
	s := *c.state()
	s.root.hold()
	s.cwd.hold()
	s.ns.users++
	c.k.mu.Unlock()
	n := newFsContext(c.k, s)
	c.k.register(n)
	return n
}

// Close releases c's root and working directory. c must not be used
// afterwards.
func (c *FsContext) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return vfs.EBADF
	}
	c.closed = true
	c.mu.Unlock()
	old := c.update(func(s *fsState) { s.root, s.cwd = Location{}, Location{} })
	c.k.unregister(c)
	old.root.release()
	old.cwd.release()
	c.k.lockMounts()
	c.k.putNamespace(old.ns)
	c.k.unlockMounts()
	return nil
}

// setRoot makes l c's root and returns the old root, which the caller
// releases once it no longer holds Kernel.mu (a release may free a
// detached mount, which takes the mount lock).
func (c *FsContext) setRoot(l Location) Location {
	l.hold()
	return c.update(func(s *fsState) { s.root = l }).root
}

// setCwd makes l c's working directory and returns the old one, as setRoot.
func (c *FsContext) setCwd(l Location) Location {
	l.hold()
	return c.update(func(s *fsState) { s.cwd = l }).cwd
}

// walker returns a walker over c's current root and cwd. The caller
// holds k.mu while it walks, or makes the walk lock-free (see lookup).
func (c *FsContext) walker() walker {
	var w walker
	c.initWalker(&w)
	return w
}

// initWalker sets *w, which is zero, to c.walker() field by field: the
// lock-free lookup builds its walker in place, as a copy of the whole
// struct costs more than the walk of a short path.
func (c *FsContext) initWalker(w *walker) {
	s := c.state()
	w.k, w.cred, w.root, w.cur = c.k, s.cred, s.root, s.cwd
	w.searchAll = s.cred.Caps.Has(vfs.CAP_DAC_OVERRIDE)
}

// rcuTries is how many lock-free walks a lookup tries before it walks
// under Kernel.mu.
const rcuTries = 2

// lookup resolves path for an operation that only looks it up, following
// a final symbolic link when follow is set; with hold, a Location found
// is returned held (see Location.hold). It walks without Kernel.mu while
// no mount operation changes the tree meanwhile (see Kernel), and under
// it otherwise.
//
// A lock-free result is validated against k.seq after it was held: a
// mount operation that began before the second load of seq is seen as a
// change, and one that begins after it sees the new user (umount2's
// EBUSY), so the walk and the hold act as if done under k.mu.RLock.
func (c *FsContext) lookup(path string, follow, hold bool) (Location, error) {
	if !hold {
		if l, err, ok := c.lookupFast(path, follow); ok {
			return l, err
		}
	}
	k := c.k
	for range rcuTries {
		seq := k.seq.Load()
		if seq&1 != 0 {
			break
		}
		var w walker
		c.initWalker(&w)
		w.rcu, w.seq = true, seq
		l, err := w.resolve(path, follow)
		if err == nil && hold {
			if k.seq.Load() != seq {
				continue
			}
			l.hold()
		}
		if k.seq.Load() == seq {
			w.touch(err)
			return l, err
		}
		if err == nil && hold {
			l.unhold()
		}
	}
	return c.lookupLocked(path, follow, hold)
}

// lookupLocked is lookup under k.mu.RLock.
func (c *FsContext) lookupLocked(path string, follow, hold bool) (Location, error) {
	c.k.mu.RLock()
	defer c.k.mu.RUnlock()
	l, err := c.resolveWith(path, follow)
	if err == nil && hold {
		l.hold()
	}
	return l, err
}

// Resolve resolves path, following a final symbolic link when follow is
// set, and returns where it leads.
func (c *FsContext) Resolve(path string, follow bool) (Location, error) {
	return c.lookup(path, follow, false)
}

// Chdir is chdir(2).
func (c *FsContext) Chdir(path string) error {
	k := c.k
	for range rcuTries {
		seq := k.seq.Load()
		if seq&1 != 0 {
			break
		}
		w := c.walker()
		w.rcu, w.seq = true, seq
		l, err := w.resolve(path, true)
		if err == nil {
			err = c.checkDirSearch(l)
		}
		if err != nil {
			if k.seq.Load() == seq {
				w.touch(err)
				return err
			}
			continue
		}
		// The new working directory is published under the mount lock
		// after a last check, so that a pivot_root moving working
		// directories sees it (as when chdir holds the lock throughout).
		k.mu.RLock()
		if k.seq.Load() == seq {
			w.touch(nil)
			old := c.setCwd(l)
			k.mu.RUnlock()
			old.release()
			return nil
		}
		k.mu.RUnlock()
	}
	k.mu.RLock()
	l, err := c.resolveWith(path, true)
	if err == nil {
		err = c.checkDirSearch(l)
	}
	var old Location
	if err == nil {
		old = c.setCwd(l)
	}
	k.mu.RUnlock()
	if old.Mount != nil {
		old.release()
	}
	return err
}

// checkDirSearch demands a directory with search permission, as chdir and
// chroot do.
func (c *FsContext) checkDirSearch(l Location) error {
	if !l.Dentry.IsDir() {
		return vfs.ENOTDIR
	}
	a, err := l.Dentry.Inode().Getattr()
	if err != nil {
		return err
	}
	return vfs.Permission(&a, c.creds(), vfs.MayExec)
}

func (c *FsContext) creds() *vfs.Cred { return c.state().cred }

// Chroot is chroot(2): lookup errors first, then EPERM without
// CAP_SYS_CHROOT. The working directory is left where it is.
func (c *FsContext) Chroot(path string) error {
	c.k.mu.RLock()
	l, err := c.resolveWith(path, true)
	if err == nil {
		err = c.checkDirSearch(l)
	}
	if err == nil && !c.creds().Caps.Has(vfs.CAP_SYS_CHROOT) {
		err = vfs.EPERM
	}
	var old Location
	if err == nil {
		old = c.setRoot(l)
	}
	c.k.mu.RUnlock()
	if old.Mount != nil {
		old.release()
	}
	return err
}

// Getcwd is getcwd(2): the working directory's path from the root, ENOENT
// when the directory was removed or lies outside the root. It climbs the
// mount tree without the mount lock when no mount operation runs
// meanwhile (see Kernel).
func (c *FsContext) Getcwd() (string, error) {
	k := c.k
	for range rcuTries {
		seq := k.seq.Load()
		if seq&1 != 0 {
			break
		}
		p, err := c.getcwd(k, seq)
		if k.seq.Load() == seq {
			return p, err
		}
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return c.getcwd(nil, 0)
}

// getcwd renders the working directory; k is nil under k.mu, and
// otherwise the walk is lock-free from seq.
func (c *FsContext) getcwd(k *Kernel, seq uint64) (string, error) {
	st := c.state()
	root, cwd := st.root, st.cwd
	if cwd.Dentry.Dead() {
		return "", vfs.ENOENT
	}
	p, ok := pathFromSeq(cwd, root, k, seq)
	if !ok {
		return "", vfs.ENOENT
	}
	if len(p) >= vfs.PathMax {
		return "", vfs.ENAMETOOLONG
	}
	return p, nil
}

// pathFromSeq renders l's path as seen from root, as Linux's prepend_path
// does; ok is false when l is not reachable from root. With k nil, k.mu
// is held; otherwise it runs without k.mu, as a walk from k.seq value seq
// that its caller validates: a torn mount link ends it, and so does a
// change of seq seen every so often while it climbs.
func pathFromSeq(l, root Location, k *Kernel, seq uint64) (string, bool) {
	var buf [128]byte
	b, ok := appendPathFrom(buf[:0], l, root, k, seq)
	if !ok {
		return "", false
	}
	return string(b), true
}

// appendPathFrom appends what pathFromSeq returns to b.
func appendPathFrom(b []byte, l, root Location, k *Kernel, seq uint64) ([]byte, bool) {
	var names [32]string
	parts := names[:0]
	m, d := l.Mount, l.Dentry
	for n := 1; m != root.Mount || d != root.Dentry; n++ {
		if k != nil && n%256 == 0 && k.seq.Load() != seq {
			return b, false
		}
		if d == m.root {
			p, mp := m.parent.Load(), m.mountpoint.Load()
			if p == nil || mp == nil {
				return b, false
			}
			d, m = mp, p
			continue
		}
		if d.IsRoot() {
			return b, false
		}
		parts = append(parts, d.Name())
		d = d.Parent()
	}
	if len(parts) == 0 {
		return append(b, '/'), true
	}
	for i := len(parts) - 1; i >= 0; i-- {
		b = append(b, '/')
		b = append(b, parts[i]...)
	}
	return b, true
}

// Fchdir is fchdir(2): f must be a directory (O_PATH is fine) that c may
// search.
func (c *FsContext) Fchdir(f *File) error {
	l := f.Location()
	if err := c.checkDirSearch(l); err != nil {
		return err
	}
	c.setCwd(l).release()
	return nil
}

// resolveWith resolves path with a fresh walker. k.mu is held.
func (c *FsContext) resolveWith(path string, follow bool) (Location, error) {
	w := c.walker()
	return w.resolve(path, follow)
}
